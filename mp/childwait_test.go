//go:build linux

package mp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// A child's getter waits for the broker's answer with the timeout, the
// context and the handle's Close able to end the wait. test.readers blocks
// the getters of several handles at once (more than the four readers that
// an attempt to wait in ppoll instead of the netpoller allowed per process,
// see MULTIPROCESSING.md) and checks that every wait ends as it must: at
// its timeout, at its context's cancellation (with the cause), with its
// item (one per get), and at the handle's Close.
const readerHandles = 7

func init() {
	Register("test.readers", func(a Args) error {
		report, err := Arg[*Queue[string]](a, 0)
		if err != nil {
			return err
		}
		qs := make([]*Queue[int], readerHandles)
		for i := range qs {
			if qs[i], err = Arg[*Queue[int]](a, i+1); err != nil {
				return err
			}
		}
		var mu sync.Mutex
		var errs []error
		each := func(phase string, f func(i int, q *Queue[int]) error) {
			var wg sync.WaitGroup
			for i, q := range qs {
				wg.Go(func() {
					if err := f(i, q); err != nil {
						mu.Lock()
						errs = append(errs, fmt.Errorf("%s, handle %d: %w", phase, i, err))
						mu.Unlock()
					}
				})
			}
			wg.Wait()
		}
		each("timeout", func(i int, q *Queue[int]) error {
			start := time.Now()
			if _, err := q.GetTimeout(50 * time.Millisecond); !errors.Is(err, ErrEmpty) {
				return fmt.Errorf("GetTimeout = %v, want ErrEmpty", err)
			}
			if d := time.Since(start); d < 50*time.Millisecond {
				return fmt.Errorf("GetTimeout(50ms) gave up after %v", d)
			}
			return nil
		})
		cause := errors.New("called off")
		each("context", func(i int, q *Queue[int]) error {
			ctx, cancel := context.WithCancelCause(context.Background())
			t := time.AfterFunc(30*time.Millisecond, func() { cancel(cause) })
			defer t.Stop()
			if _, err := q.GetContext(ctx); !errors.Is(err, cause) {
				return fmt.Errorf("GetContext = %v, want the cause", err)
			}
			return nil
		})
		// The creator puts i into handle i's queue once it reads "ready".
		if err := report.Put("ready"); err != nil {
			return err
		}
		each("item", func(i int, q *Queue[int]) error {
			v, err := q.GetTimeout(time.Minute)
			if err != nil || v != i {
				return fmt.Errorf("GetTimeout = %v, %v, want %d", v, err, i)
			}
			if v, err := q.GetNowait(); !errors.Is(err, ErrEmpty) {
				return fmt.Errorf("GetNowait after the one item = %v, %v, want ErrEmpty", v, err)
			}
			return nil
		})
		each("close", func(i int, q *Queue[int]) error {
			t := time.AfterFunc(30*time.Millisecond, func() { q.Close() })
			defer t.Stop()
			if _, err := q.Get(); !errors.Is(err, ErrQueueClosed) {
				return fmt.Errorf("Get while the handle closes = %v, want ErrQueueClosed", err)
			}
			return nil
		})
		if err := errors.Join(errs...); err != nil {
			report.Put(err.Error())
		} else {
			report.Put("ok")
		}
		return report.Close()
	})
}

func TestBlockedReadersInChild(t *testing.T) {
	checkNoChildren(t)
	report := mustQueue[string](t, 0)
	args := []any{report}
	qs := make([]*Queue[int], readerHandles)
	for i := range qs {
		qs[i] = mustQueue[int](t, 0)
		args = append(args, qs[i])
	}
	p := NewProcess("test.readers", args...)
	mustStart(t, p)
	if s, err := report.GetTimeout(time.Minute); s != "ready" || err != nil {
		t.Fatalf("first report = %q, %v", s, err)
	}
	for i, q := range qs {
		if err := q.Put(i); err != nil {
			t.Fatal(err)
		}
	}
	if s, err := report.GetTimeout(time.Minute); s != "ok" || err != nil {
		t.Errorf("child: %q, %v", s, err)
	}
	if code := exitCode(t, p); code != 0 {
		t.Errorf("exit code %d", code)
	}
}
