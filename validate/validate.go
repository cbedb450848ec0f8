package validate

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"gilbench/runner"
)

// Options say what to validate and against which CPythons. The zero Options is the
// full validation at the full sizes against the CPythons found on PATH.
type Options struct {
	// Quick selects the small sizes and 3 repetitions: about 20 s instead of about 2 min.
	Quick bool
	// Reps is the number of timed repetitions per configuration. 0 means 5, or 3 with
	// Quick; negative is an error.
	Reps int
	// Python is the CPython 3 to compare with: a name looked up on PATH or a path.
	// "" means python3; "none" runs no CPython 3.
	Python string
	// Python2 is the CPython 2 for the legacy GIL. "" means python2.7 or else python2
	// on PATH; "none" skips it. An interpreter that is not 2.x is not used.
	Python2 string
	// PythonSub is the CPython ≥ 3.13 for per-interpreter GILs. "" means Python if it
	// has them, else python3.14 or python3.13 on PATH; "none" skips it.
	PythonSub string
	// Run selects the experiments whose name, or the name of one of whose rows,
	// contains this text. "" runs them all.
	Run string
}

// DefaultReps are the repetitions per configuration when Options.Reps is 0.
const (
	DefaultReps      = 5
	DefaultQuickReps = 3
)

// withDefaults checks o and fills in its defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Reps < 0 {
		return o, fmt.Errorf("%w: validate: Reps must not be negative, got %d", runner.ErrUsage, o.Reps)
	}
	if o.Reps == 0 {
		o.Reps = DefaultReps
		if o.Quick {
			o.Reps = DefaultQuickReps
		}
	}
	if o.Python == "" {
		o.Python = "python3"
	}
	return o, nil
}

// selects says whether o.Run selects experiment e.
func (o Options) selects(e experiment) bool {
	return o.Run == "" || strings.Contains(e.name, o.Run) ||
		slices.ContainsFunc(e.rows, func(r row) bool { return strings.Contains(r.name, o.Run) })
}

// Run runs the experiments o selects, writing progress to stderr and the table to
// stdout. It fails when one of gilbench's behaviours is not reproduced (CPython's
// figures are for comparison only), and stops when ctx is done.
func Run(ctx context.Context, o Options, stdout, stderr io.Writer) error {
	o, err := o.withDefaults()
	if err != nil {
		return err
	}
	v := &validator{o: o, s: sizesFor(o.Quick), py: findPythons(ctx, o)}
	printHeader(stdout, o, v.py)

	t0 := time.Now()
	meter := runner.StartLoad() // the noise guard: how busy the machine was meanwhile
	res := results{gb: figures{}, py: figures{}, notes: map[string]string{}, pyFailed: map[string]bool{}, pythons: v.py}
	for _, e := range experiments(v.s) {
		if !o.selects(e) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "validate: %s ...\n", e.name)
		f, err := v.measureSide(ctx, e.gb, nil)
		if err != nil {
			return fmt.Errorf("validate: %s: %w", e.name, err)
		}
		res.gb.add(e.name, f)
		fmt.Fprintf(stderr, "validate: %s: gilbench %s\n", e.name, f)
		if e.py != nil && v.py.has(e.py.python) {
			pf, note, err := v.measureCPython(ctx, *e.py)
			if err != nil {
				res.pyFailed[e.name] = true
				fmt.Fprintf(stderr, "validate: %s in CPython: %v\n", e.name, err)
			} else {
				res.notes[e.name] = note
				res.py.add(e.name, pf)
				fmt.Fprintf(stderr, "validate: %s: CPython %s\n", e.name, pf)
			}
		}
		res.ran = append(res.ran, e)
	}

	failed, total, err := render(stdout, res, time.Since(t0))
	if err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	load := meter.Load()
	if w := load.Warning("while validating"); w != "" {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	if failed > 0 {
		if load.Busy() {
			return fmt.Errorf("validate: %d of %d behaviours not reproduced; the machine was busy (other processes used %.1f of %d cores), the likely cause: rerun on a quiet machine", failed, total, load.Other+load.Steal, load.Cores)
		}
		return fmt.Errorf("validate: %d of %d behaviours not reproduced", failed, total)
	}
	return nil
}

// validator is one validation run: its options and sizes, and the CPythons found.
type validator struct {
	o  Options // with its defaults filled in
	s  sizes
	py pythons
}
