package mp

import (
	"context"
	"sync/atomic"
	"time"
)

// Shared memory of an Event: the flag, and a generation counter that every
// Set that raises the flag increments (waiters sleep on it).
const (
	offEventFlag = 0
	offEventGen  = 4
	eventShmSize = 64
)

// An Event is a flag shared by processes — Python's multiprocessing.Event
// (threading.Event's interface): Set raises it and wakes every waiter,
// Clear lowers it, Wait blocks until it is raised. The zero value is not
// usable; use NewEvent.
//
// Wait returns true (WaitTimeout) or nil (Wait, WaitContext) when the flag
// was raised at some moment during the wait, even if it was lowered again
// before the waiter ran, as threading.Event.wait returns True.
type Event struct {
	p prim
}

// NewEvent returns an Event whose flag is down.
func NewEvent() (*Event, error) {
	p, err := newPrim(kindEvent, eventShmSize)
	if err != nil {
		return nil, err
	}
	return &Event{p: p}, nil
}

func (e *Event) String() string { return e.p.String() }

// Set raises the flag and wakes every process waiting for it.
func (e *Event) Set() error {
	if err := e.p.enter("set"); err != nil {
		return err
	}
	defer e.p.mem.leave()
	if atomic.CompareAndSwapUint32(e.p.word(offEventFlag), 0, 1) {
		gen := e.p.word(offEventGen)
		atomic.AddUint32(gen, 1)
		futexWake(gen, 1<<30)
	}
	return nil
}

// Clear lowers the flag.
func (e *Event) Clear() error {
	if err := e.p.enter("clear"); err != nil {
		return err
	}
	defer e.p.mem.leave()
	atomic.StoreUint32(e.p.word(offEventFlag), 0)
	return nil
}

// IsSet reports whether the flag is up. It fails only on a closed handle.
func (e *Event) IsSet() (bool, error) {
	if err := e.p.enter("is_set"); err != nil {
		return false, err
	}
	defer e.p.mem.leave()
	return atomic.LoadUint32(e.p.word(offEventFlag)) == 1, nil
}

// Wait blocks until the flag is up.
func (e *Event) Wait() error {
	_, err := e.wait(wait{})
	return err
}

// WaitTimeout blocks until the flag is up or d has passed, and reports
// whether the flag came up (Python's wait(timeout)). A zero d only looks;
// a negative d is ErrNegativeTimeout.
func (e *Event) WaitTimeout(d time.Duration) (bool, error) {
	w, err := waitTimeout(d)
	if err != nil {
		return false, e.p.errorf("wait", err)
	}
	set, err := e.wait(w)
	if err == ErrTimeout {
		return false, nil
	}
	return set, err
}

// WaitContext blocks until the flag is up or ctx is done, and then returns
// the context's cause. If the flag is up it returns nil whatever the state
// of ctx.
func (e *Event) WaitContext(ctx context.Context) error {
	_, err := e.wait(wait{ctx: ctx})
	return err
}

// wait returns true once a Set happened; on expiry ErrTimeout itself (for
// WaitTimeout to recognise) or the wrapped cause.
func (e *Event) wait(w wait) (bool, error) {
	if err := e.p.enter("wait"); err != nil {
		return false, err
	}
	defer e.p.mem.leave()
	gen := e.p.word(offEventGen)
	g := atomic.LoadUint32(gen) // before the flag: a Set after this bumps gen
	if atomic.LoadUint32(e.p.word(offEventFlag)) == 1 {
		return true, nil
	}
	for atomic.LoadUint32(gen) == g {
		if err := w.sleepOn(e.p.mem, gen, g); err != nil {
			if err == ErrTimeout {
				return false, err
			}
			return false, e.p.errorf("wait", err)
		}
	}
	return true, nil
}

// Close unmaps the event in this process, waking its waiters here (they
// fail with ErrClosed). Other processes are not affected.
func (e *Event) Close() error { return e.p.mem.close(e.p.word(offEventGen)) }

// GobEncode fails: handles travel only as direct Process arguments.
func (e *Event) GobEncode() ([]byte, error) { return nil, errNested }

func (e *Event) share(pl *plan) (*handleSpec, error) { return e.p.spec(pl, kindEvent) }

func (*Event) bind(s *handleSpec, obj any) (any, error) {
	p, err := bindPrim(s, obj, kindEvent)
	if err != nil {
		return nil, err
	}
	return &Event{p: p}, nil
}
