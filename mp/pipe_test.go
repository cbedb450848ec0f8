//go:build linux

package mp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"testing"
	"time"
)

func init() {
	// test.conn.echo is _TestConnection._echo: echo messages until an
	// empty one.
	Register("test.conn.echo", func(a Args) error {
		c, err := Arg[*Connection](a, 0)
		if err != nil {
			return err
		}
		defer c.Close()
		for {
			msg, err := c.RecvBytes()
			if err != nil {
				return err
			}
			if len(msg) == 0 {
				return nil
			}
			if err := c.SendBytes(msg); err != nil {
				return err
			}
		}
	})
	// test.conn.send sends each of the byte strings of arg 1.
	Register("test.conn.send", func(a Args) error {
		c, err := Arg[*Connection](a, 0)
		if err != nil {
			return err
		}
		msgs, err := Arg[[][]byte](a, 1)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if err := c.SendBytes(m); err != nil {
				return err
			}
		}
		return c.Close()
	})
	// test.conn.poll is _child_boundaries: poll, which must take nothing.
	Register("test.conn.poll", func(a Args) error {
		c, err := Arg[*Connection](a, 0)
		if err != nil {
			return err
		}
		_, err = c.Poll(long)
		return err
	})
}

type seqMsg struct {
	A int
	B float64
	C *int
}

// _TestConnection.test_connection.
func TestPortedConnection(t *testing.T) {
	checkNoChildren(t)
	conn, child := mustPipe(t, true)
	p := NewProcess("test.conn.echo", child)
	mustStart(t, p)

	var got seqMsg
	if err := conn.Send(seqMsg{1, 2.25, nil}); err != nil {
		t.Fatal(err)
	}
	if err := conn.Recv(&got); err != nil || got != (seqMsg{1, 2.25, nil}) {
		t.Errorf("Recv = %+v, %v", got, err)
	}
	msg := []byte("hello world")
	conn.SendBytes(msg)
	if b, err := conn.RecvBytes(); err != nil || !bytes.Equal(b, msg) {
		t.Errorf("RecvBytes = %q, %v", b, err)
	}
	arr := binary.LittleEndian.AppendUint32(nil, 0)
	for i := 1; i < 4; i++ {
		arr = binary.LittleEndian.AppendUint32(arr, uint32(i))
	}
	buf := make([]byte, 40)
	conn.SendBytes(arr)
	if n, err := conn.RecvBytesInto(buf); n != len(arr) || err != nil || !bytes.Equal(buf[:n], arr) {
		t.Errorf("RecvBytesInto = %d, %v", n, err)
	}
	buf = make([]byte, 40)
	conn.SendBytes(arr)
	if n, err := conn.RecvBytesInto(buf[12:]); n != len(arr) || err != nil || !bytes.Equal(buf[12:12+n], arr) || !bytes.Equal(buf[:12], make([]byte, 12)) {
		t.Errorf("RecvBytesInto at offset 12 = %d, %v, %v", n, err, buf)
	}
	longmsg := bytes.Repeat(msg, 10)
	conn.SendBytes(longmsg)
	var short *BufferTooShortError
	if _, err := conn.RecvBytesInto(make([]byte, 40)); !errors.As(err, &short) || !bytes.Equal(short.Message, longmsg) {
		t.Errorf("RecvBytesInto of %d bytes into 40 = %v; want BufferTooShort with the message", len(longmsg), err)
	}
	for _, d := range []time.Duration{0, -1, 20 * time.Millisecond} {
		if ok, err := conn.Poll(d); ok || err != nil {
			t.Errorf("Poll(%v) with nothing sent = %v, %v", d, ok, err)
		}
	}
	conn.Send(0)
	if ok, err := conn.Poll(long); !ok || err != nil {
		t.Errorf("Poll(long) with a message coming = %v, %v", ok, err)
	}
	var zero int
	if err := conn.Recv(&zero); err != nil || zero != 0 {
		t.Errorf("Recv = %d, %v", zero, err)
	}
	big := bytes.Repeat([]byte{'X'}, 16<<20)
	conn.SendBytes(big)
	if b, err := conn.RecvBytes(); err != nil || !bytes.Equal(b, big) {
		t.Errorf("RecvBytes of 16 MiB: %d bytes, %v", len(b), err)
	}
	conn.SendBytes(nil) // tell the child to quit
	child.Close()
	if !conn.Readable() || !conn.Writable() {
		t.Error("a duplex end is not readable and writable")
	}
	if err := conn.Recv(&zero); !errors.Is(err, io.EOF) {
		t.Errorf("Recv at EOF = %v; want io.EOF", err)
	}
	if _, err := conn.RecvBytes(); !errors.Is(err, io.EOF) {
		t.Errorf("RecvBytes at EOF = %v; want io.EOF", err)
	}
	joinAll(t, p)
}

// _TestConnection.test_duplex_false.
func TestPortedConnectionDuplexFalse(t *testing.T) {
	r, w := mustPipe(t, false)
	if err := w.Send(1); err != nil {
		t.Fatal(err)
	}
	var x int
	if err := r.Recv(&x); err != nil || x != 1 {
		t.Errorf("Recv = %d, %v", x, err)
	}
	if !r.Readable() || r.Writable() || w.Readable() || !w.Writable() {
		t.Errorf("readable/writable: reader %v/%v, writer %v/%v", r.Readable(), r.Writable(), w.Readable(), w.Writable())
	}
	if err := r.Send(2); !errors.Is(err, ErrNotWritable) {
		t.Errorf("Send on the reader = %v", err)
	}
	if err := w.Recv(&x); !errors.Is(err, ErrNotReadable) {
		t.Errorf("Recv on the writer = %v", err)
	}
	if _, err := w.Poll(0); !errors.Is(err, ErrNotReadable) {
		t.Errorf("Poll on the writer = %v", err)
	}
}

// _TestConnection.test_spawn_close: the parent closes the child's end at
// once after Start.
func TestPortedConnectionSpawnClose(t *testing.T) {
	checkNoChildren(t)
	conn, child := mustPipe(t, true)
	p := NewProcess("test.conn.echo", child)
	mustStart(t, p)
	child.Close()
	conn.SendBytes([]byte("hello"))
	if b, err := conn.RecvBytes(); err != nil || string(b) != "hello" {
		t.Errorf("RecvBytes = %q, %v", b, err)
	}
	conn.SendBytes(nil)
	conn.Close()
	joinAll(t, p)
}

// _TestConnection.test_sendbytes, with Go's slicing for offset and size.
func TestPortedConnectionSendBytes(t *testing.T) {
	a, b := mustPipe(t, true)
	msg := []byte("abcdefghijklmnopqrstuvwxyz")
	for _, m := range [][]byte{msg, msg[5:], msg[7 : 7+8], msg[26:], msg[26:26]} {
		a.SendBytes(m)
		if got, err := b.RecvBytes(); err != nil || !bytes.Equal(got, m) {
			t.Errorf("RecvBytes = %q, %v; want %q", got, err, m)
		}
	}
}

// _TestConnection.test_context.
func TestPortedConnectionClose(t *testing.T) {
	a, b := mustPipe(t, true)
	a.Send(1729)
	var x int
	if err := b.Recv(&x); err != nil || x != 1729 {
		t.Errorf("Recv = %d, %v", x, err)
	}
	if a.Closed() || b.Closed() {
		t.Error("Closed before Close")
	}
	a.Close()
	b.Close()
	if !a.Closed() || !b.Closed() {
		t.Error("not Closed after Close")
	}
	if err := a.Recv(&x); !errors.Is(err, ErrClosed) {
		t.Errorf("Recv after Close = %v; want ErrClosed", err)
	}
	if err := b.Send(1); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close = %v; want ErrClosed", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// _TestPoll.test_empty_string.
func TestPortedPollEmptyString(t *testing.T) {
	a, b := mustPipe(t, true)
	if ok, _ := a.Poll(0); ok {
		t.Error("Poll true with nothing sent")
	}
	b.SendBytes(nil)
	for range 2 {
		if ok, _ := a.Poll(0); !ok {
			t.Error("Poll false with an empty message sent")
		}
	}
}

// _TestPoll.test_strings and test_dont_merge: messages from a child keep
// their boundaries, empty ones included.
func TestPortedPollStrings(t *testing.T) {
	checkNoChildren(t)
	strs := [][]byte{[]byte("hello"), {}, []byte("a"), []byte("b"), {}, []byte("bye"), {}, []byte("lop"), []byte("cd")}
	a, b := mustPipe(t, true)
	p := NewProcess("test.conn.send", b, strs)
	mustStart(t, p)
	b.Close()
	for _, s := range strs {
		if ok, err := a.Poll(long); !ok || err != nil {
			t.Fatalf("Poll = %v, %v", ok, err)
		}
		if ok, _ := a.Poll(0); !ok {
			t.Error("second Poll false")
		}
		if got, err := a.RecvBytes(); err != nil || !bytes.Equal(got, s) {
			t.Errorf("RecvBytes = %q, %v; want %q", got, err, s)
		}
	}
	joinAll(t, p)
}

// _TestPoll.test_boundaries: a Poll in a child takes nothing of a
// message, so the parent reads it whole.
func TestPortedPollBoundaries(t *testing.T) {
	checkNoChildren(t)
	r, w := mustPipe(t, false)
	p := NewProcess("test.conn.poll", r)
	mustStart(t, p)
	l := [][]byte{[]byte("first"), []byte("second")}
	for _, m := range l {
		w.SendBytes(m)
	}
	w.Close()
	joinAll(t, p)
	if got, err := r.RecvBytes(); err != nil || !slices.ContainsFunc(l, func(m []byte) bool { return bytes.Equal(m, got) }) {
		t.Errorf("RecvBytes = %q, %v; want one of %q", got, err, l)
	}
}

// A receive that gives up with half a message arrived leaves it for the
// next receive (STYLE.md 6).
func TestConnectionRecvGivesUpCleanly(t *testing.T) {
	a, b := mustPipe(t, true)
	msg := []byte("0123456789")
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(msg)))
	frame = append(frame, msg...)
	b.f.Write(frame[:7]) // the header and 3 bytes
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := a.RecvBytesContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RecvBytesContext = %v; want DeadlineExceeded", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	res := make(chan error)
	go func() { _, err := a.PollContext(ctx); res <- err }()
	cancel()
	if err := <-res; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("PollContext cancelled = %v", err)
	}
	b.f.Write(frame[7:])
	if got, err := a.RecvBytes(); err != nil || !bytes.Equal(got, msg) {
		t.Errorf("RecvBytes after the give-up = %q, %v; want %q", got, err, msg)
	}
	// A Close wakes a blocked receive.
	go func() { _, err := a.RecvBytes(); res <- err }()
	a.Close()
	if err := <-res; !errors.Is(err, ErrClosed) {
		t.Errorf("RecvBytes across Close = %v; want ErrClosed", err)
	}
}
