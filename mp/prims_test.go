//go:build linux

package mp

import (
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// Helpers for the tests of the primitives, whose scenarios are ported from
// CPython's Lib/test/_test_multiprocessing.py (see
// docs/design/PORTED-TESTS.md).

// long is a timeout no passing test waits out.
const long = 60 * time.Second

// must fails the test on err.
func must[T any](tb testing.TB) func(T, error) T {
	return func(v T, err error) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

type closer interface{ Close() error }

// closeLater closes c when the test ends.
func closeLater[C closer](tb testing.TB, c C) C {
	tb.Cleanup(func() { c.Close() })
	return c
}

// eventually waits until cond holds, looking again after a yield and a
// millisecond; it fails the test after a generous deadline. It is for
// states another process reaches with no event to wait on (Python's
// assertReachesEventually), never in place of one.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(long)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not reached in %v", what, long)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// semValue returns the value of s.
func semValue(tb testing.TB, s *Semaphore) int {
	tb.Helper()
	v, err := s.Value()
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// acquireN takes n units of s, each within long.
func acquireN(tb testing.TB, s *Semaphore, n int) {
	tb.Helper()
	for i := range n {
		if err := s.AcquireTimeout(long); err != nil {
			tb.Fatalf("acquire %d of %d: %v", i+1, n, err)
		}
	}
}

// joinAll joins every process and fails unless each exited with 0.
func joinAll(tb testing.TB, ps ...*Process) {
	tb.Helper()
	for _, p := range ps {
		if code := exitCode(tb, p); code != 0 {
			tb.Errorf("%s exited with %d: %v", p.Name(), code, p.Err())
		}
	}
}

// check is an assertion in a child target: it fails the target, whose
// exit code 1 and message the test then sees.
func check(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf("check failed: "+format, args...)
}

var errStop = errors.New("stop")

// mustPipe returns the ends of a new pipe, closed when the test ends.
func mustPipe(tb testing.TB, duplex bool) (*Connection, *Connection) {
	tb.Helper()
	a, b, err := Pipe(duplex)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}
