package validate

import (
	"context"
	"testing"

	"gilbench/cpython"
)

// The free-threaded CPython side measures a hot spot through the cpython-threads mode.
// No free-threaded build is needed for the code path: a CPython 3 on PATH stands in
// for one (its figures then have the GIL's shape, which is not what is checked).
func TestFTCPythonSide(t *testing.T) {
	if testing.Short() {
		t.Skip("runs CPython")
	}
	py, err := cpython.Find(context.Background(), "python3")
	if err != nil {
		t.Skipf("no python3 on PATH: %v", err)
	}
	v := &validator{o: Options{Reps: 1}, s: sizesFor(true), py: pythons{cpythonFT: py}}
	n := 0
	for _, e := range ftExperiments(v.s) {
		if e.py == nil {
			continue
		}
		n++
		sd := *e.py
		sd.tasks, sd.size = 8, 200
		f, _, err := v.measureCPython(context.Background(), sd)
		if err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		if f["1"] <= 0 || f["2"] <= 0 {
			t.Errorf("%s: figures %v", e.name, f)
		}
	}
	if n != 5 {
		t.Errorf("%d free-threading experiments with a CPython side, want 5", n)
	}
}
