package runner

import (
	"errors"
	"fmt"
	"maps"

	"gilbench/interp"
	"gilbench/mp"
	"gilbench/workloads"
)

// A cell's shared mutable state. Every mode gives all the workers of a cell one
// interp.Shared for the program's globals and objects:
//
//   - sequential, gil, gil-legacy, goroutine: the threads of the one interpreter use it;
//   - subinterp: every worker's interpreter uses it. Real subinterpreters share no
//     objects (data crosses between them by copying); sharing one state here models
//     interpreters in one address space that share memory, which is what the
//     shared-state workloads are about;
//   - native: the Go twins get it through their context (workloads.SharedFrom);
//   - process: it lives in shared memory — a raw mp.Value (lock=False) per slot, an
//     mp.Lock per lock object — passed to every worker process as Process arguments.
//
// The pool resets it before each batch, with the timer off and no worker running, and
// after the batch reads the lock objects' statistics and hands it to the workload's
// Check.

// cellState is a cell's shared state and what the workload checks about it.
type cellState struct {
	shared *interp.Shared
	spec   Spec
}

// newCellState makes the shared state of spec's cell in this process's memory, for the
// program prog.
func newCellState(spec Spec, prog *interp.Program) (*cellState, error) {
	s, err := interp.NewShared(prog, interp.Memory{})
	if err != nil {
		return nil, err
	}
	return &cellState{shared: s, spec: spec}, nil
}

// reset prepares the state for a batch.
func (c *cellState) reset() error {
	if c == nil {
		return nil
	}
	if err := c.shared.Reset(); err != nil {
		return fmt.Errorf("shared state: %w", err)
	}
	return nil
}

// finish returns the batch's lock statistics and the workload's figures, or the
// workload's complaint about the state (a lost update under a lock).
func (c *cellState) finish(tasks int) (map[string]float64, error) {
	if c == nil {
		return nil, nil
	}
	m := objectMetrics(c.shared.ObjectStats())
	if c.spec.Workload.Check != nil {
		wm, err := c.spec.Workload.Check(c.shared, c.spec.Params, tasks, c.spec.Size)
		if err != nil {
			return m, err
		}
		maps.Copy(m, wm)
	}
	return m, nil
}

// addMetrics adds m to b's metrics.
func addMetrics(b *Batch, m map[string]float64) {
	if len(m) == 0 {
		return
	}
	if b.Metrics == nil {
		b.Metrics = map[string]float64{}
	}
	maps.Copy(b.Metrics, m)
}

// procGlobals is an interp.Globals in shared memory: one raw mp.Value per slot, read
// and written with one atomic instruction each (LoadLocked and StoreLocked of a raw
// value take no lock). The handles stay open while the pool or worker lives.
type procGlobals []*mp.Value[int64]

func (g procGlobals) Len() int                    { return len(g) }
func (g procGlobals) Load(k int) interp.Value     { return interp.Value(g[k].LoadLocked()) }
func (g procGlobals) Store(k int, v interp.Value) { g[k].StoreLocked(int64(v)) }

// procMemory is the shared memory of a process-mode cell.
type procMemory struct {
	slots procGlobals
	locks []*mp.Lock
}

// newProcMemory allocates the shared memory prog's state needs.
func newProcMemory(prog *interp.Program) (*procMemory, error) {
	m := &procMemory{}
	for range prog.Slots() {
		v, err := mp.NewRawValue[int64](0)
		if err != nil {
			m.close()
			return nil, err
		}
		m.slots = append(m.slots, v)
	}
	for range prog.Mutexes() {
		l, err := mp.NewLock()
		if err != nil {
			m.close()
			return nil, err
		}
		m.locks = append(m.locks, l)
	}
	return m, nil
}

// memory is m as the memory of an interp.Shared.
func (m *procMemory) memory() interp.Memory {
	mu := make([]interp.Mutex, len(m.locks))
	for i, l := range m.locks {
		mu[i] = l
	}
	return interp.Memory{Globals: m.slots, Mutexes: mu, CrossProcess: true}
}

// args are m's handles as Process arguments: the number of slots, the slots, the locks.
func (m *procMemory) args() []any {
	out := []any{len(m.slots)}
	for _, v := range m.slots {
		out = append(out, v)
	}
	for _, l := range m.locks {
		out = append(out, l)
	}
	return out
}

// procMemoryArg reads the handles args put at argument from on.
func procMemoryArg(a mp.Args, from int) (*procMemory, error) {
	n, err := mp.Arg[int](a, from)
	if err != nil {
		return nil, err
	}
	m := &procMemory{}
	for i := from + 1; i < a.Len(); i++ {
		if i <= from+n {
			v, err := mp.Arg[*mp.Value[int64]](a, i)
			if err != nil {
				return nil, err
			}
			m.slots = append(m.slots, v)
			continue
		}
		l, err := mp.Arg[*mp.Lock](a, i)
		if err != nil {
			return nil, err
		}
		m.locks = append(m.locks, l)
	}
	return m, nil
}

func (m *procMemory) close() error {
	var errs []error
	for _, v := range m.slots {
		errs = append(errs, v.Close())
	}
	for _, l := range m.locks {
		errs = append(errs, l.Close())
	}
	return errors.Join(errs...)
}

// newCellProgram builds what an in-process pool of spec's cell needs: the pool's Local,
// the workload's program bound to it, its entry, and the cell's shared state.
func newCellProgram(spec Spec) (*workloads.Local, *interp.Program, int, *cellState, error) {
	local := workloads.NewLocal()
	prog, entry, err := spec.Workload.Program(spec.Params, local)
	if err != nil {
		local.Close()
		return nil, nil, 0, nil, err
	}
	state, err := newCellState(spec, prog)
	if err != nil {
		local.Close()
		return nil, nil, 0, nil, err
	}
	return local, prog, entry, state, nil
}
