package compiler

import (
	"os"
	"strings"
	"sync"
	"testing"

	"gilbench/interp"
)

// containersWant is what CPython prints for task(3, 100) of testdata/containers.py
// (python3 testdata/containers.py).
const containersWant = 852

func compileContainers(t *testing.T) *Unit {
	t.Helper()
	src, err := os.ReadFile("testdata/containers.py")
	if err != nil {
		t.Fatal(err)
	}
	u, err := Compile("testdata/containers.py", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The containers file computes CPython's result on every kind of interpreter: alone,
// and on threads without a lock (free threading, with and without a profile), where
// every thread's result must still be CPython's (the shared containers do not feed
// the results) and the race detector watches the containers.
func TestContainersFile(t *testing.T) {
	u := compileContainers(t)
	entry, _ := u.Program.Func("task")
	for _, ft := range []*interp.FreeThreading{nil, {Name: "3.13", Work: 400, RefcountFunctions: true}} {
		in := interp.New(u.Program, nil)
		if err := in.SetFreeThreading(ft); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		const threads = 3
		got := make([]interp.Value, threads)
		errs := make([]error, threads)
		for w := range threads {
			th := in.NewThread()
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 3 {
					got[w], errs[w] = th.Call(entry, 3, 100)
				}
			}()
		}
		wg.Wait()
		for w := range threads {
			if errs[w] != nil || got[w] != containersWant {
				t.Errorf("profile %v, thread %d: task(3, 100) = %d, %v; want %d", ft, w, got[w], errs[w], containersWant)
			}
		}
		shared, _ := in.Shared().Container("shared")
		if shared.Len() != threads*3*100 {
			t.Errorf("len(shared) = %d, want %d", shared.Len(), threads*3*100)
		}
	}
}

// The container constructs compile to their instructions, with a check point after the
// calls (append, get, len) and none inside d[k] += 1 or self.hits += 1.
func TestContainerCode(t *testing.T) {
	u := compileContainers(t)
	for _, want := range []string{
		"object tally 2", "local tls 1", "list shared", "dict counts",
		"load_global shared\n\tload k\n\tappend\n\tcheck",
		"load_global tally\n\tload_method Tally.bump\n\tload k\n\tcall Tally.bump",
		"load self\n\tdup\n\tgetattr 0\n\tconst 1\n\tadd\n\tsetattr 0",
		"load_global counts\n\tconst 3\n\tcontains",
		"newlist", "newdict", "getitem", "setitem", "dict_get",
	} {
		if !strings.Contains(u.Asm, want) {
			t.Errorf("no %q in\n%s", want, u.Asm)
		}
	}
}

func TestContainerErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"xs = [1]\n", "t.py:1:6: a module-level list starts empty"},
		{"def f():\n    xs = [1, 2]\n    return 0\n", "list displays are not in the subset"},
		{"def f():\n    xs = []\n    return xs[1:2]\n", "slices are not in the subset"},
		{"def f():\n    xs = []\n    return xs + 1\n", "operators on lists"},
		{"def f():\n    xs = []\n    xs.pop()\n    return 0\n", "a list has only append()"},
		{"def f():\n    xs = []\n    if xs:\n        return 1\n    return 0\n", "the truth of a list"},
		{"class A:\n    n = 1\n", "attributes NAME = 0"},
		{"class A:\n    n = 0\na = A()\ndef f():\n    return a.m\n", "A has no attribute m"},
		{"class A:\n    n = 0\na = A()\ndef f():\n    return a.m()\n", "A has no method m"},
		{"d = {}\ndef f():\n    return d[1.5]\n", "dict keys are ints"},
		{"def f(n):\n    return n in 3\n", "in is for lists and dicts"},
	}
	for _, c := range cases {
		_, err := Compile("t.py", []byte(c.src), Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v; want %q", c.src, err, c.want)
		}
	}
}
