package report

import (
	"bufio"
	"bytes"
	"strings"

	"golang.org/x/perf/benchfmt"

	"gilbench/vocab"
)

// A run's records besides its results (vocab): how each cell ended, and how busy the
// machine was before the run and while each workload ran. benchfmt skips these
// comment lines, so they are read from the file's text.

// runRecords are the outcome and noise records of one input.
type runRecords struct {
	outcomes map[string]vocab.Outcome // by cell name (no "Benchmark", no -N), profiles folded
	before   *vocab.Load
	noise    []workloadLoad            // in file order
	notes    map[string]vocab.ModeInfo // the modes' note lines, by name (Python, Doc)
	wnotes   []vocab.WorkloadNote      // the user's workloads' note lines
	badNotes []string                  // note lines that do not parse, as errors
}

type workloadLoad struct {
	Workload string     `json:"workload"`
	Load     vocab.Load `json:"load"`
}

func readRecords(data []byte) runRecords {
	rr := runRecords{outcomes: map[string]vocab.Outcome{}, notes: map[string]vocab.ModeInfo{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if o, ok := vocab.ParseOutcome(line); ok {
			rr.outcomes[foldProfile(o.Cell)] = o // as the results' names are read (profile.go)
			continue
		}
		if n, ok, err := vocab.ParseWorkloadNote(line); ok {
			if err != nil {
				rr.badNotes = append(rr.badNotes, err.Error())
			} else {
				rr.wnotes = append(rr.wnotes, n)
			}
			continue
		}
		if m, ok, err := vocab.ParseModeNote(line); ok {
			if err != nil {
				rr.badNotes = append(rr.badNotes, err.Error())
			} else if _, dup := rr.notes[m.Name]; !dup {
				rr.notes[m.Name] = m
			}
			continue
		}
		if w, l, ok := vocab.ParseNoiseLine(line); ok {
			rr.noise = append(rr.noise, workloadLoad{w, l})
			continue
		}
		if v, ok := strings.CutPrefix(line, vocab.NoiseBeforeKey+":"); ok && rr.before == nil {
			if l, err := vocab.ParseLoad(v); err == nil {
				rr.before = &l
			}
		}
	}
	return rr
}

// cellName is a result's name as outcome records spell it: without "Benchmark" and
// without the -N suffix.
func cellName(r *benchfmt.Result) string {
	full := string(r.Name.Full())
	if i := strings.LastIndexByte(full, '-'); i > 0 && !strings.Contains(full[i:], "/") && !strings.Contains(full[i:], "=") {
		full = full[:i]
	}
	return strings.TrimPrefix(full, "Benchmark")
}

// recordWarnings are the warnings the records call for: one per cell that did not
// complete (its finished repetitions are in the tables, marked), one per busy stretch.
func recordWarnings(run RunInfo, rr runRecords) []Warning {
	var out []Warning
	for _, msg := range rr.badNotes {
		out = append(out, Warning{WarnInput, run.Raw, msg + "; the note is ignored"})
	}
	for _, o := range sortedOutcomes(rr.outcomes) {
		switch o.Status {
		case vocab.Failed:
			out = append(out, Warning{WarnOutcome, run.Label + ": " + o.Cell, "the cell FAILED: " + o.Reason + "; its finished repetitions are shown, marked, and are not a complete cell"})
		case vocab.Interrupted:
			out = append(out, Warning{WarnOutcome, run.Label + ": " + o.Cell, "the cell was interrupted; its finished repetitions are shown, marked, and are not a complete cell"})
		}
	}
	out = append(out, skipWarnings(run, rr)...)
	if rr.before != nil && rr.before.Busy() {
		out = append(out, Warning{WarnNoise, run.Label, rr.before.Warning("before the run")})
	}
	for _, n := range rr.noise {
		if n.Load.Busy() {
			out = append(out, Warning{WarnNoise, run.Label + ": " + n.Workload, n.Load.Warning("while " + n.Workload + " ran")})
		}
	}
	return out
}

func sortedOutcomes(m map[string]vocab.Outcome) []vocab.Outcome {
	var out []vocab.Outcome
	for _, o := range m {
		out = append(out, o)
	}
	// Stable order for goldens: by cell name.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Cell < out[j-1].Cell; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// statusOf is the outcome of the cell a result belongs to ("" when the file says
// nothing: an older run, or a cell still running when the file was read).
func (ds *dataset) statusOf(r *benchfmt.Result) (vocab.Status, string) {
	rr, ok := ds.records[r.GetConfig(".file")]
	if !ok {
		return "", ""
	}
	o, ok := rr.outcomes[cellName(r)]
	if !ok {
		return "", ""
	}
	return o.Status, o.Reason
}

// worse keeps the more alarming of two statuses.
func worse(a, b vocab.Status) vocab.Status {
	rank := map[vocab.Status]int{"": 0, vocab.Completed: 0, vocab.Skipped: 1, vocab.Interrupted: 2, vocab.Failed: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// statusText is what a table says of an incomplete cell.
func statusText(s vocab.Status) string {
	switch s {
	case vocab.Failed:
		return "FAILED"
	case vocab.Interrupted:
		return "INTERRUPTED"
	}
	return ""
}

// skipWarnings are one warning per workload and reason of its skipped cells, naming
// the modes: "outside: skipped under sequential, gil (4 cells): not compiled for the
// interpreter: ./outside.py:3:15: list comprehensions are not in the subset".
func skipWarnings(run RunInfo, rr runRecords) []Warning {
	type group struct {
		workload, reason string
		modes            []string
		cells            int
	}
	var groups []*group
	byKey := map[[2]string]*group{}
	for _, o := range sortedOutcomes(rr.outcomes) {
		if o.Status != vocab.Skipped {
			continue
		}
		workload, mode := cellPart(o.Cell, "workload"), cellPart(o.Cell, "mode")
		k := [2]string{workload, o.Reason}
		g := byKey[k]
		if g == nil {
			g = &group{workload: workload, reason: o.Reason}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.cells++
		if mode != "" && (len(g.modes) == 0 || g.modes[len(g.modes)-1] != mode) {
			g.modes = append(g.modes, mode)
		}
	}
	var out []Warning
	for _, g := range groups {
		out = append(out, Warning{WarnSkipped, run.Label + ": " + g.workload,
			"skipped under " + strings.Join(g.modes, ", ") + " (" + plural(g.cells, "cell") + "): " + g.reason})
	}
	return out
}

// cellPart is the value of key in a cell's name ("CPU/workload=primes/mode=gil/...").
func cellPart(cell, key string) string {
	for _, p := range strings.Split(cell, "/") {
		if v, ok := strings.CutPrefix(p, key+"="); ok {
			return v
		}
	}
	return ""
}
