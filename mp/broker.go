package mp

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A broker serves one queue in the process that created it. It holds the
// items (a store) and one connection per handle held by another process.
// Local Put and Get in the creating process touch the store directly; a
// remote handle puts by sending item frames and gets by sending wants, which
// the connection's writer answers with item frames cut from the store.
//
// Items are granted to the handles that want them in shares: with k
// handles (and local getters) waiting and n items stored, each is granted
// at most ceil(n/k) at a time, so one fast consumer cannot empty the queue
// while another waits.
type broker struct {
	q *qcore // for ids in errors only

	mu           sync.Mutex
	st           store
	conns        []*bconn
	localWaiters int
	avail        chan struct{} // closed (and replaced) when items arrive for local waiters
	closed       bool          // the creating process closed its handle
	shut         bool          // Shutdown: getters fail once the store is empty
	immediate    bool          // immediate Shutdown: items are dropped as they come
	reader       *bconn        // the connection a local getter is reading, if any (see get)
	spin         spinGate      // whether local getters poll before a wait (spin.go)
	wg           sync.WaitGroup
}

func newBroker(q *qcore) *broker {
	return &broker{q: q, avail: make(chan struct{})}
}

// A bconn is the broker's end of a connection to a remote handle: a unix
// socket on which the handle's frames arrive (and descriptors, for attach),
// and a pipe on which the broker answers. Each direction has its own
// descriptor so that no unix socket is polled by the process that writes
// it: a unix socket wakes the epoll waiters of its writing end each
// time the reader consumes (it signals room to write), which on a single
// socket used both ways costs each process one spurious thread wake-up per
// item the other side reads. A pipe signals room only after it was full.
type bconn struct {
	b    *broker
	c    *net.UnixConn   // the socket: frames from the handle
	w    *os.File        // the pipe to the handle
	raw  syscall.RawConn // w's
	wake chan struct{}   // capacity 1: tells the writer to look again

	writing bool   // a goroutine (writer or an inline put) is writing to c
	rest    []byte // bytes an inline write left unwritten: the writer sends them first
	ibuf    []byte // an inline put's frame
	demand  int    // items wanted and not yet granted
	ackCan  bool   // a cancel awaits its acknowledgement
	fin     bool   // the handle is closing: acknowledge and stop writing
	dead    bool   // the reader ended: the writer stops

	// Reading (see readLoop and get): one goroutine at a time reads c,
	// the connection's reader goroutine or, while the connection is lent,
	// a local getter.
	r         *fdReader
	d         *decoder
	reading   bool          // a goroutine is reading c
	lent      bool          // the reader goroutine leaves c to local getters
	lastLent  time.Time     // when a local getter last stopped reading c
	interrupt atomic.Bool   // the getter reading c was told to stop (a past read deadline); atomic for a getter polling c (spin.go)
	rsleep    bool          // the reader goroutine waits for the getter's read to end
	rwake     chan struct{} // capacity 1: tells the reader goroutine to look again
}

// attach starts serving a connection; f is the broker's end of a socket
// pair. It takes ownership of f.
func (b *broker) attach(f *os.File) error {
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return err
	}
	uc := nc.(*net.UnixConn)
	w, err := sendPipe(uc)
	if err != nil {
		uc.Close()
		return err
	}
	raw, err := w.SyscallConn()
	if err != nil {
		uc.Close()
		w.Close()
		return err
	}
	c := &bconn{b: b, c: uc, w: w, raw: raw, wake: make(chan struct{}, 1), rwake: make(chan struct{}, 1)}
	c.r = &fdReader{c: uc}
	if c.r.raw, err = uc.SyscallConn(); err != nil {
		uc.Close()
		w.Close()
		return err
	}
	c.d = newDecoder(c.r)
	b.mu.Lock()
	b.conns = append(b.conns, c)
	b.unlendLocked() // a getter reads only a lone connection
	b.mu.Unlock()
	b.wg.Add(2)
	go c.readLoop()
	go c.writeLoop()
	return nil
}

// sendPipe makes the pipe on which the broker answers a handle, sends its
// read end to the handle as the first frame on the socket (framePipe), and
// returns the write end.
func sendPipe(uc *net.UnixConn) (*os.File, error) {
	p, err := pipeFds(false)
	if err != nil {
		return nil, err
	}
	_, _, err = uc.WriteMsgUnix(appendFrame(nil, framePipe, nil), unix.UnixRights(p[0]), nil)
	unix.Close(p[0])
	if err != nil {
		unix.Close(p[1])
		return nil, err
	}
	return os.NewFile(uintptr(p[1]), "mp-queue"), nil
}

// notifyLocked tells local waiters and wanting connections that items are
// there.
func (b *broker) notifyLocked() {
	if b.localWaiters > 0 {
		close(b.avail)
		b.avail = make(chan struct{})
	}
	for _, c := range b.conns {
		if c.demand > 0 {
			c.poke()
		}
	}
}

func (c *bconn) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// put stores one encoded item (head: its uvarint length, then payload)
// from this process.
func (b *broker) put(head, payload []byte) {
	b.mu.Lock()
	b.st.compact()
	b.st.buf = append(append(b.st.buf, head...), payload...)
	b.st.n++
	if b.localWaiters == 0 && len(head)+len(payload) <= inlineMax && b.q.alone() {
		for _, c := range b.conns {
			if c.demand > 0 && !c.writing && !c.fin && !c.dead && !c.ackCan && len(c.rest) == 0 {
				c.grantInlineLocked()
				break
			}
		}
	}
	if b.st.len() > 0 {
		b.notifyLocked()
		b.interruptLocked() // a getter reading the socket would not see the item
	}
	b.mu.Unlock()
}

// grantInlineLocked sends a wanting connection its share of the items with
// the putting goroutine's own write, which does not wait (see the inline writes in
// client.go); what it leaves unwritten goes to the writer. b.mu is held on
// entry and on return, and released for the write.
func (c *bconn) grantInlineLocked() {
	b := c.b
	grant := min(c.demand, b.shareLocked())
	out := append(c.ibuf[:0], byte(frameItems), 0, 0, 0, 0)
	var n int
	out, n = b.st.take(out, grant, maxItemsFrame)
	binary.LittleEndian.PutUint32(out[1:5], uint32(len(out)-frameHeaderLen))
	c.demand -= n
	c.writing = true
	b.mu.Unlock()
	w := 0
	c.raw.Write(func(fd uintptr) bool {
		m, err := unix.Write(int(fd), out)
		if err == nil {
			w = m
		}
		return true // one attempt: a put never waits for a consumer
	})
	b.mu.Lock()
	c.writing = false
	if w < len(out) {
		c.rest = append([]byte(nil), out[w:]...)
		c.poke()
	} else if c.fin || c.ackCan || c.dead || c.demand > 0 && b.st.len() > 0 {
		c.poke()
	}
	if cap(out) <= 64<<10 {
		c.ibuf = out[:0]
	}
}

// get takes one item for this process and appends its payload to dst.
func (b *broker) get(w wait, dst []byte) ([]byte, error) {
	b.mu.Lock()
	for b.st.len() == 0 {
		if b.closed {
			b.mu.Unlock()
			return dst, errHandleClosed
		}
		if b.shut {
			b.mu.Unlock()
			return dst, errShutDown
		}
		var err error
		b.localWaiters++
		if c := b.lenderLocked(); c != nil {
			err = c.readForLocked(w)
		} else {
			ch := b.avail
			b.mu.Unlock()
			err = w.on(ch)
			b.mu.Lock()
		}
		b.localWaiters--
		if err != nil && b.st.len() == 0 {
			b.mu.Unlock()
			return dst, err
		}
	}
	dst = append(dst, b.st.pop()...)
	b.mu.Unlock()
	return dst, nil
}

// Lending. A local getter that waits for items from another process
// would, left to the connection's reader goroutine, be woken by it: a
// hand-off between goroutines that costs a second thread's wake-up (the
// scheduler wakes an idle thread for the getter made runnable, which then
// finds nothing to do) per item. So when the reader goroutine has just
// handed items to a waiting local getter and the queue has a lone
// connection, it lends the connection to local getters for lendWindow: a
// getter that finds the store empty reads the socket itself, and the item
// goes from the socket to Get in one goroutine, as with a raw pipe. The
// reader goroutine takes the socket back once no getter has read it for
// lendWindow (so frames that arrive while no getter waits, such as a want,
// wait at most that long), or at once when a second connection is
// attached or the handle closes. A getter reading the socket is
// interrupted (a past read deadline) when something it waits for happens
// elsewhere: a local put, a shutdown, a close.
const lendWindow = 500 * time.Microsecond

// lenderLocked returns the connection a local getter may read, or nil.
func (b *broker) lenderLocked() *bconn {
	if len(b.conns) != 1 || b.reader != nil {
		return nil
	}
	c := b.conns[0]
	if !c.lent || c.reading || c.dead {
		return nil
	}
	return c
}

// unlendLocked makes the reader goroutines take their sockets back.
func (b *broker) unlendLocked() {
	for _, c := range b.conns {
		if c.lent {
			c.lent = false
			c.rpoke()
		}
	}
	b.interruptLocked()
}

// interruptLocked stops a local getter's read of a socket.
func (b *broker) interruptLocked() {
	if c := b.reader; c != nil && !c.interrupt.Load() {
		c.interrupt.Store(true)
		c.c.SetReadDeadline(time.Unix(1, 0))
	}
}

func (c *bconn) rpoke() {
	select {
	case c.rwake <- struct{}{}:
	default:
	}
}

// readForLocked reads and handles one frame from c for a local getter
// that waits as w says. It returns errTimedOut or the context's cause if w
// expires first; nil otherwise (the caller looks at the store again). b.mu
// is held on entry and on return.
func (c *bconn) readForLocked(w wait) (err error) {
	b := c.b
	c.reading, b.reader = true, c
	a := armRead(c.c, w)
	c.r.once = w.nowait
	b.mu.Unlock()
	var t0 time.Time
	if !w.nowait {
		t0 = time.Now()
		if until := b.spin.start(t0, w.deadline); !until.IsZero() && !c.d.buffered() {
			pollReadable(c.r.raw, until, func() bool { return c.interrupt.Load() || ctxDone(w.ctx) })
		}
	}
	ok := c.d.Scan()
	if !w.nowait {
		b.spin.done(t0)
	}
	c.r.once = false
	set := a.disarm()
	b.mu.Lock()
	if set || c.interrupt.Load() {
		c.c.SetReadDeadline(time.Time{})
	}
	interrupted := c.interrupt.Swap(false)
	c.reading, b.reader = false, nil
	c.lastLent = time.Now()
	if !c.lent || c.rsleep {
		c.rpoke() // the reader goroutine waits for the socket
	}
	if !ok {
		switch {
		case !c.d.TimedOut():
			c.endLocked()
			return nil
		case interrupted:
			return nil // the caller looks again
		case w.ctx != nil && w.ctx.Err() != nil:
			return context.Cause(w.ctx)
		}
		return errTimedOut // the deadline, or nothing to read now (nowait)
	}
	if fd, ok := c.handleLocked(c.d.Record()); !ok {
		c.endLocked()
	} else if fd >= 0 {
		b.mu.Unlock()
		b.attach(os.NewFile(uintptr(fd), "mp-queue"))
		b.mu.Lock()
	}
	return nil
}

// shutdown is the broker's part of Queue.Shutdown: getters fail once the
// store is empty; if immediate, the store is emptied now and whatever
// arrives later is dropped.
func (b *broker) shutdown(immediate bool) {
	b.mu.Lock()
	b.shutdownLocked(immediate)
	b.mu.Unlock()
}

func (b *broker) shutdownLocked(immediate bool) {
	b.shut = true
	if immediate && !b.immediate {
		b.immediate = true
		n := b.st.len()
		b.st = store{}
		b.q.drop(n)
	}
	close(b.avail)
	b.avail = make(chan struct{})
	for _, c := range b.conns {
		c.poke()
	}
	b.interruptLocked()
}

// close marks the creating process's handle closed and wakes its getters.
// Connections to other processes are served until they end.
func (b *broker) close() {
	b.mu.Lock()
	b.closed = true
	close(b.avail)
	b.avail = make(chan struct{})
	b.unlendLocked()
	b.mu.Unlock()
}

// share is how many items one wanting party may be granted now.
func (b *broker) shareLocked() int {
	k := b.localWaiters
	for _, c := range b.conns {
		if c.demand > 0 {
			k++
		}
	}
	k = max(k, 1)
	return (b.st.len() + k - 1) / k
}

// readLoop is the connection's reader goroutine: it reads the handle's
// frames whenever the connection is not lent to a local getter.
func (c *bconn) readLoop() {
	b := c.b
	defer b.wg.Done()
	t := time.NewTimer(time.Hour)
	t.Stop()
	defer t.Stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		for !c.dead && (c.reading || c.lent) {
			if !c.reading && (time.Since(c.lastLent) >= lendWindow || b.closed || len(b.conns) != 1) {
				c.lent = false
				break
			}
			// While a getter has been reading for a whole window,
			// wait for it to stop (it pokes rwake), with no timer: a
			// getter blocked for long costs no periodic wake-ups.
			// Otherwise wait for the window to end: getters that take
			// turns quickly (a ping-pong, whose getter is reading
			// nearly all the time) would each poke a sleeping reader
			// goroutine, a thread's wake-up per item.
			var tc <-chan time.Time
			if c.reading && time.Since(c.lastLent) >= lendWindow {
				c.rsleep = true
			} else {
				t.Reset(lendWindow - time.Since(c.lastLent))
				tc = t.C
			}
			b.mu.Unlock()
			select {
			case <-c.rwake:
			case <-tc:
			}
			t.Stop()
			b.mu.Lock()
			c.rsleep = false
		}
		if c.dead {
			return // a getter read the end of the stream
		}
		c.reading = true
		b.mu.Unlock()
		ok := c.d.Scan()
		b.mu.Lock()
		c.reading = false
		if !ok {
			c.endLocked()
			return
		}
		waiters := b.localWaiters
		f := c.d.Record()
		fd, ok := c.handleLocked(f)
		if !ok {
			c.endLocked()
			return
		}
		if fd >= 0 {
			b.mu.Unlock()
			b.attach(os.NewFile(uintptr(fd), "mp-queue"))
			b.mu.Lock()
			continue
		}
		if waiters > 0 && f.Type == frameItems && len(b.conns) == 1 && !b.closed && !b.immediate {
			// Items for a waiting local getter: lend it the socket for
			// the next ones.
			c.lent, c.lastLent = true, time.Now()
		}
	}
}

// handleLocked acts on one frame from the handle. It returns the
// descriptor of an attach (else -1), and false on a protocol error.
func (c *bconn) handleLocked(f frame) (int, bool) {
	b := c.b
	switch f.Type {
	case frameItems, frameReturn:
		switch {
		case b.immediate:
			b.q.drop(f.Items)
		case f.Type == frameItems:
			b.st.appendItems(f.Body, f.Items)
			b.notifyLocked()
		default:
			b.st.prepend(f.Body, f.Items)
			b.notifyLocked()
		}
	case frameShutdown:
		b.shutdownLocked(f.N == 1)
	case frameWant:
		// The writer is woken only if it can answer now: a want
		// into an empty queue is answered by the put that fills it
		// (notifyLocked, or the putter's own write), and waking the
		// writer to find nothing costs a thread's wake-up per get.
		c.demand += int(f.N)
		if b.st.len() > 0 || b.shut {
			c.poke()
		}
	case frameCancel:
		// The writer grants what is there now, then drops the rest
		// of the want and acknowledges: a GetNowait probe (want 1,
		// cancel) thus gets an item that is in the queue.
		c.ackCan = true
		c.poke()
	case frameFin:
		c.demand = 0
		c.fin = true
		c.poke()
	case frameAttach:
		fd, ok := c.r.next()
		if !ok {
			return -1, false // protocol error: an attach without a descriptor
		}
		return fd, true
	default:
		return -1, false
	}
	return -1, true
}

// endLocked ends the connection after its stream ended or failed: the
// writer closes the socket once it has seen dead.
func (c *bconn) endLocked() {
	b := c.b
	c.r.closeFDs()
	c.dead = true
	b.conns = slices.DeleteFunc(b.conns, func(x *bconn) bool { return x == c })
	c.poke()
	c.rpoke()
}

func (c *bconn) writeLoop() {
	b := c.b
	defer b.wg.Done()
	defer c.c.Close()
	defer c.w.Close()
	var out []byte
	for {
		b.mu.Lock()
		for c.writing || !c.dead && !c.fin && !c.ackCan && len(c.rest) == 0 && (c.demand == 0 || b.st.len() == 0 && !b.shut) {
			b.mu.Unlock()
			<-c.wake
			b.mu.Lock()
		}
		if c.dead {
			b.mu.Unlock()
			return
		}
		out = append(out[:0], c.rest...)
		c.rest = nil
		if c.demand > 0 && b.st.len() > 0 {
			grant := min(c.demand, b.shareLocked())
			start := len(out)
			out = append(out, byte(frameItems), 0, 0, 0, 0)
			var n int
			out, n = b.st.take(out, grant, maxItemsFrame)
			binary.LittleEndian.PutUint32(out[start+1:start+5], uint32(len(out)-start-frameHeaderLen))
			c.demand -= n
		}
		if c.demand > 0 && b.st.len() == 0 && b.shut {
			c.demand = 0
			out = appendFrame(out, frameShutEmpty, nil)
		}
		if c.ackCan {
			c.ackCan = false
			c.demand = 0
			out = appendFrame(out, frameCancelled, nil)
		}
		fin := c.fin
		if fin {
			out = appendFrame(out, frameFinAck, nil)
		}
		c.writing = true
		b.mu.Unlock()
		_, err := c.w.Write(out)
		b.mu.Lock()
		if !fin {
			c.writing = false // after a fin-ack nothing more is written
		}
		b.mu.Unlock()
		if err != nil || fin {
			// After a fin-ack the reader still takes the returned items
			// and the end of stream; it marks the connection dead.
			if fin {
				b.mu.Lock()
				for !c.dead {
					b.mu.Unlock()
					<-c.wake
					b.mu.Lock()
				}
				b.mu.Unlock()
			}
			return
		}
		if cap(out) > 4<<20 {
			out = nil
		}
	}
}

// An fdReader reads a unix socket and collects the descriptors that arrive
// with the bytes (SCM_RIGHTS), in order.
type fdReader struct {
	c    *net.UnixConn
	raw  syscall.RawConn // c's
	once bool            // read what is there now, else fail with os.ErrDeadlineExceeded
	oob  [256]byte
	fds  []int
}

func (r *fdReader) Read(p []byte) (int, error) {
	var n, oobn int
	var err error
	if r.once {
		if rerr := r.raw.Read(func(fd uintptr) bool {
			n, oobn, _, _, err = unix.Recvmsg(int(fd), p, r.oob[:], unix.MSG_CMSG_CLOEXEC|unix.MSG_DONTWAIT)
			return true
		}); rerr != nil {
			err = rerr
		}
		switch {
		case err == unix.EAGAIN:
			n, err = 0, os.ErrDeadlineExceeded // the decoder keeps what it has; Scan may resume
		case err != nil:
			n = 0
		case n == 0 && len(p) > 0:
			err = io.EOF
		}
	} else {
		n, oobn, _, _, err = r.c.ReadMsgUnix(p, r.oob[:])
		n, oobn = max(n, 0), max(oobn, 0) // -1 with a timeout
	}
	if oobn > 0 {
		if msgs, perr := unix.ParseSocketControlMessage(r.oob[:oobn]); perr == nil {
			for i := range msgs {
				if fds, ferr := unix.ParseUnixRights(&msgs[i]); ferr == nil {
					r.fds = append(r.fds, fds...)
				}
			}
		}
	}
	return n, err
}

func (r *fdReader) next() (int, bool) {
	if len(r.fds) == 0 {
		return -1, false
	}
	fd := r.fds[0]
	r.fds = r.fds[1:]
	return fd, true
}

func (r *fdReader) closeFDs() {
	for _, fd := range r.fds {
		unix.Close(fd)
	}
	r.fds = nil
}
