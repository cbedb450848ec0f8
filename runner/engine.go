package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"time"

	"golang.org/x/perf/benchfmt"

	"gilbench/compiler"
	"gilbench/vocab"
	"gilbench/workloads"
)

// The measurement engine: the one place where a cell's pool is started, timed, checked
// and turned into values. `gilbench run`, `gilbench validate` and the `go test -bench`
// suite all measure through a Session, for in-process and out-of-process pools alike:
//
//   - Open starts the workers with the timer off (their start-up is its own figure),
//     at the GOMAXPROCS the mode asks for;
//   - Measure runs batches: each pool queues its jobs with the timer off, releases its
//     workers together (the starting gun) and times the batch to its last result; the
//     engine verifies each batch's checksum against the workload's reference and adds
//     the CPU time of this process and of the workers;
//   - the values are those of vocab: time and rate per task, CPU, peak RSS, start-up,
//     latency percentiles for I/O workloads, and the lock's and the workload's figures.
//
// Sessions of several cells may be open at once and measured in turn (interleaved
// repetitions); each Measure sets its own cell's GOMAXPROCS for its batches.

// Session is one cell's started pool.
type Session struct {
	Cell    Cell
	pool    Pool
	startNs float64
	rss0    int64         // this process's RSS before the workers were made
	want    map[int]int64 // reference checksums by tasks
	closed  bool
}

// Sample is what one Measure measured: its batches merged.
type Sample struct {
	Tasks  int // tasks in all its batches
	Batch  Batch
	CPU    time.Duration // this process's and the workers' CPU time
	Values []benchfmt.Value
}

// Open starts c's pool for the Env parameters params. Errors name the cell.
func Open(ctx context.Context, c Cell, params workloads.Params, s Settings) (*Session, error) {
	spec := Spec{Workload: c.Workload, Params: c.Params(params), Size: c.Size, Workers: c.Workers, Settings: s, Python: c.Python, Start: c.Start}
	if reason := userFileSkip(c, spec.Params); reason != "" {
		return nil, &SkipError{Reason: reason}
	}
	defer setProcs(c.procs())()
	resetPeakRSS()
	rss0 := residentNow()
	t0 := time.Now()
	pool, err := c.Mode.Start(ctx, spec)
	if err != nil {
		return nil, fmt.Errorf("%s: start: %w", c.Name(), err)
	}
	return &Session{Cell: c, pool: pool, startNs: float64(time.Since(t0).Nanoseconds()), rss0: rss0, want: map[int]int64{}}, nil
}

// setProcs sets GOMAXPROCS to n (unless 0) and returns what restores it.
func setProcs(n int) func() {
	if n <= 0 {
		return func() {}
	}
	old := runtime.GOMAXPROCS(n)
	return func() { runtime.GOMAXPROCS(old) }
}

// Warm runs n untimed batches of tasks tasks, checking their checksums.
func (s *Session) Warm(ctx context.Context, n, tasks int) error {
	defer setProcs(s.Cell.procs())()
	for range n {
		if _, err := s.batch(ctx, tasks); err != nil {
			return fmt.Errorf("%s: warm-up: %w", s.Cell.Name(), err)
		}
	}
	return nil
}

// Measure runs batches batches of tasks tasks and returns them as one sample: its
// values are per task over all of them. A wrong checksum is a *ChecksumError.
func (s *Session) Measure(ctx context.Context, batches, tasks int) (Sample, error) {
	defer setProcs(s.Cell.procs())()
	var total Batch
	cpu0 := CPUTime()
	for range batches {
		b, err := s.batch(ctx, tasks)
		if err != nil {
			return Sample{}, fmt.Errorf("%s: %w", s.Cell.Name(), err)
		}
		total = mergeBatch(total, b)
	}
	cpu := CPUTime() - cpu0 + total.ChildCPU
	n := batches * tasks
	return Sample{Tasks: n, Batch: total, CPU: cpu, Values: s.values(total, n, cpu)}, nil
}

func (s *Session) batch(ctx context.Context, tasks int) (Batch, error) {
	if s.closed {
		return Batch{}, fmt.Errorf("runner: session of %s is closed", s.Cell.Name())
	}
	b, err := s.pool.Run(ctx, tasks)
	if err != nil {
		return b, err
	}
	want, ok := s.want[tasks]
	if !ok {
		want = s.Cell.Workload.Checksum(tasks, s.Cell.Size)
		s.want[tasks] = want
	}
	if b.Checksum != want {
		return b, &ChecksumError{Cell: s.Cell.Name(), Got: b.Checksum, Want: want}
	}
	return b, nil
}

// Close stops the workers and waits for them; safe to call twice.
func (s *Session) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.pool.Close(); err != nil {
		return fmt.Errorf("%s: stopping workers: %w", s.Cell.Name(), err)
	}
	return nil
}

// ChecksumError is a cell whose results do not add up to the reference.
type ChecksumError struct {
	Cell      string
	Got, Want int64
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s: checksum %d, want %d: this mode computed a wrong answer", e.Cell, e.Got, e.Want)
}

// mergeBatch adds batch b to the running total a: times, CPU and per-op totals add up,
// the memory peak is the larger, a rate or percentile is the last batch's.
func mergeBatch(a, b Batch) Batch {
	a.Elapsed += b.Elapsed
	a.Checksum += b.Checksum
	a.ChildCPU += b.ChildCPU
	a.ChildMaxRSS = max(a.ChildMaxRSS, b.ChildMaxRSS)
	a.Latencies = append(a.Latencies, b.Latencies...)
	if len(b.Metrics) > 0 && a.Metrics == nil {
		a.Metrics = map[string]float64{}
	}
	for k, v := range b.Metrics {
		if isPerOp(k) {
			a.Metrics[k] += v
		} else {
			a.Metrics[k] = v
		}
	}
	if b.Trace != nil {
		a.Trace = b.Trace
	}
	return a
}

// isPerOp reports whether a metric is a batch total to divide by the tasks.
func isPerOp(unit string) bool {
	if u, ok := vocab.LookupUnit(unit); ok {
		return u.PerOp
	}
	return len(unit) > 3 && unit[len(unit)-3:] == "/op"
}

// values are the measurements of b, which ran tasks tasks and used cpu CPU time.
func (s *Session) values(b Batch, tasks int, cpu time.Duration) []benchfmt.Value {
	n := float64(tasks)
	vals := []benchfmt.Value{
		{Value: float64(b.Elapsed.Nanoseconds()) / n, Unit: vocab.Time.Name},
		{Value: n / b.Elapsed.Seconds(), Unit: vocab.Tasks.Name},
		{Value: float64(cpu.Nanoseconds()) / n, Unit: vocab.CPU.Name},
		{Value: float64(s.peakRSS(b)), Unit: vocab.PeakRSS.Name},
		{Value: s.startNs / n, Unit: vocab.StartUp.Name},
	}
	vals = append(vals, s.workerValues(b)...) // workercost.go
	// Task latency percentiles for I/O workloads; a mixed workload (convoy) measures
	// latencies of its own, which come with its metrics.
	if s.Cell.Workload.Class == workloads.IO {
		p50, p99 := workloads.Percentiles(b.Latencies)
		vals = append(vals,
			benchfmt.Value{Value: float64(p50.Nanoseconds()), Unit: vocab.P50.Name},
			benchfmt.Value{Value: float64(p99.Nanoseconds()), Unit: vocab.P99.Name})
	}
	return append(vals, metricValues(b.Metrics, n)...)
}

// peakRSS is the cell's peak resident memory: for a mode whose workers are other
// processes, the largest of theirs (the process that measures them is not the cell); else
// this process's since the session opened (in a cell process of its own, by default).
func (s *Session) peakRSS(b Batch) int64 {
	if s.Cell.Mode.Rules().OutOfProcess && b.ChildMaxRSS > 0 {
		return b.ChildMaxRSS
	}
	return max(peakRSS(), b.ChildMaxRSS)
}

// metricValues turns a batch's extra metrics into values: per-op totals are divided by
// the number of tasks, anything else is written as measured. Sorted for a stable line.
func metricValues(m map[string]float64, tasks float64) []benchfmt.Value {
	var vals []benchfmt.Value
	for _, u := range slices.Sorted(maps.Keys(m)) {
		v := m[u]
		if isPerOp(u) {
			v /= tasks
		}
		vals = append(vals, benchfmt.Value{Value: v, Unit: u})
	}
	return vals
}

// userFileSkip is why cell c cannot run its workload when that is a user's Python file,
// or "": the emulated modes run the file compiled, so a file outside the compiler's
// subset skips them with the compile error (file:line:col, the construct); the native
// mode needs a Go twin, which a file has not; the cluster's workers are other machines.
func userFileSkip(c Cell, params workloads.Params) string {
	if _, user := workloads.PythonFile(c.Workload); !user || c.Mode.Rules().Python {
		return ""
	}
	switch c.Mode.Name() {
	case "native":
		return fmt.Sprintf("mode native runs a workload's Go twin: %s is a Python file, which has none", c.Workload.Name)
	case "cluster":
		return fmt.Sprintf("mode cluster's workers are other machines, which do not have the file %s", c.Workload.Name)
	}
	if _, _, err := c.Workload.Program(params, nil); err != nil {
		var ce *compiler.Error
		if errors.As(err, &ce) {
			return "not compiled for the interpreter: " + ce.Error()
		}
		return err.Error()
	}
	return ""
}
