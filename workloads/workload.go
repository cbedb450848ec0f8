// Package workloads is gilbench's catalogue: each workload is a Python file
// (py/<name>.py), compiled to a bytecode program for the emulated modes and run as it
// is by the cpython ones, with its natives, a native Go twin computing the same
// results, a pure reference function, a default size and a one-line description.
//
// A workload is a set of independent tasks 0..T-1. Task i of size s, run by any mode,
// must return Want(i, s); the runner checks the sum of all results (mod 2^64) against the
// sum of Want, so a mode that computes a wrong answer fails instead of looking fast.
//
// Programs take their natives from an Env: the per-cell resources a workload needs (a
// loopback echo server, an HTTP server, a temp directory), described by string
// parameters so that a worker process can connect to the same resources. What a pool of
// workers keeps in its own process to use them (connections, the convoy's statistics)
// is a Local: the runner makes one per pool, binds the natives to it and closes it with
// the pool, so no state outlives a pool or passes between pools through the package.
//
// Workloads of class Shared share mutable state between their workers: their programs
// declare globals and objects (interp.Shared), which the runner makes once per cell and
// shares between all its workers in every mode, resets before each batch and hands to
// the workload's Check after it. A Sweep makes the runner run such a workload at several
// settings (critical-section length, batch size), each a Variant with name parts of its
// own: BenchmarkShared/workload=counter/mode=gil/workers=4/cs=100/batch=1.
package workloads

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"gilbench/compiler"
	"gilbench/interp"
	"gilbench/vocab"
)

// Class says what bounds a workload; it is the first part of a result's name. It is
// vocab's, so that runner and report spell it as the catalogue does.
type Class = vocab.Class

// The classes, as vocab names them.
const (
	CPU    = vocab.ClassCPU    // interpreted or native computation
	IO     = vocab.ClassIO     // real I/O that releases the interpreter lock
	Mixed  = vocab.ClassMixed  // I/O beside computation (convoy)
	Shared = vocab.ClassShared // shared mutable state
)

// Params are the string parameters of an Env (addresses, paths, settings), the part of
// an Env that crosses a process boundary.
type Params map[string]string

// Env is what one cell of the matrix needs from the outside world.
type Env struct {
	Params  Params
	closers []func() error
}

// OnClose registers f to run when the Env is closed (in reverse order).
func (e *Env) OnClose(f func() error) { e.closers = append(e.closers, f) }

// Close releases the Env's resources: stops servers, removes temp files.
func (e *Env) Close() error {
	var first error
	for i := len(e.closers) - 1; i >= 0; i-- {
		if err := e.closers[i](); err != nil && first == nil {
			first = err
		}
	}
	e.closers = nil
	return first
}

// Workload is one entry of the catalogue.
type Workload struct {
	Name        string
	Class       Class
	Description string
	// DefaultSize is the per-task size (iterations, bytes, milliseconds: the workload
	// says); DefaultTasks the number of tasks in one timed batch.
	DefaultSize  int64
	DefaultTasks int
	// QuickSize and QuickTasks are the --quick settings.
	QuickSize  int64
	QuickTasks int

	// OneTaskPerWorker makes a batch exactly one task per worker, whatever the
	// configured task count (convoy: task 0 does I/O, the others spin beside it).
	OneTaskPerWorker bool

	// Source, when set, is the program as assembly (see interp.Assemble), defining
	// `task i size`: for tests of the interpreter's low-level format. Otherwise the
	// program is compiled (package compiler) from the workload's Python file — the one
	// the cpython modes run: workloads/py/<name>.py for a built-in workload, the user's
	// file for one of RegisterPython — with the Natives as the support module's
	// natives.
	Source string
	// Natives returns the natives the program calls, bound to p and to the pool's
	// Local l (their connections live there). Nil if none.
	Natives func(p Params, l *Local) ([]*interp.Native, error)
	// Twin computes task i in plain Go (the `native` mode), doing the same real work.
	// A twin finds the pool's Local in ctx (WithLocal) and, for a workload with shared
	// state, the cell's state (the same interp.Shared the program's globals live in)
	// with SharedFrom(ctx).
	Twin func(ctx context.Context, p Params, i, size int64) (int64, error)
	// Want is the result task i must have, computed without side effects.
	Want func(i, size int64) int64
	// Setup prepares an Env (servers, directories); nil means none is needed.
	Setup func(ctx context.Context, size int64) (*Env, error)

	// Sweep lists the settings every cell runs at, each a Variant whose parts extend the
	// result's name and whose parameters join the Env's; nil means one setting and no
	// extra name parts.
	Sweep []Variant
	// Check inspects the cell's shared state after a batch of tasks tasks of size size
	// (p holds the Env's and the variant's parameters). It returns the batch's figures
	// by unit, named as vocab names them — totals for "/op" units, which the runner
	// divides by tasks — or an error when the state is wrong (a total that must be
	// exact is not). Nil: nothing to check.
	// The runner resets the state (interp.Shared.Reset) before every batch.
	Check func(s *interp.Shared, p Params, tasks int, size int64) (map[string]float64, error)

	file string // ForPythonFile's: the user's file
}

// A Variant is one setting of a workload's Sweep: key=value parts, in order.
type Variant []Param

// A Param is one key=value part of a Variant. Keys and values must not contain '/',
// '=' or spaces; keys must not be one of vocab.Reserved (workload, mode, workers, procs).
type Param struct{ Key, Value string }

// MakeVariant makes a variant of key, value pairs: MakeVariant("cs", "100", "batch",
// "1"). It panics on an odd number of strings (a programming error).
func MakeVariant(kv ...string) Variant {
	if len(kv)%2 != 0 {
		panic("workloads: MakeVariant needs key, value pairs")
	}
	v := make(Variant, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		v = append(v, Param{Key: kv[i], Value: kv[i+1]})
	}
	return v
}

// Name returns v's name parts as they follow workers in a result's name:
// "cs=100/batch=1" ("" for no parts).
func (v Variant) Name() string {
	parts := make([]string, len(v))
	for i, p := range v {
		parts[i] = p.Key + "=" + p.Value
	}
	return strings.Join(parts, "/")
}

// Params returns p with v's parameters added (v's win).
func (v Variant) Params(p Params) Params {
	out := Params{}
	for k, x := range p {
		out[k] = x
	}
	for _, kv := range v {
		out[kv.Key] = kv.Value
	}
	return out
}

type sharedKey struct{}

// WithShared returns ctx carrying s, a cell's shared state, for the Go twin (the native
// mode passes it to every worker this way).
func WithShared(ctx context.Context, s *interp.Shared) context.Context {
	return context.WithValue(ctx, sharedKey{}, s)
}

// SharedFrom returns the shared state that ctx carries.
func SharedFrom(ctx context.Context) (*interp.Shared, error) {
	s, ok := ctx.Value(sharedKey{}).(*interp.Shared)
	if !ok || s == nil {
		return nil, errors.New("no shared state in the context (workloads.WithShared)")
	}
	return s, nil
}

// EntryName is the bytecode function every workload defines.
const EntryName = "task"

// Program compiles w's Python file (or assembles its Source) with its natives bound to
// p and l, the Local of the pool that runs it. l may be nil for a workload that keeps
// nothing in the process (the CPU workloads); a workload that needs a Local then fails.
// A Python file outside the compiler's subset gives a *compiler.Error (file:line:col and
// the construct), which errors.As finds in the error returned.
func (w *Workload) Program(p Params, l *Local) (*interp.Program, int, error) {
	var natives []*interp.Native
	if w.Natives != nil {
		var err error
		if natives, err = w.Natives(p, l); err != nil {
			return nil, 0, fmt.Errorf("workload %s: %w", w.Name, err)
		}
	}
	var prog *interp.Program
	if w.Source != "" {
		var err error
		if prog, err = interp.Assemble(w.Source, natives...); err != nil {
			return nil, 0, fmt.Errorf("workload %s: %w", w.Name, err)
		}
	} else {
		file, src, err := w.python()
		if err != nil {
			return nil, 0, fmt.Errorf("workload %s: %w", w.Name, err)
		}
		if prog, err = compiled(file, src, natives); err != nil {
			return nil, 0, fmt.Errorf("workload %s: %w", w.Name, err)
		}
	}
	entry, ok := prog.Func(EntryName)
	if !ok {
		return nil, 0, fmt.Errorf("workload %s: program has no func %s", w.Name, EntryName)
	}
	return prog, entry, nil
}

// units memoises compiling: a file's program, compiled once per source text and
// natives' signature, is bound to each pool's natives by assembling it again
// (compiling costs milliseconds, which every pool start and worker process would pay).
// Only successful compiles are kept, without their program, whose natives are the
// first pool's.
var units = struct {
	sync.Mutex
	m map[unitKey]*compiler.Unit
}{m: map[unitKey]*compiler.Unit{}}

type unitKey struct{ file, src, natives string }

func compiled(file string, src []byte, natives []*interp.Native) (*interp.Program, error) {
	names := make([]string, len(natives))
	for i, n := range natives {
		names[i] = fmt.Sprintf("%s/%d", n.Name, n.NArgs)
	}
	key := unitKey{file, string(src), strings.Join(names, " ")}
	units.Lock()
	u, ok := units.m[key]
	units.Unlock()
	if ok {
		return u.Bind(natives)
	}
	u, err := compiler.Compile(file, src, CompileOptions(natives))
	if err != nil {
		return nil, err
	}
	kept := *u
	kept.Program = nil
	units.Lock()
	units.m[key] = &kept
	units.Unlock()
	return u.Program, nil
}

// CompileOptions are the compiler's options for a workload file whose natives are
// natives: the support module gilbench, the entry task.
func CompileOptions(natives []*interp.Native) compiler.Options {
	return compiler.Options{Support: SupportModule, Natives: natives, Entry: EntryName}
}

// SupportModule is the name workload files import their natives from (py/gilbench.py).
const SupportModule = "gilbench"

// NewEnv runs w's Setup, or returns an empty Env.
func (w *Workload) NewEnv(ctx context.Context, size int64) (*Env, error) {
	if w.Setup == nil {
		return &Env{Params: Params{}}, nil
	}
	env, err := w.Setup(ctx, size)
	if err != nil {
		return nil, fmt.Errorf("workload %s: setup: %w", w.Name, err)
	}
	return env, nil
}

// Checksum is the sum of Want over tasks 0..tasks-1 (mod 2^64).
func (w *Workload) Checksum(tasks int, size int64) int64 {
	var sum int64
	for i := range int64(tasks) {
		sum += w.Want(i, size)
	}
	return sum
}

var (
	mu      sync.Mutex
	catalog = map[string]*Workload{}
)

// Register adds w to the catalogue; it panics on a duplicate name (a programming error
// at init time).
func Register(w *Workload) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := catalog[w.Name]; dup {
		panic("workloads: duplicate workload " + w.Name)
	}
	catalog[w.Name] = w
}

// Lookup returns the workload called name.
func Lookup(name string) (*Workload, error) {
	mu.Lock()
	defer mu.Unlock()
	if w, ok := catalog[name]; ok {
		return w, nil
	}
	return nil, fmt.Errorf("unknown workload %q (known: %s)", name, strings.Join(namesLocked(), ", "))
}

// All returns the catalogue sorted by class, then name.
func All() []*Workload {
	mu.Lock()
	defer mu.Unlock()
	var ws []*Workload
	for _, w := range catalog {
		ws = append(ws, w)
	}
	sort.Slice(ws, func(i, j int) bool {
		if ws[i].Class != ws[j].Class {
			return classOrder(ws[i].Class) < classOrder(ws[j].Class)
		}
		return ws[i].Name < ws[j].Name
	})
	return ws
}

// classOrder is the order of the classes in the catalogue, unknown ones last.
func classOrder(c Class) int {
	for k, x := range []Class{CPU, IO, Mixed, Shared} {
		if c == x {
			return k
		}
	}
	return 4
}

func namesLocked() []string {
	var names []string
	for n := range catalog {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
