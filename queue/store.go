package queue

import "container/heap"

// A store is the container behind a Queue: it decides which item Get returns.
// Its methods are called with the queue's lock held; get is called only when
// len is positive.
type store[T any] interface {
	len() int
	put(T)
	get() T
}

// minShrink is the capacity up to which containers never shrink, so that a
// bounded queue that fills and drains does not reallocate each time.
const minShrink = 1024

// fifo is a growable ring buffer; its capacity is zero or a power of two.
type fifo[T any] struct {
	buf  []T
	head int
	n    int
}

func (f *fifo[T]) len() int { return f.n }

func (f *fifo[T]) put(x T) {
	if f.n == len(f.buf) {
		f.resize(max(2*len(f.buf), 8))
	}
	f.buf[(f.head+f.n)&(len(f.buf)-1)] = x
	f.n++
}

func (f *fifo[T]) get() T {
	var zero T
	x := f.buf[f.head]
	f.buf[f.head] = zero // let the item be collected
	f.head = (f.head + 1) & (len(f.buf) - 1)
	f.n--
	if len(f.buf) > minShrink && f.n < len(f.buf)/4 {
		f.resize(len(f.buf) / 2)
	}
	return x
}

// resize copies the items, oldest first, into a buffer of capacity c.
func (f *fifo[T]) resize(c int) {
	buf := make([]T, c)
	k := copy(buf, f.buf[f.head:min(f.head+f.n, len(f.buf))])
	copy(buf[k:], f.buf[:f.n-k])
	f.buf, f.head = buf, 0
}

// lifo is a stack.
type lifo[T any] struct{ items []T }

func (s *lifo[T]) len() int { return len(s.items) }
func (s *lifo[T]) put(x T)  { s.items = append(s.items, x) }
func (s *lifo[T]) get() T   { return pop(&s.items) }

// pop removes and returns the last item of *s, shrinking it when it is
// mostly empty.
func pop[T any](s *[]T) T {
	var zero T
	items := *s
	n := len(items) - 1
	x := items[n]
	items[n] = zero
	items = items[:n]
	if cap(items) > minShrink && n < cap(items)/4 {
		items = append(make([]T, 0, cap(items)/2), items...)
	}
	*s = items
	return x
}

// prio is a binary heap ordered by less, lowest first. It implements
// heap.Interface, but put and get place items themselves and call heap.Fix,
// so that no item is boxed into an interface value.
type prio[T any] struct {
	items []T
	less  func(a, b T) bool
}

func (h *prio[T]) len() int           { return len(h.items) }
func (h *prio[T]) Len() int           { return len(h.items) }
func (h *prio[T]) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *prio[T]) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *prio[T]) Push(x any)         { h.items = append(h.items, x.(T)) }
func (h *prio[T]) Pop() any           { return pop(&h.items) }

func (h *prio[T]) put(x T) {
	h.items = append(h.items, x)
	heap.Fix(h, len(h.items)-1) // sifts the new last item up
}

func (h *prio[T]) get() T {
	n := len(h.items) - 1
	h.Swap(0, n)
	x := pop(&h.items)
	if n > 0 {
		heap.Fix(h, 0) // sifts the new root down
	}
	return x
}
