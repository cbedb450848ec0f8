package report

import (
	"bytes"
	"fmt"
	"strings"

	"gilbench/vocab"
)

// Modes: the report knows no mode by name. What a mode is in a comparison
// (the baseline, a reference, a rival) and the order in which the run lists
// the modes, which is also their colour order, come from the run's mode
// lines (vocab.ModeConfigPrefix):
//
//	mode-sequential: baseline
//	mode-gil: rival
//	mode-native: reference
//
// A file without them (a run from before they were written) falls back to
// the order in which its modes first appear, the first as the baseline and
// none as a reference, and a warning says so.

// declaredModes reads the mode lines among a file's configuration, in the
// order they appear. data is the file, to say on which line a bad one is.
func declaredModes(path string, data []byte, config []ConfigLine) ([]vocab.ModeInfo, error) {
	var out []vocab.ModeInfo
	for _, c := range config {
		m, ok, err := vocab.ParseModeConfig(c.Key, c.Values[0])
		if !ok {
			continue
		}
		line := configLine(data, c.Key)
		if err != nil {
			return nil, &InputError{Path: path, Line: line, Msg: err.Error(), Err: err}
		}
		if len(c.Values) > 1 {
			return nil, &InputError{Path: path, Line: line, Msg: fmt.Sprintf(
				"config %s: the mode's role changes within the file (%s)", c.Key, strings.Join(c.Values, ", "))}
		}
		out = append(out, m)
	}
	return out, nil
}

// configLine is the 1-based line of the first "key:" configuration line
// in data, or 0.
func configLine(data []byte, key string) int {
	prefix := []byte(key + ":")
	for i, line := range bytes.Split(data, []byte("\n")) {
		if bytes.HasPrefix(line, prefix) {
			return i + 1
		}
	}
	return 0
}

// modeRoles is what the report makes of the inputs' modes.
type modeRoles struct {
	// modes in colour order, with the roles in effect (after Options).
	modes     []vocab.ModeInfo
	baseline  string   // "" if none
	reference []string // never nil
	warnings  []Warning
}

// resolveModes combines the inputs' mode lines, in input order, with the
// modes the results name (appeared, in order of appearance), and applies
// Options.Baseline and Options.Reference when they are set. A mode the
// results name but no mode line declares is a rival.
func resolveModes(runs []RunInfo, appeared []string, o Options) modeRoles {
	var (
		mr       modeRoles
		declared = map[string]vocab.Role{}
		info     = map[string]vocab.ModeInfo{}
		order    []string
	)
	for _, run := range runs {
		for _, m := range run.Modes {
			if _, ok := declared[m.Name]; ok {
				continue // the first input's role stands
			}
			declared[m.Name] = m.Role
			info[m.Name] = m
			order = append(order, m.Name)
		}
	}
	for _, m := range appeared {
		if _, ok := declared[m]; !ok && !contains(order, m) {
			order = append(order, m)
		}
	}
	baseline, reference := "", []string{}
	for _, m := range order {
		switch declared[m] {
		case vocab.Baseline:
			if baseline == "" {
				baseline = m
			}
		case vocab.Reference:
			reference = append(reference, m)
		}
	}
	if len(declared) == 0 && len(order) > 0 {
		baseline = order[0]
	}
	if o.Layout == ByMode {
		for _, run := range runs {
			if len(run.Modes) > 0 {
				continue
			}
			msg := fmt.Sprintf("no %s<name> lines (a run from before they were written?): modes are taken in the order they appear", vocab.ModeConfigPrefix)
			if len(declared) == 0 {
				if baseline != "" {
					msg += ", " + baseline + " as the baseline"
				}
				msg += ", none as a reference"
			}
			mr.warnings = append(mr.warnings, Warning{Kind: WarnInput, Where: run.Raw, Msg: msg})
		}
	}
	if o.Baseline != "" {
		baseline = o.Baseline
	}
	if o.Reference != nil {
		reference = o.Reference
	}
	mr.baseline, mr.reference = baseline, reference
	for _, m := range order {
		role := vocab.Rival
		switch {
		case m == baseline:
			role = vocab.Baseline
		case contains(reference, m):
			role = vocab.Reference
		}
		mi := info[m]
		mi.Name, mi.Role = m, role
		mr.modes = append(mr.modes, mi)
	}
	return mr
}

// firstRival is the first rival in mode order (the verdict's status quo),
// or "".
func firstRival(ms []vocab.ModeInfo) string {
	for _, m := range ms {
		if m.Role == vocab.Rival {
			return m.Name
		}
	}
	return ""
}

// modeNames lists the modes' names in order.
func modeNames(ms []vocab.ModeInfo) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

// describeModes is a run's mode lines for people: "sequential (baseline),
// gil, native (reference)".
func describeModes(ms []vocab.ModeInfo) string {
	var parts []string
	for _, m := range ms {
		if m.Role == vocab.Rival {
			parts = append(parts, m.Name)
		} else {
			parts = append(parts, fmt.Sprintf("%s (%s)", m.Name, m.Role))
		}
	}
	return strings.Join(parts, ", ")
}

// pythonWords names a mode's strategy as a Python programmer says it —
// "threading", "multiprocessing", "free threading" — from the Python code
// of its note line, or "" when the line names none of them.
func pythonWords(m vocab.ModeInfo) string {
	p := strings.ToLower(m.Python)
	switch {
	case p == "":
		return ""
	case strings.Contains(p, "plain loop"):
		return "one thread"
	case strings.Contains(p, "free-threaded") || strings.Contains(p, "no gil"):
		return "free threading"
	case strings.Contains(p, "multiprocessing"):
		return "multiprocessing"
	case strings.Contains(p, "interpreters") || strings.Contains(p, "sub-interpreter"):
		return "sub-interpreters"
	case strings.Contains(p, "asyncio"):
		return "asyncio"
	case strings.Contains(p, "cpython 2") || strings.Contains(p, "2.7"):
		return "threading on CPython 2"
	case strings.Contains(p, "threading"):
		return "threading"
	case strings.Contains(p, "no python") || strings.Contains(p, "plain go"):
		return "plain Go"
	}
	return ""
}

// pythonWordsOf is the Python words of the mode of ms named mode, or "".
func pythonWordsOf(ms []vocab.ModeInfo, mode string) string {
	for _, m := range ms {
		if m.Name == mode {
			return pythonWords(m)
		}
	}
	return ""
}

// named is a mode with its strategy in Python's words, "gil (threading)",
// "free-threaded ft=3.14 (free-threaded CPython 3.14t)", or the mode alone when
// its note line names none.
func (r *Result) named(mode string) string {
	if w := profileWords(mode); w != "" {
		return mode + " (" + w + ")"
	}
	for _, m := range r.Modes {
		if m.Name == mode {
			if w := pythonWords(m); w != "" && w != mode {
				return mode + " (" + w + ")"
			}
		}
	}
	return mode
}
