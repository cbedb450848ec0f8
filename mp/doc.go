// Package mp is Python's multiprocessing for Go: worker OS processes
// (Process), queues shared by any number of processes (Queue,
// JoinableQueue, SimpleQueue), pipes (Pipe, Connection), and in shared
// memory locks, synchronisation primitives and typed data (Lock, RLock,
// Semaphore, Event, Condition, Barrier, Value, Array). It runs on Linux and
// imports nothing of gilbench; on other systems it builds, with the same API,
// and every call that needs a child process or shared memory fails with
// ErrUnsupported.
//
// # Mapping to Python
//
//	multiprocessing.Process(target=f, args=a)   NewProcess("f", a...)   (f registered by name)
//	p.start() p.run() p.join(t) p.is_alive()    Start, Run, Join / JoinTimeout / JoinContext, IsAlive
//	p.exitcode p.pid p.name p.daemon            ExitCode, Pid (known=false is None), Name/SetName, Daemon/SetDaemon
//	p.terminate() p.kill() p.close()            Terminate, Kill, Close; Stop = terminate, grace, kill
//	multiprocessing.Queue(maxsize)              NewQueue[T](maxsize)
//	q.put(x, block, timeout) q.get(...)         Put / PutTimeout / PutContext / PutNowait, Get / ...
//	queue.Full, queue.Empty                     ErrFull, ErrEmpty
//	q.qsize() q.empty() q.full()                Size, Empty, Full (approximate, as in Python)
//	q.close() q.join_thread()                   Close, JoinThread
//	JoinableQueue: task_done() join()           TaskDone (ErrTaskDone), Join / JoinContext / JoinTimeout
//	q.shutdown(immediate) q.is_shutdown()       Shutdown(immediate), IsShutdown (ErrShutDown: queue.ShutDown)
//	SimpleQueue, Lock, Value                    NewSimpleQueue[T], NewLock, NewValue[T]
//	lock.acquire(block=False) lock.locked()     Lock.TryAcquire, Lock.Locked
//	Value(..., lock=False), RawValue            NewRawValue[T] (no lock; word-atomic Load/Store)
//	Value(..., lock=lk), Array(..., lock=lk)    NewValueWithLock, NewArrayWithLock (lk a Lock)
//	current_process(), parent_process()         CurrentProcess, ParentProcess (nil in the main program)
//	current_process().name, active_children()   CurrentName, Args.Name; ActiveChildren
//	atexit: stop daemons, join the others       Shutdown (called for you in children)
//	sys.exit(n) in a target                     return SystemExit(n)
//	RLock, Semaphore(n), BoundedSemaphore(n)    NewRLock, NewSemaphore(n), NewBoundedSemaphore(n)
//	sem.release() past the bound (ValueError)   ErrReleasedTooManyTimes
//	Event: set clear is_set wait(t)             NewEvent; Set, Clear, IsSet, Wait / WaitTimeout / WaitContext
//	Condition(lock): wait wait_for notify(n)    NewCondition(lock or nil); Wait..., WaitFor..., Notify(n), NotifyAll
//	Barrier(parties, action, timeout)           NewBarrier; Wait..., Reset, Abort, NWaiting, Broken (ErrBrokenBarrier)
//	Pipe(duplex): send recv poll recv_bytes     Pipe(duplex); Send, Recv, Poll, SendBytes, RecvBytes (io.EOF at EOF)
//	Array(typecode, n), RawArray                NewArray[T](n) / NewArrayFrom, NewRawArray[T]; Load, Store, Update
//	ValueError: negative timeout                ErrNegativeTimeout
//
// # Processes
//
// A child is the running binary re-executed (os.Executable), as Python's
// spawn start method: Go cannot fork a running program or ship a closure, so
// targets are registered by name (Register, or RegisterRunner for a type
// with a Run method) in init functions, and Main must be the first call in
// main and in TestMain:
//
//	func init() { mp.Register("gilbench.worker", worker) }
//
//	func worker(a mp.Args) error {
//		jobs, err := mp.Arg[*mp.JoinableQueue[Job]](a, 0)
//		...
//		results, err := mp.Arg[*mp.Queue[Result]](a, 1)
//		...
//		for {
//			j, err := jobs.Get()
//			if err != nil {
//				return err
//			}
//			if j.Last {
//				return jobs.TaskDone()
//			}
//			if err := results.Put(work(j)); err != nil {
//				return err
//			}
//			if err := jobs.TaskDone(); err != nil {
//				return err
//			}
//		}
//	}
//
//	func main() {
//		mp.Main() // in a child: runs the target and exits
//		defer mp.Shutdown(context.Background())
//		...
//	}
//
// Arguments are either handles (queues, Lock, Value), which the child
// receives connected to the same object, or values, which travel gob-encoded
// and are read with Arg[T] into any gob-compatible T. A handle must be a
// direct argument (not inside a struct): its descriptors go with it.
//
// Start is go-plugin's handshake. The child is started with an environment
// cookie (GO_MP_CHILD_COOKIE), without which Main returns at once (and Start
// refuses to run if Main was never called, so that a forgotten Main cannot
// make every child run the whole program). Descriptors in the child:
//
//	0, 1, 2   the workload's: stdin, stdout (inherited by default),
//	          stderr (copied to the parent's stderr, last 4 KiB kept)
//	3         control: a unix socket pair. Parent → child: one bootstrap
//	          frame (target, name, daemon flag, arguments). Child → parent:
//	          the handshake line "mp|<version>|<pid>|ok" (or "...|error|msg"),
//	          later an exit frame with the failure message. EOF tells the
//	          child its parent is gone.
//	4 ...     per handle argument: a socket to the queue's broker (whose
//	          first frame brings the pipe the broker answers on) and the
//	          queue's shared memory (memfd), or the memfd of a Lock or Value.
//
// The parent waits at most Options.StartTimeout for the handshake; a child
// that exits first fails Start with "worker exited before handshake (exit
// code N): <stderr tail>". No protocol byte ever goes to stdout or stderr.
// Every started child is waited for by a goroutine of its own (Done closes
// then), and dies with its parent twice over: Pdeathsig (SIGKILL) and EOF on
// the control socket. Pdeathsig follows the thread that forked, not the
// process, so every child is forked by one dedicated goroutine locked to
// its OS thread, which lives until the last of its children has been
// waited for: a child does not die when the thread of the goroutine that
// called Start ends (runtime.LockOSThread without unlock). A child ignores SIGINT: Ctrl-C reaches the whole
// process group, and the parent stops its children itself. Stop ends a child in two phases (SIGTERM, grace,
// SIGKILL) and may be called any number of times.
//
// Exit codes are Python's: 0 when the target returns nil, 1 when it returns
// an error or panics, n for os.Exit(n) or SystemExit(n), -N when signal N
// killed it (Terminate: -15, Kill: -9).
//
// # Panic and error policy
//
// In a child, the target runs on the main goroutine under recover: a panic
// becomes a *PanicError (value and stack). A failing target's error or panic
// is printed to the child's stderr prefixed with its name ("Process-1: ..."),
// the child exits with code 1 and sends the message's first line on the
// control socket, so the parent's Err returns an *ExitError with code and
// message — a failure arrives as an exit code plus a message, never as a
// hang. Run (in-process) returns the same *PanicError. A panic in another
// goroutine of a child crashes it as in any Go program (exit code 2).
// Anything that can block takes a context or a timeout and leaves the state
// as it was when it gives up; WithProcesses gives a context that is
// cancelled, with the dead child's *ExitError as cause, when a child fails,
// so that a Get or Join waiting for a dead worker returns within
// milliseconds. Programming errors at init (Register twice) panic, as
// http.Handle does.
//
// # Queues
//
// The process that creates a queue owns it: a broker (goroutines and an
// in-memory FIFO of encoded items) serves every other process's handle over
// a connection of its own, created when the handle is passed to a child (a
// child passing its handle on asks the broker for a new connection, sending
// it one end of a socket pair with SCM_RIGHTS): a unix stream socket for the
// handle's frames and a pipe for the broker's, whose read end the broker
// sends as the first frame on the socket. Each direction has its own
// descriptor because a unix socket wakes the epoll waiter of its writing
// end whenever the reader consumes, which on one socket used both ways
// would wake each process's idle netpoller thread once per item the other
// side reads. In the creating process Put and Get touch the FIFO directly.
//
// All bytes are frames: a type byte, a 4-byte little-endian length and a
// body. Items travel in batches: an items frame holds any number of items,
// each a uvarint length and the encoded value. A remote Put encodes the item
// at once (so an item that cannot be encoded fails that Put and nothing
// else), appends it to a buffer and returns; a feeder goroutine writes the
// buffer with one write whenever it can — CPython's feeder thread, with the
// same Close (no more puts; buffered items are still written) and
// JoinThread (wait until they are). A put into a queue that holds no
// other item (the shared size says so) writes its own frame with one write
// that does not wait, and the broker likewise grants such an item to a
// waiting handle from the putter's goroutine: a lone item leaves with the
// caller's own system call, with no hand-off to another goroutine (whose
// wake-up costs more than the write), while puts into a queue with items
// in flight, a stream, still leave the batching to the feeder; what such a
// write cannot place goes to the feeder, so a Put never waits for a
// consumer. Wants are written by the getter that sends them. No goroutine reads a remote handle's
// pipe in the background: the Get that needs items reads it itself (the
// reader role; other getters of the handle wait and take it in turn), so
// an item goes from the pipe to Get without a hand-off. In the creating
// process each connection has a reader goroutine, but once it has handed
// items to a waiting local Get and the queue has that one connection, it
// lends the socket to local getters for 500 µs: a Get that finds the FIFO
// empty reads the socket itself (a local Put, Shutdown or Close interrupts
// that read), so there too the item reaches Get with no hand-off. Such a Get,
// if its previous wait was short, polls the socket for up to 50 µs, yielding
// the CPU between polls, before it blocks: a ping-pong's reply then costs no
// halted vCPU's wake-up (spin.go). A remote Get
// asks the broker for items ("want n") and takes them from a local buffer; n adapts to the consumer,
// about one millisecond of its own work per refill, from 1 (a slow
// consumer never holds a task another process could be doing) up to 4096 (a
// streaming consumer keeps the socket full). The broker grants items to the
// handles that want them in fair shares. A Get that gives up withdraws its
// want, and items granted to it after it gave up, like the unconsumed items
// of a handle that is closed, go back to the front of the queue (a
// short-lived drainer goroutine reads the acknowledgement when no getter
// is left to).
//
// Shutdown (Python 3.13's) sets a word in the queue's shared memory, so
// that Put fails with ErrShutDown in every process at once and putters
// asleep on a full queue wake, and tells the broker (a frame, from another
// process). The broker then answers a want it cannot fill with a
// shut-and-empty frame, which fails that Get with ErrShutDown; items left
// in the queue are still got. An immediate shutdown drops the broker's
// items, those arriving later and those a handle fetched ahead, each
// counted as a task done while tasks are unfinished.
//
// Items are typed: Queue[T] encodes T once per queue, by the fastest form
// that fits — plain fixed-size data (integers, floats, arrays and structs of
// them) as its bytes (both ends are the same binary); []byte and string as
// themselves; other fixed-size types (with bools) with encoding/binary;
// anything else with encoding/gob, each handle keeping one encoder so that
// type definitions are not re-sent and re-compiled for every item
// (interface values need gob.Register). A type with its own encoding
// (GobEncoder, BinaryMarshaler, TextMarshaler, itself or in an exported
// field) always goes by gob, which calls it. A pointer type's items are
// what it points to, or nil; gob cannot send a nil pointer below the top
// one (a **T pointing to a nil *T), so such an item fails its Put. The
// first item a handle encodes with gob is also decoded once on the spot, so
// that a type gob can encode but not decode fails that Put rather than
// every Get. The decoder of frames is
// scanner-shaped (Scan, Record, Err) and reports a malformed frame as a
// *FrameError with its stream offset; it is fuzzed (FuzzDecoder).
//
// Counters live in a small shared memory region per queue (memfd, futexes
// without FUTEX_PRIVATE_FLAG, as the POSIX semaphores CPython uses): the
// free slots of a bounded queue (Put blocks there, so maxsize holds across
// processes), the item count behind Size and Empty, and a JoinableQueue's
// unfinished tasks, counted by Put at put time and by TaskDone at once, in
// whatever process; Join sleeps on that word until it is zero. TaskDone
// with no unfinished task fails with "task_done() called too many times".
//
// # Synchronisation primitives
//
// RLock, Semaphore, Event, Condition, Barrier and Array live in a memfd
// like Lock and Value: words changed with atomic instructions and slept on
// with shared futexes, as the POSIX semaphores under CPython's versions.
// They travel to a child as handles of Lock's kind, told apart by their
// type name, and a Condition's lock (like a Connection's socket) is the
// handle's second descriptor. Condition is CPython's algorithm (semaphores
// counting sleepers, woken waiters and wake-ups, so that Notify(n) wakes
// exactly n); Barrier is threading.Barrier's state machine over such a
// condition. Python's owner of an RLock is a (process, thread) pair; here
// it is the handle, one per process, plus one per NewHandle for goroutines
// that must exclude each other. A Barrier's action cannot travel: each
// process sets it on its handle (SetAction). A process killed while it
// holds a lock, or while it sleeps in a Condition, leaves it so, as in
// Python.
//
// Every blocking call of these has a timeout and a context form and leaves
// the state unchanged when it gives up, with two exceptions Python
// dictates: a Condition wait returns holding its lock again, and a Barrier
// wait that gives up breaks the barrier. Connection.Send writes a whole
// message and cannot be cancelled (a pipe buffers at least 64 KiB).
//
// # The join-before-drain pitfall
//
// In Python a process that has put items cannot exit until its feeder thread
// has pushed them into the pipe, so joining it before draining the queue can
// deadlock. Here the creating process's broker always reads and keeps items
// in its own memory, so a child's buffered items are written within
// microseconds of being put; at exit a child flushes its handles
// (JoinThread) and exits. Joining a producer before draining its queue is
// therefore safe (TestJoinProducerBeforeDraining puts 200,000 items, is
// joined, then drained). What can still block is a producer waiting for a
// free slot of a full bounded queue: nothing drains it while you join.
//
// # Where it differs from Python
//
//   - Targets are registered by name; arguments are gob values or handles.
//   - Errors instead of exceptions; Start twice, Join before Start, Close of
//     a running process and SetDaemon after Start return errors where
//     Python asserts. JoinTimeout returns nil also when the time is up (as
//     join(timeout)); JoinContext returns the context's cause.
//   - Put encodes synchronously, so an unencodable item is Put's error, not
//     a traceback printed by the feeder thread.
//   - A queue lives in the process that created it: if that process exits,
//     other handles fail ("connection to the creating process lost"). Pass
//     queues down the process tree, as Python's inheritance does.
//   - GetNowait sees items that reached the creating process (it asks the
//     broker), not only those already in this process's pipe buffer.
//   - A handle gets one item per get, as Python's does; SetPrefetch lets a
//     streaming consumer fetch ahead (millions of items a second instead of
//     tens of thousands). Items prefetched by a consumer that is killed are
//     lost (at most its window; Python loses the one item being read); they
//     still count in Size, as an item lost by a killed producer still holds
//     its slot.
//   - Go has no atexit: the main program calls Shutdown before it returns;
//     a child left running when the parent exits is killed (SIGKILL), not
//     joined.
//   - Lock is not owned (any process may release it), like Python's
//     multiprocessing.Lock; a process that dies holding it leaves it held.
//   - Every timeout must be zero or more (ErrNegativeTimeout), where
//     multiprocessing's semaphores treat a negative one as zero;
//     Connection.Poll keeps Python's behaviour (a negative timeout looks
//     once).
//   - A Connection message is gob, not pickle; Recv decodes into a pointer.
//
// # Limits
//
// Linux only (memfd, futex, Pdeathsig, SOCK_CLOEXEC; sys_linux.go holds
// these, sys_other.go their ErrUnsupported stubs). One item at most 256 MiB.
// A round trip of one item (parent → child → parent) costs one goroutine
// hand-off more than a raw pipe: the creator's broker reads each child's
// socket with a goroutine of its own, which wakes the local getter
// (BenchmarkPingPongRatio measures the mp and raw ping-pongs interleaved
// in one run and reports their ratio; BenchmarkQueueRoundTrip the
// streamed throughput; see docs/design/MULTIPROCESSING.md for figures).
package mp
