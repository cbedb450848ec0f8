package mp

import (
	"context"
	"errors"
	"sync"
)

// The children started by this process and not yet waited for.
var children struct {
	sync.Mutex
	m map[*Process]struct{}
}

func registerChild(p *Process) {
	children.Lock()
	if children.m == nil {
		children.m = map[*Process]struct{}{}
	}
	children.m[p] = struct{}{}
	children.Unlock()
}

func unregisterChild(p *Process) {
	children.Lock()
	delete(children.m, p)
	children.Unlock()
}

// ActiveChildren returns the children started by this process that have
// not ended yet.
func ActiveChildren() []*Process {
	children.Lock()
	defer children.Unlock()
	ps := make([]*Process, 0, len(children.m))
	for p := range children.m {
		ps = append(ps, p)
	}
	return ps
}

// Shutdown is what a process does at exit, as Python's multiprocessing
// does from atexit: it stops its daemonic children (Stop: SIGTERM, grace,
// SIGKILL) and waits for the others. If ctx ends first, it stops those too
// and returns the context's cause. Children run Shutdown themselves when
// their target returns; the main program calls it before it exits (Go has
// no atexit hook; a child left running dies with its parent, by
// SIGKILL).
func Shutdown(ctx context.Context) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, p := range ActiveChildren() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p.Daemon() {
				if err := p.Stop(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
				return
			}
			select {
			case <-p.done:
			case <-ctx.Done():
				p.Stop()
				mu.Lock()
				errs = append(errs, p.errorf("shutdown", context.Cause(ctx)))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// WithProcesses returns a copy of ctx that is cancelled, with the child's
// *ExitError as its cause, as soon as one of procs ends with a nonzero exit
// code. Blocking calls given this context (queue Get, JoinableQueue Join)
// then stop waiting for work a dead process will never do. Call cancel
// when done, as with context.WithCancel.
func WithProcesses(ctx context.Context, procs ...*Process) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	for _, p := range procs {
		go func() {
			select {
			case <-p.done:
				if err := p.Err(); err != nil {
					cancel(err)
				}
			case <-ctx.Done():
			}
		}()
	}
	return ctx, func() { cancel(context.Canceled) }
}
