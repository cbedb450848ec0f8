package workloads

import (
	"context"
	"fmt"

	"gilbench/interp"
	"gilbench/vocab"
)

func init() {
	Register(&Workload{
		Name:  "lost-update",
		Class: Shared,
		Description: "`counter += 1` size times with no lock, on a global (update=global) or as v.value += 1, a call " +
			"to read and a call to write (update=value); reports the updates lost",
		DefaultSize:  50_000,
		DefaultTasks: 16,
		QuickSize:    5_000,
		QuickTasks:   16,
		Natives:      settingsNatives,
		Twin:         lostUpdateTwin,
		Want:         func(_, size int64) int64 { return size },
		Sweep:        []Variant{MakeVariant("update", "global"), MakeVariant("update", "value")},
		Check:        checkLostUpdates,
	})
}

// lostUpdateTwin is `counter += 1` in Go as a racy read-modify-write: an atomic load,
// then an atomic store (no data race, but no atomic increment either).
func lostUpdateTwin(ctx context.Context, p Params, _, size int64) (int64, error) {
	st, err := settingsOf(p)
	if err != nil {
		return 0, err
	}
	s, err := SharedFrom(ctx)
	if err != nil {
		return 0, err
	}
	name := "counter"
	if st.update == "value" {
		name = "v"
	}
	k, err := s.Slot(name)
	if err != nil {
		return 0, err
	}
	g := s.Globals()
	for range size {
		g.Store(k, g.Load(k)+1)
	}
	return size, nil
}

// checkLostUpdates reports how many of the batch's increments the counter is missing.
func checkLostUpdates(s *interp.Shared, p Params, tasks int, size int64) (map[string]float64, error) {
	st, err := settingsOf(p)
	if err != nil {
		return nil, err
	}
	name := "counter"
	if st.update == "value" {
		name = "v"
	}
	got, err := s.Load(name)
	if err != nil {
		return nil, err
	}
	want := int64(tasks) * size
	if int64(got) > want || got < 0 {
		return nil, fmt.Errorf("%s = %d after %d increments: more than were made", name, got, want)
	}
	return map[string]float64{vocab.LostUpdates.Name: float64(want - int64(got))}, nil
}
