package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"time"

	"golang.org/x/perf/benchfmt"

	"gilbench/vocab"
	"gilbench/workloads"
)

// raw.txt: what the runner writes, through benchfmt for the results and as whole lines
// for the records benchstat ignores (docs/RESULTS.md, vocab).

// rawWriter writes raw.txt: unit metadata and mode lines, results, outcomes.
type rawWriter struct {
	w      io.Writer
	bw     *benchfmt.Writer
	config []benchfmt.Config
	procs  int // the -N suffix: this process's GOMAXPROCS when the run began
}

func (r *rawWriter) header(cells []Cell) error {
	r.procs = runtime.GOMAXPROCS(0)
	for _, u := range vocab.Units {
		if u.Better != vocab.Higher {
			continue
		}
		md := &benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u.Name, Key: "better"}, OrigUnit: u.Name, Value: u.Better.String()}
		if err := r.bw.Write(md); err != nil {
			return fmt.Errorf("runner: writing results: %w", err)
		}
	}
	// One line per mode of the run, in table order: its role and counterpart, for the
	// report; then a comment line per mode saying what it is in Python.
	seen := map[string]bool{}
	var lines, notes []byte
	for _, m := range modeTable {
		for _, c := range cells {
			if c.Mode == m && !seen[m.Name()] {
				seen[m.Name()] = true
				r := m.Rules()
				info := vocab.ModeInfo{Name: m.Name(), Role: r.Role, Counterpart: r.Counterpart, Python: r.Idiom, Doc: r.Doc}
				lines = fmt.Appendf(lines, "%s: %s\n", vocab.ModeConfigKey(m.Name()), vocab.ModeConfigValue(info))
				if n := vocab.ModeNoteLine(info); n != "" {
					notes = fmt.Appendf(notes, "%s\n", n)
				}
			}
		}
	}
	lines = append(lines, notes...)
	// And a note per user's workload: its file and docstring, which no catalogue has.
	seenW := map[*workloads.Workload]bool{}
	for _, c := range cells {
		if file, ok := workloads.PythonFile(c.Workload); ok && !seenW[c.Workload] {
			seenW[c.Workload] = true
			n := vocab.WorkloadNote{Name: c.Workload.Name, File: file, Doc: c.Workload.Description}
			lines = fmt.Appendf(lines, "%s\n", vocab.WorkloadNoteLine(n))
		}
	}
	if _, err := r.w.Write(lines); err != nil {
		return fmt.Errorf("runner: writing results: %w", err)
	}
	return nil
}

func (r *rawWriter) result(c Cell, s Sample) error {
	res := &benchfmt.Result{
		Config: r.config,
		Name:   benchfmt.Name(fmt.Sprintf("%s-%d", c.Name()[len("Benchmark"):], r.procs)),
		Iters:  s.Tasks,
		Values: s.Values,
	}
	if err := r.bw.Write(res); err != nil {
		return fmt.Errorf("runner: writing results: %w", err)
	}
	return nil
}

// outcome records how c ended: completed, interrupted (a cancelled context) or failed.
func (r *rawWriter) outcome(c Cell, err error) error {
	o := vocab.Outcome{Cell: c.Name()[len("Benchmark"):], Status: vocab.Completed}
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		o.Status = vocab.Interrupted
	case isSkip(err):
		var s *SkipError
		errors.As(err, &s)
		o.Status, o.Reason = vocab.Skipped, s.Reason
	default:
		o.Status, o.Reason = vocab.Failed, err.Error()
	}
	return r.line(o.Line())
}

// line writes a comment line (an outcome, a noise record), which benchstat ignores.
func (r *rawWriter) line(s string) error {
	if _, err := io.WriteString(r.w, s+"\n"); err != nil {
		return fmt.Errorf("runner: writing results: %w", err)
	}
	return nil
}

func medianNsPerOp(ss []Sample) string {
	var v []float64
	for _, s := range ss {
		v = append(v, s.Values[0].Value)
	}
	slices.Sort(v)
	return time.Duration(v[len(v)/2]).String()
}

func configLines(cfg Config) []benchfmt.Config {
	kv := [][2]string{
		{"goos", runtime.GOOS},
		{"goarch", runtime.GOARCH},
		{"cpu", cpuModel()},
		{"gomaxprocs", strconv.Itoa(runtime.GOMAXPROCS(0))},
		{"go", runtime.Version()},
		{"gilbench", Version},
		{"commit", orUnknown(cfg.Commit)},
		{"date", time.Now().UTC().Format(time.RFC3339)},
		{"run", cfg.Run},
		{"tasks", orDefault(cfg.Tasks)},
		{"size", orDefault(int(cfg.Size))},
		{"quick", strconv.FormatBool(cfg.Quick)},
		{"count", strconv.Itoa(cfg.Count)},
		{"warmup", strconv.Itoa(cfg.Warmup)},
		{"scaling", cfg.Scaling},
		{"switch-interval", cfg.Settings.SwitchInterval.String()},
		{"check-interval", strconv.FormatInt(cfg.Settings.CheckInterval, 10)},
		{"start-method", cfg.Settings.StartMethod},
		{"isolation", map[bool]string{false: "process-per-cell", true: "shared"}[cfg.Shared]},
		{"order", map[bool]string{false: "interleaved", true: "sequential"}[cfg.Sequential]},
	}
	var out []benchfmt.Config
	for _, p := range kv {
		if p[1] == "" {
			continue
		}
		out = append(out, benchfmt.Config{Key: p[0], Value: []byte(p[1]), File: true})
	}
	return out
}

func orDefault(n int) string {
	if n == 0 {
		return "default"
	}
	return strconv.Itoa(n)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
