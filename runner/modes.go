package runner

import (
	"fmt"
	"strings"

	"gilbench/vocab"
)

// modeTable is every mode, in the order runs list them (and the report colours them).
// Adding a mode is one file that implements Mode and one line here.
var modeTable = []Mode{
	&interpMode{name: "sequential", desc: "one interpreter thread, no contention: the baseline",
		rules: Rules{Role: vocab.Baseline, Single: true, Procs: ThreadGOMAXPROCS,
			Idiom: "a plain loop on one thread, no threading", Doc: "https://docs.python.org/3/tutorial/controlflow.html",
			Counterpart: "cpython-seq"}},
	&interpMode{name: "gil", desc: "N threads of one interpreter sharing CPython's new GIL (switch interval, forced hand-off)",
		newLock: newGIL, rules: threadRules.with("threading.Thread workers over queue.Queue under CPython's GIL (3.2+)",
			"https://docs.python.org/3/library/threading.html", "cpython-threads")},
	&interpMode{name: "gil-legacy", desc: "N threads of one interpreter sharing CPython 2's GIL (released every check interval, no hand-off)",
		newLock: newLegacyGIL, rules: threadRules.with("threading.Thread workers under CPython 2's GIL (check interval, no hand-off)",
			"https://docs.python.org/2.7/library/threading.html", "cpython-threads/python=2.7")},
	&interpMode{name: "subinterp", desc: "N interpreters, one thread each, each with its own GIL (PEP 684)",
		newLock: newGIL, perWorker: true, rules: threadRules.with("concurrent.interpreters: one sub-interpreter per worker, each with its own GIL (3.14+)",
			"https://peps.python.org/pep-0734/", "cpython-subinterp")},
	&interpMode{name: "goroutine", desc: "N interpreter threads and no lock: free threading (PEP 703)",
		rules: threadRules.with("threading.Thread workers on free-threaded CPython (3.13t, 3.14t: no GIL)",
			"https://peps.python.org/pep-0703/", "")},
	freeThreadedMode{},
	asyncioMode{},
	processMode{},
	clusterMode{},
	nativeMode{},
	cpythonSeq,
	cpythonThreads,
	cpythonProcess,
	cpythonSubinterp,
	cpythonAsyncio,
	cpythonMpPool,
}

// threadRules are the rules of the modes whose workers are interpreter threads.
var threadRules = Rules{Role: vocab.Rival, Procs: ThreadGOMAXPROCS}

// with is r with what the report tells people about the mode.
func (r Rules) with(python, doc, counterpart string) Rules {
	r.Idiom, r.Doc, r.Counterpart = python, doc, counterpart
	return r
}

// modeIndex finds a mode of the table by name; built once, read-only after.
var modeIndex = func() map[string]Mode {
	m := map[string]Mode{}
	for _, mode := range modeTable {
		if _, dup := m[mode.Name()]; dup {
			panic("runner: duplicate mode " + mode.Name())
		}
		m[mode.Name()] = mode
	}
	return m
}()

// LookupMode returns the mode called name.
func LookupMode(name string) (Mode, error) {
	if m, ok := modeIndex[name]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("unknown mode %q (known: %s)", name, strings.Join(ModeNames(), ", "))
}

// Modes lists every mode in table order.
func Modes() []Mode { return append([]Mode(nil), modeTable...) }

// ModeNames lists the modes' names in table order.
func ModeNames() []string {
	names := make([]string, len(modeTable))
	for i, m := range modeTable {
		names[i] = m.Name()
	}
	return names
}

// DefaultModeNames lists the modes of a matrix that names none: every mode but those
// that run only on request (Rules.OnRequest).
func DefaultModeNames() []string {
	var names []string
	for _, m := range modeTable {
		if !m.Rules().OnRequest {
			names = append(names, m.Name())
		}
	}
	return names
}
