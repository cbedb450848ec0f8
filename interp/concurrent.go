package interp

import (
	"slices"
	"sync"
)

// Concurrent containers: the shared lists and dicts of an interpreter with neither a
// lock nor a free-threaded profile (the goroutine mode, and sequential, its one-thread
// case): ideal free threading, what an interpreter without a GIL could at best do for
// a shared container, built the way a Go programmer builds one (see Obj's "Thread
// safety"):
//
//   - a dict is striped by key hash: dictShards shards, each its own mutex and table,
//     each on its own cache line, so two threads writing different keys rarely meet;
//   - a list is a sequence of blocks of appendBlock values; a thread appending to it
//     reserves a block of its own (under the list's mutex, once per block) and writes
//     its appends straight into it, so the list's shared cache line is touched once per
//     block, not once per append, and no element is copied.
//
// A dict's stores are also combined per thread: a thread's stores go to a table of its
// own (the last store of a key wins) and are published onto the stripes when it holds
// dictPending keys. So two threads writing the same keys do not pass the keys' cache
// lines back and forth on every store, which is what limits a striped table: the
// stripes spread the *locking*, not the lines, and two threads that write the same
// 1,024 keys touch the same lines whatever the striping.
//
// A thread publishes its writes (a block's count of appends, its pending stores)
// before any other operation of its own on that container (so it sees its own writes,
// in order), when it releases a lock object (so a thread that takes the lock next sees
// them), and when its Call returns (so the containers are exact after a task, and
// after a batch). Between those points another thread does not see them yet: as if
// they were made later. That is weaker than CPython, where every store is seen at once;
// it is the bound of what an interpreter without a GIL could do for these programs,
// not a design CPython could adopt, which is what the ideal mode is for.

// shardBits is log2 of dictShards, the number of stripes of a concurrent dict.
const (
	shardBits  = 6
	dictShards = 1 << shardBits
)

// appendBlock is the size of a concurrent list's blocks: how many appends a thread
// makes between two touches of the list's shared state.
const appendBlock = 1024

// dictPending is how many distinct keys a thread's pending stores to a dict hold before
// it publishes them.
const dictPending = 4096

// dictShard is one stripe of a concurrent dict, alone on its cache line: its mutex
// and an open-addressing table of its own. Not a Go map: a map's header and groups are
// small allocations that sit next to other stripes' on one cache line and are written
// by every store (the map's writing flag), so stripes of Go maps share lines again.
// A table's slots are one allocation of 8·2ⁿ slots of 24 bytes, a multiple of a cache
// line, which Go's allocator places on line boundaries.
type dictShard struct {
	mu    sync.Mutex
	slots []dictSlot
	n     int
	_     [64 - 8 - 24 - 8]byte
}

type dictSlot struct {
	k, v Value
	full bool
}

// fibHash spreads keys that differ in their low bits (0, 1, 2, ...): its high bits
// choose the stripe, the next ones the slot.
func fibHash(k Value) uint64 { return uint64(k) * 0x9E3779B97F4A7C15 }

// storeShard stores o[k] = v in its stripe, under the stripe's mutex.
func (o *Obj) storeShard(k, v Value) {
	sh := o.shard(k)
	sh.mu.Lock()
	sh.set(k, v)
	sh.mu.Unlock()
}

// shard returns the stripe that holds key k.
func (o *Obj) shard(k Value) *dictShard { return &o.shards[fibHash(k)>>(64-shardBits)] }

// find returns the slot of k, or the empty slot where it would go.
func (sh *dictShard) find(k Value) *dictSlot {
	mask := uint64(len(sh.slots) - 1)
	for i := fibHash(k) >> (64 - shardBits - 32) & mask; ; i = (i + 1) & mask {
		if s := &sh.slots[i]; !s.full || s.k == k {
			return s
		}
	}
}

func (sh *dictShard) get(k Value) (Value, bool) {
	if sh.n == 0 {
		return 0, false
	}
	s := sh.find(k)
	return s.v, s.full
}

func (sh *dictShard) set(k, v Value) {
	if len(sh.slots) == 0 || 4*(sh.n+1) > 3*len(sh.slots) {
		sh.grow()
	}
	s := sh.find(k)
	if !s.full {
		s.k, s.full = k, true
		sh.n++
	}
	s.v = v
}

// grow doubles the table (8 slots at first) and puts its keys back.
func (sh *dictShard) grow() {
	old := sh.slots
	sh.slots = make([]dictSlot, max(8, 2*len(old)))
	for _, s := range old {
		if s.full {
			*sh.find(s.k) = s
		}
	}
}

// clear empties the stripe, keeping its table.
func (sh *dictShard) clear() {
	clear(sh.slots)
	sh.n = 0
}

// makeConcurrent gives s's shared lists and dicts their concurrent form, once. Call it
// while no thread uses s (NewThread of an ideal interpreter does).
func (s *Shared) makeConcurrent() {
	if s.concurrent {
		return
	}
	s.concurrent = true
	for k, o := range s.objs {
		if o == nil {
			continue
		}
		o.idx = k
		switch o.kind {
		case KindList:
			o.blist = &blockList{}
			for _, v := range o.list {
				o.blist.appendValue(v)
			}
			o.list = nil
		case KindDict:
			o.shards = make([]dictShard, dictShards)
			for key, v := range o.dict {
				o.shard(key).set(key, v)
			}
			o.dict = nil
		}
	}
}

// listBlock is a block of a concurrent list: the values of one thread's appends.
type listBlock struct {
	vals [appendBlock]Value
	n    int  // how many are published (read and written under the list's mutex)
	open bool // a thread appends to it
}

// blockList is a concurrent list's storage, under its mutex: its blocks in the order
// they were reserved, the number of published values, and emptied blocks to reuse.
type blockList struct {
	blocks []*listBlock
	count  int
	free   []*listBlock
}

// reserve returns a new block at the end of the list, open if a thread takes it.
// Call with the list's mutex held.
func (b *blockList) reserve(open bool) *listBlock {
	var blk *listBlock
	if n := len(b.free); n > 0 {
		blk, b.free = b.free[n-1], b.free[:n-1]
	} else {
		blk = new(listBlock)
	}
	blk.n, blk.open = 0, open
	b.blocks = append(b.blocks, blk)
	return blk
}

// at returns the block and position of published element i (0 <= i < count).
func (b *blockList) at(i int) (*listBlock, int) {
	for _, blk := range b.blocks {
		if i < blk.n {
			return blk, i
		}
		i -= blk.n
	}
	panic("interp: a list index past its count")
}

// index normalises k (negative from the end) against the list's length.
func (b *blockList) index(k Value) (int, bool) { return listIndex(k, b.count) }

// listIndex normalises the Python index k (negative from the end) against a list of
// n elements, and reports whether it is in range.
func listIndex(k Value, n int) (int, bool) {
	if k < 0 {
		k += Value(n)
	}
	return int(k), k >= 0 && k < Value(n)
}

func (b *blockList) contains(k Value) bool {
	for _, blk := range b.blocks {
		for _, x := range blk.vals[:blk.n] {
			if x == k {
				return true
			}
		}
	}
	return false
}

// appendValue appends v for Go code, which owns no block: into the last block if no
// thread appends to it and it has room, else into a new one. Call with the mutex held.
func (b *blockList) appendValue(v Value) {
	var blk *listBlock
	if n := len(b.blocks); n > 0 && !b.blocks[n-1].open && b.blocks[n-1].n < appendBlock {
		blk = b.blocks[n-1]
	} else {
		blk = b.reserve(false)
	}
	blk.vals[blk.n] = v
	blk.n++
	b.count++
}

// reset empties the list, keeping its blocks for reuse. No thread may hold one open.
func (b *blockList) reset() {
	b.free = append(b.free, b.blocks...)
	clear(b.blocks)
	b.blocks = b.blocks[:0]
	b.count = 0
}

// pending is one thread's writes to one concurrent container not yet published: a
// list's appends, in order, or a dict's stores, combined by key (the last store of a
// key wins, as it would on the dict).
type pending struct {
	o      *Obj
	blk    *listBlock // a list: the thread's open block, nil if none
	filled int        // a list: values written to blk (published: blk.n)
	tab    dictShard  // a dict's stores (its mutex unused: the table is the thread's)
	listed bool       // in the thread's dirty list
	// 128 bytes in all, a size Go's allocator places on cache-line boundaries: filled
	// is written at every append, and no other thread's pending may share its line.
	_ [128 - 96]byte
}

// pendingOf returns t's pending writes to o, listing them as dirty.
func (t *Thread) pendingOf(o *Obj) *pending {
	for len(t.pending) <= o.idx {
		t.pending = append(t.pending, nil)
	}
	p := t.pending[o.idx]
	if p == nil {
		p = &pending{o: o}
		t.pending[o.idx] = p
	}
	if !p.listed {
		p.listed = true
		t.dirty = append(t.dirty, p)
	}
	return p
}

// ownPending returns t's pending writes to o, nil if none.
func (t *Thread) ownPending(o *Obj) *pending {
	if o.idx < len(t.pending) {
		return t.pending[o.idx]
	}
	return nil
}

// bufferedAppend appends v to t's block of the concurrent list o, reserving a block
// when it has none or its block is full.
func (t *Thread) bufferedAppend(o *Obj, v Value) {
	p := t.pendingOf(o)
	if p.blk == nil || p.filled == appendBlock {
		o.mu.Lock()
		if p.blk != nil {
			o.blist.count += p.filled - p.blk.n
			p.blk.n, p.blk.open = p.filled, false
		}
		p.blk = o.blist.reserve(true)
		o.mu.Unlock()
		p.filled = 0
	}
	p.blk.vals[p.filled] = v
	p.filled++
}

// bufferedStore stores o[k] = v in t's table of the concurrent dict o, publishing the
// table when it holds dictPending keys.
func (t *Thread) bufferedStore(o *Obj, k, v Value) {
	p := t.pendingOf(o)
	p.tab.set(k, v)
	if p.tab.n >= dictPending {
		p.publish(false)
	}
}

// bufferedGet is o[k] as t sees it: its own pending store of k, else the stripe's.
func (t *Thread) bufferedGet(o *Obj, k Value) (Value, bool) {
	if p := t.ownPending(o); p != nil {
		if v, ok := p.tab.get(k); ok {
			return v, true
		}
	}
	sh := o.shard(k)
	sh.mu.Lock()
	v, ok := sh.get(k)
	sh.mu.Unlock()
	return v, ok
}

// publish makes p's writes part of the container; a list's block stays open (its
// thread goes on appending to it) unless close.
func (p *pending) publish(close bool) {
	o := p.o
	// blk.n is written by this thread only, so it can be read here without the lock:
	// a block with nothing new to publish, and not closing, costs no lock round trip.
	if p.blk != nil && (close || p.filled != p.blk.n) {
		o.mu.Lock()
		o.blist.count += p.filled - p.blk.n
		p.blk.n = p.filled
		if close {
			p.blk.open = false
			p.blk = nil
		}
		o.mu.Unlock()
	}
	if p.tab.n > 0 {
		for i := range p.tab.slots {
			if s := &p.tab.slots[i]; s.full {
				o.storeShard(s.k, s.v)
			}
		}
		p.tab.clear()
	}
}

// publishOwn publishes t's writes to o.
func (t *Thread) publishOwn(o *Obj) {
	if p := t.ownPending(o); p != nil {
		p.publish(false)
	}
}

// publish publishes all of t's pending writes; with close, it also gives up its
// blocks (its Call returns, and the state may be reset before the next).
func (t *Thread) publish(close bool) {
	for _, p := range t.dirty {
		p.publish(close)
		p.listed = !close && p.blk != nil
	}
	if close {
		t.dirty = t.dirty[:0]
	} else {
		t.dirty = slices.DeleteFunc(t.dirty, func(p *pending) bool { return !p.listed })
	}
}

// dictLen is the number of keys of a concurrent dict: exact while no thread writes it.
func (o *Obj) dictLen() int {
	n := 0
	for i := range o.shards {
		sh := &o.shards[i]
		sh.mu.Lock()
		n += sh.n
		sh.mu.Unlock()
	}
	return n
}
