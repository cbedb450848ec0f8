package mp

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"
)

// A Number is an element type of an Array: a fixed-size integer or float
// (Python's typecodes 'b' 'B' 'h' 'H' 'i' 'I' 'l' 'L' 'q' 'Q' 'f' 'd').
type Number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~int | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uint | ~uintptr |
		~float32 | ~float64
}

// ErrIndexOutOfRange is Python's IndexError of an Array.
var ErrIndexOutOfRange = errors.New("index out of range")

// Shared memory of an Array: the lock word, then (from offArrayData) the
// elements.
const offArrayData = 64

// An Array is a fixed-length array of numbers in shared memory guarded by
// a Lock — Python's multiprocessing.Array. Load, Store, LoadSlice and
// StoreSlice each take the lock for their access (as the synchronized
// wrapper's item and slice accesses do); Update holds it across a whole
// read-modify-write of the array.
//
// A raw array (NewRawArray: Array(..., lock=False), RawArray) has no lock:
// each element is read and written with one atomic instruction, so no
// element is ever torn and no access is a data race in Go's sense, but a
// Load followed by a Store can lose another process's update, exactly as
// arr[i] += 1 can in Python. The zero value is not usable.
type Array[T Number] struct {
	lock  Lock  // the array's own memory and lock word
	guard *Lock // a lock given to NewArrayWithLock, used instead of its own
	data  []T
	raw   bool
}

// NewArray returns a shared array of n zeros, guarded by a lock of its own.
func NewArray[T Number](n int) (*Array[T], error) { return newArray[T](n, nil, false) }

// NewArrayFrom returns a shared array holding a copy of xs.
func NewArrayFrom[T Number](xs []T) (*Array[T], error) { return newArray(len(xs), xs, false) }

// NewRawArray returns a shared array of n zeros without a lock.
func NewRawArray[T Number](n int) (*Array[T], error) { return newArray[T](n, nil, true) }

// NewRawArrayFrom returns a shared array holding a copy of xs, without a
// lock.
func NewRawArrayFrom[T Number](xs []T) (*Array[T], error) { return newArray(len(xs), xs, true) }

// NewArrayWithLock returns a shared array holding a copy of xs, guarded by
// lk, which may guard other objects too: Python's Array(typecode, xs,
// lock=lk). The array keeps its own handle of lk.
func NewArrayWithLock[T Number](xs []T, lk *Lock) (*Array[T], error) {
	g, err := lk.dup()
	if err != nil {
		return nil, err
	}
	a, err := newArray(len(xs), xs, false)
	if err != nil {
		g.Close()
		return nil, err
	}
	a.guard = g
	return a, nil
}

func newArray[T Number](n int, xs []T, raw bool) (*Array[T], error) {
	size := int(unsafe.Sizeof(T(0)))
	if n < 0 || n > (1<<30-offArrayData)/size {
		return nil, fmt.Errorf("mp: new Array[%s]: length %d out of range", typeName[T](), n)
	}
	id := sharedIDs.Add(1)
	m, err := newShm(fmt.Sprintf("mp-array-%d", id), (offArrayData+n*size+63)&^63)
	if err != nil {
		return nil, err
	}
	a := newArrayHandle[T](m, id, n, raw)
	copy(a.data, xs) // not yet shared
	return a, nil
}

func newArrayHandle[T Number](m *shm, id uint64, n int, raw bool) *Array[T] {
	return &Array[T]{lock: Lock{mem: m, word: m.word(offLock), id: id},
		data: unsafe.Slice((*T)(m.ptr(offArrayData)), n), raw: raw}
}

func (a *Array[T]) kind() string { return kindArray + "[" + typeName[T]() + "]" }

func (a *Array[T]) String() string {
	if a.raw {
		return fmt.Sprintf("Raw%s %d", a.kind(), a.lock.id)
	}
	return fmt.Sprintf("%s %d", a.kind(), a.lock.id)
}

func (a *Array[T]) errorf(op string, err error) error {
	return fmt.Errorf("mp: %s: %s: %w", a, op, err)
}

// Len returns the number of elements.
func (a *Array[T]) Len() int { return len(a.data) }

// Lock returns the lock that guards the array (Python's get_lock), for
// holding it across several accesses with Update; nil for a raw array.
func (a *Array[T]) Lock() *Lock {
	if a.raw {
		return nil
	}
	return a.mutex()
}

func (a *Array[T]) mutex() *Lock {
	if a.guard != nil {
		return a.guard
	}
	return &a.lock
}

// access runs fn on the elements [lo, hi) under the lock (without it for
// a raw array, where fn must use the atomic accessors).
func (a *Array[T]) access(op string, lo, hi int, fn func()) error {
	if lo < 0 || hi > len(a.data) || lo > hi {
		return a.errorf(op, fmt.Errorf("%w: [%d:%d] of %d elements", ErrIndexOutOfRange, lo, hi, len(a.data)))
	}
	if !a.lock.mem.enter() {
		return a.errorf(op, ErrClosed)
	}
	defer a.lock.mem.leave()
	if a.raw {
		fn()
		return nil
	}
	mu := a.mutex()
	if err := mu.acquire(op, wait{}); err != nil {
		return a.errorf(op, wait{}.mutexErr(err))
	}
	defer mu.Release()
	fn()
	return nil
}

// Load returns element i.
func (a *Array[T]) Load(i int) (T, error) {
	var x T
	err := a.access("load", i, i+1, func() { x = a.load(i) })
	return x, err
}

// Store sets element i.
func (a *Array[T]) Store(i int, x T) error {
	return a.access("store", i, i+1, func() { a.store(i, x) })
}

// LoadSlice returns a copy of the elements [lo, hi) (Python's arr[lo:hi]),
// read under the lock as one snapshot (a raw array: element by element).
func (a *Array[T]) LoadSlice(lo, hi int) ([]T, error) {
	var xs []T
	err := a.access("load", lo, hi, func() {
		xs = make([]T, hi-lo)
		for i := range xs {
			xs[i] = a.load(lo + i)
		}
	})
	return xs, err
}

// StoreSlice sets the elements from lo on to xs (Python's
// arr[lo:lo+len(xs)] = xs), under the lock as one update.
func (a *Array[T]) StoreSlice(lo int, xs []T) error {
	return a.access("store", lo, lo+len(xs), func() {
		for i, x := range xs {
			a.store(lo+i, x)
		}
	})
}

// Update calls fn with the elements under the lock: a read-modify-write of
// the array that no other process can interleave with. fn must not keep
// the slice. A raw array has no lock: ErrNoLock.
func (a *Array[T]) Update(fn func(xs []T)) error {
	return a.UpdateContext(context.Background(), fn)
}

// UpdateContext is Update that gives up waiting for the lock when ctx is
// done, returning its cause.
func (a *Array[T]) UpdateContext(ctx context.Context, fn func(xs []T)) error {
	if a.raw {
		return a.errorf("update", ErrNoLock)
	}
	if !a.lock.mem.enter() {
		return a.errorf("update", ErrClosed)
	}
	defer a.lock.mem.leave()
	w := wait{ctx: ctx}
	mu := a.mutex()
	if err := mu.acquire("update", w); err != nil {
		return a.errorf("update", w.mutexErr(err))
	}
	defer mu.Release() // also if fn panics
	fn(a.data)
	return nil
}

// load and store access one element: plainly under the lock, atomically
// in a raw array.
func (a *Array[T]) load(i int) T {
	if !a.raw {
		return a.data[i]
	}
	p := unsafe.Pointer(&a.data[i])
	switch unsafe.Sizeof(T(0)) {
	case 8:
		v := atomic.LoadUint64((*uint64)(p))
		return *(*T)(unsafe.Pointer(&v))
	case 4:
		v := atomic.LoadUint32((*uint32)(p))
		return *(*T)(unsafe.Pointer(&v))
	}
	w, shift, mask := subword[T](p)
	v := atomic.LoadUint32(w) >> shift & mask
	return *(*T)(unsafe.Pointer(&v)) // little-endian: the low bytes
}

func (a *Array[T]) store(i int, x T) {
	if !a.raw {
		a.data[i] = x
		return
	}
	p := unsafe.Pointer(&a.data[i])
	switch unsafe.Sizeof(x) {
	case 8:
		atomic.StoreUint64((*uint64)(p), *(*uint64)(unsafe.Pointer(&x)))
		return
	case 4:
		atomic.StoreUint32((*uint32)(p), *(*uint32)(unsafe.Pointer(&x)))
		return
	}
	w, shift, mask := subword[T](p)
	var bits uint32
	if unsafe.Sizeof(x) == 2 {
		bits = uint32(*(*uint16)(unsafe.Pointer(&x)))
	} else {
		bits = uint32(*(*uint8)(unsafe.Pointer(&x)))
	}
	for {
		old := atomic.LoadUint32(w)
		if atomic.CompareAndSwapUint32(w, old, old&^(mask<<shift)|bits<<shift) {
			return
		}
	}
}

// subword locates a 1- or 2-byte element inside its aligned 32-bit word
// (little-endian byte order, as on every platform this package supports).
func subword[T Number](p unsafe.Pointer) (w *uint32, shift, mask uint32) {
	off := uintptr(p) & 3
	w = (*uint32)(unsafe.Add(p, -int(off)))
	shift = uint32(off) * 8
	mask = 1<<(8*unsafe.Sizeof(T(0))) - 1
	return w, shift, mask
}

// Close unmaps the array in this process.
func (a *Array[T]) Close() error {
	err := a.lock.mem.close(a.lock.word)
	if a.guard != nil {
		err = errors.Join(err, a.guard.Close())
	}
	return err
}

// GobEncode fails: handles travel only as direct Process arguments.
func (a *Array[T]) GobEncode() ([]byte, error) { return nil, errNested }

// share passes the array's memory; Maxsize carries its length.
func (a *Array[T]) share(pl *plan) (*handleSpec, error) {
	s, err := a.lock.share(pl)
	if err != nil {
		return nil, err
	}
	s.Type, s.Raw, s.Maxsize = a.kind(), a.raw, len(a.data)
	if err := shareGuard(pl, s, a.guard); err != nil {
		return nil, err
	}
	return s, nil
}

func (*Array[T]) bind(s *handleSpec, obj any) (any, error) {
	var a *Array[T]
	m, ok := obj.(*shm)
	if !ok || s.Kind != handleLock || s.Type != a.kind() {
		return nil, fmt.Errorf("is a %s, not an %s", sharedKindName(s), a.kind())
	}
	if need := offArrayData + s.Maxsize*int(unsafe.Sizeof(T(0))); s.Maxsize < 0 || need > len(m.mem) {
		return nil, fmt.Errorf("%s of %d bytes, need %d", s.Type, len(m.mem), need)
	}
	g, err := bindGuard(s)
	if err != nil {
		return nil, err
	}
	a = newArrayHandle[T](m, s.ID, s.Maxsize, s.Raw)
	a.guard = g
	return a, nil
}
