package queue

import (
	"runtime"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitFor yields until cond holds. It is how a test waits for a goroutine to
// become observably blocked; it never sleeps. If cond never holds, the test
// binary's timeout reports the hang.
func waitFor(cond func() bool) {
	for !cond() {
		runtime.Gosched()
	}
}

// waitWaiters waits until exactly getters, putters and joiners callers are
// blocked on q.
func waitWaiters[T any](q *Queue[T], getters, putters, joiners int) {
	waitFor(func() bool {
		g, p, j := q.waiters()
		return g == getters && p == putters && j == joiners
	})
}

type result[T any] struct {
	item T
	err  error
}

// goGet runs get in a goroutine and delivers its result on the channel.
func goGet[T any](get func() (T, error)) <-chan result[T] {
	ch := make(chan result[T], 1)
	go func() {
		item, err := get()
		ch <- result[T]{item, err}
	}()
	return ch
}

// goErr runs f in a goroutine and delivers its error on the channel.
func goErr(f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

// pending reports whether nothing has arrived on ch yet.
func pending[T any](ch <-chan T) bool {
	select {
	case <-ch:
		return false
	default:
		return true
	}
}
