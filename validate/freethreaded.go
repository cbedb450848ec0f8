package validate

import (
	"fmt"
	"strings"

	"gilbench/cpython"
	"gilbench/runner"
	"gilbench/workloads"
)

// The free-threading experiments (issue 16; docs/design/FREETHREADING.md): the
// free-threaded mode's single-thread overhead per profile against sequential, measured
// beside it, and the scaling of the hot spots at 1 and 2 threads, each against the
// published figures:
//
//   - single-thread overhead: 3.14t 1.05–1.10× (PEP 779's bar, the "Python 3.14
//     free-threaded performance" figures), 3.13t 1.3–1.5× (PEP 703, pyperformance with
//     the specializing interpreter off);
//   - CPython's Tools/ftscalingbench: most snippets scale near-linearly (the
//     private-data control: ≥ 1.8× at 2 threads), writes to one shared dict do not
//     (≤ 1.3×), thread_local_read runs slower with threads (elapsed(2) / elapsed(1) >
//     1), and method calls on one shared object (cpython #123619) and appends to one
//     list contend: their speed-up stays below the control's by at least 0.3;
//   - and goroutine, the ideal (no lock, no cost: concurrent containers,
//     interp/concurrent.go), scales every one of them: ≥ 1.6 at 2 threads.
//
// Where a free-threaded CPython (python3.14t, python3.13t, with the GIL disabled) is
// on PATH, the same hot spots run in it through the cpython-threads mode and its
// figures are shown beside gilbench's; otherwise the CPython column says why not.

// ftMissing is the table's "not run (no …)" for cpythonFT.
const ftMissing = "free-threaded CPython on PATH: python3.14t, python3.13t"

// ftNames are the free-threaded CPythons looked for on PATH, newest first.
var ftNames = []string{"python3.14t", "python3.13t"}

// cpythonFT is a free-threaded CPython whose GIL is disabled, found on PATH.
var cpythonFT = addKind(kind{missing: ftMissing, note: true,
	names: func(o Options) []string {
		if o.Python == "none" {
			return nil
		}
		return ftNames
	},
	fits: func(py *cpython.Interpreter) bool { return py.FreeThreaded }})

func init() { register(ftExperiments) }

func ftExperiments(s sizes) []experiment {
	st := runner.DefaultSettings()
	ft := func(profile string) workloads.Variant { return workloads.MakeVariant(runner.KeyFT, profile) }
	const size, tasks = 100_000, 16
	overhead := func(profile string, lo, hi float64, src string) experiment {
		e := "ft-overhead-" + profile
		return experiment{name: e,
			gb: side{mode: "free-threaded", variant: ft(profile), baseline: "sequential", workload: "primes",
				settings: st, tasks: s.prTasks, size: s.prSize, workers: []int{1}},
			rows: []row{{name: "free-threaded " + profile + ": primes, 1 thread",
				behaviour: "single-thread overhead of the free-threaded build: elapsed / elapsed(sequential) (" + src + ")",
				target:    fmt.Sprintf("%.2f–%.2f", lo, hi), value: ratio(e+"/1", e+"/base"), pass: between(lo, hi), show: showRatio}}}
	}
	// twoThreads is a hot spot's gilbench side at 1 and 2 threads.
	twoThreads := func(mode string, variant workloads.Variant, workload string) side {
		return side{mode: mode, variant: variant, workload: workload, settings: st, tasks: tasks, size: size, workers: []int{1, 2}}
	}
	scaling := func(name, workload, profile string) experiment {
		return experiment{name: name,
			gb: twoThreads("free-threaded", ft(profile), workload),
			py: &side{mode: "cpython-threads", python: cpythonFT, workload: workload, settings: st, tasks: tasks, size: size / 4, workers: []int{1, 2}}}
	}
	speedup := func(e string) func(figures) (float64, bool) { return ratio(e+"/1", e+"/2") }
	// below is the control's speed-up less e's.
	below := func(e string) func(figures) (float64, bool) {
		return func(f figures) (float64, bool) {
			c, ok1 := speedup("ft-private")(f)
			x, ok2 := speedup(e)(f)
			return c - x, ok1 && ok2
		}
	}
	private := scaling("ft-private", "ft-private-data", "3.14")
	private.rows = []row{{name: "free-threaded 3.14: private data, two threads", behaviour: "the control scales near-linearly (ftscalingbench): speedup elapsed(1) / elapsed(2)",
		target: "≥ 1.8", value: speedup("ft-private"), pass: atLeast(1.8), show: showRatio, factor: 1.5}}
	dict := scaling("ft-dict", "ft-shared-dict", "3.14")
	dict.rows = []row{{name: "free-threaded 3.14: shared dict writes, two threads", behaviour: "writes to one shared dict do not scale: speedup",
		target: "≤ 1.3", value: speedup("ft-dict"), pass: atMost(1.3), show: showRatio, factor: 1.5}}
	tls := scaling("ft-tls", "ft-thread-local", "3.13")
	tls.rows = []row{{name: "free-threaded 3.13: threading.local reads, two threads", behaviour: "thread-local reads are slower with threads (thread_local_read 2.2× slower): elapsed(2) / elapsed(1)",
		target: "> 1.0", value: ratio("ft-tls/2", "ft-tls/1"), pass: above(1.0), show: showRatio, factor: 1.5}}
	list := scaling("ft-list", "ft-shared-list", "3.14")
	list.rows = []row{{name: "free-threaded 3.14: shared list appends, two threads", behaviour: "appends to one list contend: the control's speedup less this one's",
		target: "≥ 0.3", value: below("ft-list"), pass: atLeast(0.3), show: showRatio, factor: 2}}
	method := scaling("ft-method", "ft-shared-method", "3.13")
	method.rows = []row{{name: "free-threaded 3.13: shared method calls, two threads", behaviour: "method calls on one shared object contend (cpython #123619): the control's speedup less this one's",
		target: "≥ 0.3", value: below("ft-method"), pass: atLeast(0.3), show: showRatio, factor: 2}}
	// ideal is goroutine on a hot spot: it has no cost to model and no CPython
	// counterpart (no CPython runs without paying for the GIL's absence).
	ideal := func(workload string) experiment {
		short := strings.TrimPrefix(workload, "ft-")
		e := "ft-ideal-" + short
		return experiment{name: e,
			gb: twoThreads("goroutine", nil, workload),
			rows: []row{{name: "goroutine (ideal): " + short + ", two threads",
				behaviour: "ideal free threading (no lock, no cost: concurrent containers) scales every hot spot: speedup elapsed(1) / elapsed(2)",
				target:    "≥ 1.6", value: speedup(e), pass: atLeast(1.6), show: showRatio}}}
	}
	out := []experiment{
		overhead("3.14", 1.05, 1.10, "PEP 779; 3.14t ≈ 5–10%"),
		overhead("3.13", 1.30, 1.50, "PEP 703; 3.13t ≈ 40%, no specialization"),
		private, dict, tls, list, method,
	}
	for _, w := range workloads.FTWorkloads() {
		out = append(out, ideal(w))
	}
	return out
}
