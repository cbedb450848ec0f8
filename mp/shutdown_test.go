//go:build linux

package mp

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// CPython's _TestQueue.test_shutdown_* (main branch, multiprocessing's
// Queue.shutdown): the operations that CPython runs in a ProcessFuture run
// here in a child process, and the child's exit code says how they ended.

const exitShutDown = 3 // a child's op failed with ErrShutDown

func init() {
	// test.shut.op runs one operation on the queue in arg 0: "put",
	// "get" (the item must be "data") or "join".
	Register("test.shut.op", func(a Args) error {
		op, err := Arg[string](a, 1)
		if err != nil {
			return err
		}
		switch op {
		case "put":
			q, err := Arg[*Queue[string]](a, 0)
			if err != nil {
				return err
			}
			err = q.Put("data")
			if errors.Is(err, ErrShutDown) {
				return SystemExit(exitShutDown)
			}
			return err
		case "get":
			q, err := Arg[*Queue[string]](a, 0)
			if err != nil {
				return err
			}
			v, err := q.GetTimeout(long)
			if errors.Is(err, ErrShutDown) {
				return SystemExit(exitShutDown)
			}
			if err == nil && v != "data" {
				err = fmt.Errorf("got %q; want %q", v, "data")
			}
			return err
		case "join":
			q, err := Arg[*JoinableQueue[string]](a, 0)
			if err != nil {
				return err
			}
			return q.JoinTimeout(long)
		}
		return fmt.Errorf("unknown op %q", op)
	})
}

// shutQueue is one of the two queues every scenario runs with.
type shutQueue struct {
	*Queue[string]
	j *JoinableQueue[string] // nil for a plain Queue
}

func (s shutQueue) handle() any {
	if s.j != nil {
		return s.j
	}
	return s.Queue
}

func shutQueues(t *testing.T, maxsize int) []shutQueue {
	j := mustJoinable[string](t, maxsize)
	return []shutQueue{{Queue: mustQueue[string](t, maxsize)}, {Queue: &j.Queue, j: j}}
}

// startOp starts test.shut.op in a child (ProcessFuture.start).
func startOp(t *testing.T, q shutQueue, op string) *Process {
	t.Helper()
	p := NewProcessWith(Options{Daemon: true}, "test.shut.op", q.handle(), op)
	mustStart(t, p)
	return p
}

// runOp runs test.shut.op in a child and returns its exit code
// (ProcessFuture.run).
func runOp(t *testing.T, q shutQueue, op string) int {
	t.Helper()
	return exitCode(t, startOp(t, q, op))
}

// ended waits for p and fails unless it exited with code 0.
func ended(t *testing.T, p *Process, what string) {
	t.Helper()
	if err := p.JoinTimeout(long); err != nil {
		t.Fatal(err)
	}
	if code, known, _ := p.ExitCode(); !known || code != 0 {
		t.Errorf("%s: exit code %d (known %v); want 0", what, code, known)
	}
}

// stillRunning checks that p has not ended after a moment (CPython's
// _wait() then is_alive()).
func stillRunning(t *testing.T, p *Process, what string) {
	t.Helper()
	p.JoinTimeout(100 * time.Millisecond)
	if alive, _ := p.IsAlive(); !alive {
		t.Errorf("%s ended; want it still waiting", what)
	}
}

// assertShutDown checks that put and get fail with ErrShutDown in a child
// and in this process.
func assertShutDown(t *testing.T, q shutQueue) {
	t.Helper()
	if code := runOp(t, q, "put"); code != exitShutDown {
		t.Errorf("%s: put in a child: exit code %d; want %d (ErrShutDown)", q, code, exitShutDown)
	}
	if err := q.PutNowait("data"); !errors.Is(err, ErrShutDown) {
		t.Errorf("%s: PutNowait = %v; want ErrShutDown", q, err)
	}
	if code := runOp(t, q, "get"); code != exitShutDown {
		t.Errorf("%s: get in a child: exit code %d; want %d (ErrShutDown)", q, code, exitShutDown)
	}
	if _, err := q.GetNowait(); !errors.Is(err, ErrShutDown) {
		t.Errorf("%s: GetNowait = %v; want ErrShutDown", q, err)
	}
	if _, err := q.GetTimeout(time.Millisecond); !errors.Is(err, ErrShutDown) {
		t.Errorf("%s: GetTimeout = %v; want ErrShutDown", q, err)
	}
}

func TestPortedQueueShutdownEmpty(t *testing.T) {
	checkNoChildren(t)
	for _, q := range shutQueues(t, 0) {
		var join *Process
		if q.j != nil {
			join = startOp(t, q, "join")
		}
		if q.IsShutdown() {
			t.Errorf("%s: IsShutdown before Shutdown", q)
		}
		if err := q.Shutdown(false); err != nil {
			t.Fatal(err)
		}
		if !q.IsShutdown() {
			t.Errorf("%s: IsShutdown = false after Shutdown", q)
		}
		if n := q.Size(); n != 0 {
			t.Errorf("%s: Size = %d; want 0", q, n)
		}
		if join != nil {
			ended(t, join, "join of an empty queue")
		}
		assertShutDown(t, q)
	}
}

func TestPortedQueueShutdownNonempty(t *testing.T) {
	checkNoChildren(t)
	for _, q := range shutQueues(t, 1) {
		if err := q.Put("data"); err != nil {
			t.Fatal(err)
		}
		var join *Process
		if q.j != nil {
			join = startOp(t, q, "join")
		}
		if err := q.Shutdown(false); err != nil {
			t.Fatal(err)
		}
		if n := q.Size(); n != 1 {
			t.Errorf("%s: Size = %d; want 1", q, n)
		}
		if code := runOp(t, q, "get"); code != 0 {
			t.Errorf("%s: get of the item left after a shutdown: exit code %d; want 0", q, code)
		}
		if join != nil {
			stillRunning(t, join, "join with a task unfinished")
		}
		assertShutDown(t, q)
		if q.j != nil {
			if err := q.j.TaskDone(); err != nil {
				t.Fatal(err)
			}
			ended(t, join, "join after the last TaskDone")
		}
	}
}

func TestPortedQueueShutdownImmediate(t *testing.T) {
	checkNoChildren(t)
	for _, q := range shutQueues(t, 0) {
		if err := q.Put("data"); err != nil {
			t.Fatal(err)
		}
		var join *Process
		if q.j != nil {
			join = startOp(t, q, "join")
		}
		if err := q.Shutdown(true); err != nil {
			t.Fatal(err)
		}
		if n := q.Size(); n != 0 {
			t.Errorf("%s: Size = %d; want 0", q, n)
		}
		if join != nil {
			ended(t, join, "join after an immediate shutdown")
		}
		assertShutDown(t, q)
		if q.j != nil {
			if err := q.j.TaskDone(); !errors.Is(err, ErrTaskDone) {
				t.Errorf("TaskDone after an immediate shutdown = %v; want ErrTaskDone", err)
			}
		}
	}
}

func TestPortedQueueShutdownImmediateWithUnfinished(t *testing.T) {
	checkNoChildren(t)
	j := mustJoinable[string](t, 0)
	q := shutQueue{Queue: &j.Queue, j: j}
	j.Put("data")
	j.Put("data")
	join := startOp(t, q, "join")
	if code := runOp(t, q, "get"); code != 0 {
		t.Fatalf("get in a child: exit code %d", code)
	}
	if err := j.Shutdown(true); err != nil {
		t.Fatal(err)
	}
	if n := j.Size(); n != 0 {
		t.Errorf("Size = %d; want 0", n)
	}
	stillRunning(t, join, "join with the got item's task unfinished")
	assertShutDown(t, q)
	if err := j.TaskDone(); err != nil {
		t.Fatal(err)
	}
	if err := j.TaskDone(); !errors.Is(err, ErrTaskDone) {
		t.Errorf("second TaskDone = %v; want ErrTaskDone", err)
	}
	ended(t, join, "join after the last TaskDone")
}

// Ours: a shutdown called in a child reaches the creator's getters and
// putters, blocked ones included, and an immediate one drops what a child
// had fetched ahead.
func init() {
	Register("test.shut.child", func(a Args) error {
		q, err := Arg[*Queue[string]](a, 0)
		if err != nil {
			return err
		}
		immediate, err := Arg[bool](a, 1)
		if err != nil {
			return err
		}
		return q.Shutdown(immediate)
	})
}

func TestQueueShutdownFromChild(t *testing.T) {
	checkNoChildren(t)
	q := mustQueue[string](t, 1)
	q.Put("data")
	blockedPut := make(chan error, 1)
	go func() { blockedPut <- q.Put("more") }() // full: blocks
	p := NewProcess("test.shut.child", q, false)
	mustStart(t, p)
	if code := exitCode(t, p); code != 0 {
		t.Fatalf("child Shutdown: exit code %d", code)
	}
	if err := <-blockedPut; !errors.Is(err, ErrShutDown) {
		t.Errorf("blocked Put after a child's Shutdown = %v; want ErrShutDown", err)
	}
	if !q.IsShutdown() {
		t.Error("IsShutdown = false after a child's Shutdown")
	}
	if v, err := q.Get(); v != "data" || err != nil {
		t.Errorf("Get = %q, %v; want the item put before the shutdown", v, err)
	}
	blockedGet := make(chan error, 1)
	go func() { _, err := q.Get(); blockedGet <- err }()
	if err := <-blockedGet; !errors.Is(err, ErrShutDown) {
		t.Errorf("Get of the emptied queue = %v; want ErrShutDown", err)
	}
}

func TestQueueShutdownWakesBlockedGet(t *testing.T) {
	checkNoChildren(t)
	q := mustQueue[string](t, 0)
	got := make(chan error, 1)
	go func() { _, err := q.Get(); got <- err }()
	// A getter in a child waits too; both must end with ErrShutDown.
	child := startOp(t, shutQueue{Queue: q}, "get")
	eventually(t, "the child's handle is connected", func() bool {
		alive, _ := child.IsAlive()
		return alive
	})
	if err := q.Shutdown(false); err != nil {
		t.Fatal(err)
	}
	if err := <-got; !errors.Is(err, ErrShutDown) {
		t.Errorf("blocked Get = %v; want ErrShutDown", err)
	}
	if code := exitCode(t, child); code != exitShutDown {
		t.Errorf("blocked get in a child: exit code %d; want %d", code, exitShutDown)
	}
}

// test_queue.py's BaseSimpleQueueTest.test_many_threads_nonblock and
// test_many_threads_timeout, across processes: feeder goroutines put the
// inputs, consumer processes take them with GetNowait (sleeping 10 µs on
// ErrEmpty) or GetTimeout(10 µs), and every input arrives exactly once.
// Each failed attempt withdraws a want, so this is also the stress test of
// cancels racing grants.
func init() {
	Register("test.consume", func(a Args) error {
		in, err := Arg[*Queue[int]](a, 0)
		if err != nil {
			return err
		}
		out, err := Arg[*Queue[int]](a, 1)
		if err != nil {
			return err
		}
		mode, err := Arg[string](a, 2)
		if err != nil {
			return err
		}
		for {
			var v int
			if mode == "nonblock" {
				v, err = in.GetNowait()
			} else {
				v, err = in.GetTimeout(10 * time.Microsecond)
			}
			if errors.Is(err, ErrEmpty) {
				if mode == "nonblock" {
					time.Sleep(10 * time.Microsecond)
				}
				continue
			}
			if err != nil {
				return err
			}
			if v < 0 {
				return nil
			}
			if err := out.Put(v); err != nil {
				return err
			}
		}
	})
}

func TestPortedManyConsumersNonblock(t *testing.T) { manyConsumers(t, "nonblock", 10000) }

func TestPortedManyConsumersTimeout(t *testing.T) { manyConsumers(t, "timeout", 1000) }

func manyConsumers(t *testing.T, mode string, n int) {
	checkNoChildren(t)
	const workers = 3
	in, out := mustQueue[int](t, 0), mustQueue[int](t, 0)
	var ps []*Process
	for range workers {
		p := NewProcessWith(Options{Daemon: true}, "test.consume", in, out, mode)
		mustStart(t, p)
		ps = append(ps, p)
	}
	feeders := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := w; i < n; i += workers {
				if err := in.Put(i); err != nil {
					feeders <- err
					return
				}
			}
			feeders <- nil
		}()
	}
	for range workers {
		if err := <-feeders; err != nil {
			t.Fatal(err)
		}
	}
	for range workers {
		in.Put(-1)
	}
	seen := make([]bool, n)
	for range n {
		v, err := out.GetTimeout(long)
		if err != nil {
			t.Fatalf("%v (children: %v)", err, errors.Join(ps[0].Err(), ps[1].Err(), ps[2].Err()))
		}
		if v < 0 || v >= n || seen[v] {
			t.Fatalf("got %d: out of range or twice", v)
		}
		seen[v] = true
	}
	joinAll(t, ps...)
	if _, err := out.GetNowait(); !errors.Is(err, ErrEmpty) {
		t.Errorf("an extra result: %v", err)
	}
}
