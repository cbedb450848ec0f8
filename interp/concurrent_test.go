package interp

import (
	"sync"
	"testing"
	"unsafe"
)

// concurrentAsm appends n values to the shared list xs, each checked at once by the
// appender (len and xs[-1] see its own appends, in order, across block boundaries),
// and writes n keys of d, checking each with `in`, getitem and get.
const concurrentAsm = `
list xs
dict d
func task i n
	var k bad
	const 0
	store k
	const 0
	store bad
loop:
	load k
	load n
	lt
	jump_if_false done
	load_global xs      # xs.append(i*n + k)
	load i
	load n
	mul
	load k
	add
	append
	load_global d       # d[i*n + k] = k
	load i
	load n
	mul
	load k
	add
	load k
	setitem
	load_global d       # bad += (i*n + k) not in d
	load i
	load n
	mul
	load k
	add
	contains
	not
	load bad
	add
	store bad
	load_global d       # bad += d.get(i*n + k, -1) != k
	load i
	load n
	mul
	load k
	add
	const -1
	dict_get
	load k
	ne
	load bad
	add
	store bad
	load k
	const 1
	add
	store k
	jump loop
done:
	load bad            # the last appends are still in the thread's block: Call publishes them
	return
end
func own n
	var k
	const 0
	store k
loop:
	load k
	load n
	lt
	jump_if_false done
	load_global xs      # xs.append(k)
	load k
	append
	load k
	const 1
	add
	store k
	jump loop
done:
	load_global xs      # len(xs) * 1000000 + xs[-1]
	len
	const 1000000
	mul
	load_global xs
	const -1
	getitem
	add
	return
end
func peek n
	var k found
	const 0
	store k
	const 0
	store found
loop:
	load k
	load n
	lt
	jump_if_false done
	load_global xs      # len(xs); found += -1 in xs
	len
	pop
	load_global xs
	const -1
	contains
	load found
	add
	store found
	load k
	const 1
	add
	store k
	jump loop
done:
	load found
	return
end
`

// TestConcurrentContainers: an interpreter with neither a lock nor a profile gives the
// shared list and dict their concurrent form; a thread sees its own appends at once and
// in order (alone: xs[-1] is its last append, across block boundaries), and its own
// writes; after the calls the list and dict are exact. A GIL's interpreter
// and a profile's keep the one mutex.
func TestConcurrentContainers(t *testing.T) {
	p := MustAssemble(concurrentAsm)
	// Blocks published full, and a remainder; and more keys than dictPending, so that a
	// thread's stores are published mid-call and it reads its own back from the stripes.
	const threads, n = 4, 4*appendBlock + 17
	in := New(p, nil)
	reader := in.NewThread() // runs own beside the writers: reads of blocks being filled
	ths := make([]*Thread, threads)
	for w := range ths {
		ths[w] = in.NewThread()
	}
	xs, _ := in.Shared().Container("xs")
	d, _ := in.Shared().Container("d")
	if xs.blist == nil || d.shards == nil {
		t.Fatalf("no lock, no profile: xs in blocks %v, d striped %v; want both", xs.blist != nil, d.shards != nil)
	}
	own, _ := p.Func("own")
	peek, _ := p.Func("peek")
	if v, err := ths[0].Call(own, n); err != nil || v != n*1000000+n-1 {
		t.Fatalf("one thread: len(xs) * 1000000 + xs[-1] = %d, want %d (err %v)", v, n*1000000+n-1, err)
	}
	if err := in.Shared().Reset(); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		var wg sync.WaitGroup
		res := make([]Value, threads)
		errs := make([]error, threads)
		for w, th := range ths {
			wg.Go(func() { res[w], errs[w] = th.Call(0, Value(w), n) })
		}
		var peekV Value
		var peekErr error
		wg.Go(func() { peekV, peekErr = reader.Call(peek, 200) })
		wg.Wait()
		if peekErr != nil || peekV != 0 {
			t.Fatalf("round %d: peek: %d, %v; want 0 (-1 is never appended)", round, peekV, peekErr)
		}
		for w := range threads {
			if errs[w] != nil || res[w] != 0 {
				t.Fatalf("round %d, thread %d: %d wrong reads of its own writes (err %v)", round, w, res[w], errs[w])
			}
		}
		if xs.Len() != threads*n || d.Len() != threads*n {
			t.Errorf("round %d: len(xs) = %d, len(d) = %d; want %d each", round, xs.Len(), d.Len(), threads*n)
		}
		// Every value once, each thread's in its order.
		seen := make([]bool, threads*n)
		last := make([]Value, threads)
		for w := range last {
			last[w] = -1
		}
		xs.mu.Lock()
		var vals []Value
		for _, blk := range xs.blist.blocks {
			vals = append(vals, blk.vals[:blk.n]...)
		}
		for _, v := range vals {
			w := v / n
			if seen[v] || v%n <= last[w] && last[w] >= 0 {
				t.Fatalf("round %d: %d out of order or twice", round, v)
			}
			seen[v], last[w] = true, v%n
		}
		xs.mu.Unlock()
		if err := in.Shared().Reset(); err != nil {
			t.Fatal(err)
		}
		if xs.Len() != 0 || d.Len() != 0 {
			t.Fatalf("after Reset: len(xs) = %d, len(d) = %d", xs.Len(), d.Len())
		}
	}
	for name, in := range map[string]*Interpreter{"gil": New(p, NewGIL(0)), "profile": New(p, nil)} {
		if name == "profile" {
			if err := in.SetFreeThreading(&FreeThreading{Name: "test"}); err != nil {
				t.Fatal(err)
			}
		}
		th := in.NewThread()
		th.Attach()
		if v, err := th.Call(0, 0, 10); err != nil || v != 0 {
			t.Errorf("%s: %d, %v", name, v, err)
		}
		th.Detach()
		xs, _ := in.Shared().Container("xs")
		d, _ := in.Shared().Container("d")
		if xs.blist != nil || d.shards != nil || xs.Len() != 10 || d.Len() != 10 {
			t.Errorf("%s: in blocks %v striped %v len %d %d; want the one mutex, 10 and 10", name, xs.blist != nil, d.shards != nil, xs.Len(), d.Len())
		}
	}
}

func TestDictShard(t *testing.T) {
	var sh dictShard
	for k := range Value(1000) {
		sh.set(-k*7, k)
	}
	sh.set(0, 42)
	for k := range Value(1000) {
		want := k
		if k == 0 {
			want = 42
		}
		if v, ok := sh.get(-k * 7); !ok || v != want {
			t.Fatalf("get(%d) = %d, %v; want %d", -k*7, v, ok, want)
		}
	}
	if _, ok := sh.get(1); ok || sh.n != 1000 {
		t.Errorf("get(1) found, or n = %d (want 1000)", sh.n)
	}
	sh.clear()
	if _, ok := sh.get(0); ok || sh.n != 0 {
		t.Error("a key after clear")
	}
}

// A thread's writes to concurrent containers are published when it releases a lock
// object: the lock's next holder sees them while the writer's Call still runs.
func TestConcurrentPublishOnRelease(t *testing.T) {
	p := MustAssemble(`
list xs
dict d
lock mu
global ready seen
func writer
	load_global mu
	native lock_acquire
	pop
	load_global xs
	const 5
	append
	load_global d
	const 1
	const 5
	setitem
	load_global mu
	native lock_release
	pop
	const 1
	store_global ready
wait:
	load_global seen
	jump_if_false wait
	const 0
	return
end
func reader
wait:
	load_global ready
	jump_if_false wait
	load_global mu
	native lock_acquire
	pop
	load_global xs      # len(xs) * 10 + d.get(1, -1)
	len
	const 10
	mul
	load_global d
	const 1
	const -1
	dict_get
	add
	load_global mu
	native lock_release
	pop
	const 1
	store_global seen
	return
end
`)
	in := New(p, nil)
	w, r := in.NewThread(), in.NewThread()
	writer, _ := p.Func("writer")
	reader, _ := p.Func("reader")
	var wg sync.WaitGroup
	var werr error
	wg.Go(func() { _, werr = w.Call(writer) })
	v, err := r.Call(reader)
	wg.Wait()
	if err != nil || werr != nil || v != 15 {
		t.Errorf("the lock's next holder saw len(xs) * 10 + d.get(1, -1) = %d, want 15 (errors %v, %v)", v, err, werr)
	}
}

// The stripes and the pending writes are a whole number of cache lines, so no two
// share one (the allocator places such sizes on line boundaries).
func TestConcurrentPadding(t *testing.T) {
	if s := unsafe.Sizeof(dictShard{}); s != 64 {
		t.Errorf("dictShard is %d bytes, want 64", s)
	}
	if s := unsafe.Sizeof(pending{}); s != 128 {
		t.Errorf("pending is %d bytes, want 128", s)
	}
}
