//go:build linux

package mp

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// Scenarios of CPython's Lib/test/test_queue.py (BaseSimpleQueueTest) and
// Lib/test/_test_multiprocessing.py (TestSimpleQueue), ported to
// SimpleQueue across real processes; see docs/design/PORTED-TESTS.md.
//
// multiprocessing.SimpleQueue has only put, get, empty and close, and so has
// SimpleQueue: there is no qsize, put_nowait, get_nowait or get(timeout=).
// A get that gives up is GetContext. Where test_queue.py uses
// get(timeout=t) the port uses a context with a deadline t away, and where
// it uses get(block=False) a context that is already done: in the creating
// process such a get takes an item that is there and fails only on an empty
// queue, as get(block=False) does; in a child it takes what has reached the
// handle and asks for one more, which a later attempt finds.

// sqBasic is test_basic for one handle, in whatever process holds it. The
// queue must be empty on entry and is empty on return.
func sqBasic(q *SimpleQueue[int]) error {
	if !q.Empty() {
		return errors.New("Empty() = false on entry")
	}
	if err := q.Put(1); err != nil {
		return err
	}
	if q.Empty() {
		return errors.New("Empty() = true after one Put")
	}
	for _, v := range []int{2, 3, 4} {
		if err := q.Put(v); err != nil {
			return err
		}
	}
	if q.Empty() {
		return errors.New("Empty() = true after four Puts")
	}
	// get(), get_nowait(), get(block=False), get(timeout=0.1).
	nowait, cancel := context.WithCancel(context.Background())
	cancel()
	// In a child a done context may give up while the item is on its way
	// (see the file comment); the item is then the next get's.
	getNowait := func() (int, error) {
		for end := time.Now().Add(long); ; {
			v, err := q.GetContext(nowait)
			if !errors.Is(err, context.Canceled) || time.Now().After(end) {
				return v, err // an item that never comes is an error, not a hang
			}
			time.Sleep(10 * time.Microsecond)
		}
	}
	timeout, stop := context.WithTimeout(context.Background(), long)
	defer stop()
	gets := []func() (int, error){q.Get, getNowait, getNowait, func() (int, error) { return q.GetContext(timeout) }}
	for i, get := range gets {
		v, err := get()
		if err != nil {
			return fmt.Errorf("get %d: %w", i+1, err)
		}
		if v != i+1 {
			return fmt.Errorf("get %d = %d; want %d", i+1, v, i+1)
		}
		if empty := q.Empty(); empty != (i == 3) {
			return fmt.Errorf("Empty() = %v after get %d of 4", empty, i+1)
		}
	}
	// An empty queue: a get that gives up fails with its context's error,
	// whether the context was done before (block=False) or expires while it
	// waits (timeout=1e-3).
	if v, err := q.GetContext(nowait); !errors.Is(err, context.Canceled) {
		return fmt.Errorf("get with a done context on an empty queue = %d, %v; want context.Canceled", v, err)
	}
	short, stop2 := context.WithTimeout(context.Background(), time.Millisecond)
	defer stop2()
	start := time.Now()
	if v, err := q.GetContext(short); !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("get with a 1ms deadline on an empty queue = %d, %v; want context.DeadlineExceeded", v, err)
	}
	if d := time.Since(start); d < time.Millisecond {
		return fmt.Errorf("get with a 1ms deadline gave up after %v", d)
	}
	if !q.Empty() {
		return errors.New("Empty() = false at the end")
	}
	return nil
}

func init() {
	Register("test.sq.basic", func(a Args) error {
		q, err := Arg[*SimpleQueue[int]](a, 0)
		if err != nil {
			return err
		}
		return sqBasic(q)
	})
}

// test_basic, in the creating process and then in a child on the same
// queue (Empty is the shared count, so a child's Put shows at once).
func TestPortedSimpleQueueBasic(t *testing.T) {
	checkNoChildren(t)
	q := mustSimple[int](t)
	if err := sqBasic(q); err != nil {
		t.Fatalf("in the creator: %v", err)
	}
	p := NewProcess("test.sq.basic", q)
	mustStart(t, p)
	joinAll(t, p)
	if err := sqBasic(q); err != nil {
		t.Fatalf("in the creator, after the child: %v", err)
	}
}

// sqThreads is test_queue.py's run_threads for the goroutines of one
// process: feeders goroutines pop the inputs from a shared sequence and put
// them (sleeping up to 1 ms after half of them, from one shared
// random source seeded 42), then a sentinel (-1); consumers goroutines get
// until they see a sentinel, with Get ("block"), a done context ("nonblock",
// sleeping 10 µs after each failure) or a 10 µs deadline ("timeout"). It
// returns what the consumers got, in the order they got it.
func sqThreads(q *SimpleQueue[int], inputs []int, feeders, consumers int, mode string) ([]int, error) {
	var (
		mu      sync.Mutex
		seq     = slices.Clone(inputs)
		rnd     = rand.New(rand.NewPCG(42, 0))
		results []int
		errs    []error
		wg      sync.WaitGroup
	)
	slices.Reverse(seq)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	feed := func() error {
		for {
			mu.Lock()
			if len(seq) == 0 {
				mu.Unlock()
				return q.Put(-1)
			}
			v := seq[len(seq)-1]
			seq = seq[:len(seq)-1]
			mu.Unlock()
			if err := q.Put(v); err != nil {
				return err
			}
			mu.Lock()
			r, d := rnd.Float64(), rnd.Float64()
			mu.Unlock()
			if r > 0.5 {
				time.Sleep(time.Duration(d * float64(time.Millisecond)))
			}
		}
	}
	nowait, cancel := context.WithCancel(context.Background())
	cancel()
	get := func() (int, error) {
		for {
			var v int
			var err error
			switch mode {
			case "block":
				return q.Get()
			case "nonblock":
				v, err = q.GetContext(nowait)
				if errors.Is(err, context.Canceled) {
					time.Sleep(10 * time.Microsecond)
					continue
				}
			case "timeout":
				ctx, stop := context.WithTimeout(context.Background(), 10*time.Microsecond)
				v, err = q.GetContext(ctx)
				stop()
				if errors.Is(err, context.DeadlineExceeded) {
					continue
				}
			default:
				return 0, fmt.Errorf("unknown mode %q", mode)
			}
			return v, err
		}
	}
	consume := func() error {
		for {
			v, err := get()
			if err != nil {
				return err
			}
			if v == -1 {
				return nil
			}
			mu.Lock()
			results = append(results, v)
			mu.Unlock()
		}
	}
	for range feeders {
		wg.Go(func() {
			if err := feed(); err != nil {
				fail(fmt.Errorf("feeder: %w", err))
			}
		})
	}
	for range consumers {
		wg.Go(func() {
			if err := consume(); err != nil {
				fail(fmt.Errorf("consumer: %w", err))
			}
		})
	}
	wg.Wait()
	return results, errors.Join(errs...)
}

// sqResult is what a child's consumers got, sent back as one item.
type sqResult struct {
	Share int // the child's index in sqRun's shares
	Got   []int
}

// A child's share of run_threads: arguments queue, results queue, share
// index, the inputs its feeders put, feeder and consumer counts, mode.
func init() {
	Register("test.sq.threads", func(a Args) error {
		q, err := Arg[*SimpleQueue[int]](a, 0)
		if err != nil {
			return err
		}
		out, err := Arg[*SimpleQueue[sqResult]](a, 1)
		if err != nil {
			return err
		}
		share, err := Arg[int](a, 2)
		if err != nil {
			return err
		}
		inputs, err := Arg[[]int](a, 3)
		if err != nil {
			return err
		}
		feeders, err := Arg[int](a, 4)
		if err != nil {
			return err
		}
		consumers, err := Arg[int](a, 5)
		if err != nil {
			return err
		}
		mode, err := Arg[string](a, 6)
		if err != nil {
			return err
		}
		got, err := sqThreads(q, inputs, feeders, consumers, mode)
		if err != nil {
			return err
		}
		return out.Put(sqResult{Share: share, Got: got})
	})
}

// A share of run_threads: the inputs one process's feeders put, and how
// many feeders and consumers it runs. Share 0 is the test process itself.
type sqShare struct {
	inputs             []int
	feeders, consumers int
}

// sqRun runs the shares (the first in this process, each other in a child
// of its own) on one queue and returns what the consumers got: this
// process's consumers' results first, then each child's. Like run_threads
// it checks that nothing failed and that the queue is empty afterwards.
func sqRun(t *testing.T, mode string, shares ...sqShare) (local []int, children [][]int) {
	t.Helper()
	checkNoChildren(t)
	q := mustSimple[int](t)
	out := mustSimple[sqResult](t)
	var ps []*Process
	for i, s := range shares[1:] {
		p := NewProcessWith(Options{Daemon: true}, "test.sq.threads", q, out, i, s.inputs, s.feeders, s.consumers, mode)
		mustStart(t, p)
		ps = append(ps, p)
	}
	local, err := sqThreads(q, shares[0].inputs, shares[0].feeders, shares[0].consumers, mode)
	if err != nil {
		t.Fatalf("in the test process: %v", err)
	}
	children = make([][]int, len(ps))
	for range ps {
		ctx, stop := context.WithTimeout(context.Background(), long)
		got, err := out.GetContext(ctx)
		stop()
		if err != nil {
			errs := []error{err}
			for _, p := range ps {
				errs = append(errs, p.Err())
			}
			t.Fatalf("results of the children: %v", errors.Join(errs...))
		}
		if got.Share < 0 || got.Share >= len(ps) || children[got.Share] != nil {
			t.Fatalf("results of child %d: unknown or twice", got.Share)
		}
		children[got.Share] = append([]int{}, got.Got...)
	}
	joinAll(t, ps...)
	if !q.Empty() {
		t.Errorf("queue not empty after run_threads: %d items", q.q.Size())
	}
	return local, children
}

// checkAll fails unless the results, sorted, are inputs 0..n-1.
func checkAll(t *testing.T, n int, local []int, children [][]int) {
	t.Helper()
	all := slices.Concat(append([][]int{local}, children...)...)
	slices.Sort(all)
	want := ints(0, n)
	if !slices.Equal(all, want) {
		missing, extra := 0, 0
		seen := make(map[int]int)
		for _, v := range all {
			seen[v]++
		}
		for _, v := range want {
			if seen[v] == 0 {
				missing++
			}
		}
		for v, c := range seen {
			if v < 0 || v >= n {
				extra += c
			} else if c > 1 {
				extra += c - 1
			}
		}
		t.Fatalf("got %d results for %d inputs: %d missing, %d extra or repeated", len(all), n, missing, extra)
	}
}

// ints returns lo, lo+1, …, hi-1.
func ints(lo, hi int) []int {
	s := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}

// test_order: one feeder, one consumer, 100 items arrive in order —
// between the test process and a child both ways, and between two
// children.
func TestPortedSimpleQueueOrder(t *testing.T) {
	inputs := ints(0, 100)
	t.Run("child-to-parent", func(t *testing.T) {
		local, _ := sqRun(t, "block", sqShare{consumers: 1}, sqShare{inputs: inputs, feeders: 1})
		if !slices.Equal(local, inputs) {
			t.Errorf("got %v; want %v", local, inputs)
		}
	})
	t.Run("parent-to-child", func(t *testing.T) {
		_, children := sqRun(t, "block", sqShare{inputs: inputs, feeders: 1}, sqShare{consumers: 1})
		if !slices.Equal(children[0], inputs) {
			t.Errorf("got %v; want %v", children[0], inputs)
		}
	})
	t.Run("child-to-child", func(t *testing.T) {
		_, children := sqRun(t, "block", sqShare{}, sqShare{inputs: inputs, feeders: 1}, sqShare{consumers: 1})
		if !slices.Equal(children[1], inputs) {
			t.Errorf("got %v; want %v", children[1], inputs)
		}
	})
}

// test_many_threads, test_many_threads_nonblock, test_many_threads_timeout:
// CPython's 50 feeder and 50 consumer threads become 50 and 50 goroutines
// spread over the test process (16 and 16) and two children (17 and 17
// each), every goroutine of a child using its process's one handle. Each
// process feeds a third of the inputs; every input must arrive exactly
// once, wherever it was put and got.
func manySimple(t *testing.T, mode string, n int) {
	var parts [3][]int
	for i := range n {
		parts[i%3] = append(parts[i%3], i)
	}
	local, children := sqRun(t, mode,
		sqShare{inputs: parts[0], feeders: 16, consumers: 16},
		sqShare{inputs: parts[1], feeders: 17, consumers: 17},
		sqShare{inputs: parts[2], feeders: 17, consumers: 17})
	checkAll(t, n, local, children)
}

func TestPortedSimpleQueueManyThreads(t *testing.T) { manySimple(t, "block", 10000) }

func TestPortedSimpleQueueManyThreadsNonblock(t *testing.T) { manySimple(t, "nonblock", 10000) }

func TestPortedSimpleQueueManyThreadsTimeout(t *testing.T) { manySimple(t, "timeout", 1000) }

// _test_multiprocessing.py's TestSimpleQueue.test_empty (issue 30301): a
// child puts what Empty says, twice, on a queue the creator sees empty
// first; the creator gets true, then false.
func init() {
	Register("test.sq.empty", func(a Args) error {
		q, err := Arg[*SimpleQueue[bool]](a, 0)
		if err != nil {
			return err
		}
		childCanStart, err := Arg[*Event](a, 1)
		if err != nil {
			return err
		}
		parentCanContinue, err := Arg[*Event](a, 2)
		if err != nil {
			return err
		}
		defer parentCanContinue.Set()
		if err := childCanStart.Wait(); err != nil {
			return err
		}
		if err := q.Put(q.Empty()); err != nil {
			return err
		}
		return q.Put(q.Empty())
	})
}

func TestPortedSimpleQueueEmpty(t *testing.T) {
	checkNoChildren(t)
	q := mustSimple[bool](t)
	childCanStart := closeLater(t, must[*Event](t)(NewEvent()))
	parentCanContinue := closeLater(t, must[*Event](t)(NewEvent()))
	p := NewProcessWith(Options{Daemon: true}, "test.sq.empty", q, childCanStart, parentCanContinue)
	mustStart(t, p)
	if !q.Empty() {
		t.Error("Empty() = false before the child put anything")
	}
	must[struct{}](t)(struct{}{}, childCanStart.Set())
	must[struct{}](t)(struct{}{}, parentCanContinue.Wait())
	if q.Empty() {
		t.Error("Empty() = true after the child's two puts")
	}
	for _, want := range []bool{true, false} {
		got, err := q.Get()
		if err != nil || got != want {
			t.Errorf("Get = %v, %v; want %v", got, err, want)
		}
	}
	if !q.Empty() {
		t.Error("Empty() = false after both items were got")
	}
	joinAll(t, p)
}

// test_close and test_closed: closing twice does not fail, in the creator
// and in a child; afterwards the handle is closed for Put and Get (the
// reader and writer of CPython's test are ErrQueueClosed here), and a
// child's Close does not close the queue for the creator.
func init() {
	Register("test.sq.close", func(a Args) error {
		q, err := Arg[*SimpleQueue[int]](a, 0)
		if err != nil {
			return err
		}
		if err := q.Put(7); err != nil {
			return err
		}
		return closeTwice(q)
	})
}

func closeTwice(q *SimpleQueue[int]) error {
	if err := q.Close(); err != nil {
		return fmt.Errorf("first Close: %w", err)
	}
	if err := q.Close(); err != nil {
		return fmt.Errorf("second Close: %w", err)
	}
	if err := q.Put(1); !errors.Is(err, ErrQueueClosed) {
		return fmt.Errorf("Put after Close = %v; want ErrQueueClosed", err)
	}
	if _, err := q.Get(); !errors.Is(err, ErrQueueClosed) {
		return fmt.Errorf("Get after Close = %v; want ErrQueueClosed", err)
	}
	return nil
}

func TestPortedSimpleQueueClose(t *testing.T) {
	checkNoChildren(t)
	q := mustSimple[int](t)
	p := NewProcess("test.sq.close", q)
	mustStart(t, p)
	joinAll(t, p)
	// The child closed its handle after a Put: the item was written
	// (Close includes JoinThread) and the queue is still open here.
	ctx, stop := context.WithTimeout(context.Background(), long)
	defer stop()
	if v, err := q.GetContext(ctx); v != 7 || err != nil {
		t.Errorf("Get after the child's Close = %d, %v; want 7", v, err)
	}
	if err := closeTwice(q); err != nil {
		t.Error(err)
	}
}

func mustSimple[T any](tb testing.TB) *SimpleQueue[T] {
	tb.Helper()
	q, err := NewSimpleQueue[T]()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { q.Close() })
	return q
}
