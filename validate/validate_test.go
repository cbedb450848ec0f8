package validate

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"gilbench/cpython"
	"gilbench/mp"
	"gilbench/runner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestMain(m *testing.M) {
	mp.Main() // the chunking curve's process mode re-executes the test binary
	goleak.VerifyTestMain(m)
}

func TestOptionsDefaults(t *testing.T) {
	for _, c := range []struct {
		in   Options
		want Options
	}{
		{Options{}, Options{Reps: 5, Python: "python3"}},
		{Options{Quick: true}, Options{Quick: true, Reps: 3, Python: "python3"}},
		{Options{Reps: 2, Python: "none"}, Options{Reps: 2, Python: "none"}},
	} {
		got, err := c.in.withDefaults()
		if err != nil || got != c.want {
			t.Errorf("%+v.withDefaults() = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	err := Run(context.Background(), Options{Reps: -1}, new(bytes.Buffer), new(bytes.Buffer))
	if !errors.Is(err, runner.ErrUsage) {
		t.Errorf("Run with Reps -1: err = %v; want a usage error", err)
	}
}

func TestSelects(t *testing.T) {
	es := experiments(sizesFor(true))
	for run, want := range map[string][]string{
		"":           nil, // all
		"convoy":     {"convoy-5ms", "convoy-0.1ms", "convoy-legacy", "convoy-asyncio", "convoy-asyncio-lag"},
		"2 threads":  {"cpu-countdown", "cpu-primes", "legacy-battle"}, // by row name
		"cpu-primes": {"cpu-primes"},
		"no-such":    {},
	} {
		var got []string
		for _, e := range es {
			if (Options{Run: run}).selects(e) {
				got = append(got, e.name)
			}
		}
		if want == nil {
			if len(got) != len(es) {
				t.Errorf("Run %q selects %q; want all", run, got)
			}
			continue
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("Run %q selects %q; want %q", run, got, want)
		}
	}
}

// fakeFigures are figures of every key each side of every experiment produces, all of
// value x (CPython's only for experiments with a counterpart).
func fakeFigures(es []experiment, x float64) (gb, py figures) {
	gb, py = figures{}, figures{}
	for _, e := range es {
		for _, k := range e.gb.keys() {
			gb[e.name+"/"+k] = x
		}
		if e.py != nil {
			for _, k := range e.py.keys() {
				py[e.name+"/"+k] = x
			}
		}
	}
	return gb, py
}

// TestExperimentsTable checks the table: unique names, and every row reads only figures
// that the experiments' two sides produce.
func TestExperimentsTable(t *testing.T) {
	for _, quick := range []bool{false, true} {
		es := experiments(sizesFor(quick))
		gb, py := fakeFigures(es, 1)
		seen := map[string]bool{}
		for _, e := range es {
			if seen[e.name] {
				t.Errorf("experiment %q twice", e.name)
			}
			seen[e.name] = true
			if len(e.rows) == 0 {
				t.Errorf("%s: no rows", e.name)
			}
			if !e.gb.convoy && e.gb.custom == nil && (len(e.gb.workers) == 0 || e.gb.tasks <= 0 || e.gb.size <= 0) {
				t.Errorf("%s: gilbench side %+v measures nothing", e.name, e.gb)
			}
			if m, err := runner.LookupMode(e.gb.mode); err != nil || m.Rules().Python {
				t.Errorf("%s: gilbench side's mode %q: %v (want an emulated mode)", e.name, e.gb.mode, err)
			}
			if e.py != nil {
				if m, err := runner.LookupMode(e.py.mode); err != nil || !m.Rules().Python {
					t.Errorf("%s: CPython side's mode %q: %v (want a cpython-* mode)", e.name, e.py.mode, err)
				}
				if !slices.Equal(e.py.keys(), e.gb.keys()) {
					t.Errorf("%s: CPython's keys %v, gilbench's %v", e.name, e.py.keys(), e.gb.keys())
				}
			}
			for _, r := range e.rows {
				if seen[r.name] {
					t.Errorf("row %q twice", r.name)
				}
				seen[r.name] = true
				if _, ok := r.value(gb); !ok {
					t.Errorf("%s: row %q does not read gilbench's figures", e.name, r.name)
				}
				if _, ok := r.value(py); e.py != nil && !ok {
					t.Errorf("%s: row %q does not read CPython's figures", e.name, r.name)
				}
				if (r.factor > 0) != (e.py != nil) || r.factor != 0 && r.factor < 1 {
					t.Errorf("%s: row %q has factor %v with CPython side %v", e.name, r.name, r.factor, e.py != nil)
				}
			}
		}
	}
}

// TestRender compares the table of made-up figures with testdata/table.golden: every
// kind of cell (gilbench's n/a; CPython's value with and without a note, "—", not run,
// error, no counterpart).
func TestRender(t *testing.T) {
	es := experiments(sizesFor(true))
	gb, py := fakeFigures(es, 1)
	for k, x := range map[string]float64{
		"cpu-countdown/1": 0.15, "cpu-countdown/2": 0.16, "cpu-countdown/4": 0.17,
		"io-sleep/1": 0.136, "io-sleep/8": 0.0179,
		"convoy-5ms/0": 41920, "convoy-5ms/1": 410, "convoy-5ms/2": 99.5,
		"convoy-0.1ms/0": 38430, "convoy-0.1ms/1": 13750, "convoy-0.1ms/2": 5686,
		"convoy-legacy/0": 39440, "convoy-legacy/1": 20540, "convoy-legacy/2": 11030,
		"asyncio-sleep/1": 0.136, "asyncio-sleep/8": 0.0175, "convoy-asyncio/1": 0.71, "convoy-asyncio-lag/1": 1.6e9,
		"chunking/seq": 0.0363, "chunking/1": 0.187, "chunking/64": 0.0208,
	} {
		gb[k] = x
	}
	delete(gb, "tiny-interval/4") // n/a
	delete(py, "cpu-primes/4")    // —
	res := results{ran: es, gb: gb, py: py,
		notes:    map[string]string{"convoy-legacy": "2.7.18"},
		pyFailed: map[string]bool{"io-http": true},
		pythons: pythons{cpython3: {Path: "/usr/bin/python3", Version: "3.11.7", Major: 3, Minor: 11},
			cpython2: {Path: "/usr/bin/python2.7", Version: "2.7.18", Major: 2, Minor: 7}},
	}
	for k := range py {
		if strings.HasPrefix(k, "io-http/") {
			delete(py, k)
		}
	}
	res.ran = append(res.ran, experiment{name: "alone", gb: es[0].gb, rows: es[0].rows[:1]})
	var out bytes.Buffer
	printHeader(&out, Options{Quick: true, Reps: 3}, res.pythons)
	failed, total, err := render(&out, res, 33*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if total != 34 || failed != 23 { // the free-threading rows: 12, of which 11 fail at 1
		t.Errorf("render: %d of %d failed; want 23 of 34", failed, total)
	}
	// The header's machine figures vary: compare from the CPython line on.
	got := out.Bytes()[bytes.Index(out.Bytes(), []byte("\nCPython:"))+1:]
	golden := filepath.Join("testdata", "table.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gotFile := filepath.Join("testdata", "table.got")
		os.WriteFile(gotFile, got, 0o644)
		t.Errorf("render: got %s; want %s", gotFile, golden)
	}
}

// TestRunWithoutPython runs one quick experiment with CPython switched off: the table is
// printed, says CPython did not run, and a failed behaviour is an error (on a loaded
// machine a behaviour may fail; the structure is what is checked).
func TestRunWithoutPython(t *testing.T) {
	if testing.Short() {
		t.Skip("measures")
	}
	var stdout, stderr bytes.Buffer
	o := Options{Quick: true, Reps: 1, Python: "none", Python2: "none", PythonSub: "none", Run: "cpu-countdown"}
	err := Run(context.Background(), o, &stdout, &stderr)
	if err != nil && !strings.Contains(err.Error(), "not reproduced") {
		t.Fatalf("validate: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"CPython: not found", "behaviour to reproduce", "gil: countdown, 2 threads",
		"gil: countdown, 4 threads", "not run (no python3)", "of 2 behaviours reproduced"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "convoy") {
		t.Errorf("Run cpu-countdown ran other experiments:\n%s", out)
	}
}

// TestCPythonSides runs every experiment's CPython side, through its cpython-* mode, at
// tiny sizes in the CPythons found, checking that it runs there and yields every figure
// its rows read.
func TestCPythonSides(t *testing.T) {
	if testing.Short() {
		t.Skip("runs CPython")
	}
	o, _ := Options{Reps: 1}.withDefaults()
	v := &validator{o: o, py: findPythons(context.Background(), o),
		s: sizes{cdTasks: 4, cdSize: 1000, pyCdSize: 1000, prTasks: 4, prSize: 50, pyPrSize: 50,
			ioTasks: 4, sleepUs: 500, httpGets: 1, convoyMs: 40, pySubSize: 1000, warmup: 1}}
	if len(v.py) == 0 {
		t.Skip("no CPython on PATH")
	}
	for i, py := range v.py {
		t.Logf("%s: %s", i.missing(), version(py))
	}
	ran := 0
	for _, e := range experiments(v.s) {
		if e.py == nil || !v.py.has(e.py.python) {
			continue
		}
		f, _, err := v.measureCPython(context.Background(), *e.py)
		if err != nil {
			t.Errorf("%s: %v", e.name, err)
			continue
		}
		ran++
		for _, k := range e.py.keys() {
			if x, ok := f[k]; !ok || !(x > 0) {
				t.Errorf("%s: CPython's figure %s = %v, %v; want a positive figure (all: %s)", e.name, k, x, ok, f)
			}
		}
	}
	if ran == 0 {
		t.Skip("no experiment's CPython found")
	}
}

// TestJudge checks the verdicts: the band alone without CPython; with CPython, the band
// and the factor, and outside the band only where CPython is outside it too.
func TestJudge(t *testing.T) {
	e := experiment{name: "x", py: &side{python: cpython3}}
	r := row{value: ratio("x/2", "x/1"), pass: atLeast(1.5), factor: 1.5}
	for _, c := range []struct {
		gb, py float64 // x/2, with x/1 = 1; py 0: CPython did not run
		want   bool
	}{
		{2, 0, true}, {1.2, 0, false}, // the band alone
		{2, 2.5, true},   // in the band, agrees
		{2, 4, false},    // in the band, ×0.5 of CPython
		{1.2, 1.1, true}, // both outside the band, agree
		{1.2, 2, false},  // outside the band where CPython is in it
		{1.4, 2.2, false},
	} {
		res := results{gb: figures{"x/1": 1, "x/2": c.gb}, py: figures{}, pythons: pythons{}}
		if c.py > 0 {
			res.py = figures{"x/1": 1, "x/2": c.py}
			res.pythons[cpython3] = &cpython.Interpreter{}
		}
		if got := res.judge(e, r).pass; got != c.want {
			t.Errorf("gilbench %v, CPython %v: pass %v; want %v", c.gb, c.py, got, c.want)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{{[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{7}, 7}} {
		if got := median(c.xs); got != c.want {
			t.Errorf("median(%v) = %v; want %v", c.xs, got, c.want)
		}
	}
	if got := median(nil); got == got {
		t.Errorf("median(nil) = %v; want NaN", got)
	}
}
