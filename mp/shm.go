package mp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A shm is a small region of shared memory: a memfd mapped MAP_SHARED in
// every process that holds a handle on it. Counters in it are changed with
// atomic instructions and waited on with futexes (the shared, not the
// process-private, kind), exactly like the POSIX semaphores CPython's
// multiprocessing uses.
//
// A process keeps the memfd open while it holds the handle so that it can
// pass it on to its own children.
type shm struct {
	f   *os.File
	mem []byte

	// state counts the calls in flight that touch mem; closedBit says no
	// new call may start. mem is unmapped once closed and no call is left.
	state atomic.Int64
}

const closedBit = 1 << 62

func newShm(name string, size int) (*shm, error) {
	if !supported {
		return nil, ErrUnsupported
	}
	fd, err := memfdCreate(name)
	if err != nil {
		return nil, fmt.Errorf("mp: memfd_create: %w", err)
	}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("mp: ftruncate memfd: %w", err)
	}
	return mapShm(os.NewFile(uintptr(fd), name), size)
}

// mapShm maps an inherited memfd of the given size.
func mapShm(f *os.File, size int) (*shm, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("mp: fstat shared memory: %w", err)
	}
	if st.Size != int64(size) {
		f.Close()
		return nil, fmt.Errorf("mp: shared memory is %d bytes, want %d", st.Size, size)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("mp: mmap shared memory: %w", err)
	}
	return &shm{f: f, mem: mem}, nil
}

// word returns the 32-bit word at byte offset off (a multiple of 4).
func (s *shm) word(off int) *uint32 { return (*uint32)(unsafe.Pointer(&s.mem[off])) }

// enter registers a call that will touch the memory; it fails once the
// region is closed. Every successful enter is paired with leave.
func (s *shm) enter() bool {
	for {
		v := s.state.Load()
		if v&closedBit != 0 {
			return false
		}
		if s.state.CompareAndSwap(v, v+1) {
			return true
		}
	}
}

func (s *shm) leave() { s.state.Add(-1) }

func (s *shm) isClosed() bool { return s.state.Load()&closedBit != 0 }

// close refuses new users, wakes the waiters in this process through the
// given words (they find the handle closed) and unmaps the region once the
// calls in flight have left.
func (s *shm) close(words ...*uint32) error {
	for {
		v := s.state.Load()
		if v&closedBit != 0 {
			return nil
		}
		if s.state.CompareAndSwap(v, v|closedBit) {
			break
		}
	}
	for s.state.Load() != closedBit {
		// Waiters re-check at least every maxFutexSlice; a wake normally
		// ends their wait at once.
		for _, w := range words {
			futexWake(w, 1<<30)
		}
		time.Sleep(time.Millisecond)
	}
	err := unix.Munmap(s.mem)
	return errors.Join(err, s.f.Close())
}

// maxFutexSlice bounds one futex sleep so that a waiter re-checks its
// condition even if a wake-up was lost (a waker killed between its change
// and its wake).
const maxFutexSlice = 250 * time.Millisecond

// A wait describes how long a blocking call may wait: forever, until a
// context is done, until a deadline, or not at all.
type wait struct {
	ctx      context.Context // nil: no context
	deadline time.Time       // zero: none
	nowait   bool
}

func waitTimeout(d time.Duration) (wait, error) {
	if d < 0 {
		return wait{}, errNegativeTimeout
	}
	if d == 0 {
		return wait{nowait: true}, nil
	}
	return wait{deadline: time.Now().Add(d)}, nil
}

var errNegativeTimeout = ErrNegativeTimeout

// expired reports whether the wait is over, and why: timedOut for a
// deadline or nowait, else the context's cause.
func (w wait) expired() (over, timedOut bool, cause error) {
	if w.nowait {
		return true, true, nil
	}
	if w.ctx != nil && w.ctx.Err() != nil {
		return true, false, context.Cause(w.ctx)
	}
	if !w.deadline.IsZero() && !time.Now().Before(w.deadline) {
		return true, true, nil
	}
	return false, false, nil
}

// on blocks until ch is closed, the wait expires or (nil unless expired)
// reports why it expired: errTimedOut or the context's cause.
func (w wait) on(ch <-chan struct{}) error {
	if w.nowait {
		return errTimedOut
	}
	var done <-chan struct{}
	if w.ctx != nil {
		done = w.ctx.Done()
	}
	var timeout <-chan time.Time
	if !w.deadline.IsZero() {
		d := time.Until(w.deadline)
		if d <= 0 {
			return errTimedOut
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ch:
		return nil
	case <-done:
		return context.Cause(w.ctx)
	case <-timeout:
		return errTimedOut
	}
}

// errTimedOut is internal: callers turn it into ErrFull, ErrEmpty or
// ErrTimeout.
var errTimedOut = errors.New("mp: timed out")

// futexSleep sleeps on addr while it holds val, for at most the rest of w
// (and maxFutexSlice). A context's cancellation wakes it through a futex
// wake on addr.
func (w wait) futexSleep(addr *uint32, val uint32) {
	d := maxFutexSlice
	if !w.deadline.IsZero() {
		d = min(d, time.Until(w.deadline))
		if d <= 0 {
			return
		}
	}
	if w.ctx != nil && w.ctx.Done() != nil {
		stop := context.AfterFunc(w.ctx, func() { futexWake(addr, 1<<30) })
		defer stop()
		if w.ctx.Err() != nil {
			return
		}
	}
	futexWait(addr, val, d)
}

// A sem is a counting semaphore in shared memory: the free slots of a
// bounded queue. waiters counts the sleepers so that releases wake only when
// someone sleeps.
type sem struct {
	val, waiters *uint32
	stop         *uint32 // if not nil: nonzero fails acquire with errShutDown
}

// acquire takes one unit. On expiry it returns errTimedOut or the context's
// cause and leaves the semaphore as it was.
func (s sem) acquire(w wait, h *shm) error {
	for {
		v := atomic.LoadUint32(s.val)
		if v > 0 {
			if atomic.CompareAndSwapUint32(s.val, v, v-1) {
				return nil
			}
			continue
		}
		if over, timedOut, cause := w.expired(); over {
			if timedOut {
				return errTimedOut
			}
			return cause
		}
		if h.isClosed() {
			return errHandleClosed
		}
		if s.stop != nil && atomic.LoadUint32(s.stop) != 0 {
			return errShutDown
		}
		atomic.AddUint32(s.waiters, 1)
		if atomic.LoadUint32(s.val) == 0 {
			w.futexSleep(s.val, 0)
		}
		atomic.AddUint32(s.waiters, ^uint32(0))
	}
}

// release returns one unit.
func (s sem) release() {
	atomic.AddUint32(s.val, 1)
	if atomic.LoadUint32(s.waiters) > 0 {
		futexWake(s.val, 1<<30)
	}
}

var (
	errHandleClosed = errors.New("handle closed")
	errShutDown     = errors.New("shut down")
)
