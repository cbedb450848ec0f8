package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"gilbench/vocab"
)

// TestSideBySide: with cpython modes in the run, every emulated mode
// whose counterpart ran has its real curve in its workload's chart, and
// report.html has the side-by-side table; a run without them says how to
// add them.
func TestSideBySide(t *testing.T) {
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: "testdata/synthetic-cpython.txt"}}, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // emulated mode -> the real group it must meet, per workload
		"gil": "python=3.11", "gil-legacy": "python=2.7", "subinterp": "python=3.11", "process": "python=3.11",
	}
	for _, w := range []string{"primes", "fetch"} {
		for mode, keys := range want {
			found := false
			for _, p := range r.Pairs {
				if p.Group == w && p.Emulated == mode {
					if found {
						t.Errorf("%s: %s has two counterparts", w, mode)
					}
					found = true
					if p.RealGroup != w+" "+keys {
						t.Errorf("%s: %s beside %s; want %s", w, mode, p.RealGroup, w+" "+keys)
					}
					if len(p.Rows) != 3 {
						t.Errorf("%s: %s: %d worker counts side by side; want 3", w, mode, len(p.Rows))
					}
					for _, row := range p.Rows {
						// Every figure has its interval; the ratio's is from the 6 rounds.
						if row.N != 6 || !(row.RatioLo <= row.Ratio && row.Ratio <= row.RatioHi && row.RatioLo < row.RatioHi) {
							t.Errorf("%s: %s at %d workers: ratio %g (%g–%g) from %d rounds; want an interval around it from 6",
								w, mode, row.Workers, row.Ratio, row.RatioLo, row.RatioHi, row.N)
						}
						if !(row.EmuLo <= row.Emulated && row.Emulated <= row.EmuHi && row.RealLo <= row.Real && row.Real <= row.RealHi) || row.EmuHi == 0 || row.RealHi == 0 {
							t.Errorf("%s: %s at %d workers: emulated %g (%g–%g), real %g (%g–%g); want intervals around both",
								w, mode, row.Workers, row.Emulated, row.EmuLo, row.EmuHi, row.Real, row.RealLo, row.RealHi)
						}
					}
				}
			}
			if !found {
				t.Errorf("%s: %s has no counterpart beside it", w, mode)
			}
		}
		plot := false
		for _, p := range r.Plots {
			plot = plot || (p.Kind == "real" && p.Group == w)
		}
		if !plot {
			t.Errorf("%s: no chart of emulated beside real", w)
		}
	}
	html, err := os.ReadFile(r.HTML)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(html, []byte(`id="pairs"`)) {
		t.Error("report.html has no side-by-side table")
	}
	if !bytes.Contains(html, []byte(fmtRange(r.Pairs[0].Rows[0].RatioLo, r.Pairs[0].Rows[0].RatioHi)+"</td></tr>")) {
		t.Error("the side-by-side table does not show the ratio's interval")
	}

	r, err = Build(context.Background(), Options{Inputs: []Input{{Path: "testdata/synthetic-run.txt"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Pairs) != 0 || r.noCPythonHint() == "" {
		t.Errorf("a run without cpython modes: %d pairs, hint %q", len(r.Pairs), r.noCPythonHint())
	}
}

// TestSideBySideStartMethod: real runs name cpython-process's cells with their start
// method (python=3.11/start=fork), so they are a table of their own, apart from
// cpython-seq's; process still meets them, with cpython-seq's cell as their baseline.
func TestSideBySideStartMethod(t *testing.T) {
	raw, err := os.ReadFile("testdata/synthetic-cpython.txt")
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.ReplaceAll(raw, []byte("/mode=cpython-process/python=3.11/"), []byte("/mode=cpython-process/python=3.11/start=fork/"))
	in := filepath.Join(t.TempDir(), "raw.txt")
	if err := os.WriteFile(in, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: in}}, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"primes", "fetch"} {
		found := false
		for _, p := range r.Pairs {
			if p.Group == w && p.Emulated == "process" {
				found = true
				if p.RealGroup != w+" python=3.11 start=fork" || len(p.Rows) != 3 {
					t.Errorf("%s: process beside %q at %d worker counts; want %q at 3", w, p.RealGroup, len(p.Rows), w+" python=3.11 start=fork")
				}
			}
		}
		if !found {
			t.Errorf("%s: process has no counterpart beside it when cpython-process's cells carry start=fork", w)
		}
	}
}

// TestUserWorkloadNote: a user's own workload is in no catalogue; the report takes its
// docstring from the run's note line and its source from the file the line names.
func TestUserWorkloadNote(t *testing.T) {
	raw, err := os.ReadFile("testdata/synthetic-cpython.txt")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "primes_mine.py")
	if err := os.WriteFile(src, []byte("def task(i, size):\n    return i  # my own primes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	note := vocab.WorkloadNoteLine(vocab.WorkloadNote{Name: "primes", File: src, Doc: "My primes, counted my way."})
	in := filepath.Join(dir, "raw.txt")
	if err := os.WriteFile(in, append([]byte(note+"\n"), raw...), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: in}}, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(r.HTML)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"My primes, counted my way.", "<summary>primes_mine.py</summary>", "# my own primes"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}
