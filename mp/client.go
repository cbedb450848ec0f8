package mp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// A client is a queue handle in a process other than the one that created
// the queue: a connection to the creator's broker.
//
// Putting appends the item to a pending buffer that a feeder goroutine
// writes out, so that a burst of puts leaves as one write (CPython's feeder
// thread, without the pickling: items are encoded by Put itself, so that an
// item that cannot be encoded is an error of that Put).
//
// Getting takes items from a local store filled by a reader goroutine. The
// handle asks the broker for items with want frames: by default one per get,
// as Python's get reads one item. A handle allowed to fetch ahead
// (SetPrefetch) asks for as many as follows from how fast it consumes: the
// window is about one millisecond of its own work (at least 1, at most its
// limit). A consumer that spends milliseconds per item still asks for one
// item when it needs one; one that streams items keeps up to its limit in
// flight and reaches a million items a second.
type client struct {
	q    *qcore
	sock *os.File // the socket to the broker, in blocking mode: this handle only writes it
	fd   int      // sock's descriptor, for the inline writes
	rd   *os.File // the pipe from the broker (pollable: read deadlines work)

	mu       sync.Mutex
	pending  []byte // frames waiting for the feeder
	spare    []byte
	open     int  // offset in pending of the open items frame, or -1
	closing  bool // Close was called: no more puts or gets
	err      error
	st       store // items received and not yet got
	out      int   // items wanted and not yet received
	canceled bool  // a cancel is in flight
	waiters  int   // getters waiting for items
	probers  int   // GetNowait calls waiting for the cancel acknowledgement
	avail    chan struct{}

	window  int
	limit   int           // the most items the window may hold (SetPrefetch); default 1
	perItem time.Duration // smoothed time this handle takes per item got
	mark    time.Time     // when perItem was last sampled
	gets    int           // items got since mark

	writing    bool          // a goroutine owns the write side of conn (feeder, inline writer, attach, finish)
	wfree      sync.Cond     // on mu: broadcast when writing becomes false
	feed       chan struct{} // capacity 1
	dec        *decoder      // read by the goroutine in the reader role
	reading    bool          // a goroutine is reading conn (see awaitLocked)
	rself      int           // how many of waiters+probers the reader is
	finAcked   bool          // the broker acknowledged the fin: nothing more comes
	shutEmpty  bool          // the broker said: shut down, nothing left for the wants sent
	drainers   sync.WaitGroup
	feederDone chan struct{}
}

const (
	maxWindow    = 4096
	windowBudget = time.Millisecond
)

// newClient makes a handle on the socket f to the broker. It first reads
// the pipe the broker answers on (framePipe); see bconn for why each
// direction has its own descriptor. The socket stays in blocking mode and
// out of the netpoller: puts write it with their own system call (inline
// writes try once, MSG_DONTWAIT), the feeder with a write that waits.
func newClient(q *qcore, f *os.File) (*client, error) {
	fd := int(f.Fd()) // blocking mode
	rd, err := recvPipe(fd)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("connection to the creating process: %w", err)
	}
	c := &client{
		q:          q,
		sock:       f,
		fd:         fd,
		rd:         rd,
		open:       -1,
		avail:      make(chan struct{}),
		window:     1,
		perItem:    windowBudget,
		feed:       make(chan struct{}, 1),
		feederDone: make(chan struct{}),
	}
	c.wfree.L = &c.mu
	c.dec = newDecoder(rd)
	go c.feedLoop()
	return c, nil
}

// recvPipe reads the broker's first frame on the socket fd, a framePipe
// carrying the read end of the broker's pipe, and returns that end (in
// non-blocking mode, so it is pollable). Nothing else arrives on the socket.
func recvPipe(fd int) (*os.File, error) {
	var hdr [frameHeaderLen]byte
	oob := make([]byte, unix.CmsgSpace(4*4))
	var fds []int
	got := 0
	for got < len(hdr) {
		n, oobn, _, _, err := unix.Recvmsg(fd, hdr[got:], oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if oobn > 0 {
			if msgs, perr := unix.ParseSocketControlMessage(oob[:oobn]); perr == nil {
				for i := range msgs {
					if more, ferr := unix.ParseUnixRights(&msgs[i]); ferr == nil {
						fds = append(fds, more...)
					}
				}
			}
		}
		if n == 0 {
			closeAll(fds)
			return nil, errors.New("end of stream before the pipe")
		}
		got += n
	}
	if frameType(hdr[0]) != framePipe || binary.LittleEndian.Uint32(hdr[1:]) != 0 || len(fds) != 1 {
		closeAll(fds)
		return nil, fmt.Errorf("want a pipe frame with one descriptor, got %q with %d", hdr[0], len(fds))
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		return nil, err
	}
	return os.NewFile(uintptr(fds[0]), "mp-queue"), nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

func (c *client) kick() {
	select {
	case c.feed <- struct{}{}:
	default:
	}
}

func (c *client) broadcastLocked() {
	close(c.avail)
	c.avail = make(chan struct{})
}

// put queues one encoded item (head: its uvarint length, then payload) for
// the feeder.
func (c *client) put(head, payload []byte) error {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return errHandleClosed
	}
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return err
	}
	if c.open < 0 || len(c.pending)-c.open-frameHeaderLen+len(head)+len(payload) > maxItemsFrame && len(c.pending)-c.open > frameHeaderLen {
		c.open = len(c.pending)
		c.pending = append(c.pending, byte(frameItems), 0, 0, 0, 0)
	}
	c.pending = append(append(c.pending, head...), payload...)
	binary.LittleEndian.PutUint32(c.pending[c.open+1:], uint32(len(c.pending)-c.open-frameHeaderLen))
	if !c.writing && len(c.pending) <= inlineMax && c.q.alone() {
		c.writeInlineLocked()
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	c.kick()
	return nil
}

// Inline writes. A put into a queue that holds no other item (anywhere:
// the shared size is 1 with it) and finds the write side free writes its
// frame itself, with one write that does not wait: a lone item leaves with
// the caller's own system call, with no hand-off to the feeder goroutine
// and the thread wake-up that costs. Puts into a queue that already holds
// items are a stream: they leave the bytes to the feeder, which sends what
// accumulated with one write, so a stream still costs about one system
// call per batch, not per item. Wants and other control frames are written
// inline whenever the write side is free: the getter that sends one is
// about to wait for its answer.
const inlineMax = 64 << 10 // larger buffers go to the feeder

// writeInlineLocked writes c.pending with one write that does not wait
// (EAGAIN writes nothing); whatever is left stays in front of pending for
// the feeder, which is then kicked. c.mu is held on entry and on return.
func (c *client) writeInlineLocked() {
	buf := c.pending
	c.pending, c.spare = c.spare[:0], nil
	c.open = -1
	c.writing = true
	c.mu.Unlock()
	// One attempt: never wait for room here.
	n, err := unix.SendmsgN(c.fd, buf, nil, nil, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
	if err != nil {
		n = 0
	}
	c.mu.Lock()
	if n < len(buf) {
		// Keep the unwritten bytes (maybe half a frame) ahead of what
		// was put meanwhile; a failed write fails again in the feeder,
		// which reports it.
		rest := append(buf[:copy(buf, buf[n:])], c.pending...)
		if c.open >= 0 {
			c.open += len(buf) - n
		}
		c.pending = rest
	} else if cap(buf) <= 4<<20 && c.spare == nil {
		c.spare = buf[:0]
	}
	c.releaseWriteLocked()
}

// acquireWriteLocked waits until no other goroutine writes to conn and
// takes the write side. c.mu is held on entry and on return.
func (c *client) acquireWriteLocked() {
	for c.writing {
		c.wfree.Wait()
	}
	c.writing = true
}

// releaseWriteLocked gives the write side back and tells the feeder if
// bytes wait.
func (c *client) releaseWriteLocked() {
	c.writing = false
	c.wfree.Broadcast()
	if len(c.pending) > 0 || c.closing {
		c.kick()
	}
}

// ctrlLocked queues a control frame; flushLocked sends it.
func (c *client) ctrlLocked(b []byte) {
	c.pending = append(c.pending, b...)
	c.open = -1
}

// flushLocked writes pending frames inline if the write side is free,
// else leaves them to the feeder. It may release c.mu for the write.
func (c *client) flushLocked() {
	if !c.writing && len(c.pending) <= inlineMax {
		c.writeInlineLocked()
		return
	}
	c.kick()
}

func (c *client) wantLocked(n int) {
	n = min(n, maxWant)
	c.shutEmpty = false
	c.out += n
	c.ctrlLocked(appendWant(nil, n))
}

// get takes one item and appends its payload to dst.
func (c *client) get(w wait, dst []byte) ([]byte, error) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return dst, errHandleClosed
	}
	if atomic.LoadUint32(c.q.shut) == shutImmediate {
		c.dropLocked()
		c.mu.Unlock()
		return dst, errShutDown
	}
	for c.st.len() == 0 {
		if c.closing {
			c.mu.Unlock()
			return dst, errHandleClosed
		}
		if c.err != nil {
			err := c.err
			c.mu.Unlock()
			return dst, err
		}
		if w.nowait {
			if err := c.probeLocked(); err != nil {
				c.mu.Unlock()
				return dst, err
			}
			if c.st.len() == 0 {
				c.mu.Unlock()
				return dst, errTimedOut
			}
			break
		}
		c.waiters++
		if !c.canceled && c.out < c.waiters {
			c.adaptLocked()
			c.wantLocked(max(c.window, c.waiters) - c.out)
			c.flushLocked()
		}
		err := c.awaitLocked(w, 1, func() bool { return c.st.len() > 0 || c.shutEmpty })
		c.waiters--
		if c.st.len() == 0 && c.shutEmpty {
			c.mu.Unlock()
			return dst, errShutDown
		}
		if err != nil && c.st.len() == 0 {
			if c.waiters == 0 && c.out > 0 && !c.canceled && !c.closing && c.err == nil {
				c.canceled = true
				c.ctrlLocked(appendFrame(nil, frameCancel, nil))
				c.flushLocked()
				c.drainLaterLocked(0)
			}
			c.mu.Unlock()
			return dst, err
		}
	}
	dst = append(dst, c.st.pop()...)
	c.gets++
	if c.waiters > 0 && !c.canceled && c.st.len()+c.out < c.waiters {
		// This getter found an item without waiting: one a waiting getter
		// of this handle was counting on. Ask for it again, or that
		// getter would wait for ever with nothing wanted.
		c.wantLocked(c.waiters - c.st.len() - c.out)
		c.flushLocked()
	}
	if c.window > 1 && !c.canceled && c.st.len()+c.out <= c.window/2 {
		c.adaptLocked()
		if n := c.window - c.st.len() - c.out; n > 0 {
			c.wantLocked(n)
			c.flushLocked()
		}
	}
	c.mu.Unlock()
	return dst, nil
}

// setLimit caps the window at n items (n ≥ 1).
func (c *client) setLimit(n int) {
	c.mu.Lock()
	c.limit = max(n, 1)
	c.window = min(c.window, c.limit)
	c.mu.Unlock()
}

// adaptLocked sets the window to about windowBudget of this handle's time
// per item, sampled once per refill (the clock is not free).
func (c *client) adaptLocked() {
	now := time.Now()
	if !c.mark.IsZero() && c.gets > 0 {
		per := now.Sub(c.mark) / time.Duration(c.gets)
		c.perItem += (per - c.perItem) / 2
		most := max(c.limit, 1)
		c.window = int(min(max(windowBudget/max(c.perItem, 1), 1), time.Duration(most)))
	}
	c.mark, c.gets = now, 0
}

// probeLocked asks the broker for one item and waits for its answer, so
// that GetNowait sees items that have reached the broker. It is used only
// when the shared size says some item exists somewhere.
func (c *client) probeLocked() error {
	if c.q.size() <= 0 {
		return nil
	}
	c.probers++
	defer func() { c.probers-- }()
	// Let a cancel in flight finish, then ask for one item and cancel at
	// once: the broker grants what it holds before it acknowledges.
	for round := 0; round < 2; round++ {
		c.awaitLocked(wait{}, 1, func() bool { return !c.canceled })
		if round == 1 || c.st.len() > 0 || c.err != nil || c.closing {
			break
		}
		if c.out == 0 {
			c.wantLocked(1)
		}
		c.canceled = true
		c.ctrlLocked(appendFrame(nil, frameCancel, nil))
		c.flushLocked()
	}
	return nil
}

// Reading. No goroutine reads the connection in the background: the
// getter that needs items reads it itself (the reader role, c.reading),
// so that an item goes from the socket to Get with no hand-off between
// goroutines; other getters of the same handle wait on c.avail and take the
// role in turn. Nothing arrives unasked: items answer wants, the
// acknowledgements answer a cancel or a fin. A getter that gives up with a
// want outstanding leaves a drainer goroutine to read the acknowledgement
// and give back what was granted too late (drain); finish reads up to the
// fin-ack.

// awaitLocked returns nil once done() holds, the connection failed or the
// handle is closing, and errTimedOut or the context's cause if w expires
// first. It reads the connection if no other goroutine does. c.mu is held
// on entry and on return.
func (c *client) awaitLocked(w wait, self int, done func() bool) error {
	for {
		if done() || c.err != nil || c.closing {
			return nil
		}
		if !c.reading {
			return c.readLocked(w, self, done)
		}
		ch := c.avail
		c.mu.Unlock()
		err := w.on(ch)
		c.mu.Lock()
		if err != nil && !done() {
			return err
		}
	}
}

// An armedRead is a read's deadline and context, set on its descriptor by armRead.
type armedRead struct {
	stop  func() bool   // the context's AfterFunc, nil without a context
	fired chan struct{} // closed when the AfterFunc has set its past deadline
	set   bool          // a deadline was or may have been set
}

// armRead sets d's read deadline from w and, for a context, a past deadline when the
// context ends, so that a blocked read returns.
func armRead(d interface{ SetReadDeadline(time.Time) error }, w wait) armedRead {
	a := armedRead{set: !w.deadline.IsZero() || w.ctx != nil}
	if !w.deadline.IsZero() {
		d.SetReadDeadline(w.deadline)
	}
	if w.ctx != nil {
		fired := make(chan struct{})
		a.stop, a.fired = context.AfterFunc(w.ctx, func() {
			d.SetReadDeadline(time.Unix(1, 0))
			close(fired)
		}), fired
	}
	return a
}

// disarm ends the context's part (waiting for its AfterFunc if that already ran: the
// deadline it sets must not outlive the read) and reports whether the caller must
// clear a deadline.
func (a armedRead) disarm() bool {
	if a.stop != nil && !a.stop() {
		<-a.fired
	}
	return a.set
}

// readLocked takes the reader role and reads frames until done() holds,
// the stream fails, the handle closes or w expires. self is how many of
// c.waiters and c.probers are the caller (others are woken as needed).
func (c *client) readLocked(w wait, self int, done func() bool) (err error) {
	c.reading, c.rself = true, self
	a := armRead(c.rd, w)
	defer func() {
		if a.disarm() || c.closing {
			c.rd.SetReadDeadline(time.Time{})
		}
		c.reading, c.rself = false, 0
		c.wfree.Broadcast() // finish may wait for the role
		if c.waiters+c.probers > self {
			c.broadcastLocked() // one of them may read now
		}
		c.drainLaterLocked(self)
		if err == errTimedOut && w.ctx != nil && w.ctx.Err() != nil {
			err = context.Cause(w.ctx)
		}
	}()
	for !done() && c.err == nil && !c.closing {
		c.mu.Unlock()
		ok := c.dec.Scan()
		c.mu.Lock()
		if !ok {
			if c.dec.TimedOut() {
				if c.closing {
					return nil
				}
				return errTimedOut
			}
			err := c.dec.Err()
			if err == nil {
				err = errors.New("end of stream")
			}
			c.failLocked(err)
			return nil
		}
		c.handleLocked(c.dec.Record())
	}
	return nil
}

// handleLocked acts on one frame from the broker.
func (c *client) handleLocked(f frame) {
	switch f.Type {
	case frameItems:
		c.st.appendItems(f.Body, f.Items)
		c.out = max(c.out-f.Items, 0)
	case frameCancelled:
		c.out, c.canceled = 0, false
		switch {
		case c.closing:
		case c.waiters > 0:
			c.wantLocked(max(c.window, c.waiters))
			c.flushLocked()
		case c.probers == 0 && c.st.len() > 0:
			// Items granted to a getter that gave up go back to the
			// front of the queue for others.
			c.returnLocked()
		}
	case frameFinAck:
		c.finAcked = true
	case frameShutEmpty:
		c.out, c.shutEmpty = 0, true
	default:
		c.failLocked(fmt.Errorf("unexpected %q frame from the broker", byte(f.Type)))
		return
	}
	if c.waiters+c.probers > c.rself {
		c.broadcastLocked()
	}
}

// drainLaterLocked starts a drainer if a cancel's acknowledgement is
// still to come and nobody (but the caller, counted self times in waiters
// and probers) will read.
func (c *client) drainLaterLocked(self int) {
	if c.canceled && !c.reading && !c.closing && c.err == nil && c.waiters+c.probers <= self {
		c.drainers.Add(1)
		go c.drain()
	}
}

// drain reads the acknowledgement of a cancel that no getter waits for,
// so that items granted after the getter gave up go back to the queue at
// once. If another goroutine reads, that one sees it.
func (c *client) drain() {
	defer c.drainers.Done()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.reading && !c.closing {
		c.readLocked(wait{}, 0, func() bool { return !c.canceled })
	}
}

func (c *client) failLocked(err error) {
	if c.err == nil {
		c.err = fmt.Errorf("connection to the creating process lost: %w", err)
	}
	c.broadcastLocked()
}

// returnLocked queues every stored item back to the broker.
func (c *client) returnLocked() {
	if c.st.len() == 0 {
		return
	}
	body := c.st.buf[c.st.head:]
	c.ctrlLocked(appendFrame(nil, frameReturn, body))
	c.st = store{}
	c.flushLocked()
}

func (c *client) feedLoop() {
	defer close(c.feederDone)
	for {
		c.mu.Lock()
		for (len(c.pending) == 0 && !c.closing) || c.writing {
			c.mu.Unlock()
			<-c.feed
			c.mu.Lock()
		}
		if len(c.pending) == 0 { // closing, all flushed
			c.mu.Unlock()
			break
		}
		buf := c.pending
		c.pending, c.spare = c.spare[:0], nil
		c.open = -1
		c.writing = true
		c.mu.Unlock()

		_, err := c.sock.Write(buf)

		c.mu.Lock()
		c.writing = false
		c.wfree.Broadcast()
		if cap(buf) <= 4<<20 {
			c.spare = buf[:0]
		}
		if err != nil {
			c.failLocked(err)
			c.pending = c.pending[:0]
			c.mu.Unlock()
			break
		}
		c.mu.Unlock()
	}
	c.finish()
}

// finish ends the connection after Close: a fin, the broker's fin-ack
// (after which nothing more arrives), the return of unconsumed items, and
// the end of the stream.
func (c *client) finish() {
	c.mu.Lock()
	failed := c.err != nil
	c.acquireWriteLocked() // for good: nothing else writes after the fin
	for c.reading {
		c.wfree.Wait()
	}
	c.reading = true // for good: finish reads up to the fin-ack
	c.mu.Unlock()
	if !failed {
		_, err := c.sock.Write(appendFrame(nil, frameFin, nil))
		if err == nil {
			c.mu.Lock()
			for !c.finAcked && c.err == nil {
				c.mu.Unlock()
				ok := c.dec.Scan()
				c.mu.Lock()
				if !ok {
					err := c.dec.Err()
					if err == nil {
						err = errors.New("end of stream before the fin-ack")
					}
					c.failLocked(err)
					break
				}
				c.handleLocked(c.dec.Record())
			}
			var ret []byte
			if c.err == nil && c.st.len() > 0 {
				ret = appendFrame(nil, frameReturn, c.st.buf[c.st.head:])
				c.st = store{}
			}
			c.mu.Unlock()
			if ret != nil {
				c.sock.Write(ret)
			}
		}
	}
	c.sock.Close()
	c.rd.Close()
	c.drainers.Wait()
}

// shutdown sends the broker the shutdown after this handle's puts; an
// immediate one also drops the items this handle holds.
func (c *client) shutdown(immediate bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return errHandleClosed
	}
	if c.err != nil {
		return c.err
	}
	var b byte
	if immediate {
		b = 1
		c.dropLocked()
	}
	c.ctrlLocked(appendFrame(nil, frameShutdown, []byte{b}))
	c.flushLocked()
	c.broadcastLocked()
	return nil
}

// dropLocked throws away the items this handle holds (immediate shutdown).
func (c *client) dropLocked() {
	n := c.st.len()
	c.st = store{}
	c.q.drop(n)
}

// close stops puts and gets; buffered items are still written.
func (c *client) close() {
	c.mu.Lock()
	if !c.closing {
		c.closing = true
		c.broadcastLocked()
		if c.reading {
			c.rd.SetReadDeadline(time.Unix(1, 0)) // the reader stops
		}
	}
	c.mu.Unlock()
	c.kick()
}

// attach gives the broker a new connection (the broker's end of a socket
// pair) for a child process.
func (c *client) attach(f *os.File) error {
	c.mu.Lock()
	c.acquireWriteLocked()
	// Pending bytes first: they may end a frame an inline write began.
	buf := c.pending
	c.pending, c.open = nil, -1
	c.mu.Unlock()
	var err error
	if len(buf) > 0 {
		_, err = c.sock.Write(buf)
	}
	if err == nil {
		var n int
		frame := appendFrame(nil, frameAttach, nil)
		n, err = unix.SendmsgN(c.fd, frame, unix.UnixRights(int(f.Fd())), nil, unix.MSG_NOSIGNAL)
		if err == nil && n < len(frame) {
			_, err = c.sock.Write(frame[n:])
		}
	}
	c.mu.Lock()
	c.releaseWriteLocked()
	c.mu.Unlock()
	return err
}
