package mp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// Errors of the synchronisation primitives (Event, Semaphore, RLock,
// Condition, Barrier), Array and Connection. They stand for Python's
// exceptions.
var (
	// ErrNegativeTimeout is the ValueError of a negative timeout: every
	// call that takes a timeout refuses a negative one and changes nothing.
	ErrNegativeTimeout = errors.New("'timeout' must be a non-negative number")
	// ErrClosed is returned by every call on a handle after its Close.
	ErrClosed = errors.New("handle is closed")
	// ErrNotOwner is returned by Release of an RLock the caller does not
	// hold, and by Condition calls made without holding its lock (Python's
	// "cannot release un-acquired lock" and "lock is not owned").
	ErrNotOwner = errors.New("lock is not owned by the caller")
	// ErrReleasedTooManyTimes is the ValueError of a BoundedSemaphore
	// released above its initial value.
	ErrReleasedTooManyTimes = errors.New("semaphore or lock released too many times")
	// ErrBrokenBarrier is threading.BrokenBarrierError: the barrier was
	// aborted, reset while a party waited, or a party gave up waiting.
	ErrBrokenBarrier = errors.New("barrier is broken")
)

// The primitives added after Lock and Value travel as handles of kind
// handleLock, so that a child maps their memory as it maps a Lock's
// (openShared), and are told apart by handleSpec.Type, which is empty for
// a Lock. A primitive that needs a second descriptor (the lock of a
// Condition, the socket of a Connection) passes it as handleSpec.Conn;
// keepExtraFile keeps it from leaking into the child's own children.
const (
	kindEvent     = "Event"
	kindSemaphore = "Semaphore"
	kindBounded   = "BoundedSemaphore"
	kindRLock     = "RLock"
	kindCondition = "Condition"
	kindBarrier   = "Barrier"
	kindConn      = "Connection"
	kindArray     = "Array" // Type is "Array[<element type>]"
)

// sharedKindName names the kind of a shared-memory handle for messages.
func sharedKindName(s *handleSpec) string {
	if s.Kind == handleLock && s.Type != "" {
		return s.Type
	}
	return handleKindName(s.Kind)
}

// keepExtraFile marks a handle's second descriptor close-on-exec in the
// child as soon as the child reads its arguments: bind wraps it later, when
// the target asks for the argument.
func keepExtraFile(s *handleSpec) {
	if (s.Kind == handleLock && s.Type != "" || s.Kind == handleValue) && s.Conn >= controlFD {
		syscall.CloseOnExec(s.Conn)
	}
}

// extraFile is the second descriptor of a handle received from a parent.
func extraFile(s *handleSpec, name string) (*os.File, error) {
	if s.Conn < controlFD {
		return nil, fmt.Errorf("%s without its second descriptor", s.Type)
	}
	return os.NewFile(uintptr(s.Conn), name), nil
}

// A prim is the shared memory of one primitive, as seen by one handle.
type prim struct {
	mem  *shm
	id   uint64
	kind string
	// gone is set for a handle made by NewHandle, which shares the mapping
	// of the handle it was made from (so that Go's race detector sees the
	// synchronisation between them): its Close only marks it closed.
	gone *atomic.Bool
}

func newPrim(kind string, size int) (prim, error) {
	id := sharedIDs.Add(1)
	m, err := newShm(fmt.Sprintf("mp-%s-%d", kind, id), size)
	if err != nil {
		return prim{}, fmt.Errorf("mp: new %s: %w", kind, err)
	}
	return prim{mem: m, id: id, kind: kind}, nil
}

func (p *prim) String() string { return fmt.Sprintf("%s %d", p.kind, p.id) }

// errorf wraps err with the handle and the operation: "mp: Event 3: wait: ...".
func (p *prim) errorf(op string, err error) error {
	return fmt.Errorf("mp: %s: %s: %w", p, op, err)
}

// enter registers a call that touches the memory, or fails on a closed
// handle.
func (p *prim) enter(op string) error {
	if p.gone != nil && p.gone.Load() || !p.mem.enter() {
		return p.errorf(op, ErrClosed)
	}
	return nil
}

// derived returns a handle on the same mapping, closed by its own Close
// only in name (see gone).
func (p *prim) derived() prim {
	d := *p
	d.gone = new(atomic.Bool)
	return d
}

// close closes the handle: unmaps the memory (waking the waiters here on
// words), or only marks a derived handle closed.
func (p *prim) close(words ...*uint32) error {
	if p.gone != nil {
		p.gone.Store(true)
		return nil
	}
	return p.mem.close(words...)
}

func (p *prim) word(off int) *uint32 { return p.mem.word(off) }

// spec describes the primitive for a child; the memory stays mapped here
// until the child has started.
func (p *prim) spec(pl *plan, typ string) (*handleSpec, error) {
	if err := p.enter("pass to a child"); err != nil {
		return nil, err
	}
	pl.release = append(pl.release, p.mem.leave)
	return &handleSpec{Kind: handleLock, ID: p.id, Creator: os.Getpid(), Type: typ,
		Size: len(p.mem.mem), Conn: -1, Shm: pl.add(p.mem.f, false)}, nil
}

// bindPrim checks that a handle received by a child is of the kind asked
// for and returns its memory.
func bindPrim(s *handleSpec, obj any, typ string) (prim, error) {
	m, ok := obj.(*shm)
	if !ok || s.Kind != handleLock || s.Type != typ {
		return prim{}, fmt.Errorf("is a %s, not a %s", sharedKindName(s), typ)
	}
	return prim{mem: m, id: s.ID, kind: typ}, nil
}

// waitErr turns the expiry of a wait into the error a caller sees.
func waitErr(timedOut bool, cause error) error {
	if timedOut {
		return ErrTimeout
	}
	return cause
}

// sleepOn waits once on addr while it holds val (a futex sleep bounded by
// w and maxFutexSlice), after checking that w has not expired and the
// handle is open. It returns a non-nil error when the caller must give up.
func (w wait) sleepOn(m *shm, addr *uint32, val uint32) error {
	if over, timedOut, cause := w.expired(); over {
		return waitErr(timedOut, cause)
	}
	if m.isClosed() {
		return ErrClosed
	}
	if atomic.LoadUint32(addr) == val {
		w.futexSleep(addr, val)
	}
	return nil
}

// ptr returns the address of byte off of the region.
func (s *shm) ptr(off int) unsafe.Pointer { return unsafe.Pointer(&s.mem[off]) }

func isTimeout(err error) bool { return errors.Is(err, ErrTimeout) }

// mutexErr turns an error of a primitive's inner mutex (a Lock, whose
// messages name the Lock) into the bare reason, for the primitive to wrap
// with its own name.
func (w wait) mutexErr(err error) error {
	switch {
	case isTimeout(err):
		return ErrTimeout
	case w.ctx != nil && w.ctx.Err() != nil:
		return context.Cause(w.ctx)
	case errors.Is(err, ErrLockClosed):
		return ErrClosed
	}
	return err
}
