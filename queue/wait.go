package queue

// A waiter is one goroutine parked in a blocking call. It is woken by a
// token on ch, sent by whoever takes it off its list. The fields other than
// ch are guarded by the queue's lock, but a waiter that receives the token
// may read handed and item without it: they were set before the token was
// sent.
type waiter[T any] struct {
	ch         chan struct{} // capacity 1
	prev, next *waiter[T]
	queued     bool // on a waitList
	handed     bool // the call was carried out on the waiter's behalf
	item       T    // the item handed to a getter, or the item a putter puts
}

// A waitList is a FIFO list of waiters, woken oldest first.
type waitList[T any] struct {
	head, tail *waiter[T]
	n          int
}

func (l *waitList[T]) push(w *waiter[T]) {
	w.prev, w.next, w.queued = l.tail, nil, true
	if l.tail == nil {
		l.head = w
	} else {
		l.tail.next = w
	}
	l.tail = w
	l.n++
}

func (l *waitList[T]) remove(w *waiter[T]) {
	if w.prev == nil {
		l.head = w.next
	} else {
		w.prev.next = w.next
	}
	if w.next == nil {
		l.tail = w.prev
	} else {
		w.next.prev = w.prev
	}
	w.prev, w.next, w.queued = nil, nil, false
	l.n--
}

// pop takes the oldest waiter off the list, or returns nil.
func (l *waitList[T]) pop() *waiter[T] {
	w := l.head
	if w != nil {
		l.remove(w)
	}
	return w
}

// wake sends w, taken off its list, its token. It never blocks: the token
// is the only one.
func (w *waiter[T]) wake() { w.ch <- struct{}{} }

// wakeAll wakes every waiter, to look at the queue again: Python's
// Condition.notify_all.
func (l *waitList[T]) wakeAll() {
	for w := l.pop(); w != nil; w = l.pop() {
		w.wake()
	}
}
