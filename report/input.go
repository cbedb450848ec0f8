package report

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"

	"gilbench/vocab"
)

// ErrInput is the error that every bad-input failure wraps: a path that
// is not a run directory or a result file, a file that is not in the Go
// benchmark format or none of whose result lines can be read, a metric
// reported in two units.
// Commands map errors.Is(err, ErrInput) to exit status 2.
var ErrInput = errors.New("bad input")

// An InputError says what is wrong with an input and where, as
// "path:line: msg" (benchfmt's SyntaxError reads the same); the command
// that reads the input puts its name in front ("compare: …"). It wraps
// [ErrInput].
type InputError struct {
	Path string // file or directory
	Line int    // 1-based line, 0 when the error is about the whole file
	Msg  string
	// Err is the cause, when there is one (an *fs.PathError, benchfmt's
	// reading error); its text is already part of Msg.
	Err error
}

func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// Is reports whether target is [ErrInput].
func (e *InputError) Is(target error) bool { return target == ErrInput }

// Unwrap returns the cause, or nil.
func (e *InputError) Unwrap() error { return e.Err }

// RawFile is the name of the result file inside a run directory.
const RawFile = "raw.txt"

// TraceFile is the name of the optional trace inside a run directory.
// The report links it, and any other trace*.json there (the runner
// writes one per cell), when present.
const TraceFile = "trace.json"

// An Input names one set of raw results.
type Input struct {
	// Label names the input in tables (the benchstat ".file" key).
	// Empty means: the run directory's name, or for a file called
	// raw.txt its directory's name, or else the path as given.
	Label string

	// Path is a run directory holding raw.txt, or a raw result file.
	Path string
}

// ParseInput parses a command-line argument "path" or "label=path",
// the way benchstat does.
func ParseInput(arg string) Input {
	if i := strings.Index(arg, "="); i > 0 {
		return Input{Label: arg[:i], Path: arg[i+1:]}
	}
	return Input{Path: arg}
}

// A RunInfo describes one input as it was read.
type RunInfo struct {
	Label string `json:"label"`
	// Raw is the path of the result file that was read.
	Raw string `json:"raw"`
	// Dir is the run directory (the directory of Raw).
	Dir string `json:"dir"`
	// Config lists the file configuration lines ("key: value") in
	// the order they first appear. A key whose value changes within
	// the file lists every distinct value.
	Config []ConfigLine `json:"config"`
	// Modes are the modes the file's mode lines declare ("mode-gil:
	// rival"), in their order; nil for a file without them.
	Modes []vocab.ModeInfo `json:"modes,omitempty"`
	// Results is the number of result lines read.
	Results int `json:"results"`
	// Malformed is the number of result lines that could not be read
	// (each is a warning); they were skipped.
	Malformed int `json:"malformed,omitempty"`
	// Truncated is set when the file ended in the middle of a line
	// (an interrupted run); that line was ignored.
	Truncated bool `json:"truncated,omitempty"`
	// Incomplete counts the cells the file says failed or were interrupted.
	Incomplete int `json:"incomplete,omitempty"`
	// NoiseBefore is the noise guard's look at the machine before the run, and
	// Noise its measure of each workload (nil in older files).
	NoiseBefore *vocab.Load    `json:"noise_before,omitempty"`
	Noise       []workloadLoad `json:"noise,omitempty"`
	// UserWorkloads are the user's own workloads of the run, as their note lines
	// give them (file and docstring).
	UserWorkloads []vocab.WorkloadNote `json:"user_workloads,omitempty"`
}

// A ConfigLine is one file configuration key and its values.
type ConfigLine struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// Get returns the first value of the configuration key, or "".
func (r *RunInfo) Get(key string) string {
	for _, c := range r.Config {
		if c.Key == key {
			return c.Values[0]
		}
	}
	return ""
}

// dataset is everything read from the inputs.
type dataset struct {
	runs     []RunInfo
	results  []*benchfmt.Result // owned clones, in input order
	units    benchfmt.UnitMetadataMap
	warnings []Warning
	// modes are the /mode values of the results, in order of appearance.
	modes []string
	// records are each input's outcome and noise records, by label.
	records map[string]runRecords
}

// resolve turns an Input into the path of its result file and a label.
func resolve(in Input) (raw, label string, err error) {
	if in.Path == "" {
		return "", "", &InputError{Path: in.Label, Msg: "empty path"}
	}
	st, err := os.Stat(in.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", "", &InputError{Path: in.Path, Msg: "no such file or directory", Err: err}
		}
		return "", "", &InputError{Path: in.Path, Msg: err.Error(), Err: err}
	}
	raw = in.Path
	label = in.Label
	if st.IsDir() {
		raw = filepath.Join(in.Path, RawFile)
		if _, err := os.Stat(raw); err != nil {
			return "", "", &InputError{Path: in.Path, Msg: "no " + RawFile + " here (not a run directory?)"}
		}
		if label == "" {
			label = filepath.Base(filepath.Clean(in.Path))
		}
	}
	if label == "" {
		if filepath.Base(raw) == RawFile {
			label = filepath.Base(filepath.Dir(filepath.Clean(raw)))
		} else {
			label = in.Path
		}
	}
	return raw, label, nil
}

// load reads every input with one benchfmt.Reader (unit metadata carries
// across files, as in benchstat) and checks the contract of RESULTS.md.
func load(inputs []Input) (*dataset, error) {
	if len(inputs) == 0 {
		return nil, &InputError{Path: ".", Msg: "no input given"}
	}
	ds := &dataset{records: map[string]runRecords{}}
	var rd benchfmt.Reader
	units := newUnitChecker()
	labelOf := make(map[string]string) // label -> the input that has it
	seenMode := make(map[string]bool)
	for _, in := range inputs {
		raw, label, err := resolve(in)
		if err != nil {
			return nil, err
		}
		// A label names a column; two inputs under one label would be
		// merged into it. A label made from a path gets a #n to tell
		// it apart; one given twice is a mistake.
		if prev, taken := labelOf[label]; taken {
			if in.Label != "" {
				return nil, &InputError{Path: in.Path, Msg: fmt.Sprintf(
					"label %q is already the label of %s; give each input its own label", label, prev)}
			}
			base := label
			for n := 1; taken; n++ {
				label = fmt.Sprintf("%s#%d", base, n)
				_, taken = labelOf[label]
			}
		}
		labelOf[label] = in.Path
		data, err := os.ReadFile(raw)
		if err != nil {
			return nil, &InputError{Path: raw, Msg: err.Error(), Err: err}
		}
		run := RunInfo{Label: label, Raw: raw, Dir: filepath.Dir(raw)}
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, &InputError{Path: raw, Msg: "empty file"}
		}
		if data[len(data)-1] != '\n' {
			// An interrupted run leaves a partial last line. Keep
			// what is complete and say so.
			cut := bytes.LastIndexByte(data, '\n') + 1
			line := bytes.Count(data[:cut], []byte("\n")) + 1
			run.Truncated = true
			ds.warnings = append(ds.warnings, Warning{
				Kind:  WarnInput,
				Where: fmt.Sprintf("%s:%d", raw, line),
				Msg:   fmt.Sprintf("file ends in the middle of a line (interrupted run?); ignored %q", clip(string(data[cut:]), 40)),
			})
			data = data[:cut]
		}
		rd.Reset(bytes.NewReader(data), raw, ".file", label)
		cfg := newConfigCollector()
		dupWarned := map[string]bool{}
		var firstBad *benchfmt.SyntaxError
		for rd.Scan() {
			switch rec := rd.Result().(type) {
			case *benchfmt.SyntaxError:
				// A damaged line: say where, skip it and read on, as
				// benchstat does; one bad line costs one sample, not the run.
				if firstBad == nil {
					firstBad = rec
				}
				run.Malformed++
				ds.warnings = append(ds.warnings, Warning{
					Kind:  WarnInput,
					Where: fmt.Sprintf("%s:%d", rec.FileName, rec.Line),
					Msg:   rec.Msg + "; line ignored",
				})
			case *benchfmt.Result:
				if f := foldProfile(string(rec.Name)); f != string(rec.Name) {
					rec.Name = benchfmt.Name(f)
				}
				tidyZeros(rec)
				if dup := dropDuplicateUnits(rec); dup != "" && !dupWarned[dup] {
					dupWarned[dup] = true
					file, line := rec.Pos()
					ds.warnings = append(ds.warnings, Warning{
						Kind:  WarnInput,
						Where: fmt.Sprintf("%s:%d", file, line),
						Msg:   fmt.Sprintf("%s appears twice on one line; the first value is used (here and on any later line)", dup),
					})
				}
				if err := units.check(rec); err != nil {
					return nil, err
				}
				cfg.add(rec)
				if m := nameKey(rec, vocab.KeyMode); m != "" && !seenMode[m] {
					seenMode[m] = true
					ds.modes = append(ds.modes, m)
				}
				ds.results = append(ds.results, rec.Clone())
				run.Results++
			}
		}
		if err := rd.Err(); err != nil {
			return nil, &InputError{Path: raw, Msg: fmt.Sprintf("reading: %v (not Go benchmark format?)", err), Err: err}
		}
		if run.Results == 0 && firstBad != nil {
			return nil, &InputError{Path: firstBad.FileName, Line: firstBad.Line, Msg: firstBad.Msg + " (no result line could be read)", Err: firstBad}
		}
		if run.Results == 0 {
			return nil, &InputError{Path: raw, Msg: "no benchmark results (not Go benchmark format?)"}
		}
		run.Config = cfg.lines
		if run.Modes, err = declaredModes(raw, data, run.Config); err != nil {
			return nil, err
		}
		rr := readRecords(data)
		ds.records[label] = rr
		for i, m := range run.Modes {
			if n, ok := rr.notes[m.Name]; ok {
				run.Modes[i].Python, run.Modes[i].Doc = n.Python, n.Doc
			}
		}
		run.Modes = expandProfiles(run.Modes, ds.modes)
		run.NoiseBefore, run.Noise, run.UserWorkloads = rr.before, rr.noise, rr.wnotes
		for _, o := range rr.outcomes {
			if o.Status == vocab.Failed || o.Status == vocab.Interrupted {
				run.Incomplete++
			}
		}
		ds.warnings = append(ds.warnings, recordWarnings(run, rr)...)
		ds.runs = append(ds.runs, run)
	}
	ds.units = rd.Units()
	return ds, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// configCollector records file configuration lines in order of appearance.
type configCollector struct {
	lines []ConfigLine
	index map[string]int
}

func newConfigCollector() *configCollector {
	return &configCollector{index: make(map[string]int)}
}

func (c *configCollector) add(r *benchfmt.Result) {
	for _, kv := range r.Config {
		if !kv.File {
			continue
		}
		i, ok := c.index[kv.Key]
		if !ok {
			c.index[kv.Key] = len(c.lines)
			c.lines = append(c.lines, ConfigLine{Key: kv.Key, Values: []string{string(kv.Value)}})
			continue
		}
		v := string(kv.Value)
		found := false
		for _, have := range c.lines[i].Values {
			if have == v {
				found = true
				break
			}
		}
		if !found {
			c.lines[i].Values = append(c.lines[i].Values, v)
		}
	}
}

// unitChecker rejects a metric reported in two different units, such as
// p99-ns in one line and p99-ms in another. benchfmt already converts ns
// to sec and MB to B, so those are the same unit; any other prefix
// change is an error, because the values could not be compared.
type unitChecker struct {
	first map[string]unitSeen // canonical unit -> first use
}

type unitSeen struct {
	unit string
	orig string
	file string
	line int
}

func newUnitChecker() *unitChecker {
	return &unitChecker{first: make(map[string]unitSeen)}
}

func (u *unitChecker) check(r *benchfmt.Result) error {
	for _, v := range r.Values {
		c := canonicalUnit(v.Unit)
		seen, ok := u.first[c]
		if !ok {
			file, line := r.Pos()
			u.first[c] = unitSeen{unit: v.Unit, orig: origUnit(v), file: file, line: line}
			continue
		}
		if seen.unit != v.Unit {
			file, line := r.Pos()
			return &InputError{Path: file, Line: line, Msg: fmt.Sprintf(
				"mixed units for one metric: %s here, %s at %s:%d",
				origUnit(v), seen.orig, seen.file, seen.line)}
		}
	}
	return nil
}

func origUnit(v benchfmt.Value) string {
	if v.OrigUnit != "" {
		return v.OrigUnit
	}
	return v.Unit
}

var (
	timeTokens = map[string]bool{"ns": true, "us": true, "µs": true, "μs": true, "ms": true,
		"s": true, "sec": true, "secs": true, "min": true, "h": true, "hr": true}
	byteTokens = map[string]bool{"B": true, "kB": true, "KB": true, "MB": true, "GB": true,
		"TB": true, "KiB": true, "MiB": true, "GiB": true, "TiB": true, "bytes": true}
)

// canonicalUnit replaces every time and size token of unit by a class
// name, so that "p99-ms" and "p99-sec" compare equal.
func canonicalUnit(unit string) string {
	var b strings.Builder
	tok := func(t string) {
		switch {
		case timeTokens[t]:
			b.WriteString("<time>")
		case byteTokens[t]:
			b.WriteString("<bytes>")
		default:
			b.WriteString(t)
		}
	}
	start := 0
	for i, r := range unit {
		if r == '/' || r == '*' || r == '-' || r == ' ' {
			tok(unit[start:i])
			b.WriteRune(r)
			start = i + len(string(r))
		}
	}
	tok(unit[start:])
	return b.String()
}

// tidyZeros finishes benchfmt's unit tidying: benchfmt leaves a value
// in its original unit when tidying does not change the number, which
// is the case for 0 ("0 gil-wait-ns/op" stays in ns while "5
// gil-wait-ns/op" becomes sec). Without this, zeros would land in a
// table of their own.
func tidyZeros(r *benchfmt.Result) {
	for i := range r.Values {
		v := &r.Values[i]
		if v.OrigUnit != "" {
			continue
		}
		if tv, tu := benchunit.Tidy(v.Value, v.Unit); tu != v.Unit {
			v.OrigValue, v.OrigUnit = v.Value, v.Unit
			v.Value, v.Unit = tv, tu
		}
	}
}

// dropDuplicateUnits keeps the first value of each unit of a result line
// and returns the (original) name of a unit that appeared twice, or "".
// Two values in one unit on one line are ambiguous; summing them or
// mixing them into one sample would both be wrong.
func dropDuplicateUnits(r *benchfmt.Result) string {
	dup := ""
	out := r.Values[:0]
	for i, v := range r.Values {
		seen := false
		for _, w := range r.Values[:i] {
			if w.Unit == v.Unit {
				seen = true
				break
			}
		}
		if seen {
			if dup == "" {
				dup = origUnit(v)
			}
			continue
		}
		out = append(out, v)
	}
	r.Values = out
	return dup
}
