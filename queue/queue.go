package queue

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Errors returned by queue operations. They stand for Python's exceptions.
var (
	// ErrFull is queue.Full: no free slot came within the time allowed.
	ErrFull = errors.New("queue: full")
	// ErrEmpty is queue.Empty: no item came within the time allowed.
	ErrEmpty = errors.New("queue: empty")
	// ErrShutDown is queue.ShutDown: the queue has been shut down.
	ErrShutDown = errors.New("queue: shut down")
	// ErrNegativeTimeout is the ValueError of a negative timeout.
	ErrNegativeTimeout = errors.New("queue: 'timeout' must be a non-negative number")
	// ErrTooManyTaskDone is the ValueError of task_done.
	ErrTooManyTaskDone = errors.New("queue: task_done() called too many times")
)

// A Queue is a synchronised queue for many producers and many consumers:
// Python's Queue, LifoQueue or PriorityQueue, chosen by its constructor.
//
// The zero Queue is an unbounded FIFO queue, ready to use. A Queue must not
// be copied after first use.
type Queue[T any] struct {
	mu         sync.Mutex
	items      store[T] // nil in a zero Queue until the first item is stored
	maxsize    int
	unfinished int // items put and not yet marked done
	shutdown   bool

	// Callers blocked in Get, Put and Join. Getters wait only while the
	// queue is empty and putters only while it is full: an item put while
	// a getter waits is handed to it, and a slot freed while a putter waits
	// is filled with its item, so neither has to look again.
	getters waitList[T]
	putters waitList[T]
	joiners waitList[T]
	pool    sync.Pool // of *waiter[T]
}

// New returns a FIFO queue (Python's Queue) that holds at most maxsize
// items, or any number if maxsize <= 0.
func New[T any](maxsize int) *Queue[T] {
	return &Queue[T]{items: new(fifo[T]), maxsize: maxsize}
}

// NewLifo returns a LIFO queue, a stack (Python's LifoQueue), that holds at
// most maxsize items, or any number if maxsize <= 0.
func NewLifo[T any](maxsize int) *Queue[T] {
	return &Queue[T]{items: new(lifo[T]), maxsize: maxsize}
}

// NewPriority returns a priority queue (Python's PriorityQueue) that holds at
// most maxsize items, or any number if maxsize <= 0. Get returns the lowest
// item by less first, for example with cmp.Less; equal items come out in no
// particular order. NewPriority panics if less is nil.
func NewPriority[T any](maxsize int, less func(a, b T) bool) *Queue[T] {
	if less == nil {
		panic("queue: NewPriority with nil less function")
	}
	return &Queue[T]{items: &prio[T]{less: less}, maxsize: maxsize}
}

// A wait says how long a call may block: not at all (nowait), until a
// timeout (timed), until ctx is done (ctx non-nil), or without limit.
type wait struct {
	nowait  bool
	timed   bool
	timeout time.Duration
	ctx     context.Context
}

// Put puts item into the queue, blocking until a slot is free. It fails only
// with ErrShutDown.
func (q *Queue[T]) Put(item T) error { return q.put(item, wait{}) }

// PutTimeout is Put that waits at most d for a free slot and fails with
// ErrFull after that. With d == 0 it fails at once if the queue is full; a
// negative d is ErrNegativeTimeout.
func (q *Queue[T]) PutTimeout(item T, d time.Duration) error {
	return q.put(item, wait{timed: true, timeout: d})
}

// PutContext is Put that stops waiting for a free slot when ctx is done and
// returns ctx.Err(). If a slot is free it puts item whatever the state of ctx.
func (q *Queue[T]) PutContext(ctx context.Context, item T) error {
	return q.put(item, wait{ctx: ctx})
}

// PutNowait puts item if a slot is free and fails with ErrFull otherwise.
func (q *Queue[T]) PutNowait(item T) error { return q.put(item, wait{nowait: true}) }

func (q *Queue[T]) put(item T, w wait) error {
	q.mu.Lock()
	if q.shutdown {
		q.mu.Unlock()
		return ErrShutDown
	}
	if w.timed && w.timeout < 0 {
		q.mu.Unlock()
		return ErrNegativeTimeout
	}
	if q.full() {
		return q.putSlow(item, w)
	}
	q.deliver(item)
	q.mu.Unlock()
	return nil
}

// putSlow is put into a full queue. It is called with q.mu held and
// releases it.
func (q *Queue[T]) putSlow(item T, w wait) error {
	if w.nowait || w.timed && w.timeout == 0 {
		q.mu.Unlock()
		return ErrFull
	}
	d := newDeadline(w, ErrFull)
	defer d.stop()
	wt := q.newWaiter()
	defer q.freeWaiter(wt)
	wt.item = item
	for {
		handed, err := q.park(&q.putters, wt, &d)
		switch {
		case handed:
			return nil
		case q.shutdown: // then the queue may have room, but puts fail
			q.mu.Unlock()
			return ErrShutDown
		case err != nil: // the queue is still full: see Queue.putters
			q.mu.Unlock()
			return err
		}
	}
}

// deliver adds item to the queue, which is not full, handing it straight to
// the longest-waiting getter if there is one.
func (q *Queue[T]) deliver(item T) {
	q.unfinished++
	if g := q.getters.pop(); g != nil { // the queue is empty
		g.item, g.handed = item, true
		g.wake()
		return
	}
	if q.items == nil {
		q.items = new(fifo[T])
	}
	q.items.put(item)
}

// Get removes and returns the next item, blocking until there is one. It
// fails only with ErrShutDown.
func (q *Queue[T]) Get() (T, error) { return q.get(wait{}) }

// GetTimeout is Get that waits at most d for an item and fails with ErrEmpty
// after that. With d == 0 it fails at once if the queue is empty; a negative
// d is ErrNegativeTimeout.
func (q *Queue[T]) GetTimeout(d time.Duration) (T, error) {
	return q.get(wait{timed: true, timeout: d})
}

// GetContext is Get that stops waiting for an item when ctx is done and
// returns ctx.Err(). If an item is there it returns it whatever the state of
// ctx.
func (q *Queue[T]) GetContext(ctx context.Context) (T, error) {
	return q.get(wait{ctx: ctx})
}

// GetNowait returns the next item if there is one and fails with ErrEmpty
// otherwise.
func (q *Queue[T]) GetNowait() (T, error) { return q.get(wait{nowait: true}) }

func (q *Queue[T]) get(w wait) (T, error) {
	q.mu.Lock()
	n := q.len()
	if q.shutdown && n == 0 {
		q.mu.Unlock()
		var zero T
		return zero, ErrShutDown
	}
	if w.timed && w.timeout < 0 {
		q.mu.Unlock()
		var zero T
		return zero, ErrNegativeTimeout
	}
	if n == 0 {
		return q.getSlow(w)
	}
	item := q.take()
	q.mu.Unlock()
	return item, nil
}

// getSlow is get from an empty queue. It is called with q.mu held and
// releases it.
func (q *Queue[T]) getSlow(w wait) (T, error) {
	var zero T
	if w.nowait || w.timed && w.timeout == 0 {
		q.mu.Unlock()
		return zero, ErrEmpty
	}
	d := newDeadline(w, ErrEmpty)
	defer d.stop()
	wt := q.newWaiter()
	defer q.freeWaiter(wt)
	for {
		handed, err := q.park(&q.getters, wt, &d)
		switch {
		case handed:
			return wt.item, nil
		case q.shutdown: // and the queue is empty, as it is while getters wait
			q.mu.Unlock()
			return zero, ErrShutDown
		case err != nil:
			q.mu.Unlock()
			return zero, err
		}
	}
}

// take removes the next item from the queue, which is not empty, and fills
// the slot it frees with the item of the longest-waiting putter if there is
// one.
func (q *Queue[T]) take() T {
	item := q.items.get()
	if p := q.putters.pop(); p != nil { // the queue was full
		q.items.put(p.item)
		q.unfinished++
		p.handed = true
		p.wake()
	}
	return item
}

// A deadline is the end of a wait: a timer, a context, both or neither.
type deadline struct {
	timer   *time.Timer
	expired error // returned when timer fires
	ctx     context.Context
	done    <-chan struct{}
}

func newDeadline(w wait, expired error) deadline {
	d := deadline{expired: expired, ctx: w.ctx}
	if w.timed {
		d.timer = time.NewTimer(w.timeout)
	}
	if w.ctx != nil {
		d.done = w.ctx.Done()
	}
	return d
}

func (d *deadline) stop() {
	if d.timer != nil {
		d.timer.Stop()
	}
}

// park puts wt on l, releases q.mu and blocks until wt is woken or d ends.
// If wt was handed its call, park returns true, without q.mu. Otherwise it
// returns false and, if d ended, d's error, with q.mu held and wt off l: the
// caller looks at the queue again. A waiter that was handed its call as d
// ended has succeeded, so that no item and no slot is lost.
func (q *Queue[T]) park(l *waitList[T], wt *waiter[T], d *deadline) (handed bool, err error) {
	l.push(wt)
	q.mu.Unlock()
	var timeout <-chan time.Time
	if d.timer != nil {
		timeout = d.timer.C
	}
	select {
	case <-wt.ch:
		if wt.handed {
			return true, nil
		}
		q.mu.Lock()
		return false, nil
	case <-timeout:
		err = d.expired
	case <-d.done:
		err = d.ctx.Err()
	}
	q.mu.Lock()
	if wt.queued {
		l.remove(wt)
		return false, err
	}
	<-wt.ch // woken meanwhile: take the token
	if wt.handed {
		q.mu.Unlock()
		return true, nil
	}
	return false, err
}

// newWaiter returns a waiter, new or reused.
func (q *Queue[T]) newWaiter() *waiter[T] {
	if w, _ := q.pool.Get().(*waiter[T]); w != nil {
		return w
	}
	return &waiter[T]{ch: make(chan struct{}, 1)}
}

// freeWaiter keeps w, off its list and without a token, for reuse.
func (q *Queue[T]) freeWaiter(w *waiter[T]) {
	var zero T
	w.handed, w.item = false, zero
	q.pool.Put(w)
}

// TaskDone marks one item that was put as done: Python's task_done. When
// every item put has been marked done, Join returns. Called more times than
// items were put, it fails with ErrTooManyTaskDone and changes nothing.
func (q *Queue[T]) TaskDone() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.unfinished == 0 {
		return ErrTooManyTaskDone
	}
	q.unfinished--
	if q.unfinished == 0 {
		q.joiners.wakeAll()
	}
	return nil
}

// Join blocks until every item put has been marked done with TaskDone.
func (q *Queue[T]) Join() {
	_ = q.JoinContext(context.Background()) // cannot fail
}

// JoinContext is Join that stops waiting when ctx is done and returns
// ctx.Err(). If every item is done already it returns nil.
func (q *Queue[T]) JoinContext(ctx context.Context) error {
	q.mu.Lock()
	if q.unfinished == 0 {
		q.mu.Unlock()
		return nil
	}
	d := newDeadline(wait{ctx: ctx}, nil)
	wt := q.newWaiter()
	defer q.freeWaiter(wt)
	for {
		_, err := q.park(&q.joiners, wt, &d) // joiners are never handed anything
		if q.unfinished == 0 {
			q.mu.Unlock()
			return nil
		}
		if err != nil {
			q.mu.Unlock()
			return err
		}
	}
}

// Shutdown shuts the queue down: afterwards Put fails with ErrShutDown, and
// Get fails with ErrShutDown once the queue is empty. If immediate, the items
// left are dropped at once and each is counted done, which may let Join
// return. Every caller blocked in Put or Get is woken. Shutdown may be called
// more than once.
func (q *Queue[T]) Shutdown(immediate bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.shutdown = true
	if immediate {
		for q.len() > 0 {
			q.items.get()
			if q.unfinished > 0 {
				q.unfinished--
			}
		}
		q.joiners.wakeAll()
	}
	q.getters.wakeAll()
	q.putters.wakeAll()
}

// IsShutdown reports whether Shutdown has been called: Python 3.13's
// is_shutdown.
func (q *Queue[T]) IsShutdown() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.shutdown
}

// UnfinishedTasks returns the number of items put and not yet marked done
// with TaskDone: Python's unfinished_tasks. Join returns once it is zero.
// Like Size, the answer may be stale by the time the caller acts on it.
func (q *Queue[T]) UnfinishedTasks() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.unfinished
}

// Size returns the number of items in the queue: Python's qsize. Like
// Python's, the answer may be stale by the time the caller acts on it.
func (q *Queue[T]) Size() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.len()
}

// Empty reports whether the queue holds no items.
func (q *Queue[T]) Empty() bool { return q.Size() == 0 }

// Full reports whether the queue is bounded and holds maxsize items or more.
func (q *Queue[T]) Full() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.full()
}

// MaxSize returns the maxsize the queue was made with.
func (q *Queue[T]) MaxSize() int { return q.maxsize }

func (q *Queue[T]) full() bool { return 0 < q.maxsize && q.maxsize <= q.len() }

func (q *Queue[T]) len() int {
	if q.items == nil {
		return 0
	}
	return q.items.len()
}

// waiters returns how many callers are blocked in Get, Put and Join; tests
// use it to act once a goroutine is observably blocked.
func (q *Queue[T]) waiters() (getters, putters, joiners int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.getters.n, q.putters.n, q.joiners.n
}
