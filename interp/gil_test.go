package interp

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The GIL's invariants, tested deterministically: its condition variables and clock are
// replaced by a harness in which the test decides when a timed wait times out, which
// waiter a signal wakes (the first) and what time it is. Threads are actors: goroutines
// that run what the test sends them and say when each step is done. The test waits for
// events (a thread started waiting, a step finished), never for time.

const testInterval = 5 * time.Millisecond

// failsafe bounds every wait for an event; reaching it means a deadlock, not slowness.
const failsafe = 20 * time.Second

type harness struct {
	t      *testing.T
	clock  atomic.Int64
	mu     sync.Mutex
	events chan event
	g      *GIL
}

type event struct {
	cond string // "cond" or "switch"
	t    *Thread
}

type fakeWaiter struct {
	t  *Thread
	ch chan bool // true: timed out
}

// fakeCond is a condVar driven by the test.
type fakeCond struct {
	name    string
	h       *harness
	waiters []*fakeWaiter // guarded by h.mu
}

func (c *fakeCond) wait(mu *kmutex, _ time.Duration, t *Thread) bool {
	w := &fakeWaiter{t: t, ch: make(chan bool, 1)}
	c.h.mu.Lock()
	c.waiters = append(c.waiters, w)
	c.h.mu.Unlock()
	mu.unlock()
	c.h.events <- event{cond: c.name, t: t}
	timedOut := <-w.ch
	mu.lock()
	return timedOut
}

func (c *fakeCond) signal() {
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	if len(c.waiters) > 0 {
		c.waiters[0].ch <- false
		c.waiters = c.waiters[1:]
	}
}

// timeout ends t's timed wait on c as timed out, after advancing the clock by d.
func (c *fakeCond) timeout(t *Thread, d time.Duration) {
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	for i, w := range c.waiters {
		if w.t == t {
			c.h.clock.Add(int64(d))
			c.waiters = slices.Delete(c.waiters, i, i+1)
			w.ch <- true
			return
		}
	}
	c.h.t.Fatalf("thread %d is not waiting on %s", t.ID, c.name)
}

func newHarness(t *testing.T) (*harness, *fakeCond, *fakeCond) {
	h := &harness{t: t, events: make(chan event, 100)}
	cond := &fakeCond{name: "cond", h: h}
	sw := &fakeCond{name: "switch", h: h}
	h.g = newGIL(testInterval, cond, sw, h.clock.Load)
	return h, cond, sw
}

// expectWait waits until thread th waits on the condition called name.
func (h *harness) expectWait(name string, th *Thread) {
	h.t.Helper()
	select {
	case e := <-h.events:
		if e.cond != name || e.t != th {
			h.t.Fatalf("thread %d waits on %s; want thread %d waiting on %s", e.t.ID, e.cond, th.ID, name)
		}
	case <-time.After(failsafe):
		h.t.Fatalf("deadlock: thread %d never waited on %s", th.ID, name)
	}
}

// drainUntil skips th's hand-off waits until th waits on the condition called name.
func (h *harness) drainUntil(name string, th *Thread) {
	h.t.Helper()
	for {
		select {
		case e := <-h.events:
			if e.t != th {
				h.t.Fatalf("unexpected: thread %d waits on %s", e.t.ID, e.cond)
			}
			if e.cond == name {
				return
			}
		case <-time.After(failsafe):
			h.t.Fatalf("deadlock: thread %d never waited on %s", th.ID, name)
		}
	}
}

// isLocked reads the lock's state under its mutex.
func (h *harness) isLocked() bool {
	h.g.mu.lock()
	defer h.g.mu.unlock()
	return h.g.locked
}

func (h *harness) noEvents() {
	h.t.Helper()
	select {
	case e := <-h.events:
		h.t.Fatalf("unexpected: thread %d waits on %s", e.t.ID, e.cond)
	default:
	}
}

// actor runs steps for one thread on its own goroutine.
type actor struct {
	t    *testing.T
	th   *Thread
	cmds chan func()
	done chan struct{}
}

func newActor(t *testing.T, in *Interpreter) *actor {
	a := &actor{t: t, th: in.NewThread(), cmds: make(chan func()), done: make(chan struct{}, 16)}
	go func() {
		for f := range a.cmds {
			f()
			a.done <- struct{}{}
		}
	}()
	t.Cleanup(func() { close(a.cmds) })
	return a
}

// start runs f on the actor; finish waits until it is done.
func (a *actor) start(f func(th *Thread)) { a.cmds <- func() { f(a.th) } }

func (a *actor) finish() {
	a.t.Helper()
	select {
	case <-a.done:
	case <-time.After(failsafe):
		a.t.Fatalf("deadlock: thread %d's step never finished", a.th.ID)
	}
}

func (a *actor) running() bool { return len(a.done) == 0 }

func (a *actor) do(f func(th *Thread)) {
	a.t.Helper()
	a.start(f)
	a.finish()
}

func hasRequest(th *Thread) bool { return th.Breaker().Load()&BreakDropRequest != 0 }

func TestGILDropRequestOnlyAfterAFullIntervalWithoutSwitch(t *testing.T) {
	h, cond, _ := newHarness(t)
	in := New(MustAssemble(countdownSrc), h.g)
	a, b, c := newActor(t, in), newActor(t, in), newActor(t, in)

	a.do(h.g.Take)
	b.start(h.g.Take)
	h.expectWait("cond", b.th)
	c.start(h.g.Take)
	h.expectWait("cond", c.th)
	if hasRequest(a.th) {
		t.Fatal("drop request before any wait timed out")
	}

	// A drops voluntarily (a blocking call): B, the first waiter, is woken and takes the
	// lock: a switch.
	a.do(h.g.BeginBlocking)
	b.finish()
	if got := h.g.lastHolder.Load(); got != b.th {
		t.Fatalf("holder = thread %d; want %d", got.ID, b.th.ID)
	}
	// C's wait times out, but a switch happened during it: no request, wait again.
	cond.timeout(c.th, testInterval)
	h.expectWait("cond", c.th)
	if hasRequest(b.th) {
		t.Fatal("drop request although the lock switched during the interval")
	}
	// A whole interval with no switch: C asks the holder, B, to drop.
	cond.timeout(c.th, testInterval)
	h.expectWait("cond", c.th)
	if !hasRequest(b.th) {
		t.Fatal("no drop request after a whole interval without a switch")
	}
	if hasRequest(a.th) || hasRequest(c.th) {
		t.Fatal("drop request set on a thread that does not hold the lock")
	}
	if got := h.g.Stats().DropRequests; got != 1 {
		t.Fatalf("DropRequests = %d; want 1", got)
	}

	// B honours the request: C takes the lock, B waits for it again.
	b.start(h.g.Yield)
	c.finish()
	h.drainUntil("cond", b.th)
	c.do(h.g.Drop)
	b.finish()
	b.do(h.g.Drop)
	a.do(h.g.EndBlocking)
	a.do(h.g.Drop)
	h.noEvents()
}

func TestGILForcedDropperWaitsForHandOff(t *testing.T) {
	h, cond, _ := newHarness(t)
	in := New(MustAssemble(countdownSrc), h.g)
	a, b := newActor(t, in), newActor(t, in)
	var order []int // thread ids in the order they acquired the lock
	take := func(th *Thread) { h.g.Take(th); order = append(order, th.ID) }

	a.do(take)
	b.start(take)
	h.expectWait("cond", b.th)
	cond.timeout(b.th, testInterval) // B asks A to drop
	h.expectWait("cond", b.th)
	if !hasRequest(a.th) {
		t.Fatal("no drop request")
	}

	// A yields at a check point. It drops the lock (signalling B) and must not take it
	// back before B has had it. With the fake condition, B's wake-up is the signal: the
	// harness delivers it at once, and B runs when the scheduler lets it. A meanwhile
	// either waits on the hand-off condition or finds that B already took the lock.
	a.start(func(th *Thread) {
		h.g.release(th, false)
		take(th)
	})
	b.finish()
	// B holds the lock now; A is waiting for it (perhaps on the hand-off first, which
	// B's take signalled), not holding it.
	if got := h.g.lastHolder.Load(); got != b.th {
		t.Fatalf("holder = thread %d; want B (%d)", got.ID, b.th.ID)
	}
	h.drainUntil("cond", a.th)
	if !a.running() {
		t.Fatal("forced dropper took the lock back while B holds it")
	}
	b.do(h.g.Drop)
	a.finish()
	if want := []int{a.th.ID, b.th.ID, a.th.ID}; !slices.Equal(order, want) {
		t.Fatalf("acquisition order %v; want %v", order, want)
	}
	a.do(h.g.Drop)
	if s := h.g.Stats(); s.ForcedDrops != 1 || s.Switches != 3 || s.Acquisitions != 3 {
		t.Fatalf("ForcedDrops %d, Switches %d, Acquisitions %d; want 1, 3, 3", s.ForcedDrops, s.Switches, s.Acquisitions)
	}
}

func TestGILForcedDropperBlocksOnHandOff(t *testing.T) {
	// The same as above with the order pinned down: the hand-off signal is held back
	// until A is seen waiting on it, so A's wait is certain.
	h, cond, _ := newHarness(t)
	in := New(MustAssemble(countdownSrc), h.g)
	a, b := newActor(t, in), newActor(t, in)

	a.do(h.g.Take)
	b.start(h.g.Take)
	h.expectWait("cond", b.th)
	// Keep B from taking the lock when A signals: B's pending wait is removed from the
	// fake condition, so the drop's signal wakes nobody.
	h.mu.Lock()
	bw := cond.waiters[0]
	cond.waiters = nil
	h.mu.Unlock()
	a.th.Breaker().Or(BreakDropRequest) // as if B had asked
	a.start(h.g.Yield)
	h.expectWait("switch", a.th) // A waits for the hand-off, not for the lock
	if h.isLocked() {
		t.Fatal("lock still held after the forced drop")
	}
	bw.ch <- false // now B wakes and takes the lock, signalling the hand-off
	b.finish()
	h.expectWait("cond", a.th) // A asks again and waits: B holds the lock
	if got := h.g.lastHolder.Load(); got != b.th {
		t.Fatalf("holder = thread %d; want %d", got.ID, b.th.ID)
	}
	b.do(h.g.Drop)
	a.finish()
	a.do(h.g.Drop)
}

func TestGILWaitersAreWokenOnRelease(t *testing.T) {
	h, _, _ := newHarness(t)
	in := New(MustAssemble(countdownSrc), h.g)
	a := newActor(t, in)
	others := []*actor{newActor(t, in), newActor(t, in), newActor(t, in)}
	a.do(h.g.Take)
	for _, o := range others {
		o.start(h.g.Take)
		h.expectWait("cond", o.th)
	}
	// Every release wakes one waiter, which takes the lock; no timeout is needed.
	a.do(h.g.Drop)
	for _, o := range others {
		o.finish()
		o.do(h.g.Drop)
	}
	h.noEvents()
}

func TestGILStatisticsAddUp(t *testing.T) {
	h, cond, _ := newHarness(t)
	in := New(MustAssemble(countdownSrc), h.g)
	a, b := newActor(t, in), newActor(t, in)
	h.g.ResetStats()

	a.do(h.g.Take) // t=0: A holds
	h.clock.Store(1000)
	b.start(h.g.Take) // t=1000: B waits
	h.expectWait("cond", b.th)
	cond.timeout(b.th, 5_000_000) // t=5_001_000: B asks A to drop
	h.expectWait("cond", b.th)
	h.clock.Add(2000)  // t=5_003_000: A reaches a check point
	a.start(h.g.Yield) // forced drop; B takes the lock
	b.finish()
	h.drainUntil("cond", a.th) // A waits (hand-off, then the lock)
	h.clock.Add(7000)          // t=5_010_000
	b.do(h.g.BeginBlocking)    // B blocks; A takes the lock back
	a.finish()
	h.clock.Add(3000)     // t=5_013_000
	a.do(h.g.Drop)        // A detaches
	b.do(h.g.EndBlocking) // t=5_013_000: B takes again, uncontended
	h.clock.Add(1000)     // t=5_014_000
	b.do(h.g.Drop)

	s := h.g.Stats()
	check := func(name string, got, want int64) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %d; want %d", name, got, want)
		}
	}
	ta, tb := s.Threads[0], s.Threads[1]
	check("A acquisitions", ta.Acquisitions, 2)
	check("B acquisitions", tb.Acquisitions, 2)
	check("A switches", ta.Switches, 2)
	check("B switches", tb.Switches, 2) // B's re-take after A held it
	check("A forced drops", ta.ForcedDrops, 1)
	check("B forced drops", tb.ForcedDrops, 0)
	check("A hold", ta.HoldNs, 5_003_000+3000)
	check("B hold", tb.HoldNs, 7000+1000)
	check("A wait", ta.WaitNs, 7000) // hand-off and lock: from its drop to its re-take
	check("B wait", tb.WaitNs, 5_002_000)
	check("drop requests", s.DropRequests, 1)
	check("acquisitions", s.Acquisitions, ta.Acquisitions+tb.Acquisitions)
	check("switches", s.Switches, ta.Switches+tb.Switches)
	check("forced drops", s.ForcedDrops, ta.ForcedDrops+tb.ForcedDrops)
	check("hold", s.HoldNs, ta.HoldNs+tb.HoldNs)
	check("wait", s.WaitNs, ta.WaitNs+tb.WaitNs)
	if s.HoldNs > h.clock.Load() {
		t.Errorf("hold %d ns > elapsed %d ns: two holders at once", s.HoldNs, h.clock.Load())
	}
	check("forced drops in all", s.ForcedDrops, 1)
	check("acquisitions in all", s.Acquisitions, 4)
	h.g.ResetStats()
	if s := h.g.Stats(); s.Acquisitions != 0 || s.HoldNs != 0 || s.WaitNs != 0 || s.DropRequests != 0 {
		t.Errorf("after ResetStats: %+v", s)
	}
}

// holderCheck counts the threads inside the lock; more than one is a failure.
type holderCheck struct {
	inside atomic.Int32
	max    atomic.Int32
}

func (c *holderCheck) enter() {
	n := c.inside.Add(1)
	for {
		m := c.max.Load()
		if n <= m || c.max.CompareAndSwap(m, n) {
			return
		}
	}
}

func (c *holderCheck) leave() { c.inside.Add(-1) }

// stress runs threads of one interpreter that take the lock, work, yield when asked,
// block now and then and drop, on OS threads of their own, with the real kernel waits.
func stress(t *testing.T, l Lock, threads, rounds int) *holderCheck {
	var c holderCheck
	in := New(MustAssemble(countdownSrc), l)
	var wg sync.WaitGroup
	for k := range threads {
		th := in.NewThread()
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for r := range rounds {
				th.Attach()
				c.enter()
				for i := range 200 {
					if th.Breaker().Load()&BreakDropRequest != 0 || (r+i+k)%50 == 0 {
						c.leave()
						l.Yield(th)
						c.enter()
					}
				}
				if r%3 == 0 {
					c.leave()
					th.Blocking(func() {})
					c.enter()
				}
				c.leave()
				th.Detach()
			}
		})
	}
	wg.Wait()
	return &c
}

func TestGILNeverTwoHolders(t *testing.T) {
	g := NewGIL(time.Microsecond) // the smallest interval: requests and hand-offs all the time
	g.EnableTrace(1000)
	c := stress(t, g, 4, 1000)
	if m := c.max.Load(); m != 1 {
		t.Fatalf("%d threads held the GIL at once", m)
	}
	s := g.Stats()
	if s.Switches > s.Acquisitions || s.ForcedDrops > s.Acquisitions {
		t.Fatalf("statistics do not add up: %+v", s)
	}
	if g.locked {
		t.Fatal("GIL still locked after every thread detached")
	}
}

func TestGILRealWaitersAreWoken(t *testing.T) {
	// With the kernel condition variables: a waiter blocked in Take gets the lock when
	// the holder drops it, without waiting for a timeout (the interval is an hour).
	g := NewGIL(time.Hour)
	in := New(MustAssemble(countdownSrc), g)
	a, b := in.NewThread(), in.NewThread()
	a.Attach()
	got := make(chan struct{})
	go func() {
		b.Attach()
		close(got)
	}()
	// Wait until B is inside Take's wait (it counted itself as a waiter).
	for g.cond.(*kcond).waiters.Load() == 0 {
		runtime.Gosched()
	}
	a.Detach()
	select {
	case <-got:
	case <-time.After(failsafe):
		t.Fatal("waiter not woken by the release")
	}
	b.Detach()
}

func TestGILHoldsWhileRunningBytecode(t *testing.T) {
	// Threads running countdown under a GIL with a tiny interval compute the right
	// answers; the eval loop's check points yield through Yield.
	g := NewGIL(time.Microsecond)
	in := New(MustAssemble(countdownSrc), g)
	var wg sync.WaitGroup
	for range 3 {
		th := in.NewThread()
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			th.Attach()
			defer th.Detach()
			for range 5 {
				if v, err := th.Call(0, 200_000); err != nil || v != 0 {
					t.Errorf("countdown = %d, %v", v, err)
				}
			}
		})
	}
	wg.Wait()
}

func TestGILMinimumInterval(t *testing.T) {
	if got := NewGIL(0).SwitchInterval(); got != MinSwitchInterval {
		t.Fatalf("interval %v; want %v", got, MinSwitchInterval)
	}
}

// BenchmarkCountdownGILUncontended is BenchmarkCountdown with one thread holding a GIL:
// the lock machinery costs nothing while nobody asks for the lock.
func BenchmarkCountdownGILUncontended(b *testing.B) {
	benchCountdown(b, countdownSrc, NewGIL(5*time.Millisecond))
}

// BenchmarkCountdownLegacyUncontended: the legacy GIL's holder releases and re-takes the
// lock every 100 instructions even alone.
func BenchmarkCountdownLegacyUncontended(b *testing.B) {
	benchCountdown(b, countdownSrc, NewLegacyGIL(DefaultCheckInterval))
}
