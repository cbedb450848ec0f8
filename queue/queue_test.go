package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// forever is a timeout that a test never waits out.
const forever = time.Hour

// kinds are the three constructors, each with the order Get returns items in.
var kinds = []struct {
	name  string
	new   func(maxsize int) *Queue[int]
	order func(put []int) []int
}{
	{"fifo", New[int], slices.Clone[[]int]},
	{"lifo", NewLifo[int], func(put []int) []int {
		s := slices.Clone(put)
		slices.Reverse(s)
		return s
	}},
	{"priority", func(maxsize int) *Queue[int] { return NewPriority(maxsize, cmp.Less[int]) },
		func(put []int) []int { return slices.Sorted(slices.Values(put)) }},
}

// getForms are the blocking forms of Get, none of which gives up in a test.
func getForms(t *testing.T) []struct {
	name string
	get  func(*Queue[int]) (int, error)
} {
	return []struct {
		name string
		get  func(*Queue[int]) (int, error)
	}{
		{"Get", (*Queue[int]).Get},
		{"GetTimeout", func(q *Queue[int]) (int, error) { return q.GetTimeout(forever) }},
		{"GetContext", func(q *Queue[int]) (int, error) { return q.GetContext(t.Context()) }},
	}
}

// putForms are the blocking forms of Put, none of which gives up in a test.
func putForms(t *testing.T) []struct {
	name string
	put  func(*Queue[int], int) error
} {
	return []struct {
		name string
		put  func(*Queue[int], int) error
	}{
		{"Put", (*Queue[int]).Put},
		{"PutTimeout", func(q *Queue[int], x int) error { return q.PutTimeout(x, forever) }},
		{"PutContext", func(q *Queue[int], x int) error { return q.PutContext(t.Context(), x) }},
	}
}

// drain gets every item with GetNowait.
func drain[T any](t *testing.T, q *Queue[T]) []T {
	t.Helper()
	var got []T
	for !q.Empty() {
		x, err := q.GetNowait()
		if err != nil {
			t.Fatalf("GetNowait: %v", err)
		}
		got = append(got, x)
	}
	return got
}

func mustPut[T any](t *testing.T, q *Queue[T], items ...T) {
	t.Helper()
	for _, x := range items {
		if err := q.PutNowait(x); err != nil {
			t.Fatalf("PutNowait(%v): %v", x, err)
		}
	}
}

func TestOrder(t *testing.T) {
	put := []int{5, 3, 9, 1, 7, 3, 8, 2, 6, 4, 0}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			q := k.new(0)
			mustPut(t, q, put...)
			if got, want := drain(t, q), k.order(put); !slices.Equal(got, want) {
				t.Errorf("got %v; want %v", got, want)
			}
		})
	}
}

func TestPriorityLess(t *testing.T) {
	type job struct {
		prio int
		name string
	}
	// Highest priority first, by name among equals.
	q := NewPriority(0, func(a, b job) bool {
		return a.prio > b.prio || a.prio == b.prio && a.name < b.name
	})
	mustPut(t, q, job{1, "b"}, job{3, "x"}, job{1, "a"}, job{2, "m"})
	var got []string
	for _, j := range drain(t, q) {
		got = append(got, j.name)
	}
	if want := []string{"x", "m", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}

func TestNewPriorityNilLess(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewPriority(0, nil) did not panic")
		}
	}()
	NewPriority[int](0, nil)
}

func TestUnbounded(t *testing.T) {
	for _, maxsize := range []int{0, -1} {
		for _, k := range kinds {
			q := k.new(maxsize)
			for i := range 1000 {
				if err := q.PutNowait(i); err != nil {
					t.Fatalf("%s(%d): PutNowait #%d: %v", k.name, maxsize, i, err)
				}
			}
			if q.Full() || q.Size() != 1000 || q.MaxSize() != maxsize {
				t.Errorf("%s(%d): Full %v, Size %d, MaxSize %d; want false, 1000, %d",
					k.name, maxsize, q.Full(), q.Size(), q.MaxSize(), maxsize)
			}
		}
	}
}

func TestSizeEmptyFull(t *testing.T) {
	for _, k := range kinds {
		q := k.new(2)
		check := func(size int, empty, full bool) {
			t.Helper()
			if q.Size() != size || q.Empty() != empty || q.Full() != full {
				t.Errorf("%s: Size %d, Empty %v, Full %v; want %d, %v, %v",
					k.name, q.Size(), q.Empty(), q.Full(), size, empty, full)
			}
		}
		check(0, true, false)
		mustPut(t, q, 1)
		check(1, false, false)
		mustPut(t, q, 2)
		check(2, false, true)
		if q.MaxSize() != 2 {
			t.Errorf("%s: MaxSize %d; want 2", k.name, q.MaxSize())
		}
	}
}

func TestNowait(t *testing.T) {
	for _, k := range kinds {
		q := k.new(2)
		if _, err := q.GetNowait(); err != ErrEmpty {
			t.Errorf("%s: GetNowait on empty queue: %v; want ErrEmpty", k.name, err)
		}
		mustPut(t, q, 1, 2)
		if err := q.PutNowait(3); err != ErrFull {
			t.Errorf("%s: PutNowait on full queue: %v; want ErrFull", k.name, err)
		}
		if got, want := drain(t, q), k.order([]int{1, 2}); !slices.Equal(got, want) {
			t.Errorf("%s: after ErrFull, queue holds %v; want %v", k.name, got, want)
		}
	}
}

func TestTimeoutExpires(t *testing.T) {
	const d = 5 * time.Millisecond
	q := New[int](2)
	start := time.Now()
	if _, err := q.GetTimeout(d); err != ErrEmpty {
		t.Errorf("GetTimeout on empty queue: %v; want ErrEmpty", err)
	}
	if elapsed := time.Since(start); elapsed < d {
		t.Errorf("GetTimeout(%v) gave up after %v", d, elapsed)
	}
	mustPut(t, q, 1, 2)
	start = time.Now()
	if err := q.PutTimeout(3, d); err != ErrFull {
		t.Errorf("PutTimeout on full queue: %v; want ErrFull", err)
	}
	if elapsed := time.Since(start); elapsed < d {
		t.Errorf("PutTimeout(%v) gave up after %v", d, elapsed)
	}
	// State unchanged: no waiter left behind, same items, same task count.
	if g, p, j := q.waiters(); g+p+j != 0 {
		t.Errorf("waiters left: %d getters, %d putters, %d joiners", g, p, j)
	}
	if got := drain(t, q); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("queue holds %v; want [1 2]", got)
	}
	for range 2 {
		if err := q.TaskDone(); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.TaskDone(); err != ErrTooManyTaskDone {
		t.Errorf("a timed-out Put counted a task")
	}
}

func TestTimeoutZero(t *testing.T) {
	// Python: get(timeout=0) raises Empty at once if empty, else returns.
	q := New[int](1)
	if _, err := q.GetTimeout(0); err != ErrEmpty {
		t.Errorf("GetTimeout(0) on empty queue: %v; want ErrEmpty", err)
	}
	if err := q.PutTimeout(1, 0); err != nil {
		t.Errorf("PutTimeout(1, 0) on empty queue: %v", err)
	}
	if err := q.PutTimeout(2, 0); err != ErrFull {
		t.Errorf("PutTimeout(2, 0) on full queue: %v; want ErrFull", err)
	}
	if x, err := q.GetTimeout(0); x != 1 || err != nil {
		t.Errorf("GetTimeout(0) = %v, %v; want 1, nil", x, err)
	}
	if g, p, j := q.waiters(); g+p+j != 0 {
		t.Errorf("waiters left: %d getters, %d putters, %d joiners", g, p, j)
	}
}

func TestNegativeTimeout(t *testing.T) {
	if !strings.Contains(ErrNegativeTimeout.Error(), "'timeout' must be a non-negative number") {
		t.Errorf("ErrNegativeTimeout says %q", ErrNegativeTimeout)
	}
	for _, maxsize := range []int{0, 2} {
		q := New[int](maxsize)
		if _, err := q.GetTimeout(-time.Nanosecond); err != ErrNegativeTimeout {
			t.Errorf("maxsize %d: GetTimeout(-1ns) on empty queue: %v; want ErrNegativeTimeout", maxsize, err)
		}
		// Not full, but still an error: a negative timeout is never a wait.
		if err := q.PutTimeout(1, -time.Second); err != ErrNegativeTimeout {
			t.Errorf("maxsize %d: PutTimeout(1, -1s): %v; want ErrNegativeTimeout", maxsize, err)
		}
		mustPut(t, q, 7)
		// As in Python, even when an item is there.
		if _, err := q.GetTimeout(-time.Second); err != ErrNegativeTimeout {
			t.Errorf("maxsize %d: GetTimeout(-1s) with an item: %v; want ErrNegativeTimeout", maxsize, err)
		}
		if got := drain(t, q); !slices.Equal(got, []int{7}) {
			t.Errorf("maxsize %d: queue holds %v; want [7]", maxsize, got)
		}
		// Shutdown is checked first, as in Python.
		q.Shutdown(false)
		if err := q.PutTimeout(1, -time.Second); err != ErrShutDown {
			t.Errorf("maxsize %d: PutTimeout(1, -1s) after Shutdown: %v; want ErrShutDown", maxsize, err)
		}
		if _, err := q.GetTimeout(-time.Second); err != ErrShutDown {
			t.Errorf("maxsize %d: GetTimeout(-1s) after Shutdown: %v; want ErrShutDown", maxsize, err)
		}
	}
}

func TestBlockedGetWokenByPut(t *testing.T) {
	for _, k := range kinds {
		for _, f := range getForms(t) {
			t.Run(k.name+"/"+f.name, func(t *testing.T) {
				q := k.new(0)
				res := goGet(func() (int, error) { return f.get(q) })
				waitWaiters(q, 1, 0, 0)
				mustPut(t, q, 42)
				if r := <-res; r.item != 42 || r.err != nil {
					t.Errorf("got %v, %v; want 42, nil", r.item, r.err)
				}
				if !q.Empty() {
					t.Errorf("Size %d after Get; want 0", q.Size())
				}
			})
		}
	}
}

func TestBlockedPutWokenByGet(t *testing.T) {
	for _, k := range kinds {
		for _, f := range putForms(t) {
			t.Run(k.name+"/"+f.name, func(t *testing.T) {
				q := k.new(1)
				mustPut(t, q, 1)
				res := goErr(func() error { return f.put(q, 2) })
				waitWaiters(q, 0, 1, 0)
				if x, err := q.GetNowait(); x != 1 || err != nil {
					t.Fatalf("GetNowait = %v, %v; want 1, nil", x, err)
				}
				if err := <-res; err != nil {
					t.Errorf("blocked put: %v", err)
				}
				if got := drain(t, q); !slices.Equal(got, []int{2}) {
					t.Errorf("queue holds %v; want [2]", got)
				}
			})
		}
	}
}

func TestWakeOneOldestFirst(t *testing.T) {
	// Like Condition.notify: one Put wakes one getter, the one that waited
	// longest.
	q := New[int](0)
	first := goGet(q.Get)
	waitWaiters(q, 1, 0, 0)
	second := goGet(q.Get)
	waitWaiters(q, 2, 0, 0)
	mustPut(t, q, 1)
	if r := <-first; r.item != 1 || r.err != nil {
		t.Errorf("first getter: %v, %v; want 1, nil", r.item, r.err)
	}
	waitWaiters(q, 1, 0, 0)
	if !pending(second) {
		t.Fatal("second getter returned without an item")
	}
	mustPut(t, q, 2)
	if r := <-second; r.item != 2 || r.err != nil {
		t.Errorf("second getter: %v, %v; want 2, nil", r.item, r.err)
	}
}

func TestHandoff(t *testing.T) {
	// A blocked caller is served before a newcomer: the item or the slot is
	// handed over at once, so a non-blocking call right after finds none.
	q := New[int](1)
	res := goGet(q.Get)
	waitWaiters(q, 1, 0, 0)
	mustPut(t, q, 1)
	if _, err := q.GetNowait(); err != ErrEmpty {
		t.Errorf("GetNowait took the item handed to a blocked Get: %v", err)
	}
	if r := <-res; r.item != 1 || r.err != nil {
		t.Errorf("blocked Get = %v, %v; want 1, nil", r.item, r.err)
	}

	mustPut(t, q, 2)
	put := goErr(func() error { return q.Put(3) })
	waitWaiters(q, 0, 1, 0)
	if x, err := q.GetNowait(); x != 2 || err != nil {
		t.Fatalf("GetNowait = %v, %v; want 2, nil", x, err)
	}
	if err := q.PutNowait(4); err != ErrFull {
		t.Errorf("PutNowait took the slot freed for a blocked Put: %v", err)
	}
	if err := <-put; err != nil {
		t.Errorf("blocked Put: %v", err)
	}
	if got := drain(t, q); !slices.Equal(got, []int{3}) {
		t.Errorf("queue holds %v; want [3]", got)
	}
}

func TestContextCancel(t *testing.T) {
	t.Run("Get", func(t *testing.T) {
		q := New[int](0)
		ctx, cancel := context.WithCancel(t.Context())
		res := goGet(func() (int, error) { return q.GetContext(ctx) })
		waitWaiters(q, 1, 0, 0)
		cancel()
		if r := <-res; r.err != context.Canceled {
			t.Errorf("GetContext after cancel: %v; want context.Canceled", r.err)
		}
		waitWaiters(q, 0, 0, 0)
		mustPut(t, q, 1)
		if got := drain(t, q); !slices.Equal(got, []int{1}) {
			t.Errorf("queue holds %v; want [1]", got)
		}
	})
	t.Run("Put", func(t *testing.T) {
		q := New[int](1)
		mustPut(t, q, 1)
		ctx, cancel := context.WithCancel(t.Context())
		res := goErr(func() error { return q.PutContext(ctx, 2) })
		waitWaiters(q, 0, 1, 0)
		cancel()
		if err := <-res; err != context.Canceled {
			t.Errorf("PutContext after cancel: %v; want context.Canceled", err)
		}
		waitWaiters(q, 0, 0, 0)
		if got := drain(t, q); !slices.Equal(got, []int{1}) {
			t.Errorf("queue holds %v; want [1]", got)
		}
		if err := q.TaskDone(); err != nil {
			t.Fatal(err)
		}
		if err := q.TaskDone(); err != ErrTooManyTaskDone {
			t.Errorf("a cancelled Put counted a task")
		}
	})
	t.Run("Deadline", func(t *testing.T) {
		q := New[int](1)
		ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond)
		defer cancel()
		if _, err := q.GetContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("GetContext past deadline: %v; want context.DeadlineExceeded", err)
		}
		mustPut(t, q, 1)
		if err := q.PutContext(ctx, 2); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("PutContext past deadline: %v; want context.DeadlineExceeded", err)
		}
		if g, p, j := q.waiters(); g+p+j != 0 {
			t.Errorf("waiters left: %d getters, %d putters, %d joiners", g, p, j)
		}
	})
}

func TestContextDoneButReady(t *testing.T) {
	// A done context is consulted only when the call would wait.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	q := New[int](1)
	if err := q.PutContext(ctx, 1); err != nil {
		t.Errorf("PutContext with a free slot: %v", err)
	}
	if err := q.PutContext(ctx, 2); err != context.Canceled {
		t.Errorf("PutContext on full queue: %v; want context.Canceled", err)
	}
	if x, err := q.GetContext(ctx); x != 1 || err != nil {
		t.Errorf("GetContext with an item = %v, %v; want 1, nil", x, err)
	}
	if _, err := q.GetContext(ctx); err != context.Canceled {
		t.Errorf("GetContext on empty queue: %v; want context.Canceled", err)
	}
}

func TestTaskDone(t *testing.T) {
	if !strings.Contains(ErrTooManyTaskDone.Error(), "task_done() called too many times") {
		t.Errorf("ErrTooManyTaskDone says %q", ErrTooManyTaskDone)
	}
	q := New[int](0)
	if err := q.TaskDone(); err != ErrTooManyTaskDone {
		t.Errorf("TaskDone on fresh queue: %v; want ErrTooManyTaskDone", err)
	}
	mustPut(t, q, 1, 2)
	for i := range 2 {
		if err := q.TaskDone(); err != nil { // before Get: allowed, as in Python
			t.Errorf("TaskDone #%d: %v", i+1, err)
		}
	}
	if err := q.TaskDone(); err != ErrTooManyTaskDone {
		t.Errorf("third TaskDone: %v; want ErrTooManyTaskDone", err)
	}
	// The failed call changed nothing: one more Put allows one more TaskDone.
	mustPut(t, q, 3)
	if err := q.TaskDone(); err != nil {
		t.Errorf("TaskDone after Put: %v", err)
	}
}

func TestJoin(t *testing.T) {
	q := New[int](0)
	q.Join() // nothing put: returns at once
	mustPut(t, q, 1, 2)
	joins := []<-chan error{
		goErr(func() error { q.Join(); return nil }),
		goErr(func() error { return q.JoinContext(t.Context()) }),
	}
	waitWaiters(q, 0, 0, 2)
	drain(t, q) // taking items does not finish tasks
	if err := q.TaskDone(); err != nil {
		t.Fatal(err)
	}
	for i, res := range joins {
		if !pending(res) {
			t.Fatalf("Join #%d returned with one task unfinished", i+1)
		}
	}
	if err := q.TaskDone(); err != nil {
		t.Fatal(err)
	}
	for i, res := range joins {
		if err := <-res; err != nil {
			t.Errorf("Join #%d: %v", i+1, err)
		}
	}
	q.Join()
}

func TestJoinContextCancel(t *testing.T) {
	q := New[int](0)
	mustPut(t, q, 1)
	ctx, cancel := context.WithCancel(t.Context())
	res := goErr(func() error { return q.JoinContext(ctx) })
	waitWaiters(q, 0, 0, 1)
	cancel()
	if err := <-res; err != context.Canceled {
		t.Errorf("JoinContext after cancel: %v; want context.Canceled", err)
	}
	waitWaiters(q, 0, 0, 0)
	if err := q.JoinContext(ctx); err != context.Canceled {
		t.Errorf("JoinContext with done context and a task left: %v; want context.Canceled", err)
	}
	if err := q.TaskDone(); err != nil {
		t.Fatal(err)
	}
	if err := q.JoinContext(ctx); err != nil {
		t.Errorf("JoinContext with done context and no task left: %v", err)
	}
}

func TestShutdown(t *testing.T) {
	q := New[int](0)
	mustPut(t, q, 1, 2)
	q.Shutdown(false)
	puts := map[string]error{
		"Put":        q.Put(3),
		"PutTimeout": q.PutTimeout(3, forever),
		"PutContext": q.PutContext(t.Context(), 3),
		"PutNowait":  q.PutNowait(3),
	}
	for name, err := range puts {
		if err != ErrShutDown {
			t.Errorf("%s after Shutdown: %v; want ErrShutDown", name, err)
		}
	}
	// Items left are still delivered, then Get fails.
	if x, err := q.Get(); x != 1 || err != nil {
		t.Errorf("Get = %v, %v; want 1, nil", x, err)
	}
	if x, err := q.GetNowait(); x != 2 || err != nil {
		t.Errorf("GetNowait = %v, %v; want 2, nil", x, err)
	}
	for _, f := range append(getForms(t), struct {
		name string
		get  func(*Queue[int]) (int, error)
	}{"GetNowait", (*Queue[int]).GetNowait}) {
		if _, err := f.get(q); err != ErrShutDown {
			t.Errorf("%s on empty shut-down queue: %v; want ErrShutDown", f.name, err)
		}
	}
	// Tasks are still counted: Join waits for both.
	res := goErr(func() error { return q.JoinContext(t.Context()) })
	waitWaiters(q, 0, 0, 1)
	for range 2 {
		if err := q.TaskDone(); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-res; err != nil {
		t.Error(err)
	}
	q.Shutdown(false) // again: no effect
	q.Shutdown(true)
	if _, err := q.GetNowait(); err != ErrShutDown {
		t.Errorf("GetNowait after second Shutdown: %v; want ErrShutDown", err)
	}
}

func TestShutdownWakesBlocked(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		for _, k := range kinds {
			t.Run(fmt.Sprintf("%s/immediate=%v", k.name, immediate), func(t *testing.T) {
				empty := k.new(1)
				var gets []<-chan result[int]
				for _, f := range getForms(t) {
					gets = append(gets, goGet(func() (int, error) { return f.get(empty) }))
				}
				full := k.new(1)
				mustPut(t, full, 1)
				var puts []<-chan error
				for _, f := range putForms(t) {
					puts = append(puts, goErr(func() error { return f.put(full, 2) }))
				}
				waitWaiters(empty, len(gets), 0, 0)
				waitWaiters(full, 0, len(puts), 0)
				empty.Shutdown(immediate)
				full.Shutdown(immediate)
				for i, res := range gets {
					if r := <-res; r.err != ErrShutDown {
						t.Errorf("%s: %v, %v; want ErrShutDown", getForms(t)[i].name, r.item, r.err)
					}
				}
				for i, res := range puts {
					if err := <-res; err != ErrShutDown {
						t.Errorf("%s: %v; want ErrShutDown", putForms(t)[i].name, err)
					}
				}
				if want := map[bool]int{false: 1, true: 0}[immediate]; full.Size() != want {
					t.Errorf("full queue: Size %d after Shutdown; want %d", full.Size(), want)
				}
			})
		}
	}
}

func TestShutdownImmediate(t *testing.T) {
	q := New[int](0)
	mustPut(t, q, 1, 2, 3)
	join := goErr(func() error { q.Join(); return nil })
	waitWaiters(q, 0, 0, 1)
	q.Shutdown(true)
	// Every item was dropped and counted done, so Join returns.
	if err := <-join; err != nil {
		t.Fatal(err)
	}
	if !q.Empty() {
		t.Errorf("Size %d after immediate Shutdown; want 0", q.Size())
	}
	if _, err := q.GetNowait(); err != ErrShutDown {
		t.Errorf("GetNowait: %v; want ErrShutDown", err)
	}
	if err := q.TaskDone(); err != ErrTooManyTaskDone {
		t.Errorf("TaskDone after dropping every item: %v; want ErrTooManyTaskDone", err)
	}
}

func TestShutdownImmediateInFlight(t *testing.T) {
	// An item already taken is not done until TaskDone: Join still waits for
	// it after an immediate Shutdown, as in Python.
	q := New[int](0)
	mustPut(t, q, 1, 2, 3)
	if _, err := q.Get(); err != nil {
		t.Fatal(err)
	}
	join := goErr(func() error { return q.JoinContext(t.Context()) })
	waitWaiters(q, 0, 0, 1)
	q.Shutdown(true) // wakes Join, which finds one task left
	waitWaiters(q, 0, 0, 1)
	if !pending(join) {
		t.Fatal("Join returned with a task in flight")
	}
	if err := q.TaskDone(); err != nil {
		t.Fatal(err)
	}
	if err := <-join; err != nil {
		t.Error(err)
	}
}

func TestZeroQueue(t *testing.T) {
	var q Queue[int]
	if !q.Empty() || q.Full() || q.Size() != 0 || q.MaxSize() != 0 {
		t.Errorf("zero Queue: Empty %v, Full %v, Size %d, MaxSize %d", q.Empty(), q.Full(), q.Size(), q.MaxSize())
	}
	if _, err := q.GetNowait(); err != ErrEmpty {
		t.Errorf("GetNowait: %v; want ErrEmpty", err)
	}
	res := goGet(q.Get)
	waitWaiters(&q, 1, 0, 0)
	mustPut(t, &q, 1, 2, 3)
	if r := <-res; r.item != 1 || r.err != nil {
		t.Errorf("Get = %v, %v; want 1, nil", r.item, r.err)
	}
	if got := drain(t, &q); !slices.Equal(got, []int{2, 3}) {
		t.Errorf("queue holds %v; want [2 3] (FIFO)", got)
	}
	var z Queue[int]
	z.Shutdown(true)
	if _, err := z.Get(); err != ErrShutDown {
		t.Errorf("Get on shut-down zero Queue: %v; want ErrShutDown", err)
	}
}
