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
