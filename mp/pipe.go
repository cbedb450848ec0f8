package mp

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Errors of a Connection.
var (
	// ErrNotReadable is returned by Recv and Poll on the sending end of a
	// one-way pipe (Python's OSError "connection is write-only").
	ErrNotReadable = errors.New("connection is write-only")
	// ErrNotWritable is returned by Send on the receiving end of a one-way
	// pipe (Python's OSError "connection is read-only").
	ErrNotWritable = errors.New("connection is read-only")
)

// A BufferTooShortError is Python's BufferTooShort: RecvBytesInto got a
// message longer than its buffer. The message is consumed and kept here.
type BufferTooShortError struct {
	Message []byte
}

func (e *BufferTooShortError) Error() string {
	return fmt.Sprintf("buffer too short for a message of %d bytes", len(e.Message))
}

// maxMessage bounds one message, on both ends.
const maxMessage = 1 << 30

// A Connection is one end of a Pipe — Python's multiprocessing.connection
// Connection. Messages keep their boundaries: each SendBytes is one
// RecvBytes at the other end, each Send one Recv. Send encodes a value with
// encoding/gob (a fresh encoder per message, so every message stands
// alone, as a pickle does; interface values need gob.Register) and Recv
// decodes it into a pointer.
//
// A Connection passed to a child (as a Process argument) is the same end
// in both processes, as in Python: the parent usually closes its copy, so
// that the other end sees EOF once the child's copy is closed or the child
// exits. Recv at EOF fails with io.EOF (Python's EOFError).
//
// Receiving may wait: RecvContext and RecvBytesContext give up when their
// context is done, and Poll and PollContext wait for a message without
// taking it. A receive that gives up leaves the bytes of a partly arrived
// message in the Connection for the next one, so no message is lost or
// cut. Sending writes the whole message before it returns and cannot be
// cancelled: a pipe holds at least 64 KiB, and a peer that does not read
// makes Send wait, as in Python. One Connection may be used by several
// goroutines; messages of one process do not interleave. Processes that
// send on the same end at once must take a Lock around Send, as in Python.
type Connection struct {
	f                  *os.File
	id                 uint64
	readable, writable bool
	closed             atomic.Bool

	rmu  sync.Mutex
	rbuf []byte // received bytes not yet returned
	wmu  sync.Mutex

	dl  sync.Mutex // guards gen and read deadline changes
	gen uint64
}

// Pipe returns the two ends of a new pipe: with duplex, both ends send and
// receive (a socket pair); without, the first end only receives and the
// second only sends (Python's Pipe(duplex=False) returns (reader, writer)).
func Pipe(duplex bool) (*Connection, *Connection, error) {
	fds, err := pipeFds(duplex)
	if err != nil {
		return nil, nil, fmt.Errorf("mp: Pipe: %w", err)
	}
	// The descriptors are non-blocking before os.NewFile sees them, so that
	// passing one to a child (which calls Fd) leaves them so.
	a := newConnection(fds[0], sharedIDs.Add(1), true, duplex)
	b := newConnection(fds[1], sharedIDs.Add(1), duplex, true)
	return a, b, nil
}

func newConnection(fd int, id uint64, readable, writable bool) *Connection {
	return &Connection{f: os.NewFile(uintptr(fd), fmt.Sprintf("mp-connection-%d", id)), id: id,
		readable: readable, writable: writable}
}

func (c *Connection) String() string { return fmt.Sprintf("Connection %d", c.id) }

// Readable reports whether this end receives; Writable whether it sends.
func (c *Connection) Readable() bool { return c.readable }

// Writable reports whether this end sends.
func (c *Connection) Writable() bool { return c.writable }

// Closed reports whether Close was called on this end in this process.
func (c *Connection) Closed() bool { return c.closed.Load() }

func (c *Connection) errorf(op string, err error) error {
	return fmt.Errorf("mp: %s: %s: %w", c, op, err)
}

// Send sends v, encoded with gob.
func (c *Connection) Send(v any) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return c.errorf("send", fmt.Errorf("encoding %T: %w", v, err))
	}
	return c.send("send", buf.Bytes())
}

// SendBytes sends b as one message. Python's send_bytes(buf, offset, size)
// is SendBytes(buf[offset:offset+size]).
func (c *Connection) SendBytes(b []byte) error { return c.send("send_bytes", b) }

func (c *Connection) send(op string, b []byte) error {
	if !c.writable {
		return c.errorf(op, ErrNotWritable)
	}
	if len(b) > maxMessage {
		return c.errorf(op, fmt.Errorf("message of %d bytes exceeds the limit of %d", len(b), maxMessage))
	}
	msg := make([]byte, 4+len(b))
	binary.BigEndian.PutUint32(msg, uint32(len(b)))
	copy(msg[4:], b)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed.Load() {
		return c.errorf(op, ErrClosed)
	}
	if _, err := c.f.Write(msg); err != nil {
		return c.errorf(op, ioErr(err))
	}
	return nil
}

func ioErr(err error) error {
	switch {
	case errors.Is(err, os.ErrClosed):
		return ErrClosed
	case errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("the other end is closed: %w", err)
	}
	return err
}

// Recv receives a message sent with Send and decodes it into ptr. At EOF
// it fails with io.EOF.
func (c *Connection) Recv(ptr any) error { return c.RecvContext(context.Background(), ptr) }

// RecvContext is Recv that gives up when ctx is done, returning its cause.
func (c *Connection) RecvContext(ctx context.Context, ptr any) error {
	msg, err := c.readMsg("recv", wait{ctx: ctx})
	if err != nil {
		return err
	}
	if err := gob.NewDecoder(bytes.NewReader(msg)).Decode(ptr); err != nil {
		return c.errorf("recv", fmt.Errorf("decoding into %T: %w", ptr, err))
	}
	return nil
}

// RecvBytes receives one message sent with SendBytes (or Send: its gob
// bytes). At EOF it fails with io.EOF.
func (c *Connection) RecvBytes() ([]byte, error) {
	return c.readMsg("recv_bytes", wait{ctx: context.Background()})
}

// RecvBytesContext is RecvBytes that gives up when ctx is done.
func (c *Connection) RecvBytesContext(ctx context.Context) ([]byte, error) {
	return c.readMsg("recv_bytes", wait{ctx: ctx})
}

// RecvBytesInto receives one message into buf and returns its length. A
// message longer than buf fails with a *BufferTooShortError holding it.
// Python's recv_bytes_into(buf, offset) is RecvBytesInto(buf[offset:]).
func (c *Connection) RecvBytesInto(buf []byte) (int, error) {
	msg, err := c.readMsg("recv_bytes_into", wait{ctx: context.Background()})
	if err != nil {
		return 0, err
	}
	if len(msg) > len(buf) {
		return 0, &BufferTooShortError{Message: msg}
	}
	return copy(buf, msg), nil
}

// Poll reports whether there is something to receive, waiting at most d
// for it. Like Python's poll it is true at EOF too (Recv then fails with
// io.EOF), and a zero or negative d only looks. It takes nothing: a message
// stays for Recv, in whatever process.
func (c *Connection) Poll(d time.Duration) (bool, error) {
	w := wait{nowait: true}
	if d > 0 {
		w = wait{deadline: time.Now().Add(d)}
	}
	return c.poll(w)
}

// PollContext waits until there is something to receive or ctx is done;
// then it returns false and the context's cause.
func (c *Connection) PollContext(ctx context.Context) (bool, error) {
	return c.poll(wait{ctx: ctx})
}

func (c *Connection) poll(w wait) (bool, error) {
	if !c.readable {
		return false, c.errorf("poll", ErrNotReadable)
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.closed.Load() {
		return false, c.errorf("poll", ErrClosed)
	}
	if len(c.rbuf) > 0 {
		return true, nil
	}
	rc, err := c.f.SyscallConn()
	if err != nil {
		return false, c.errorf("poll", err)
	}
	ready := false
	err = c.withDeadline(w, func() error {
		return rc.Read(func(fd uintptr) bool {
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			if n, _ := unix.Poll(fds, 0); n > 0 {
				ready = true
			}
			return ready || w.nowait
		})
	})
	if ready {
		return true, nil
	}
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) && (w.ctx == nil || w.ctx.Err() == nil) {
		return false, nil
	}
	return false, c.errorf("poll", c.readErr(w, err))
}

// withDeadline runs a read with the deadline of w and, if w has a context,
// a deadline in the past once it is done.
func (c *Connection) withDeadline(w wait, read func() error) error {
	c.dl.Lock()
	c.gen++
	g := c.gen
	c.f.SetReadDeadline(w.deadline) // zero: none
	c.dl.Unlock()
	if w.ctx != nil && w.ctx.Done() != nil {
		stop := context.AfterFunc(w.ctx, func() {
			c.dl.Lock()
			if c.gen == g { // still the same read
				c.f.SetReadDeadline(time.Unix(1, 0))
			}
			c.dl.Unlock()
		})
		defer stop()
	}
	err := read()
	c.dl.Lock()
	c.gen++
	c.dl.Unlock()
	return err
}

func (c *Connection) readErr(w wait, err error) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) && w.ctx != nil && w.ctx.Err() != nil:
		return context.Cause(w.ctx)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return ErrTimeout
	}
	return ioErr(err)
}

// readMsg returns the next message, reading until it is complete.
func (c *Connection) readMsg(op string, w wait) ([]byte, error) {
	if !c.readable {
		return nil, c.errorf(op, ErrNotReadable)
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for {
		if c.closed.Load() {
			return nil, c.errorf(op, ErrClosed)
		}
		if len(c.rbuf) >= 4 {
			n := int(binary.BigEndian.Uint32(c.rbuf))
			if n > maxMessage {
				return nil, c.errorf(op, fmt.Errorf("message of %d bytes exceeds the limit of %d", n, maxMessage))
			}
			if len(c.rbuf) >= 4+n {
				msg := bytes.Clone(c.rbuf[4 : 4+n])
				if msg == nil {
					msg = []byte{}
				}
				rest := copy(c.rbuf, c.rbuf[4+n:])
				c.rbuf = c.rbuf[:rest]
				return msg, nil
			}
			c.grow(4 + n)
		} else {
			c.grow(4)
		}
		var n int
		err := c.withDeadline(w, func() error {
			var err error
			n, err = c.f.Read(c.rbuf[len(c.rbuf):cap(c.rbuf)])
			return err
		})
		c.rbuf = c.rbuf[:len(c.rbuf)+n]
		switch {
		case n > 0:
		case err == io.EOF && len(c.rbuf) > 0:
			return nil, c.errorf(op, fmt.Errorf("%w: the other end closed in the middle of a message", io.ErrUnexpectedEOF))
		case err == io.EOF:
			return nil, c.errorf(op, io.EOF)
		case err != nil:
			return nil, c.errorf(op, c.readErr(w, err))
		}
	}
}

// grow makes room in rbuf for a message of need bytes, and at least 64 KiB
// to read into.
func (c *Connection) grow(need int) {
	free := max(need-len(c.rbuf), 64<<10)
	if cap(c.rbuf)-len(c.rbuf) < free {
		c.rbuf = append(c.rbuf[:cap(c.rbuf)], make([]byte, free)...)[:len(c.rbuf)]
	}
}

// Close closes this end in this process. It may be called more than once.
func (c *Connection) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	return c.f.Close()
}

// GobEncode fails: handles travel only as direct Process arguments.
func (c *Connection) GobEncode() ([]byte, error) { return nil, errNested }

// A child maps shared memory for every handle of kind handleLock; a
// Connection has none of its own, so all of them pass this one region.
var connShm = sync.OnceValues(func() (*shm, error) { return newShm("mp-connection", lockShmSize) })

// share passes the descriptor of this end; Maxsize carries the
// direction (1: readable, 2: writable).
func (c *Connection) share(pl *plan) (*handleSpec, error) {
	if c.closed.Load() {
		return nil, c.errorf("pass to a child", ErrClosed)
	}
	m, err := connShm()
	if err != nil {
		return nil, c.errorf("pass to a child", err)
	}
	dir := 0
	if c.readable {
		dir |= 1
	}
	if c.writable {
		dir |= 2
	}
	return &handleSpec{Kind: handleLock, ID: c.id, Creator: os.Getpid(), Type: kindConn,
		Size: len(m.mem), Maxsize: dir, Conn: pl.add(c.f, false), Shm: pl.add(m.f, false)}, nil
}

func (*Connection) bind(s *handleSpec, obj any) (any, error) {
	m, ok := obj.(*shm)
	if !ok || s.Kind != handleLock || s.Type != kindConn {
		return nil, fmt.Errorf("is a %s, not a %s", sharedKindName(s), kindConn)
	}
	m.close()
	f, err := extraFile(s, fmt.Sprintf("mp-connection-%d", s.ID))
	if err != nil {
		return nil, err
	}
	return &Connection{f: f, id: s.ID, readable: s.Maxsize&1 != 0, writable: s.Maxsize&2 != 0}, nil
}
