package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeModes writes a raw file of one workload with the given mode lines
// (header) and modes, in that order; the i-th mode is (i+1) times faster
// than the first at 2 workers.
func writeModes(t *testing.T, header string, modes ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(header)
	for i, m := range modes {
		for _, n := range []int{1, 2} {
			for rep := range 6 {
				ns := 1e6 * (1 + 0.01*float64(rep))
				if n == 2 {
					ns /= float64(i + 1)
				}
				fmt.Fprintf(&b, "BenchmarkCPU/workload=w/mode=%s/workers=%d-2 10 %.0f ns/op\n", m, n, ns)
			}
		}
	}
	raw := filepath.Join(t.TempDir(), "raw.txt")
	if err := os.WriteFile(raw, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestModeRoles: roles and order come from the mode lines, whatever the
// modes are called and wherever they appear.
func TestModeRoles(t *testing.T) {
	raw := writeModes(t, "mode-alpha: rival\nmode-beta: baseline\nmode-delta: rival\nmode-gamma: reference\n",
		"alpha", "delta", "gamma", "beta")
	dir := t.TempDir()
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: raw}}, OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if r.Options.Baseline != "beta" || strings.Join(r.Options.Reference, ",") != "gamma" {
		t.Errorf("baseline %q, references %q; want beta, gamma", r.Options.Baseline, r.Options.Reference)
	}
	if got := describeModes(r.Modes); got != "alpha, beta (baseline), delta, gamma (reference)" {
		t.Errorf("modes %s; want the mode lines' order and roles", got)
	}
	tb := r.SelectTables(nil)[0]
	var cols []string
	for _, c := range tb.Cols {
		cols = append(cols, c.Label)
	}
	if got := strings.Join(cols, ","); got != "beta,alpha,delta,gamma" {
		t.Errorf("columns %s; want the baseline first, then the mode lines' order", got)
	}
	if !strings.HasPrefix(tb.Baseline, "beta") {
		t.Errorf("table baseline %q; want beta", tb.Baseline)
	}
	// gamma, the fastest, is a reference; delta is the best rival, against
	// the status quo alpha (the first rival).
	if len(r.Verdict) != 1 || r.Verdict[0].Winner != "delta" || r.Verdict[0].Other != "alpha" {
		t.Errorf("verdict %+v; want delta against alpha", r.Verdict)
	}
	for _, w := range r.Warnings {
		if w.Kind == WarnInput {
			t.Errorf("input warning for a file with mode lines: %s", w)
		}
	}
	// Colours go by the position in the mode lines, not by name.
	pal := newPalette(modeNames(r.Modes))
	for i, m := range []string{"alpha", "beta", "delta", "gamma"} {
		if pal.color(m) != modePalette[i] {
			t.Errorf("%s has colour %v; want the palette's %d-th", m, pal.color(m), i)
		}
	}
	html, err := os.ReadFile(r.HTML)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(html, []byte("alpha, beta (baseline), delta, gamma (reference)")) || bytes.Contains(html, []byte("mode-alpha")) {
		t.Error("report.html does not show the modes as one row")
	}
}

// TestModeLinesMissing: an older file is read in the order its modes
// appear, the first as the baseline and no reference, with one warning.
func TestModeLinesMissing(t *testing.T) {
	raw := writeModes(t, "", "one", "two", "three")
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: raw}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Options.Baseline != "one" || len(r.Options.Reference) != 0 {
		t.Errorf("baseline %q, references %q; want one and none", r.Options.Baseline, r.Options.Reference)
	}
	var ws []string
	for _, w := range r.Warnings {
		if w.Kind == WarnInput {
			ws = append(ws, w.String())
		}
	}
	want := raw + ": no mode-<name> lines (a run from before they were written?): modes are taken in the order they appear, one as the baseline, none as a reference"
	if len(ws) != 1 || ws[0] != want {
		t.Errorf("input warnings %q; want exactly\n%q", ws, want)
	}
	if len(r.Verdict) != 1 || r.Verdict[0].Winner != "three" || r.Verdict[0].Other != "two" {
		t.Errorf("verdict %+v; want three against two", r.Verdict)
	}
	// The comparison of runs does not use roles: no warning there.
	r, err = Build(context.Background(), Options{Layout: ByInput, Inputs: []Input{{Path: raw}, {Path: raw}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range r.Warnings {
		if w.Kind == WarnInput {
			t.Errorf("ByInput: %s", w)
		}
	}
}

func TestModeLinesBad(t *testing.T) {
	raw := writeModes(t, "goos: linux\nmode-a: baseline\nmode-b: champion\n", "a", "b")
	_, err := Build(context.Background(), Options{Inputs: []Input{{Path: raw}}})
	if !isInputErr(err) || !strings.Contains(err.Error(), raw+":3: config mode-b: unknown mode role \"champion\"") {
		t.Errorf("err = %v; want an input error at line 3 about the role", err)
	}
}
