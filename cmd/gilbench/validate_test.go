package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gilbench/runner"
)

func TestValidateBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"-reps", "-1"}, {"extra"}} {
		var stdout, stderr bytes.Buffer
		err := cmdValidate(args, &stdout, &stderr)
		if !errors.Is(err, runner.ErrUsage) {
			t.Errorf("validate %q: err = %v; want a usage error", args, err)
		}
	}
}

// TestValidateWithoutPython runs one quick experiment with CPython switched off: the
// table is printed, says CPython did not run, and a failed behaviour is an error (on a
// loaded machine a behaviour may fail; the structure is what is checked).
func TestValidateWithoutPython(t *testing.T) {
	if testing.Short() {
		t.Skip("measures")
	}
	var stdout, stderr bytes.Buffer
	err := cmdValidate([]string{"-quick", "-reps", "1", "-python", "none", "-python2", "none", "-python-subinterp", "none",
		"-run", "cpu-countdown"}, &stdout, &stderr)
	if err != nil && !strings.Contains(err.Error(), "not reproduced") {
		t.Fatalf("validate: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"CPython: not found", "behaviour to reproduce", "gil: countdown, 2 threads",
		"gil: countdown, 4 threads", "not run (no python3)", "of 2 behaviours reproduced"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "convoy") {
		t.Errorf("-run cpu-countdown ran other experiments:\n%s", out)
	}
}

// TestValidateScript runs each experiment of the CPython script at a tiny size in the
// CPython versions found, checking that it runs there and prints what Go decodes.
func TestValidateScript(t *testing.T) {
	if testing.Short() {
		t.Skip("runs CPython")
	}
	v := &validator{o: validateOptions{python: "python3", reps: 1}, py: map[string]string{}, pyVer: map[string]string{}}
	v.findPythons(context.Background())
	if len(v.py) == 0 {
		t.Skip("no CPython on PATH")
	}
	v.script = filepath.Join(t.TempDir(), "v.py")
	if err := os.WriteFile(v.script, []byte(validatePy), 0o644); err != nil {
		t.Fatal(err)
	}
	for py := range v.py {
		args := [][]string{{"cpu", "--workload", "countdown"}, {"cpu", "--workload", "primes"}, {"sleep"}}
		if py == "sub" {
			args = [][]string{{"subinterp"}}
		}
		for _, a := range args {
			a = append(a, "--reps", "1", "--tasks", "4", "--size", "100", "--threads", "1,2")
			res, err := v.runPy(context.Background(), py, a...)
			if err != nil {
				t.Errorf("%s: %v", v.py[py], err)
				continue
			}
			if len(res["1"]) != 1 || len(res["2"]) != 1 {
				b, _ := json.Marshal(res)
				t.Errorf("%s %v: %s; want one figure for 1 and for 2 threads", v.py[py], a, b)
			}
		}
	}
	if _, err := exec.LookPath("python3"); err == nil {
		if _, err := v.runPy(context.Background(), "3", "nonsense"); err == nil {
			t.Error("an unknown experiment succeeded")
		}
	}
}

// TestValidateManual runs the whole validation when GILBENCH_VALIDATE is set to its
// arguments (e.g. "-quick"), printing the table: go test -run Manual -v.
func TestValidateManual(t *testing.T) {
	args, ok := os.LookupEnv("GILBENCH_VALIDATE")
	if !ok {
		t.Skip("set GILBENCH_VALIDATE")
	}
	var stdout, stderr bytes.Buffer
	err := cmdValidate(strings.Fields(args), &stdout, &stderr)
	t.Logf("\n%s\n%s", stdout.String(), stderr.String())
	if err != nil {
		t.Error(err)
	}
}
