package workloads

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"gilbench/interp"
)

// ioTimeout bounds every network round trip of a native or a twin, so that a server that
// went away fails the task instead of hanging it.
const ioTimeout = 10 * time.Second

// Local is one pool's resources in one process: the client side of the servers its Env
// runs (a connection per interpreter thread, an HTTP transport), the convoy's shared
// flag and its batch statistics.
//
// The runner makes one Local per pool (and a worker process one of its own), binds the
// pool's natives to it (Program), hands it to the twins through their context
// (WithLocal), and closes it when the pool closes, after its workers have stopped.
// Nothing in a Local is seen by another pool, and nothing outlives it: the Env owns the
// servers, the Local only what talks to them.
//
// The zero Local is ready to use, as is NewLocal's; a Local is safe for concurrent use.
// A nil *Local holds nothing: Close and Stats accept it, and workloads that need a Local
// fail without one.
type Local struct {
	mu     sync.Mutex
	closed bool
	res    map[string]io.Closer // by kind and address: "tcp 127.0.0.1:4242"
	order  []string             // keys of res in the order they were made
}

// NewLocal returns an empty Local.
func NewLocal() *Local { return &Local{} }

// Close releases what l holds (closes connections, unmaps shared memory), newest first,
// and makes later use fail. Call it once no worker uses l; a second call does nothing.
func (l *Local) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	res, order := l.res, l.order
	l.res, l.order = nil, nil
	l.mu.Unlock()
	var errs []error
	for i := len(order) - 1; i >= 0; i-- {
		if err := res[order[i]].Close(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", order[i], err))
		}
	}
	return errors.Join(errs...)
}

// Stats returns the batch statistics that this pool's workers kept in this process (the
// convoy's round trips), if its workload keeps any. The runner resets them before each
// batch and reads them after it.
//
// A Local serves one pool, so one cell: if it ever held the resources of several cells
// that keep statistics, Stats returns the first's.
func (l *Local) Stats() (BatchStats, bool) {
	if l == nil {
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range l.order {
		if s, ok := l.res[k].(BatchStats); ok {
			return s, true
		}
	}
	return nil, false
}

// BatchStats are figures a workload keeps about a batch beyond what the runner measures
// (the convoy's round trips).
type BatchStats interface {
	// ResetStats starts a batch's figures.
	ResetStats()
	// Metrics returns the batch's figures by unit (vocab's names).
	//
	// The figures of one batch are kept where its work was done. In the process mode
	// every worker process has a Local of its own, and each reports its Metrics to the
	// parent: a Local whose workers recorded nothing in the batch returns an empty map
	// (never nil, never zeros), and at most one process records a given figure in a
	// batch (the convoy's task 0 runs in one), so the parent's figures are the union of
	// its workers' maps.
	Metrics() map[string]float64
}

// errNoLocal is the error of a workload that needs a Local and was not given one.
var errNoLocal = errors.New("no Local (the runner makes one per pool: workloads.NewLocal)")

// errClosed is the error of a native or twin whose Local is closed.
var errClosed = errors.New("the pool's Local is closed")

// localResource returns l's resource for key, making it with mk on first use.
func localResource[T io.Closer](l *Local, key string, mk func() (T, error)) (T, error) {
	var zero T
	if l == nil {
		return zero, errNoLocal
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return zero, fmt.Errorf("%s: %w", key, errClosed)
	}
	if c, ok := l.res[key]; ok {
		if c, ok := c.(T); ok {
			return c, nil
		}
		return zero, fmt.Errorf("%s: a resource of another kind (%T)", key, c)
	}
	c, err := mk()
	if err != nil {
		return zero, err
	}
	if l.res == nil {
		l.res = map[string]io.Closer{}
	}
	l.res[key] = c
	l.order = append(l.order, key)
	return c, nil
}

type localKey struct{}

// WithLocal returns ctx carrying l, the pool's Local, for the Go twin (the native mode
// passes it to every worker this way).
func WithLocal(ctx context.Context, l *Local) context.Context {
	return context.WithValue(ctx, localKey{}, l)
}

// localFrom returns the Local that ctx carries.
func localFrom(ctx context.Context) (*Local, error) {
	l, ok := ctx.Value(localKey{}).(*Local)
	if !ok || l == nil {
		return nil, fmt.Errorf("%w in the context (workloads.WithLocal)", errNoLocal)
	}
	return l, nil
}

// mix64 is the SplitMix64 finaliser: a cheap, well-spread function of x that servers and
// buffers derive their contents from.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// int64Native is the support module's int64(x): x wrapped to a signed 64-bit int, which
// in the interpreter (whose ints wrap) is x itself. A Python file calls it where its
// arithmetic would outgrow 64 bits in CPython.
func int64Native() *interp.Native {
	return &interp.Native{Name: "int64", NArgs: 1, Fn: func(_ *interp.Thread, args []interp.Value) (interp.Value, error) {
		return args[0], nil
	}}
}
