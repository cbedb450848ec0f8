//go:build linux

package mp

import (
	"context"
	"errors"
	"testing"
	"time"
)

func init() {
	// test.rlock.hold acquires the lock of arg 0 twice, stores whether it
	// is locked into the value of arg 2, sets the event of arg 1 and exits
	// holding the lock.
	Register("test.rlock.hold", func(a Args) error {
		r, err := Arg[*RLock](a, 0)
		if err != nil {
			return err
		}
		ev, err := Arg[*Event](a, 1)
		if err != nil {
			return err
		}
		res, err := Arg[*Value[bool]](a, 2)
		if err != nil {
			return err
		}
		if err := r.Acquire(); err != nil {
			return err
		}
		if err := r.Acquire(); err != nil {
			return err
		}
		locked, err := r.Locked()
		if err != nil {
			return err
		}
		if err := res.Store(locked); err != nil {
			return err
		}
		return ev.Set()
	})
}

// _TestLock.test_rlock.
func TestPortedRLock(t *testing.T) {
	r := closeLater(t, must[*RLock](t)(NewRLock()))
	for i := range 3 {
		if err := r.Acquire(); err != nil {
			t.Fatalf("acquire %d: %v", i, err)
		}
	}
	if locked, _ := r.Locked(); !locked {
		t.Error("not Locked after Acquire")
	}
	if mine, n, _ := r.IsMine(); !mine || n != 3 {
		t.Errorf("IsMine = %v, %d; want true, 3", mine, n)
	}
	for i := range 3 {
		if locked, _ := r.Locked(); !locked {
			t.Errorf("not Locked before release %d", i)
		}
		if err := r.Release(); err != nil {
			t.Fatalf("release %d: %v", i, err)
		}
	}
	if locked, _ := r.Locked(); locked {
		t.Error("Locked after the last Release")
	}
	if err := r.Release(); !errors.Is(err, ErrNotOwner) {
		t.Errorf("Release of a free RLock = %v; want ErrNotOwner", err)
	}
}

// _TestLock.test_rlock_locked_2processes; the child exits holding the
// lock, which stays held and is not ours.
func TestPortedRLockLocked2Processes(t *testing.T) {
	checkNoChildren(t)
	r := closeLater(t, must[*RLock](t)(NewRLock()))
	ev := closeLater(t, must[*Event](t)(NewEvent()))
	res := closeLater(t, must[*Value[bool]](t)(NewValue(false)))
	p := NewProcess("test.rlock.hold", r, ev, res)
	mustStart(t, p)
	if ok, err := ev.WaitTimeout(long); !ok || err != nil {
		t.Fatalf("event: %v, %v", ok, err)
	}
	if locked, _ := r.Locked(); !locked {
		t.Error("not Locked while the child holds it")
	}
	if v, _ := res.Load(); !v {
		t.Error("the child saw its lock unlocked")
	}
	joinAll(t, p)
	if ok, err := r.TryAcquire(); ok || err != nil {
		t.Errorf("TryAcquire of a lock a dead child held = %v, %v", ok, err)
	}
	if err := r.Release(); !errors.Is(err, ErrNotOwner) {
		t.Errorf("Release of another process's RLock = %v; want ErrNotOwner", err)
	}
}

// Handles are owners: two handles in one process exclude each other, and
// a blocked handle gets the lock once the other released it fully.
func TestRLockHandles(t *testing.T) {
	r := closeLater(t, must[*RLock](t)(NewRLock()))
	h := closeLater(t, must[*RLock](t)(r.NewHandle()))
	r.Acquire()
	r.Acquire()
	if err := h.AcquireTimeout(0); !errors.Is(err, ErrTimeout) {
		t.Errorf("AcquireTimeout(0) by another handle = %v; want ErrTimeout", err)
	}
	if err := h.AcquireTimeout(20 * time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Errorf("AcquireTimeout(20ms) by another handle = %v; want ErrTimeout", err)
	}
	if err := h.Release(); !errors.Is(err, ErrNotOwner) {
		t.Errorf("Release by another handle = %v; want ErrNotOwner", err)
	}
	if err := h.AcquireTimeout(-1); !errors.Is(err, ErrNegativeTimeout) {
		t.Errorf("AcquireTimeout(-1) = %v; want ErrNegativeTimeout", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	res := make(chan error)
	go func() { res <- h.AcquireContext(ctx) }()
	cancel()
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Errorf("AcquireContext cancelled = %v", err)
	}
	go func() { res <- h.Acquire() }()
	r.Release()
	if mine, n, _ := r.IsMine(); !mine || n != 1 {
		t.Errorf("after one of two releases: IsMine = %v, %d; want true, 1", mine, n)
	}
	r.Release()
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if mine, _, _ := r.IsMine(); mine {
		t.Error("the first handle still owns the lock")
	}
	if mine, n, _ := h.IsMine(); !mine || n != 1 {
		t.Errorf("second handle: IsMine = %v, %d; want true, 1", mine, n)
	}
	// Mutual exclusion of goroutines, each with its own handle.
	h.Release()
	counter := 0
	done := make(chan error)
	for range 4 {
		go func() {
			mine, err := r.NewHandle()
			if err != nil {
				done <- err
				return
			}
			defer mine.Close()
			for range 500 {
				mine.Acquire()
				mine.Acquire()
				counter++
				mine.Release()
				mine.Release()
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if counter != 2000 {
		t.Errorf("counter = %d under the lock; want 2000", counter)
	}
	if _, err := Arg[*Lock](Args{&args{name: "t", boot: []argSpec{{Handle: &handleSpec{Kind: handleLock, Type: kindRLock}}}, objs: []any{r.p.mem}, bound: []any{nil}}}, 0); err == nil {
		t.Error("an RLock bound as a Lock")
	}
}
