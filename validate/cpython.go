package validate

import (
	"context"
	"strings"

	"gilbench/cpython"
)

// An interpreter is one of the CPythons the experiments need.
type interpreter int

const (
	cpython3   interpreter = iota // any CPython 3
	cpython2                      // CPython 2, for the legacy GIL
	cpythonSub                    // CPython ≥ 3.13, with per-interpreter GILs
)

// missing says which interpreter was not found, in the table's "not run (no …)".
func (i interpreter) missing() string {
	return [...]string{cpython3: "python3", cpython2: "python2", cpythonSub: "python ≥ 3.13"}[i]
}

// pythons are the interpreters found; a missing one has no entry.
type pythons map[interpreter]*cpython.Interpreter

func (p pythons) has(i interpreter) bool {
	_, ok := p[i]
	return ok
}

// findPythons looks for the interpreters that o names, or the default names on PATH (see
// Options), and keeps those that run (cpython.Find: the driver's own probe). o has its
// defaults filled in.
func findPythons(ctx context.Context, o Options) pythons {
	found := pythons{}
	if py := probe(ctx, o.Python); py != nil && py.Major == 3 {
		found[cpython3] = py
	}
	names2 := []string{o.Python2}
	if o.Python2 == "" {
		names2 = []string{"python2.7", "python2"}
	}
	for _, n := range names2 {
		if py := probe(ctx, n); py != nil && py.Major == 2 {
			found[cpython2] = py
			break
		}
	}
	namesSub := []string{o.PythonSub}
	if o.PythonSub == "" {
		namesSub = []string{o.Python, "python3.14", "python3.13"}
	}
	for _, n := range namesSub {
		if py := probe(ctx, n); py != nil && hasSub(py) {
			found[cpythonSub] = py
			break
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
	if p.python == cpythonSub || p.python == cpython2 {
		note = py.Version
	}
	return f, note, nil
}

// version is how the header names an interpreter found.
func version(py *cpython.Interpreter) string {
	return "Python " + strings.TrimSpace(py.Version) + " (" + py.Path + ")"
}
