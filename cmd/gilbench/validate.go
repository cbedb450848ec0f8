package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"gilbench/runner"
	"gilbench/workloads"
)

// gilbench validate runs the fidelity experiments: the behaviours of CPython's locks that
// docs/design/GIL.md says the emulation must show, each measured on gilbench's own modes
// and, when CPython is installed, on real CPython with the same workload written in
// Python. Every figure is a ratio of medians of interleaved repetitions measured in this
// one run, so that the machine's drift hits all sides alike.

// cmdValidate is `gilbench validate`.
func cmdValidate(args []string, stdout, stderr io.Writer) error {
	return validateContext(context.Background(), args, stdout, stderr)
}

// validateContext is cmdValidate with a context that stops it.
func validateContext(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("validate")
	var o validateOptions
	fs.BoolVar(&o.quick, "quick", false, "small sizes and 3 repetitions: about 20 s instead of about 2 min")
	fs.IntVar(&o.reps, "reps", 0, "timed repetitions per configuration (0: 5, or 3 with -quick)")
	fs.StringVar(&o.python, "python", "python3", `CPython 3 to compare with ("none": do not run CPython)`)
	fs.StringVar(&o.python2, "python2", "", `CPython 2 for the legacy GIL (default: python2.7 or python2 on PATH; "none": skip)`)
	fs.StringVar(&o.pythonSub, "python-subinterp", "", "CPython ≥ 3.13 for per-interpreter GILs (default: -python if it has them, else python3.14 or python3.13 on PATH)")
	fs.StringVar(&o.only, "run", "", "run only the experiments whose name contains this text")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if o.reps < 0 {
		return usageError{"validate: -reps must not be negative"}
	}
	if o.reps == 0 {
		o.reps = 5
		if o.quick {
			o.reps = 3
		}
	}
	return validate(ctx, o, stdout, stderr)
}

type validateOptions struct {
	quick                      bool
	reps                       int
	python, python2, pythonSub string
	only                       string
}

// A validation row: one behaviour to reproduce, its target, and how to read it from
// the figures of the experiment groups (keyed "group/name").
type vrow struct {
	name, behaviour, target string
	value                   func(v figures) (float64, bool)
	pass                    func(x float64) bool
	show                    func(v figures, x float64) string
}

// figures are the measured values by "group/name".
type figures map[string]float64

// String lists the figures by name, for the progress lines.
func (f figures) String() string {
	var keys []string
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%.4g", k, f[k]))
	}
	return strings.Join(parts, " ")
}

func (f figures) get(keys ...string) ([]float64, bool) {
	var out []float64
	for _, k := range keys {
		x, ok := f[k]
		if !ok || math.IsNaN(x) {
			return nil, false
		}
		out = append(out, x)
	}
	return out, true
}

// ratio reads a/b.
func ratio(a, b string) func(figures) (float64, bool) {
	return func(f figures) (float64, bool) {
		x, ok := f.get(a, b)
		if !ok || x[1] == 0 {
			return 0, false
		}
		return x[0] / x[1], true
	}
}

func showRatio(_ figures, x float64) string { return fmt.Sprintf("%.2f", x) }

// showDrop shows a rate beside its baseline as "151/s of 29k/s (1/192)".
func showDrop(rate, alone string) func(figures, float64) string {
	return func(f figures, x float64) string {
		d := fmt.Sprintf("1/%.0f", 1/x)
		switch {
		case x >= 1:
			d = fmt.Sprintf("×%.2f", x)
		case 1/x < 10:
			d = fmt.Sprintf("1/%.1f", 1/x)
		}
		return fmt.Sprintf("%s/s of %s/s (%s)", si(f[rate]), si(f[alone]), d)
	}
}

func si(x float64) string {
	switch {
	case x >= 10_000:
		return fmt.Sprintf("%.0fk", x/1000)
	case x >= 1000:
		return fmt.Sprintf("%.1fk", x/1000)
	default:
		return fmt.Sprintf("%.0f", x)
	}
}

func between(lo, hi float64) func(float64) bool {
	return func(x float64) bool { return x >= lo && x <= hi }
}
func atLeast(lo float64) func(float64) bool { return func(x float64) bool { return x >= lo } }
func above(lo float64) func(float64) bool   { return func(x float64) bool { return x > lo } }

// sizes are the experiments' sizes, full or quick.
type sizes struct {
	cdTasks   int
	cdSize    int64 // countdown iterations per task
	pyCdSize  int64 // the same in CPython (slower per instruction)
	prTasks   int
	prSize    int64 // primes window per task
	pyPrSize  int64
	ioTasks   int
	sleepUs   int64
	httpGets  int64
	convoyMs  int64
	pySubSize int64
	warmup    int
}

func sizesFor(quick bool) sizes {
	if quick {
		return sizes{cdTasks: 16, cdSize: 250_000, pyCdSize: 100_000, prTasks: 16, prSize: 3000, pyPrSize: 1000,
			ioTasks: 32, sleepUs: 4000, httpGets: 2, convoyMs: 150, pySubSize: 60_000, warmup: 1}
	}
	return sizes{cdTasks: 16, cdSize: 400_000, pyCdSize: 160_000, prTasks: 16, prSize: 4000, pyPrSize: 1500,
		ioTasks: 64, sleepUs: 8000, httpGets: 4, convoyMs: 300, pySubSize: 160_000, warmup: 1}
}

// group is one experiment: a set of configurations measured together, interleaved, in
// gilbench and in CPython. Each side fills figures under the group's name.
type group struct {
	name   string
	gb     func(ctx context.Context, v *validator) (figures, error)
	py     func(ctx context.Context, v *validator) (figures, string, error) // nil: no CPython counterpart
	rows   []vrow
	needPy string // which CPython: "3", "2", "sub"
}

type validator struct {
	o      validateOptions
	s      sizes
	stderr io.Writer
	py     map[string]string // "3", "2", "sub" -> path of a working interpreter
	pyVer  map[string]string
	script string // path of the CPython script
}

func validate(ctx context.Context, o validateOptions, stdout, stderr io.Writer) error {
	v := &validator{o: o, s: sizesFor(o.quick), stderr: stderr, py: map[string]string{}, pyVer: map[string]string{}}
	v.findPythons(ctx)
	if len(v.py) > 0 {
		dir, err := os.MkdirTemp("", "gilbench-validate-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		v.script = filepath.Join(dir, "gilbench_validate.py")
		if err := os.WriteFile(v.script, []byte(validatePy), 0o644); err != nil {
			return err
		}
	}

	fmt.Fprintf(stdout, "gilbench validate: %d CPUs, GOMAXPROCS %d, %d repetitions a configuration (medians), %s sizes\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), o.reps, map[bool]string{true: "quick", false: "full"}[o.quick])
	if len(v.py) == 0 {
		fmt.Fprintln(stdout, "CPython: not found (-python, -python2); showing gilbench's figures only")
	} else {
		var have []string
		for _, k := range []string{"3", "2", "sub"} {
			if p, ok := v.py[k]; ok {
				have = append(have, fmt.Sprintf("%s (%s)", v.pyVer[k], p))
			}
		}
		fmt.Fprintf(stdout, "CPython: %s\n", strings.Join(slices.Compact(have), ", "))
	}
	fmt.Fprintln(stdout)

	t0 := time.Now()
	figs := figures{}
	pyFigs := figures{}
	pyNotes := map[string]string{}
	var ran []group
	for _, g := range v.groups() {
		if o.only != "" && !strings.Contains(g.name, o.only) && !slices.ContainsFunc(g.rows, func(r vrow) bool { return strings.Contains(r.name, o.only) }) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "validate: %s ...\n", g.name)
		f, err := g.gb(ctx, v)
		if err != nil {
			return fmt.Errorf("validate: %s: %w", g.name, err)
		}
		for k, x := range f {
			figs[g.name+"/"+k] = x
		}
		fmt.Fprintf(stderr, "validate: %s: gilbench %s\n", g.name, f)
		if g.py != nil {
			if _, ok := v.py[g.needPy]; ok {
				pf, note, err := g.py(ctx, v)
				if err != nil {
					pyNotes[g.name] = "error"
					fmt.Fprintf(stderr, "validate: %s in CPython: %v\n", g.name, err)
				} else {
					pyNotes[g.name] = note
				}
				for k, x := range pf {
					pyFigs[g.name+"/"+k] = x
				}
				if err == nil {
					fmt.Fprintf(stderr, "validate: %s: CPython %s\n", g.name, pf)
				}
			}
		}
		ran = append(ran, g)
	}

	tbl := tablewriter.NewTable(stdout,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Settings: tw.Settings{Separators: tw.Separators{BetweenRows: tw.On}},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithRowMaxWidth(44),
	)
	tbl.Header("experiment", "behaviour to reproduce", "target", "gilbench", "CPython", "pass")
	var failed, total int
	for _, g := range ran {
		for _, r := range g.rows {
			total++
			gbText, verdict := "n/a", "FAIL"
			if x, ok := r.value(figs); ok {
				gbText = r.show(figs, x)
				if r.pass(x) {
					verdict = "pass"
				}
			}
			if verdict != "pass" {
				failed++
			}
			pyText := "—"
			if g.py == nil {
				pyText = "no counterpart"
			} else if _, ok := v.py[g.needPy]; !ok {
				pyText = "not run (no " + map[string]string{"3": "python3", "2": "python2", "sub": "python ≥ 3.13"}[g.needPy] + ")"
			} else if x, ok := r.value(pyFigs); ok {
				mark := "✗"
				if r.pass(x) {
					mark = "✓"
				}
				pyText = r.show(pyFigs, x) + " " + mark
				if n := pyNotes[g.name]; n != "" {
					pyText += " [" + n + "]"
				}
			} else if pyNotes[g.name] == "error" {
				pyText = "error (see stderr)"
			}
			if err := tbl.Append(r.name, r.behaviour, r.target, gbText, pyText, verdict); err != nil {
				return err
			}
		}
	}
	if err := tbl.Render(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%d of %d behaviours reproduced by gilbench in %s; CPython's figures (✓/✗ against the same target) for comparison.\n",
		total-failed, total, time.Since(t0).Round(time.Second))
	if failed > 0 {
		return fmt.Errorf("validate: %d of %d behaviours not reproduced", failed, total)
	}
	return nil
}

func (v *validator) groups() []group {
	s := v.s
	gil := runner.DefaultSettings()
	tiny := gil
	tiny.SwitchInterval = 10 * time.Microsecond
	fast := gil
	fast.SwitchInterval = 100 * time.Microsecond
	cpuRows := func(g, w string) []vrow {
		return []vrow{
			{name: "gil: " + w + ", 2 threads", behaviour: "CPU-bound threads get no speedup: elapsed(2 threads) / elapsed(1)",
				target: "0.90–1.25", value: ratio(g+"/2", g+"/1"), pass: between(0.9, 1.25), show: showRatio},
			{name: "gil: " + w + ", 4 threads", behaviour: "nor with 4: elapsed(4 threads) / elapsed(1)",
				target: "0.90–1.25", value: ratio(g+"/4", g+"/1"), pass: between(0.9, 1.25), show: showRatio},
		}
	}
	drop := func(g, k string) func(figures) (float64, bool) { return ratio(g+"/"+k, g+"/0") }
	return []group{
		{name: "cpu-countdown", needPy: "3",
			gb:   v.elapsedGroup("gil", "countdown", gil, s.cdTasks, s.cdSize, 1, 2, 4),
			py:   v.pyElapsed("cpu", "3", "countdown", s.cdTasks, s.pyCdSize, 0, 1, 2, 4),
			rows: cpuRows("cpu-countdown", "countdown")},
		{name: "cpu-primes", needPy: "3",
			gb:   v.elapsedGroup("gil", "primes", gil, s.prTasks, s.prSize, 1, 2, 4),
			py:   v.pyElapsed("cpu", "3", "primes", s.prTasks, s.pyPrSize, 0, 1, 2, 4),
			rows: cpuRows("cpu-primes", "primes")},
		{name: "tiny-interval", needPy: "3",
			gb: v.elapsedGroup("gil", "countdown", tiny, s.cdTasks, s.cdSize, 1, 4),
			py: v.pyElapsed("cpu", "3", "countdown", s.cdTasks, s.pyCdSize, 10e-6, 1, 4),
			rows: []vrow{{name: "gil at 10 µs: countdown, 4 threads", behaviour: "a tiny switch interval makes CPU-bound threads thrash: elapsed(4) / elapsed(1)",
				target: "> 1.10", value: ratio("tiny-interval/4", "tiny-interval/1"), pass: above(1.1), show: showRatio}}},
		{name: "legacy-battle", needPy: "2",
			gb: v.elapsedGroup("gil-legacy", "countdown", gil, s.cdTasks, s.cdSize, 1, 2),
			py: v.pyElapsed("cpu", "2", "countdown", s.cdTasks, s.pyCdSize, 0, 1, 2),
			rows: []vrow{{name: "gil-legacy: countdown, 2 threads", behaviour: "the GIL battle: 2 CPU-bound threads on 2 cores are slower than 1: elapsed(2) / elapsed(1)",
				target: "≥ 1.25", value: ratio("legacy-battle/2", "legacy-battle/1"), pass: atLeast(1.25), show: showRatio}}},
		{name: "io-sleep", needPy: "3",
			gb: v.elapsedGroup("gil", "sleep", gil, s.ioTasks, s.sleepUs, 1, 8),
			py: v.pyElapsed("sleep", "3", "", s.ioTasks, s.sleepUs, 0, 1, 8),
			rows: []vrow{{name: "gil: sleep, 8 threads", behaviour: "I/O-bound threads overlap their waits: speedup elapsed(1) / elapsed(8)",
				target: "≥ 6", value: ratio("io-sleep/1", "io-sleep/8"), pass: atLeast(6), show: showRatio}}},
		{name: "io-http", needPy: "3",
			gb: v.elapsedGroup("gil", "http", gil, s.ioTasks, s.httpGets, 1, 8),
			py: v.pyElapsed("http", "3", "", s.ioTasks, s.httpGets, 0, 1, 8),
			rows: []vrow{{name: "gil: http, 8 threads", behaviour: "the same for HTTP requests to a local server (2 ms latency): speedup",
				target: "≥ 6", value: ratio("io-http/1", "io-http/8"), pass: atLeast(6), show: showRatio}}},
		{name: "convoy-5ms", needPy: "3",
			gb: v.convoyGroup("gil", gil), py: v.pyConvoy("3", 5e-3),
			rows: []vrow{
				{name: "gil convoy at 5 ms: beside 1 CPU thread", behaviour: "convoy effect (bpo-7946): round trips/s beside 1 CPU-bound thread, of alone",
					target: "≤ 1/20", value: drop("convoy-5ms", "1"), pass: func(x float64) bool { return x <= 1.0/20 }, show: showDrop("convoy-5ms/1", "convoy-5ms/0")},
				{name: "gil convoy at 5 ms: beside 2 CPU threads", behaviour: "worse beside 2 CPU-bound threads",
					target: "≤ 1/100", value: drop("convoy-5ms", "2"), pass: func(x float64) bool { return x <= 1.0/100 }, show: showDrop("convoy-5ms/2", "convoy-5ms/0")},
			}},
		{name: "convoy-0.1ms", needPy: "3",
			gb: v.convoyGroup("gil", fast), py: v.pyConvoy("3", 1e-4),
			rows: []vrow{
				{name: "gil convoy at 0.1 ms: beside 1", behaviour: "a shorter interval shrinks the convoy: drop at 5 ms / drop at 0.1 ms, beside 1 CPU thread",
					target: "≥ 5", value: dropRatio("1"), pass: atLeast(5), show: showRatio},
				{name: "gil convoy at 0.1 ms: beside 2", behaviour: "the same beside 2 CPU-bound threads",
					target: "≥ 5", value: dropRatio("2"), pass: atLeast(5), show: showRatio},
			}},
		{name: "convoy-legacy", needPy: "2",
			gb: v.convoyGroup("gil-legacy", gil), py: v.pyConvoy("2", 0),
			rows: []vrow{
				{name: "gil-legacy: convoy beside 1", behaviour: "no convoy under the legacy GIL: round trips/s beside 1 CPU-bound thread, of alone",
					target: "≥ 1/3", value: drop("convoy-legacy", "1"), pass: atLeast(1.0 / 3), show: showDrop("convoy-legacy/1", "convoy-legacy/0")},
				{name: "gil-legacy: convoy beside 2", behaviour: "nor beside 2",
					target: "≥ 1/3", value: drop("convoy-legacy", "2"), pass: atLeast(1.0 / 3), show: showDrop("convoy-legacy/2", "convoy-legacy/0")},
			}},
		{name: "subinterp", needPy: "sub",
			gb: v.elapsedGroup("subinterp", "countdown", gil, s.cdTasks, s.cdSize, 1, 2),
			py: v.pyElapsed("subinterp", "sub", "", s.cdTasks, s.pySubSize, 0, 1, 2),
			rows: []vrow{{name: "subinterp: countdown, 2 interpreters", behaviour: "a GIL per interpreter (PEP 684): CPU-bound speedup elapsed(1) / elapsed(2)",
				target: "≥ 1.8", value: ratio("subinterp/1", "subinterp/2"), pass: atLeast(1.8), show: showRatio}}},
	}
}

// dropRatio is how much smaller the convoy's drop is at 0.1 ms than at 5 ms, beside k.
func dropRatio(k string) func(figures) (float64, bool) {
	return func(f figures) (float64, bool) {
		x, ok := f.get("convoy-5ms/0", "convoy-5ms/"+k, "convoy-0.1ms/0", "convoy-0.1ms/"+k)
		if !ok || x[1] == 0 || x[2] == 0 {
			return 0, false
		}
		drop5, drop01 := x[0]/x[1], x[2]/x[3]
		return drop5 / drop01, true
	}
}

// cell is one configuration of a gilbench experiment.
type cell struct {
	mode     string
	w        *workloads.Workload
	workers  int
	tasks    int
	size     int64
	settings runner.Settings
	session  *runner.Session
	samples  []float64
}

// measure starts every cell's pool, warms each up, then runs the repetitions round-robin
// and keeps, per cell, the batch's elapsed seconds (metric "") or one of its metrics.
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
		rc := runner.Cell{Workload: c.w, Mode: m, Workers: c.workers, Tasks: c.tasks, Size: c.size}
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
	for range v.o.reps {
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

// elapsedGroup measures mode on workload at each worker count; figures by worker count.
func (v *validator) elapsedGroup(mode, workload string, s runner.Settings, tasks int, size int64, workers ...int) func(context.Context, *validator) (figures, error) {
	return func(ctx context.Context, _ *validator) (figures, error) {
		w, err := workloads.Lookup(workload)
		if err != nil {
			return nil, err
		}
		var cells []*cell
		for _, n := range workers {
			cells = append(cells, &cell{mode: mode, w: w, workers: n, tasks: tasks, size: size, settings: s})
		}
		if err := v.measure(ctx, cells, ""); err != nil {
			return nil, err
		}
		f := figures{}
		for _, c := range cells {
			f[strconv.Itoa(c.workers)] = median(c.samples)
		}
		return f, nil
	}
}

// convoyGroup measures the convoy's round trips/s alone and beside 1 and 2 CPU-bound
// threads; figures by number of CPU-bound threads.
func (v *validator) convoyGroup(mode string, s runner.Settings) func(context.Context, *validator) (figures, error) {
	return func(ctx context.Context, _ *validator) (figures, error) {
		w, err := workloads.Lookup("convoy")
		if err != nil {
			return nil, err
		}
		var cells []*cell
		for k := range 3 {
			cells = append(cells, &cell{mode: mode, w: w, workers: k + 1, tasks: k + 1, size: v.s.convoyMs, settings: s})
		}
		if err := v.measure(ctx, cells, "roundtrips/s"); err != nil {
			return nil, err
		}
		f := figures{}
		for _, c := range cells {
			f[strconv.Itoa(c.workers-1)] = median(c.samples)
		}
		return f, nil
	}
}

// findPythons probes the CPython interpreters to compare with.
func (v *validator) findPythons(ctx context.Context) {
	// probe runs name and reports its path, its version and whether it has per-interpreter
	// GILs (the _interpreters module of CPython ≥ 3.13).
	probe := func(name string) (path, version string, hasSub, ok bool) {
		if name == "" || name == "none" {
			return "", "", false, false
		}
		p, err := exec.LookPath(name)
		if err != nil {
			return "", "", false, false
		}
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		// The import fails (exit status 1) after the version is printed when the
		// interpreter has no _interpreters.
		out, err := exec.CommandContext(ctx, p, "-c",
			"import sys; print('%d %d %d' % sys.version_info[:3]); sys.stdout.flush(); import _interpreters").Output()
		fields := strings.Fields(string(out))
		if len(fields) != 3 {
			return "", "", false, false
		}
		return p, "Python " + strings.Join(fields, "."), err == nil, true
	}
	if p, ver, _, ok := probe(v.o.python); ok {
		v.py["3"], v.pyVer["3"] = p, ver
	}
	names2 := []string{v.o.python2}
	if v.o.python2 == "" {
		names2 = []string{"python2.7", "python2"}
	}
	for _, n := range names2 {
		if p, ver, _, ok := probe(n); ok && strings.HasPrefix(ver, "Python 2.") {
			v.py["2"], v.pyVer["2"] = p, ver
			break
		}
	}
	namesSub := []string{v.o.pythonSub}
	if v.o.pythonSub == "" {
		namesSub = []string{v.o.python, "python3.14", "python3.13"}
	}
	for _, n := range namesSub {
		// A positive minor version says the interpreter has _interpreters.
		if p, ver, sub, ok := probe(n); ok && sub {
			v.py["sub"], v.pyVer["sub"] = p, ver
			break
		}
	}
}

// runPy runs the validation script in CPython py ("3", "2", "sub") and decodes the JSON
// object its last line prints.
func (v *validator) runPy(ctx context.Context, py string, args ...string) (map[string][]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, v.py[py], append([]string{v.script}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", v.py[py], strings.Join(args, " "), err, strings.TrimSpace(lastLine(errb.String())))
	}
	var res map[string][]float64
	if err := json.Unmarshal([]byte(lastLine(out.String())), &res); err != nil {
		return nil, fmt.Errorf("%s %s: bad output %q: %w", v.py[py], strings.Join(args, " "), lastLine(out.String()), err)
	}
	return res, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// pyElapsed runs a timed experiment in CPython: kind "cpu" (workload countdown or
// primes), "sleep", "http" or "subinterp", at each thread count.
func (v *validator) pyElapsed(kind, py, workload string, tasks int, size int64, interval float64, threads ...int) func(context.Context, *validator) (figures, string, error) {
	return func(ctx context.Context, _ *validator) (figures, string, error) {
		args := []string{kind, "--reps", strconv.Itoa(v.o.reps), "--tasks", strconv.Itoa(tasks), "--size", strconv.FormatInt(size, 10)}
		if workload != "" {
			args = append(args, "--workload", workload)
		}
		if interval > 0 {
			args = append(args, "--interval", strconv.FormatFloat(interval, 'g', -1, 64))
		}
		note := ""
		if kind == "http" {
			// The same server as gilbench's http workload.
			w, err := workloads.Lookup("http")
			if err != nil {
				return nil, "", err
			}
			env, err := w.NewEnv(ctx, size)
			if err != nil {
				return nil, "", err
			}
			defer env.Close()
			args = append(args, "--url", env.Params["url"])
		}
		if kind == "subinterp" || py == "2" {
			note = strings.TrimPrefix(v.pyVer[py], "Python ")
		}
		var ts []string
		for _, n := range threads {
			ts = append(ts, strconv.Itoa(n))
		}
		args = append(args, "--threads", strings.Join(ts, ","))
		res, err := v.runPy(ctx, py, args...)
		if err != nil {
			return nil, "", err
		}
		f := figures{}
		for k, xs := range res {
			f[k] = median(xs)
		}
		return f, note, nil
	}
}

// pyConvoy runs the convoy in CPython against gilbench's echo peer: figures by number of
// CPU-bound threads.
func (v *validator) pyConvoy(py string, interval float64) func(context.Context, *validator) (figures, string, error) {
	return func(ctx context.Context, _ *validator) (figures, string, error) {
		w, err := workloads.Lookup("convoy")
		if err != nil {
			return nil, "", err
		}
		env, err := w.NewEnv(ctx, v.s.convoyMs)
		if err != nil {
			return nil, "", err
		}
		defer env.Close()
		ap, err := netip.ParseAddrPort(env.Params["addr"])
		if err != nil {
			return nil, "", err
		}
		args := []string{"convoy", "--reps", strconv.Itoa(v.o.reps), "--size", strconv.FormatInt(v.s.convoyMs, 10),
			"--host", ap.Addr().String(), "--port", strconv.Itoa(int(ap.Port())), "--threads", "0,1,2"}
		if interval > 0 {
			args = append(args, "--interval", strconv.FormatFloat(interval, 'g', -1, 64))
		}
		res, err := v.runPy(ctx, py, args...)
		if err != nil {
			return nil, "", err
		}
		f := figures{}
		for k, xs := range res {
			f[k] = median(xs)
		}
		note := ""
		if py == "2" {
			note = strings.TrimPrefix(v.pyVer[py], "Python ")
		}
		return f, note, nil
	}
}

// validatePy is the CPython side of the experiments, for Python 2.7 and 3.x alike. It
// prints one JSON object: a list of measurements (elapsed seconds, or round trips per
// second) per thread count.
const validatePy = `from __future__ import print_function
import json, socket, sys, threading, time
try:
    import queue
except ImportError:
    import Queue as queue

def opts(argv):
    o = {}
    for i in range(0, len(argv), 2):
        o[argv[i].lstrip('-')] = argv[i + 1]
    return o

def countdown(i, size):
    n = size
    while n > 0:
        n -= 1
    return i

def primes(i, size):
    n = 1000000 + (i % 64) * size
    hi = n + size
    count = 0
    while n < hi:
        if n < 2:
            p = 0
        elif n < 4:
            p = 1
        elif n % 2 == 0:
            p = 0
        else:
            p = 1
            d = 3
            while d * d <= n:
                if n % d == 0:
                    p = 0
                    break
                d += 2
        count += p
        n += 1
    return count

def sleeper(i, size):
    time.sleep(size / 1e6)
    return i

def pool(task, tasks, size, nthreads):
    # One job queue for all threads, as gilbench's pool.
    jobs = queue.Queue()
    for i in range(tasks):
        jobs.put(i)
    def worker():
        while True:
            try:
                i = jobs.get_nowait()
            except queue.Empty:
                return
            task(i, size)
    ts = [threading.Thread(target=worker) for _ in range(nthreads)]
    t0 = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.time() - t0

def http_task(url):
    try:
        import http.client as httplib
        from urllib.parse import urlparse
    except ImportError:
        import httplib
        from urlparse import urlparse
    u = urlparse(url)
    local = threading.local()
    def task(i, size):
        c = getattr(local, 'c', None)
        if c is None:
            c = local.c = httplib.HTTPConnection(u.hostname, u.port, timeout=10)
        for k in range(size):
            c.request('GET', '%s?x=%d' % (u.path, i * size + k))
            r = c.getresponse()
            r.read()
            if r.status != 200:
                raise RuntimeError('HTTP %d' % r.status)
        return i
    return task

def timed(o, task):
    reps, tasks, size = int(o['reps']), int(o['tasks']), int(o['size'])
    threads = [int(x) for x in o['threads'].split(',')]
    if 'interval' in o:
        sys.setswitchinterval(float(o['interval']))
    pool(task, min(tasks, 4), min(size, 1000), max(threads))  # warm up
    res = dict((str(n), []) for n in threads)
    for _ in range(reps):
        for n in threads:
            res[str(n)].append(pool(task, tasks, size, n))
    return res

def subinterp(o):
    import _interpreters
    reps, tasks, size = int(o['reps']), int(o['tasks']), int(o['size'])
    threads = [int(x) for x in o['threads'].split(',')]
    cfg = _interpreters.new_config('isolated')
    interps = [_interpreters.create(cfg) for _ in range(max(threads))]
    run_in = getattr(_interpreters, 'exec')  # a keyword in Python 2
    def run(k):
        code = 'for _ in range(%d):\n    n = %d\n    while n > 0:\n        n -= 1\n' % (tasks // k, size)
        ts = [threading.Thread(target=run_in, args=(interps[j], code)) for j in range(k)]
        t0 = time.time()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return time.time() - t0
    res = dict((str(n), []) for n in threads)
    for n in threads:
        run(n)  # warm up
    for _ in range(reps):
        for n in threads:
            res[str(n)].append(run(n))
    return res

def convoy(o):
    reps, dur = int(o['reps']), int(o['size']) / 1000.0
    ks = [int(x) for x in o['threads'].split(',')]
    if 'interval' in o:
        sys.setswitchinterval(float(o['interval']))
    def once(k):
        state = {'done': False}
        def spin():
            while not state['done']:
                n = 200
                while n > 0:
                    n -= 1
        ts = [threading.Thread(target=spin) for _ in range(k)]
        for t in ts:
            t.start()
        c = socket.create_connection((o['host'], int(o['port'])), 10)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        time.sleep(0.02)  # let the spinners start
        msg = b'0123456789abcdef'
        n = 0
        t0 = time.time()
        end = t0 + dur
        while True:
            c.sendall(msg)
            got = b''
            while len(got) < 16:
                b = c.recv(16 - len(got))
                if not b:
                    raise RuntimeError('echo peer closed')
                got += b
            n += 1
            now = time.time()
            if now >= end:
                break
        state['done'] = True
        for t in ts:
            t.join()
        c.close()
        return n / (now - t0)
    res = dict((str(k), []) for k in ks)
    for k in ks:
        once(k)  # warm up
    for _ in range(reps):
        for k in ks:
            res[str(k)].append(once(k))
    return res

def main():
    kind, o = sys.argv[1], opts(sys.argv[2:])
    if kind == 'cpu':
        res = timed(o, {'countdown': countdown, 'primes': primes}[o['workload']])
    elif kind == 'sleep':
        res = timed(o, sleeper)
    elif kind == 'http':
        res = timed(o, http_task(o['url']))
    elif kind == 'subinterp':
        res = subinterp(o)
    elif kind == 'convoy':
        res = convoy(o)
    else:
        raise SystemExit('unknown experiment ' + kind)
    print(json.dumps(res))

main()
`
