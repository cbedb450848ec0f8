// Package vocab is gilbench's result vocabulary: the units a run writes and which way
// each is better, the key=value parts of result names, the workload classes, the roles
// modes play in a comparison, and the config lines that carry what a reader of raw.txt
// needs to know about the modes.
//
// runner writes with it and report reads with it, so the two never have to agree on a
// spelling by hand, and report still never imports runner. It imports nothing of the
// project; x/perf's benchunit is the model (and does the tidying: "ns" becomes "sec",
// so the runner's "gil-wait-ns/op" is the report's "gil-wait-sec/op").
package vocab

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/perf/benchunit"
)

// Better says which way a unit improves.
type Better int

const (
	Lower  Better = iota // times, costs, counts of bad events
	Higher               // rates
)

func (b Better) String() string {
	if b == Higher {
		return "higher"
	}
	return "lower"
}

// A Unit is one measurement as written in raw.txt.
type Unit struct {
	// Name is the unit as the runner writes it ("gil-wait-ns/op"); report sees it
	// tidied (Tidy).
	Name   string
	Better Better
	// PerOp units are collected as a batch's total and divided by its tasks.
	PerOp bool
	// Label is a short description for people ("time waiting for the GIL per task").
	Label string
}

// Tidy is the unit as benchfmt hands it to a reader: "ns/op" → "sec/op".
func (u Unit) Tidy() string { return Tidy(u.Name) }

// Tidy normalises a unit name the way benchfmt does when it reads a file.
func Tidy(name string) string {
	_, t := benchunit.Tidy(1, name)
	return t
}

// The units every cell has.
var (
	Time       = Unit{"ns/op", Lower, false, "wall time per task"}
	Tasks      = Unit{"tasks/s", Higher, false, "tasks per second"}
	CPU        = Unit{"cpu-ns/op", Lower, false, "CPU time per task, this process and its workers"}
	PeakRSS    = Unit{"peak-rss-B", Lower, false, "peak resident memory of the cell"}
	StartUp    = Unit{"start-ns/op", Lower, false, "start-up of the workers, per task"}
	P50        = Unit{"p50-ns", Lower, false, "median task latency"}
	P99        = Unit{"p99-ns", Lower, false, "99th percentile task latency"}
	Roundtrips = Unit{"roundtrips/s", Higher, false, "I/O round trips per second beside the CPU-bound threads"}
)

// What a worker costs before it works, on every cell's lines (runner/workercost.go).
var (
	StartPerWorker = Unit{"start-ns/worker", Lower, false, "start-up per worker: making the workers, divided by their number"}
	RSSPerWorker   = Unit{"peak-rss-B/worker", Lower, false, "peak resident memory per worker: a worker process's own, or what a thread, coroutine or interpreter adds"}
)

// The interpreter lock's figures (interp.LockStats), per task.
var (
	LockAcquisitions = Unit{"acquisitions/op", Lower, true, "GIL acquisitions per task"}
	LockSwitches     = Unit{"switches/op", Lower, true, "GIL hand-offs between threads per task"}
	LockForcedDrops  = Unit{"forced-drops/op", Lower, true, "drops forced by a waiter's request per task"}
	LockWait         = Unit{"gil-wait-ns/op", Lower, true, "time threads waited for the GIL per task"}
	LockHold         = Unit{"gil-hold-ns/op", Lower, true, "time the GIL was held per task"}
)

// The shared objects' figures (interp.ObjectStats: threading.Lock objects), per task.
var (
	ObjLockAcquisitions = Unit{"lock-acquisitions/op", Lower, true, "Lock acquisitions per task"}
	ObjLockContended    = Unit{"lock-contended/op", Lower, true, "Lock acquisitions that had to wait, per task"}
	ObjLockWait         = Unit{"lock-wait-ns/op", Lower, true, "time spent waiting for a Lock per task"}
	LostUpdates         = Unit{"lost-updates/op", Lower, true, "increments of a shared counter lost per task"}
)

// The event loop's figures (interp.LoopStats): loop lag is the time from a coroutine
// becoming ready (spawned, or its awaited I/O finished) to the loop running it.
var (
	LoopLagP50 = Unit{"loop-lag-p50-ns", Lower, false, "median loop lag: a ready coroutine's wait for the loop"}
	LoopLagP99 = Unit{"loop-lag-p99-ns", Lower, false, "99th percentile loop lag"}
	LoopAwaits = Unit{"awaits/op", Lower, true, "awaits that parked a coroutine, per task"}
)

// The broker's figures (the cluster mode).
var (
	Redeliveries = Unit{"redeliveries/op", Lower, true, "jobs delivered again after their ack wait, per task"}
	Duplicates   = Unit{"duplicates/op", Lower, true, "results of tasks already counted (a redelivered job had finished), per task"}
	Connect      = Unit{"connect-ns", Lower, false, "a worker's start-up: connect, cell's tasks built, consumer ready"}
)

// Units lists every unit the project writes, in the order tables show them.
var Units = []Unit{
	Time, Tasks, CPU, PeakRSS, StartUp, StartPerWorker, RSSPerWorker, P50, P99, Roundtrips,
	LockAcquisitions, LockSwitches, LockForcedDrops, LockWait, LockHold,
	ObjLockAcquisitions, ObjLockContended, ObjLockWait, LostUpdates,
	LoopLagP50, LoopLagP99, LoopAwaits,
	Redeliveries, Duplicates, Connect,
}

// LookupUnit finds a unit by its written or its tidied name.
func LookupUnit(name string) (Unit, bool) {
	for _, u := range Units {
		if u.Name == name || u.Tidy() == name {
			return u, true
		}
	}
	return Unit{}, false
}

// IsRate reports whether a unit is per second ("tasks/s", "B/s").
func IsRate(name string) bool {
	return strings.HasSuffix(name, "/s") || strings.HasSuffix(name, "/sec")
}

// BetterOf is the better-direction of a unit: the project's own, else higher for
// rates and lower for everything else (benchstat's assumption).
func BetterOf(name string) Better {
	if u, ok := LookupUnit(name); ok {
		return u.Better
	}
	if IsRate(name) {
		return Higher
	}
	return Lower
}

// Name keys: the key=value parts of a result's name, after its class.
const (
	KeyWorkload = "workload"
	KeyMode     = "mode"
	KeyWorkers  = "workers"
	// KeyProcs is the GOMAXPROCS a cell ran at when its mode needs its own (the
	// thread modes give every interpreter thread a P). The -N suffix of every name
	// stays the machine's GOMAXPROCS, so that benchstat lines rows up.
	KeyProcs = "procs"
	// KeyPython is the CPython a cell of a cpython-* mode ran in: its major.minor
	// version, with a t for a free-threaded build running without its GIL ("3.13t"),
	// so that benchstat can put versions in columns.
	KeyPython = "python"
	// KeyStart is multiprocessing's start method of a cpython-process cell (fork,
	// spawn, forkserver).
	KeyStart = "start"
	// KeyFT is the free-threaded mode's cost profile: the CPython whose free-threaded
	// build it stands for (3.13, 3.14).
	KeyFT = "ft"
	// KeyChunksize is the number of tasks a process pool sends in one job message
	// (Pool.map's and ProcessPoolExecutor.map's chunksize); a workload's sweep sets it,
	// the modes whose workers take jobs from an in-process queue ignore it.
	KeyChunksize = "chunksize"
	// KeyPrefetch is how many jobs a cluster worker holds unacknowledged (the job
	// consumer's MaxAckPending is prefetch × workers; Celery's prefetch multiplier),
	// and KeyAckWait how long the server waits for a job's acknowledgement before it
	// delivers the job again (a Go duration: 5s). Every cluster cell's name has both,
	// defaults included.
	KeyPrefetch = "prefetch"
	KeyAckWait  = "ackwait"
)

// Reserved are the keys a workload's sweep may not use.
var Reserved = []string{KeyWorkload, KeyMode, KeyWorkers, KeyProcs, KeyPython, KeyStart, KeyFT, KeyPrefetch, KeyAckWait}

// A Class says what bounds a workload; it is the first part of a result's name
// (BenchmarkCPU/…).
type Class string

const (
	ClassCPU    Class = "CPU"    // interpreted or native computation
	ClassIO     Class = "IO"     // real I/O that releases the interpreter lock
	ClassMixed  Class = "Mixed"  // I/O beside computation (convoy)
	ClassShared Class = "Shared" // shared mutable state
)

// CPUBound reports whether the class's time is the CPU's: wall time far above CPU
// time then means the machine was busy.
func (c Class) CPUBound() bool { return c == ClassCPU }

// A Role is what a mode is in a comparison.
type Role string

const (
	// Baseline is what every cell is compared with (one thread, no contention).
	Baseline Role = "baseline"
	// Reference is a yardstick: shown in tables and plots, never the verdict's winner
	// (plain Go wins every time and says nothing about Python's choices).
	Reference Role = "reference"
	// Rival is a strategy a Python programmer weighs.
	Rival Role = "rival"
)

// ParseRole reads a role from a config line's value.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case Baseline, Reference, Rival:
		return r, nil
	}
	return "", fmt.Errorf("unknown mode role %q (want %s, %s or %s)", s, Baseline, Reference, Rival)
}

// ModeConfigPrefix starts the config line that describes a mode of the run:
//
//	mode-gil: rival
//
// one line per mode, in the order the run lists them (which is also their colour
// order), before the first result. Stock benchstat sees constant file configuration
// and splits nothing.
const ModeConfigPrefix = "mode-"

// ModeConfigKey is the config key of mode's line.
func ModeConfigKey(mode string) string { return ModeConfigPrefix + mode }

// A ModeInfo is what a results file says about one of its modes.
type ModeInfo struct {
	Name string
	Role Role
	// Counterpart is the mode that runs the same strategy on real CPython, with the
	// name keys its cells must carry ("cpython-threads", "cpython-threads/python=2.7");
	// "" if none. It is on the mode's config line.
	Counterpart string
	// Python is the code a Python programmer would write for the strategy, and Doc the
	// PEP or Python documentation that describes it; both from the mode's note line.
	Python string
	Doc    string
}

// CounterpartKey is the field of a mode line that names its real-CPython counterpart:
//
//	mode-gil: rival counterpart=cpython-threads
const CounterpartKey = "counterpart"

// ModeConfigValue is the value of m's config line: its role and, when it has one, its
// counterpart. It is constant for the file.
func ModeConfigValue(m ModeInfo) string {
	s := string(m.Role)
	if m.Counterpart != "" {
		s += " " + CounterpartKey + "=" + m.Counterpart
	}
	return s
}

// ParseModeConfig reads a mode line's key and value; ok is false for other keys.
func ParseModeConfig(key, value string) (m ModeInfo, ok bool, err error) {
	name, ok := strings.CutPrefix(key, ModeConfigPrefix)
	if !ok || name == "" {
		return ModeInfo{}, false, nil
	}
	fields := strings.Fields(value)
	if len(fields) == 0 {
		return ModeInfo{}, true, fmt.Errorf("config %s: no role", key)
	}
	role, err := ParseRole(fields[0])
	if err != nil {
		return ModeInfo{}, true, fmt.Errorf("config %s: %w", key, err)
	}
	m = ModeInfo{Name: name, Role: role}
	for _, f := range fields[1:] {
		k, v, found := strings.Cut(f, "=")
		switch {
		case !found || v == "":
			return ModeInfo{}, true, fmt.Errorf("config %s: want key=value after the role, not %q", key, f)
		case k == CounterpartKey:
			m.Counterpart = v
		}
		// Other keys are for later readers; this one skips them.
	}
	return m, true, nil
}

// SplitCounterpart separates a counterpart into its mode and the name keys its cells
// must carry: "cpython-threads/python=2.7" is "cpython-threads" and ["python=2.7"].
func SplitCounterpart(c string) (mode string, keys []string) {
	parts := strings.Split(c, "/")
	return parts[0], parts[1:]
}

// ModeNotePrefix starts the comment line that tells people what a mode is, after the
// mode lines; stock benchstat ignores it:
//
//	# mode gil: python="threading.Thread workers over queue.Queue under CPython's GIL (3.2+)" doc="https://docs.python.org/3/library/threading.html"
//
// Values are Go-quoted strings, so they may hold any text.
const ModeNotePrefix = "# mode "

// ModeNoteLine is m's note line, without the newline; "" when m has neither Python
// nor Doc.
func ModeNoteLine(m ModeInfo) string {
	if m.Python == "" && m.Doc == "" {
		return ""
	}
	s := ModeNotePrefix + m.Name + ":"
	if m.Python != "" {
		s += " python=" + strconv.Quote(m.Python)
	}
	if m.Doc != "" {
		s += " doc=" + strconv.Quote(m.Doc)
	}
	return s
}

// ParseModeNote reads a note line: the mode's name, Python and Doc set. ok is false
// for other lines; a note line that does not parse is an error.
func ParseModeNote(line string) (m ModeInfo, ok bool, err error) {
	name, kv, ok, err := parseNote(ModeNotePrefix, "mode note", line)
	if !ok || err != nil {
		return ModeInfo{}, ok, err
	}
	return ModeInfo{Name: name, Python: kv["python"], Doc: kv["doc"]}, true, nil
}

// WorkloadNotePrefix starts the comment line that tells the report what a user's own
// workload is — its file and its docstring — which no catalogue knows; stock benchstat
// ignores it:
//
//	# workload mine: file="./mine.py" doc="Count primes my way."
const WorkloadNotePrefix = "# workload "

// A WorkloadNote is a user's workload as its note line gives it.
type WorkloadNote struct{ Name, File, Doc string }

// WorkloadNoteLine is n's note line, without the newline.
func WorkloadNoteLine(n WorkloadNote) string {
	return WorkloadNotePrefix + n.Name + ": file=" + strconv.Quote(n.File) + " doc=" + strconv.Quote(n.Doc)
}

// ParseWorkloadNote reads a workload's note line; ok is false for other lines, and a
// note line that does not parse is an error.
func ParseWorkloadNote(line string) (n WorkloadNote, ok bool, err error) {
	name, kv, ok, err := parseNote(WorkloadNotePrefix, "workload note", line)
	if !ok || err != nil {
		return WorkloadNote{}, ok, err
	}
	return WorkloadNote{Name: name, File: kv["file"], Doc: kv["doc"]}, true, nil
}

// parseNote reads `<prefix>NAME: key="value" ...` (Go-quoted values). ok is false for
// lines that are not such a note; one whose values do not parse is an error, named by
// what.
func parseNote(prefix, what, line string) (name string, kv map[string]string, ok bool, err error) {
	rest, ok := strings.CutPrefix(line, prefix)
	if !ok {
		return "", nil, false, nil
	}
	name, rest, found := strings.Cut(rest, ":")
	if !found || name == "" || strings.ContainsAny(name, " \t") {
		return "", nil, false, nil
	}
	kv = map[string]string{}
	for rest = strings.TrimSpace(rest); rest != ""; rest = strings.TrimSpace(rest) {
		k, v, found := strings.Cut(rest, "=")
		if !found {
			return "", nil, true, fmt.Errorf("%s %s: want key=\"value\", not %q", what, name, rest)
		}
		q, err := strconv.QuotedPrefix(v)
		if err != nil {
			return "", nil, true, fmt.Errorf("%s %s: %s: %w", what, name, k, err)
		}
		kv[k], _ = strconv.Unquote(q)
		rest = v[len(q):]
	}
	return name, kv, true, nil
}

// OutcomePrefix starts the line that records how a cell ended, after its results:
//
//	# cell CPU/workload=primes/mode=process/workers=2: completed
//	# cell CPU/workload=primes/mode=process/workers=4: failed: worker pid 4242 exited with signal 9
//	# cell IO/workload=sleep/mode=gil/workers=8: interrupted
//
// Stock benchstat ignores such lines (they are neither results nor configuration); the
// report reads them so that a failed cell's finished repetitions are never taken for a
// complete cell.
const OutcomePrefix = "# cell "

// A Status is how a cell ended.
type Status string

const (
	Completed   Status = "completed"
	Failed      Status = "failed"
	Interrupted Status = "interrupted"
	Skipped     Status = "skipped"
)

// An Outcome is how one cell of a run ended.
type Outcome struct {
	Cell   string // the result name without "Benchmark" and the -N suffix
	Status Status
	Reason string // why it failed or was skipped; one line
}

// Line is the outcome as raw.txt holds it, without the newline.
func (o Outcome) Line() string {
	s := OutcomePrefix + o.Cell + ": " + string(o.Status)
	if o.Reason != "" {
		s += ": " + strings.Join(strings.Fields(o.Reason), " ")
	}
	return s
}

// ParseOutcome reads an outcome line; ok is false for any other line.
func ParseOutcome(line string) (o Outcome, ok bool) {
	rest, ok := strings.CutPrefix(line, OutcomePrefix)
	if !ok {
		return Outcome{}, false
	}
	cell, rest, ok := strings.Cut(rest, ": ")
	if !ok || cell == "" {
		return Outcome{}, false
	}
	status, reason, _ := strings.Cut(rest, ": ")
	switch st := Status(status); st {
	case Completed, Failed, Interrupted, Skipped:
		return Outcome{Cell: cell, Status: st, Reason: reason}, true
	}
	return Outcome{}, false
}

// The noise guard's records. Before the first result a config line (constant for the
// file, so stock benchstat splits nothing) says how busy the machine was before the
// run began; after each workload a comment line says how busy it was while the
// workload ran:
//
//	noise-before: other=0.02 steal=0.00 cores=2
//	# noise primes: other=0.91 steal=0.00 cores=2
//
// other is the number of cores that processes outside the run kept busy on average,
// steal the cores the hypervisor took.
const (
	NoiseBeforeKey = "noise-before"
	NoisePrefix    = "# noise "
)

// A Load is how busy the machine was over an interval, besides the run itself.
type Load struct {
	Other float64 // cores used by other processes, on average
	Steal float64 // cores taken by the hypervisor, on average
	Cores int
}

// BusyThreshold is the share of one core that other processes may use before a run's
// timings are called not comparable.
const BusyThreshold = 0.25

// Busy reports whether other processes competed for the CPUs.
func (l Load) Busy() bool { return l.Other+l.Steal > BusyThreshold }

// String is the value of a noise record.
func (l Load) String() string {
	return fmt.Sprintf("other=%.2f steal=%.2f cores=%d", l.Other, l.Steal, l.Cores)
}

// Warning is what a reader is told about a busy machine ("" if it was not).
func (l Load) Warning(during string) string {
	if !l.Busy() {
		return ""
	}
	return fmt.Sprintf("the machine was busy: other processes used %.1f of %d cores %s; timings are not comparable", l.Other+l.Steal, l.Cores, during)
}

// ParseLoad reads a noise record's value.
func ParseLoad(s string) (Load, error) {
	var l Load
	if _, err := fmt.Sscanf(strings.TrimSpace(s), "other=%g steal=%g cores=%d", &l.Other, &l.Steal, &l.Cores); err != nil {
		return Load{}, fmt.Errorf("noise record %q: %w", s, err)
	}
	return l, nil
}

// NoiseLine is the comment line of a workload's load.
func NoiseLine(workload string, l Load) string { return NoisePrefix + workload + ": " + l.String() }

// ParseNoiseLine reads a workload's noise line; ok is false for other lines.
func ParseNoiseLine(line string) (workload string, l Load, ok bool) {
	rest, ok := strings.CutPrefix(line, NoisePrefix)
	if !ok {
		return "", Load{}, false
	}
	workload, val, ok := strings.Cut(rest, ": ")
	if !ok {
		return "", Load{}, false
	}
	l, err := ParseLoad(val)
	if err != nil {
		return "", Load{}, false
	}
	return workload, l, true
}
