package mp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLockLocal(t *testing.T) {
	l, err := NewLock()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Release(); !errors.Is(err, ErrUnlocked) {
		t.Errorf("Release of an unlocked lock = %v", err)
	}
	if err := l.Acquire(); err != nil {
		t.Fatal(err)
	}
	if err := l.AcquireTimeout(0); !errors.Is(err, ErrTimeout) {
		t.Errorf("AcquireTimeout(0) of a held lock = %v", err)
	}
	if err := l.AcquireTimeout(20 * time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Errorf("AcquireTimeout(20ms) of a held lock = %v", err)
	}
	if err := l.AcquireTimeout(-1); !errors.Is(err, errNegativeTimeout) {
		t.Errorf("AcquireTimeout(-1) = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { errc <- l.AcquireContext(ctx) }()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("AcquireContext cancelled = %v", err)
	}
	go func() { errc <- l.Acquire() }()
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	// Mutual exclusion among goroutines.
	n := 0
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				l.Acquire()
				n++
				l.Release()
			}
		})
	}
	wg.Wait()
	if n != 4000 {
		t.Errorf("n = %d under the lock, want 4000", n)
	}
	l.Close()
	if err := l.Acquire(); !errors.Is(err, ErrLockClosed) {
		t.Errorf("Acquire after Close = %v", err)
	}
}

func TestValueLocal(t *testing.T) {
	type pair struct {
		A  int64
		OK bool
	}
	v, err := NewValue(pair{1, true})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if x, err := v.Load(); err != nil || x != (pair{1, true}) {
		t.Errorf("Load = %v, %v", x, err)
	}
	v.Store(pair{2, false})
	v.Update(func(p pair) pair { p.A *= 10; return p })
	if x, _ := v.Load(); x != (pair{20, false}) {
		t.Errorf("after Store and Update: %v", x)
	}
	v.Lock().Acquire()
	x := v.LoadLocked()
	x.A++
	x.OK = true
	v.StoreLocked(x)
	v.Lock().Release()
	if x, _ := v.Load(); x != (pair{21, true}) {
		t.Errorf("after a locked update: %v", x)
	}
	if _, err := NewValue("strings are not plain"); err == nil || !strings.Contains(err.Error(), "not plain") {
		t.Errorf("NewValue(string) = %v", err)
	}
}

func init() {
	// test.count adds 1 to a shared counter n times.
	Register("test.count", func(a Args) error {
		v, err := Arg[*Value[int64]](a, 0)
		if err != nil {
			return err
		}
		n, err := Arg[int](a, 1)
		if err != nil {
			return err
		}
		for range n {
			if err := v.Update(func(x int64) int64 { return x + 1 }); err != nil {
				return err
			}
		}
		return nil
	})
	// test.lock finds the lock held, says so, waits for it, says so, and
	// releases it.
	Register("test.lock", func(a Args) error {
		l, err := Arg[*Lock](a, 0)
		if err != nil {
			return err
		}
		say, err := Arg[*Queue[string]](a, 1)
		if err != nil {
			return err
		}
		if err := l.AcquireTimeout(20 * time.Millisecond); !errors.Is(err, ErrTimeout) {
			return fmt.Errorf("AcquireTimeout of a lock the parent holds = %v", err)
		}
		if err := say.Put("waiting"); err != nil {
			return err
		}
		if err := l.Acquire(); err != nil {
			return err
		}
		if err := say.Put("acquired"); err != nil {
			return err
		}
		return l.Release()
	})
}

func TestValueAcrossProcesses(t *testing.T) {
	checkNoChildren(t)
	const n = 2000
	v, err := NewValue[int64](0)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	var ps []*Process
	for range 2 {
		p := NewProcess("test.count", v, n)
		mustStart(t, p)
		ps = append(ps, p)
	}
	for range n {
		v.Update(func(x int64) int64 { return x + 1 })
	}
	for _, p := range ps {
		if code := exitCode(t, p); code != 0 {
			t.Fatalf("exit code %d", code)
		}
	}
	if x, _ := v.Load(); x != 3*n {
		t.Errorf("counter = %d, want %d: lost updates", x, 3*n)
	}
	if _, err := (*Value[int32])(nil).bind(&handleSpec{Kind: handleValue, Type: typeName[int64]()}, v.lock.mem); err == nil {
		t.Error("a Value[int64] bound as a Value[int32]")
	}
}

func TestLockAcrossProcesses(t *testing.T) {
	checkNoChildren(t)
	l, err := NewLock()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	say := mustQueue[string](t, 0)
	l.Acquire()
	p := NewProcess("test.lock", l, say)
	mustStart(t, p)
	if s, err := say.GetTimeout(30 * time.Second); s != "waiting" || err != nil {
		t.Fatalf("child says %q, %v", s, err)
	}
	if _, err := say.GetTimeout(50 * time.Millisecond); !errors.Is(err, ErrEmpty) {
		t.Fatalf("child acquired a held lock: %v", err)
	}
	l.Release()
	if s, err := say.GetTimeout(30 * time.Second); s != "acquired" || err != nil {
		t.Fatalf("child says %q, %v", s, err)
	}
	if code := exitCode(t, p); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if err := l.AcquireTimeout(0); err != nil {
		t.Errorf("lock not free after the child released it: %v", err)
	}
}
