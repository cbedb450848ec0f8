package validate

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gilbench/cpython"
	"gilbench/runner"
	"gilbench/workloads"
)

// An experiment is a set of configurations measured together, interleaved, in gilbench
// and in CPython, and the behaviours (rows) read from their figures. Each side's figures
// are kept under "experiment/key", so that a row may read another experiment's too.
type experiment struct {
	name string
	gb   side
	py   *side // a cpython-* mode; nil: no CPython counterpart
	rows []row
}

// side is what one side of an experiment measures, through runner.Open like any cell:
// mode on workload at each worker count, the figures being the median elapsed seconds
// keyed by worker count; or, with convoy set, the convoy workload beside 0, 1 and 2
// CPU-bound threads (workers 1, 2, 3, a task each), the figures being its median round
// trips per second keyed by their number. CPython's side is the same with a cpython-*
// mode (one driver, cpython/driver.py) in the interpreter python.
type side struct {
	mode     string
	workload string
	python   interpreter // CPython's side: which CPython
	settings runner.Settings
	tasks    int
	size     int64
	workers  []int
	convoy   bool   // workload, tasks and workers follow from it
	metric   string // convoy: the figure read, by unit; "" is roundtrips/s
	// custom, if set, measures the side instead, in CPython py for a cpython-* side
	// (chunking.go: several modes and variants interleaved in one measurement), and
	// customKeys are the keys of its figures.
	custom     func(ctx context.Context, v *validator, py *cpython.Interpreter) (figures, error)
	customKeys []string
	// variant is the cells' variant (a free-threaded profile, freethreaded.go);
	// baseline, if set, is a mode measured beside them at 1 worker, keyed "base".
	variant  workloads.Variant
	baseline string
}

// keys are the keys of the side's figures.
func (s side) keys() []string {
	var ks []string
	if s.custom != nil {
		return s.customKeys
	}
	if s.convoy {
		return []string{"0", "1", "2"}
	}
	for _, n := range s.workers {
		ks = append(ks, strconv.Itoa(n))
	}
	if s.baseline != "" {
		ks = append(ks, "base")
	}
	return ks
}

// A row is one behaviour to reproduce, its target, and how to read it from the figures.
type row struct {
	name, behaviour, target string
	value                   func(f figures) (float64, bool)
	pass                    func(x float64) bool
	show                    func(f figures, x float64) string
	// factor is how far gilbench's value may lie from CPython's own figure of the same
	// run, either way (gilbench/CPython in [1/factor, factor]); 0 for a row without a
	// CPython counterpart.
	factor float64
}

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
	warmup    int // untimed batches per gilbench configuration
}

func sizesFor(quick bool) sizes {
	if quick {
		return sizes{cdTasks: 16, cdSize: 250_000, pyCdSize: 100_000, prTasks: 16, prSize: 3000, pyPrSize: 1000,
			ioTasks: 32, sleepUs: 4000, httpGets: 2, convoyMs: 150, pySubSize: 60_000, warmup: 1}
	}
	return sizes{cdTasks: 16, cdSize: 400_000, pyCdSize: 160_000, prTasks: 16, prSize: 4000, pyPrSize: 1500,
		ioTasks: 64, sleepUs: 8000, httpGets: 4, convoyMs: 300, pySubSize: 160_000, warmup: 1}
}

// registered are the tables of experiments that other files of the package add (in an
// init function), run after the core table in the order they were added.
var registered []func(s sizes) []experiment

// register adds a table of experiments.
func register(table func(s sizes) []experiment) { registered = append(registered, table) }

// experiments is the table of experiments at sizes s, in the order they run.
func experiments(s sizes) []experiment {
	es := core(s)
	for _, t := range registered {
		es = append(es, t(s)...)
	}
	return es
}

// core is the core table: the behaviours of docs/design/GIL.md.
func core(s sizes) []experiment {
	gil := runner.DefaultSettings()
	tiny := gil
	tiny.SwitchInterval = 10 * time.Microsecond
	fast := gil
	fast.SwitchInterval = 100 * time.Microsecond
	cpuRows := func(e, w string) []row {
		return []row{
			{name: "gil: " + w + ", 2 threads", behaviour: "CPU-bound threads get no speedup: elapsed(2 threads) / elapsed(1)",
				target: "0.90–1.25", value: ratio(e+"/2", e+"/1"), pass: between(0.9, 1.25), show: showRatio, factor: 1.25},
			{name: "gil: " + w + ", 4 threads", behaviour: "nor with 4: elapsed(4 threads) / elapsed(1)",
				target: "0.90–1.25", value: ratio(e+"/4", e+"/1"), pass: between(0.9, 1.25), show: showRatio, factor: 1.25},
		}
	}
	drop := func(e, k string) func(figures) (float64, bool) { return ratio(e+"/"+k, e+"/0") }
	// on is a side of mode on workload; py puts the same on CPython's side.
	on := func(mode, w string, st runner.Settings, tasks int, size int64, workers ...int) side {
		return side{mode: mode, workload: w, settings: st, tasks: tasks, size: size, workers: workers}
	}
	py := func(i interpreter, sd side) *side {
		sd.python = i
		return &sd
	}
	convoy := func(mode string, st runner.Settings) side {
		return side{mode: mode, settings: st, size: s.convoyMs, convoy: true}
	}
	return []experiment{
		{name: "cpu-countdown",
			gb:   on("gil", "countdown", gil, s.cdTasks, s.cdSize, 1, 2, 4),
			py:   py(cpython3, on("cpython-threads", "countdown", gil, s.cdTasks, s.pyCdSize, 1, 2, 4)),
			rows: cpuRows("cpu-countdown", "countdown")},
		{name: "cpu-primes",
			gb:   on("gil", "primes", gil, s.prTasks, s.prSize, 1, 2, 4),
			py:   py(cpython3, on("cpython-threads", "primes", gil, s.prTasks, s.pyPrSize, 1, 2, 4)),
			rows: cpuRows("cpu-primes", "primes")},
		{name: "tiny-interval",
			gb: on("gil", "countdown", tiny, s.cdTasks, s.cdSize, 1, 4),
			py: py(cpython3, on("cpython-threads", "countdown", tiny, s.cdTasks, s.pyCdSize, 1, 4)),
			rows: []row{{name: "gil at 10 µs: countdown, 4 threads", behaviour: "a tiny switch interval makes CPU-bound threads thrash: elapsed(4) / elapsed(1)",
				target: "> 1.10", value: ratio("tiny-interval/4", "tiny-interval/1"), pass: above(1.1), show: showRatio, factor: 1.5}}},
		{name: "legacy-battle",
			gb: on("gil-legacy", "countdown", gil, s.cdTasks, s.cdSize, 1, 2),
			py: py(cpython2, on("cpython-threads", "countdown", gil, s.cdTasks, s.pyCdSize, 1, 2)),
			rows: []row{{name: "gil-legacy: countdown, 2 threads", behaviour: "the GIL battle: 2 CPU-bound threads on 2 cores are slower than 1: elapsed(2) / elapsed(1)",
				target: "≥ 1.25", value: ratio("legacy-battle/2", "legacy-battle/1"), pass: atLeast(1.25), show: showRatio, factor: 1.5}}},
		{name: "io-sleep",
			gb: on("gil", "sleep", gil, s.ioTasks, s.sleepUs, 1, 8),
			py: py(cpython3, on("cpython-threads", "sleep", gil, s.ioTasks, s.sleepUs, 1, 8)),
			rows: []row{{name: "gil: sleep, 8 threads", behaviour: "I/O-bound threads overlap their waits: speedup elapsed(1) / elapsed(8)",
				target: "≥ 6", value: ratio("io-sleep/1", "io-sleep/8"), pass: atLeast(6), show: showRatio, factor: 1.5}}},
		{name: "io-http",
			gb: on("gil", "http", gil, s.ioTasks, s.httpGets, 1, 8),
			py: py(cpython3, on("cpython-threads", "http", gil, s.ioTasks, s.httpGets, 1, 8)),
			rows: []row{{name: "gil: http, 8 threads", behaviour: "the same for HTTP requests to a local server (2 ms latency): speedup",
				target: "≥ 6", value: ratio("io-http/1", "io-http/8"), pass: atLeast(6), show: showRatio, factor: 1.5}}},
		{name: "convoy-5ms",
			gb: convoy("gil", gil), py: py(cpython3, convoy("cpython-threads", gil)),
			rows: []row{
				{name: "gil convoy at 5 ms: beside 1 CPU thread", behaviour: "convoy effect (bpo-7946): round trips/s beside 1 CPU-bound thread, of alone",
					target: "≤ 1/20", value: drop("convoy-5ms", "1"), pass: atMost(1.0 / 20), show: showDrop("convoy-5ms/1", "convoy-5ms/0"), factor: 3},
				{name: "gil convoy at 5 ms: beside 2 CPU threads", behaviour: "worse beside 2 CPU-bound threads",
					target: "≤ 1/100", value: drop("convoy-5ms", "2"), pass: atMost(1.0 / 100), show: showDrop("convoy-5ms/2", "convoy-5ms/0"), factor: 3},
			}},
		{name: "convoy-0.1ms",
			gb: convoy("gil", fast), py: py(cpython3, convoy("cpython-threads", fast)),
			rows: []row{
				{name: "gil convoy at 0.1 ms: beside 1", behaviour: "a shorter interval shrinks the convoy: drop at 5 ms / drop at 0.1 ms, beside 1 CPU thread",
					target: "≥ 5", value: dropRatio("1"), pass: atLeast(5), show: showRatio, factor: 3},
				{name: "gil convoy at 0.1 ms: beside 2", behaviour: "the same beside 2 CPU-bound threads",
					target: "≥ 5", value: dropRatio("2"), pass: atLeast(5), show: showRatio, factor: 3},
			}},
		{name: "convoy-legacy",
			gb: convoy("gil-legacy", gil), py: py(cpython2, convoy("cpython-threads", gil)),
			rows: []row{
				{name: "gil-legacy: convoy beside 1", behaviour: "no convoy under the legacy GIL: round trips/s beside 1 CPU-bound thread, of alone",
					target: "≥ 1/3", value: drop("convoy-legacy", "1"), pass: atLeast(1.0 / 3), show: showDrop("convoy-legacy/1", "convoy-legacy/0"), factor: 2},
				{name: "gil-legacy: convoy beside 2", behaviour: "nor beside 2",
					target: "≥ 1/3", value: drop("convoy-legacy", "2"), pass: atLeast(1.0 / 3), show: showDrop("convoy-legacy/2", "convoy-legacy/0"), factor: 2},
			}},
		{name: "asyncio-sleep",
			gb: on("asyncio", "sleep", gil, s.ioTasks, s.sleepUs, 1, 8),
			py: py(cpython3, on("cpython-asyncio", "sleep", gil, s.ioTasks, s.sleepUs, 1, 8)),
			rows: []row{{name: "asyncio: sleep, 8 coroutines", behaviour: "awaited I/O overlaps on one thread: speedup elapsed(1) / elapsed(8)",
				target: "≥ 6", value: ratio("asyncio-sleep/1", "asyncio-sleep/8"), pass: atLeast(6), show: showRatio, factor: 1.5}}},
		{name: "asyncio-primes",
			gb: on("asyncio", "primes", gil, s.prTasks, s.prSize, 1, 2),
			py: py(cpython3, on("cpython-asyncio", "primes", gil, s.prTasks, s.pyPrSize, 1, 2)),
			rows: []row{{name: "asyncio: primes, 2 coroutines", behaviour: "CPU work never yields: elapsed(2 coroutines) / elapsed(1)",
				target: "0.90–1.15", value: ratio("asyncio-primes/2", "asyncio-primes/1"), pass: between(0.9, 1.15), show: showRatio, factor: 1.25}}},
		{name: "convoy-asyncio",
			gb: convoy("asyncio", gil),
			rows: []row{{name: "asyncio convoy: beside 1 CPU task", behaviour: "the blocked loop: round trips/s beside 1 CPU-bound task, of gil's beside 1 at 5 ms",
				target: "≤ 1/10", value: ratio("convoy-asyncio/1", "convoy-5ms/1"), pass: atMost(1.0 / 10), show: showDrop("convoy-asyncio/1", "convoy-5ms/1")}}},
		{name: "convoy-asyncio-lag",
			gb: side{mode: "asyncio", settings: gil, size: s.convoyMs, convoy: true, metric: "loop-lag-p99-ns"},
			rows: []row{{name: "asyncio convoy: loop lag", behaviour: "the ready I/O task waits for the whole CPU task: loop lag p99 beside 1 CPU-bound task, of the task's run",
				target: "≥ 0.5", value: lagOfSpin("convoy-asyncio-lag/1", s.convoyMs), pass: atLeast(0.5), show: showRatio}}},
		{name: "subinterp",
			gb: on("subinterp", "countdown", gil, s.cdTasks, s.cdSize, 1, 2),
			py: py(cpythonSub, on("cpython-subinterp", "countdown", gil, s.cdTasks, s.pySubSize, 1, 2)),
			rows: []row{{name: "subinterp: countdown, 2 interpreters", behaviour: "a GIL per interpreter (PEP 684): CPU-bound speedup elapsed(1) / elapsed(2)",
				target: "≥ 1.8", value: ratio("subinterp/1", "subinterp/2"), pass: atLeast(1.8), show: showRatio, factor: 1.25}}},
	}
}

// figures are the measured values by "experiment/key" (or by key within one side of an
// experiment).
type figures map[string]float64

// add adds the figures g of one side of experiment e.
func (f figures) add(e string, g figures) {
	for k, x := range g {
		f[e+"/"+k] = x
	}
}

// String lists the figures by name, for the progress lines.
func (f figures) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(f)) {
		parts = append(parts, fmt.Sprintf("%s=%.4g", k, f[k]))
	}
	return strings.Join(parts, " ")
}

// get returns the figures named keys, or false if one is missing or NaN.
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

// lagOfSpin reads a loop lag in ns as a share of the convoy's CPU-bound task's run: it
// spins until the I/O task is done, which under an event loop never comes, so it runs
// to its safety deadline of 2 × size + 1 s (workloads/convoy_cell.go).
func lagOfSpin(key string, sizeMs int64) func(figures) (float64, bool) {
	return func(f figures) (float64, bool) {
		x, ok := f.get(key)
		if !ok {
			return 0, false
		}
		spin := (2*time.Duration(sizeMs)*time.Millisecond + time.Second).Nanoseconds()
		return x[0] / float64(spin), true
	}
}

func between(lo, hi float64) func(float64) bool {
	return func(x float64) bool { return x >= lo && x <= hi }
}
func atLeast(lo float64) func(float64) bool { return func(x float64) bool { return x >= lo } }
func atMost(hi float64) func(float64) bool  { return func(x float64) bool { return x <= hi } }
func above(lo float64) func(float64) bool   { return func(x float64) bool { return x > lo } }

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

// si shows a rate with k for thousands, at two or three significant digits.
func si(x float64) string {
	switch {
	case x >= 10_000:
		return fmt.Sprintf("%.0fk", x/1000)
	case x >= 1000:
		return fmt.Sprintf("%.1fk", x/1000)
	case x < 10: // the convoy under an event loop: under one round trip a second
		return fmt.Sprintf("%.2g", x)
	default:
		return fmt.Sprintf("%.0f", x)
	}
}
