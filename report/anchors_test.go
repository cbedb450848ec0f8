package report

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// TestAnchorsData: every published figure has a value, a legend label, a
// sentence, a source and a link, and a way to match a run's tables.
func TestAnchorsData(t *testing.T) {
	as := Anchors()
	if len(as) < 4 {
		t.Fatalf("%d anchors; want the convoy (alone, beside), the GIL battle and free threading", len(as))
	}
	for _, a := range as {
		if a.ID == "" || a.Value <= 0 || a.Label == "" || a.Figure == "" || a.Source == "" ||
			!strings.HasPrefix(a.URL, "https://") || len(a.Match) == 0 || (a.Chart != "speedup" && a.Chart != "throughput") {
			t.Errorf("anchor %+v is incomplete", a)
		}
		if a.Lo > a.Value || (a.Hi != 0 && a.Hi < a.Value) {
			t.Errorf("anchor %s: %g outside its range %g–%g", a.ID, a.Value, a.Lo, a.Hi)
		}
	}
}

// TestAnchorsDrawn: on the synthetic default matrix the convoy's round
// trips chart draws Beazley's two figures, a CPU-bound speed-up chart the
// GIL battle (the run has CPython 2's GIL) but not the free-threaded cost
// (goroutine is free threading at no cost; the cost is the free-threaded
// mode's, TestFreeThreadedInReport), an I/O-bound chart or one of a
// workload the anchors do not name none; report.html lists them
// with their sources, and the convoy's answer quotes them.
func TestAnchorsDrawn(t *testing.T) {
	dir := defaultMatrixRun(t)
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: dir + "/" + RawFile}}, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"throughput-roundtrips_s-convoy": {"convoy-alone", "convoy-beside"},
		"speedup-primes":                 {"gil-battle"},
		"speedup-fetch":                  nil,
		"speedup-mandel":                 nil, // not a workload the anchors name
		"throughput-tasks_s-primes":      nil,
	}
	for _, p := range r.Plots {
		ids, ok := want[p.Name]
		if !ok {
			continue
		}
		delete(want, p.Name)
		if strings.Join(p.Anchors, ",") != strings.Join(ids, ",") {
			t.Errorf("%s draws anchors %q; want %q", p.Name, p.Anchors, ids)
		}
		for _, id := range ids {
			for _, a := range anchors {
				if a.ID == id && !bytes.Contains(p.SVG, []byte(a.Label)) {
					t.Errorf("%s: the SVG has no legend entry %q", p.Name, a.Label)
				}
			}
		}
	}
	for name := range want {
		t.Errorf("no plot %s", name)
	}
	html, err := os.ReadFile(r.HTML)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`id="anchors"`, "PyCon 2010", "bpo-7946", "PEP 703", "https://bugs.python.org/issue7946"} {
		if !bytes.Contains(html, []byte(s)) {
			t.Errorf("report.html lacks %q", s)
		}
	}
	for _, a := range r.Answers {
		if a.Group == "convoy" && !strings.Contains(a.Text, "published: ") {
			t.Errorf("the convoy's answer does not quote the published figures:\n%s", a.Text)
		}
	}
}
