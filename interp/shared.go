package interp

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
)

// Shared mutable state: the globals of a Program and the objects it declares (locks,
// re-entrant locks, values, maps), kept in a Shared that every thread of an interpreter
// uses, and that several interpreters, or several processes, may use together.
//
// A program declares its globals outside functions:
//
//	global counter total    # integers, 0 at the start of every batch
//	lock mu                 # threading.Lock()
//	rlock r                 # threading.RLock()
//	value hits              # a shared integer used through calls: v.value (multiprocessing.Value)
//	map seen                # a small dict of integers
//
// Each declared name is a global. An object's global holds the object's handle, which the
// built-in natives take as their first argument, as Python code loads a global and calls
// a method on it:
//
//	load_global mu          # with mu:
//	native lock_acquire
//	pop
//	load_global counter     #     counter += 1
//	const 1
//	add
//	store_global counter
//	load_global mu
//	native lock_release
//	pop
//
// Built-in natives (none releases the interpreter lock as a whole; lock_acquire releases
// it only while it waits):
//
//	lock_acquire h          -> 1      Lock/RLock acquire(), blocking
//	lock_release h          -> 0      Lock/RLock release()
//	value_get h             -> v      h.value
//	value_set h v           -> 0      h.value = v
//	map_get h k             -> v      h.get(k, 0)
//	map_set h k v           -> 0      h[k] = v
//	map_len h               -> n      len(h)
//
// Every global access is one atomic load or one atomic store of a slot, never a
// read-modify-write: `counter += 1` is a load, an add and a store, and two threads that
// run it at the same time on different cores lose updates exactly as free-threaded
// Python does, without a data race in Go's sense. Whether threads behind an interpreter
// lock lose them depends on where the lock can change hands (see OpLoadGlobal and
// Thread.eval): the new GIL only at check points, so never inside `counter += 1` on a
// global but possibly between the two calls of `v.value += 1`; the legacy GIL also after
// a global access, as CPython 2 could.

// Kind is what a global of a Program holds.
type Kind uint8

const (
	KindInt   Kind = iota // `global NAME`: an integer
	KindLock              // `lock NAME`: a threading.Lock
	KindRLock             // `rlock NAME`: a threading.RLock
	KindValue             // `value NAME`: a shared integer read and written by calls
	KindMap               // `map NAME`: a small dict of integers
)

var kindNames = [...]string{KindInt: "global", KindLock: "lock", KindRLock: "rlock", KindValue: "value", KindMap: "map"}

func (k Kind) String() string {
	if w, ok := extKindNames[k]; ok {
		return w
	}
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// kindByWord maps the declaration keywords of the assembler to kinds.
var kindByWord = map[string]Kind{"global": KindInt, "lock": KindLock, "rlock": KindRLock, "value": KindValue, "map": KindMap}

// A Global is a module-level name of a Program.
type Global struct {
	Name string
	Kind Kind
	// Attrs is the number of attributes of an object or a local (KindObject,
	// KindLocal).
	Attrs int
}

// Errors of the lock objects, worded as CPython's RuntimeErrors.
var (
	// ErrReleaseUnlocked is the release of a Lock that is not held.
	ErrReleaseUnlocked = errors.New("release unlocked lock")
	// ErrNotOwner is the release of an RLock by a thread that does not hold it.
	ErrNotOwner = errors.New("cannot release un-acquired lock")
)

// lockStatSlots are the statistics a lock object keeps in the slots of its Globals:
// acquisitions, contended acquisitions and nanoseconds waited. Only the holder writes
// them, so they are shared across processes like the globals and cost no extra
// contention.
const (
	statAcquisitions = iota
	statContended
	statWaitNs
	lockStatSlots
)

// layout places a Program's shared state: slot k holds global k; after the globals come
// the data slot of each value object and the statistics slots of each lock object.
// Each lock object has a mutex of its own.
type layout struct {
	slots   int
	mutexes int
	maps    int
	data    []int // per global: a value's data slot, else -1
	stats   []int // per global: a lock's first statistics slot, else -1
	mutex   []int // per global: a lock's mutex, else -1
}

func newLayout(gs []Global) layout {
	l := layout{slots: len(gs), data: make([]int, len(gs)), stats: make([]int, len(gs)), mutex: make([]int, len(gs))}
	for k, g := range gs {
		l.data[k], l.stats[k], l.mutex[k] = -1, -1, -1
		switch g.Kind {
		case KindValue:
			l.data[k] = l.slots
			l.slots++
		case KindLock, KindRLock:
			l.stats[k] = l.slots
			l.slots += lockStatSlots
			l.mutex[k] = l.mutexes
			l.mutexes++
		case KindMap:
			l.maps++
		}
	}
	return l
}

// Slots returns the number of slots a Globals store for p needs.
func (p *Program) Slots() int { return p.layout.slots }

// Mutexes returns the number of mutexes p's lock objects need: one per lock or rlock,
// in the order declared.
func (p *Program) Mutexes() int { return p.layout.mutexes }

// Globals is the store behind load_global and store_global: slots of one machine word,
// each read with one atomic load and written with one atomic store. The default,
// AtomicGlobals, lives in one process; a store in shared memory lets processes share
// globals (the runner's process mode backs one with mp values).
type Globals interface {
	Len() int
	Load(k int) Value
	Store(k int, v Value)
}

// AtomicGlobals is one process's Globals: a slot is an atomic.Int64.
type AtomicGlobals []atomic.Int64

// NewAtomicGlobals returns n zero slots.
func NewAtomicGlobals(n int) AtomicGlobals { return make(AtomicGlobals, n) }

func (g AtomicGlobals) Len() int             { return len(g) }
func (g AtomicGlobals) Load(k int) Value     { return Value(g[k].Load()) }
func (g AtomicGlobals) Store(k int, v Value) { g[k].Store(int64(v)) }

// A Mutex is the primitive under a lock object: a plain lock, not owned, that any thread
// may release. NewMutex makes one for the threads of one process; mp.Lock is one
// across processes.
type Mutex interface {
	// TryAcquire takes the mutex if it is free and reports whether it did.
	TryAcquire() (bool, error)
	// Acquire blocks until the mutex is taken.
	Acquire() error
	// Release frees the mutex; releasing a free mutex is an error
	// (ErrReleaseUnlocked, or the implementation's own).
	Release() error
}

// NewMutex returns a mutex for the threads of one process: a futex word whose waiters
// sleep in the kernel, without spinning and without hand-off (glibc's mutex, which
// CPython's threading.Lock is built on).
func NewMutex() Mutex { return new(localMutex) }

type localMutex struct{ m kmutex }

func (l *localMutex) TryAcquire() (bool, error) { return l.m.tryLock(), nil }
func (l *localMutex) Acquire() error            { l.m.lock(); return nil }
func (l *localMutex) Release() error {
	switch l.m.state.Swap(0) {
	case 0:
		return ErrReleaseUnlocked
	case 2:
		futexWake(&l.m.state, 1)
	}
	return nil
}

// Memory is what a Shared is built on. The zero Memory is one process's: a new
// AtomicGlobals and a NewMutex for every lock.
type Memory struct {
	// Globals has at least Program.Slots slots; nil: NewAtomicGlobals.
	Globals Globals
	// Mutexes has one mutex per lock object (Program.Mutexes); nil: NewMutex for each.
	Mutexes []Mutex
	// CrossProcess says that the memory is shared with other processes. Map objects,
	// which live in Go memory, cannot be shared that way (Python needs a Manager for a
	// dict), so a program that declares one is refused.
	CrossProcess bool
}

// Shared is the shared mutable state of one Program: its globals and objects. All
// methods are safe for concurrent use.
type Shared struct {
	prog    *Program
	globals Globals
	objects []any // by global index: *LockObject, valueObject, *mapObject; nil for an integer
	locks   []*LockObject
	maps    []*mapObject
	// objs are the containers (objects.go) by global index, nil for other globals;
	// funcRefs the reference count words of the functions (a free-threaded profile
	// with RefcountFunctions).
	objs     []*Obj
	funcRefs []paddedCount
	// concurrent: the shared lists and dicts have their concurrent form
	// (concurrent.go), given by the first thread of an interpreter with neither a lock
	// nor a free-threaded profile.
	concurrent bool
}

// NewShared returns the shared state of p kept in m. With the zero Memory it starts
// with every global at its initial value; over memory given in m it starts with
// whatever that memory holds (another process may be using it): call Reset to set it.
func NewShared(p *Program, m Memory) (*Shared, error) {
	lay := p.layout
	g := m.Globals
	fresh := g == nil
	if fresh {
		g = NewAtomicGlobals(lay.slots)
	}
	if g.Len() < lay.slots {
		return nil, fmt.Errorf("interp: a store of %d slots for a program that needs %d", g.Len(), lay.slots)
	}
	if m.Mutexes != nil && len(m.Mutexes) != lay.mutexes {
		return nil, fmt.Errorf("interp: %d mutexes for a program with %d lock objects", len(m.Mutexes), lay.mutexes)
	}
	s := &Shared{prog: p, globals: g, objects: make([]any, len(p.Globals)), objs: make([]*Obj, len(p.Globals)),
		funcRefs: make([]paddedCount, len(p.Funcs))}
	tls := 0
	for k, gl := range p.Globals {
		switch gl.Kind {
		case KindList, KindDict, KindObject, KindLocal:
			// In Go memory, one copy per process: as a module's list or dict is
			// in each process of a multiprocessing pool.
			o := newObj(gl.Kind, gl.Name, gl.Attrs, nil)
			if gl.Kind == KindLocal {
				o.tls = tls
				tls++
			}
			s.objects[k] = o
			s.objs[k] = o
		case KindLock, KindRLock:
			var mu Mutex
			if m.Mutexes != nil {
				mu = m.Mutexes[lay.mutex[k]]
			} else {
				mu = NewMutex()
			}
			l := &LockObject{name: gl.Name, reentrant: gl.Kind == KindRLock, mu: mu, g: g, stats: lay.stats[k]}
			s.objects[k] = l
			s.locks = append(s.locks, l)
		case KindValue:
			s.objects[k] = valueObject{slot: lay.data[k]}
		case KindMap:
			if m.CrossProcess {
				return nil, fmt.Errorf("interp: map %s cannot be shared between processes", gl.Name)
			}
			mo := &mapObject{m: map[Value]Value{}}
			s.objects[k] = mo
			s.maps = append(s.maps, mo)
		}
	}
	if fresh {
		s.setInitial()
	}
	return s, nil
}

// Program returns the program whose state s holds.
func (s *Shared) Program() *Program { return s.prog }

// Globals returns the store of s's slots.
func (s *Shared) Globals() Globals { return s.globals }

// setInitial sets every slot to its initial value: an object's handle in its global,
// zero everywhere else.
func (s *Shared) setInitial() {
	for k := range s.globals.Len() {
		s.globals.Store(k, 0)
	}
	for k, o := range s.objects {
		if o != nil {
			s.globals.Store(k, Value(k))
		}
	}
	for _, m := range s.maps {
		m.mu.Lock()
		clear(m.m)
		m.mu.Unlock()
	}
	for _, o := range s.objs {
		if o != nil {
			o.reset()
		}
	}
}

// Reset sets every global and value back to its initial value, clears the maps and the
// lock statistics, ready for a new batch. It fails, changing nothing, if a lock object is
// held (the last batch ended inside a critical section). Call it while no thread runs.
func (s *Shared) Reset() error {
	for _, l := range s.locks {
		ok, err := l.mu.TryAcquire()
		if err != nil {
			return fmt.Errorf("interp: %s: %w", l, err)
		}
		if !ok {
			return fmt.Errorf("interp: %s is held", l)
		}
		if err := l.mu.Release(); err != nil {
			return fmt.Errorf("interp: %s: %w", l, err)
		}
		l.owner.Store(nil)
		l.count = 0
	}
	s.setInitial()
	return nil
}

// global resolves name to its index, checking its kind.
func (s *Shared) global(name string, kinds ...Kind) (int, error) {
	k, ok := s.prog.Global(name)
	if !ok {
		return 0, fmt.Errorf("interp: no global %q", name)
	}
	for _, want := range kinds {
		if s.prog.Globals[k].Kind == want {
			return k, nil
		}
	}
	return 0, fmt.Errorf("interp: global %s is a %s", name, s.prog.Globals[k].Kind)
}

// Slot returns the slot of Globals that holds the integer global name, or the value of
// the value object name: what Go code reads and writes to share it with bytecode.
func (s *Shared) Slot(name string) (int, error) {
	k, err := s.global(name, KindInt, KindValue)
	if err != nil {
		return 0, err
	}
	if v, ok := s.objects[k].(valueObject); ok {
		return v.slot, nil
	}
	return k, nil
}

// Load returns the integer global name, or the value of the value object name.
func (s *Shared) Load(name string) (Value, error) {
	k, err := s.Slot(name)
	if err != nil {
		return 0, err
	}
	return s.globals.Load(k), nil
}

// Lock returns the lock or rlock object name, for Go code that shares it with bytecode.
func (s *Shared) Lock(name string) (*LockObject, error) {
	k, err := s.global(name, KindLock, KindRLock)
	if err != nil {
		return nil, err
	}
	return s.objects[k].(*LockObject), nil
}

// object returns the object whose handle is h, as a T.
func object[T any](s *Shared, h Value, what string) (T, error) {
	var zero T
	if h < 0 || int(h) >= len(s.objects) || s.objects[h] == nil {
		return zero, fmt.Errorf("%d is not the handle of an object", h)
	}
	o, ok := s.objects[h].(T)
	if !ok {
		return zero, fmt.Errorf("%s is a %s, not a %s", s.prog.Globals[h].Name, s.prog.Globals[h].Kind, what)
	}
	return o, nil
}

// ObjectStats are what the lock objects of a Shared counted since the last Reset, in
// all: acquisitions of their mutexes (an RLock's re-entries are not counted), how many of
// them found the mutex held and had to wait, and the time waited (in nanoseconds).
type ObjectStats struct {
	// Locks is the number of lock objects; with none, the other figures are zero and
	// mean nothing.
	Locks        int
	Acquisitions int64
	Contended    int64
	WaitNs       int64
}

// ObjectStats sums the statistics of s's lock objects.
func (s *Shared) ObjectStats() ObjectStats {
	st := ObjectStats{Locks: len(s.locks)}
	for _, l := range s.locks {
		st.Acquisitions += int64(s.globals.Load(l.stats + statAcquisitions))
		st.Contended += int64(s.globals.Load(l.stats + statContended))
		st.WaitNs += int64(s.globals.Load(l.stats + statWaitNs))
	}
	return st
}

// A LockObject is a threading.Lock or threading.RLock shared by threads (of one or
// several interpreters, or processes: its mutex decides). acquire tries the mutex first;
// if it is held, the thread waits for it with its interpreter lock released (inside
// Thread.Blocking), as CPython's lock.acquire() does, so other threads run meanwhile.
//
// An RLock has an owner and a count. They live in the process that uses the handle, not
// in the shared memory: only the owner ever finds itself recorded as owner, so a
// thread in another process always sees "not mine" and waits on the mutex.
type LockObject struct {
	name      string
	reentrant bool
	mu        Mutex
	g         Globals
	stats     int // first statistics slot

	owner atomic.Pointer[Thread] // RLock: the holder
	count int64                  // RLock: how many times the owner holds it (owner only)
}

func (l *LockObject) String() string {
	if l.reentrant {
		return "rlock " + l.name
	}
	return "lock " + l.name
}

// Acquire takes l for t, waiting with t's interpreter lock released if l is held. A nil
// t is Go code outside any interpreter (the native twins); an RLock needs a thread.
func (l *LockObject) Acquire(t *Thread) error {
	if l.reentrant {
		if t == nil {
			return fmt.Errorf("%s: acquire needs an interpreter thread", l)
		}
		if l.owner.Load() == t {
			l.count++
			return nil
		}
	}
	ok, err := l.mu.TryAcquire()
	if err != nil {
		return fmt.Errorf("%s: acquire: %w", l, err)
	}
	wait := int64(-1)
	if !ok {
		blocking(t, func() {
			start := monoNow()
			err = l.mu.Acquire()
			wait = monoNow() - start
		})
		if err != nil {
			return fmt.Errorf("%s: acquire: %w", l, err)
		}
	}
	// The holder alone writes the statistics.
	l.add(statAcquisitions, 1)
	if wait >= 0 {
		l.add(statContended, 1)
		l.add(statWaitNs, wait)
	}
	if l.reentrant {
		l.owner.Store(t)
		l.count = 1
	}
	return nil
}

func (l *LockObject) add(stat int, d int64) {
	k := l.stats + stat
	l.g.Store(k, l.g.Load(k)+Value(d))
}

// Release frees l. Releasing a Lock that is not held is ErrReleaseUnlocked; releasing
// an RLock that t does not hold is ErrNotOwner. An RLock is freed when its owner has
// released it as many times as it acquired it.
func (l *LockObject) Release(t *Thread) error {
	if t != nil {
		t.publish(false) // what t appended is seen by the lock's next holder
	}
	if l.reentrant {
		if t == nil || l.owner.Load() != t {
			return fmt.Errorf("%s: release: %w", l, ErrNotOwner)
		}
		if l.count--; l.count > 0 {
			return nil
		}
		l.owner.Store(nil)
	}
	if err := l.mu.Release(); err != nil {
		return fmt.Errorf("%s: release: %w", l, err)
	}
	return nil
}

// blocking runs f as a blocking wait of t (its interpreter lock released), or just runs
// it for Go code outside an interpreter.
func blocking(t *Thread, f func()) {
	if t == nil {
		f()
		return
	}
	t.Blocking(f)
}

type valueObject struct{ slot int }

// mapObject is a dict of integers. Each operation is atomic, as a dict operation is in
// CPython (under the GIL, or under the dict's own lock when free-threaded); a get and a
// set are two operations.
type mapObject struct {
	mu sync.Mutex
	m  map[Value]Value
}

// builtinNatives are the natives on objects that every program may call; the assembler
// adds those a program uses.
var builtinNatives = func() map[string]*Native {
	ns := []*Native{
		{Name: "lock_acquire", NArgs: 1, Fn: func(t *Thread, a []Value) (Value, error) {
			l, err := object[*LockObject](t.shared, a[0], "lock")
			if err != nil {
				return 0, err
			}
			return 1, l.Acquire(t)
		}},
		{Name: "lock_release", NArgs: 1, Fn: func(t *Thread, a []Value) (Value, error) {
			l, err := object[*LockObject](t.shared, a[0], "lock")
			if err != nil {
				return 0, err
			}
			return 0, l.Release(t)
		}},
		{Name: "value_get", NArgs: 1, Fn: func(t *Thread, a []Value) (Value, error) {
			v, err := object[valueObject](t.shared, a[0], "value")
			if err != nil {
				return 0, err
			}
			return t.globals.Load(v.slot), nil
		}},
		{Name: "value_set", NArgs: 2, Fn: func(t *Thread, a []Value) (Value, error) {
			v, err := object[valueObject](t.shared, a[0], "value")
			if err != nil {
				return 0, err
			}
			t.globals.Store(v.slot, a[1])
			return 0, nil
		}},
		{Name: "map_get", NArgs: 2, Fn: func(t *Thread, a []Value) (Value, error) {
			m, err := object[*mapObject](t.shared, a[0], "map")
			if err != nil {
				return 0, err
			}
			m.mu.Lock()
			defer m.mu.Unlock()
			return m.m[a[1]], nil
		}},
		{Name: "map_set", NArgs: 3, Fn: func(t *Thread, a []Value) (Value, error) {
			m, err := object[*mapObject](t.shared, a[0], "map")
			if err != nil {
				return 0, err
			}
			m.mu.Lock()
			defer m.mu.Unlock()
			m.m[a[1]] = a[2]
			return 0, nil
		}},
		{Name: "map_len", NArgs: 1, Fn: func(t *Thread, a []Value) (Value, error) {
			m, err := object[*mapObject](t.shared, a[0], "map")
			if err != nil {
				return 0, err
			}
			m.mu.Lock()
			defer m.mu.Unlock()
			return Value(len(m.m)), nil
		}},
	}
	out := map[string]*Native{}
	for _, n := range ns {
		out[n.Name] = n
	}
	return out
}()

// BuiltinNatives lists the names of the built-in natives, sorted.
func BuiltinNatives() []string {
	var names []string
	for n := range builtinNatives {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
