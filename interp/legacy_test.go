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
	// 906 instructions, a yield at the first check point after every 90 (see
	// TestTickingLockYieldsEveryInterval): 10 re-takes besides the attach.
	s := l.Stats()
	if s.Acquisitions != 11 || s.Switches != 1 || s.WaitNs != 0 || s.ForcedDrops != 0 {
		t.Fatalf("stats %+v; want 11 acquisitions, 1 switch, no wait", s)
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
