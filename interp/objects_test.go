package interp

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

const containersAsm = `
list xs
dict d
object obj 2
local tls 1
func task i n
	var k p
	newlist
	store p
	const 0
	store k
loop:
	load k
	load n
	lt
	jump_if_false done
	load_global xs      # xs.append(k)
	load k
	append
	load_global d       # d[k % 8] = k
	load k
	const 8
	mod
	load k
	setitem
	load p              # p.append(k)
	load k
	append
	load_global obj     # obj.a = obj.a + 1
	dup
	getattr 0
	const 1
	add
	setattr 0
	load_global tls     # tls.x = tls.x + k
	dup
	getattr 0
	load k
	add
	setattr 0
	load k
	const 1
	add
	store k
	jump loop
done:
	load_global tls     # tls.x + len(p) + p[-1] + (3 in d) + d.get(99, 7)
	getattr 0
	load p
	len
	add
	load p
	const -1
	getitem
	add
	load_global d
	const 3
	contains
	add
	load_global d
	const 99
	const 7
	dict_get
	add
	load_global obj
	load_method task
	pop
	return
end
`

// containersWant is task(i, n)'s result: sum(range(n)) + n + (n-1) + (n > 3) + 7.
func containersWant(n int64) Value {
	r := n*(n-1)/2 + n + (n - 1) + 7
	if n > 3 {
		r++
	}
	return Value(r)
}

func TestContainers(t *testing.T) {
	p := MustAssemble(containersAsm)
	for _, ft := range []*FreeThreading{nil, {Name: "3.13", Work: 500, RefcountFunctions: true}} {
		in := New(p, nil)
		if err := in.SetFreeThreading(ft); err != nil {
			t.Fatal(err)
		}
		const threads, n = 4, 200
		var wg sync.WaitGroup
		res := make([]Value, threads)
		errs := make([]error, threads)
		for w := range threads {
			th := in.NewThread()
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[w], errs[w] = th.Call(0, 0, n)
			}()
		}
		wg.Wait()
		for w := range threads {
			if errs[w] != nil {
				t.Fatal(errs[w])
			}
			if res[w] != containersWant(n) {
				t.Errorf("profile %v: thread %d: got %d, want %d (a threading.local shared between threads?)", ft, w, res[w], containersWant(n))
			}
		}
		xs, err := in.Shared().Container("xs")
		if err != nil {
			t.Fatal(err)
		}
		if xs.Len() != threads*n {
			t.Errorf("len(xs) = %d, want %d: lost appends", xs.Len(), threads*n)
		}
		d, _ := in.Shared().Container("d")
		if d.Len() != 8 || xs.SharedRefs() != 0 {
			t.Errorf("len(d) = %d, want 8; xs's shared count %d, want 0", d.Len(), xs.SharedRefs())
		}
		if err := in.Shared().Reset(); err != nil {
			t.Fatal(err)
		}
		if xs.Len() != 0 || d.Len() != 0 {
			t.Errorf("after Reset: len(xs) = %d, len(d) = %d", xs.Len(), d.Len())
		}
	}
}

func TestContainerErrors(t *testing.T) {
	for _, c := range []struct {
		body string
		want error
	}{
		{"load_global xs\nconst 0\ngetitem", ErrIndex},
		{"load_global d\nconst 5\ngetitem", ErrKey},
		{"load_global obj\ngetattr 3", ErrAttribute},
		{"load_global obj\nconst 1\nappend\nconst 0", ErrType},
	} {
		p := MustAssemble("list xs\ndict d\nobject obj 2\nfunc task\n" + c.body + "\nreturn\nend\n")
		th := New(p, nil).NewThread()
		if _, err := th.Call(0); !errors.Is(err, c.want) {
			t.Errorf("%q: got %v, want %v", c.body, err, c.want)
		}
	}
}

func TestAssembleContainerDecls(t *testing.T) {
	for _, src := range []string{"object o\n", "object o x\n", "local l 65\n", "func f\ngetattr x\nreturn\nend\n"} {
		if _, err := Assemble(src); err == nil {
			t.Errorf("%q assembled", src)
		}
	}
}

// TestBiasedRefcount: a private object costs its owner plain additions; a shared one
// costs the shared word's atomic additions, back to zero after each use.
func TestBiasedRefcount(t *testing.T) {
	p := MustAssemble("list xs\nfunc task\nnewlist\nconst 1\nappend\nload_global xs\nconst 1\nappend\nconst 0\nreturn\nend\n")
	in := New(p, nil)
	if err := in.SetFreeThreading(&FreeThreading{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	th := in.NewThread()
	if _, err := th.Call(0); err != nil {
		t.Fatal(err)
	}
	if th.arena[0].local != 2 || th.arena[0].shared.Load() != 0 {
		t.Errorf("private list: local %d shared %d, want 2 and 0", th.arena[0].local, th.arena[0].shared.Load())
	}
	if err := New(p, NewGIL(0)).SetFreeThreading(&FreeThreading{}); err == nil {
		t.Error("a profile on an interpreter with a GIL was accepted")
	}
}

// The verifier knows the container instructions: their stack effects and arguments.
func TestVerifyContainers(t *testing.T) {
	p := MustAssemble("list xs\nfunc task\nload_global xs\nconst 1\nappend\nconst 0\nreturn\nend\n")
	f := p.Funcs[0]
	for _, c := range []struct {
		code []Instr
		want string
	}{
		{[]Instr{{Op: OpConst}, {Op: OpAppend}, {Op: OpConst}, {Op: OpReturn}}, "append needs 2 values"},
		{[]Instr{{Op: OpConst}, {Op: OpConst}, {Op: OpSetItem}, {Op: OpConst}, {Op: OpReturn}}, "setitem needs 3 values"},
		{[]Instr{{Op: OpConst}, {Op: OpLoadMethod, A: 5}, {Op: OpReturn}}, "load_method 5 out of range"},
		{[]Instr{{Op: OpConst}, {Op: OpGetAttr, A: 64}, {Op: OpReturn}}, "getattr 64 out of range"},
	} {
		g := *f
		g.Code, g.Lines = c.code, nil
		q := *p
		q.Funcs = []*Function{&g}
		if err := Verify(&q); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v; want %q", c.code, err, c.want)
		}
	}
}

// Under a profile the instructions run are charged at the first check point after
// every ftChargeEvery of them (the last ones are charged at a later check point, of a
// later call), and a method call's references to its function are dropped as they are
// taken.
func TestProfileCharges(t *testing.T) {
	p := MustAssemble("object o 1\nfunc m self\nconst 0\nreturn\nend\nfunc task\nload_global o\nload_method m\ncall m\nreturn\nend\n")
	entry, _ := p.Func("task")
	for _, ft := range []*FreeThreading{{Name: "3.13", Work: 1000, RefcountFunctions: true}, {Name: "3.14", Work: 100}} {
		in := New(p, nil)
		if err := in.SetFreeThreading(ft); err != nil {
			t.Fatal(err)
		}
		th := in.NewThread()
		for range 1000 {
			if _, err := th.Call(entry); err != nil {
				t.Fatal(err)
			}
		}
		if th.ftTicks == 0 || th.ftTicks > th.Ticks() || th.Ticks()-th.ftTicks > ftChargeEvery+10 {
			t.Errorf("%s: charged for %d of %d instructions", ft.Name, th.ftTicks, th.Ticks())
		}
		if ft.RefcountFunctions && th.ftSink == 0 {
			t.Errorf("%s: no work done", ft.Name)
		}
		if got := in.Shared().funcRefs[0].Load(); got != 0 {
			t.Errorf("%s: function count %d after the call, want 0", ft.Name, got)
		}
	}
}
