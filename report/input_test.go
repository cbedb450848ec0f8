package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBadInputs(t *testing.T) {
	empty := t.TempDir()
	emptyRaw := filepath.Join(t.TempDir(), "raw.txt")
	os.WriteFile(emptyRaw, nil, 0o644)
	binary := filepath.Join(t.TempDir(), "image.png")
	os.WriteFile(binary, bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 0, 1, 2, 3}, 20000), 0o644)
	longLine := filepath.Join(t.TempDir(), "long.txt")
	os.WriteFile(longLine, append(bytes.Repeat([]byte("x"), 100000), '\n'), 0o644)
	for _, tc := range []struct {
		name  string
		input Input
		want  string
		cause error // also wrapped, when set
	}{
		{"empty directory", Input{Path: empty}, "no raw.txt here (not a run directory?)", nil},
		{"missing", Input{Path: filepath.Join(empty, "nope")}, "no such file or directory", fs.ErrNotExist},
		{"empty file", Input{Path: emptyRaw}, "empty file", nil},
		{"binary", Input{Path: binary}, "not Go benchmark format?", nil},
		{"long line", Input{Path: longLine}, "not Go benchmark format?", nil},
		{"not benchmark format", Input{Path: "testdata/bad-notbench.txt"}, "no benchmark results (not Go benchmark format?)", nil},
		{"mixed units", Input{Path: "testdata/bad-mixedunits.txt"}, "bad-mixedunits.txt:6: mixed units for one metric: p99-ms here, p99-ns at testdata/bad-mixedunits.txt:4", nil},
		{"syntax", Input{Path: "testdata/bad-syntax.txt"}, "bad-syntax.txt:3: parsing measurement: invalid syntax (no result line could be read)", nil},
		{"no path", Input{Label: "x"}, "empty path", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			_, err := Build(context.Background(), Options{Inputs: []Input{tc.input}, OutDir: out})
			if !errors.Is(err, ErrInput) {
				t.Fatalf("err = %v; want one wrapping ErrInput", err)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("err = %v; want it to wrap %v", err, tc.cause)
			}
			if !strings.Contains(err.Error(), tc.want) || strings.HasPrefix(err.Error(), "report: ") {
				t.Errorf("err = %q; want it to say %q, and to leave the command's name to the command", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("err is more than one line: %q", err)
			}
			if files, _ := os.ReadDir(out); len(files) != 0 {
				t.Errorf("wrote %d files despite the error", len(files))
			}
		})
	}
	if _, err := Build(context.Background(), Options{}); !errors.Is(err, ErrInput) {
		t.Errorf("no inputs: err = %v; want ErrInput", err)
	}
}

func TestCutFile(t *testing.T) {
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: "testdata/cut.txt"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Runs[0].Truncated {
		t.Error("run not marked truncated")
	}
	if len(r.Warnings) == 0 || r.Warnings[0].Kind != WarnInput || !strings.Contains(r.Warnings[0].Msg, "interrupted run") {
		t.Errorf("first warning %v; want one about the cut line", r.Warnings)
	}
	// Every complete result line is read; only the cut one is not.
	data, _ := os.ReadFile("testdata/cut.txt")
	complete := bytes.Count(data, []byte("\nBenchmark"))
	if r.Runs[0].Results != complete-1 {
		t.Errorf("read %d results; want %d (every complete line)", r.Runs[0].Results, complete-1)
	}
}

// TestCorruptLine: one malformed line in the middle of a file is reported
// with its place and skipped, and the rest is used, as benchstat does.
func TestCorruptLine(t *testing.T) {
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: "testdata/corrupt.txt"}}})
	if err != nil {
		t.Fatalf("one malformed line made the whole file unusable: %v", err)
	}
	data, _ := os.ReadFile("testdata/corrupt.txt")
	lines := strings.Split(string(data), "\n")
	bad := 0
	for i, l := range lines {
		if strings.Contains(l, "O ns/op") {
			bad = i + 1
		}
	}
	if bad == 0 {
		t.Fatal("testdata/corrupt.txt has no corrupt line")
	}
	var ws []string
	for _, w := range r.Warnings {
		if w.Kind == WarnInput {
			ws = append(ws, w.String())
		}
	}
	want := fmt.Sprintf("testdata/corrupt.txt:%d: parsing measurement: invalid syntax; line ignored", bad)
	if len(ws) != 1 || ws[0] != want {
		t.Errorf("input warnings %q; want exactly %q", ws, want)
	}
	complete := strings.Count(string(data), "\nBenchmark")
	if r.Runs[0].Results != complete-1 || r.Runs[0].Malformed != 1 {
		t.Errorf("read %d results, %d malformed; want %d and 1", r.Runs[0].Results, r.Runs[0].Malformed, complete-1)
	}
}

func TestInputs(t *testing.T) {
	for arg, want := range map[string]Input{
		"results/a":           {Path: "results/a"},
		"old=results/a":       {Label: "old", Path: "results/a"},
		"x=y=results/a":       {Label: "x", Path: "y=results/a"},
		"=results/a":          {Path: "=results/a"},
		"results/raw.txt":     {Path: "results/raw.txt"},
		"new=results/raw.txt": {Label: "new", Path: "results/raw.txt"},
	} {
		if got := ParseInput(arg); got != want {
			t.Errorf("ParseInput(%q) = %+v; want %+v", arg, got, want)
		}
	}
	// A run directory, a raw.txt in it, and the same file twice.
	dir := filepath.Join(t.TempDir(), "run-1")
	os.Mkdir(dir, 0o755)
	data, _ := os.ReadFile("testdata/synthetic-primes.txt")
	os.WriteFile(filepath.Join(dir, RawFile), data, 0o644)
	os.WriteFile(filepath.Join(dir, TraceFile), []byte("[]"), 0o644)
	r, err := Build(context.Background(), Options{Layout: ByInput, Inputs: []Input{
		{Path: dir}, {Path: filepath.Join(dir, RawFile)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Runs[0].Label != "run-1" || r.Runs[1].Label != "run-1#1" {
		t.Errorf("labels %q, %q; want run-1, run-1#1", r.Runs[0].Label, r.Runs[1].Label)
	}
	if got := r.Runs[0].Get("gomaxprocs"); got != "2" {
		t.Errorf("config gomaxprocs = %q", got)
	}
	os.WriteFile(filepath.Join(dir, "trace-primes-gil-2.json"), []byte("[]"), 0o644)
	var links []string
	for _, l := range r.links() {
		links = append(links, l.Text)
	}
	if got := strings.Join(links, " "); !strings.Contains(got, "raw.txt trace-primes-gil-2.json trace.json") {
		t.Errorf("links %q lack raw.txt and trace.json", got)
	}
}

func TestCanonicalUnit(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"p99-sec", "p99-ms", true},
		{"sec/op", "us/op", true},
		{"tasks/s", "tasks/min", true},
		{"peak-rss-B", "peak-rss-MiB", true},
		{"cpu-sec/op", "sec/op", false},
		{"p50-sec", "p99-sec", false},
		{"B/op", "peak-rss-B", false},
	} {
		if got := canonicalUnit(tc.a) == canonicalUnit(tc.b); got != tc.same {
			t.Errorf("%s vs %s: same = %v; want %v", tc.a, tc.b, got, tc.same)
		}
	}
}

func TestWriteAtomicAndCancel(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Build(ctx, Options{Inputs: []Input{{Path: "testdata/synthetic-primes.txt"}}, OutDir: dir})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v; want context.Canceled", err)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("a cancelled build wrote %d files", len(files))
	}
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: "testdata/synthetic-primes.txt"}}, OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		if strings.HasPrefix(f.Name(), ".") {
			t.Errorf("temporary file %s left behind", f.Name())
		}
		// The report is for people to open and share, whatever the umask.
		if st, err := os.Stat(filepath.Join(dir, f.Name())); err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, %v; want 0644", f.Name(), st.Mode().Perm(), err)
		}
	}
	if len(files) != len(r.Files) {
		t.Errorf("%d files in the directory; Build reports %d", len(files), len(r.Files))
	}
	if r.Files[len(r.Files)-1] != r.HTML {
		t.Errorf("report.html is not written last")
	}
}

// TestNoRunnerImport keeps the dependency rule of ARCHITECTURE.md: of the
// project, the report imports only the leaf packages vocab and internal/atomicfile.
func TestNoRunnerImport(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range af.Imports {
			if p := strings.Trim(im.Path.Value, `"`); strings.HasPrefix(p, "gilbench/") && p != "gilbench/vocab" && p != "gilbench/internal/atomicfile" {
				t.Errorf("%s imports %s; the report reads result files only", f, im.Path.Value)
			}
		}
	}
}

func TestDuplicateUnit(t *testing.T) {
	// The same unit twice on one line: the first value counts, and a
	// warning says so once.
	raw := filepath.Join(t.TempDir(), "raw.txt")
	var b strings.Builder
	for i := 0; i < 6; i++ {
		b.WriteString("BenchmarkMixed/workload=convoy/mode=gil/workers=1-2 10 1000000 ns/op 2000 p50-ns 5000 p50-ns\n")
	}
	os.WriteFile(raw, []byte(b.String()), 0o644)
	r, err := Build(context.Background(), Options{Inputs: []Input{{Path: raw}}})
	if err != nil {
		t.Fatal(err)
	}
	var ws []string
	for _, w := range r.Warnings {
		if strings.Contains(w.Msg, "twice") {
			ws = append(ws, w.String())
		}
	}
	if len(ws) != 1 || !strings.Contains(ws[0], "p50-ns appears twice") {
		t.Errorf("warnings %q; want one about p50-ns", ws)
	}
	for _, tb := range r.Tables {
		if tb.Unit == "p50-sec" {
			if c := tb.Cell(0, 0); c == nil || c.N() != 6 || math.Abs(c.Summary.Center-2e-6) > 1e-15 {
				t.Errorf("p50 cell %+v; want 6 values of 2µs", c)
			}
			return
		}
	}
	t.Error("no p50-sec table")
}
