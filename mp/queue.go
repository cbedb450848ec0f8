package mp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"
)

var (
	// ErrFull is returned by Put calls that would block on a bounded queue
	// once their timeout expires (at once for PutNowait).
	ErrFull = errors.New("queue is full")
	// ErrEmpty is returned by Get calls once their timeout expires (at once
	// for GetNowait).
	ErrEmpty = errors.New("queue is empty")
	// ErrQueueClosed is returned by every call on a handle after its Close.
	ErrQueueClosed = errors.New("queue is closed")
	// ErrShutDown is returned by Put after Shutdown, and by Get once a
	// shut-down queue is empty (at once after an immediate shutdown) —
	// Python's queue.ShutDown.
	ErrShutDown = errors.New("queue is shut down")
	// ErrTaskDone is returned by TaskDone when no task is unfinished.
	ErrTaskDone = errors.New("task_done() called too many times")
	// ErrTimeout is returned by JoinTimeout, JoinThread and AcquireTimeout
	// when the time is up.
	ErrTimeout = errors.New("timed out")
)

var errNested = errors.New("mp: queue, Lock and Value handles can only be passed as direct Process arguments")

// Queue is a FIFO shared by any number of processes — Python's
// multiprocessing.Queue. The process that calls NewQueue holds the items;
// pass the queue as a Process argument to give a child a handle connected to
// the same queue. The zero value is not usable.
type Queue[T any] struct {
	core  *qcore
	codec codec[T]
}

// NewQueue returns a queue bounded to maxsize items (unbounded if
// maxsize <= 0).
func NewQueue[T any](maxsize int) (*Queue[T], error) {
	c, err := newCore(kindQueue, typeName[T](), maxsize)
	if err != nil {
		return nil, err
	}
	return &Queue[T]{core: c, codec: newCodec[T]()}, nil
}

// Put puts item, waiting for a free slot if the queue is bounded and full.
func (q *Queue[T]) Put(item T) error { return q.put("put", wait{}, &item) }

// PutContext is Put that gives up when ctx is done, returning its cause.
func (q *Queue[T]) PutContext(ctx context.Context, item T) error {
	return q.put("put", wait{ctx: ctx}, &item)
}

// PutTimeout is Put that gives up with ErrFull after d. A zero d is
// PutNowait; a negative d is an error.
func (q *Queue[T]) PutTimeout(item T, d time.Duration) error {
	w, err := waitTimeout(d)
	if err != nil {
		return q.core.errorf("put", err)
	}
	return q.put("put", w, &item)
}

// PutNowait puts item if a slot is free, else fails with ErrFull.
func (q *Queue[T]) PutNowait(item T) error { return q.put("put", wait{nowait: true}, &item) }

func (q *Queue[T]) put(op string, w wait, item *T) error {
	var scratch [binary.MaxVarintLen64]byte
	head, payload, err := q.codec.encode(scratch[:0], item)
	if err != nil {
		return q.core.errorf(op, fmt.Errorf("cannot encode %T item: %w", *item, err))
	}
	return q.core.put(op, w, head, payload)
}

// Get takes the next item, waiting for one.
func (q *Queue[T]) Get() (T, error) { return q.get("get", wait{}) }

// GetContext is Get that gives up when ctx is done, returning its cause.
func (q *Queue[T]) GetContext(ctx context.Context) (T, error) {
	return q.get("get", wait{ctx: ctx})
}

// GetTimeout is Get that gives up with ErrEmpty after d. A zero d is
// GetNowait; a negative d is an error.
func (q *Queue[T]) GetTimeout(d time.Duration) (T, error) {
	w, err := waitTimeout(d)
	if err != nil {
		var zero T
		return zero, q.core.errorf("get", err)
	}
	return q.get("get", w)
}

// GetNowait takes an item that has reached this queue's creator, else fails
// with ErrEmpty. An item still in another process's buffer is not seen.
func (q *Queue[T]) GetNowait() (T, error) { return q.get("get", wait{nowait: true}) }

func (q *Queue[T]) get(op string, w wait) (T, error) {
	var v T
	if q.codec.kind == codecBytes {
		// The item's own copy becomes the result.
		b, err := q.core.get(op, w, nil)
		if err != nil {
			return v, err
		}
		if b == nil {
			b = []byte{}
		}
		*(*[]byte)(unsafe.Pointer(&v)) = b
		return v, nil
	}
	var scratch [128]byte
	b, err := q.core.get(op, w, scratch[:0])
	if err != nil {
		return v, err
	}
	if err := q.codec.decode(b, &v); err != nil {
		return v, q.core.errorf(op, fmt.Errorf("cannot decode item: %w", err))
	}
	return v, nil
}

// SetPrefetch lets this handle fetch up to n items ahead of its gets, for a
// consumer that streams items (at most 4096; the window adapts to about a
// millisecond of the consumer's own work). By default a handle fetches one
// item per get, as a CPython multiprocessing.Queue's get reads one item from
// its pipe: a handle that fetches ahead holds items that another process
// cannot get while it is busy elsewhere, so a consumer that stops getting at
// a sentinel (one sentinel per worker, then the worker waits or exits) could
// hold another worker's sentinel, and that worker would wait for ever (see
// TestSentinelPerConsumer). It affects only this process's handle, and only
// a handle in a process other than the queue's creator.
func (q *Queue[T]) SetPrefetch(n int) {
	if q.core.c != nil {
		q.core.c.setLimit(min(n, maxWindow))
	}
}

// Size returns the approximate number of items in the queue: put (in any
// process) and not yet got.
func (q *Queue[T]) Size() int { return q.core.size() }

// Empty reports whether Size is zero.
func (q *Queue[T]) Empty() bool { return q.core.size() == 0 }

// Full reports whether a bounded queue holds maxsize items.
func (q *Queue[T]) Full() bool { return q.core.maxsize > 0 && q.core.size() >= q.core.maxsize }

// MaxSize returns the bound given to NewQueue (0: unbounded).
func (q *Queue[T]) MaxSize() int { return q.core.maxsize }

// Shutdown shuts the queue down for every process that holds a handle
// (Python 3.13's shutdown): from then on Put fails with ErrShutDown
// everywhere, and Get fails with ErrShutDown once the queue is empty. With
// immediate, the items still in the queue are dropped (each counts as a
// task done, as long as tasks are unfinished), so Get fails at once and a
// Join waiting only for those items returns. Every blocked Put and Get is
// woken. Any process may call it; calling it again is harmless, and an
// immediate shutdown after a plain one drops what is left.
func (q *Queue[T]) Shutdown(immediate bool) error { return q.core.shutdown("shutdown", immediate) }

// IsShutdown reports whether Shutdown was called, by any process.
func (q *Queue[T]) IsShutdown() bool { return q.core.isShutdown() }

// Close says that this process will neither put nor get any more through
// this handle. Items it put are still written (see JoinThread); items it had
// received and not got go back to the front of the queue. Afterwards Put
// and Get fail with ErrQueueClosed. Other processes' handles are not
// affected: in the creating process Close stops local use, and the queue
// lives on while other processes hold handles. Close is idempotent.
func (q *Queue[T]) Close() error { return q.core.close() }

// JoinThread waits until the items this process put have been written to
// the creating process (Python's join_thread). It must follow Close.
func (q *Queue[T]) JoinThread() error { return q.core.joinThread("join thread", wait{}) }

// JoinThreadContext is JoinThread that gives up when ctx is done.
func (q *Queue[T]) JoinThreadContext(ctx context.Context) error {
	return q.core.joinThread("join thread", wait{ctx: ctx})
}

// String describes the queue for messages: kind, item type, id and creator.
func (q *Queue[T]) String() string { return q.core.String() }

// GobEncode fails: handles travel only as direct Process arguments.
func (q *Queue[T]) GobEncode() ([]byte, error) { return nil, errNested }

func (q *Queue[T]) share(pl *plan) (*handleSpec, error) { return q.core.share(pl) }

func (*Queue[T]) bind(s *handleSpec, obj any) (any, error) {
	c, err := bindCore[T](s, obj, kindQueue, kindJoinable)
	if err != nil {
		return nil, err
	}
	return &Queue[T]{core: c, codec: newCodec[T]()}, nil
}

func bindCore[T any](s *handleSpec, obj any, kinds ...qkind) (*qcore, error) {
	c, ok := obj.(*qcore)
	if !ok {
		return nil, fmt.Errorf("is a %s, not a queue", handleKindName(s.Kind))
	}
	kindOK := false
	for _, k := range kinds {
		kindOK = kindOK || c.kind == k
	}
	if !kindOK {
		return nil, fmt.Errorf("is a %s, not a %s", c.kind, kinds[0])
	}
	if want := typeName[T](); c.typ != want {
		return nil, fmt.Errorf("is a %s of %s, not of %s", c.kind, c.typ, want)
	}
	return c, nil
}

// JoinableQueue is a Queue whose items are tasks: each Put counts one more
// unfinished task and each TaskDone one less, across all processes; Join
// waits until none is unfinished — Python's multiprocessing.JoinableQueue.
// The count lives in shared memory and changes at the moment of the call.
type JoinableQueue[T any] struct {
	Queue[T]
}

// NewJoinableQueue returns a joinable queue bounded to maxsize items
// (unbounded if maxsize <= 0).
func NewJoinableQueue[T any](maxsize int) (*JoinableQueue[T], error) {
	c, err := newCore(kindJoinable, typeName[T](), maxsize)
	if err != nil {
		return nil, err
	}
	return &JoinableQueue[T]{Queue[T]{core: c, codec: newCodec[T]()}}, nil
}

// TaskDone marks one task finished. Called more often than items were put,
// it fails with ErrTaskDone ("task_done() called too many times").
func (q *JoinableQueue[T]) TaskDone() error {
	if err := q.core.enter("task done"); err != nil {
		return err
	}
	defer q.core.mem.leave()
	if err := q.core.taskDone(); err != nil {
		return q.core.errorf("task done", err)
	}
	return nil
}

// Join waits until every task put (by any process) has been marked done.
// A consumer that dies never marks its task done: use JoinContext with a
// context from WithProcesses to stop waiting for it.
func (q *JoinableQueue[T]) Join() error { return q.core.join("join", wait{}) }

// JoinContext is Join that gives up when ctx is done, returning its cause.
func (q *JoinableQueue[T]) JoinContext(ctx context.Context) error {
	return q.core.join("join", wait{ctx: ctx})
}

// JoinTimeout is Join that gives up with ErrTimeout after d (a negative d
// is an error).
func (q *JoinableQueue[T]) JoinTimeout(d time.Duration) error {
	if d < 0 {
		return q.core.errorf("join", errNegativeTimeout)
	}
	return q.core.join("join", wait{deadline: time.Now().Add(d)})
}

// Unfinished returns the number of tasks put and not yet marked done.
func (q *JoinableQueue[T]) Unfinished() int {
	if q.core.enter("unfinished") != nil {
		return 0
	}
	defer q.core.mem.leave()
	return int(atomic.LoadUint32(q.core.unfinished))
}

func (*JoinableQueue[T]) bind(s *handleSpec, obj any) (any, error) {
	c, err := bindCore[T](s, obj, kindJoinable)
	if err != nil {
		return nil, err
	}
	return &JoinableQueue[T]{Queue[T]{core: c, codec: newCodec[T]()}}, nil
}

// SimpleQueue is an unbounded queue with only Put, Get, Empty and Close —
// Python's multiprocessing.SimpleQueue.
type SimpleQueue[T any] struct {
	q Queue[T]
}

// NewSimpleQueue returns an unbounded simple queue.
func NewSimpleQueue[T any]() (*SimpleQueue[T], error) {
	c, err := newCore(kindSimple, typeName[T](), 0)
	if err != nil {
		return nil, err
	}
	return &SimpleQueue[T]{Queue[T]{core: c, codec: newCodec[T]()}}, nil
}

// Put puts item; it never waits.
func (s *SimpleQueue[T]) Put(item T) error { return s.q.Put(item) }

// Get takes the next item, waiting for one.
func (s *SimpleQueue[T]) Get() (T, error) { return s.q.Get() }

// GetContext is Get that gives up when ctx is done.
func (s *SimpleQueue[T]) GetContext(ctx context.Context) (T, error) { return s.q.GetContext(ctx) }

// Empty reports whether the queue is (approximately) empty.
func (s *SimpleQueue[T]) Empty() bool { return s.q.Empty() }

// Close is Queue.Close followed by JoinThread.
func (s *SimpleQueue[T]) Close() error {
	if err := s.q.Close(); err != nil {
		return err
	}
	return s.q.JoinThread()
}

// String describes the queue for messages.
func (s *SimpleQueue[T]) String() string { return s.q.String() }

// GobEncode fails: handles travel only as direct Process arguments.
func (s *SimpleQueue[T]) GobEncode() ([]byte, error) { return nil, errNested }

func (s *SimpleQueue[T]) share(pl *plan) (*handleSpec, error) { return s.q.core.share(pl) }

func (*SimpleQueue[T]) bind(s *handleSpec, obj any) (any, error) {
	c, err := bindCore[T](s, obj, kindSimple)
	if err != nil {
		return nil, err
	}
	return &SimpleQueue[T]{Queue[T]{core: c, codec: newCodec[T]()}}, nil
}
