package validate

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"

	"gilbench/cpython"
	"gilbench/runner"
	"gilbench/workloads"
)

// cell is one configuration of a gilbench experiment and its measurements.
type cell struct {
	mode     string
	w        *workloads.Workload
	workers  int
	tasks    int
	size     int64
	settings runner.Settings
	python   *cpython.Interpreter // a cpython-* mode's interpreter
	variant  workloads.Variant    // its name keys (chunksize=64), if any
	key      string               // its figure's key
	session  *runner.Session
	samples  []float64
}

// measureSide measures the configurations of side g together, in CPython py for a
// cpython-* mode (nil for gilbench's own), and returns their figures.
func (v *validator) measureSide(ctx context.Context, g side, py *cpython.Interpreter) (figures, error) {
	if g.custom != nil {
		return g.custom(ctx, v, py)
	}
	var cells []*cell
	metric := ""
	if g.convoy {
		// The convoy alone and beside 1 and 2 CPU-bound threads: a worker and a task
		// each; its round trips/s by the number of CPU-bound threads.
		w, err := workloads.Lookup("convoy")
		if err != nil {
			return nil, err
		}
		for k := range 3 {
			cells = append(cells, &cell{mode: g.mode, w: w, workers: k + 1, tasks: k + 1, size: g.size, settings: g.settings, python: py, key: strconv.Itoa(k)})
		}
		metric = "roundtrips/s"
		if g.metric != "" {
			metric = g.metric
		}
	} else {
		// Elapsed seconds by worker count.
		w, err := workloads.Lookup(g.workload)
		if err != nil {
			return nil, err
		}
		for _, n := range g.workers {
			cells = append(cells, &cell{mode: g.mode, w: w, workers: n, tasks: g.tasks, size: g.size, settings: g.settings, python: py, variant: g.variant, key: strconv.Itoa(n)})
		}
		if g.baseline != "" {
			cells = append(cells, &cell{mode: g.baseline, w: w, workers: 1, tasks: g.tasks, size: g.size, settings: g.settings, python: py, key: "base"})
		}
	}
	if err := v.measure(ctx, cells, metric); err != nil {
		return nil, err
	}
	f := figures{}
	for _, c := range cells {
		f[c.key] = median(c.samples)
	}
	return f, nil
}

// measure opens every cell's session, warms each up, then runs the repetitions
// round-robin and keeps, per cell, the batch's elapsed seconds (metric "") or one of its
// metrics. Cells of one workload and size share its environment (a server, a peer).
func (v *validator) measure(ctx context.Context, cells []*cell, metric string) error {
	envs := map[string]*workloads.Env{}
	defer func() {
		for _, e := range envs {
			e.Close()
		}
	}()
	defer func() {
		for _, c := range cells {
			if c.session != nil {
				c.session.Close()
			}
		}
	}()
	for _, c := range cells {
		key := c.w.Name + "/" + strconv.FormatInt(c.size, 10)
		env, ok := envs[key]
		if !ok {
			var err error
			if env, err = c.w.NewEnv(ctx, c.size); err != nil {
				return err
			}
			envs[key] = env
		}
		m, err := runner.LookupMode(c.mode)
		if err != nil {
			return err
		}
		rc := runner.Cell{Workload: c.w, Mode: m, Workers: c.workers, Tasks: c.tasks, Size: c.size, Variant: c.variant, Python: c.python}
		if c.session, err = runner.Open(ctx, rc, env.Params, c.settings); err != nil {
			return err
		}
	}
	// The engine checks every batch's checksum; the repetitions run round-robin.
	for _, c := range cells {
		if err := c.session.Warm(ctx, v.s.warmup, c.tasks); err != nil {
			return err
		}
	}
	for range v.o.Reps {
		for _, c := range cells {
			sm, err := c.session.Measure(ctx, 1, c.tasks)
			if err != nil {
				return err
			}
			x := sm.Batch.Elapsed.Seconds()
			if metric != "" {
				var ok bool
				if x, ok = sm.Batch.Metrics[metric]; !ok {
					return fmt.Errorf("%s %s workers=%d: no %s in the batch's metrics", c.mode, c.w.Name, c.workers, metric)
				}
			}
			c.samples = append(c.samples, x)
		}
	}
	return nil
}

// median is the median of xs, NaN for none; the figures of both sides are medians.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
