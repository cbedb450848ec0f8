package queue

import (
	"context"
	"time"
)

// A SimpleQueue is an unbounded FIFO queue without task tracking or
// shutdown: Python's SimpleQueue. Put never blocks and never fails.
//
// The zero SimpleQueue is empty and ready to use. A SimpleQueue must not be
// copied after first use.
type SimpleQueue[T any] struct {
	q Queue[T] // unbounded, never shut down; its task count goes unread
}

// NewSimple returns an empty SimpleQueue.
func NewSimple[T any]() *SimpleQueue[T] { return new(SimpleQueue[T]) }

// Put puts item into the queue.
func (s *SimpleQueue[T]) Put(item T) { _ = s.q.Put(item) } // cannot fail

// Get removes and returns the next item, blocking until there is one.
func (s *SimpleQueue[T]) Get() T {
	item, _ := s.q.Get() // cannot fail: the queue is never shut down
	return item
}

// GetTimeout is Get that waits at most d for an item and fails with ErrEmpty
// after that. With d == 0 it fails at once if the queue is empty; a negative
// d is ErrNegativeTimeout.
func (s *SimpleQueue[T]) GetTimeout(d time.Duration) (T, error) { return s.q.GetTimeout(d) }

// GetContext is Get that stops waiting for an item when ctx is done and
// returns ctx.Err(). If an item is there it returns it whatever the state of
// ctx.
func (s *SimpleQueue[T]) GetContext(ctx context.Context) (T, error) { return s.q.GetContext(ctx) }

// GetNowait returns the next item if there is one and fails with ErrEmpty
// otherwise.
func (s *SimpleQueue[T]) GetNowait() (T, error) { return s.q.GetNowait() }

// Empty reports whether the queue holds no items.
func (s *SimpleQueue[T]) Empty() bool { return s.q.Empty() }

// Size returns the number of items in the queue: Python's qsize.
func (s *SimpleQueue[T]) Size() int { return s.q.Size() }
