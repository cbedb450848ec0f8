package report

import (
	"context"
	"strings"
	"testing"
)

// synthAnswers builds the default matrix (2 cores; 1, 2, 4 and 8 workers)
// and returns its answers by workload.
func synthAnswers(t *testing.T) (*Result, map[string]Answer) {
	t.Helper()
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: defaultMatrixRun(t) + "/" + RawFile}}})
	if err != nil {
		t.Fatal(err)
	}
	as := map[string]Answer{}
	for _, a := range r.Answers {
		as[a.Group] = a
	}
	return r, as
}

// TestAnswerConvoy: a mixed workload's answer compares the modes with each
// other at one worker count with a CPU-bound thread beside the I/O thread
// (not the baseline, the I/O thread alone, against the most workers), on
// the I/O thread's round trips, and says why in Python's words.
func TestAnswerConvoy(t *testing.T) {
	r, as := synthAnswers(t)
	a, ok := as["convoy"]
	if !ok {
		t.Fatal("no answer for convoy")
	}
	if a.Workers != 2 {
		t.Errorf("convoy answered at %d workers; want 2 (the I/O thread beside one CPU-bound thread, within 2 cores)", a.Workers)
	}
	if a.Recommended == r.Options.Baseline || a.Recommended == "gil" {
		t.Errorf("convoy recommends %s; want a rival whose I/O thread is not stalled by the GIL", a.Recommended)
	}
	if a.P > r.Options.Alpha {
		t.Errorf("convoy: %s against gil at 2 workers p=%.3f; want significant (synthetic round trips differ 20-fold)", a.Recommended, a.P)
	}
	if a.StatusQuo != "gil" || a.StatusQuoX > 0.1 {
		t.Errorf("convoy: status quo %s keeps %.3g× of the I/O thread's round trips alone; want gil below 0.1×", a.StatusQuo, a.StatusQuoX)
	}
	for _, want := range []string{"roundtrips/s", "alone", "beside 1 CPU-bound thread", "gil (threading)", "waits for the GIL",
		"free threading", "multiprocessing", "cores kept busy"} {
		if !strings.Contains(a.Text, want) {
			t.Errorf("convoy answer lacks %q:\n%s", want, a.Text)
		}
	}
}

// TestAnswerClasses: every workload of the default matrix has an answer at
// a worker count the class calls for, naming a rival that scales where the
// synthetic physics says one does.
func TestAnswerClasses(t *testing.T) {
	r, as := synthAnswers(t)
	for _, w := range []string{"primes", "mandel", "fetch", "files", "convoy", "counter"} {
		a, ok := as[w]
		if !ok {
			t.Errorf("%s: no answer", w)
			continue
		}
		if a.Recommended == "" || a.Text == "" || !strings.HasPrefix(a.Text, w) {
			t.Errorf("%s: answer %+v", w, a)
		}
		// The strategy in Python's words, from the run's note lines.
		if a.Recommended != r.Options.Baseline && (r.named(a.Recommended) == a.Recommended || !strings.Contains(a.Text, "use "+r.named(a.Recommended))) {
			t.Errorf("%s: the answer does not name %s in Python's words:\n%s", w, a.Recommended, a.Text)
		}
		switch a.Class {
		case "CPU":
			if a.Workers != 2 {
				t.Errorf("%s: CPU-bound answer at %d workers; want the 2 cores", w, a.Workers)
			}
			if a.Recommended == "gil" || a.Recommended == r.Options.Baseline || a.Speedup < 1.5 {
				t.Errorf("%s: use %s at %.2f×; want a parallel rival near 2×", w, a.Recommended, a.Speedup)
			}
			if !strings.Contains(a.Text, "wait for the lock") {
				t.Errorf("%s: no lock-wait evidence:\n%s", w, a.Text)
			}
		case "IO":
			if a.Workers != 8 || a.Speedup < 2 {
				t.Errorf("%s: I/O-bound answer at %d workers, %.2f×; want 8 workers, well above 2×", w, a.Workers, a.Speedup)
			}
		}
	}
}
