package mp

import (
	"errors"
	"runtime"
)

// ErrUnsupported is returned on systems other than Linux by every call
// that needs a child process or shared memory (Process.Start, NewQueue,
// NewJoinableQueue, NewSimpleQueue, NewLock, NewValue, NewRawValue):
// "mp: unsupported on darwin". It matches errors.ErrUnsupported.
var ErrUnsupported error = unsupportedError{}

type unsupportedError struct{}

func (unsupportedError) Error() string { return "mp: unsupported on " + runtime.GOOS }

func (unsupportedError) Is(target error) bool { return target == errors.ErrUnsupported }
