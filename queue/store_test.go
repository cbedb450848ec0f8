package queue

import (
	"cmp"
	"container/heap"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestStores runs each container against a model slice through growth,
// wrap-around and shrinking, with a fixed seed.
func TestStores(t *testing.T) {
	type model struct {
		name string
		s    func() store[*int]
		take func(m []int) (int, []int) // removes the item Get returns
	}
	models := []model{
		{"fifo", func() store[*int] { return new(fifo[*int]) }, func(m []int) (int, []int) { return m[0], m[1:] }},
		{"lifo", func() store[*int] { return new(lifo[*int]) }, func(m []int) (int, []int) { return m[len(m)-1], m[:len(m)-1] }},
		{"prio", func() store[*int] { return &prio[*int]{less: func(a, b *int) bool { return *a < *b }} },
			func(m []int) (int, []int) {
				least := slices.Min(m)
				i := slices.Index(m, least)
				return least, slices.Delete(m, i, i+1)
			}},
	}
	for _, md := range models {
		t.Run(md.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			s := md.s()
			var m []int
			// Phases bias towards put, then get, twice: grow to ~3000, drain.
			for phase := range 4 {
				for range 8000 {
					putBias := 0.7
					if phase%2 == 1 {
						putBias = 0.3
					}
					if len(m) == 0 || rng.Float64() < putBias {
						x := rng.IntN(100)
						s.put(&x)
						m = append(m, x)
					} else {
						var want int
						want, m = md.take(m)
						if got := *s.get(); got != want {
							t.Fatalf("phase %d: get %d; want %d", phase, got, want)
						}
					}
					if s.len() != len(m) {
						t.Fatalf("phase %d: len %d; want %d", phase, s.len(), len(m))
					}
				}
				if f, ok := s.(*fifo[*int]); ok {
					checkFifo(t, f)
				}
			}
			for len(m) > 0 {
				var want int
				want, m = md.take(m)
				if got := *s.get(); got != want {
					t.Fatalf("draining: get %d; want %d", got, want)
				}
			}
			checkShrunk(t, s)
		})
	}
}

// checkFifo checks the ring's invariants: a power-of-two capacity, and no
// reference kept outside the live items.
func checkFifo(t *testing.T, f *fifo[*int]) {
	t.Helper()
	c := len(f.buf)
	if c&(c-1) != 0 {
		t.Fatalf("capacity %d is not a power of two", c)
	}
	for i := f.n; i < c; i++ {
		if f.buf[(f.head+i)&(c-1)] != nil {
			t.Fatalf("slot %d outside the %d items still holds a pointer", (f.head+i)&(c-1), f.n)
		}
	}
}

// checkShrunk checks that an emptied container gave back its memory.
func checkShrunk(t *testing.T, s store[*int]) {
	t.Helper()
	var c int
	switch s := s.(type) {
	case *fifo[*int]:
		checkFifo(t, s)
		c = len(s.buf)
	case *lifo[*int]:
		c = cap(s.items)
	case *prio[*int]:
		c = cap(s.items)
	}
	if c > 2*minShrink {
		t.Errorf("empty container keeps capacity %d", c)
	}
}

func TestPrioHeapInterface(t *testing.T) {
	// Push and Pop exist for heap.Interface; heap.Push and heap.Pop must
	// work with them as with put and get.
	h := &prio[int]{less: cmp.Less[int]}
	for _, x := range []int{3, 1, 2} {
		heap.Push(h, x)
	}
	h.put(0)
	var got []int
	for h.Len() > 0 {
		got = append(got, heap.Pop(h).(int))
	}
	if want := []int{0, 1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}
