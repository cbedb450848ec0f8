package mp

import (
	"context"
	"os"
	"sync/atomic"
	"time"
)

// Shared memory of an RLock: a mutex word (the same futex mutex as Lock),
// the owner and the recursion count.
const (
	offRLockMutex = 0
	offRLockOwner = 8 // uint64
	offRLockCount = 16
	rlockShmSize  = 64
)

// ownerSeq numbers the RLock handles of this process.
var ownerSeq atomic.Uint32

// newOwner returns an owner identity unique among the live processes of
// the machine: the pid and a handle number.
func newOwner() uint64 { return uint64(os.Getpid())<<32 | uint64(ownerSeq.Add(1)) }

// An RLock is a recursive lock shared by processes — Python's
// multiprocessing.RLock: its owner may acquire it again without blocking,
// and it is free once the owner has released it as many times as it
// acquired it. Only the owner may release it (ErrNotOwner otherwise).
//
// Python's owner is a (process, thread) pair. Goroutines have no identity,
// so here the owner is the handle: the *RLock value in one process. Every
// handle — the one NewRLock returns, the one a child gets from Arg, and
// each made with NewHandle — is an owner of its own. Goroutines that share
// a handle therefore share ownership (for them it is a counting lock, not
// mutual exclusion); goroutines that must exclude each other each take a
// handle of their own with NewHandle. A process that dies holding the lock
// leaves it held, as in Python. The zero value is not usable.
type RLock struct {
	p     prim
	mu    Lock // over the mutex word
	owner uint64
}

// NewRLock returns a free recursive lock.
func NewRLock() (*RLock, error) {
	p, err := newPrim(kindRLock, rlockShmSize)
	if err != nil {
		return nil, err
	}
	return newRLockHandle(p), nil
}

func newRLockHandle(p prim) *RLock {
	return &RLock{p: p, mu: Lock{mem: p.mem, word: p.word(offRLockMutex), id: p.id}, owner: newOwner()}
}

// NewHandle returns another handle on the same lock in this process: a
// different owner, for a goroutine that must be excluded by this one. The
// new handle lives as long as r: closing r closes it too, and its own
// Close only stops it from being used.
func (r *RLock) NewHandle() (*RLock, error) {
	if err := r.p.enter("new handle"); err != nil {
		return nil, err
	}
	defer r.p.mem.leave()
	return newRLockHandle(r.p.derived()), nil
}

func (r *RLock) String() string { return r.p.String() }

func (r *RLock) ownerWord() *uint64 { return (*uint64)(r.p.mem.ptr(offRLockOwner)) }

// Acquire takes the lock, waiting for it unless this handle holds it.
func (r *RLock) Acquire() error { return r.acquire("acquire", wait{}) }

// TryAcquire takes the lock if it is free or held by this handle, and
// reports whether it did. It fails only on a closed handle.
func (r *RLock) TryAcquire() (bool, error) {
	err := r.acquire("acquire", wait{nowait: true})
	if err == ErrTimeout {
		return false, nil
	}
	return err == nil, err
}

// AcquireTimeout takes the lock or gives up with ErrTimeout after d. A
// zero d tries once; a negative d is ErrNegativeTimeout.
func (r *RLock) AcquireTimeout(d time.Duration) error {
	w, err := waitTimeout(d)
	if err != nil {
		return r.p.errorf("acquire", err)
	}
	if err := r.acquire("acquire", w); err == ErrTimeout {
		return r.p.errorf("acquire", err)
	} else {
		return err
	}
}

// AcquireContext takes the lock or gives up when ctx is done, returning
// its cause; the lock is then unchanged.
func (r *RLock) AcquireContext(ctx context.Context) error {
	return r.acquire("acquire", wait{ctx: ctx})
}

// acquire returns ErrTimeout itself when a deadline or nowait expires.
func (r *RLock) acquire(op string, w wait) error {
	if err := r.p.enter(op); err != nil {
		return err
	}
	defer r.p.mem.leave()
	if atomic.LoadUint64(r.ownerWord()) == r.owner {
		atomic.AddUint32(r.p.word(offRLockCount), 1)
		return nil
	}
	if w.nowait {
		if !atomic.CompareAndSwapUint32(r.mu.word, unlocked, locked) {
			return ErrTimeout
		}
	} else if err := r.mu.acquire(op, w); err != nil {
		if err = w.mutexErr(err); err == ErrTimeout {
			return err
		}
		return r.p.errorf(op, err)
	}
	atomic.StoreUint64(r.ownerWord(), r.owner)
	atomic.StoreUint32(r.p.word(offRLockCount), 1)
	return nil
}

// Release undoes one Acquire of this handle; the last one frees the lock.
// Releasing a lock this handle does not hold is ErrNotOwner.
func (r *RLock) Release() error {
	if err := r.p.enter("release"); err != nil {
		return err
	}
	defer r.p.mem.leave()
	if atomic.LoadUint64(r.ownerWord()) != r.owner {
		return r.p.errorf("release", ErrNotOwner)
	}
	if atomic.AddUint32(r.p.word(offRLockCount), ^uint32(0)) > 0 {
		return nil
	}
	atomic.StoreUint64(r.ownerWord(), 0)
	return r.mu.Release()
}

// Locked reports whether some handle, in any process, holds the lock.
func (r *RLock) Locked() (bool, error) {
	if err := r.p.enter("locked"); err != nil {
		return false, err
	}
	defer r.p.mem.leave()
	return atomic.LoadUint32(r.mu.word) != unlocked, nil
}

// IsMine reports whether this handle holds the lock, and how many times.
func (r *RLock) IsMine() (bool, int, error) {
	if err := r.p.enter("is_mine"); err != nil {
		return false, 0, err
	}
	defer r.p.mem.leave()
	if atomic.LoadUint64(r.ownerWord()) != r.owner {
		return false, 0, nil
	}
	return true, int(atomic.LoadUint32(r.p.word(offRLockCount))), nil
}

// Close unmaps the lock in this process (a handle made by NewHandle: see
// there). Other processes are not affected.
func (r *RLock) Close() error { return r.p.close(r.mu.word) }

// GobEncode fails: handles travel only as direct Process arguments.
func (r *RLock) GobEncode() ([]byte, error) { return nil, errNested }

func (r *RLock) share(pl *plan) (*handleSpec, error) { return r.p.spec(pl, kindRLock) }

func (*RLock) bind(s *handleSpec, obj any) (any, error) {
	p, err := bindPrim(s, obj, kindRLock)
	if err != nil {
		return nil, err
	}
	return newRLockHandle(p), nil
}

// The lock interface of a Condition: what Wait needs to give the lock up
// entirely and take it back.

// checkOwned fails unless this handle holds the lock.
func (r *RLock) checkOwned() error {
	if atomic.LoadUint64(r.ownerWord()) != r.owner {
		return ErrNotOwner
	}
	return nil
}

// releaseSave frees the lock whatever its recursion count and returns the
// count, for acquireRestore.
func (r *RLock) releaseSave() uint32 {
	n := atomic.SwapUint32(r.p.word(offRLockCount), 0)
	atomic.StoreUint64(r.ownerWord(), 0)
	r.mu.Release()
	return n
}

// acquireRestore takes the lock back with the count releaseSave returned,
// waiting as long as it takes: a Condition's waiter returns holding it.
func (r *RLock) acquireRestore(n uint32) {
	r.mu.acquire("acquire", wait{})
	atomic.StoreUint64(r.ownerWord(), r.owner)
	atomic.StoreUint32(r.p.word(offRLockCount), n)
}
