//go:build linux

package mp

import (
	"context"
	"errors"
	"testing"
	"time"
)

func init() {
	// test.event.set sets the event of arg 0.
	Register("test.event.set", func(a Args) error {
		e, err := Arg[*Event](a, 0)
		if err != nil {
			return err
		}
		return e.Set()
	})
	// test.event.wait waits for the event of arg 0, then sets arg 1.
	Register("test.event.wait", func(a Args) error {
		e, err := Arg[*Event](a, 0)
		if err != nil {
			return err
		}
		done, err := Arg[*Event](a, 1)
		if err != nil {
			return err
		}
		ok, err := e.WaitTimeout(long)
		if err != nil {
			return err
		}
		if err := check(ok, "WaitTimeout = false; want true"); err != nil {
			return err
		}
		return done.Set()
	})
}

// _TestEvent.test_event.
func TestPortedEvent(t *testing.T) {
	checkNoChildren(t)
	e := closeLater(t, must[*Event](t)(NewEvent()))
	if set, err := e.IsSet(); set || err != nil {
		t.Errorf("IsSet of a new event = %v, %v", set, err)
	}
	if ok, err := e.WaitTimeout(0); ok || err != nil {
		t.Errorf("WaitTimeout(0) = %v, %v; want false", ok, err)
	}
	if ok, err := e.WaitTimeout(20 * time.Millisecond); ok || err != nil {
		t.Errorf("WaitTimeout(20ms) = %v, %v; want false", ok, err)
	}
	e.Set()
	if set, _ := e.IsSet(); !set {
		t.Error("not IsSet after Set")
	}
	if err := e.Wait(); err != nil {
		t.Error(err)
	}
	if ok, err := e.WaitTimeout(20 * time.Millisecond); !ok || err != nil {
		t.Errorf("WaitTimeout of a set event = %v, %v; want true", ok, err)
	}
	e.Clear()
	if set, _ := e.IsSet(); set {
		t.Error("IsSet after Clear")
	}
	p := NewProcess("test.event.set", e)
	mustStart(t, p)
	if ok, err := e.WaitTimeout(long); !ok || err != nil {
		t.Errorf("WaitTimeout for the child's Set = %v, %v", ok, err)
	}
	joinAll(t, p)
}

// A child waits; the parent's Set wakes it.
func TestEventWakesChild(t *testing.T) {
	checkNoChildren(t)
	e := closeLater(t, must[*Event](t)(NewEvent()))
	done := closeLater(t, must[*Event](t)(NewEvent()))
	var ps []*Process
	for range 3 {
		p := NewProcess("test.event.wait", e, done)
		mustStart(t, p)
		ps = append(ps, p)
	}
	e.Set()
	joinAll(t, ps...)
	if set, _ := done.IsSet(); !set {
		t.Error("no child set done")
	}
}

func TestEventErrors(t *testing.T) {
	e := must[*Event](t)(NewEvent())
	if _, err := e.WaitTimeout(-time.Second); !errors.Is(err, ErrNegativeTimeout) {
		t.Errorf("WaitTimeout(-1s) = %v; want ErrNegativeTimeout", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error)
	go func() { res <- e.WaitContext(ctx) }()
	cancel()
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Errorf("WaitContext cancelled = %v", err)
	}
	if set, _ := e.IsSet(); set {
		t.Error("a cancelled wait changed the flag")
	}
	// A waiter is woken by Close and fails.
	go func() { res <- e.Wait() }()
	e.Close()
	if err := <-res; !errors.Is(err, ErrClosed) {
		t.Errorf("Wait across Close = %v; want ErrClosed", err)
	}
	if err := e.Set(); !errors.Is(err, ErrClosed) {
		t.Errorf("Set after Close = %v", err)
	}
}

// A set-then-clear wakes a waiter that was waiting (threading.Event.wait
// returns True once notified).
func TestEventSetClearWakesWaiter(t *testing.T) {
	e := closeLater(t, must[*Event](t)(NewEvent()))
	res := make(chan bool)
	go func() {
		ok, _ := e.WaitTimeout(long)
		res <- ok
	}()
	// The waiter may start after the Clear: then it waits for the next Set.
	e.Set()
	e.Clear()
	e.Set()
	if !<-res {
		t.Error("waiter not woken")
	}
}
