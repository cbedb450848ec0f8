// Package queue is Python's queue module for goroutines: synchronised
// queues that many producers and many consumers share.
//
// # What maps to Python
//
//	Python (3.13 Lib/queue.py)          Go
//	queue.Queue(maxsize)                New[T](maxsize)
//	queue.LifoQueue(maxsize)            NewLifo[T](maxsize)
//	queue.PriorityQueue(maxsize)        NewPriority[T](maxsize, less)
//	queue.SimpleQueue()                 NewSimple[T]() or a zero SimpleQueue
//	put(x) / put(x, timeout=t)          Put(x) / PutTimeout(x, t)
//	put_nowait(x)                       PutNowait(x)
//	get() / get(timeout=t)              Get() / GetTimeout(t)
//	get_nowait()                        GetNowait()
//	qsize() empty() full() maxsize      Size() Empty() Full() MaxSize()
//	task_done() join()                  TaskDone() Join()
//	shutdown(immediate)                 Shutdown(immediate)
//	is_shutdown unfinished_tasks        IsShutdown() UnfinishedTasks()
//
// The behaviour is Python's. A maxsize of zero or less means unbounded, and
// Full reports 0 < maxsize <= Size. Every Put counts a task; Join waits until
// TaskDone has been called once per item put. After Shutdown, Put fails with
// ErrShutDown and Get fails with ErrShutDown once the queue is empty; an
// immediate Shutdown also drops the items left, counts each of them done and
// wakes Join (which returns once items already taken are done too). Every
// caller blocked in Put or Get is woken by Shutdown. A timeout of zero is a
// single check, so GetTimeout(0) on an empty queue fails with ErrEmpty at
// once, as get(timeout=0) raises Empty. A call whose item or slot comes just
// as its timeout expires succeeds.
//
// # Where Go differs
//
// Errors are values, not exceptions: ErrFull, ErrEmpty and ErrShutDown stand
// for queue.Full, queue.Empty and queue.ShutDown; ErrNegativeTimeout for the
// ValueError of a negative timeout, and ErrTooManyTaskDone for the ValueError
// of task_done. Python ignores a negative timeout on a put into an unbounded
// queue; here it is always an error.
//
// Every blocking call has a context form as well (PutContext, GetContext,
// JoinContext), which fails with the context's error when it is done, so a
// caller can stop waiting on a consumer that died. Like a timeout, an expired
// context leaves the queue as it was; and like a timeout, it is consulted only
// when the call would have to wait: an item that is already there is returned
// even with a context that is done.
//
// Items are typed (Queue[T]), so a priority queue takes its order as a less
// function: NewPriority(0, cmp.Less[int]) is the lowest-first order of
// PriorityQueue. Ties come out in no particular order, as from heapq.
//
// The zero Queue is an unbounded FIFO queue and the zero SimpleQueue an empty
// SimpleQueue, both ready to use. Neither may be copied after first use.
//
// # Interpreters with a global lock
//
// An interpreter whose threads hold a global lock (a GIL) must release it
// while a queue call blocks, or the goroutine that would unblock the call can
// never run. This package knows nothing of interpreters and takes no hook:
// the interpreter wraps each blocking call itself, releasing its lock around
// it, as in
//
//	t.Blocking(func() { item, err = q.Get() })
//
// The non-blocking forms (PutNowait, GetNowait, Size, Empty, Full, TaskDone,
// Shutdown) never wait for another goroutine beyond a short critical section,
// and need no wrapping. See the example of Queue.Get.
//
// # Implementation
//
// A Queue is one mutex around a container (a ring buffer, a stack or a binary
// heap) and three lists of waiters: for an item, for a free slot and for all
// tasks done. Each waiter parks on a channel of its own, so it can also
// select on a timer or a context. Where Python's Put notifies one getter,
// which then takes the lock to look again, here Put hands its item straight
// to the getter that has waited longest; likewise Get puts the item of the
// longest-waiting putter into the slot it frees. A woken caller so returns
// without taking the lock again, and blocked callers are served in the order
// they came, never overtaken by a newcomer. Shutdown and TaskDone wake their
// waiters to look again, as Python's notify_all. Uncontended calls take
// the lock once and allocate nothing.
package queue
