package validate

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"gilbench/runner"
	"gilbench/workloads"
)

// An experiment is a set of configurations measured together, interleaved, in gilbench
// and in CPython, and the behaviours (rows) read from their figures. Each side's figures
// are kept under "experiment/key", so that a row may read another experiment's too.
type experiment struct {
	name string
	gb   gilbenchSide
	py   *cpythonSide // nil: no CPython counterpart
	rows []row
}

// gilbenchSide is what gilbench measures for an experiment: mode on workload at each
// worker count, the figures being the median elapsed seconds keyed by worker count; or,
// with convoy set, the convoy workload beside 0, 1 and 2 CPU-bound threads, the figures
// being its median round trips per second keyed by their number.
type gilbenchSide struct {
	mode     string
	workload string
	settings runner.Settings
	tasks    int
	size     int64
	workers  []int
	convoy   bool   // workload, tasks and workers follow from it
	metric   string // convoy: the figure read, by unit; "" is roundtrips/s
	// variant is the cells' variant (a free-threaded profile, freethreaded.go);
	// baseline, if set, is a mode measured beside them at 1 worker, keyed "base".
	variant  workloads.Variant
	baseline string
}

// cpythonSide is what the CPython script runs for an experiment (see cpython_validate.py):
// the figures are the medians of its measurements, keyed by thread count.
type cpythonSide struct {
	kind     string      // the script's experiment: cpu, sleep, http, subinterp, convoy, asyncio-cpu, asyncio-sleep
	python   interpreter // which CPython
	workload string      // cpu: countdown or primes
	tasks    int         // not for convoy
	size     int64
	interval float64 // the switch interval in seconds; 0: CPython's default
	threads  []int   // convoy: CPU-bound threads beside it
}

// A row is one behaviour to reproduce, its target, and how to read it from the figures.
type row struct {
	name, behaviour, target string
	value                   func(f figures) (float64, bool)
	pass                    func(x float64) bool
	show                    func(f figures, x float64) string
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

// experiments is the table of experiments at sizes s, in the order they run.
func experiments(s sizes) []experiment {
	gil := runner.DefaultSettings()
	tiny := gil
	tiny.SwitchInterval = 10 * time.Microsecond
	fast := gil
	fast.SwitchInterval = 100 * time.Microsecond
	cpuRows := func(e, w string) []row {
		return []row{
			{name: "gil: " + w + ", 2 threads", behaviour: "CPU-bound threads get no speedup: elapsed(2 threads) / elapsed(1)",
				target: "0.90–1.25", value: ratio(e+"/2", e+"/1"), pass: between(0.9, 1.25), show: showRatio},
			{name: "gil: " + w + ", 4 threads", behaviour: "nor with 4: elapsed(4 threads) / elapsed(1)",
				target: "0.90–1.25", value: ratio(e+"/4", e+"/1"), pass: between(0.9, 1.25), show: showRatio},
		}
	}
	drop := func(e, k string) func(figures) (float64, bool) { return ratio(e+"/"+k, e+"/0") }
	convoy := func(mode string, st runner.Settings) gilbenchSide {
		return gilbenchSide{mode: mode, settings: st, size: s.convoyMs, convoy: true}
	}
	pyConvoy := func(py interpreter, interval float64) *cpythonSide {
		return &cpythonSide{kind: "convoy", python: py, size: s.convoyMs, interval: interval, threads: []int{0, 1, 2}}
	}
	return append([]experiment{
		{name: "cpu-countdown",
			gb:   gilbenchSide{mode: "gil", workload: "countdown", settings: gil, tasks: s.cdTasks, size: s.cdSize, workers: []int{1, 2, 4}},
			py:   &cpythonSide{kind: "cpu", python: cpython3, workload: "countdown", tasks: s.cdTasks, size: s.pyCdSize, threads: []int{1, 2, 4}},
			rows: cpuRows("cpu-countdown", "countdown")},
		{name: "cpu-primes",
			gb:   gilbenchSide{mode: "gil", workload: "primes", settings: gil, tasks: s.prTasks, size: s.prSize, workers: []int{1, 2, 4}},
			py:   &cpythonSide{kind: "cpu", python: cpython3, workload: "primes", tasks: s.prTasks, size: s.pyPrSize, threads: []int{1, 2, 4}},
			rows: cpuRows("cpu-primes", "primes")},
		{name: "tiny-interval",
			gb: gilbenchSide{mode: "gil", workload: "countdown", settings: tiny, tasks: s.cdTasks, size: s.cdSize, workers: []int{1, 4}},
			py: &cpythonSide{kind: "cpu", python: cpython3, workload: "countdown", tasks: s.cdTasks, size: s.pyCdSize, interval: 10e-6, threads: []int{1, 4}},
			rows: []row{{name: "gil at 10 µs: countdown, 4 threads", behaviour: "a tiny switch interval makes CPU-bound threads thrash: elapsed(4) / elapsed(1)",
				target: "> 1.10", value: ratio("tiny-interval/4", "tiny-interval/1"), pass: above(1.1), show: showRatio}}},
		{name: "legacy-battle",
			gb: gilbenchSide{mode: "gil-legacy", workload: "countdown", settings: gil, tasks: s.cdTasks, size: s.cdSize, workers: []int{1, 2}},
			py: &cpythonSide{kind: "cpu", python: cpython2, workload: "countdown", tasks: s.cdTasks, size: s.pyCdSize, threads: []int{1, 2}},
			rows: []row{{name: "gil-legacy: countdown, 2 threads", behaviour: "the GIL battle: 2 CPU-bound threads on 2 cores are slower than 1: elapsed(2) / elapsed(1)",
				target: "≥ 1.25", value: ratio("legacy-battle/2", "legacy-battle/1"), pass: atLeast(1.25), show: showRatio}}},
		{name: "io-sleep",
			gb: gilbenchSide{mode: "gil", workload: "sleep", settings: gil, tasks: s.ioTasks, size: s.sleepUs, workers: []int{1, 8}},
			py: &cpythonSide{kind: "sleep", python: cpython3, tasks: s.ioTasks, size: s.sleepUs, threads: []int{1, 8}},
			rows: []row{{name: "gil: sleep, 8 threads", behaviour: "I/O-bound threads overlap their waits: speedup elapsed(1) / elapsed(8)",
				target: "≥ 6", value: ratio("io-sleep/1", "io-sleep/8"), pass: atLeast(6), show: showRatio}}},
		{name: "io-http",
			gb: gilbenchSide{mode: "gil", workload: "http", settings: gil, tasks: s.ioTasks, size: s.httpGets, workers: []int{1, 8}},
			py: &cpythonSide{kind: "http", python: cpython3, tasks: s.ioTasks, size: s.httpGets, threads: []int{1, 8}},
			rows: []row{{name: "gil: http, 8 threads", behaviour: "the same for HTTP requests to a local server (2 ms latency): speedup",
				target: "≥ 6", value: ratio("io-http/1", "io-http/8"), pass: atLeast(6), show: showRatio}}},
		{name: "convoy-5ms",
			gb: convoy("gil", gil), py: pyConvoy(cpython3, 5e-3),
			rows: []row{
				{name: "gil convoy at 5 ms: beside 1 CPU thread", behaviour: "convoy effect (bpo-7946): round trips/s beside 1 CPU-bound thread, of alone",
					target: "≤ 1/20", value: drop("convoy-5ms", "1"), pass: atMost(1.0 / 20), show: showDrop("convoy-5ms/1", "convoy-5ms/0")},
				{name: "gil convoy at 5 ms: beside 2 CPU threads", behaviour: "worse beside 2 CPU-bound threads",
					target: "≤ 1/100", value: drop("convoy-5ms", "2"), pass: atMost(1.0 / 100), show: showDrop("convoy-5ms/2", "convoy-5ms/0")},
			}},
		{name: "convoy-0.1ms",
			gb: convoy("gil", fast), py: pyConvoy(cpython3, 1e-4),
			rows: []row{
				{name: "gil convoy at 0.1 ms: beside 1", behaviour: "a shorter interval shrinks the convoy: drop at 5 ms / drop at 0.1 ms, beside 1 CPU thread",
					target: "≥ 5", value: dropRatio("1"), pass: atLeast(5), show: showRatio},
				{name: "gil convoy at 0.1 ms: beside 2", behaviour: "the same beside 2 CPU-bound threads",
					target: "≥ 5", value: dropRatio("2"), pass: atLeast(5), show: showRatio},
			}},
		{name: "convoy-legacy",
			gb: convoy("gil-legacy", gil), py: pyConvoy(cpython2, 0),
			rows: []row{
				{name: "gil-legacy: convoy beside 1", behaviour: "no convoy under the legacy GIL: round trips/s beside 1 CPU-bound thread, of alone",
					target: "≥ 1/3", value: drop("convoy-legacy", "1"), pass: atLeast(1.0 / 3), show: showDrop("convoy-legacy/1", "convoy-legacy/0")},
				{name: "gil-legacy: convoy beside 2", behaviour: "nor beside 2",
					target: "≥ 1/3", value: drop("convoy-legacy", "2"), pass: atLeast(1.0 / 3), show: showDrop("convoy-legacy/2", "convoy-legacy/0")},
			}},
		{name: "asyncio-sleep",
			gb: gilbenchSide{mode: "asyncio", workload: "sleep", settings: gil, tasks: s.ioTasks, size: s.sleepUs, workers: []int{1, 8}},
			py: &cpythonSide{kind: "asyncio-sleep", python: cpython3, tasks: s.ioTasks, size: s.sleepUs, threads: []int{1, 8}},
			rows: []row{{name: "asyncio: sleep, 8 coroutines", behaviour: "awaited I/O overlaps on one thread: speedup elapsed(1) / elapsed(8)",
				target: "≥ 6", value: ratio("asyncio-sleep/1", "asyncio-sleep/8"), pass: atLeast(6), show: showRatio}}},
		{name: "asyncio-primes",
			gb: gilbenchSide{mode: "asyncio", workload: "primes", settings: gil, tasks: s.prTasks, size: s.prSize, workers: []int{1, 2}},
			py: &cpythonSide{kind: "asyncio-cpu", python: cpython3, workload: "primes", tasks: s.prTasks, size: s.pyPrSize, threads: []int{1, 2}},
			rows: []row{{name: "asyncio: primes, 2 coroutines", behaviour: "CPU work never yields: elapsed(2 coroutines) / elapsed(1)",
				target: "0.90–1.15", value: ratio("asyncio-primes/2", "asyncio-primes/1"), pass: between(0.9, 1.15), show: showRatio}}},
		{name: "convoy-asyncio",
			gb: convoy("asyncio", gil),
			rows: []row{{name: "asyncio convoy: beside 1 CPU task", behaviour: "the blocked loop: round trips/s beside 1 CPU-bound task, of gil's beside 1 at 5 ms",
				target: "≤ 1/10", value: ratio("convoy-asyncio/1", "convoy-5ms/1"), pass: atMost(1.0 / 10), show: showDrop("convoy-asyncio/1", "convoy-5ms/1")}}},
		{name: "convoy-asyncio-lag",
			gb: gilbenchSide{mode: "asyncio", settings: gil, size: s.convoyMs, convoy: true, metric: "loop-lag-p99-ns"},
			rows: []row{{name: "asyncio convoy: loop lag", behaviour: "the ready I/O task waits for the whole CPU task: loop lag p99 beside 1 CPU-bound task, of the task's run",
				target: "≥ 0.5", value: lagOfSpin("convoy-asyncio-lag/1", s.convoyMs), pass: atLeast(0.5), show: showRatio}}},
		{name: "subinterp",
			gb: gilbenchSide{mode: "subinterp", workload: "countdown", settings: gil, tasks: s.cdTasks, size: s.cdSize, workers: []int{1, 2}},
			py: &cpythonSide{kind: "subinterp", python: cpythonSub, tasks: s.cdTasks, size: s.pySubSize, threads: []int{1, 2}},
			rows: []row{{name: "subinterp: countdown, 2 interpreters", behaviour: "a GIL per interpreter (PEP 684): CPU-bound speedup elapsed(1) / elapsed(2)",
				target: "≥ 1.8", value: ratio("subinterp/1", "subinterp/2"), pass: atLeast(1.8), show: showRatio}}},
	}, ftExperiments(s)...)
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
