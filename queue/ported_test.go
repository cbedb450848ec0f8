package queue

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// Scenarios ported from CPython 3.13's Lib/test/test_queue.py
// (BaseQueueTestMixin), run for each of the three kinds. The map from test
// method to Go test is docs/design/PORTED-TESTS.md.

func TestPortedShutdownAllowedTransitions(t *testing.T) {
	for _, k := range kinds {
		q := k.new(0)
		if q.IsShutdown() {
			t.Errorf("%s: IsShutdown of a new queue", k.name)
		}
		q.Shutdown(false)
		if !q.IsShutdown() {
			t.Errorf("%s: not IsShutdown after Shutdown(false)", k.name)
		}
		q.Shutdown(true)
		if !q.IsShutdown() {
			t.Errorf("%s: not IsShutdown after Shutdown(true)", k.name)
		}
		q.Shutdown(false)
		if !q.IsShutdown() {
			t.Errorf("%s: not IsShutdown after a third Shutdown", k.name)
		}
	}
}

func TestPortedUnfinishedTasks(t *testing.T) {
	q := New[int](0)
	if n := q.UnfinishedTasks(); n != 0 {
		t.Errorf("UnfinishedTasks of a new queue = %d", n)
	}
	mustPut(t, q, 1, 2, 3)
	q.Get()
	if n := q.UnfinishedTasks(); n != 3 {
		t.Errorf("UnfinishedTasks after 3 puts and a get = %d; want 3 (Get does not finish a task)", n)
	}
	q.TaskDone()
	if n := q.UnfinishedTasks(); n != 2 {
		t.Errorf("UnfinishedTasks after a TaskDone = %d; want 2", n)
	}
	q.Shutdown(true) // drops 2 items and counts them done
	if n := q.UnfinishedTasks(); n != 0 {
		t.Errorf("UnfinishedTasks after an immediate Shutdown = %d; want 0", n)
	}
}

// test_shutdown_all_methods_in_one_thread and its immediate twin.
func TestPortedShutdownAllMethodsInOneThread(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		for _, k := range kinds {
			q := k.new(2)
			mustPut(t, q, 1, 2)
			q.Shutdown(immediate)
			if err := q.Put(3); err != ErrShutDown {
				t.Errorf("%s immediate=%v: Put = %v; want ErrShutDown", k.name, immediate, err)
			}
			if err := q.PutNowait(4); err != ErrShutDown {
				t.Errorf("%s immediate=%v: PutNowait = %v; want ErrShutDown", k.name, immediate, err)
			}
			if immediate {
				if _, err := q.Get(); err != ErrShutDown {
					t.Errorf("%s: Get = %v; want ErrShutDown", k.name, err)
				}
				if _, err := q.GetNowait(); err != ErrShutDown {
					t.Errorf("%s: GetNowait = %v; want ErrShutDown", k.name, err)
				}
				if err := q.TaskDone(); err != ErrTooManyTaskDone {
					t.Errorf("%s: TaskDone = %v; want ErrTooManyTaskDone", k.name, err)
				}
				q.Join()
				continue
			}
			var got []int
			for range 2 {
				x, err := q.Get()
				if err != nil {
					t.Fatalf("%s: Get: %v", k.name, err)
				}
				got = append(got, x)
				if err := q.TaskDone(); err != nil {
					t.Fatal(err)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, []int{1, 2}) {
				t.Errorf("%s: got %v; want 1 and 2", k.name, got)
			}
			q.Join()
			if _, err := q.Get(); err != ErrShutDown {
				t.Errorf("%s: Get of the emptied queue = %v; want ErrShutDown", k.name, err)
			}
			if _, err := q.GetNowait(); err != ErrShutDown {
				t.Errorf("%s: GetNowait = %v; want ErrShutDown", k.name, err)
			}
			if _, err := q.GetTimeout(forever); err != ErrShutDown {
				t.Errorf("%s: GetTimeout = %v; want ErrShutDown", k.name, err)
			}
		}
	}
}

// test_shutdown_get and test_shutdown_immediate_get: getters that start
// after the Shutdown of a full queue get its items, then ErrShutDown (all
// of them ErrShutDown if immediate).
func TestPortedShutdownGet(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		q := New[string](2)
		mustPut(t, q, "Y", "D")
		n := 3
		if immediate {
			n = 2
		}
		q.Shutdown(immediate)
		var res []<-chan result[string]
		for range n {
			res = append(res, goGet(q.Get))
		}
		shut := 0
		for _, r := range res {
			switch x := <-r; x.err {
			case nil:
			case ErrShutDown:
				shut++
			default:
				t.Errorf("Get: %v", x.err)
			}
		}
		if want := map[bool]int{false: 1, true: 2}[immediate]; shut != want {
			t.Errorf("immediate=%v: %d of %d getters got ErrShutDown; want %d", immediate, shut, n, want)
		}
	}
}

// test_shutdown_put and test_shutdown_immediate_put.
func TestPortedShutdownPut(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		q := New[string](2)
		mustPut(t, q, "Y", "D")
		q.Shutdown(immediate)
		a := goErr(func() error { return q.Put("E") })
		b := goErr(func() error { return q.Put("W") })
		for _, r := range []<-chan error{a, b} {
			if err := <-r; err != ErrShutDown {
				t.Errorf("immediate=%v: Put = %v; want ErrShutDown", immediate, err)
			}
		}
	}
}

// test_shutdown_join and test_shutdown_immediate_join: joiners return once
// the item is done (not immediate: a getter takes it and marks it done) or
// dropped (immediate).
func TestPortedShutdownJoin(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		q := New[string](0)
		mustPut(t, q, "Y")
		var joins []<-chan error
		for range 2 {
			joins = append(joins, goErr(func() error { return q.JoinContext(t.Context()) }))
		}
		waitWaiters(q, 0, 0, 2)
		var getter <-chan error
		if !immediate {
			getter = goErr(func() error {
				if _, err := q.Get(); err != nil {
					return err
				}
				return q.TaskDone()
			})
		}
		q.Shutdown(immediate)
		if getter != nil {
			if err := <-getter; err != nil {
				t.Errorf("getter: %v", err)
			}
		}
		for _, j := range joins {
			if err := <-j; err != nil {
				t.Errorf("immediate=%v: Join = %v", immediate, err)
			}
		}
	}
}

// test_shutdown_put_join and test_shutdown_immediate_put_join.
func TestPortedShutdownPutJoin(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		q := New[string](2)
		mustPut(t, q, "Y")
		join := goErr(func() error { return q.JoinContext(t.Context()) })
		waitWaiters(q, 0, 0, 1)
		if n := q.UnfinishedTasks(); n != 1 {
			t.Errorf("UnfinishedTasks = %d; want 1", n)
		}
		q.Shutdown(immediate)
		if err := q.Put("E"); err != ErrShutDown {
			t.Errorf("Put after Shutdown = %v; want ErrShutDown", err)
		}
		if immediate {
			if _, err := q.GetNowait(); err != ErrShutDown {
				t.Errorf("GetNowait after an immediate Shutdown = %v; want ErrShutDown", err)
			}
		} else {
			if x, err := q.Get(); x != "Y" || err != nil {
				t.Errorf("Get = %q, %v; want Y", x, err)
			}
			q.TaskDone()
		}
		if err := <-join; err != nil {
			t.Errorf("immediate=%v: Join = %v", immediate, err)
		}
	}
}

func TestPortedShutdownGetTaskDoneJoin(t *testing.T) {
	q := New[string](2)
	mustPut(t, q, "Y", "D")
	if q.UnfinishedTasks() != q.Size() {
		t.Errorf("UnfinishedTasks %d != Size %d", q.UnfinishedTasks(), q.Size())
	}
	var res []<-chan error
	for range 2 {
		res = append(res, goErr(func() error {
			if _, err := q.Get(); err != nil {
				return err
			}
			return q.TaskDone()
		}))
	}
	for range 2 {
		res = append(res, goErr(func() error { return q.JoinContext(t.Context()) }))
	}
	q.Shutdown(false)
	for _, r := range res {
		if err := <-r; err != nil {
			t.Error(err)
		}
	}
}

// test_shutdown_all_methods_in_many_threads and its immediate twin: 4
// writers, 6 readers (and 2 joiners if immediate) meet at a barrier; one
// writer has the queue shut down half-way. Every reader ends with
// ErrShutDown, some writer sees ErrShutDown or finishes, and an immediate
// Shutdown leaves the queue empty.
func TestPortedShutdownAllMethodsInManyThreads(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		const writers, readers, joiners, msgs = 4, 6, 2, 1024 * 64
		perWriter := msgs / writers
		when := perWriter / 2
		q := New[int](0)
		parties := writers + readers
		if immediate {
			parties += joiners
		}
		var start sync.WaitGroup // the barrier
		start.Add(parties)
		shutdownNow := make(chan struct{})
		var once sync.Once
		var readersShut, emptyAfter atomic.Int32
		var wg sync.WaitGroup
		for range writers {
			wg.Go(func() {
				for i := range when / 2 {
					q.Put(i)
				}
				start.Done()
				start.Wait()
				for i := when / 2; i < perWriter; i++ {
					if err := q.Put(i); err != nil {
						return
					}
					if i == when {
						once.Do(func() { close(shutdownNow) })
					}
				}
			})
		}
		for range readers {
			wg.Go(func() {
				if _, err := q.Get(); err == nil {
					q.TaskDone()
				}
				start.Done()
				start.Wait()
				for {
					_, err := q.GetNowait()
					if errors.Is(err, ErrShutDown) {
						readersShut.Add(1)
						return
					}
					if err == nil {
						q.TaskDone()
					}
				}
			})
		}
		if immediate {
			for range joiners {
				wg.Go(func() {
					start.Done()
					start.Wait()
					q.Join()
				})
			}
		}
		wg.Go(func() {
			<-shutdownNow
			q.Shutdown(immediate)
			if q.Size() == 0 {
				emptyAfter.Add(1)
			}
		})
		wg.Wait()
		if n := readersShut.Load(); n != readers {
			t.Errorf("immediate=%v: %d readers saw ErrShutDown; want %d", immediate, n, readers)
		}
		if immediate && (emptyAfter.Load() != 1 || !q.Empty()) {
			t.Errorf("queue not empty after an immediate Shutdown: Size %d", q.Size())
		}
	}
}
