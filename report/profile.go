package report

import (
	"sort"
	"strings"

	"gilbench/vocab"
)

// Profiles: some name keys are part of the mode, not of the workload. The
// free-threaded mode runs each cell once per cost profile, named by the
// CPython build the profile stands for (…/mode=free-threaded/workers=2/ft=3.14);
// to a Python programmer each profile is a strategy of its own ("free-threaded
// CPython 3.14t"), to be weighed against sequential and goroutine in the
// workload's own table. So the report folds a profile key into the mode as it
// reads the results: that cell is in the column "free-threaded ft=3.14" of the
// primes table, with its own colour, speed-up, place in the answer and in the
// anchors. raw.txt is unchanged (stock benchstat still sees the raw names, with
// ft= as a name key of its own); the folding is the report's view only, and a
// run without profile keys reads as before.

// A profileKey is a name key that names a profile of its cells' mode.
type profileKey struct {
	Key string
	// Words is the profile in Python's words ("free-threaded CPython 3.14t").
	Words func(value string) string
	// Counterpart is the name key a real counterpart's cells must carry to run
	// the profile's interpreter (python=3.14t): the mode's counterpart
	// (cpython-threads) with it is the same build, really free-threaded.
	Counterpart func(value string) string
}

// profileKeys are the keys folded into the mode.
var profileKeys = []profileKey{{
	Key:         vocab.KeyFT,
	Words:       func(v string) string { return "free-threaded CPython " + v + "t" },
	Counterpart: func(v string) string { return "python=" + v + "t" },
}}

// profileModeSep separates a mode from its profile in a folded mode name.
const profileModeSep = " "

// foldProfile rewrites a result or cell name so that a profile key is part of
// the mode: ".../mode=free-threaded/workers=2/ft=3.14-6" becomes
// ".../mode=free-threaded ft=3.14/workers=2-6". A name without a profile key, or
// without a mode, is returned as it is.
func foldProfile(name string) string {
	body, suffix := splitProcs(name)
	parts := strings.Split(body, "/")
	mode := -1
	var prof []string
	kept := parts[:0:0]
	for _, p := range parts {
		if strings.HasPrefix(p, vocab.KeyMode+"=") && mode < 0 {
			mode = len(kept)
		}
		if isProfilePart(p) {
			prof = append(prof, p)
			continue
		}
		kept = append(kept, p)
	}
	if mode < 0 || len(prof) == 0 {
		return name
	}
	kept[mode] += profileModeSep + strings.Join(prof, profileModeSep)
	return strings.Join(kept, "/") + suffix
}

func isProfilePart(p string) bool {
	for _, k := range profileKeys {
		if v, ok := strings.CutPrefix(p, k.Key+"="); ok && v != "" {
			return true
		}
	}
	return false
}

// splitProcs splits off a name's -N suffix (the GOMAXPROCS of a Go benchmark),
// as benchfmt.Name does.
func splitProcs(name string) (body, suffix string) {
	for i := len(name) - 1; i >= 0; i-- {
		c := name[i]
		if c == '-' && i < len(name)-1 {
			return name[:i], name[i:]
		}
		if c < '0' || c > '9' {
			break
		}
	}
	return name, ""
}

// splitProfile splits a folded mode name into the mode and its profile parts
// ("free-threaded", ["ft=3.14"]).
func splitProfile(mode string) (base string, prof []string) {
	fields := strings.Split(mode, profileModeSep)
	base = fields[0]
	for _, f := range fields[1:] {
		if !isProfilePart(f) {
			return mode, nil
		}
		prof = append(prof, f)
	}
	return base, prof
}

// profileWords is a folded mode's profile in Python's words, or "".
func profileWords(mode string) string {
	_, prof := splitProfile(mode)
	var ws []string
	for _, p := range prof {
		for _, k := range profileKeys {
			if v, ok := strings.CutPrefix(p, k.Key+"="); ok {
				ws = append(ws, k.Words(v))
			}
		}
	}
	return strings.Join(ws, ", ")
}

// expandProfiles replaces each declared mode whose cells came in profiles by one
// mode per profile, in the order of the profiles' values, where the mode was:
// the same role and note, and the counterpart narrowed to the profile's own
// interpreter. appeared are the (folded) mode names the results carry.
func expandProfiles(modes []vocab.ModeInfo, appeared []string) []vocab.ModeInfo {
	byBase := map[string][]string{}
	for _, m := range appeared {
		if base, prof := splitProfile(m); len(prof) > 0 {
			byBase[base] = append(byBase[base], m)
		}
	}
	if len(byBase) == 0 {
		return modes
	}
	var out []vocab.ModeInfo
	for _, m := range modes {
		folded := byBase[m.Name]
		if len(folded) == 0 {
			out = append(out, m)
			continue
		}
		sort.Strings(folded)
		for _, f := range folded {
			fm := m
			fm.Name = f
			if m.Counterpart != "" {
				fm.Counterpart = profileCounterpart(m.Counterpart, f)
			}
			out = append(out, fm)
		}
	}
	return out
}

// profileCounterpart adds to counterpart the name keys of the interpreter the
// folded mode's profile stands for, unless the counterpart already names that
// key.
func profileCounterpart(counterpart, mode string) string {
	_, keys := vocab.SplitCounterpart(counterpart)
	_, prof := splitProfile(mode)
	for _, p := range prof {
		for _, k := range profileKeys {
			v, ok := strings.CutPrefix(p, k.Key+"=")
			if !ok || k.Counterpart == nil {
				continue
			}
			ck := k.Counterpart(v)
			name, _, _ := strings.Cut(ck, "=")
			if !hasKey(keys, name) {
				counterpart += "/" + ck
			}
		}
	}
	return counterpart
}

func hasKey(keys []string, name string) bool {
	for _, k := range keys {
		if strings.HasPrefix(k, name+"=") {
			return true
		}
	}
	return false
}
