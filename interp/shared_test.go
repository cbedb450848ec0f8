package interp

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// sharedSrc increments the global counter n times: unguarded (incr), under the lock mu
// (incr_locked), through the calls of a value object (incr_value), and re-enters the
// rlock r (reenter).
const sharedSrc = `
global counter
lock mu
rlock r
value v
map m

func incr n
loop:
	load n
	jump_if_false done
	load_global counter     # counter += 1
	const 1
	add
	store_global counter
	load n
	const 1
	sub
	store n
	jump loop
done:
	const 0
	return
end

func incr_locked n
loop:
	load n
	jump_if_false done
	load_global mu          # with mu: counter += 1
	native lock_acquire
	pop
	load_global counter
	const 1
	add
	store_global counter
	load_global mu
	native lock_release
	pop
	load n
	const 1
	sub
	store n
	jump loop
done:
	const 0
	return
end

func incr_value n
loop:
	load n
	jump_if_false done
	load_global v           # v.value += 1: a call, then another
	native value_get
	const 1
	add
	load_global v
	swap
	native value_set
	pop
	load n
	const 1
	sub
	store n
	jump loop
done:
	const 0
	return
end

func reenter k
	load_global r
	native lock_acquire
	pop
	load k
	jump_if_false out
	load k
	const 1
	sub
	call reenter
	pop
out:
	load_global r
	native lock_release
	return
end

func acquire_r
	load_global r
	native lock_acquire
	return
end

func release_r
	load_global r
	native lock_release
	return
end

func release_mu
	load_global mu
	native lock_release
	return
end

func lock_and_count
	load_global mu
	native lock_acquire
	pop
	load_global counter
	const 1
	add
	store_global counter
	load_global mu
	native lock_release
	return
end

func map_ops
	load_global m
	const 7
	const 49
	native map_set
	pop
	load_global m
	const 8
	const 64
	native map_set
	pop
	load_global m
	const 7
	native map_get
	load_global m
	native map_len
	add                     # 49 + 2
	return
end
`

func mustFunc(t *testing.T, p *Program, name string) int {
	t.Helper()
	i, ok := p.Func(name)
	if !ok {
		t.Fatalf("no func %s", name)
	}
	return i
}

func load(t *testing.T, s *Shared, name string) Value {
	t.Helper()
	v, err := s.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestGlobalsAndObjects(t *testing.T) {
	p := MustAssemble(sharedSrc)
	if p.Slots() != 5+1+2*lockStatSlots || p.Mutexes() != 2 {
		t.Fatalf("layout: %d slots, %d mutexes", p.Slots(), p.Mutexes())
	}
	in := New(p, nil)
	th := in.NewThread()
	s := in.Shared()
	for _, fn := range []string{"incr", "incr_locked", "incr_value"} {
		if _, err := th.Call(mustFunc(t, p, fn), 10); err != nil {
			t.Fatal(err)
		}
	}
	if c, v := load(t, s, "counter"), load(t, s, "v"); c != 20 || v != 10 {
		t.Errorf("counter = %d, v.value = %d; want 20, 10", c, v)
	}
	if v, err := th.Call(mustFunc(t, p, "map_ops")); err != nil || v != 51 {
		t.Errorf("map_ops = %d, %v; want 51", v, err)
	}
	if st := s.ObjectStats(); st.Acquisitions != 10 || st.Contended != 0 {
		t.Errorf("lock stats %+v; want 10 uncontended acquisitions", st)
	}
	// The handle of an object is in its global, and survives Reset.
	if k, _ := p.Global("mu"); s.Globals().Load(k) != Value(k) {
		t.Errorf("global mu = %d; want its handle %d", s.Globals().Load(k), k)
	}
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	if c := load(t, s, "counter"); c != 0 {
		t.Errorf("counter after Reset = %d", c)
	}
	if st := s.ObjectStats(); st.Acquisitions != 0 || st.Contended != 0 || st.WaitNs != 0 {
		t.Errorf("lock stats after Reset: %+v", st)
	}
	if _, err := th.Call(mustFunc(t, p, "incr_locked"), 3); err != nil {
		t.Fatal(err)
	}
	if c := load(t, s, "counter"); c != 3 {
		t.Errorf("counter = %d after Reset and 3 increments", c)
	}
	if v, err := th.Call(mustFunc(t, p, "map_ops")); err != nil || v != 51 {
		t.Errorf("map_ops after Reset = %d, %v; want 51", v, err)
	}
	// Reset refuses while a lock is held.
	mu, _ := s.Lock("mu")
	mu.Acquire(nil)
	if err := s.Reset(); err == nil || !strings.Contains(err.Error(), "lock mu is held") {
		t.Errorf("Reset with mu held: %v", err)
	}
	mu.Release(nil)
	if _, err := s.Lock("counter"); err == nil {
		t.Error("Lock(counter) succeeded")
	}
	if _, err := s.Load("mu"); err == nil {
		t.Error("Load(mu) succeeded")
	}
}

func TestAssembleGlobals(t *testing.T) {
	for src, want := range map[string]string{
		"global a a\n":                                  "declared twice",
		"global\n":                                      "needs a name",
		"func f\nglobal a\nend\n":                       "declare globals outside functions",
		"func f\nload_global a\nreturn\nend\n":          `unknown global "a"`,
		"func f\nload_global\nreturn\nend\n":            "takes one argument",
		"global a\nfunc f\nstore_global a\nreturn\nend": "needs 1 values",
	} {
		if _, err := Assemble(src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Assemble(%q) = %v; want an error with %q", src, err, want)
		}
	}
	n := &Native{Name: "lock_acquire", NArgs: 1, Fn: func(*Thread, []Value) (Value, error) { return 0, nil }}
	if _, err := Assemble("func f\nconst 0\nreturn\nend\n", n); err == nil || !strings.Contains(err.Error(), "built-in") {
		t.Errorf("a native named like a built-in: %v", err)
	}
	// A built-in applied to the wrong object is an error of the bytecode.
	p := MustAssemble("global g\nvalue v\nfunc f\nload_global v\nnative lock_acquire\nreturn\nend\nfunc h\nconst 99\nnative value_get\nreturn\nend\n")
	th := New(p, nil).NewThread()
	if _, err := th.Call(0); err == nil || !strings.Contains(err.Error(), "v is a value, not a lock") {
		t.Errorf("lock_acquire on a value: %v", err)
	}
	if _, err := th.Call(1); err == nil || !strings.Contains(err.Error(), "99 is not the handle") {
		t.Errorf("value_get on 99: %v", err)
	}
	if len(p.Natives) != 2 {
		t.Errorf("%d natives; want the 2 built-ins the program uses", len(p.Natives))
	}
}

func TestNewSharedChecksMemory(t *testing.T) {
	p := MustAssemble(sharedSrc)
	if _, err := NewShared(p, Memory{Globals: NewAtomicGlobals(3)}); err == nil {
		t.Error("a store too small accepted")
	}
	if _, err := NewShared(p, Memory{Mutexes: []Mutex{NewMutex()}}); err == nil {
		t.Error("one mutex for two locks accepted")
	}
	if _, err := NewShared(p, Memory{CrossProcess: true}); err == nil || !strings.Contains(err.Error(), "map m") {
		t.Errorf("a map across processes: %v", err)
	}
	in := New(p, nil)
	if err := in.Share(New(MustAssemble(sharedSrc), nil).Shared()); err == nil {
		t.Error("Share of another program's state accepted")
	}
	in.NewThread()
	if err := in.Share(in.Shared()); err == nil {
		t.Error("Share after NewThread accepted")
	}
}

// TestLockKeepsTotalsExact: threads of interpreters that share one state, without an
// interpreter lock, on every core: with the lock the total is exact.
func TestLockKeepsTotalsExact(t *testing.T) {
	p := MustAssemble(sharedSrc)
	const threads, n = 4, 20_000
	for _, lock := range []struct {
		name string
		make func() Lock
	}{
		{"none", func() Lock { return nil }},
		{"gil", func() Lock { return NewGIL(100 * time.Microsecond) }},
		{"legacy", func() Lock { return NewLegacyGIL(0) }},
	} {
		t.Run(lock.name, func(t *testing.T) {
			shared, err := NewShared(p, Memory{})
			if err != nil {
				t.Fatal(err)
			}
			var ths []*Thread
			for k := range threads {
				// Two interpreters, two threads each: the state is shared by both.
				if k%2 == 0 {
					in := New(p, lock.make())
					if err := in.Share(shared); err != nil {
						t.Fatal(err)
					}
					ths = append(ths, in.NewThread())
				} else {
					ths = append(ths, ths[k-1].In.NewThread())
				}
			}
			errs := runThreads(ths, mustFunc(t, p, "incr_locked"), n)
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if c := load(t, shared, "counter"); c != threads*n {
				t.Errorf("counter = %d; want %d", c, threads*n)
			}
			if st := shared.ObjectStats(); st.Acquisitions != threads*n || st.Contended > st.Acquisitions {
				t.Errorf("lock stats %+v; want %d acquisitions", st, threads*n)
			}
		})
	}
}

// runThreads runs fn(arg) on every thread, each on a goroutine of its own.
func runThreads(ths []*Thread, fn int, arg Value) []error {
	errs := make([]error, len(ths))
	var wg sync.WaitGroup
	for i, th := range ths {
		wg.Go(func() {
			th.Attach()
			defer th.Detach()
			_, errs[i] = th.Call(fn, arg)
		})
	}
	wg.Wait()
	return errs
}

// TestGILNeverLosesGlobalUpdates: under the new GIL `counter += 1` on a global has no
// check point between its load and its store, so no update is lost, however often the
// lock changes hands.
func TestGILNeverLosesGlobalUpdates(t *testing.T) {
	p := MustAssemble(sharedSrc)
	in := New(p, NewGIL(MinSwitchInterval))
	ths := []*Thread{in.NewThread(), in.NewThread(), in.NewThread()}
	const n = 50_000
	for _, err := range runThreads(ths, mustFunc(t, p, "incr"), n) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if c := load(t, in.Shared(), "counter"); c != 3*n {
		t.Errorf("counter = %d; want %d: the GIL switched inside counter += 1", c, 3*n)
	}
}

// intruder is a Lock for one thread that plays "another thread" in Yield: it adds one
// to the integer (or value) named global, as a thread that ran while this one was
// switched out would. With rearm it sets a new drop request after each yield (a new GIL
// whose waiter asks all the time); tickingIntruder is a TickingLock of interval 1
// (CPython 2 at its most eager).
type intruder struct {
	global string
	rearm  bool
	yields Value
}

func (l *intruder) Register(*Thread)      {}
func (l *intruder) Take(*Thread)          {}
func (l *intruder) Drop(*Thread)          {}
func (l *intruder) BeginBlocking(*Thread) {}
func (l *intruder) EndBlocking(*Thread)   {}
func (l *intruder) Yield(t *Thread) {
	l.yields++
	k, err := t.shared.Slot(l.global)
	if err != nil {
		panic(err)
	}
	t.globals.Store(k, t.globals.Load(k)+1)
	if l.rearm {
		t.breaker.Or(BreakDropRequest)
	} else {
		t.breaker.And(^BreakDropRequest)
	}
}

type tickingIntruder struct{ *intruder }

func (tickingIntruder) CheckInterval() int64 { return 1 }

// TestWhereUpdatesAreLost runs `counter += 1` once with an intruder at every place the
// lock may change hands, and counts what is lost: nothing under the new GIL on a
// global; one update under a ticking lock (which may yield after load_global) and under
// the new GIL through a value object (a check point after value_get).
func TestWhereUpdatesAreLost(t *testing.T) {
	p := MustAssemble(sharedSrc)
	for _, c := range []struct {
		name, fn string
		in       *intruder
		ticking  bool
		wantLost Value
	}{
		{"gil/global", "incr", &intruder{global: "counter", rearm: true}, false, 0},
		{"legacy/global", "incr", &intruder{global: "counter"}, true, 1},
		{"gil/value", "incr_value", &intruder{global: "v", rearm: true}, false, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			var lock Lock = c.in
			if c.ticking {
				lock = tickingIntruder{c.in}
			}
			in := New(p, lock)
			th := in.NewThread()
			th.Attach()
			if c.in.rearm {
				th.breaker.Or(BreakDropRequest)
			}
			if _, err := th.Call(mustFunc(t, p, c.fn), 1); err != nil {
				t.Fatal(err)
			}
			// Every yield added one, and so did the thread.
			got := load(t, in.Shared(), c.in.global)
			if lost := c.in.yields + 1 - got; lost != c.wantLost || c.in.yields == 0 {
				t.Errorf("%s = %d after %d intrusions: %d updates lost; want %d", c.in.global, got, c.in.yields, lost, c.wantLost)
			}
		})
	}
}

func TestRLock(t *testing.T) {
	p := MustAssemble(sharedSrc)
	in := New(p, nil)
	a, b := in.NewThread(), in.NewThread()
	// Re-entry: reenter(3) acquires r four times, releases it four times.
	if _, err := a.Call(mustFunc(t, p, "reenter"), 3); err != nil {
		t.Fatal(err)
	}
	if st := in.Shared().ObjectStats(); st.Acquisitions != 1 {
		t.Errorf("%d mutex acquisitions for a re-entered rlock; want 1", st.Acquisitions)
	}
	// A release too many, and a release by a thread that does not hold it.
	if _, err := a.Call(mustFunc(t, p, "release_r")); !errors.Is(err, ErrNotOwner) {
		t.Errorf("release of a free rlock: %v", err)
	}
	if _, err := a.Call(mustFunc(t, p, "acquire_r")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Call(mustFunc(t, p, "release_r")); !errors.Is(err, ErrNotOwner) {
		t.Errorf("release by a thread that does not own the rlock: %v", err)
	}
	r, _ := in.Shared().Lock("r")
	if err := r.Acquire(nil); err == nil {
		t.Error("an rlock acquired outside a thread")
	}
	// b waits for a's release.
	done := make(chan error, 1)
	acquireR := mustFunc(t, p, "acquire_r")
	go func() {
		_, err := b.Call(acquireR)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("b acquired an rlock a holds: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	if _, err := a.Call(mustFunc(t, p, "release_r")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := b.Call(mustFunc(t, p, "release_r")); err != nil {
		t.Fatal(err)
	}
	// A plain Lock is not owned: anyone may release it, but not when it is free.
	if _, err := a.Call(mustFunc(t, p, "release_mu")); !errors.Is(err, ErrReleaseUnlocked) {
		t.Errorf("release of a free lock: %v", err)
	}
	mu, _ := in.Shared().Lock("mu")
	mu.Acquire(nil)
	if _, err := b.Call(mustFunc(t, p, "release_mu")); err != nil {
		t.Errorf("release of a lock held by someone else: %v", err)
	}
}

// TestBlockedAcquireReleasesTheGIL: a thread waiting for a lock object gives the GIL up,
// so another thread of its interpreter runs bytecode meanwhile. The switch interval is
// an hour: nothing but the wait can make the first thread drop the GIL.
func TestBlockedAcquireReleasesTheGIL(t *testing.T) {
	p := MustAssemble(sharedSrc)
	g := NewGIL(time.Hour)
	in := New(p, g)
	waiter, runner := in.NewThread(), in.NewThread()
	mu, _ := in.Shared().Lock("mu")
	if err := mu.Acquire(nil); err != nil { // Go code holds the lock
		t.Fatal(err)
	}
	waiter.Attach()
	done := make(chan error, 1)
	lockAndCount := mustFunc(t, p, "lock_and_count")
	go func() {
		_, err := waiter.Call(lockAndCount)
		waiter.Detach()
		done <- err
	}()
	runner.Attach() // returns once the waiter has given the GIL up
	if v, err := runner.Call(mustFunc(t, p, "incr"), 5); err != nil || v != 0 {
		t.Fatalf("runner: %d, %v", v, err)
	}
	select {
	case err := <-done:
		t.Fatalf("the waiter finished while the lock was held: %v", err)
	default:
	}
	runner.Detach()
	if err := mu.Release(nil); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c := load(t, in.Shared(), "counter"); c != 6 {
		t.Errorf("counter = %d; want 6", c)
	}
	st := in.Shared().ObjectStats()
	if st.Acquisitions != 2 || st.Contended != 1 || st.WaitNs <= 0 {
		t.Errorf("lock stats %+v; want 2 acquisitions, 1 contended, some wait", st)
	}
}
