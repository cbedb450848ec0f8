//go:build linux

package mp

import (
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// The barrier scenarios of _TestBarrier: N parties, N-1 of them child
// processes and one the test itself (CPython's Bunch), counting with
// shared values (CPython's _DummyList).

const barrierN = 5

type barrierCase struct {
	b, b2 *Barrier
	r     [3]*Value[int64]
	q     *Queue[int]
	conn  *Connection
	lock  *Lock
	n     int // passes
}

func (c *barrierCase) add(i int) error {
	return c.r[i].Update(func(x int64) int64 { return x + 1 })
}

func (c *barrierCase) get(i int) int64 {
	x, _ := c.r[i].Load()
	return x
}

// pollUntil waits in a child until cond holds (Python's busy loop on
// n_waiting), failing after a generous deadline.
func pollUntil(what string, cond func() bool) error {
	deadline := time.Now().Add(long)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not reached in %v", what, long)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	return nil
}

var barrierBodies = map[string]func(c *barrierCase) error{
	"multipass": func(c *barrierCase) error {
		m := int64(c.b.Parties())
		for i := range int64(c.n) {
			c.add(0)
			if got := c.get(1); got != i*m {
				return fmt.Errorf("pass %d: results[1] = %d; want %d", i, got, i*m)
			}
			if _, err := c.b.Wait(); err != nil {
				return err
			}
			c.add(1)
			if got := c.get(0); got != (i+1)*m {
				return fmt.Errorf("pass %d: results[0] = %d; want %d", i, got, (i+1)*m)
			}
			if _, err := c.b.Wait(); err != nil {
				return err
			}
		}
		if n, _ := c.b.NWaiting(); n != 0 {
			return fmt.Errorf("n_waiting %d after the passes", n)
		}
		if broken, _ := c.b.Broken(); broken {
			return errors.New("barrier broken after the passes")
		}
		return nil
	},
	"wait_return": func(c *barrierCase) error {
		i, err := c.b.Wait()
		if err != nil {
			return err
		}
		return c.q.Put(i)
	},
	"action": func(c *barrierCase) error {
		if _, err := c.b.Wait(); err != nil {
			return err
		}
		return check(c.get(0) == 1, "action ran %d times; want once", c.get(0))
	},
	"abort": func(c *barrierCase) error {
		i, err := c.b.Wait()
		if err == nil && i == barrierN/2 {
			return c.b.Abort()
		}
		if err == nil {
			_, err = c.b.Wait()
		}
		switch {
		case err == nil:
			return c.add(0)
		case errors.Is(err, ErrBrokenBarrier):
			return c.add(1)
		}
		return err
	},
	"reset": func(c *barrierCase) error {
		i, err := c.b.Wait()
		if err != nil {
			return err
		}
		if i == barrierN/2 {
			// Wait until the other parties are all in the barrier.
			if err := pollUntil("n_waiting", func() bool { n, _ := c.b.NWaiting(); return n == barrierN-1 }); err != nil {
				return err
			}
			if err := c.b.Reset(); err != nil {
				return err
			}
		} else {
			_, err := c.b.Wait()
			switch {
			case err == nil:
				c.add(0)
			case errors.Is(err, ErrBrokenBarrier):
				c.add(1)
			default:
				return err
			}
		}
		// Pass the barrier again.
		if _, err := c.b.Wait(); err != nil {
			return err
		}
		return c.add(2)
	},
	"abort_and_reset": func(c *barrierCase) error {
		// As "abort": the first Wait too may find the barrier broken, by
		// an Abort while it was still draining.
		i, err := c.b.Wait()
		if err == nil && i == barrierN/2 {
			c.b.Abort()
		} else {
			if err == nil {
				_, err = c.b.Wait()
			}
			switch {
			case err == nil:
				c.add(0)
			case errors.Is(err, ErrBrokenBarrier):
				c.add(1)
			default:
				return err
			}
		}
		// Synchronize and reset the barrier: after everyone has left it,
		// before anyone enters it again.
		j, err := c.b2.Wait()
		if err != nil {
			return err
		}
		if j == barrierN/2 {
			c.b.Reset()
		}
		if _, err := c.b2.Wait(); err != nil {
			return err
		}
		if _, err := c.b.Wait(); err != nil {
			return err
		}
		return c.add(2)
	},
	"timeout": func(c *barrierCase) error {
		i, err := c.b.Wait()
		if err != nil {
			return err
		}
		if i == barrierN/2 {
			// One party is late: here, until the others gave up (CPython
			// sleeps for twice their timeout).
			if err := pollUntil("broken", func() bool { b, _ := c.b.Broken(); return b }); err != nil {
				return err
			}
		}
		if _, err := c.b.WaitTimeout(500 * time.Millisecond); errors.Is(err, ErrBrokenBarrier) {
			return c.add(0)
		} else if err != nil {
			return err
		}
		return errors.New("the second Wait passed")
	},
	"default_timeout": func(c *barrierCase) error {
		i, err := c.b.WaitTimeout(long)
		if err != nil {
			return err
		}
		if i == barrierN/2 {
			if err := pollUntil("broken", func() bool { b, _ := c.b.Broken(); return b }); err != nil {
				return err
			}
		}
		if _, err := c.b.Wait(); errors.Is(err, ErrBrokenBarrier) {
			return c.add(0)
		} else if err != nil {
			return err
		}
		return errors.New("the second Wait passed")
	},
	"thousand": func(c *barrierCase) error {
		for i := range c.n {
			if _, err := c.b.Wait(); err != nil {
				return err
			}
			if err := c.lock.Acquire(); err != nil {
				return err
			}
			err := c.conn.Send(i)
			c.lock.Release()
			if err != nil {
				return err
			}
		}
		return nil
	},
}

func init() {
	Register("test.barrier", func(a Args) error {
		var c barrierCase
		name, err := Arg[string](a, 0)
		if err == nil {
			c.n, err = Arg[int](a, 1)
		}
		if err == nil {
			c.b, err = Arg[*Barrier](a, 2)
		}
		if err == nil {
			c.b2, err = Arg[*Barrier](a, 3)
		}
		for i := range c.r {
			if err == nil {
				c.r[i], err = Arg[*Value[int64]](a, 4+i)
			}
		}
		if err == nil {
			c.q, err = Arg[*Queue[int]](a, 7)
		}
		if err == nil {
			c.conn, err = Arg[*Connection](a, 8)
		}
		if err == nil {
			c.lock, err = Arg[*Lock](a, 9)
		}
		if err != nil {
			return err
		}
		if name == "action" {
			c.b.SetAction(func() error { return c.add(0) })
		}
		return barrierBodies[name](&c)
	})
}

// newBarrierCase makes the shared objects of a scenario; b is the barrier
// under test.
func newBarrierCase(t *testing.T, b *Barrier, passes int) *barrierCase {
	t.Helper()
	c := &barrierCase{b: b, n: passes}
	c.b2 = closeLater(t, must[*Barrier](t)(NewBarrier(barrierN, nil, 0)))
	for i := range c.r {
		c.r[i] = closeLater(t, must[*Value[int64]](t)(NewValue[int64](0)))
	}
	c.q = mustQueue[int](t, 0)
	_, c.conn = mustPipe(t, false)
	c.lock = closeLater(t, must[*Lock](t)(NewLock()))
	t.Cleanup(func() { b.Abort(); b.Close() })
	return c
}

// runBarrier runs the body of scenario name in parties-1 children and in
// the test, and joins the children.
func runBarrier(t *testing.T, name string, c *barrierCase, children int) {
	t.Helper()
	var ps []*Process
	for range children {
		p := NewProcess("test.barrier", name, c.n, c.b, c.b2, c.r[0], c.r[1], c.r[2], c.q, c.conn, c.lock)
		mustStart(t, p)
		ps = append(ps, p)
	}
	if children < barrierN {
		if err := barrierBodies[name](c); err != nil {
			t.Errorf("in the test process: %v", err)
		}
	}
	joinAll(t, ps...)
}

func defaultBarrier(t *testing.T) *Barrier {
	return must[*Barrier](t)(NewBarrier(barrierN, nil, 30*time.Second))
}

func TestPortedBarrier(t *testing.T) {
	for _, passes := range []int{1, 10} { // test_barrier, test_barrier_10
		t.Run(fmt.Sprint(passes), func(t *testing.T) {
			checkNoChildren(t)
			runBarrier(t, "multipass", newBarrierCase(t, defaultBarrier(t), passes), barrierN-1)
		})
	}
}

func TestPortedBarrierWaitReturn(t *testing.T) {
	checkNoChildren(t)
	c := newBarrierCase(t, defaultBarrier(t), 1)
	runBarrier(t, "wait_return", c, barrierN-1)
	seen := map[int]int{}
	for range barrierN {
		seen[must[int](t)(c.q.GetTimeout(long))]++
	}
	for i := range barrierN {
		if seen[i] != 1 {
			t.Errorf("indexes returned: %v; want each of 0..%d once", seen, barrierN-1)
			break
		}
	}
}

func TestPortedBarrierAction(t *testing.T) {
	checkNoChildren(t)
	var c *barrierCase
	b := must[*Barrier](t)(NewBarrier(barrierN, func() error { return c.add(0) }, 0))
	c = newBarrierCase(t, b, 1)
	runBarrier(t, "action", c, barrierN-1)
	if n := c.get(0); n != 1 {
		t.Errorf("action ran %d times; want 1", n)
	}
}

func TestPortedBarrierAbort(t *testing.T) {
	checkNoChildren(t)
	c := newBarrierCase(t, defaultBarrier(t), 1)
	runBarrier(t, "abort", c, barrierN-1)
	if c.get(0) != 0 || c.get(1) != barrierN-1 {
		t.Errorf("passed %d, broken %d; want 0, %d", c.get(0), c.get(1), barrierN-1)
	}
	if broken, _ := c.b.Broken(); !broken {
		t.Error("barrier not broken after Abort")
	}
}

func TestPortedBarrierReset(t *testing.T) {
	checkNoChildren(t)
	c := newBarrierCase(t, defaultBarrier(t), 1)
	runBarrier(t, "reset", c, barrierN-1)
	if c.get(0) != 0 || c.get(1) != barrierN-1 || c.get(2) != barrierN {
		t.Errorf("results %d %d %d; want 0 %d %d", c.get(0), c.get(1), c.get(2), barrierN-1, barrierN)
	}
}

func TestPortedBarrierAbortAndReset(t *testing.T) {
	checkNoChildren(t)
	c := newBarrierCase(t, defaultBarrier(t), 1)
	runBarrier(t, "abort_and_reset", c, barrierN-1)
	if c.get(0) != 0 || c.get(1) != barrierN-1 || c.get(2) != barrierN {
		t.Errorf("results %d %d %d; want 0 %d %d", c.get(0), c.get(1), c.get(2), barrierN-1, barrierN)
	}
}

func TestPortedBarrierTimeout(t *testing.T) {
	checkNoChildren(t)
	c := newBarrierCase(t, defaultBarrier(t), 1)
	runBarrier(t, "timeout", c, barrierN-1)
	if n := c.get(0); n != barrierN {
		t.Errorf("%d parties saw the barrier broken; want %d", n, barrierN)
	}
}

func TestPortedBarrierDefaultTimeout(t *testing.T) {
	checkNoChildren(t)
	c := newBarrierCase(t, must[*Barrier](t)(NewBarrier(barrierN, nil, 500*time.Millisecond)), 1)
	runBarrier(t, "default_timeout", c, barrierN-1)
	if n := c.get(0); n != barrierN {
		t.Errorf("%d parties saw the barrier broken; want %d", n, barrierN)
	}
}

func TestPortedBarrierSingleThread(t *testing.T) {
	b := closeLater(t, must[*Barrier](t)(NewBarrier(1, nil, 0)))
	for range 2 {
		if i, err := b.Wait(); i != 0 || err != nil {
			t.Errorf("Wait = %d, %v", i, err)
		}
	}
}

// _TestBarrier.test_thousand: barrierN children pass the barrier 1000
// times, each sending the pass number through one pipe.
func TestPortedBarrierThousand(t *testing.T) {
	checkNoChildren(t)
	const passes = 1000
	c := newBarrierCase(t, defaultBarrier(t), passes)
	r, w := mustPipe(t, false)
	c.conn = w
	runBarrier(t, "thousand", c, barrierN)
	for i := range passes {
		for range barrierN {
			var got int
			if err := r.Recv(&got); err != nil {
				t.Fatal(err)
			}
			if got != i {
				t.Fatalf("pass %d: received %d", i, got)
			}
		}
	}
}

func TestBarrierErrors(t *testing.T) {
	if _, err := NewBarrier(0, nil, 0); err == nil {
		t.Error("NewBarrier(0) succeeded")
	}
	if _, err := NewBarrier(2, nil, -time.Second); !errors.Is(err, ErrNegativeTimeout) {
		t.Errorf("NewBarrier with a negative timeout = %v", err)
	}
	b := closeLater(t, must[*Barrier](t)(NewBarrier(2, nil, 0)))
	if _, err := b.WaitTimeout(-1); !errors.Is(err, ErrNegativeTimeout) {
		t.Errorf("WaitTimeout(-1) = %v", err)
	}
	if n, _ := b.NWaiting(); n != 0 {
		t.Errorf("NWaiting after a refused wait = %d", n)
	}
	// An action that fails breaks the barrier; its error goes to the last
	// party, the others see ErrBrokenBarrier.
	boom := errors.New("boom")
	a := closeLater(t, must[*Barrier](t)(NewBarrier(2, func() error { return boom }, 0)))
	res := make(chan error)
	go func() { _, err := a.WaitTimeout(long); res <- err }()
	eventually(t, "a party waiting", func() bool { n, _ := a.NWaiting(); return n == 1 })
	if _, err := a.Wait(); !errors.Is(err, boom) {
		t.Errorf("last party's Wait = %v; want the action's error", err)
	}
	if err := <-res; !errors.Is(err, ErrBrokenBarrier) {
		t.Errorf("first party's Wait = %v; want ErrBrokenBarrier", err)
	}
	a.Reset()
	if broken, _ := a.Broken(); broken {
		t.Error("broken after Reset")
	}
	// A handle without the action fails rather than skip it.
	a.SetAction(nil)
	go func() { _, err := a.WaitTimeout(long); res <- err }()
	eventually(t, "a party waiting", func() bool { n, _ := a.NWaiting(); return n == 1 })
	if _, err := a.Wait(); err == nil || !errors.Is(<-res, ErrBrokenBarrier) {
		t.Errorf("Wait without the action in this process = %v", err)
	}
}
