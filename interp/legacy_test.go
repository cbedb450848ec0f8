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
