//go:build linux

package mp

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Tests of lending (broker.go): a local getter that reads the queue's lone
// connection itself must still see everything it would have seen from the
// reader goroutine.

// lentReader starts getter in a goroutine once the echo child's
// connection to out is lent (a ping-pong through in and out lends it), and
// returns once that getter is reading the socket. It gives up (t.Fatal)
// if no attempt gets there: the window is 500 µs, so a loaded machine may
// need several.
func lentReader[T any](t *testing.T, in *Queue[int64], out *Queue[int64], getter func() T) <-chan T {
	t.Helper()
	b := out.core.b
	for attempt := range 200 {
		if err := in.Put(int64(attempt)); err != nil {
			t.Fatal(err)
		}
		if _, err := out.Get(); err != nil {
			t.Fatal(err)
		}
		b.mu.Lock()
		lent := len(b.conns) == 1 && b.conns[0].lent
		b.mu.Unlock()
		if !lent {
			continue
		}
		res := make(chan T, 1)
		go func() { res <- getter() }()
		if waitReading(b, res) {
			return res
		}
		// The lend ended before the getter came to read (a loaded machine
		// can take longer than the lend lasts to start a goroutine): let
		// the getter have an item if it still waits, and try again.
		select {
		case <-res:
		default:
			if err := in.Put(1 << 40); err != nil { // not the echo's sentinel (negative)
				t.Fatal(err)
			}
			<-res
		}
	}
	t.Fatal("the getter never read a lent connection in 200 attempts")
	return nil
}

// waitReading reports whether a getter began to read b's lent connection
// before it returned or a second passed.
func waitReading[T any](b *broker, res <-chan T) bool {
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		reading := b.reader != nil
		b.mu.Unlock()
		if reading {
			return true
		}
		if len(res) > 0 {
			return false
		}
		time.Sleep(50 * time.Microsecond)
	}
	return false
}

type got struct {
	v   int64
	err error
}

func startEcho(t *testing.T) (in, out *Queue[int64], p *Process) {
	in, out = mustQueue[int64](t, 0), mustQueue[int64](t, 0)
	p = NewProcess("bench.echo.int64", in, out)
	mustStart(t, p)
	return in, out, p
}

func stopEcho(t *testing.T, in *Queue[int64], p *Process) {
	t.Helper()
	if err := in.Put(-1); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, p); code != 0 {
		t.Fatalf("echo exit code %d", code)
	}
}

// A local put must reach a local getter that is blocked reading the
// socket (else it would wait for the other process).
func TestLendLocalPutReachesReadingGetter(t *testing.T) {
	checkNoChildren(t)
	in, out, p := startEcho(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := lentReader(t, in, out, func() got { v, err := out.GetContext(ctx); return got{v, err} })
	if err := out.Put(42); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-res:
		if r.err != nil || r.v != 42 {
			t.Fatalf("Get = %d, %v; want the local put's 42", r.v, r.err)
		}
	case <-time.After(20 * time.Second): // not a speed check: the getter would wait for ever
		cancel()
		<-res
		t.Fatal("a local put did not reach the getter reading the socket")
	}
	// The socket is still read: the echo's items come through.
	if err := in.Put(7); err != nil {
		t.Fatal(err)
	}
	if v, err := out.GetTimeout(time.Minute); err != nil || v != 7 {
		t.Fatalf("Get after = %d, %v; want 7", v, err)
	}
	stopEcho(t, in, p)
}

// Shutdown and Close stop a getter reading the socket, with their errors.
func TestLendShutdownAndCloseStopReadingGetter(t *testing.T) {
	checkNoChildren(t)
	in, out, p := startEcho(t)
	res := lentReader(t, in, out, func() error { _, err := out.Get(); return err })
	if err := out.Shutdown(false); err != nil {
		t.Fatal(err)
	}
	if err := <-res; !errors.Is(err, ErrShutDown) {
		t.Fatalf("Get during Shutdown = %v, want ErrShutDown", err)
	}
	stopEcho(t, in, p)

	in, out, p = startEcho(t)
	res = lentReader(t, in, out, func() error { _, err := out.Get(); return err })
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-res; !errors.Is(err, ErrQueueClosed) {
		t.Fatalf("Get during Close = %v, want ErrQueueClosed", err)
	}
	stopEcho(t, in, p) // the echo's connection to out is still served
}

// A timeout and a context end a getter's read of the socket, and a read
// that timed out leaves the stream intact for the next.
func TestLendTimeoutAndContext(t *testing.T) {
	checkNoChildren(t)
	in, out, p := startEcho(t)
	res := lentReader(t, in, out, func() error { _, err := out.GetTimeout(20 * time.Millisecond); return err })
	if err := <-res; !errors.Is(err, ErrEmpty) {
		t.Fatalf("GetTimeout = %v, want ErrEmpty", err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stop")
	res = lentReader(t, in, out, func() error { _, err := out.GetContext(ctx); return err })
	cancel(stop)
	if err := <-res; !errors.Is(err, stop) {
		t.Fatalf("GetContext = %v, want the cause", err)
	}
	for i := range int64(50) {
		if err := in.Put(i); err != nil {
			t.Fatal(err)
		}
		if v, err := out.GetTimeout(time.Minute); err != nil || v != i {
			t.Fatalf("Get = %d, %v; want %d", v, err, i)
		}
	}
	stopEcho(t, in, p)
}

// A second connection attached while a getter reads the first: the
// getter stops reading and items from both processes arrive.
func TestLendSecondConnection(t *testing.T) {
	checkNoChildren(t)
	in, out, p := startEcho(t)
	res := lentReader(t, in, out, func() got { v, err := out.GetTimeout(time.Minute); return got{v, err} })
	in2 := mustQueue[int64](t, 0)
	p2 := NewProcess("bench.echo.int64", in2, out)
	mustStart(t, p2)
	if err := in2.Put(100); err != nil {
		t.Fatal(err)
	}
	if r := <-res; r.err != nil || r.v != 100 {
		t.Fatalf("Get = %d, %v; want the second child's 100", r.v, r.err)
	}
	for i := range int64(20) {
		q := in
		if i%2 == 1 {
			q = in2
		}
		if err := q.Put(i); err != nil {
			t.Fatal(err)
		}
		if v, err := out.GetTimeout(time.Minute); err != nil || v != i {
			t.Fatalf("Get = %d, %v; want %d", v, err, i)
		}
	}
	stopEcho(t, in2, p2)
	stopEcho(t, in, p)
}

// GetNowait with the connection lent and nobody reading it reads what the
// socket holds: an item the other process has written is not missed.
func TestLendGetNowaitReadsSocket(t *testing.T) {
	checkNoChildren(t)
	in, out, p := startEcho(t)
	b := out.core.b
	unread := func() int { // bytes in the lone connection's socket
		b.mu.Lock()
		defer b.mu.Unlock()
		if len(b.conns) != 1 {
			return 0
		}
		n := 0
		b.conns[0].r.raw.Control(func(fd uintptr) { n, _ = unix.IoctlGetInt(int(fd), unix.SIOCINQ) })
		return n
	}
	seen := 0
	for attempt := range 200 {
		if err := in.Put(int64(attempt)); err != nil {
			t.Fatal(err)
		}
		if _, err := out.Get(); err != nil {
			t.Fatal(err)
		}
		// Put the next one and wait, without a get, until the echo has
		// written it to the socket or the broker has read it.
		if err := in.Put(1000); err != nil {
			t.Fatal(err)
		}
		for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Microsecond) {
			b.mu.Lock()
			stored := b.st.len()
			b.mu.Unlock()
			if stored > 0 || unread() > 0 {
				break
			}
			if time.Now().After(end) {
				t.Fatal("the echo's item never arrived")
			}
		}
		// GetNowait may find nothing only while the reader goroutine
		// has the socket (it is about to store the item); a lent
		// socket holding the item must be read.
		lent := false
		for end := time.Now().Add(10 * time.Second); ; {
			b.mu.Lock()
			idle := len(b.conns) == 1 && b.conns[0].lent && !b.conns[0].reading && b.st.len() == 0
			b.mu.Unlock()
			lent = lent || idle
			v, err := out.GetNowait()
			if err == nil && v == 1000 {
				break
			}
			if !errors.Is(err, ErrEmpty) {
				t.Fatalf("GetNowait = %d, %v; want 1000", v, err)
			}
			b.mu.Lock()
			idle = len(b.conns) == 1 && b.conns[0].lent && !b.conns[0].reading && b.st.len() == 0
			b.mu.Unlock()
			if idle && unread() > 0 {
				t.Fatal("GetNowait = ErrEmpty with the item in the socket of a lent connection that nobody reads")
			}
			if time.Now().After(end) {
				t.Fatal("GetNowait never got the item")
			}
		}
		if lent {
			seen++
		}
	}
	t.Logf("%d of 200 GetNowait calls found the connection lent and the item unread", seen)
	// With nothing in the socket, GetNowait on a lent connection does not
	// wait.
	res := make(chan error, 1)
	for range 20 {
		if err := in.Put(1); err != nil {
			t.Fatal(err)
		}
		if _, err := out.Get(); err != nil {
			t.Fatal(err)
		}
		go func() { _, err := out.GetNowait(); res <- err }()
		select {
		case err := <-res:
			if !errors.Is(err, ErrEmpty) {
				t.Fatalf("GetNowait on an empty queue = %v, want ErrEmpty", err)
			}
		case <-time.After(20 * time.Second): // not a speed check: it would wait for ever
			in.Put(1) // let it return
			<-res
			t.Fatal("GetNowait waited for an item")
		}
	}
	stopEcho(t, in, p)
}
