package interp

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Containers: lists, dicts, objects with attributes and threading.local, the objects
// of CPython that free threading (PEP 703) had to make thread-safe, with their own
// instructions (CPython's BINARY_SUBSCR, STORE_SUBSCR, LIST_APPEND, CONTAINS_OP,
// LOAD_ATTR, STORE_ATTR). A program declares shared ones outside functions:
//
//	list xs                 # xs = []
//	dict d                  # d = {}
//	object tally 2          # tally = Tally(): an instance with 2 integer attributes, all 0
//	local tls 1             # tls = threading.local(): 1 attribute, per thread
//
// and makes private ones with newlist and newdict (`xs = []` inside a function). The
// elements, keys, values and attributes are integers. Instructions:
//
//	newlist                 -> h          a new empty list, owned by the thread
//	newdict                 -> h          a new empty dict, owned by the thread
//	getitem     h k         -> v          h[k]: list index (negative from the end), dict key
//	setitem     h k v       ->            h[k] = v
//	append      h v         ->            h.append(v)
//	len         h           -> n          len(h)
//	contains    h k         -> 0|1        k in h (a dict's keys, a list's elements)
//	dict_get    h k d       -> v          h.get(k, d)
//	getattr A   h           -> v          h.<attribute A>
//	setattr A   h v         ->            h.<attribute A> = v
//	load_method F h         -> h          h.<method>: the method is function F (its call follows)
//
// # Thread safety
//
// Under an interpreter lock (the GIL modes) and under a free-threaded profile, every
// list and dict operation holds the object's own mutex (a sync.Mutex): under a lock it
// is never contended (the lock already serialises the threads, as CPython's GIL does),
// and under a profile it is CPython 3.13t's critical section (Py_BEGIN_CRITICAL_SECTION
// on the object's ob_mutex), which Go's mutex resembles: a word in the object, a short
// spin, then a sleep. Private containers (newlist, newdict) keep the mutex in every
// mode; their owner alone uses it, uncontended.
//
// An interpreter with neither a lock nor a profile is ideal free threading (the
// goroutine mode, and sequential, its one thread): its shared lists and dicts take a
// concurrent form (concurrent.go), what a Go programmer builds for a container that
// threads write at once. A dict is striped by key hash over cache-line-padded shards,
// each with its own mutex and table, and each thread combines its stores in a table of
// its own, published onto the shards a batch at a time; a list is a sequence of blocks,
// each reserved by one appending thread under the list's mutex and filled by it
// without a lock. A thread's writes are published before its own next other use of
// the container, at a lock object's release and when its Call returns, so len,
// indexing, in, Len after a batch and Reset are exact, and a thread always sees its
// own writes; another thread sees them at the next publication, not at once as in
// CPython. No interpreter could be faster for these programs, which is what the ideal
// is: a bound, not a design.
//
// Attributes are atomic words, read without a lock (as CPython 3.13t reads an
// instance's inline values); a free-threaded profile also stores them holding the
// object's mutex, as CPython does. So `self.n += 1` is a load and a store that threads
// without a GIL can interleave, as in CPython. A threading.local's attributes are per
// thread and need no synchronisation at all.
//
// # Free-threaded costs
//
// A thread of an interpreter with a FreeThreading profile also pays what CPython's
// free-threaded build pays for an object (see FreeThreading): each use of an object
// is a reference-count increment and decrement, biased (PEP 703): by the object's
// owner, two plain additions to its local count; by any other thread, two atomic
// additions to the object's shared count word, which every such thread writes, so the
// cache line travels between cores as CPython's does. Shared objects are made before
// the workers start (at import, by the main thread) and so are owned by none of them.

// Kinds of the containers (see Kind).
const (
	KindList   Kind = iota + KindMap + 1 // `list NAME`: a list of integers
	KindDict                             // `dict NAME`: a dict of integers
	KindObject                           // `object NAME N`: an instance with N integer attributes
	KindLocal                            // `local NAME N`: a threading.local with N attributes
)

func init() {
	for k, w := range map[Kind]string{KindList: "list", KindDict: "dict", KindObject: "object", KindLocal: "local"} {
		kindByWord[w] = k
		extKindNames[k] = w
	}
}

var extKindNames = map[Kind]string{}

// hasAttrs reports whether a declaration of kind k takes an attribute count.
func hasAttrs(k Kind) bool { return k == KindObject || k == KindLocal }

// Errors of the containers, worded as CPython's exceptions.
var (
	ErrIndex     = errors.New("IndexError: list index out of range")
	ErrKey       = errors.New("KeyError")
	ErrAttribute = errors.New("AttributeError: no such attribute")
	ErrType      = errors.New("TypeError: the object does not support this operation")

	errListAssign = errors.New("IndexError: list assignment index out of range")
)

// arenaBit marks the handle of a private object (one a thread made with newlist or
// newdict); a shared object's handle is its global's index.
const arenaBit Value = 1 << 40

// Obj is a container: a list, a dict, an object with attributes or a threading.local.
type Obj struct {
	kind Kind
	name string
	mu   sync.Mutex // the critical section of list and dict operations

	// Concurrent form (concurrent.go), for an interpreter with neither a lock nor a
	// profile: a shared dict's stripes (dict is then nil), a shared list's blocks (list
	// is then nil, blist under mu); idx is the object's global index.
	shards []dictShard
	blist  *blockList
	idx    int

	owner  *Thread      // the thread that made it; nil: the main thread (shared objects)
	local  int64        // the owner's reference count (written by the owner only)
	shared atomic.Int64 // the other threads' count (ob_ref_shared)

	list  []Value
	dict  map[Value]Value
	attrs []atomic.Int64
	nattr int
	tls   int          // a local: its index in each thread's storage
	gen   atomic.Int64 // a local: bumped by Reset, which forgets every thread's values
}

func (o *Obj) String() string { return o.kindName() + " " + o.name }

func (o *Obj) kindName() string { return extKindNames[o.kind] }

// reset empties a shared object for a new batch (no thread runs).
func (o *Obj) reset() {
	o.mu.Lock()
	o.list = o.list[:0]
	clear(o.dict)
	if o.blist != nil {
		o.blist.reset()
	}
	o.mu.Unlock()
	for i := range o.shards {
		sh := &o.shards[i]
		sh.mu.Lock()
		sh.clear()
		sh.mu.Unlock()
	}
	for i := range o.attrs {
		o.attrs[i].Store(0)
	}
	o.gen.Add(1)
}

// Len returns the number of elements of a list or a dict, for Go code that checks a
// shared container after a batch.
func (o *Obj) Len() int {
	if o.shards != nil {
		return o.dictLen()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.kind == KindDict {
		return len(o.dict)
	}
	if o.blist != nil {
		return o.blist.count
	}
	return len(o.list)
}

// SharedRefs returns the object's shared reference count word: zero whenever no
// thread is between an increment and its decrement.
func (o *Obj) SharedRefs() int64 { return o.shared.Load() }

// Container returns the list, dict, object or local called name.
func (s *Shared) Container(name string) (*Obj, error) {
	k, err := s.global(name, KindList, KindDict, KindObject, KindLocal)
	if err != nil {
		return nil, err
	}
	return s.objs[k], nil
}

// newObj makes an empty object of kind k.
func newObj(k Kind, name string, nattr int, owner *Thread) *Obj {
	o := &Obj{kind: k, name: name, owner: owner, nattr: nattr}
	switch k {
	case KindDict:
		o.dict = map[Value]Value{}
	case KindObject:
		o.attrs = make([]atomic.Int64, nattr)
	}
	return o
}

// obj resolves a handle.
func (t *Thread) obj(h Value) (*Obj, error) {
	if h&arenaBit != 0 {
		i := int(h &^ arenaBit)
		if i < 0 || i >= t.arenaN {
			return nil, fmt.Errorf("%d is not the handle of an object", h)
		}
		return t.arena[i], nil
	}
	objs := t.shared.objs
	if h < 0 || int(h) >= len(objs) || objs[h] == nil {
		return nil, fmt.Errorf("%d is not the handle of a container", h)
	}
	return objs[h], nil
}

// newPrivate makes a list or dict owned by t; it lives until t's next Call.
func (t *Thread) newPrivate(k Kind) Value {
	if t.arenaN == len(t.arena) {
		t.arena = append(t.arena, newObj(k, "private", 0, t))
	}
	o := t.arena[t.arenaN]
	if o.kind != k {
		o = newObj(k, "private", 0, t)
		t.arena[t.arenaN] = o
	}
	o.list = o.list[:0]
	clear(o.dict)
	h := arenaBit | Value(t.arenaN)
	t.arenaN++
	return h
}

// concurrentObj returns the shared object of handle h if it has a concurrent form (a
// striped dict or a buffered list): the handle is then a valid one, and the object
// pays no use (no profile).
func (t *Thread) concurrentObj(h Value) (*Obj, bool) {
	if !t.shared.concurrent || h&arenaBit != 0 {
		return nil, false
	}
	o, err := t.obj(h)
	return o, err == nil && (o.shards != nil || o.blist != nil)
}

// use resolves h and pays for one use of its object (under a free-threaded profile).
func (t *Thread) use(h Value) (*Obj, error) {
	o, err := t.obj(h)
	if err == nil && t.ft != nil {
		t.touch(o)
	}
	return o, err
}

// enter is use, then o's critical section (its mutex), which the caller releases.
func (t *Thread) enter(h Value) (*Obj, error) {
	o, err := t.use(h)
	if err == nil {
		o.mu.Lock()
	}
	return o, err
}

// touch is one use of o: a reference taken and dropped, biased (see FreeThreading).
func (t *Thread) touch(o *Obj) {
	if o.owner == t {
		o.local += 2
		return
	}
	o.shared.Add(1)
	o.shared.Add(-1)
}

func (t *Thread) getItem(h, k Value) (Value, error) {
	if o, ok := t.concurrentObj(h); ok {
		if o.shards != nil {
			v, ok := t.bufferedGet(o, k)
			if !ok {
				return 0, fmt.Errorf("%w: %d", ErrKey, k)
			}
			return v, nil
		}
		t.publishOwn(o)
		o.mu.Lock()
		defer o.mu.Unlock()
		i, ok := o.blist.index(k)
		if !ok {
			return 0, ErrIndex
		}
		blk, j := o.blist.at(i)
		return blk.vals[j], nil
	}
	o, err := t.enter(h)
	if err != nil {
		return 0, err
	}
	defer o.mu.Unlock()
	switch o.kind {
	case KindList:
		i, ok := listIndex(k, len(o.list))
		if !ok {
			return 0, ErrIndex
		}
		return o.list[i], nil
	case KindDict:
		v, ok := o.dict[k]
		if !ok {
			return 0, fmt.Errorf("%w: %d", ErrKey, k)
		}
		return v, nil
	}
	return 0, fmt.Errorf("%s: %w", o, ErrType)
}

func (t *Thread) setItem(h, k, v Value) error {
	if o, ok := t.concurrentObj(h); ok {
		if o.shards != nil {
			t.bufferedStore(o, k, v)
			return nil
		}
		t.publishOwn(o)
		o.mu.Lock()
		defer o.mu.Unlock()
		i, ok := o.blist.index(k)
		if !ok {
			return errListAssign
		}
		blk, j := o.blist.at(i)
		blk.vals[j] = v
		return nil
	}
	o, err := t.enter(h)
	if err != nil {
		return err
	}
	defer o.mu.Unlock()
	switch o.kind {
	case KindList:
		i, ok := listIndex(k, len(o.list))
		if !ok {
			return errListAssign
		}
		o.list[i] = v
		return nil
	case KindDict:
		o.dict[k] = v
		return nil
	}
	return fmt.Errorf("%s: %w", o, ErrType)
}

func (t *Thread) appendItem(h, v Value) error {
	if o, ok := t.concurrentObj(h); ok && o.blist != nil {
		t.bufferedAppend(o, v)
		return nil
	}
	o, err := t.enter(h)
	if err != nil {
		return err
	}
	defer o.mu.Unlock()
	if o.kind != KindList {
		return fmt.Errorf("%s: append: %w", o, ErrType)
	}
	o.list = append(o.list, v)
	return nil
}

func (t *Thread) length(h Value) (Value, error) {
	if o, ok := t.concurrentObj(h); ok {
		t.publishOwn(o)
		if o.shards != nil {
			return Value(o.dictLen()), nil
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		return Value(o.blist.count), nil
	}
	o, err := t.enter(h)
	if err != nil {
		return 0, err
	}
	defer o.mu.Unlock()
	switch o.kind {
	case KindList:
		return Value(len(o.list)), nil
	case KindDict:
		return Value(len(o.dict)), nil
	}
	return 0, fmt.Errorf("%s: len: %w", o, ErrType)
}

func (t *Thread) contains(h, k Value) (Value, error) {
	if o, ok := t.concurrentObj(h); ok {
		if o.shards != nil {
			_, ok := t.bufferedGet(o, k)
			return b2v(ok), nil
		}
		t.publishOwn(o)
		o.mu.Lock()
		defer o.mu.Unlock()
		return b2v(o.blist.contains(k)), nil
	}
	o, err := t.enter(h)
	if err != nil {
		return 0, err
	}
	defer o.mu.Unlock()
	switch o.kind {
	case KindList:
		for _, x := range o.list {
			if x == k {
				return 1, nil
			}
		}
		return 0, nil
	case KindDict:
		_, ok := o.dict[k]
		return b2v(ok), nil
	}
	return 0, fmt.Errorf("%s: in: %w", o, ErrType)
}

func (t *Thread) dictGet(h, k, d Value) (Value, error) {
	if o, ok := t.concurrentObj(h); ok && o.shards != nil {
		if v, ok := t.bufferedGet(o, k); ok {
			return v, nil
		}
		return d, nil
	}
	o, err := t.enter(h)
	if err != nil {
		return 0, err
	}
	defer o.mu.Unlock()
	if o.kind != KindDict {
		return 0, fmt.Errorf("%s: get: %w", o, ErrType)
	}
	if v, ok := o.dict[k]; ok {
		return v, nil
	}
	return d, nil
}

// tlsSlots returns t's attributes of the threading.local o.
func (t *Thread) tlsSlots(o *Obj) []Value {
	for len(t.tls) <= o.tls {
		t.tls = append(t.tls, tlsEntry{})
	}
	e := &t.tls[o.tls]
	if g := o.gen.Load(); e.vals == nil || e.gen != g {
		e.vals = make([]Value, o.nattr)
		e.gen = g
	}
	return e.vals
}

type tlsEntry struct {
	gen  int64
	vals []Value
}

func (t *Thread) getAttr(h Value, a int) (Value, error) {
	o, err := t.use(h)
	if err != nil {
		return 0, err
	}
	if a >= o.nattr {
		return 0, fmt.Errorf("%s: attribute %d: %w", o, a, ErrAttribute)
	}
	switch o.kind {
	case KindObject:
		return Value(o.attrs[a].Load()), nil
	case KindLocal:
		return t.tlsSlots(o)[a], nil
	}
	return 0, fmt.Errorf("%s: %w", o, ErrAttribute)
}

func (t *Thread) setAttr(h Value, a int, v Value) error {
	o, err := t.use(h)
	if err != nil {
		return err
	}
	if a >= o.nattr {
		return fmt.Errorf("%s: attribute %d: %w", o, a, ErrAttribute)
	}
	switch o.kind {
	case KindObject:
		if t.ft != nil {
			// CPython 3.13t stores an instance attribute holding the object's lock
			// (store_instance_attr_lock_held); it reads them without it.
			o.mu.Lock()
			o.attrs[a].Store(int64(v))
			o.mu.Unlock()
			return nil
		}
		o.attrs[a].Store(int64(v))
		return nil
	case KindLocal:
		t.tlsSlots(o)[a] = v
		return nil
	}
	return fmt.Errorf("%s: %w", o, ErrAttribute)
}

// loadMethod is the lookup of method f on h: a use of h, and under a profile that
// counts references to functions (3.13: no deferred reference counting), a use of the
// function object too.
func (t *Thread) loadMethod(h Value, f int) error {
	o, err := t.obj(h)
	if err != nil {
		return err
	}
	if o.kind != KindObject {
		return fmt.Errorf("%s: a method call: %w", o, ErrType)
	}
	if t.ft != nil {
		t.touch(o)
		if t.ft.RefcountFunctions {
			c := &t.shared.funcRefs[f]
			c.Add(1)
			c.Add(-1)
		}
	}
	return nil
}

// maxAttrs bounds the attributes of an object or a local.
const maxAttrs = 64

// Append appends v to a list, for Go code (a workload's twin) that shares it with
// bytecode.
func (o *Obj) Append(v Value) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.kind != KindList {
		return fmt.Errorf("%s: append: %w", o, ErrType)
	}
	if o.blist != nil {
		o.blist.appendValue(v)
		return nil
	}
	o.list = append(o.list, v)
	return nil
}

// SetItem sets o[k] = v in a dict, for Go code that shares it with bytecode.
func (o *Obj) SetItem(k, v Value) error {
	if o.shards != nil {
		o.storeShard(k, v)
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.kind != KindDict {
		return fmt.Errorf("%s: setitem: %w", o, ErrType)
	}
	o.dict[k] = v
	return nil
}
