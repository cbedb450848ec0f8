package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFoldProfile(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"BenchmarkCPU/workload=primes/mode=free-threaded/workers=2/procs=8/ft=3.14-6",
			"BenchmarkCPU/workload=primes/mode=free-threaded ft=3.14/workers=2/procs=8-6"},
		// A cell name, as outcome records spell it: no -N.
		{"CPU/workload=primes/mode=free-threaded/workers=1/ft=3.13", "CPU/workload=primes/mode=free-threaded ft=3.13/workers=1"},
		// No profile key, or no mode: unchanged.
		{"BenchmarkCPU/workload=primes/mode=goroutine/workers=2-6", "BenchmarkCPU/workload=primes/mode=goroutine/workers=2-6"},
		{"BenchmarkCPU/workload=primes/python=3.14t-2", "BenchmarkCPU/workload=primes/python=3.14t-2"},
		{"BenchmarkX/ft=3.14-2", "BenchmarkX/ft=3.14-2"},
	} {
		if got := foldProfile(c.in); got != c.want {
			t.Errorf("foldProfile(%q) = %q; want %q", c.in, got, c.want)
		}
	}
	if b, p := splitProfile("free-threaded ft=3.14"); b != "free-threaded" || strings.Join(p, ",") != "ft=3.14" {
		t.Errorf("splitProfile: %q %q", b, p)
	}
	if w := profileWords("free-threaded ft=3.13"); w != "free-threaded CPython 3.13t" {
		t.Errorf("profileWords = %q", w)
	}
}

// TestFreeThreadedInReport: the free-threaded mode's cells, one per profile
// (ft=3.13, ft=3.14), are columns of the workload's own table beside
// sequential and goroutine, with speed-ups against sequential; they have a
// colour each on the speed-up chart, which draws the published single-thread
// cost of each profile; the answer names them in Python's words; the
// glossary cites PEP 779; and the 3.14 profile is paired with the run's
// free-threaded CPython 3.14t, not with the GIL build.
func TestFreeThreadedInReport(t *testing.T) {
	out := t.TempDir()
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: "testdata/synthetic-freethreaded.txt"}}, OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range r.Groups() {
		if strings.Contains(g, "ft=") {
			t.Errorf("a table of its own for %q; want the free-threaded cells in their workload's table", g)
		}
	}
	prim := primary(r.GroupTables("primes"))
	if prim == nil {
		t.Fatal("no primes table")
	}
	for _, m := range []string{"sequential", "goroutine", "free-threaded ft=3.13", "free-threaded ft=3.14"} {
		if prim.ColIndex(m) < 0 {
			t.Errorf("primes table has no column %q (columns %v)", m, prim.Cols)
		}
	}
	// The single-thread cost against sequential: the synthetic profiles
	// cost 1.40× and 1.075× of goroutine's 1.10×.
	for m, want := range map[string][2]float64{"free-threaded ft=3.13": {0.58, 0.72}, "free-threaded ft=3.14": {0.78, 0.92}} {
		c := cellAt(prim, m, 1)
		if c == nil || c.Base == nil {
			t.Errorf("%s, 1 worker: no cell with a speed-up against sequential", m)
			continue
		}
		if x := Speedup(c.Ratio(), prim.Better); x < want[0] || x > want[1] {
			t.Errorf("%s, 1 worker: %.3f× against sequential; want %.2f–%.2f×", m, x, want[0], want[1])
		}
	}

	var sp *Plot
	for _, p := range r.Plots {
		if p.Name == "speedup-primes" {
			sp = p
		}
	}
	if sp == nil {
		t.Fatal("no speedup-primes plot")
	}
	for _, s := range []string{"free-threaded ft=3.13", "free-threaded ft=3.14", "ref: free-threaded 3.14t, 1 thread", "ref: free-threaded 3.13t, 1 thread"} {
		if !bytes.Contains(sp.SVG, []byte(s)) {
			t.Errorf("speedup-primes SVG lacks %q", s)
		}
	}
	if got := strings.Join(sp.Anchors, ","); got != "free-threaded-1,free-threaded-1-3.13" {
		t.Errorf("speedup-primes draws anchors %q; want free-threaded-1,free-threaded-1-3.13", got)
	}
	pal := newPalette(modeNames(r.Modes))
	if pal.color("free-threaded ft=3.13") == pal.color("free-threaded ft=3.14") ||
		pal.color("free-threaded ft=3.14") == pal.color("goroutine") {
		t.Error("the free-threaded profiles share a colour with each other or with goroutine")
	}

	var ans string
	for _, a := range r.Answers {
		if a.Group == "primes" {
			ans = a.Text
		}
	}
	if !strings.Contains(ans, "free-threaded ft=3.14 (free-threaded CPython 3.14t)") {
		t.Errorf("the primes answer does not weigh free-threaded CPython 3.14t:\n%s", ans)
	}

	var ft314, ft313, gil []string
	for _, p := range r.Pairs {
		if p.Group != "primes" {
			continue
		}
		switch p.Emulated {
		case "free-threaded ft=3.14":
			ft314 = append(ft314, p.RealGroup)
		case "free-threaded ft=3.13":
			ft313 = append(ft313, p.RealGroup)
		case "gil":
			gil = append(gil, p.RealGroup)
		}
	}
	if strings.Join(ft314, ",") != "primes python=3.14t" {
		t.Errorf("free-threaded ft=3.14 paired with %q; want primes python=3.14t", ft314)
	}
	if len(ft313) != 0 {
		t.Errorf("free-threaded ft=3.13 paired with %q; want none (the run has no 3.13t)", ft313)
	}
	if !contains(gil, "primes python=3.11") || contains(gil, "primes python=3.14t") {
		t.Errorf("gil paired with %q; want primes python=3.11, not the free-threaded build", gil)
	}

	html, err := os.ReadFile(r.HTML)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"PEP 779", "https://peps.python.org/pep-0779/", "free-threaded CPython 3.14t"} {
		if !bytes.Contains(html, []byte(s)) {
			t.Errorf("report.html lacks %q", s)
		}
	}
	// The glossary says which build ran: 3.14t did, 3.13t did not.
	if !bytes.Contains(html, []byte(`cpython-threads/python=3.13t <span class="note">(not in this run)`)) ||
		bytes.Contains(html, []byte(`cpython-threads/python=3.14t <span class="note">(not in this run)`)) {
		t.Error("the glossary's counterparts do not say which free-threaded build ran")
	}
	// The hint to add counterparts names modes as -modes takes them.
	if strings.Contains(r.noCPythonHint(), "ft=") {
		t.Errorf("hint names a profile as a mode: %s", r.noCPythonHint())
	}
	// raw.txt is the report's input only: the free-threaded cells keep their names.
	raw, err := os.ReadFile(filepath.Join("testdata", "synthetic-freethreaded.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("/mode=free-threaded/workers=1/ft=3.14-2")) {
		t.Error("the synthetic raw file does not name its cells as the runner does")
	}
}

// TestFreeThreadedAnchorNotGoroutine: goroutine models free threading at no
// cost; the published cost of the free-threaded build is not drawn against it.
func TestFreeThreadedAnchorNotGoroutine(t *testing.T) {
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: "testdata/synthetic-primes.txt"}}, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Plots {
		for _, id := range p.Anchors {
			if strings.HasPrefix(id, "free-threaded") {
				t.Errorf("%s draws %s on a run without the free-threaded mode", p.Name, id)
			}
		}
	}
}
