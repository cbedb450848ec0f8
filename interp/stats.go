package interp

import (
	"sort"
	"sync"
	"sync/atomic"
)

// LockStats are what an interpreter lock counted since its statistics were last reset.
// Times are in nanoseconds. They are figures, not results: how they are named and
// written (per task, in which unit) is the reader's business.
type LockStats struct {
	// Acquisitions counts every take of the lock: first attach, re-take after a yield,
	// after a blocking call.
	Acquisitions int64
	// Switches counts acquisitions by a thread other than the last holder: real
	// hand-offs (CPython's switch_number).
	Switches int64
	// DropRequests counts the drop requests waiters set after a whole interval passed
	// without a switch (new GIL only).
	DropRequests int64
	// ForcedDrops counts drops made with a drop request pending: requests honoured
	// (new GIL only).
	ForcedDrops int64
	// WaitNs is the time threads spent wanting the lock without holding it: waiting in
	// take and, after a forced drop, waiting for the hand-off.
	WaitNs int64
	// HoldNs is the time the lock was held.
	HoldNs int64
	// Threads are the same figures per thread, by thread id.
	Threads []ThreadLockStats
}

// ThreadLockStats are one thread's share of LockStats.
type ThreadLockStats struct {
	ID           int
	Acquisitions int64
	Switches     int64 // acquisitions of this thread that were switches
	ForcedDrops  int64
	WaitNs       int64
	HoldNs       int64
}

// threadStats is a thread's lock state (Thread.LockState): its counters and the
// timestamps of what it is doing. The counters are atomic so that statistics can be read
// while threads run; the timestamps belong to the thread (and, in the GIL, to the
// lock's mutex).
type threadStats struct {
	t            *Thread
	acquisitions atomic.Int64
	switches     atomic.Int64
	forcedDrops  atomic.Int64
	waitNs       atomic.Int64
	holdNs       atomic.Int64

	holdStart  int64 // when the current hold began
	blockStart int64 // when the current blocking call began (tracing only)
	fastAcq    int64 // legacy GIL: re-takes not yet added to acquisitions
	_          [64]byte
}

// statsCore is the statistics part shared by the locks: totals, the threads, the trace.
type statsCore struct {
	dropRequests atomic.Int64

	mu      sync.Mutex // guards threads
	threads []*threadStats

	tr *tracer // nil unless tracing
}

func (c *statsCore) register(t *Thread) *threadStats {
	st := &threadStats{t: t}
	t.LockState = st
	c.mu.Lock()
	c.threads = append(c.threads, st)
	c.mu.Unlock()
	if c.tr != nil {
		c.tr.thread(t.ID)
	}
	return st
}

func stateOf(t *Thread) *threadStats { return t.LockState.(*threadStats) }

func (c *statsCore) reset(now int64) {
	c.dropRequests.Store(0)
	c.mu.Lock()
	for _, st := range c.threads {
		st.acquisitions.Store(0)
		st.switches.Store(0)
		st.forcedDrops.Store(0)
		st.waitNs.Store(0)
		st.holdNs.Store(0)
	}
	c.mu.Unlock()
	if c.tr != nil {
		c.tr.reset(now)
	}
}

// stats sums the per-thread counters; extraHold adds the hold in progress of a thread.
func (c *statsCore) stats(extraHold func(st *threadStats) int64) LockStats {
	var s LockStats
	s.DropRequests = c.dropRequests.Load()
	c.mu.Lock()
	for _, st := range c.threads {
		ts := ThreadLockStats{
			ID:           st.t.ID,
			Acquisitions: st.acquisitions.Load(),
			Switches:     st.switches.Load(),
			ForcedDrops:  st.forcedDrops.Load(),
			WaitNs:       st.waitNs.Load(),
			HoldNs:       st.holdNs.Load(),
		}
		if extraHold != nil {
			ts.HoldNs += extraHold(st)
		}
		s.Acquisitions += ts.Acquisitions
		s.Switches += ts.Switches
		s.ForcedDrops += ts.ForcedDrops
		s.WaitNs += ts.WaitNs
		s.HoldNs += ts.HoldNs
		s.Threads = append(s.Threads, ts)
	}
	c.mu.Unlock()
	sort.Slice(s.Threads, func(i, j int) bool { return s.Threads[i].ID < s.Threads[j].ID })
	return s
}

func (c *statsCore) traceJSON(s LockStats) []byte {
	if c.tr == nil {
		return nil
	}
	return c.tr.json(s.Threads)
}
