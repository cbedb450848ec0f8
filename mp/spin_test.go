//go:build linux

package mp

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// Tests of polling before a wait (spin.go). With a budget far longer than
// any of the tests' guards, a getter that kept polling past its deadline,
// its context, a local put or Close would fail them: they check that every
// way a wait ends is seen between two polls, not that polling is fast.

const longSpin = time.Minute

// withSpin sets this process's spinBudget for the test.
func withSpin(t *testing.T, d time.Duration) {
	old := spinBudget
	spinBudget = d
	t.Cleanup(func() { spinBudget = old })
}

func TestSpinGate(t *testing.T) {
	withSpin(t, 50*time.Microsecond)
	var g spinGate
	now := time.Now()
	if until := g.start(now, time.Time{}); !until.Equal(now.Add(spinBudget)) {
		t.Fatalf("a first wait polls until %v, want now+budget", until.Sub(now))
	}
	if until := g.start(now, now.Add(10*time.Microsecond)); !until.Equal(now.Add(10 * time.Microsecond)) {
		t.Fatalf("a wait with an earlier deadline polls until %v, want the deadline", until.Sub(now))
	}
	g.done(now.Add(-time.Millisecond)) // a wait that took a millisecond
	if until := g.start(time.Now(), time.Time{}); !until.IsZero() {
		t.Fatal("a wait after a long one polls")
	}
	g.done(time.Now()) // a short wait opens the gate again
	if until := g.start(time.Now(), time.Time{}); until.IsZero() {
		t.Fatal("a wait after a short one does not poll")
	}
	spinBudget = 0
	if until := g.start(time.Now(), time.Time{}); !until.IsZero() {
		t.Fatal("a zero budget polls")
	}
}

// Every way a lent-socket wait ends is seen while the getter polls.
func TestSpinLentGetterStops(t *testing.T) {
	checkNoChildren(t)
	withSpin(t, longSpin)
	guard := func(what string, res <-chan error, want error, unblock func()) {
		t.Helper()
		select {
		case err := <-res:
			if !errors.Is(err, want) {
				t.Fatalf("%s: Get = %v, want %v", what, err, want)
			}
		case <-time.After(20 * time.Second): // not a speed check: it would poll for a minute
			unblock()
			<-res
			t.Fatalf("%s: the polling getter did not stop", what)
		}
	}
	in, out, p := startEcho(t)
	unblock := func() { in.Put(1) }

	res := lentReader(t, in, out, func() error { _, err := out.GetTimeout(50 * time.Millisecond); return err })
	guard("a timeout", res, ErrEmpty, unblock)

	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stop")
	res = lentReader(t, in, out, func() error { _, err := out.GetContext(ctx); return err })
	cancel(stop)
	guard("a context", res, stop, unblock)

	res = lentReader(t, in, out, func() error {
		v, err := out.Get()
		if err == nil && v != 42 {
			err = fmt.Errorf("got %d, want the local put's 42", v)
		}
		return err
	})
	if err := out.Put(42); err != nil {
		t.Fatal(err)
	}
	guard("a local put", res, nil, unblock)

	res = lentReader(t, in, out, func() error { _, err := out.Get(); return err })
	if err := out.Shutdown(false); err != nil {
		t.Fatal(err)
	}
	guard("a shutdown", res, ErrShutDown, unblock)
	stopEcho(t, in, p)

	in, out, p = startEcho(t)
	res = lentReader(t, in, out, func() error { _, err := out.Get(); return err })
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	guard("Close", res, ErrQueueClosed, func() { in.Put(1) })
	stopEcho(t, in, p)
}

func init() {
	// The child's half of TestSpinChildGetterStops: its own getters poll
	// for a minute unless a wait's end stops them.
	Register("test.spin.stops", func(a Args) error {
		q, err := Arg[*Queue[int64]](a, 0)
		if err != nil {
			return err
		}
		ready, err := Arg[*Queue[int64]](a, 1)
		if err != nil {
			return err
		}
		spinBudget = longSpin
		check := func(what string, want error, get func() error) error {
			t0 := time.Now()
			err := get()
			if !errors.Is(err, want) {
				return fmt.Errorf("%s: Get = %v, want %v", what, err, want)
			}
			if d := time.Since(t0); d > 20*time.Second { // not a speed check: polling would last a minute
				return fmt.Errorf("%s: the polling getter took %v to stop", what, d)
			}
			return nil
		}
		if err := check("GetNowait", ErrEmpty, func() error { _, err := q.GetNowait(); return err }); err != nil {
			return err
		}
		if err := check("a timeout", ErrEmpty, func() error { _, err := q.GetTimeout(50 * time.Millisecond); return err }); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := check("a context", context.DeadlineExceeded, func() error { _, err := q.GetContext(ctx); return err }); err != nil {
			return err
		}
		// An item the parent puts while this getter polls.
		if err := ready.Put(1); err != nil {
			return err
		}
		if err := check("an item", nil, func() error {
			v, err := q.Get()
			if err == nil && v != 7 {
				err = fmt.Errorf("got %d, want 7", v)
			}
			return err
		}); err != nil {
			return err
		}
		time.AfterFunc(50*time.Millisecond, func() { q.Close() })
		return check("Close", ErrQueueClosed, func() error { _, err := q.Get(); return err })
	})
}

// Every way a child's wait ends is seen while its getter polls.
func TestSpinChildGetterStops(t *testing.T) {
	checkNoChildren(t)
	q, ready := mustQueue[int64](t, 0), mustQueue[int64](t, 0)
	p := NewProcess("test.spin.stops", q, ready)
	mustStart(t, p)
	if _, err := ready.GetTimeout(time.Minute); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the child is polling by now, or blocked: both must see the item
	if err := q.Put(7); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, p); code != 0 {
		t.Fatalf("child exit code %d (its stderr says why)", code)
	}
}
