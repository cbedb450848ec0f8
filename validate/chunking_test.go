package validate

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestChunking runs the chunking curve, CPython's side through cpython-pool where a
// python3 is found: both rows get a value on gilbench's side (the verdict depends on
// the machine, so only a failure to measure fails the test).
func TestChunking(t *testing.T) {
	if testing.Short() {
		t.Skip("measures")
	}
	var stdout, stderr bytes.Buffer
	o := Options{Reps: 1, Python2: "none", PythonSub: "none", Run: "chunking"}
	err := Run(context.Background(), o, &stdout, &stderr)
	if err != nil && !strings.Contains(err.Error(), "not reproduced") {
		t.Fatalf("validate: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"process: tiny, chunksize=1", "process: tiny, chunksize=64", "of 2 behaviours"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "n/a") || strings.Contains(stderr.String(), "in CPython:") {
		t.Errorf("a figure is missing:\n%s\n%s", out, stderr.String())
	}
}
