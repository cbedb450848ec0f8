package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

func runCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	code = exitCode(err, &errb)
	return out.String(), errb.String(), code
}

// Bad input gets one line naming the problem, exit status 2, and writes nothing.
func TestRunBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	cases := map[string][]string{
		"unknown workload":    {"-workloads", "primes,nope"},
		"unknown mode":        {"-modes", "threads"},
		"is not positive":     {"-workers", "0"},
		"is not a whole":      {"-workers", "1,,2"},
		"count must be":       {"-count", "0"},
		"scaling must be":     {"-scaling", "sideways"},
		"switch interval":     {"-switch-interval", "0s"},
		"start method must":   {"-start", "vfork"},
		"flag provided but":   {"-bogus"},
		"unexpected argument": {"extra"},
	}
	for want, args := range cases {
		_, stderr, code := runCmd(t, append([]string{"run", "-quick", "-out", out}, args...)...)
		if code != 2 || !strings.Contains(stderr, want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("run %v: exit %d, stderr %q; want exit 2 and one line containing %q", args, code, stderr, want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("run %v left %s behind", args, out)
		}
	}
}

func TestRunUnwritableOut(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	_, stderr, code := runCmd(t, "run", "-quick", "-workloads", "countdown", "-out", filepath.Join(file, "run"))
	if code != 2 || !strings.Contains(stderr, "cannot create the run directory") {
		t.Fatalf("exit %d, stderr %q; want 2 and the directory named", code, stderr)
	}
	// A directory that already holds a run is not overwritten.
	run := filepath.Join(dir, "done")
	os.MkdirAll(run, 0o755)
	os.WriteFile(filepath.Join(run, "raw.txt"), []byte("keep"), 0o644)
	_, stderr, code = runCmd(t, "run", "-quick", "-workloads", "countdown", "-out", run)
	if b, _ := os.ReadFile(filepath.Join(run, "raw.txt")); code != 2 || string(b) != "keep" {
		t.Fatalf("exit %d, stderr %q, raw.txt %q; want 2 and raw.txt kept", code, stderr, b)
	}
}

func TestRunWritesRawAndStdout(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	stdout, stderr, code := runCmd(t, "run", "-v", "-quick", "-count", "2", "-workloads", "countdown", "-modes", "sequential,goroutine,process", "-workers", "1,2", "-out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(out, "raw.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != stdout {
		t.Errorf("stdout differs from raw.txt")
	}
	r := benchfmt.NewReader(bytes.NewReader(raw), "raw.txt")
	n := 0
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			n++
		case *benchfmt.SyntaxError:
			t.Errorf("raw.txt: %v", rec)
		}
	}
	if n != 10 { // 5 cells × 2
		t.Errorf("%d results in raw.txt; want 10", n)
	}
	if !strings.Contains(stderr, "[1/1] countdown: ok (5 of 5 cells done") {
		t.Errorf("no progress lines on stderr: %q", stderr)
	}
}

func TestListAndUsage(t *testing.T) {
	stdout, _, code := runCmd(t, "list")
	for _, want := range []string{"primes", "convoy", "gil-legacy", "process"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("list: exit %d, missing %q", code, want)
		}
	}
	if _, stderr, code := runCmd(t, "frobnicate"); code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, %q", code, stderr)
	}
	if _, _, code := runCmd(t); code != 2 {
		t.Errorf("no command: exit %d; want 2", code)
	}
	if _, _, code := runCmd(t, "run", "-h"); code != 0 {
		t.Errorf("run -h: exit %d; want 0", code)
	}
}

// A Python file that does not load, and an interpreter that is not there, are bad
// input: one line, exit status 2, nothing written.
func TestRunBadPython(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3 on PATH")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	bad := filepath.Join(dir, "bad.py")
	os.WriteFile(bad, []byte("def task(i, size):\n    return i +\n"), 0o644)
	none := filepath.Join(dir, "none.py")
	os.WriteFile(none, []byte("x = 1\n"), 0o644)
	cases := map[string][]string{
		bad + ":2: SyntaxError":               {"-workloads", bad},
		none + ":1: defines no function task": {"-workloads", none},
		"python no-such-python: not found":    {"-python", "no-such-python"},
		"no such file":                        {"-workloads", filepath.Join(dir, "missing.py")},
	}
	for want, args := range cases {
		_, stderr, code := runCmd(t, append([]string{"run", "-quick", "-out", out}, args...)...)
		if code != 2 || !strings.Contains(stderr, want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("run %v: exit %d, stderr %q; want exit 2 and one line containing %q", args, code, stderr, want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("run %v left %s behind", args, out)
		}
	}
}

// A user's own file outside the compiler's subset runs under the CPython modes; its
// emulated cells are skipped with the compile error as the reason, in raw.txt and in
// the report.
func TestRunUserFile(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3 on PATH")
	}
	dir := t.TempDir()
	mine := filepath.Join(dir, "mine.py")
	os.WriteFile(mine, []byte("\"\"\"Squares.\"\"\"\nSIZE = 500\nTASKS = 4\ndef task(i, size):\n    return sum(k * k for k in range(size)) + i\n"), 0o644)
	out := filepath.Join(dir, "run")
	_, stderr, code := runCmd(t, "run", "-workloads", mine, "-modes", "cpython-seq,cpython-threads,cpython-process,gil",
		"-workers", "1,2", "-count", "1", "-out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, _ := os.ReadFile(filepath.Join(out, "raw.txt"))
	if n := strings.Count(string(raw), ": completed"); n != 5 {
		t.Errorf("%d completed cells, want 5:\n%s", n, raw)
	}
	why := "skipped: not compiled for the interpreter: " + mine + ":5:12: the builtin sum is not in the subset"
	if !strings.Contains(string(raw), why) {
		t.Errorf("no %q for the emulated mode:\n%s", why, raw)
	}
	if _, stderr, code := runCmd(t, "report", out); code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "skipped under gil (2 cells): not compiled for the interpreter: ") {
		t.Errorf("report.html does not give the skipped cells' reason")
	}

}
