package interp

import (
	"errors"
	"iter"
	"sync"
	"time"
)

// Loop is an asyncio event loop: coroutines, each running one Thread, take turns on the
// one goroutine that calls Run, and a coroutine runs until it awaits. It is the Lock of
// the interpreter whose threads are its coroutines:
//
//   - The holder never gives the loop up at a check point: Yield does nothing and nobody
//     ever sets a drop request. CPU work never yields.
//   - A blocking call (Thread.Blocking: a native that releases the lock, a wait for a
//     lock object) is an await point. Await starts the call on a helper goroutine — the
//     I/O proceeds while other coroutines run, as the kernel's does under a selector —
//     parks the coroutine and returns to the loop, which runs the next ready coroutine.
//     When the call has finished the coroutine is ready again, at the back of the
//     queue.
//   - Coroutines are iter.Pull coroutines: a switch is a direct goroutine switch on the
//     loop's own OS thread (runtime.coroswitch), with no scheduler and no other thread
//     involved. Only the coroutine the loop resumed runs interpreter code.
//
// The loop measures what asyncio users call loop lag: the time from a coroutine
// becoming ready (spawned, or its awaited call finished) to the loop resuming it.
//
// A Loop's Spawn and Run are for one goroutine at a time (the loop's); Await is called
// by the running coroutine; the helpers only hand finished calls back.
type Loop struct {
	running *coro // the coroutine the loop resumed, nil between resumes
	ready   []*coro
	live    int // coroutines spawned and not yet returned
	last    *coro

	mu   sync.Mutex
	done []*coro       // finished awaits, not yet moved to ready (guarded by mu)
	wake chan struct{} // a finished await for a loop with nothing ready

	now func() int64
	// statistics, written by the loop's goroutine only
	lags     []time.Duration
	switches int64
	awaits   int64
	resumes  int64
}

// coro is one coroutine of a Loop.
type coro struct {
	t       *Thread
	next    func() (struct{}, bool)
	stop    func()
	yield   func(struct{}) bool
	readyAt int64
}

// NewLoop returns an empty event loop.
func NewLoop() *Loop { return &Loop{wake: make(chan struct{}, 1), now: monoNow} }

// ErrLoopBusy is Spawn or Run called while the loop runs a coroutine.
var ErrLoopBusy = errors.New("interp: the event loop is running a coroutine")

// Spawn adds a coroutine that runs f, the body of thread t (a thread of an interpreter
// whose lock is l), ready at once: asyncio.create_task. It runs when Run gets to it.
// Spawn must be called on the goroutine that will call Run (the coroutine belongs to
// its OS thread if that is locked).
func (l *Loop) Spawn(t *Thread, f func()) error {
	if l.running != nil {
		return ErrLoopBusy
	}
	c := &coro{t: t}
	c.next, c.stop = iter.Pull(func(yield func(struct{}) bool) {
		c.yield = yield
		f()
	})
	c.readyAt = l.now()
	l.ready = append(l.ready, c)
	l.live++
	return nil
}

// Run runs the loop until every spawned coroutine has returned: asyncio's run_forever
// round by round. Each round takes the awaits that have finished (waiting for one if no
// coroutine is ready, as a selector's poll does), then resumes every coroutine that was
// ready at its start, in order. A coroutine's body must not panic (the runner recovers
// each task's panic inside it): a panic goes on up from Run and leaves the coroutines
// that were parked behind.
func (l *Loop) Run() error {
	if l.running != nil {
		return ErrLoopBusy
	}
	for l.live > 0 {
		l.poll(len(l.ready) == 0)
		n := len(l.ready)
		for _, c := range l.ready[:n] {
			l.resume(c)
		}
		l.ready = append(l.ready[:0], l.ready[n:]...)
	}
	return nil
}

// poll moves finished awaits to the ready queue; block waits for one first.
func (l *Loop) poll(block bool) {
	if block {
		<-l.wake
	}
	l.mu.Lock()
	l.ready = append(l.ready, l.done...)
	clear(l.done)
	l.done = l.done[:0]
	l.mu.Unlock()
	// A wake-up left over from awaits taken just now would make the next blocking poll
	// return early; that poll then finds nothing and waits again, which is harmless.
}

// resume runs c until it awaits or returns.
func (l *Loop) resume(c *coro) {
	now := l.now()
	l.lags = append(l.lags, time.Duration(now-c.readyAt))
	l.resumes++
	if l.last != nil && l.last != c {
		l.switches++
	}
	l.last = c
	l.running = c
	_, ok := c.next()
	l.running = nil
	if !ok {
		l.live--
	}
}

// Await runs f, a blocking call of t, the way a coroutine awaits: f starts on a helper
// goroutine, the coroutine parks, the loop runs others, and Await returns once f has
// finished and the loop has resumed t. Called outside the coroutine the loop is running
// (not from t's coroutine), it runs f in place, as a synchronous call blocks a loop.
func (l *Loop) Await(t *Thread, f func()) {
	c := l.running
	if c == nil || c.t != t {
		f()
		return
	}
	l.awaits++
	go func() {
		f()
		l.mu.Lock()
		c.readyAt = l.now()
		l.done = append(l.done, c)
		l.mu.Unlock()
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}()
	c.yield(struct{}{})
}

// The Lock side: the running coroutine holds the loop by being resumed, so taking,
// dropping and yielding have nothing to do.

func (l *Loop) Register(*Thread)      {}
func (l *Loop) Take(*Thread)          {}
func (l *Loop) Drop(*Thread)          {}
func (l *Loop) Yield(*Thread)         {}
func (l *Loop) BeginBlocking(*Thread) {}
func (l *Loop) EndBlocking(*Thread)   {}

// LoopStats are what a Loop counted since its statistics were last reset.
type LoopStats struct {
	Resumes  int64 // coroutine resumptions, the first run of each included
	Switches int64 // resumptions of a coroutine other than the one resumed before
	Awaits   int64 // awaits that parked a coroutine
	// Lags are the loop lags, one per resumption: from ready to resumed.
	Lags []time.Duration
}

// Stats returns the loop's figures; call it from the loop's goroutine, outside Run.
func (l *Loop) Stats() LoopStats {
	return LoopStats{Resumes: l.resumes, Switches: l.switches, Awaits: l.awaits, Lags: append([]time.Duration(nil), l.lags...)}
}

// ResetStats starts new statistics; call it from the loop's goroutine, outside Run.
func (l *Loop) ResetStats() {
	l.resumes, l.switches, l.awaits, l.lags, l.last = 0, 0, 0, l.lags[:0], nil
}
