package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"gilbench/runner"
	"gilbench/validate"
)

func TestValidateBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"-reps", "-1"}, {"extra"}} {
		var stdout, stderr bytes.Buffer
		err := cmdValidate(context.Background(), args, &stdout, &stderr)
		if !errors.Is(err, runner.ErrUsage) {
			t.Errorf("validate %q: err = %v; want a usage error", args, err)
		}
		if code := exitCode(err, &stderr); code != 2 {
			t.Errorf("validate %q: exit status %d; want 2", args, code)
		}
	}
}

// TestValidateFlags checks that the flags land in validate.Options unchanged, except an
// empty -python, which has always meant no CPython 3.
func TestValidateFlags(t *testing.T) {
	cases := []struct {
		args []string
		want validate.Options
	}{
		{nil, validate.Options{Python: "python3"}},
		{[]string{"-quick", "-reps", "7", "-python", "/opt/py3", "-python2", "none", "-python-subinterp", "python3.14", "-run", "convoy"},
			validate.Options{Quick: true, Reps: 7, Python: "/opt/py3", Python2: "none", PythonSub: "python3.14", Run: "convoy"}},
		{[]string{"-python", ""}, validate.Options{Python: "none"}},
	}
	for _, c := range cases {
		var stderr bytes.Buffer
		got, err := validateFlags(c.args, &stderr)
		if err != nil {
			t.Errorf("validate %q: %v", c.args, err)
			continue
		}
		if got != c.want {
			t.Errorf("validate %q: got %+v; want %+v", c.args, got, c.want)
		}
	}
}

// TestValidateCommand runs `gilbench validate` through run with an experiment filter
// that selects nothing: the header and an empty table are printed, and it succeeds.
func TestValidateCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"validate", "-python", "none", "-python2", "none", "-python-subinterp", "none",
		"-run", "no-such-experiment"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("validate: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"5 repetitions a configuration (medians), full sizes", "CPython: not found",
		"behaviour to reproduce", "0 of 0 behaviours reproduced"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
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
	err := cmdValidate(context.Background(), strings.Fields(args), &stdout, &stderr)
	t.Logf("\n%s\n%s", stdout.String(), stderr.String())
	if err != nil {
		t.Error(err)
	}
}
