//go:build linux

package mp

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// Ports of _TestLock.test_lock and test_lock_locked_2processes,
// _TestValue.test_getobj_getlock and _TestArray.test_getobj_getlock_obj
// (the given-lock half), and _TestProcess.test_many_processes.

func init() {
	// test.lock.hold is _test_lock_locked_2processes: acquire the lock of
	// arg 0, store Locked() in the value of arg 2, set the event of arg 1,
	// exit holding the lock.
	Register("test.lock.hold", func(a Args) error {
		lk, err := Arg[*Lock](a, 0)
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
		if err := lk.Acquire(); err != nil {
			return err
		}
		locked, err := lk.Locked()
		if err != nil {
			return err
		}
		if err := res.Store(locked); err != nil {
			return err
		}
		return ev.Set()
	})
	// test.guarded finds the value of arg 0 and the array of arg 1
	// guarded by a lock someone else holds (TryAcquire of their Lock()
	// fails), sets the event of arg 2, then adds 1 to both under their
	// lock (waiting for it).
	Register("test.guarded", func(a Args) error {
		v, err := Arg[*Value[int64]](a, 0)
		if err != nil {
			return err
		}
		arr, err := Arg[*Array[int32]](a, 1)
		if err != nil {
			return err
		}
		ev, err := Arg[*Event](a, 2)
		if err != nil {
			return err
		}
		for _, lk := range []*Lock{v.Lock(), arr.Lock()} {
			ok, err := lk.TryAcquire()
			if err != nil {
				return err
			}
			if err := check(!ok, "TryAcquire of the given lock succeeded while the parent holds it"); err != nil {
				return err
			}
		}
		if err := ev.Set(); err != nil {
			return err
		}
		if err := v.Update(func(x int64) int64 { return x + 1 }); err != nil {
			return err
		}
		return arr.Update(func(xs []int32) {
			for i := range xs {
				xs[i]++
			}
		})
	})
}

func TestPortedLock(t *testing.T) {
	lk := closeLater(t, must[*Lock](t)(NewLock()))
	if err := lk.Acquire(); err != nil {
		t.Fatal(err)
	}
	if locked, err := lk.Locked(); !locked || err != nil {
		t.Errorf("Locked after Acquire = %v, %v; want true", locked, err)
	}
	if ok, err := lk.TryAcquire(); ok || err != nil {
		t.Errorf("TryAcquire of a held lock = %v, %v; want false", ok, err)
	}
	if err := lk.Release(); err != nil {
		t.Fatal(err)
	}
	if locked, err := lk.Locked(); locked || err != nil {
		t.Errorf("Locked after Release = %v, %v; want false", locked, err)
	}
	if err := lk.Release(); !errors.Is(err, ErrUnlocked) {
		t.Errorf("Release of an unlocked lock = %v; want ErrUnlocked", err)
	}
	lk.Close()
	if _, err := lk.Locked(); !errors.Is(err, ErrLockClosed) {
		t.Errorf("Locked of a closed handle = %v; want ErrLockClosed", err)
	}
}

// _TestLock.test_lock_locked_2processes: the child exits holding the
// lock, which stays held.
func TestPortedLockLocked2Processes(t *testing.T) {
	checkNoChildren(t)
	lk := closeLater(t, must[*Lock](t)(NewLock()))
	ev := closeLater(t, must[*Event](t)(NewEvent()))
	res := closeLater(t, must[*Value[bool]](t)(NewValue(false)))
	p := NewProcess("test.lock.hold", lk, ev, res)
	mustStart(t, p)
	if ok, err := ev.WaitTimeout(long); !ok || err != nil {
		t.Fatalf("event: %v, %v", ok, err)
	}
	if locked, _ := lk.Locked(); !locked {
		t.Error("not Locked while the child holds it")
	}
	if v, _ := res.Load(); !v {
		t.Error("the child saw its lock unlocked")
	}
	joinAll(t, p)
	if locked, _ := lk.Locked(); !locked {
		t.Error("not Locked after the child exited holding it")
	}
}

// _TestValue.test_getobj_getlock and _TestArray.test_getobj_getlock_obj,
// the lock=lk half, across processes: a value and an array given one lock
// are guarded by it in the child too.
func TestPortedValueArrayGivenLock(t *testing.T) {
	checkNoChildren(t)
	lk := closeLater(t, must[*Lock](t)(NewLock()))
	v := closeLater(t, must[*Value[int64]](t)(NewValueWithLock(int64(5), lk)))
	arr := closeLater(t, must[*Array[int32]](t)(NewArrayWithLock([]int32{1, 2, 3}, lk)))
	own := closeLater(t, must[*Value[int64]](t)(NewValue(int64(5))))
	if got := v.Lock().String(); got != lk.String() {
		t.Errorf("Value's Lock() = %s; want the given %s", got, lk)
	}
	if got := arr.Lock().String(); got != lk.String() {
		t.Errorf("Array's Lock() = %s; want the given %s", got, lk)
	}
	if own.Lock().String() == lk.String() {
		t.Errorf("a Value of its own is guarded by the given lock %s", lk)
	}
	if _, err := NewValueWithLock(int64(1), nil); err == nil {
		t.Error("NewValueWithLock(nil lock) succeeded")
	}

	if err := lk.Acquire(); err != nil {
		t.Fatal(err)
	}
	if ok, _ := v.Lock().TryAcquire(); ok {
		t.Error("the Value's lock was free while the given lock is held")
	}
	ev := closeLater(t, must[*Event](t)(NewEvent()))
	p := NewProcess("test.guarded", v, arr, ev)
	mustStart(t, p)
	if ok, err := ev.WaitTimeout(long); !ok || err != nil {
		t.Fatalf("event: %v, %v (child: %v)", ok, err, p.Err())
	}
	if x := v.LoadLocked(); x != 5 { // we hold its lock
		t.Errorf("value changed to %d while its lock is held", x)
	}
	if err := lk.Release(); err != nil {
		t.Fatal(err)
	}
	joinAll(t, p)
	if x, _ := v.Load(); x != 6 {
		t.Errorf("value = %d; want 6", x)
	}
	if xs, _ := arr.LoadSlice(0, 3); xs[0] != 2 || xs[1] != 3 || xs[2] != 4 {
		t.Errorf("array = %v; want [2 3 4]", xs)
	}
	lk.Close() // the value keeps its own handle of the lock
	if err := v.Store(7); err != nil {
		t.Errorf("Store after the given lock's handle was closed: %v", err)
	}
}

// _TestProcess.test_many_processes: start many children, let some end by
// themselves, terminate and kill the others, join all, check every exit
// code. CPython starts 5 under spawn (100 under fork); a child here is a
// re-executed binary like spawn's, and 100 of them take a few seconds.
func TestPortedManyProcesses(t *testing.T) {
	checkNoChildren(t)
	n := 100
	if testing.Short() {
		n = 10
	}
	ev := closeLater(t, must[*Event](t)(NewEvent()))
	ret := make([]*Process, 0, n)
	blocked := make([]*Process, 0, n)
	for i := range n {
		var p *Process
		if i%3 == 0 {
			p = NewProcess("test.return")
			ret = append(ret, p)
		} else {
			p = NewProcess("test.event.block", ev)
			blocked = append(blocked, p)
		}
		mustStart(t, p)
	}
	want := map[*Process]int{}
	for _, p := range ret {
		want[p] = 0
	}
	for i, p := range blocked {
		stop, code := p.Terminate, -int(unix.SIGTERM)
		if i%2 == 1 {
			stop, code = p.Kill, -int(unix.SIGKILL)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		want[p] = code
	}
	for p, code := range want {
		if got := exitCode(t, p); got != code {
			t.Errorf("%s: exit code %d; want %d", p.Name(), got, code)
		}
	}
	if len(ActiveChildren()) != 0 {
		t.Errorf("ActiveChildren after joining all: %d", len(ActiveChildren()))
	}
}
