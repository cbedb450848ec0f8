package validate

import (
	"context"
	"strings"

	"gilbench/cpython"
)

// An interpreter is one of the CPythons the experiments need: an index of kinds.
type interpreter int

const (
	cpython3   interpreter = iota // any CPython 3
	cpython2                      // CPython 2, for the legacy GIL
	cpythonSub                    // CPython ≥ 3.13, with per-interpreter GILs
)

// A kind of interpreter is how the table names it when it is missing ("not run (no
// …)"), which names to look for, and which of the interpreters found will do.
type kind struct {
	missing string
	names   func(o Options) []string
	fits    func(py *cpython.Interpreter) bool
	note    bool // the table shows the version of the interpreter beside its figures
}

// kinds are the interpreters by their index, in the header's order. Another file of
// the package may add one (in an init function) with addKind.
var kinds = []kind{
	cpython3: {missing: "python3", names: func(o Options) []string { return []string{o.Python} },
		fits: func(py *cpython.Interpreter) bool { return py.Major == 3 }},
	cpython2: {missing: "python2", note: true,
		names: func(o Options) []string {
			if o.Python2 == "" {
				return []string{"python2.7", "python2"}
			}
			return []string{o.Python2}
		},
		fits: func(py *cpython.Interpreter) bool { return py.Major == 2 }},
	cpythonSub: {missing: "python ≥ 3.13", note: true,
		names: func(o Options) []string {
			if o.PythonSub == "" {
				return []string{o.Python, "python3.14", "python3.13"}
			}
			return []string{o.PythonSub}
		},
		fits: hasSub},
}

// addKind adds a kind of interpreter and returns its index.
func addKind(k kind) interpreter {
	kinds = append(kinds, k)
	return interpreter(len(kinds) - 1)
}

// missing says which interpreter was not found, in the table's "not run (no …)".
func (i interpreter) missing() string { return kinds[i].missing }

// pythons are the interpreters found; a missing one has no entry.
type pythons map[interpreter]*cpython.Interpreter

func (p pythons) has(i interpreter) bool {
	_, ok := p[i]
	return ok
}

// findPythons looks for each kind's interpreter among the names o gives, or the
// default names on PATH (see Options), and keeps the first that runs (cpython.Find: the
// driver's own probe) and fits. o has its defaults filled in.
func findPythons(ctx context.Context, o Options) pythons {
	found := pythons{}
	for i, k := range kinds {
		for _, n := range k.names(o) {
			if py := probe(ctx, n); py != nil && k.fits(py) {
				found[interpreter(i)] = py
				break
			}
		}
	}
	return found
}

// hasSub reports whether py has sub-interpreters with a GIL of their own that the
// experiment may use: CPython 3.13 or later (3.12's _xxsubinterpreters is provisional).
func hasSub(py *cpython.Interpreter) bool {
	return py.Subinterp != "" && py.Major == 3 && py.Minor >= 13
}

// probe finds the interpreter name (on PATH unless it is a path); nil if it is not
// found or does not run. "" and "none" are never found.
func probe(ctx context.Context, name string) *cpython.Interpreter {
	if name == "" || name == "none" {
		return nil
	}
	py, err := cpython.Find(ctx, name)
	if err != nil {
		return nil
	}
	return py
}

// measureCPython measures CPython's side p of an experiment through its cpython-* mode,
// as the gilbench side is measured, and returns its figures and a note for the table
// (the version, where it matters: CPython 2 and the sub-interpreters).
func (v *validator) measureCPython(ctx context.Context, p side) (figures, string, error) {
	py := v.py[p.python]
	f, err := v.measureSide(ctx, p, py)
	if err != nil {
		return nil, "", err
	}
	note := ""
	if kinds[p.python].note {
		note = py.Version
	}
	return f, note, nil
}

// version is how the header names an interpreter found.
func version(py *cpython.Interpreter) string {
	return "Python " + strings.TrimSpace(py.Version) + " (" + py.Path + ")"
}
