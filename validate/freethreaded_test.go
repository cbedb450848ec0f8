package validate

import (
	"context"
	"os/exec"
	"testing"
)

// The free-threaded CPython side measures a hot spot through the cpython-threads mode.
// No free-threaded build is needed for the code path: a CPython 3 on PATH stands in
// for one (its figures then have the GIL's shape, which is not what is checked).
func TestFTCPythonSide(t *testing.T) {
	if testing.Short() {
		t.Skip("runs CPython")
	}
	path, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 on PATH")
	}
	v := &validator{o: Options{Reps: 1}, s: sizesFor(true), py: pythons{cpythonFT: {path, "stand-in"}}}
	for _, e := range ftExperiments(v.s) {
		if e.py == nil {
			continue
		}
		f, note, err := v.measureFTCPython(context.Background(), cpythonSide{kind: ftKind, python: cpythonFT, workload: e.py.workload, tasks: 8, size: 200, threads: []int{1, 2}})
		if err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		if f["1"] <= 0 || f["2"] <= 0 || note != "stand-in" {
			t.Errorf("%s: figures %v, note %q", e.name, f, note)
		}
	}
	if _, _, err := (&validator{o: Options{Reps: 1}, py: pythons{}}).measureFTCPython(context.Background(), cpythonSide{kind: ftKind}); err == nil {
		t.Error("no free-threaded CPython, and no error")
	}
}
