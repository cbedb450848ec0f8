package report

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gilbench/vocab"
)

// TestFailedCellIsMarked: a cell that raw.txt says failed keeps its finished
// repetitions in the tables, marked, with a warning that says why, and never wins the
// verdict; a busy machine is named.
func TestFailedCellIsMarked(t *testing.T) {
	data, err := os.ReadFile("testdata/synthetic-run.txt")
	if err != nil {
		t.Fatal(err)
	}
	const failed = "CPU/workload=primes/mode=goroutine/workers=4"
	extra := "\n" + vocab.Outcome{Cell: failed, Status: vocab.Failed, Reason: "worker pid 42 exited: signal 9"}.Line() + "\n" +
		vocab.Outcome{Cell: "CPU/workload=primes/mode=gil/workers=4", Status: vocab.Completed}.Line() + "\n" +
		vocab.NoiseLine("primes", vocab.Load{Other: 0.9, Cores: 2}) + "\n"
	raw := filepath.Join(t.TempDir(), "raw.txt")
	if err := os.WriteFile(raw, append(data, extra...), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: raw}}})
	if err != nil {
		t.Fatal(err)
	}
	var outcome, noise int
	for _, w := range r.Warnings {
		switch w.Kind {
		case WarnOutcome:
			outcome++
			if !strings.Contains(w.String(), failed) || !strings.Contains(w.Msg, "FAILED: worker pid 42") {
				t.Errorf("outcome warning %q", w)
			}
		case WarnNoise:
			noise++
			if !strings.Contains(w.Msg, "0.9 of 2 cores while primes ran") {
				t.Errorf("noise warning %q", w)
			}
		}
	}
	if outcome != 1 || noise != 1 {
		t.Errorf("%d outcome and %d noise warnings; want 1 and 1", outcome, noise)
	}
	marked := 0
	for _, tb := range r.Tables {
		for _, row := range tb.Cells {
			for _, c := range row {
				if c == nil || !c.Incomplete() {
					continue
				}
				marked++
				if c.Mode != "goroutine" || c.Workers != 4 {
					t.Errorf("%s: cell %s/%d marked incomplete", tb.Group, c.Mode, c.Workers)
				}
				if ct := formatCell(tb, rowScalers(tb)[c.Row], c, false); !strings.HasPrefix(ct.Stat, "FAILED") || ct.Class != "failed" {
					t.Errorf("%s: a failed cell reads %+v", tb.Group, ct)
				}
			}
		}
	}
	if marked == 0 {
		t.Fatal("no table marks the failed cell")
	}
	for _, f := range r.Verdict {
		if strings.Contains(f.Text, "goroutine") && strings.Contains(f.Text, "4 workers") {
			t.Errorf("the verdict picked the failed cell: %s", f.Text)
		}
	}
	if r.Runs[0].Incomplete != 1 || len(r.Runs[0].Noise) != 1 {
		t.Errorf("run info: %d incomplete cells, %d noise records; want 1 and 1", r.Runs[0].Incomplete, len(r.Runs[0].Noise))
	}
}

// TestSkippedCellsAreExplained: the skipped cells of raw.txt become one warning per
// workload and reason, naming the modes, so the report says why a mode is missing.
func TestSkippedCellsAreExplained(t *testing.T) {
	data, err := os.ReadFile("testdata/synthetic-run.txt")
	if err != nil {
		t.Fatal(err)
	}
	why := "not compiled for the interpreter: ./mine.py:3:15: list comprehensions are not in the subset"
	extra := "\n"
	for _, c := range []string{"CPU/workload=mine/mode=gil/workers=1", "CPU/workload=mine/mode=gil/workers=2", "CPU/workload=mine/mode=sequential/workers=1"} {
		extra += vocab.Outcome{Cell: c, Status: vocab.Skipped, Reason: why}.Line() + "\n"
	}
	extra += vocab.Outcome{Cell: "CPU/workload=primes/mode=process/workers=2", Status: vocab.Skipped, Reason: "another reason"}.Line() + "\n"
	raw := filepath.Join(t.TempDir(), "raw.txt")
	if err := os.WriteFile(raw, append(data, extra...), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: raw}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range r.Warnings {
		if w.Kind == WarnSkipped {
			got = append(got, w.String())
		}
	}
	want := []string{"skipped under gil, sequential (3 cells): " + why, "primes: skipped under process (1 cell): another reason"}
	if len(got) != 2 || !strings.HasSuffix(got[0], want[0]) || !strings.HasSuffix(got[1], want[1]) {
		t.Errorf("skip warnings %q; want ones ending %q", got, want)
	}
}
