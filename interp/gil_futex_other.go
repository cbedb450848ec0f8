//go:build !linux

package interp

import (
	"sync"
	"sync/atomic"
	"time"
)

// Without Linux futexes, waiting threads park on channels, one per waiter, kept in a
// table keyed by the word they wait on. Which waiter a wake-up reaches is FIFO here; the
// kernel still decides when the woken OS thread runs.

type parkQueue struct {
	mu      sync.Mutex
	waiters []chan struct{}
}

var parkTable sync.Map // *atomic.Uint32 -> *parkQueue

func parkQueueFor(addr *atomic.Uint32) *parkQueue {
	if q, ok := parkTable.Load(addr); ok {
		return q.(*parkQueue)
	}
	q, _ := parkTable.LoadOrStore(addr, new(parkQueue))
	return q.(*parkQueue)
}

func futexWait(addr *atomic.Uint32, val uint32, d time.Duration) futexResult {
	q := parkQueueFor(addr)
	q.mu.Lock()
	if addr.Load() != val {
		q.mu.Unlock()
		return futexWoken
	}
	ch := make(chan struct{}, 1)
	q.waiters = append(q.waiters, ch)
	q.mu.Unlock()
	if d < 0 {
		<-ch
		return futexWoken
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ch:
		return futexWoken
	case <-tm.C:
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, w := range q.waiters {
		if w == ch {
			q.waiters = append(q.waiters[:i], q.waiters[i+1:]...)
			return futexTimedOut
		}
	}
	return futexWoken // woken while timing out
}

func futexWake(addr *atomic.Uint32, n int) {
	q := parkQueueFor(addr)
	q.mu.Lock()
	defer q.mu.Unlock()
	for ; n > 0 && len(q.waiters) > 0; n-- {
		q.waiters[0] <- struct{}{}
		q.waiters = q.waiters[1:]
	}
}
