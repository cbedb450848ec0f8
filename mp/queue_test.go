//go:build linux

package mp

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Item types of every codec.
type (
	plainItem struct {
		A int64
		B [3]float64
		C uint8
	}
	boolItem struct {
		OK bool
		N  int32
	}
	gobItem struct {
		Name string
		Tags map[string]int
		Next *gobItem
	}
	// Job and Result are the runner's shape.
	Job struct {
		ID, Size int
	}
	Result struct {
		ID, Sum int
		Worker  string
	}
	seqItem struct {
		Producer, Seq int
	}
)

func init() {
	gob.Register(gobItem{})
	registerEcho[int64]("test.echo.int64")
	registerEcho[string]("test.echo.string")
	registerEcho[[]byte]("test.echo.bytes")
	registerEcho[plainItem]("test.echo.plain")
	registerEcho[boolItem]("test.echo.bool")
	registerEcho[gobItem]("test.echo.gob")
	registerEcho[any]("test.echo.any")

	// test.produce puts n seqItems for producer id, in order.
	Register("test.produce", func(a Args) error {
		q, err := Arg[*Queue[seqItem]](a, 0)
		if err != nil {
			return err
		}
		id, err := Arg[int](a, 1)
		if err != nil {
			return err
		}
		n, err := Arg[int](a, 2)
		if err != nil {
			return err
		}
		for i := range n {
			if err := q.Put(seqItem{id, i}); err != nil {
				return err
			}
		}
		return nil
	})

	// test.worker is the runner's worker: Get → work → Put → TaskDone
	// until a sentinel (ID < 0).
	Register("test.worker", func(a Args) error {
		jobs, err := Arg[*JoinableQueue[Job]](a, 0)
		if err != nil {
			return err
		}
		results, err := Arg[*Queue[Result]](a, 1)
		if err != nil {
			return err
		}
		return worker(a.Name(), jobs, results)
	})

	// test.take gets one job and dies with it, without TaskDone, as arg 1
	// says: "exit" (os.Exit(3)), "panic" or "kill" (SIGKILL to itself).
	Register("test.take", func(a Args) error {
		jobs, err := Arg[*JoinableQueue[Job]](a, 0)
		if err != nil {
			return err
		}
		how, err := Arg[string](a, 1)
		if err != nil {
			return err
		}
		if _, err := jobs.Get(); err != nil {
			return err
		}
		switch how {
		case "exit":
			os.Exit(3)
		case "panic":
			panic("mid-task")
		case "kill":
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
		return nil
	})

	// test.queue-errors checks the error cases of a handle in a child.
	Register("test.queue-errors", func(a Args) error {
		empty, err := Arg[*Queue[int]](a, 0)
		if err != nil {
			return err
		}
		bounded, err := Arg[*Queue[int]](a, 1)
		if err != nil {
			return err
		}
		anyq, err := Arg[*Queue[any]](a, 2)
		if err != nil {
			return err
		}
		return queueErrors(empty, bounded, anyq)
	})
}

func registerEcho[T any](name string) {
	Register(name, func(a Args) error {
		in, err := Arg[*Queue[T]](a, 0)
		if err != nil {
			return err
		}
		out, err := Arg[*Queue[T]](a, 1)
		if err != nil {
			return err
		}
		n, err := Arg[int](a, 2)
		if err != nil {
			return err
		}
		for range n {
			v, err := in.Get()
			if err != nil {
				return err
			}
			if err := out.Put(v); err != nil {
				return err
			}
		}
		return nil
	})
}

func worker(name string, jobs *JoinableQueue[Job], results *Queue[Result]) error {
	for {
		j, err := jobs.Get()
		if err != nil {
			return err
		}
		if j.ID < 0 {
			return jobs.TaskDone()
		}
		sum := 0
		for i := range j.Size {
			sum += i
		}
		if err := results.Put(Result{ID: j.ID, Sum: sum, Worker: name}); err != nil {
			return err
		}
		if err := jobs.TaskDone(); err != nil {
			return err
		}
	}
}

// queueErrors runs the error checks shared by the local and the remote
// test: timeouts, ErrEmpty, ErrFull, negative timeouts, unencodable items.
func queueErrors(empty, bounded *Queue[int], anyq *Queue[any]) error {
	var errs []error
	check := func(what string, err, want error) {
		if !errors.Is(err, want) {
			errs = append(errs, fmt.Errorf("%s: got %v, want %v", what, err, want))
		}
	}
	_, err := empty.GetNowait()
	check("GetNowait on empty", err, ErrEmpty)
	start := time.Now()
	_, err = empty.GetTimeout(30 * time.Millisecond)
	check("GetTimeout on empty", err, ErrEmpty)
	if d := time.Since(start); d < 30*time.Millisecond {
		errs = append(errs, fmt.Errorf("GetTimeout(30ms) gave up after %v", d))
	}
	_, err = empty.GetTimeout(-1)
	check("GetTimeout(-1)", err, errNegativeTimeout)
	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("my cause")
	cancel(cause)
	_, err = empty.GetContext(ctx)
	check("GetContext cancelled", err, cause)

	for i := range bounded.MaxSize() {
		if err := bounded.PutNowait(i); err != nil {
			errs = append(errs, err)
		}
	}
	check("PutNowait on full", bounded.PutNowait(9), ErrFull)
	check("PutTimeout on full", bounded.PutTimeout(9, 20*time.Millisecond), ErrFull)
	check("PutTimeout(-1)", bounded.PutTimeout(9, -1), errNegativeTimeout)
	check("PutContext cancelled", bounded.PutContext(ctx, 9), cause)
	if !bounded.Full() || bounded.Size() != bounded.MaxSize() {
		errs = append(errs, fmt.Errorf("full queue: Full %v Size %d", bounded.Full(), bounded.Size()))
	}
	for i := range bounded.MaxSize() {
		v, err := bounded.GetTimeout(10 * time.Second)
		if err != nil || v != i {
			errs = append(errs, fmt.Errorf("bounded get %d: %v, %v", i, v, err))
		}
	}
	if !bounded.Empty() {
		errs = append(errs, errors.New("bounded queue not empty after draining"))
	}

	err = anyq.Put(func() {})
	if err == nil || !strings.Contains(err.Error(), "cannot encode") {
		errs = append(errs, fmt.Errorf("Put of a func = %v", err))
	}
	if err := anyq.Put(gobItem{Name: "after"}); err != nil {
		errs = append(errs, fmt.Errorf("Put after an unencodable item: %v", err))
	}
	v, err := anyq.GetTimeout(10 * time.Second)
	if err != nil || v.(gobItem).Name != "after" {
		errs = append(errs, fmt.Errorf("Get after an unencodable item: %v, %v", v, err))
	}
	return errors.Join(errs...)
}

func TestQueueErrorsLocal(t *testing.T) {
	if err := queueErrors(mustQueue[int](t, 0), mustQueue[int](t, 2), mustQueue[any](t, 0)); err != nil {
		t.Error(err)
	}
}

func TestQueueErrorsInChild(t *testing.T) {
	checkNoChildren(t)
	var stderr syncBuffer
	p := NewProcessWith(Options{Stderr: &stderr}, "test.queue-errors", mustQueue[int](t, 0), mustQueue[int](t, 2), mustQueue[any](t, 0))
	mustStart(t, p)
	if code := exitCode(t, p); code != 0 {
		t.Errorf("exit code %d:\n%s", code, stderr.String())
	}
}

func TestQueueFIFOAndSize(t *testing.T) {
	q := mustQueue[int](t, 0)
	if !q.Empty() || q.Size() != 0 || q.Full() {
		t.Fatal("new queue not empty")
	}
	for i := range 1000 {
		if err := q.Put(i); err != nil {
			t.Fatal(err)
		}
	}
	if q.Size() != 1000 || q.Empty() || q.Full() {
		t.Errorf("Size %d Empty %v Full %v after 1000 puts", q.Size(), q.Empty(), q.Full())
	}
	for i := range 1000 {
		if v, err := q.Get(); v != i || err != nil {
			t.Fatalf("Get = %d, %v; want %d", v, err, i)
		}
	}
}

func TestClosedQueue(t *testing.T) {
	q, err := NewJoinableQueue[int](1)
	if err != nil {
		t.Fatal(err)
	}
	q.Put(1)
	blocked := make(chan error)
	go func() { blocked <- q.Put(2) }() // waits for a free slot
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-blocked; !errors.Is(err, ErrQueueClosed) {
		t.Errorf("Put blocked across Close = %v", err)
	}
	_, err = q.Get()
	for what, err := range map[string]error{
		"Put": q.Put(1), "Get": err, "TaskDone": q.TaskDone(), "Join": q.Join(),
	} {
		if !errors.Is(err, ErrQueueClosed) || !strings.Contains(err.Error(), "queue is closed") {
			t.Errorf("%s after Close = %v", what, err)
		}
	}
	if err := q.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := q.JoinThread(); err != nil {
		t.Errorf("JoinThread after Close = %v", err)
	}
	if err := NewProcess("test.return", q).Start(); !errors.Is(err, ErrQueueClosed) {
		t.Errorf("passing a closed queue = %v", err)
	}
}

func init() {
	// test.closed checks a handle after its Close in a child.
	Register("test.closed", func(a Args) error {
		q, err := Arg[*Queue[int]](a, 0)
		if err != nil {
			return err
		}
		if err := q.Put(1); err != nil {
			return err
		}
		if err := q.JoinThread(); err == nil {
			return errors.New("JoinThread before Close succeeded")
		}
		if err := q.Close(); err != nil {
			return err
		}
		if err := q.JoinThread(); err != nil {
			return err
		}
		if err := q.Put(2); !errors.Is(err, ErrQueueClosed) {
			return fmt.Errorf("Put after Close = %v", err)
		}
		if _, err := q.Get(); !errors.Is(err, ErrQueueClosed) {
			return fmt.Errorf("Get after Close = %v", err)
		}
		return nil
	})
}

func TestClosedQueueInChild(t *testing.T) {
	checkNoChildren(t)
	var stderr syncBuffer
	q := mustQueue[int](t, 0)
	p := NewProcessWith(Options{Stderr: &stderr}, "test.closed", q)
	mustStart(t, p)
	if code := exitCode(t, p); code != 0 {
		t.Fatalf("exit code %d:\n%s", code, stderr.String())
	}
	// The item put before Close was flushed; the queue lives on here.
	if v, err := q.GetNowait(); v != 1 || err != nil {
		t.Errorf("GetNowait = %v, %v", v, err)
	}
}

func TestEchoAllCodecs(t *testing.T) {
	checkNoChildren(t)
	const n = 50
	echo(t, "test.echo.int64", n, func(i int) int64 { return int64(i) * -7 })
	echo(t, "test.echo.string", n, func(i int) string { return strings.Repeat("é", i) })
	echo(t, "test.echo.bytes", n, func(i int) []byte { return make([]byte, i*100) })
	echo(t, "test.echo.plain", n, func(i int) plainItem { return plainItem{int64(i), [3]float64{1.5, float64(i), -0}, uint8(i)} })
	echo(t, "test.echo.bool", n, func(i int) boolItem { return boolItem{i%2 == 0, int32(i)} })
	echo(t, "test.echo.gob", n, func(i int) gobItem {
		return gobItem{Name: fmt.Sprint(i), Tags: map[string]int{"i": i}, Next: &gobItem{Name: "next"}}
	})
	echo(t, "test.echo.any", n, func(i int) any {
		if i%2 == 0 {
			return i
		}
		return gobItem{Name: "x"}
	})
}

func echo[T any](t *testing.T, target string, n int, gen func(int) T) {
	t.Helper()
	in, out := mustQueue[T](t, 0), mustQueue[T](t, 0)
	var stderr syncBuffer
	p := NewProcessWith(Options{Stderr: &stderr}, target, in, out, n)
	mustStart(t, p)
	for i := range n {
		if err := in.Put(gen(i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		v, err := out.GetTimeout(30 * time.Second)
		if err != nil {
			t.Fatalf("%s: %v\n%s", target, err, stderr.String())
		}
		if want := gen(i); !reflect.DeepEqual(v, want) {
			t.Fatalf("%s: item %d = %#v, want %#v", target, i, v, want)
		}
	}
	if code := exitCode(t, p); code != 0 {
		t.Fatalf("%s: exit code %d\n%s", target, code, stderr.String())
	}
	if c := newCodec[T](); t.Failed() {
		t.Logf("codec %v", c.kind)
	}
}

func TestCodecKinds(t *testing.T) {
	for i, tt := range []struct {
		got, want codecKind
	}{
		{newCodec[int]().kind, codecRaw},
		{newCodec[float64]().kind, codecRaw},
		{newCodec[plainItem]().kind, codecRaw},
		{newCodec[Job]().kind, codecRaw},
		{newCodec[[]byte]().kind, codecBytes},
		{newCodec[string]().kind, codecString},
		{newCodec[boolItem]().kind, codecBinary},
		{newCodec[bool]().kind, codecBinary},
		{newCodec[gobItem]().kind, codecGob},
		{newCodec[any]().kind, codecGob},
		{newCodec[*plainItem]().kind, codecGob},
		{newCodec[Result]().kind, codecGob},
		{newCodec[*int]().kind, codecGob},
		{newCodec[gobStamped]().kind, codecGob},
		{newCodec[binStamped]().kind, codecGob},
		{newCodec[nestedStamped]().kind, codecGob},
		{newCodec[upperString]().kind, codecGob},
		{newCodec[[2]gobStamped]().kind, codecGob},
	} {
		if tt.got != tt.want {
			t.Errorf("codec %d: %v, want %v", i, tt.got, tt.want)
		}
	}
	var v plainItem
	if err := newCodec[plainItem]().decode([]byte{1, 2, 3}, &v); err == nil {
		t.Error("raw decode of a short payload succeeded")
	}
	var b boolItem
	if err := newCodec[boolItem]().decode([]byte{1}, &b); err == nil {
		t.Error("binary decode of a short payload succeeded")
	}
}

func TestPerProducerOrder(t *testing.T) {
	checkNoChildren(t)
	const producers, n = 3, 20000
	q := mustQueue[seqItem](t, 0)
	var ps []*Process
	for id := range producers {
		p := NewProcess("test.produce", q, id, n)
		mustStart(t, p)
		ps = append(ps, p)
	}
	// A local producer too.
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			q.Put(seqItem{producers, i})
		}
	})
	next := make([]int, producers+1)
	for range (producers + 1) * n {
		v, err := q.GetTimeout(30 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if v.Seq != next[v.Producer] {
			t.Fatalf("producer %d: got item %d, want %d", v.Producer, v.Seq, next[v.Producer])
		}
		next[v.Producer]++
	}
	wg.Wait()
	for _, p := range ps {
		if code := exitCode(t, p); code != 0 {
			t.Errorf("%s: exit code %d", p.Name(), code)
		}
	}
	if _, err := q.GetNowait(); !errors.Is(err, ErrEmpty) {
		t.Errorf("extra item: %v", err)
	}
}

// TestJoinProducerBeforeDraining is Python's pitfall: joining a process
// that put items before they were got. Ours does not deadlock: a child's
// items go to the creating process's memory when it exits.
func TestJoinProducerBeforeDraining(t *testing.T) {
	checkNoChildren(t)
	const n = 200000
	q := mustQueue[seqItem](t, 0)
	p := NewProcess("test.produce", q, 0, n)
	mustStart(t, p)
	if code := exitCode(t, p); code != 0 { // join first
		t.Fatalf("exit code %d", code)
	}
	if q.Size() != n {
		t.Errorf("Size after the producer exited = %d, want %d", q.Size(), n)
	}
	for i := range n { // then drain
		v, err := q.GetNowait()
		if err != nil || v.Seq != i {
			t.Fatalf("item %d: %v, %v", i, v, err)
		}
	}
}

func TestJoinableQueueLocal(t *testing.T) {
	q := mustJoinable[int](t, 0)
	if err := q.Join(); err != nil {
		t.Fatalf("Join of an empty queue: %v", err)
	}
	if err := q.TaskDone(); !errors.Is(err, ErrTaskDone) || !strings.Contains(err.Error(), "task_done() called too many times") {
		t.Errorf("TaskDone on an empty queue = %v", err)
	}
	for i := range 3 {
		q.Put(i)
	}
	if q.Unfinished() != 3 {
		t.Errorf("Unfinished = %d", q.Unfinished())
	}
	if err := q.JoinTimeout(10 * time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Errorf("JoinTimeout with unfinished tasks = %v", err)
	}
	if err := q.JoinTimeout(-1); !errors.Is(err, errNegativeTimeout) {
		t.Errorf("JoinTimeout(-1) = %v", err)
	}
	done := make(chan error)
	go func() { done <- q.Join() }()
	for range 3 {
		q.Get()
		if err := q.TaskDone(); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := q.TaskDone(); !errors.Is(err, ErrTaskDone) {
		t.Errorf("fourth TaskDone = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	q.Put(9)
	cancel()
	if err := q.JoinContext(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("JoinContext cancelled = %v", err)
	}
}

func TestJoinableQueueAcrossProcesses(t *testing.T) {
	checkNoChildren(t)
	const workers, n = 2, 5000
	jobs := mustJoinable[Job](t, 0)
	results := mustQueue[Result](t, 0)
	var ps []*Process
	for range workers {
		p := NewProcess("test.worker", jobs, results)
		mustStart(t, p)
		ps = append(ps, p)
	}
	for i := range n {
		if err := jobs.Put(Job{ID: i, Size: i % 100}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := WithProcesses(context.Background(), ps...)
	defer cancel()
	if err := jobs.JoinContext(ctx); err != nil {
		t.Fatal(err)
	}
	if results.Size() != n {
		t.Errorf("after Join, %d results, want %d", results.Size(), n)
	}
	seen := make([]bool, n)
	byWorker := map[string]int{}
	for range n {
		r, err := results.GetContext(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if seen[r.ID] || r.Sum != (r.ID%100)*(r.ID%100-1)/2 {
			t.Fatalf("bad or repeated result %+v", r)
		}
		seen[r.ID] = true
		byWorker[r.Worker]++
	}
	// One sentinel each; prefetched sentinels must reach the other worker.
	for range workers {
		jobs.Put(Job{ID: -1})
	}
	if err := jobs.JoinContext(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if code := exitCode(t, p); code != 0 {
			t.Errorf("%s: exit code %d", p.Name(), code)
		}
	}
	if err := jobs.TaskDone(); !errors.Is(err, ErrTaskDone) {
		t.Errorf("TaskDone after all done = %v", err)
	}
	t.Logf("jobs per worker: %v", byWorker)
}

func TestJoinableQueueDeadConsumer(t *testing.T) {
	checkNoChildren(t)
	for _, tt := range []struct {
		how  string
		code int
	}{{"exit", 3}, {"panic", 1}, {"kill", -9}} {
		t.Run(tt.how, func(t *testing.T) {
			jobs := mustJoinable[Job](t, 0)
			p := NewProcessWith(Options{Stderr: io.Discard}, "test.take", jobs, tt.how)
			mustStart(t, p)
			jobs.Put(Job{ID: 1})
			ctx, cancel := WithProcesses(context.Background(), p)
			defer cancel()
			err := jobs.JoinContext(ctx) // one that never noticed hangs until the test's timeout
			var ee *ExitError
			if !errors.As(err, &ee) || ee.Code != tt.code {
				t.Errorf("Join while the consumer dies = %v, want its *ExitError with code %d", err, tt.code)
			}
			if err := jobs.JoinTimeout(20 * time.Millisecond); !errors.Is(err, ErrTimeout) {
				t.Errorf("JoinTimeout with a task a dead process took = %v", err)
			}
			p.Join()
		})
	}
}

func TestSimpleQueue(t *testing.T) {
	checkNoChildren(t)
	in, err := NewSimpleQueue[string]()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := NewSimpleQueue[string]()
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if !in.Empty() {
		t.Error("new SimpleQueue not empty")
	}
	p := NewProcess("test.simple", in, out)
	mustStart(t, p)
	for _, s := range []string{"a", "b", "c"} {
		in.Put(s)
	}
	for _, want := range []string{"A", "B", "C"} {
		got, err := out.Get()
		if got != want || err != nil {
			t.Fatalf("Get = %q, %v; want %q", got, err, want)
		}
	}
	if code := exitCode(t, p); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

func init() {
	Register("test.simple", func(a Args) error {
		in, err := Arg[*SimpleQueue[string]](a, 0)
		if err != nil {
			return err
		}
		out, err := Arg[*SimpleQueue[string]](a, 1)
		if err != nil {
			return err
		}
		if _, err := Arg[*Queue[string]](a, 0); err == nil {
			return errors.New("a SimpleQueue bound as a Queue")
		}
		for range 3 {
			s, err := in.Get()
			if err != nil {
				return err
			}
			if err := out.Put(strings.ToUpper(s)); err != nil {
				return err
			}
		}
		return out.Close()
	})
}

func TestGetNowaitSeesRemoteItems(t *testing.T) {
	// A handle in a child must see items that reached the creator even if
	// it never asked for them before.
	checkNoChildren(t)
	q := mustQueue[int](t, 0)
	res := mustQueue[int](t, 0)
	for i := range 3 {
		q.Put(i)
	}
	p := NewProcess("test.nowait", q, res)
	mustStart(t, p)
	if code := exitCode(t, p); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if v, err := res.GetNowait(); v != 3 || err != nil {
		t.Errorf("child got %d items with GetNowait (%v), want 3", v, err)
	}
	if q.Size() != 0 {
		t.Errorf("Size = %d after the child took all", q.Size())
	}
}

func init() {
	Register("test.nowait", func(a Args) error {
		q, err := Arg[*Queue[int]](a, 0)
		if err != nil {
			return err
		}
		res, err := Arg[*Queue[int]](a, 1)
		if err != nil {
			return err
		}
		n := 0
		for {
			v, err := q.GetNowait()
			if errors.Is(err, ErrEmpty) {
				break
			}
			if err != nil {
				return err
			}
			if v != n {
				return fmt.Errorf("GetNowait = %d, want %d", v, n)
			}
			n++
		}
		return res.Put(n)
	})
}

func TestTimedOutGetReturnsItems(t *testing.T) {
	// A remote Get that gave up must not keep items granted after it
	// stopped waiting: they go back to the queue for others.
	checkNoChildren(t)
	q := mustQueue[int](t, 0)
	ready := mustQueue[int](t, 0)
	release := mustQueue[int](t, 0)
	p := NewProcess("test.giveup", q, ready, release)
	mustStart(t, p)
	if _, err := ready.GetTimeout(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	// The child's Get has timed out; an item put now must be ours to get.
	q.Put(7)
	v, err := q.GetTimeout(10 * time.Second)
	if v != 7 || err != nil {
		t.Errorf("Get = %v, %v: the item stayed with a child that stopped waiting", v, err)
	}
	release.Put(0)
	if code := exitCode(t, p); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

func init() {
	Register("test.giveup", func(a Args) error {
		q, err := Arg[*Queue[int]](a, 0)
		if err != nil {
			return err
		}
		ready, err := Arg[*Queue[int]](a, 1)
		if err != nil {
			return err
		}
		release, err := Arg[*Queue[int]](a, 2)
		if err != nil {
			return err
		}
		if _, err := q.GetTimeout(10 * time.Millisecond); !errors.Is(err, ErrEmpty) {
			return fmt.Errorf("GetTimeout = %v", err)
		}
		if err := ready.Put(1); err != nil {
			return err
		}
		_, err = release.Get()
		return err
	})
}

func TestBoundedAcrossProcesses(t *testing.T) {
	// A producer in a child blocks on the shared slots: the queue never
	// holds more than maxsize items, wherever they are.
	checkNoChildren(t)
	const maxsize, n = 3, 2000
	q := mustQueue[seqItem](t, maxsize)
	p := NewProcess("test.produce", q, 0, n)
	mustStart(t, p)
	for i := range n {
		if s := q.Size(); s > maxsize {
			t.Fatalf("Size %d > maxsize %d", s, maxsize)
		}
		v, err := q.GetTimeout(30 * time.Second)
		if err != nil || v.Seq != i {
			t.Fatalf("item %d: %v, %v", i, v, err)
		}
	}
	if code := exitCode(t, p); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}
