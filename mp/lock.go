package mp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrUnlocked is returned by Release of a lock that is not held.
var ErrUnlocked = errors.New("release unlocked lock")

// Shared memory of a Lock or Value: the lock word, then (Value) the value.
const (
	offLock     = 0
	offValue    = 8
	lockShmSize = 64
)

// Lock states (Drepper's futex mutex).
const (
	unlocked  = 0
	locked    = 1
	contended = 2
)

var sharedIDs atomic.Uint64

// A Lock is a mutex shared by processes — Python's multiprocessing.Lock.
// Any process holding a handle may release it (it is not owned), and a
// process that dies holding it leaves it held, as in Python. The zero value
// is not usable; use NewLock.
type Lock struct {
	mem  *shm
	word *uint32
	id   uint64
}

// NewLock returns an unlocked lock.
func NewLock() (*Lock, error) {
	id := sharedIDs.Add(1)
	m, err := newShm(fmt.Sprintf("mp-lock-%d", id), lockShmSize)
	if err != nil {
		return nil, err
	}
	return &Lock{mem: m, word: m.word(offLock), id: id}, nil
}

func (l *Lock) String() string { return fmt.Sprintf("Lock %d", l.id) }

// Acquire takes the lock, waiting for it.
func (l *Lock) Acquire() error { return l.acquire("acquire", wait{}) }

// TryAcquire takes the lock if it is free and reports whether it did
// (Python's acquire(block=False)). It fails only on a closed handle.
func (l *Lock) TryAcquire() (bool, error) {
	if !l.mem.enter() {
		return false, fmt.Errorf("mp: %s: acquire: %w", l, ErrLockClosed)
	}
	defer l.mem.leave()
	return atomic.CompareAndSwapUint32(l.word, unlocked, locked), nil
}

// AcquireContext takes the lock or gives up when ctx is done, returning its
// cause; the lock is then unchanged.
func (l *Lock) AcquireContext(ctx context.Context) error {
	return l.acquire("acquire", wait{ctx: ctx})
}

// AcquireTimeout takes the lock or gives up with ErrTimeout after d. A
// zero d tries once; a negative d is an error.
func (l *Lock) AcquireTimeout(d time.Duration) error {
	w, err := waitTimeout(d)
	if err != nil {
		return fmt.Errorf("mp: %s: acquire: %w", l, err)
	}
	return l.acquire("acquire", w)
}

func (l *Lock) acquire(op string, w wait) error {
	if !l.mem.enter() {
		return fmt.Errorf("mp: %s: %s: %w", l, op, ErrLockClosed)
	}
	defer l.mem.leave()
	if atomic.CompareAndSwapUint32(l.word, unlocked, locked) {
		return nil
	}
	for {
		if atomic.SwapUint32(l.word, contended) == unlocked {
			return nil
		}
		if over, timedOut, cause := w.expired(); over {
			// We may have consumed a wake-up meant for another waiter.
			futexWake(l.word, 1)
			if timedOut {
				return fmt.Errorf("mp: %s: %s: %w", l, op, ErrTimeout)
			}
			return fmt.Errorf("mp: %s: %s: %w", l, op, cause)
		}
		if l.mem.isClosed() {
			return fmt.Errorf("mp: %s: %s: %w", l, op, ErrLockClosed)
		}
		w.futexSleep(l.word, contended)
	}
}

// Locked reports whether the lock is held, by any process (Python 3.14's
// Lock.locked). It fails only on a closed handle.
func (l *Lock) Locked() (bool, error) {
	if !l.mem.enter() {
		return false, fmt.Errorf("mp: %s: locked: %w", l, ErrLockClosed)
	}
	defer l.mem.leave()
	return atomic.LoadUint32(l.word) != unlocked, nil
}

// Release unlocks the lock; releasing a lock that is not held is an error
// (ErrUnlocked), and leaves it unlocked.
func (l *Lock) Release() error {
	if !l.mem.enter() {
		return fmt.Errorf("mp: %s: release: %w", l, ErrLockClosed)
	}
	defer l.mem.leave()
	switch atomic.SwapUint32(l.word, unlocked) {
	case unlocked:
		return fmt.Errorf("mp: %s: release: %w", l, ErrUnlocked)
	case contended:
		futexWake(l.word, 1)
	}
	return nil
}

// Close unmaps the lock in this process. Other processes are not affected.
func (l *Lock) Close() error { return l.mem.close(l.word) }

// ErrLockClosed is returned by a closed Lock or Value handle.
var ErrLockClosed = errors.New("lock or value handle is closed")

// GobEncode fails: handles travel only as direct Process arguments.
func (l *Lock) GobEncode() ([]byte, error) { return nil, errNested }

func (l *Lock) share(pl *plan) (*handleSpec, error) {
	if !l.mem.enter() {
		return nil, fmt.Errorf("mp: %s: pass to a child: %w", l, ErrLockClosed)
	}
	pl.release = append(pl.release, l.mem.leave)
	return &handleSpec{Kind: handleLock, ID: l.id, Creator: os.Getpid(), Size: len(l.mem.mem),
		Conn: -1, Shm: pl.add(l.mem.f, false)}, nil
}

func (*Lock) bind(s *handleSpec, obj any) (any, error) {
	m, ok := obj.(*shm)
	if !ok || s.Kind != handleLock || s.Type != "" {
		return nil, fmt.Errorf("is a %s, not a Lock", sharedKindName(s))
	}
	return &Lock{mem: m, word: m.word(offLock), id: s.ID}, nil
}

// openShared maps a Lock's or Value's memory in a child.
func openShared(s *handleSpec, f *os.File) (*shm, error) {
	if s.Size < lockShmSize || s.Size > 1<<30 {
		f.Close()
		return nil, fmt.Errorf("mp: shared memory size %d out of range", s.Size)
	}
	keepExtraFile(s)
	return mapShm(f, s.Size)
}

// A Value is a T in shared memory guarded by a Lock — Python's
// multiprocessing.Value. T must be plain fixed-size data: numbers, bools,
// and arrays and structs of them (no pointers, strings, slices or maps).
//
// A raw value (NewRawValue: Value(..., lock=False), RawValue) has no lock:
// Load and Store read and write it without one, each 8-byte word with one
// atomic instruction (so a value of one word is never torn, and no access is
// a data race in Go's sense), and a Load followed by a Store is a
// read-modify-write that other processes can interleave with — updates get
// lost, exactly as `v.value += 1` loses them in Python.
type Value[T any] struct {
	lock  Lock  // the value's own memory and lock word
	guard *Lock // a lock given to NewValueWithLock, used instead of its own
	ptr   *T
	raw   bool
}

// NewValue returns a shared value holding v, guarded by a lock of its own.
func NewValue[T any](v T) (*Value[T], error) { return newValue(v, false) }

// NewRawValue returns a shared value holding v without a lock: Python's
// Value(typecode, v, lock=False), or RawValue.
func NewRawValue[T any](v T) (*Value[T], error) { return newValue(v, true) }

// NewValueWithLock returns a shared value holding v, guarded by lk, which
// may guard other values too: Python's Value(typecode, v, lock=lk). The
// value keeps its own handle of lk: closing lk's handle does not affect it.
func NewValueWithLock[T any](v T, lk *Lock) (*Value[T], error) {
	g, err := lk.dup()
	if err != nil {
		return nil, err
	}
	x, err := newValue(v, false)
	if err != nil {
		g.Close()
		return nil, err
	}
	x.guard = g
	return x, nil
}

func newValue[T any](v T, raw bool) (*Value[T], error) {
	t := reflect.TypeFor[T]()
	if !isPlain(t, true) {
		return nil, fmt.Errorf("mp: NewValue: %s is not plain fixed-size data", t)
	}
	id := sharedIDs.Add(1)
	size := (offValue + int(t.Size()) + 63) &^ 63
	m, err := newShm(fmt.Sprintf("mp-value-%d", id), size)
	if err != nil {
		return nil, err
	}
	x := &Value[T]{lock: Lock{mem: m, word: m.word(offLock), id: id}, ptr: (*T)(unsafe.Pointer(&m.mem[offValue])), raw: raw}
	*x.ptr = v
	return x, nil
}

func (v *Value[T]) String() string {
	if v.raw {
		return fmt.Sprintf("RawValue[%s] %d", reflect.TypeFor[T](), v.lock.id)
	}
	return fmt.Sprintf("Value[%s] %d", reflect.TypeFor[T](), v.lock.id)
}

// ErrNoLock is returned by Update of a raw value: without a lock there is
// no atomic read-modify-write.
var ErrNoLock = errors.New("value has no lock (lock=False)")

// loadWords reads the value of a raw Value, an atomic load per 8-byte word.
func (v *Value[T]) loadWords() T {
	var x T
	dst := unsafe.Slice((*byte)(unsafe.Pointer(&x)), unsafe.Sizeof(x))
	src := unsafe.Pointer(v.ptr) // 8-aligned: offValue in a mapped page
	var b [8]byte
	for i := 0; i < len(dst); i += 8 {
		w := atomic.LoadUint64((*uint64)(unsafe.Add(src, i)))
		binary.NativeEndian.PutUint64(b[:], w)
		copy(dst[i:], b[:])
	}
	return x
}

// storeWords writes the value of a raw Value, an atomic store per 8-byte
// word (the bytes after T in its last word are padding of the region).
func (v *Value[T]) storeWords(x T) {
	src := unsafe.Slice((*byte)(unsafe.Pointer(&x)), unsafe.Sizeof(x))
	dst := unsafe.Pointer(v.ptr)
	for i := 0; i < len(src); i += 8 {
		var b [8]byte
		copy(b[:], src[i:])
		atomic.StoreUint64((*uint64)(unsafe.Add(dst, i)), binary.NativeEndian.Uint64(b[:]))
	}
}

// Lock returns the lock that guards the value (Python's get_lock), for
// holding it across several operations with LoadLocked and StoreLocked; nil
// for a raw value.
func (v *Value[T]) Lock() *Lock {
	if v.raw {
		return nil
	}
	return v.mutex()
}

func (v *Value[T]) mutex() *Lock {
	if v.guard != nil {
		return v.guard
	}
	return &v.lock
}

// Load returns the value, taking the lock for the read (a raw value: without
// a lock).
func (v *Value[T]) Load() (T, error) { return v.LoadContext(context.Background()) }

// LoadContext is Load that gives up waiting for the lock when ctx is done.
func (v *Value[T]) LoadContext(ctx context.Context) (T, error) {
	var x T
	if v.raw {
		if !v.lock.mem.enter() {
			return x, fmt.Errorf("mp: %s: %w", v, ErrLockClosed)
		}
		defer v.lock.mem.leave()
		return v.loadWords(), nil
	}
	err := v.UpdateContext(ctx, func(cur T) T { x = cur; return cur })
	return x, err
}

// Store sets the value, taking the lock for the write (a raw value: without
// a lock).
func (v *Value[T]) Store(x T) error { return v.StoreContext(context.Background(), x) }

// StoreContext is Store that gives up waiting for the lock when ctx is done.
func (v *Value[T]) StoreContext(ctx context.Context, x T) error {
	if v.raw {
		if !v.lock.mem.enter() {
			return fmt.Errorf("mp: %s: %w", v, ErrLockClosed)
		}
		defer v.lock.mem.leave()
		v.storeWords(x)
		return nil
	}
	return v.UpdateContext(ctx, func(T) T { return x })
}

// Update replaces the value with fn(value) under the lock: a
// read-modify-write no other process can interleave with (v.value += 1
// under get_lock() in Python). A raw value has no lock: ErrNoLock.
func (v *Value[T]) Update(fn func(T) T) error { return v.UpdateContext(context.Background(), fn) }

// UpdateContext is Update that gives up waiting for the lock when ctx is
// done.
func (v *Value[T]) UpdateContext(ctx context.Context, fn func(T) T) error {
	if v.raw {
		return fmt.Errorf("mp: %s: update: %w", v, ErrNoLock)
	}
	if !v.lock.mem.enter() {
		return fmt.Errorf("mp: %s: %w", v, ErrLockClosed)
	}
	defer v.lock.mem.leave()
	mu := v.mutex()
	if err := mu.acquire("update", wait{ctx: ctx}); err != nil {
		return err
	}
	done := false
	defer func() {
		if !done { // fn panicked: do not leave the lock held
			mu.Release()
		}
	}()
	*v.ptr = fn(*v.ptr)
	done = true
	return mu.Release()
}

// LoadLocked returns the value; the caller holds Lock(). For a raw value it
// is Load without the error (the caller must not have closed the handle).
func (v *Value[T]) LoadLocked() T {
	if v.raw {
		return v.loadWords()
	}
	return *v.ptr
}

// StoreLocked sets the value; the caller holds Lock(). For a raw value it is
// Store without the error.
func (v *Value[T]) StoreLocked(x T) {
	if v.raw {
		v.storeWords(x)
		return
	}
	*v.ptr = x
}

// Close unmaps the value in this process.
func (v *Value[T]) Close() error {
	err := v.lock.Close()
	if v.guard != nil {
		err = errors.Join(err, v.guard.Close())
	}
	return err
}

// GobEncode fails: handles travel only as direct Process arguments.
func (v *Value[T]) GobEncode() ([]byte, error) { return nil, errNested }

func (v *Value[T]) share(pl *plan) (*handleSpec, error) {
	s, err := v.lock.share(pl)
	if err != nil {
		return nil, err
	}
	s.Kind, s.Type, s.Raw = handleValue, typeName[T](), v.raw
	if err := shareGuard(pl, s, v.guard); err != nil {
		return nil, err
	}
	return s, nil
}

// shareGuard passes a given lock's memory as a handle's second descriptor.
func shareGuard(pl *plan, s *handleSpec, g *Lock) error {
	if g == nil {
		return nil
	}
	if !g.mem.enter() {
		return fmt.Errorf("mp: %s: pass to a child: %w", g, ErrLockClosed)
	}
	pl.release = append(pl.release, g.mem.leave)
	s.Conn, s.LockID = pl.add(g.mem.f, false), g.id
	return nil
}

// bindGuard maps the given lock a parent passed with a Value or Array.
func bindGuard(s *handleSpec) (*Lock, error) {
	if s.LockID == 0 {
		return nil, nil
	}
	f, err := extraFile(s, "mp-guard-lock")
	if err != nil {
		return nil, err
	}
	m, err := mapFile(f)
	if err != nil {
		return nil, fmt.Errorf("given lock: %w", err)
	}
	return &Lock{mem: m, word: m.word(offLock), id: s.LockID}, nil
}

// dup returns a second handle of the same lock in this process, mapped
// from the same memory file.
func (l *Lock) dup() (*Lock, error) {
	if l == nil {
		return nil, errors.New("mp: nil Lock")
	}
	if !l.mem.enter() {
		return nil, fmt.Errorf("mp: %s: %w", l, ErrLockClosed)
	}
	defer l.mem.leave()
	fd, err := unix.FcntlInt(l.mem.f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("mp: %s: dup: %w", l, err)
	}
	m, err := mapFile(os.NewFile(uintptr(fd), l.mem.f.Name()))
	if err != nil {
		return nil, fmt.Errorf("mp: %s: %w", l, err)
	}
	return &Lock{mem: m, word: m.word(offLock), id: l.id}, nil
}

func (*Value[T]) bind(s *handleSpec, obj any) (any, error) {
	m, ok := obj.(*shm)
	if !ok || s.Kind != handleValue {
		return nil, fmt.Errorf("is a %s, not a Value", sharedKindName(s))
	}
	if want := typeName[T](); s.Type != want {
		return nil, fmt.Errorf("is a Value of %s, not of %s", s.Type, want)
	}
	if need := offValue + int(reflect.TypeFor[T]().Size()); need > len(m.mem) {
		return nil, fmt.Errorf("Value of %d bytes, need %d", len(m.mem), need)
	}
	g, err := bindGuard(s)
	if err != nil {
		return nil, err
	}
	return &Value[T]{lock: Lock{mem: m, word: m.word(offLock), id: s.ID}, guard: g, ptr: (*T)(unsafe.Pointer(&m.mem[offValue])), raw: s.Raw}, nil
}
