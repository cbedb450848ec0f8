package runner

import "errors"

// ErrUsage marks errors caused by bad input (flags, names, sizes): the command prints
// one line and exits with status 2.
var ErrUsage = errors.New("usage")

// SkipError is a cell that is not run, for a reason recorded in its outcome line
// (vocab.Skipped): a strategy the interpreter lacks, a workload that cannot be
// expressed faithfully under the mode. A skipped cell is not a failed one.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

func isSkip(err error) bool {
	var s *SkipError
	return errors.As(err, &s)
}
