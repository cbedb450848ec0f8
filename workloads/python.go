package workloads

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"

	"gilbench/interp"
)

// Every built-in workload is also a plain Python file, workloads/py/<name>.py (a '-' in
// the name is a '_' in the file's), defining task(i, size) that returns what Want does.
// The natives come from one support module, workloads/py/gilbench.py, written with the
// real thing from the standard library (time.sleep, socket, http.client, os.fsync,
// hashlib, threading.Lock or multiprocessing's objects); an I/O workload may have an
// awaitable form for the asyncio strategy in <name>_async.py (atask), whose natives are
// in gilbench_async.py. The CPython engine (package cpython) runs them; Workload.Program
// compiles them (package compiler) for the interpreter, with natives of the same names
// (support.go).
//
// A user's own Python file joins the catalogue with RegisterPython: a Workload whose
// program is compiled from the file, with no Go twin.

//go:embed py/*.py
var pyFS embed.FS

// PythonFS is the embedded Python directory: the workload files and the support modules.
func PythonFS() fs.FS {
	sub, err := fs.Sub(pyFS, "py")
	if err != nil {
		panic("workloads: " + err.Error()) // the embed pattern guarantees the directory
	}
	return sub
}

// PythonSupport lists the support modules' file names in PythonFS.
func PythonSupport() []string { return []string{"gilbench.py", "gilbench_async.py"} }

// PythonFileName is the file name of the Python source of the workload called name.
func PythonFileName(name string) string { return strings.ReplaceAll(name, "-", "_") + ".py" }

// PythonSource returns the Python source of the built-in workload called name.
func PythonSource(name string) ([]byte, bool) {
	b, err := fs.ReadFile(PythonFS(), PythonFileName(name))
	return b, err == nil
}

// PythonAsyncSource returns the asyncio form of the built-in workload called name, if it
// has one.
func PythonAsyncSource(name string) ([]byte, bool) {
	b, err := fs.ReadFile(PythonFS(), strings.TrimSuffix(PythonFileName(name), ".py")+"_async.py")
	return b, err == nil
}

// userFiles maps the user's workloads to their files.
var userFiles = struct {
	sync.Mutex
	m map[*Workload]string
}{m: map[*Workload]string{}}

// RegisterPython adds w, a workload defined by the Python file at file, to the
// catalogue. w has no assembly Source and no Go twin: the CPython modes run the file,
// the emulated modes compile it, with UserNatives unless w has Natives of its own. It
// is an error if the name is taken.
func RegisterPython(w *Workload, file string) error {
	if w.Source != "" || w.Twin != nil {
		return fmt.Errorf("workload %s: a Python file's workload has no program or twin", w.Name)
	}
	if _, err := Lookup(w.Name); err == nil {
		return fmt.Errorf("%s: a workload called %s already exists; rename the file", file, w.Name)
	}
	if w.Natives == nil {
		w.Natives = userNatives
	}
	Register(w)
	userFiles.Lock()
	userFiles.m[w] = file
	userFiles.Unlock()
	return nil
}

// PythonFile returns the path of the user's file that defines w, if w came from one.
func PythonFile(w *Workload) (string, bool) {
	userFiles.Lock()
	defer userFiles.Unlock()
	f, ok := userFiles.m[w]
	return f, ok
}

// LookupPythonFile returns the workload that RegisterPython made of file, if any.
func LookupPythonFile(file string) (*Workload, bool) {
	userFiles.Lock()
	defer userFiles.Unlock()
	for w, f := range userFiles.m {
		if f == file {
			return w, true
		}
	}
	return nil, false
}

// PythonName is the workload name of a user's Python file: its base name without .py.
func PythonName(file string) string {
	return strings.TrimSuffix(path.Base(strings.ReplaceAll(file, "\\", "/")), ".py")
}

// IsPythonFile reports whether a -workloads item names a Python file rather than a
// built-in workload.
func IsPythonFile(item string) bool {
	return strings.HasSuffix(item, ".py") || strings.ContainsAny(item, `/\`)
}

// python returns the file name (for positions) and text of w's Python source: the
// embedded workloads/py file of a built-in workload, the user's file of one registered
// with RegisterPython.
func (w *Workload) python() (string, []byte, error) {
	if w.file != "" {
		src, err := os.ReadFile(w.file)
		return w.file, src, err
	}
	if file, ok := PythonFile(w); ok {
		src, err := os.ReadFile(file)
		return file, src, err
	}
	src, ok := PythonSource(w.Name)
	if !ok {
		return "", nil, fmt.Errorf("no Python file %s and no Source", PythonFileName(w.Name))
	}
	return path.Join("workloads", "py", PythonFileName(w.Name)), src, nil
}

// ForPythonFile is the workload called name that the user's file is, outside the
// catalogue: what a worker process, which did not register the file, runs. Only its
// Program is meant to be used.
func ForPythonFile(name, file string) *Workload {
	return &Workload{Name: name, Natives: userNatives, file: file}
}

func userNatives(p Params, _ *Local) ([]*interp.Native, error) { return UserNatives(p) }
