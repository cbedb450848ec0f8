//go:build unix

package workloads

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"gilbench/interp"
	"gilbench/vocab"
)

func TestSteadyPhase(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		var out []time.Duration
		for _, x := range xs {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	// Two round trips alone, then a spinner starts: three round trips beside it.
	ends := ms(1, 2, 10, 20, 30)
	lat := ms(1, 1, 8, 10, 10)
	trips, d, l := steadyPhase(ends, lat, []int32{0, 0, 1, 1, 1})
	if trips != 3 || d != 28*time.Millisecond || !slices.Equal(l, ms(8, 10, 10)) {
		t.Errorf("steadyPhase = %d, %v, %v; want 3, 28ms, [8ms 10ms 10ms]", trips, d, l)
	}
	// Alone all along: everything counts, from the start.
	if trips, d, _ := steadyPhase(ends, lat, []int32{0, 0, 0, 0, 0}); trips != 5 || d != 30*time.Millisecond {
		t.Errorf("alone: %d, %v; want 5, 30ms", trips, d)
	}
	if trips, _, _ := steadyPhase(nil, nil, nil); trips != 0 {
		t.Errorf("no round trips: %d", trips)
	}
}

// TestConvoyBesideSpinners runs task 0 and two spinners on three threads of a
// lock-free interpreter, twice, as the runner would: the spinners stop when task 0 is
// done, the figures reach the Local's Stats, and ResetStats starts the next batch.
func TestConvoyBesideSpinners(t *testing.T) {
	w, err := Lookup("convoy")
	if err != nil {
		t.Fatal(err)
	}
	const size = 50 // ms
	withEnv(t, w, func(env *Env, l *Local) {
		if _, ok := l.Stats(); ok {
			t.Error("statistics in a Local before the convoy used it")
		}
		prog, entry, err := w.Program(env.Params, l)
		if err != nil {
			t.Fatal(err)
		}
		stats, ok := l.Stats()
		if !ok {
			t.Fatal("no statistics in the convoy's Local")
		}
		in := interp.New(prog, nil)
		threads := []*interp.Thread{in.NewThread(), in.NewThread(), in.NewThread()}
		for batch := range 2 {
			stats.ResetStats()
			var wg sync.WaitGroup
			results := make([]interp.Value, len(threads))
			for i, th := range threads {
				wg.Go(func() {
					v, err := th.Call(entry, interp.Value(i), size)
					if err != nil {
						t.Errorf("batch %d task %d: %v", batch, i, err)
					}
					results[i] = v
				})
			}
			wg.Wait()
			if !slices.Equal(results, []interp.Value{0, 1, 2}) {
				t.Errorf("batch %d: results %v; want [0 1 2]", batch, results)
			}
			m := stats.Metrics()
			if m[vocab.Roundtrips.Name] <= 0 || m[vocab.P50.Name] <= 0 || m[vocab.P99.Name] < m[vocab.P50.Name] {
				t.Errorf("batch %d: metrics %v", batch, m)
			}
		}
		// The twin does the same.
		stats.ResetStats()
		var wg sync.WaitGroup
		for i := range int64(3) {
			wg.Go(func() {
				if v, err := w.Twin(WithLocal(context.Background(), l), env.Params, i, size); err != nil || v != i {
					t.Errorf("twin task %d = %d, %v", i, v, err)
				}
			})
		}
		wg.Wait()
		if m := stats.Metrics(); m[vocab.Roundtrips.Name] <= 0 {
			t.Errorf("twin: metrics %v", m)
		}
		// A spinner's pool records nothing: its figures are an empty map, so that the
		// parent of worker processes can take the union of its workers'.
		spinner := NewLocal()
		defer spinner.Close()
		if _, _, err := w.Program(env.Params, spinner); err != nil {
			t.Fatal(err)
		}
		st, ok := spinner.Stats()
		if !ok {
			t.Fatal("no statistics in a spinner's Local")
		}
		st.ResetStats()
		if m := st.Metrics(); m == nil || len(m) != 0 {
			t.Errorf("a Local that recorded nothing: metrics %#v; want an empty map", m)
		}
	})
}

func TestConvoyPeerGoneFailsTheTask(t *testing.T) {
	w, _ := Lookup("convoy")
	env, err := w.NewEnv(context.Background(), 50)
	if err != nil {
		t.Fatal(err)
	}
	params := env.Params
	l := NewLocal()
	defer l.Close()
	if _, err := convoyCellFor(params, l); err != nil { // the pool was made before
		t.Fatal(err)
	}
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Twin(WithLocal(context.Background(), l), params, 0, 50); err == nil {
		t.Error("round trips to a closed echo peer succeeded")
	}
}
