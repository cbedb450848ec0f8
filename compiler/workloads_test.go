package compiler_test

import (
	"io/fs"
	"strings"
	"testing"

	"gilbench/compiler"
	"gilbench/interp"
	"gilbench/workloads"
)

// compileWorkload compiles the Python file of the workload called name, as the
// emulated modes do, and returns the listing.
func compileWorkload(t testing.TB, name string, p workloads.Params) *compiler.Unit {
	t.Helper()
	w, err := workloads.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	src, ok := workloads.PythonSource(name)
	if !ok {
		t.Fatalf("no Python file for %s", name)
	}
	var natives []*interp.Native
	if w.Natives != nil {
		if natives, err = w.Natives(p, nil); err != nil {
			t.Fatal(err)
		}
	}
	u, err := compiler.Compile(workloads.PythonFileName(name), src, workloads.CompileOptions(natives))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// counter += 1 on a global is load_global, const, add, store_global: nothing between
// the load and the store is a check point, as in CPython 3.13. And shared.v.value += 1
// is two calls.
func TestGlobalIncrementHasNoCheckPoint(t *testing.T) {
	u := compileWorkload(t, "lost-update", nil)
	for _, want := range []string{
		"load_global counter\nconst 1\nadd\nstore_global counter",
		"load_global v\nnative value_get\nconst 1\nadd\nload_global v\nswap\nnative value_set",
	} {
		found := false
		for _, f := range u.Funcs {
			found = found || strings.Contains(strings.Join(f.Instrs, "\n"), want)
		}
		if !found {
			t.Errorf("no %q in\n%s", want, u.Asm)
		}
	}
}

// FuzzCompile: on any source text the compiler returns a program or an *Error, never
// panics, and every program it returns passes the interpreter's verifier. Seeds are
// every workload's Python file and a few sources of the subset.
//
//	go test -run '^$' -fuzz FuzzCompile -fuzztime 60s ./compiler/
func FuzzCompile(f *testing.F) {
	files, err := fs.Glob(workloads.PythonFS(), "*.py")
	if err != nil || len(files) == 0 {
		f.Fatalf("no workload files: %v", err)
	}
	for _, name := range files {
		src, err := fs.ReadFile(workloads.PythonFS(), name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(src))
	}
	f.Add("def f(a, b):\n    return a < b < 3 and not a or b // 2 ** 3\n")
	f.Add("x = 0\ndef f():\n    global x\n    for k in range(3, 0, -1):\n        x += k\n    return x\n")
	f.Add("import threading\nmu = threading.Lock()\ndef task(i, size):\n    with mu:\n        return i\n")
	f.Add("def f(a: float, b):\n    x = a // b % -2.5\n    x //= b or 1.0\n    return x\n")
	f.Add("def f(a, b, s):\n    t = 0\n    for k in range(a, b, s):\n        t += k\n    return t + -9223372036854775808\n")
	// Every native name any workload file uses, with its arity.
	var natives []*interp.Native
	seen := map[string]bool{}
	for _, w := range workloads.All() {
		if w.Natives == nil {
			continue
		}
		ns, err := w.Natives(workloads.Params{"addr": "127.0.0.1:1", "url": "http://127.0.0.1:1/", "dir": f.TempDir()}, nil)
		if err != nil {
			continue // needs a Local: its natives are added below by name
		}
		for _, n := range ns {
			if !seen[n.Name] {
				seen[n.Name] = true
				natives = append(natives, n)
			}
		}
	}
	for _, n := range []struct {
		name  string
		nargs int
	}{{"echo", 1}, {"http_get", 1}, {"convoy_open", 1}, {"convoy_send", 1}, {"convoy_recv", 1},
		{"convoy_close", 1}, {"convoy_spin_begin", 1}, {"convoy_running", 0}, {"convoy_spin_end", 0}} {
		if !seen[n.name] {
			natives = append(natives, &interp.Native{Name: n.name, NArgs: n.nargs,
				Fn: func(*interp.Thread, []interp.Value) (interp.Value, error) { return 0, nil }})
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		for _, entry := range []string{"", "task"} {
			opts := workloads.CompileOptions(natives)
			opts.Entry = entry
			u, err := compiler.Compile("fuzz.py", []byte(src), opts)
			if err != nil {
				if _, ok := err.(*compiler.Error); !ok {
					t.Fatalf("error %T is not an *Error: %v", err, err)
				}
				continue
			}
			if err := interp.Verify(u.Program); err != nil {
				t.Fatalf("compiled program fails verification: %v\n%s", err, u.Asm)
			}
		}
	})
}
