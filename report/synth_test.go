package report

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"

	"gilbench/vocab"
)

// synthetic result files: plausible numbers for a 2-core machine, with
// the layout and units of docs/RESULTS.md. They stand in for real runs
// in tests and benchmarks (the report never imports the runner).

type synthWorkload struct {
	name, class string
	cpu         float64 // CPU seconds per task
	io          float64 // seconds per task spent off the CPU (lock released)
	latency     bool    // reports p50/p99
	roundtrips  bool    // convoy: reports roundtrips/s
	lost        bool    // reports lost-updates/op
}

var synthWorkloads = map[string]synthWorkload{
	"primes":  {name: "primes", class: "CPU", cpu: 2.0e-3},
	"mandel":  {name: "mandel", class: "CPU", cpu: 3.1e-3},
	"fetch":   {name: "fetch", class: "IO", cpu: 0.12e-3, io: 1.0e-3, latency: true},
	"files":   {name: "files", class: "IO", cpu: 0.25e-3, io: 0.4e-3, latency: true},
	"convoy":  {name: "convoy", class: "Mixed", cpu: 1.0e-3, io: 0.2e-3, latency: true, roundtrips: true},
	"counter": {name: "counter", class: "Shared", cpu: 0.5e-3, lost: true},
}

var synthModes = []string{"sequential", "gil", "gil-legacy", "subinterp", "goroutine", "process", "native"}

type synthConfig struct {
	run       string
	commit    string
	workloads []string
	modes     []string
	workers   []int
	reps      int
	seed      uint64
	noise     float64            // relative noise (σ of a log-normal)
	speed     map[string]float64 // per-mode CPU cost factor (1 if absent)
	// ftPythons are free-threaded CPython builds ("3.14t") whose
	// cpython-threads cells the run has, beside 2.7 and 3.11.
	ftPythons []string
	// noModeLines leaves out the mode lines, as runs did before they
	// were written.
	noModeLines bool
}

// synthRoles are the roles the runner gives the modes.
var synthRoles = map[string]string{"sequential": "baseline", "native": "reference"}

// synthNotes are the runner's counterparts and note lines of the modes.
var synthNotes = map[string]vocab.ModeInfo{
	"sequential":    {Counterpart: "cpython-seq", Python: "a plain loop on one thread, no threading", Doc: "https://docs.python.org/3/tutorial/controlflow.html"},
	"gil":           {Counterpart: "cpython-threads", Python: "threading.Thread workers over queue.Queue under CPython's GIL (3.2+)", Doc: "https://docs.python.org/3/library/threading.html"},
	"gil-legacy":    {Counterpart: "cpython-threads/python=2.7", Python: "threading.Thread workers under CPython 2's GIL (check interval, no hand-off)", Doc: "https://docs.python.org/2.7/library/threading.html"},
	"subinterp":     {Counterpart: "cpython-subinterp", Python: "concurrent.interpreters: one sub-interpreter per worker, each with its own GIL (3.14+)", Doc: "https://peps.python.org/pep-0734/"},
	"goroutine":     {Python: "threading.Thread workers on free-threaded CPython (3.13t, 3.14t: no GIL)", Doc: "https://peps.python.org/pep-0703/"},
	"process":       {Counterpart: "cpython-process", Python: "multiprocessing.Process workers fed by a JoinableQueue, results on a Queue", Doc: "https://docs.python.org/3/library/multiprocessing.html"},
	"native":        {Python: "no Python: the same work in plain Go on goroutines", Doc: "https://go.dev/doc/effective_go#concurrency"},
	"free-threaded": {Counterpart: "cpython-threads", Python: "threading.Thread workers on free-threaded CPython (python3.13t, python3.14t)", Doc: "https://peps.python.org/pep-0779/"},
}

// synthFTCost is the single-thread cost of the free-threaded mode's
// profiles (its ft= name part) over goroutine's: the published overheads.
var synthFTCost = map[string]float64{"3.13": 1.40, "3.14": 1.075}

func defaultMatrix() synthConfig {
	return synthConfig{
		run: "synthetic-default", commit: "0000000",
		workloads: []string{"primes", "mandel", "fetch", "files", "convoy", "counter"},
		modes:     synthModes, workers: []int{1, 2, 4, 8}, reps: 6, seed: 1, noise: 0.02,
	}
}

// writeSynth writes a raw result file.
func writeSynth(w io.Writer, c synthConfig) error {
	rng := rand.New(rand.NewPCG(c.seed, 2))
	var b strings.Builder
	fmt.Fprintf(&b, "goos: linux\ngoarch: amd64\ncpu: Synthetic CPU @ 2.00GHz\ngomaxprocs: 2\ngo: go1.26.8\n")
	fmt.Fprintf(&b, "gilbench: v0.1.0\ncommit: %s\ndate: 2026-11-25T08:00:00Z\nrun: %s\n", c.commit, c.run)
	fmt.Fprintf(&b, "tasks: default\nsize: default\nswitch-interval: 5ms\ncheck-interval: 100\nscaling: strong\n")
	// Like the runner: metadata only where higher is better.
	fmt.Fprintf(&b, "Unit tasks/s better=higher\nUnit roundtrips/s better=higher\n")
	if !c.noModeLines {
		// Like the runner: one line per mode, in the run's order.
		var notes []string
		for _, mode := range c.modes {
			role := synthRoles[mode]
			if role == "" {
				role = "rival"
			}
			m := synthNotes[mode]
			m.Name, m.Role = mode, vocab.Role(role)
			fmt.Fprintf(&b, "%s: %s\n", vocab.ModeConfigKey(mode), vocab.ModeConfigValue(m))
			if n := vocab.ModeNoteLine(m); n != "" {
				notes = append(notes, n)
			}
		}
		for _, n := range notes {
			fmt.Fprintln(&b, n)
		}
	}
	const cores = 2.0
	const tasks = 200
	for _, wn := range c.workloads {
		wl := synthWorkloads[wn]
		for _, v := range synthVariants(c) {
			mode, name := v.physics, v.name
			for _, n := range c.workers {
				if mode == "sequential" && n != 1 {
					continue
				}
				for rep := 0; rep < c.reps; rep++ {
					noise := func() float64 { return math.Exp(rng.NormFloat64() * c.noise) }
					f := v.speed
					if s, ok := c.speed[mode]; ok {
						f *= s
					}
					cpu := wl.cpu * f
					par := math.Min(float64(n), cores)
					var wall, wait, hold float64
					lock := false
					switch mode {
					case "sequential":
						wall = cpu + wl.io
					case "gil", "gil-legacy":
						lock = true
						if mode == "gil" {
							cpu *= 1 + 0.03*float64(n-1)
						} else {
							cpu *= 1.12 + 0.05*float64(n-1)
						}
						wall = math.Max(cpu, (cpu+wl.io)/float64(n))
						hold = cpu
						wait = math.Max(0, wall*float64(n)-cpu-wl.io)
					case "subinterp":
						lock = true
						cpu *= 1.04
						wall = math.Max(cpu/par, (cpu+wl.io)/float64(n))
						hold = cpu
						wait = cpu * 0.002
					case "goroutine":
						cpu *= 1.10
						wall = math.Max(cpu/par, (cpu+wl.io)/float64(n))
					case "free-threaded":
						cpu *= 1.10 // goroutine's, and the profile's cost (v.speed)
						wall = math.Max(cpu/par, (cpu+wl.io)/float64(n))
					case "process":
						cpu = cpu*1.02 + 40e-6
						wall = math.Max(cpu/par, (cpu+wl.io)/float64(n))
					case "native":
						cpu /= 25
						wall = math.Max(cpu/par, (cpu+wl.io)/float64(n))
					}
					wall *= noise()
					cpu *= noise()
					fmt.Fprintf(&b, "Benchmark%s/workload=%s/mode=%s/workers=%d%s-2 \t%8d\t%12.0f ns/op\t%10.1f tasks/s\t%12.0f cpu-ns/op",
						wl.class, wl.name, name, n, v.tail, tasks, wall*1e9, 1/wall, cpu*1e9)
					rss := 24e6 + float64(n)*1.5e6
					if mode == "process" {
						rss = 24e6 + float64(n)*19e6
					}
					fmt.Fprintf(&b, "\t%10.0f peak-rss-B", rss*(1+0.001*rng.Float64()))
					if wl.latency {
						p50 := (wl.cpu + wl.io) * noise()
						if lock && mode != "subinterp" {
							p50 += wait / 2
						}
						p99 := p50 * (1.4 + 0.1*float64(n)) * noise()
						fmt.Fprintf(&b, "\t%10.0f p50-ns\t%10.0f p99-ns", p50*1e9, p99*1e9)
					}
					start := 20e-6 * float64(n)
					if mode == "process" {
						start = 25e-3 * float64(n)
					}
					fmt.Fprintf(&b, "\t%10.0f start-ns/op", start*1e9/tasks*noise())
					if lock {
						sw := float64(n-1) * cpu / 5e-3 * noise()
						if mode == "subinterp" {
							sw = 0
						}
						fmt.Fprintf(&b, "\t%8.3f switches/op\t%8.3f forced-drops/op\t%10.0f gil-wait-ns/op\t%10.0f gil-hold-ns/op\t%8.3f acquisitions/op",
							sw, sw*0.8, wait*1e9*noise(), hold*1e9, 1+sw)
					}
					if wl.roundtrips {
						rt := 1 / (wl.io + 0.02e-3)
						if lock && mode != "subinterp" && n > 1 {
							rt = 1 / (wl.io + 5e-3)
						}
						fmt.Fprintf(&b, "\t%10.1f roundtrips/s", rt*noise())
					}
					if wl.lost {
						lu := 0.0
						if mode == "goroutine" || mode == "native" || mode == "free-threaded" {
							lu = 0.01 * float64(n-1) * noise()
						}
						fmt.Fprintf(&b, "\t%8.4f lost-updates/op", lu)
					}
					b.WriteString("\n")
				}
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// A synthVariant is one column of a synthetic run: its name part (a
// cpython mode carries the interpreter, "cpython-threads/python=3.11"),
// the emulated mode whose physics it follows, and a speed factor; tail
// are name parts after the workers (the free-threaded mode's "/ft=3.14").
type synthVariant struct {
	name, physics, tail string
	speed               float64
}

// synthCPython are the real-CPython modes the synthetic runs know: the
// emulated mode each behaves like, per interpreter version.
var synthCPython = map[string]map[string]string{
	"cpython-seq":       {"2.7": "sequential", "3.11": "sequential"},
	"cpython-threads":   {"2.7": "gil-legacy", "3.11": "gil"},
	"cpython-subinterp": {"3.11": "subinterp"},
	"cpython-process":   {"3.11": "process"},
}

func synthVariants(c synthConfig) []synthVariant {
	var out []synthVariant
	for _, m := range c.modes {
		vs, ok := synthCPython[m]
		if m == "free-threaded" {
			// Like the runner: one cell per profile, ft= after the workers.
			for _, ft := range []string{"3.13", "3.14"} {
				out = append(out, synthVariant{name: m, physics: m, tail: "/ft=" + ft, speed: synthFTCost[ft]})
			}
			continue
		}
		if !ok {
			out = append(out, synthVariant{name: m, physics: m, speed: 1})
			continue
		}
		for _, py := range append([]string{"2.7", "3.11"}, c.ftPythons...) {
			phys, ok := vs[py]
			if strings.HasSuffix(py, "t") {
				// A free-threaded build: its threads run in parallel.
				phys, ok = map[string]string{"cpython-seq": "sequential", "cpython-threads": "free-threaded"}[m]
			}
			if ok {
				// CPython runs bytecode faster than the emulator; a
				// free-threaded build pays its profile's cost.
				speed := 0.7
				if f, ft := synthFTCost[strings.TrimSuffix(py, "t")]; ft && strings.HasSuffix(py, "t") {
					speed *= f
				}
				out = append(out, synthVariant{name: m + "/python=" + py, physics: phys, speed: speed})
			}
		}
	}
	return out
}
