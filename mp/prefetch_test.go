//go:build linux

package mp

import (
	"context"
	"testing"
	"time"
)

func init() {
	// test.sentinel takes items until a negative one, reports how many it took and
	// then waits at the gate, holding (with a prefetch of 1) no item another
	// consumer could want.
	Register("test.sentinel", func(a Args) error {
		jobs, err := Arg[*Queue[int64]](a, 0)
		if err != nil {
			return err
		}
		counts, err := Arg[*Queue[int]](a, 1)
		if err != nil {
			return err
		}
		gate, err := Arg[*Lock](a, 2)
		if err != nil {
			return err
		}
		prefetch, err := Arg[int](a, 3)
		if err != nil {
			return err
		}
		if prefetch > 0 {
			jobs.SetPrefetch(prefetch)
		}
		n := 0
		for {
			x, err := jobs.Get()
			if err != nil {
				return err
			}
			if x < 0 {
				break
			}
			n++
		}
		if err := counts.Put(n); err != nil {
			return err
		}
		if err := gate.Acquire(); err != nil {
			return err
		}
		return gate.Release()
	})
}

// TestSentinelPerConsumer is the one-sentinel-per-worker pattern of Python's
// multiprocessing: fast items, then one sentinel per consumer, each consumer stopping
// at its sentinel. With SetPrefetch(1) every consumer gets exactly one sentinel, as
// with CPython's one-item-per-get pipe; a consumer that fetched ahead could hold two
// while another waited for ever.
func TestSentinelPerConsumer(t *testing.T) {
	const consumers, items = 3, 20000
	for round := range 3 {
		jobs, err := NewQueue[int64](0)
		if err != nil {
			t.Fatal(err)
		}
		counts, err := NewQueue[int](0)
		if err != nil {
			t.Fatal(err)
		}
		gate, err := NewLock()
		if err != nil {
			t.Fatal(err)
		}
		if err := gate.Acquire(); err != nil {
			t.Fatal(err)
		}
		var procs []*Process
		for range consumers {
			p := NewProcess("test.sentinel", jobs, counts, gate, 1)
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
			procs = append(procs, p)
		}
		for i := range int64(items) {
			if err := jobs.Put(i); err != nil {
				t.Fatal(err)
			}
		}
		for range consumers {
			if err := jobs.Put(-1); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		wctx, wcancel := WithProcesses(ctx, procs...)
		total := 0
		for k := range consumers {
			n, err := counts.GetContext(wctx)
			if err != nil {
				t.Fatalf("round %d: consumer %d of %d never reached its sentinel: %v", round, k+1, consumers, err)
			}
			total += n
		}
		wcancel()
		cancel()
		if total != items {
			t.Errorf("round %d: consumers took %d items, want %d", round, total, items)
		}
		if err := gate.Release(); err != nil {
			t.Fatal(err)
		}
		for _, p := range procs {
			if err := p.JoinTimeout(10 * time.Second); err != nil {
				t.Fatal(err)
			}
			_ = p.Close()
		}
		jobs.Close()
		counts.Close()
		gate.Close()
	}
	checkNoChildren(t)
}
