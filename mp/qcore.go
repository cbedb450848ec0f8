package mp

// A qcore is the untyped part of a queue handle: the shared counters and
// either the broker (in the creating process) or a client (elsewhere). The
// typed queues in queue.go encode and decode items around it.

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

type qkind uint8

const (
	kindQueue qkind = iota + 1
	kindJoinable
	kindSimple
)

func (k qkind) String() string {
	switch k {
	case kindQueue:
		return "Queue"
	case kindJoinable:
		return "JoinableQueue"
	case kindSimple:
		return "SimpleQueue"
	}
	return fmt.Sprintf("qkind(%d)", uint8(k))
}

// Shared memory of a queue: five 32-bit counters and a magic number.
const (
	offSlots       = 0  // free slots of a bounded queue (a semaphore)
	offSlotWaiters = 4  // putters asleep on offSlots
	offSize        = 8  // items put and not yet got, counted at Put time
	offUnfinished  = 12 // tasks put and not yet done (JoinableQueue)
	offJoinWaiters = 16 // joiners asleep on offUnfinished
	offMagic       = 20
	offShutdown    = 24 // 0, shutDown or shutImmediate (Queue.Shutdown)
	queueShmSize   = 64
	queueMagic     = 0x3151504d // "MPQ1"
	maxMaxsize     = 1 << 30
)

var queueIDs atomic.Uint64

// A qcore is what the typed queues share: the handle of one process on one
// queue, either the creator's (b != nil) or a connection to it (c != nil).
type qcore struct {
	id      uint64 // per creating process
	creator int    // pid of the creating process
	kind    qkind
	typ     string // item type, checked when a handle is bound in a child
	maxsize int

	mem                            *shm
	shut                           *uint32
	slots                          sem
	sizeW, unfinished, joinWaiters *uint32

	b *broker
	c *client

	closed atomic.Bool
}

func newCore(kind qkind, typ string, maxsize int) (*qcore, error) {
	if maxsize > maxMaxsize {
		return nil, fmt.Errorf("mp: new %s: maxsize %d exceeds %d", kind, maxsize, maxMaxsize)
	}
	maxsize = max(maxsize, 0)
	id := queueIDs.Add(1)
	mem, err := newShm(fmt.Sprintf("mp-queue-%d", id), queueShmSize)
	if err != nil {
		return nil, err
	}
	q := &qcore{id: id, creator: os.Getpid(), kind: kind, typ: typ, maxsize: maxsize}
	q.setMem(mem)
	atomic.StoreUint32(q.mem.word(offSlots), uint32(maxsize))
	atomic.StoreUint32(q.mem.word(offMagic), queueMagic)
	q.b = newBroker(q)
	registerHandle(q)
	return q, nil
}

func (q *qcore) setMem(mem *shm) {
	q.mem = mem
	q.shut = mem.word(offShutdown)
	q.slots = sem{val: mem.word(offSlots), waiters: mem.word(offSlotWaiters), stop: q.shut}
	q.sizeW = mem.word(offSize)
	q.unfinished = mem.word(offUnfinished)
	q.joinWaiters = mem.word(offJoinWaiters)
}

func (q *qcore) String() string {
	return fmt.Sprintf("%s[%s] %d of pid %d", q.kind, q.typ, q.id, q.creator)
}

func (q *qcore) errorf(op string, err error) error {
	return fmt.Errorf("mp: %s: %s: %w", q, op, err)
}

func (q *qcore) isClosed() bool { return q.closed.Load() }

// enter guards a call against Close unmapping the shared memory under it.
func (q *qcore) enter(op string) error {
	if q.isClosed() || !q.mem.enter() {
		return q.errorf(op, ErrQueueClosed)
	}
	return nil
}

func (q *qcore) put(op string, w wait, head, payload []byte) error {
	if err := q.enter(op); err != nil {
		return err
	}
	defer q.mem.leave()
	if atomic.LoadUint32(q.shut) != 0 {
		return q.errorf(op, ErrShutDown)
	}
	if q.maxsize > 0 {
		switch err := q.slots.acquire(w, q.mem); err {
		case nil:
		case errTimedOut:
			return q.errorf(op, ErrFull)
		case errHandleClosed:
			return q.errorf(op, ErrQueueClosed)
		case errShutDown:
			return q.errorf(op, ErrShutDown)
		default:
			return q.errorf(op, err)
		}
	}
	if q.kind == kindJoinable {
		atomic.AddUint32(q.unfinished, 1)
	}
	atomic.AddUint32(q.sizeW, 1)
	var err error
	if q.b != nil {
		q.b.put(head, payload)
	} else {
		err = q.c.put(head, payload)
	}
	if err != nil {
		atomic.AddUint32(q.sizeW, ^uint32(0))
		if q.kind == kindJoinable {
			q.taskDone()
		}
		if q.maxsize > 0 {
			q.slots.release()
		}
		if err == errHandleClosed {
			err = ErrQueueClosed
		}
		return q.errorf(op, err)
	}
	return nil
}

func (q *qcore) get(op string, w wait, dst []byte) ([]byte, error) {
	if err := q.enter(op); err != nil {
		return dst, err
	}
	defer q.mem.leave()
	var err error
	if q.b != nil {
		dst, err = q.b.get(w, dst)
	} else {
		dst, err = q.c.get(w, dst)
	}
	switch err {
	case nil:
	case errTimedOut:
		if atomic.LoadUint32(q.shut) != 0 {
			return dst, q.errorf(op, ErrShutDown)
		}
		return dst, q.errorf(op, ErrEmpty)
	case errShutDown:
		return dst, q.errorf(op, ErrShutDown)
	case errHandleClosed:
		return dst, q.errorf(op, ErrQueueClosed)
	default:
		return dst, q.errorf(op, err)
	}
	atomic.AddUint32(q.sizeW, ^uint32(0))
	if q.maxsize > 0 {
		q.slots.release()
	}
	return dst, nil
}

// alone reports whether the item being put is the only one in the queue
// (put counts it before it is sent): such a put is written at once, while
// puts into a queue with items in flight are left to batching.
func (q *qcore) alone() bool { return atomic.LoadUint32(q.sizeW) <= 1 }

// size returns the shared item count; 0 once the handle is closed.
func (q *qcore) size() int {
	if !q.mem.enter() {
		return 0
	}
	defer q.mem.leave()
	return max(int(int32(atomic.LoadUint32(q.sizeW))), 0)
}

// Shutdown states in the shared word at offShutdown.
const (
	shutDown      = 1
	shutImmediate = 2
)

// shutdown shuts the queue down for every process (Python 3.13's
// Queue.shutdown): the shared word stops puts everywhere at once, sleeping
// putters are woken, and the broker is told, directly or by a frame, so
// that getters fail once nothing is left (at once if immediate, the items
// dropped and counted done).
func (q *qcore) shutdown(op string, immediate bool) error {
	if err := q.enter(op); err != nil {
		return err
	}
	defer q.mem.leave()
	want := uint32(shutDown)
	if immediate {
		want = shutImmediate
	}
	for {
		v := atomic.LoadUint32(q.shut)
		if v >= want || atomic.CompareAndSwapUint32(q.shut, v, want) {
			break
		}
	}
	futexWake(q.slots.val, 1<<30)
	if q.b != nil {
		q.b.shutdown(immediate)
		return nil
	}
	if err := q.c.shutdown(immediate); err != nil {
		return q.errorf(op, err)
	}
	return nil
}

func (q *qcore) isShutdown() bool {
	if !q.mem.enter() {
		return false
	}
	defer q.mem.leave()
	return atomic.LoadUint32(q.shut) != 0
}

// drop accounts for n items an immediate shutdown threw away: they leave
// the size, free their slots and count as done (Python calls task_done
// for each, while tasks are unfinished).
func (q *qcore) drop(n int) {
	if n <= 0 {
		return
	}
	atomic.AddUint32(q.sizeW, ^uint32(n-1))
	if q.maxsize > 0 {
		atomic.AddUint32(q.slots.val, uint32(n))
		futexWake(q.slots.val, 1<<30)
	}
	if q.kind == kindJoinable {
		for i := 0; i < n && q.taskDone() == nil; i++ {
		}
	}
}

func (q *qcore) taskDone() error {
	for {
		v := atomic.LoadUint32(q.unfinished)
		if v == 0 {
			return ErrTaskDone
		}
		if atomic.CompareAndSwapUint32(q.unfinished, v, v-1) {
			if v == 1 && atomic.LoadUint32(q.joinWaiters) > 0 {
				futexWake(q.unfinished, 1<<30)
			}
			return nil
		}
	}
}

func (q *qcore) join(op string, w wait) error {
	if err := q.enter(op); err != nil {
		return err
	}
	defer q.mem.leave()
	for {
		v := atomic.LoadUint32(q.unfinished)
		if v == 0 {
			return nil
		}
		if over, timedOut, cause := w.expired(); over {
			if timedOut {
				return q.errorf(op, fmt.Errorf("%w with %d unfinished tasks", ErrTimeout, v))
			}
			return q.errorf(op, cause)
		}
		if q.isClosed() {
			return q.errorf(op, ErrQueueClosed)
		}
		atomic.AddUint32(q.joinWaiters, 1)
		if atomic.LoadUint32(q.unfinished) == v {
			w.futexSleep(q.unfinished, v)
		}
		atomic.AddUint32(q.joinWaiters, ^uint32(0))
	}
}

func (q *qcore) close() error {
	if q.closed.Swap(true) {
		return nil
	}
	if q.b != nil {
		q.b.close()
	} else {
		q.c.close()
	}
	unregisterHandle(q)
	return q.mem.close(q.slots.val, q.unfinished)
}

func (q *qcore) joinThread(op string, w wait) error {
	if !q.isClosed() {
		return q.errorf(op, errors.New("JoinThread called before Close"))
	}
	if q.c == nil {
		return nil
	}
	switch err := w.on(q.c.feederDone); err {
	case nil:
		q.c.mu.Lock()
		err = q.c.err
		q.c.mu.Unlock()
		if err != nil {
			return q.errorf(op, err)
		}
		return nil
	case errTimedOut:
		return q.errorf(op, ErrTimeout)
	default:
		return q.errorf(op, err)
	}
}

// share prepares a connection to this queue for a child process: the
// child's end of a new socket pair and the shared memory.
func (q *qcore) share(pl *plan) (*handleSpec, error) {
	if err := q.enter("pass to a child"); err != nil {
		return nil, err
	}
	pl.release = append(pl.release, q.mem.leave)
	fds, err := socketpair()
	if err != nil {
		return nil, q.errorf("pass to a child", err)
	}
	ours := os.NewFile(uintptr(fds[0]), "mp-queue")
	theirs := os.NewFile(uintptr(fds[1]), "mp-queue")
	if q.b != nil {
		err = q.b.attach(ours)
	} else {
		err = q.c.attach(ours)
		ours.Close()
	}
	if err != nil {
		theirs.Close()
		return nil, q.errorf("pass to a child", err)
	}
	return &handleSpec{
		Kind:    uint8(q.kind),
		ID:      q.id,
		Creator: q.creator,
		Type:    q.typ,
		Maxsize: q.maxsize,
		Conn:    pl.add(theirs, true),
		Shm:     pl.add(q.mem.f, false),
	}, nil
}

// openCore builds a handle in a child from what its parent passed.
func openCore(s *handleSpec, conn, mem *os.File) (*qcore, error) {
	m, err := mapShm(mem, queueShmSize)
	if err != nil {
		conn.Close()
		return nil, err
	}
	q := &qcore{id: s.ID, creator: s.Creator, kind: qkind(s.Kind), typ: s.Type, maxsize: s.Maxsize}
	q.setMem(m)
	if v := atomic.LoadUint32(q.mem.word(offMagic)); v != queueMagic {
		conn.Close()
		m.close()
		return nil, fmt.Errorf("mp: %s: shared memory magic %#x, want %#x", q, v, queueMagic)
	}
	if q.c, err = newClient(q, conn); err != nil {
		m.close()
		return nil, err
	}
	registerHandle(q)
	return q, nil
}

// Handles open in this process, closed and flushed when a child's target
// returns.
var handles struct {
	sync.Mutex
	m map[*qcore]struct{}
}

func registerHandle(q *qcore) {
	handles.Lock()
	if handles.m == nil {
		handles.m = map[*qcore]struct{}{}
	}
	handles.m[q] = struct{}{}
	handles.Unlock()
}

func unregisterHandle(q *qcore) {
	handles.Lock()
	delete(handles.m, q)
	handles.Unlock()
}

// flushHandles closes every open handle of this process and waits until
// their buffered items are written, or the time is up.
func flushHandles(d time.Duration) error {
	handles.Lock()
	var qs []*qcore
	for q := range handles.m {
		qs = append(qs, q)
	}
	handles.Unlock()
	for _, q := range qs {
		q.close()
	}
	w := wait{deadline: time.Now().Add(d)}
	var errs []error
	for _, q := range qs {
		errs = append(errs, q.joinThread("flush at exit", w))
	}
	return errors.Join(errs...)
}
