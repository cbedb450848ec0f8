package runner

import "errors"

// ErrUsage marks errors caused by bad input (flags, names, sizes): the command prints
// one line and exits with status 2.
var ErrUsage = errors.New("usage")
