package validate

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"gilbench/workloads"
)

// script is the CPython side of the experiments, for Python 2.7 and 3.x alike. It
// prints one JSON object: a list of measurements (elapsed seconds, or round trips per
// second) per thread count.
//
//go:embed cpython_validate.py
var script string

// An interpreter is one of the CPythons the experiments need.
type interpreter int

const (
	cpython3   interpreter = iota // any CPython 3
	cpython2                      // CPython 2, for the legacy GIL
	cpythonSub                    // CPython ≥ 3.13, with per-interpreter GILs
)

// missing says which interpreter was not found, in the table's "not run (no …)".
func (i interpreter) missing() string {
	if i == cpythonFT {
		return ftMissing // freethreaded.go
	}
	return [...]string{cpython3: "python3", cpython2: "python2", cpythonSub: "python ≥ 3.13"}[i]
}

// python is an interpreter found: its path and its version ("Python 3.13.0").
type python struct{ path, version string }

// pythons are the interpreters found; a missing one has no entry.
type pythons map[interpreter]python

func (p pythons) has(i interpreter) bool {
	_, ok := p[i]
	return ok
}

// Timeouts of the CPython runs: the probe of an interpreter, and one experiment.
const (
	probeTimeout = 20 * time.Second
	runTimeout   = 3 * time.Minute
)

// findPythons looks for the interpreters that o names, or the default names on PATH (see
// Options), and keeps those that run. o has its defaults filled in.
func findPythons(ctx context.Context, o Options) pythons {
	found := pythons{}
	if p, ver, _, ok := probe(ctx, o.Python); ok {
		found[cpython3] = python{p, ver}
	}
	names2 := []string{o.Python2}
	if o.Python2 == "" {
		names2 = []string{"python2.7", "python2"}
	}
	for _, n := range names2 {
		if p, ver, _, ok := probe(ctx, n); ok && strings.HasPrefix(ver, "Python 2.") {
			found[cpython2] = python{p, ver}
			break
		}
	}
	namesSub := []string{o.PythonSub}
	if o.PythonSub == "" {
		namesSub = []string{o.Python, "python3.14", "python3.13"}
	}
	for _, n := range namesSub {
		if p, ver, sub, ok := probe(ctx, n); ok && sub {
			found[cpythonSub] = python{p, ver}
			break
		}
	}
	if p, ok := findFreeThreaded(ctx); ok && o.Python != "none" {
		found[cpythonFT] = p
	}
	return found
}

// probe runs the interpreter name (looked up on PATH unless it is a path) and reports
// its path, its version and whether it has per-interpreter GILs (the _interpreters
// module of CPython ≥ 3.13). "" and "none" are never found.
func probe(ctx context.Context, name string) (path, version string, hasSub, ok bool) {
	if name == "" || name == "none" {
		return "", "", false, false
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", "", false, false
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	// The import fails (exit status 1) after the version is printed when the
	// interpreter has no _interpreters.
	out, err := exec.CommandContext(ctx, p, "-c",
		"import sys; print('%d %d %d' % sys.version_info[:3]); sys.stdout.flush(); import _interpreters").Output()
	fields := strings.Fields(string(out))
	if len(fields) != 3 {
		return "", "", false, false
	}
	return p, "Python " + strings.Join(fields, "."), err == nil, true
}

// measureCPython runs experiment side p in its CPython and returns the medians of its
// measurements by thread count, and a note for the table (the version, where it
// matters: CPython 2 and the subinterpreters).
func (v *validator) measureCPython(ctx context.Context, p cpythonSide) (figures, string, error) {
	if p.kind == ftKind {
		return v.measureFTCPython(ctx, p) // freethreaded.go: through the cpython-threads mode
	}
	args := []string{p.kind, "--reps", strconv.Itoa(v.o.Reps)}
	if p.kind != "convoy" {
		args = append(args, "--tasks", strconv.Itoa(p.tasks))
	}
	args = append(args, "--size", strconv.FormatInt(p.size, 10))
	if p.workload != "" {
		args = append(args, "--workload", p.workload)
	}
	interval := func() {
		if p.interval > 0 {
			args = append(args, "--interval", strconv.FormatFloat(p.interval, 'g', -1, 64))
		}
	}
	if p.kind != "convoy" {
		interval()
	}
	// The http and convoy experiments talk to the same peer as gilbench's workloads.
	switch p.kind {
	case "http", "convoy":
		w, err := workloads.Lookup(p.kind)
		if err != nil {
			return nil, "", err
		}
		env, err := w.NewEnv(ctx, p.size)
		if err != nil {
			return nil, "", err
		}
		defer env.Close()
		if p.kind == "http" {
			args = append(args, "--url", env.Params["url"])
			break
		}
		ap, err := netip.ParseAddrPort(env.Params["addr"])
		if err != nil {
			return nil, "", err
		}
		args = append(args, "--host", ap.Addr().String(), "--port", strconv.Itoa(int(ap.Port())))
	}
	var ts []string
	for _, n := range p.threads {
		ts = append(ts, strconv.Itoa(n))
	}
	args = append(args, "--threads", strings.Join(ts, ","))
	if p.kind == "convoy" {
		interval()
	}

	res, err := v.runPy(ctx, p.python, args...)
	if err != nil {
		return nil, "", err
	}
	f := figures{}
	for k, xs := range res {
		f[k] = median(xs)
	}
	note := ""
	if p.kind == "subinterp" || p.python == cpython2 {
		note = strings.TrimPrefix(v.py[p.python].version, "Python ")
	}
	return f, note, nil
}

// runPy runs the script in CPython py and decodes the JSON object its last line prints.
func (v *validator) runPy(ctx context.Context, py interpreter, args ...string) (map[string][]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	path := v.py[py].path
	cmd := exec.CommandContext(ctx, path, append([]string{v.script}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", path, strings.Join(args, " "), err, strings.TrimSpace(lastLine(errb.String())))
	}
	var res map[string][]float64
	if err := json.Unmarshal([]byte(lastLine(out.String())), &res); err != nil {
		return nil, fmt.Errorf("%s %s: bad output %q: %w", path, strings.Join(args, " "), lastLine(out.String()), err)
	}
	return res, nil
}

// lastLine is the last line of s, ignoring the space that ends it.
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
