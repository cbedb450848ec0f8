//go:build linux

package mp

import (
	"errors"
	"os"
	"slices"
	"testing"
	"time"
)

// _TestProcess scenarios that need the primitives (Event, Pipe). The
// others are ported in process_test.go; see docs/design/PORTED-TESTS.md.

func init() {
	// test.event.block waits for the event of arg 0.
	Register("test.event.block", func(a Args) error {
		e, err := Arg[*Event](a, 0)
		if err != nil {
			return err
		}
		return e.Wait()
	})
	// test.recursion is _test_recursion: send the id, then start two
	// children with the id extended, one after the other, to depth 2.
	Register("test.recursion", func(a Args) error {
		w, err := Arg[*Connection](a, 0)
		if err != nil {
			return err
		}
		id, err := Arg[[]int](a, 1)
		if err != nil {
			return err
		}
		return recursion(w, id)
	})
	// test.fdcount puts the number of its open descriptors on arg 1 and
	// waits for the event of arg 0.
	Register("test.fdcount", func(a Args) error {
		e, err := Arg[*Event](a, 0)
		if err != nil {
			return err
		}
		q, err := Arg[*Queue[int]](a, 1)
		if err != nil {
			return err
		}
		fds, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			return err
		}
		if err := q.Put(len(fds)); err != nil {
			return err
		}
		return e.Wait()
	})
}

func recursion(w *Connection, id []int) error {
	if err := w.Send(id); err != nil {
		return err
	}
	if len(id) >= 2 {
		return nil
	}
	for i := range 2 {
		p := NewProcess("test.recursion", w, append(slices.Clone(id), i))
		if err := p.Start(); err != nil {
			return err
		}
		if err := p.Join(); err != nil {
			return err
		}
		if code, _, _ := p.ExitCode(); code != 0 {
			return p.Err()
		}
	}
	return nil
}

// _TestProcess.test_active_children.
func TestPortedActiveChildren(t *testing.T) {
	checkNoChildren(t)
	e := closeLater(t, must[*Event](t)(NewEvent()))
	p := NewProcessWith(Options{Daemon: true}, "test.event.block", e)
	if slices.Contains(ActiveChildren(), p) {
		t.Error("an unstarted process is an active child")
	}
	mustStart(t, p)
	if !slices.Contains(ActiveChildren(), p) {
		t.Error("a started process is not an active child")
	}
	e.Set()
	joinAll(t, p)
	if slices.Contains(ActiveChildren(), p) {
		t.Error("a joined process is still an active child")
	}
}

// _TestProcess.test_recursion: a Connection passed down two generations.
func TestPortedRecursion(t *testing.T) {
	checkNoChildren(t)
	r, w := mustPipe(t, false)
	if err := recursion(w, nil); err != nil {
		t.Fatal(err)
	}
	want := [][]int{{}, {0}, {0, 0}, {0, 1}, {1}, {1, 0}, {1, 1}}
	for i, id := range want {
		var got []int
		if err := r.Recv(&got); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !slices.Equal(got, id) {
			t.Errorf("message %d = %v; want %v", i, got, id)
		}
	}
	if ok, _ := r.Poll(0); ok {
		t.Error("more messages than processes")
	}
}

// _TestProcess.test_child_fd_inflation: children do not inherit more
// descriptors as more children run.
func TestPortedChildFdInflation(t *testing.T) {
	checkNoChildren(t)
	const n = 5
	e := closeLater(t, must[*Event](t)(NewEvent()))
	q := mustQueue[int](t, 0)
	var ps []*Process
	for range n {
		p := NewProcess("test.fdcount", e, q)
		mustStart(t, p)
		ps = append(ps, p)
	}
	counts := map[int]bool{}
	for range n {
		counts[must[int](t)(q.GetTimeout(long))] = true
	}
	e.Set()
	joinAll(t, ps...)
	if len(counts) != 1 {
		t.Errorf("descriptor counts of %d children: %v; want one count", n, counts)
	}
}

func init() {
	// test.queue.take is _TestQueue._test_put: wait for arg 1, get 6
	// items, set arg 2.
	Register("test.queue.take", func(a Args) error {
		q, err := Arg[*Queue[int]](a, 0)
		if err != nil {
			return err
		}
		start, err := Arg[*Event](a, 1)
		if err != nil {
			return err
		}
		done, err := Arg[*Event](a, 2)
		if err != nil {
			return err
		}
		if err := start.Wait(); err != nil {
			return err
		}
		for range 6 {
			if _, err := q.Get(); err != nil {
				return err
			}
		}
		return done.Set()
	})
	// test.queue.give is _TestQueue._test_fork: put the ints from arg 1
	// up to arg 2.
	Register("test.queue.give", func(a Args) error {
		q, err := Arg[*Queue[int]](a, 0)
		if err != nil {
			return err
		}
		from, err := Arg[int](a, 1)
		if err != nil {
			return err
		}
		to, err := Arg[int](a, 2)
		if err != nil {
			return err
		}
		for i := from; i < to; i++ {
			if err := q.Put(i); err != nil {
				return err
			}
		}
		return nil
	})
}

// _TestQueue.test_put: a bounded queue is full for the parent until a
// child drains it.
func TestPortedQueuePut(t *testing.T) {
	checkNoChildren(t)
	const maxsize = 6
	q := mustQueue[int](t, maxsize)
	start := closeLater(t, must[*Event](t)(NewEvent()))
	done := closeLater(t, must[*Event](t)(NewEvent()))
	p := NewProcessWith(Options{Daemon: true}, "test.queue.take", q, start, done)
	mustStart(t, p)
	if !q.Empty() || q.Full() {
		t.Errorf("new queue: Empty %v, Full %v", q.Empty(), q.Full())
	}
	for i := range maxsize {
		if err := q.PutNowait(i); err != nil {
			t.Fatal(err)
		}
	}
	if q.Empty() || !q.Full() {
		t.Errorf("after %d puts: Empty %v, Full %v", maxsize, q.Empty(), q.Full())
	}
	for _, put := range []func() error{
		func() error { return q.PutNowait(7) },
		func() error { return q.PutTimeout(7, 0) },
		func() error { return q.PutTimeout(7, 20*time.Millisecond) },
	} {
		if err := put(); !errors.Is(err, ErrFull) {
			t.Errorf("put into a full queue = %v; want ErrFull", err)
		}
	}
	start.Set()
	if ok, err := done.WaitTimeout(long); !ok || err != nil {
		t.Fatalf("child: %v, %v", ok, err)
	}
	if !q.Empty() || q.Full() {
		t.Errorf("after the child's gets: Empty %v, Full %v", q.Empty(), q.Full())
	}
	joinAll(t, p)
}

// _TestQueue.test_get and test_fork: items a child puts arrive after the
// parent's own, in order; then the queue is empty.
func TestPortedQueueGetAndFork(t *testing.T) {
	checkNoChildren(t)
	q := mustQueue[int](t, 0)
	for i := range 10 {
		q.Put(i)
	}
	p := NewProcessWith(Options{Daemon: true}, "test.queue.give", q, 10, 20)
	mustStart(t, p)
	joinAll(t, p) // joining a producer before draining is safe here
	for i := range 20 {
		if x, err := q.GetTimeout(long); x != i || err != nil {
			t.Fatalf("Get = %d, %v; want %d", x, err, i)
		}
	}
	if _, err := q.GetNowait(); !errors.Is(err, ErrEmpty) {
		t.Errorf("GetNowait of a drained queue = %v; want ErrEmpty", err)
	}
	if _, err := q.GetTimeout(20 * time.Millisecond); !errors.Is(err, ErrEmpty) {
		t.Errorf("GetTimeout of a drained queue = %v; want ErrEmpty", err)
	}
}
