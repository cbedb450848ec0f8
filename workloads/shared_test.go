package workloads

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"gilbench/interp"
	"gilbench/vocab"
)

func TestVariant(t *testing.T) {
	v := MakeVariant("cs", "100", "batch", "1")
	if got := v.Name(); got != "cs=100/batch=1" {
		t.Errorf("Name = %q", got)
	}
	p := v.Params(Params{"addr": "x", "cs": "7"})
	if len(p) != 3 || p["cs"] != "100" || p["batch"] != "1" || p["addr"] != "x" {
		t.Errorf("Params = %v", p)
	}
	if Variant(nil).Name() != "" {
		t.Error("the empty variant has a name")
	}
	for _, w := range All() {
		seen := map[string]bool{}
		for _, v := range w.Sweep {
			if seen[v.Name()] {
				t.Errorf("%s: variant %s twice", w.Name, v.Name())
			}
			seen[v.Name()] = true
			for _, kv := range v {
				if kv.Key == "" || strings.ContainsAny(kv.Key+kv.Value, "/= \t") || slices.Contains(vocab.Reserved, kv.Key) {
					t.Errorf("%s: bad variant part %q=%q", w.Name, kv.Key, kv.Value)
				}
			}
			if _, _, err := w.Program(v.Params(nil), nil); err != nil {
				t.Errorf("%s %s: %v", w.Name, v.Name(), err)
			}
		}
	}
}

func TestSettings(t *testing.T) {
	for _, bad := range []Params{{"cs": "-1"}, {"batch": "0"}, {"cs": "x"}, {"update": "atomic"}} {
		if _, err := settingsOf(bad); err == nil {
			t.Errorf("settings %v accepted", bad)
		}
		if _, _, err := mustLookup(t, "counter").Program(bad, nil); err == nil {
			t.Errorf("a program with settings %v", bad)
		}
	}
	if _, err := counterTwin(context.Background(), Params{}, 0, 1); err == nil {
		t.Error("the counter's twin ran without shared state")
	}
}

func mustLookup(t *testing.T, name string) *Workload {
	t.Helper()
	w, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// sharedBatch runs one quick batch of w at variant v on workers threads of one
// interpreter without a lock (every core at once) or, with twin, on as many goroutines
// of the Go twin, and returns the batch's checksum and what Check says.
func sharedBatch(t *testing.T, w *Workload, v Variant, workers int, twin bool) (int64, map[string]float64, error) {
	t.Helper()
	p := v.Params(nil)
	prog, entry, err := w.Program(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := interp.New(prog, nil)
	threads := make([]*interp.Thread, workers)
	for k := range threads {
		threads[k] = in.NewThread()
	}
	size, tasks := w.QuickSize, w.QuickTasks
	ctx := WithShared(context.Background(), in.Shared())
	sum, err := runBatch(workers, tasks, func(k int, i int64) (int64, error) {
		if twin {
			return w.Twin(ctx, p, i, size)
		}
		v, err := threads[k].Call(entry, interp.Value(i), interp.Value(size))
		return int64(v), err
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.Check == nil {
		return sum, nil, nil
	}
	m, cerr := w.Check(in.Shared(), p, tasks, size)
	return sum, m, cerr
}

// TestCounterIsExact: with the lock, no update is lost at any setting, interpreted or
// in Go, with four workers on every core.
func TestCounterIsExact(t *testing.T) {
	w := mustLookup(t, "counter")
	for _, v := range w.Sweep {
		for _, twin := range []bool{false, true} {
			sum, _, err := sharedBatch(t, w, v, 4, twin)
			if err != nil {
				t.Errorf("%s twin=%v: %v", v.Name(), twin, err)
			}
			if want := w.Checksum(w.QuickTasks, w.QuickSize); sum != want {
				t.Errorf("%s twin=%v: checksum %d; want %d", v.Name(), twin, sum, want)
			}
		}
	}
}

// TestCheckCounterFailsOnLostUpdates: a counter short of its total fails the batch.
func TestCheckCounterFailsOnLostUpdates(t *testing.T) {
	w := mustLookup(t, "counter")
	prog, _, err := w.Program(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := interp.New(prog, nil).Shared()
	k, _ := s.Slot("counter")
	s.Globals().Store(k, 99)
	if _, err := w.Check(s, nil, 10, 10); err == nil || !strings.Contains(err.Error(), "1 updates lost") {
		t.Errorf("Check of a counter one short: %v", err)
	}
}

// TestLostUpdatesAreCounted: without the lock the checksum still holds and Check counts
// the missing increments (how many depends on the machine: it is logged, not asserted).
// One thread loses nothing.
func TestLostUpdatesAreCounted(t *testing.T) {
	w := mustLookup(t, "lost-update")
	for _, v := range w.Sweep {
		for _, c := range []struct {
			workers int
			twin    bool
		}{{1, false}, {1, true}, {4, false}, {4, true}} {
			sum, m, err := sharedBatch(t, w, v, c.workers, c.twin)
			if err != nil {
				t.Fatal(err)
			}
			if want := w.Checksum(w.QuickTasks, w.QuickSize); sum != want {
				t.Errorf("checksum %d; want %d", sum, want)
			}
			lost, ok := m[vocab.LostUpdates.Name]
			if !ok || lost < 0 || c.workers == 1 && lost != 0 {
				t.Errorf("%s workers=%d twin=%v: %v", v.Name(), c.workers, c.twin, m)
			}
			t.Logf("%s workers=%d twin=%v: %.0f of %d updates lost", v.Name(), c.workers, c.twin, lost, w.QuickTasks*int(w.QuickSize))
		}
	}
}

// TestCounterUnderGIL: threads of one interpreter under the new GIL, the lock and the
// GIL both contended, still count exactly, and a blocked acquire shows in the lock's
// statistics.
func TestCounterUnderGIL(t *testing.T) {
	w := mustLookup(t, "counter")
	v := MakeVariant("cs", "1000", "batch", "1")
	p := v.Params(nil)
	prog, entry, err := w.Program(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := interp.New(prog, interp.NewGIL(100*time.Microsecond))
	threads := []*interp.Thread{in.NewThread(), in.NewThread(), in.NewThread()}
	for _, th := range threads {
		th.Attach()
		th.Detach()
	}
	sum, err := runBatch(len(threads), w.QuickTasks, func(k int, i int64) (int64, error) {
		th := threads[k]
		th.Attach()
		defer th.Detach()
		v, err := th.Call(entry, interp.Value(i), interp.Value(w.QuickSize))
		return int64(v), err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := w.Checksum(w.QuickTasks, w.QuickSize); sum != want {
		t.Errorf("checksum %d; want %d", sum, want)
	}
	if _, err := w.Check(in.Shared(), p, w.QuickTasks, w.QuickSize); err != nil {
		t.Error(err)
	}
	st := in.Shared().ObjectStats()
	if st.Acquisitions != int64(w.QuickTasks)*w.QuickSize {
		t.Errorf("%d acquisitions; want one per increment", st.Acquisitions)
	}
	t.Logf("lock statistics under the GIL: %+v", st)
}
