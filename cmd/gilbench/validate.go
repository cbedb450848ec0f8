package main

import (
	"context"
	"io"

	"gilbench/validate"
)

// cmdValidate is `gilbench validate`: the fidelity experiments of package validate.
func cmdValidate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := validateFlags(args, stderr)
	if err != nil {
		return err
	}
	return validate.Run(ctx, o, stdout, stderr)
}

// validateFlags parses the flags of `gilbench validate` into its options.
func validateFlags(args []string, stderr io.Writer) (validate.Options, error) {
	fs := newFlags("validate")
	var o validate.Options
	fs.BoolVar(&o.Quick, "quick", false, "small sizes and 3 repetitions: about 20 s instead of about 2 min")
	fs.IntVar(&o.Reps, "reps", 0, "timed repetitions per configuration (0: 5, or 3 with -quick)")
	fs.StringVar(&o.Python, "python", "python3", `CPython 3 to compare with ("none": do not run CPython)`)
	fs.StringVar(&o.Python2, "python2", "", `CPython 2 for the legacy GIL (default: python2.7 or python2 on PATH; "none": skip)`)
	fs.StringVar(&o.PythonSub, "python-subinterp", "", "CPython ≥ 3.13 for per-interpreter GILs (default: -python if it has them, else python3.14 or python3.13 on PATH)")
	fs.StringVar(&o.Run, "run", "", "run only the experiments whose name contains this text")
	if err := parse(fs, args, stderr); err != nil {
		return o, err
	}
	if o.Reps < 0 {
		return o, usageError{"validate: -reps must not be negative"}
	}
	if o.Python == "" {
		// An empty -python names no interpreter, where an empty Options.Python means
		// the default.
		o.Python = "none"
	}
	return o, nil
}
