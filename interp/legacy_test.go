package interp

import (
	"runtime"
	"testing"
	"time"
)

func TestLegacyNeverTwoHolders(t *testing.T) {
	l := NewLegacyGIL(DefaultCheckInterval)
	c := stress(t, l, 4, 1000)
	if m := c.max.Load(); m != 1 {
		t.Fatalf("%d threads held the legacy GIL at once", m)
	}
	if st := l.m.state.Load(); st != 0 {
		t.Fatalf("lock state %d after every thread detached; want 0", st)
	}
}

func TestLegacyWaiterIsWokenOnRelease(t *testing.T) {
	l := NewLegacyGIL(DefaultCheckInterval)
	in := New(MustAssemble(countdownSrc), l)
	a, b := in.NewThread(), in.NewThread()
	a.Attach()
	got := make(chan struct{})
	go func() {
		b.Attach()
		close(got)
	}()
	for l.m.state.Load() != 2 { // B has marked the lock as waited for
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

func TestLegacyYieldsEveryCheckInterval(t *testing.T) {
	l := NewLegacyGIL(90)
	th := New(MustAssemble(countdownSrc), l).NewThread()
	l.ResetStats()
	th.Attach()
	if _, err := th.Call(0, 100); err != nil {
		t.Fatal(err)
	}
	th.Detach()
	// 906 instructions but 302 of CPython 2.7's ticks, a yield at the first check point
	// after every 91 ticks (see TestTickingLockYieldsEveryInterval): 3 re-takes besides
	// the attach, where counting instructions gave 10.
	s := l.Stats()
	if s.Acquisitions != 4 || s.Switches != 1 || s.WaitNs != 0 || s.ForcedDrops != 0 {
		t.Fatalf("stats %+v; want 4 acquisitions, 1 switch, no wait", s)
	}
}

func TestLegacyStatisticsAddUp(t *testing.T) {
	l := NewLegacyGIL(DefaultCheckInterval)
	var clock int64
	l.now = func() int64 { return clock } // single goroutine below: no race
	in := New(MustAssemble(countdownSrc), l)
	a, b := in.NewThread(), in.NewThread()
	l.ResetStats()

	a.Attach() // t=0
	clock = 100
	l.Yield(a) // nobody waits: the hold goes on, no clock read
	l.Yield(a)
	clock = 300
	a.Blocking(func() { // A's hold ends at 300
		clock = 400
		b.Attach() // B takes the free lock at 400
		clock = 1000
		l.Yield(b)
		b.Detach() // B's hold: 600
	}) // A takes again at 1000
	clock = 1500
	a.Detach() // A's hold: 300 + 500

	s := l.Stats()
	ta, tb := s.Threads[0], s.Threads[1]
	if ta.Acquisitions != 4 || tb.Acquisitions != 2 {
		t.Errorf("acquisitions A %d, B %d; want 4, 2", ta.Acquisitions, tb.Acquisitions)
	}
	if ta.Switches != 2 || tb.Switches != 1 {
		t.Errorf("switches A %d, B %d; want 2, 1", ta.Switches, tb.Switches)
	}
	if ta.HoldNs != 800 || tb.HoldNs != 600 {
		t.Errorf("hold A %d, B %d; want 800, 600", ta.HoldNs, tb.HoldNs)
	}
	if s.Acquisitions != 6 || s.Switches != 3 || s.HoldNs != 1400 || s.WaitNs != 0 {
		t.Errorf("totals %+v", s)
	}
	if s.HoldNs > clock {
		t.Errorf("hold %d > elapsed %d", s.HoldNs, clock)
	}
}

// countdownRotatedSrc is `while n > 0: n -= 1` as the compiler emits it: the test
// rotated to the bottom, 8 instructions a turn where CPython 2.7 runs 9 bytecodes.
const countdownRotatedSrc = `
func countdown n
	load n
	const 0
	gt
	jump_if_false done
loop:
	load n
	const 1
	sub
	store n
	load n
	const 0
	gt
	jump_if_true loop
done:
	load n
	return
end
`

// TestLegacyCountsCPython27Ticks: the check interval is CPython 2.7's ticks, 3 a turn of
// `while n > 0: n -= 1` in both shapes (INPLACE_SUBTRACT, COMPARE_OP, JUMP_ABSOLUTE; the
// loads, stores and the jump on the comparison's bool take the fast path), so the
// holder yields every 101/3 = 33.7 turns, as 2.7.18 releases (check interval 100: a
// release every 101 ticks), where counting instructions yielded every 12 or 13.
func TestLegacyCountsCPython27Ticks(t *testing.T) {
	const turns = 34_000
	for _, c := range []struct{ name, src string }{
		{"cpython2-shape", countdownSrc}, {"compiled", countdownRotatedSrc},
	} {
		l := NewLegacyGIL(DefaultCheckInterval)
		th := New(MustAssemble(c.src), l).NewThread()
		l.ResetStats()
		th.Attach()
		if _, err := th.Call(0, turns); err != nil {
			t.Fatal(err)
		}
		th.Detach()
		yields := l.Stats().Acquisitions - 1
		if want := int64(3 * turns / 101); yields < want-2 || yields > want+2 {
			t.Errorf("%s: %d yields in %d turns; want %d±2 (one every 101 ticks, 3 a turn)", c.name, yields, turns, want)
		}
		if got, want := th.legacyTicks, int64(3*turns); got < want || got > want+4 {
			t.Errorf("%s: %d ticks in %d turns; want %d+(at most 4)", c.name, got, turns, want)
		}
	}
}

// lostUpdateSrc is the lost-update workload's loop, `for i in range(n): counter += 1`
// as the compiler emits it: 6 ticks a turn (load_global, add, store_global, the loop
// variable's add and lt, the backward jump), with check points for a ticking lock after
// load_global, after store_global and at the backward jump.
const lostUpdateSrc = `
global counter
func task n
	var i
	const 0
	store i
loop:
	load_global counter
	const 1
	add
	store_global counter
	load i
	const 1
	add
	store i
	load i
	load n
	lt
	jump_if_true loop
	load i
	return
end
`

// placeLock records the tick count at each yield.
type placeLock struct {
	tickingLock
	at []int64
}

func (l *placeLock) Yield(t *Thread) { l.at = append(l.at, t.legacyTicks) }

// TestLegacyReleasePlaceMovesRoundTheLoop: CPython 2.7 releases at the exact tick, so
// with a period (101) that is not a multiple of the loop's ticks the release lands at
// every place in turn, between the load and the store of `counter += 1` among them. The
// emulation yields at the first check point once a release is due; the next one is due a
// period after this one was due, not after the check point, or it would stay on one.
func TestLegacyReleasePlaceMovesRoundTheLoop(t *testing.T) {
	l := &placeLock{tickingLock: tickingLock{countingLock{every: DefaultCheckInterval}}}
	th := New(MustAssemble(lostUpdateSrc), l).NewThread()
	th.Attach()
	defer th.Detach()
	if _, err := th.Call(0, 10_000); err != nil {
		t.Fatal(err)
	}
	// Ticks: 1 at the entry, then turn k runs from 1+6k: load_global ends at 1+6k+1,
	// store_global at 1+6k+3, the backward jump at 1+6k+6.
	places := map[int64]int{}
	for _, at := range l.at {
		places[(at-1)%6]++
	}
	if n := len(l.at); n < 6*10_000/101-2 || n > 6*10_000/101+2 {
		t.Errorf("%d yields in 60,000 ticks; want one every 101", n)
	}
	for _, p := range []struct {
		off  int64
		name string
	}{{1, "after load_global, inside counter += 1"}, {3, "after store_global"}, {0, "at the backward jump"}} {
		if places[p.off] == 0 {
			t.Errorf("no yield %s (yields by place in the turn: %v)", p.name, places)
		}
	}
}
