package vocab

import (
	"strings"
	"testing"
)

func TestTidyMatchesBenchfmt(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"ns/op", "sec/op"},
		{"gil-wait-ns/op", "gil-wait-sec/op"},
		{"p99-ns", "p99-sec"},
		{"tasks/s", "tasks/s"},
		{"peak-rss-B", "peak-rss-B"},
	} {
		if got := Tidy(c.in); got != c.want {
			t.Errorf("Tidy(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestUnitsAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, u := range Units {
		for _, n := range []string{u.Name, u.Tidy()} {
			if seen[n] && n != u.Name {
				t.Errorf("unit %q: tidied name %q collides", u.Name, n)
			}
		}
		if seen[u.Name] {
			t.Errorf("unit %q listed twice", u.Name)
		}
		seen[u.Name] = true
		if got, ok := LookupUnit(u.Tidy()); !ok || got != u {
			t.Errorf("LookupUnit(%q) = %v, %v", u.Tidy(), got, ok)
		}
	}
}

func TestBetterOf(t *testing.T) {
	for _, c := range []struct {
		unit string
		want Better
	}{
		{"tasks/s", Higher}, {"roundtrips/s", Higher}, {"sec/op", Lower},
		{"gil-wait-sec/op", Lower}, {"B/s", Higher}, {"widgets/op", Lower},
	} {
		if got := BetterOf(c.unit); got != c.want {
			t.Errorf("BetterOf(%q) = %v, want %v", c.unit, got, c.want)
		}
	}
}

func TestModeConfig(t *testing.T) {
	m, ok, err := ParseModeConfig(ModeConfigKey("gil"), " rival")
	if err != nil || !ok || m != (ModeInfo{Name: "gil", Role: Rival}) {
		t.Fatalf("ParseModeConfig = %v, %v, %v", m, ok, err)
	}
	if _, ok, _ := ParseModeConfig("goos", "linux"); ok {
		t.Error("goos parsed as a mode line")
	}
	if _, ok, err := ParseModeConfig("mode-x", "winner"); !ok || err == nil {
		t.Errorf("unknown role: ok=%v err=%v, want an error", ok, err)
	}
}

func TestOutcomeRoundTrip(t *testing.T) {
	for _, o := range []Outcome{
		{"CPU/workload=primes/mode=process/workers=2", Completed, ""},
		{"CPU/workload=primes/mode=process/workers=4", Failed, "worker pid 4242: exited: signal 9"},
		{"IO/workload=sleep/mode=gil/workers=8", Interrupted, ""},
	} {
		got, ok := ParseOutcome(o.Line())
		if !ok || got != o {
			t.Errorf("ParseOutcome(%q) = %+v, %v; want %+v", o.Line(), got, ok, o)
		}
	}
	if _, ok := ParseOutcome("goos: linux"); ok {
		t.Error("a config line parsed as an outcome")
	}
	if got := (Outcome{"X/a=1", Failed, "two\nlines"}).Line(); got != "# cell X/a=1: failed: two lines" {
		t.Errorf("Line folds newlines: got %q", got)
	}
}

func TestNoiseRecords(t *testing.T) {
	l := Load{Other: 0.91, Steal: 0.05, Cores: 2}
	w, got, ok := ParseNoiseLine(NoiseLine("primes", l))
	if !ok || w != "primes" || got != l {
		t.Fatalf("ParseNoiseLine = %q, %+v, %v", w, got, ok)
	}
	if !l.Busy() || (Load{Other: 0.1, Cores: 2}).Busy() {
		t.Error("Busy: 0.96 cores should be busy, 0.1 not")
	}
	if want := "the machine was busy: other processes used 1.0 of 2 cores during this run; timings are not comparable"; l.Warning("during this run") != want {
		t.Errorf("Warning = %q", l.Warning("during this run"))
	}
}

func TestModeLinesRoundTrip(t *testing.T) {
	for _, m := range []ModeInfo{
		{Name: "gil", Role: Rival, Counterpart: "cpython-threads",
			Python: `threading.Thread workers over queue.Queue under CPython's GIL (3.2+); "quoted", \ too`,
			Doc:    "https://docs.python.org/3/library/threading.html"},
		{Name: "gil-legacy", Role: Rival, Counterpart: "cpython-threads/python=2.7", Python: "threading under CPython 2"},
		{Name: "sequential", Role: Baseline, Doc: "https://peps.python.org/pep-0000/"},
		{Name: "native", Role: Reference},
	} {
		got, ok, err := ParseModeConfig(ModeConfigKey(m.Name), ModeConfigValue(m))
		if err != nil || !ok || got.Name != m.Name || got.Role != m.Role || got.Counterpart != m.Counterpart {
			t.Errorf("config line of %+v read back as %+v, %v, %v", m, got, ok, err)
		}
		line := ModeNoteLine(m)
		if m.Python == "" && m.Doc == "" {
			if line != "" {
				t.Errorf("note of %s = %q; want none", m.Name, line)
			}
			continue
		}
		if strings.Contains(line, "\n") {
			t.Errorf("note line holds a newline: %q", line)
		}
		n, ok, err := ParseModeNote(line)
		if err != nil || !ok || n.Name != m.Name || n.Python != m.Python || n.Doc != m.Doc {
			t.Errorf("ParseModeNote(%q) = %+v, %v, %v", line, n, ok, err)
		}
	}
	if mode, keys := SplitCounterpart("cpython-threads/python=2.7"); mode != "cpython-threads" || len(keys) != 1 || keys[0] != "python=2.7" {
		t.Errorf("SplitCounterpart = %q, %q", mode, keys)
	}
	if _, ok, _ := ParseModeNote("# noise primes: other=0.1 steal=0 cores=2"); ok {
		t.Error("a noise line parsed as a mode note")
	}
	if _, ok, err := ParseModeNote(`# mode gil: python="unterminated`); !ok || err == nil {
		t.Errorf("bad note: ok=%v err=%v; want an error", ok, err)
	}
	if _, _, err := ParseModeConfig("mode-gil", "rival counterpart"); err == nil {
		t.Error("a field without = parsed")
	}
}

func TestWorkloadNoteRoundTrip(t *testing.T) {
	n := WorkloadNote{Name: "mine", File: "./my dir/mine.py", Doc: "Count \"primes\": my way.\nTwo lines."}
	got, ok, err := ParseWorkloadNote(WorkloadNoteLine(n))
	if !ok || err != nil || got != n {
		t.Errorf("round trip: %+v, %v, %v; want %+v", got, ok, err, n)
	}
	if _, ok, err := ParseWorkloadNote(`# workload mine: file="unterminated`); !ok || err == nil {
		t.Errorf("a broken note: ok %v, err %v; want an error", ok, err)
	}
	if _, ok, _ := ParseWorkloadNote("# mode gil: python=\"x\""); ok {
		t.Error("a mode note read as a workload note")
	}
}
