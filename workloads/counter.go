package workloads

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"

	"gilbench/interp"
)

// Shared mutable state, three ways, on the same work. An increment is privateWork units
// of work a worker does on its own, then counting it; a unit is one turn of
// `while n > 0: n -= 1` (9 instructions; a few Go instructions in the twin).
//
//   - counter: the count is one global guarded by a lock. Every B increments (the
//     batch) a worker takes the lock, spends cs units of work inside it — the critical
//     section, standing for whatever the shared update costs — adds B to the counter and
//     releases the lock. The total is checked exactly after every batch of tasks.
//   - pipeline: the same work with nothing shared: the cs units of every B increments
//     are done by the worker outside any lock, each task's count travels through the
//     result queue, and the aggregator (the runner's result loop) adds the counts up.
//   - lost-update: `counter += 1` in a tight loop with no lock, on a global
//     (update=global) or through the two calls of `v.value += 1` (update=value); the
//     updates lost are counted, not prevented.
//
// All three return size per task, so the checksum (tasks × size) is the same in every
// mode and does not depend on how many updates were lost.

// privateWork is the work of one increment outside the critical section, in units.
const privateWork = 20

// spin is the twin's n units of work.
func spin(n int64) int64 {
	var x int64
	for ; n > 0; n-- {
		x += n
	}
	return x
}

// spinSink keeps the twins' work from being optimised away (one store per task).
var spinSink atomic.Int64

// sharedSettings are the settings of a shared-state cell, from its Params.
type sharedSettings struct {
	cs     int64  // units of work per acquisition inside the critical section
	batch  int64  // increments per acquisition
	update string // lost-update: "global" or "value"
}

func settingsOf(p Params) (sharedSettings, error) {
	s := sharedSettings{cs: 0, batch: 1, update: "global"}
	for key, dst := range map[string]*int64{"cs": &s.cs, "batch": &s.batch} {
		v, ok := p[key]
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || key == "batch" && n < 1 {
			return s, fmt.Errorf("bad %s=%q: want a non-negative integer (batch: positive)", key, v)
		}
		*dst = n
	}
	if u, ok := p["update"]; ok {
		if u != "global" && u != "value" {
			return s, fmt.Errorf("bad update=%q: want global or value", u)
		}
		s.update = u
	}
	return s, nil
}

// settingsNatives are the natives that hand a program its settings: cs, batch and, for
// lost-update, by_value (1 for update=value).
func settingsNatives(p Params, _ *Local) ([]*interp.Native, error) {
	s, err := settingsOf(p)
	if err != nil {
		return nil, err
	}
	byValue := interp.Value(0)
	if s.update == "value" {
		byValue = 1
	}
	constant := func(name string, v interp.Value) *interp.Native {
		return &interp.Native{Name: name, Fn: func(*interp.Thread, []interp.Value) (interp.Value, error) { return v, nil }}
	}
	return []*interp.Native{
		constant("cs", interp.Value(s.cs)),
		constant("batch", interp.Value(s.batch)),
		constant("by_value", byValue),
	}, nil
}

// csSweep is the sweep of the critical-section length, without and with batching.
var csSweep = func() []Variant {
	var vs []Variant
	for _, b := range []string{"1", "64"} {
		for _, cs := range []string{"0", "10", "100", "1000"} {
			vs = append(vs, MakeVariant("cs", cs, "batch", b))
		}
	}
	return vs
}()

func init() {
	Register(&Workload{
		Name:  "counter",
		Class: Shared,
		Description: fmt.Sprintf("N workers add size to one shared counter under a lock: %d units of private work an increment, "+
			"the lock taken every batch increments for a critical section of cs units; the total is checked exactly", privateWork),
		DefaultSize:  256,
		DefaultTasks: 16,
		QuickSize:    64,
		QuickTasks:   16,
		Natives:      settingsNatives,
		Twin:         counterTwin,
		Want:         func(_, size int64) int64 { return size },
		Sweep:        csSweep,
		Check:        checkCounter,
	})
}

func counterTwin(ctx context.Context, p Params, _, size int64) (int64, error) {
	st, err := settingsOf(p)
	if err != nil {
		return 0, err
	}
	s, err := SharedFrom(ctx)
	if err != nil {
		return 0, err
	}
	mu, err := s.Lock("mu")
	if err != nil {
		return 0, err
	}
	k, err := s.Slot("counter")
	if err != nil {
		return 0, err
	}
	g := s.Globals()
	var sink int64
	for left := size; left > 0; {
		n := min(st.batch, left)
		sink += spin(n * privateWork)
		if err := mu.Acquire(nil); err != nil {
			return 0, err
		}
		sink += spin(st.cs)
		g.Store(k, g.Load(k)+interp.Value(n))
		if err := mu.Release(nil); err != nil {
			return 0, err
		}
		left -= n
	}
	spinSink.Store(sink)
	return size, nil
}

// checkCounter fails the batch unless the counter holds every increment.
func checkCounter(s *interp.Shared, _ Params, tasks int, size int64) (map[string]float64, error) {
	got, err := s.Load("counter")
	if err != nil {
		return nil, err
	}
	if want := int64(tasks) * size; int64(got) != want {
		return nil, fmt.Errorf("counter = %d after %d increments under the lock: %d updates lost", got, want, want-int64(got))
	}
	return map[string]float64{}, nil
}
