package queue

import (
	"cmp"
	"fmt"
	"sync"
	"testing"
)

// A fifoImpl is one implementation under benchmark. A buffered Go channel is
// the floor the queue is compared with.
type fifoImpl interface {
	put(int)
	get() int
}

type queueImpl struct{ q *Queue[int] }

func (i queueImpl) put(x int) {
	if err := i.q.Put(x); err != nil {
		panic(err)
	}
}

func (i queueImpl) get() int {
	x, err := i.q.Get()
	if err != nil {
		panic(err)
	}
	return x
}

type simpleImpl struct{ s *SimpleQueue[int] }

func (i simpleImpl) put(x int) { i.s.Put(x) }
func (i simpleImpl) get() int  { return i.s.Get() }

type chanImpl chan int

func (c chanImpl) put(x int) { c <- x }
func (c chanImpl) get() int  { return <-c }

// impls returns the implementations, bounded to maxsize items (the channel's
// capacity) where they can be.
func impls(maxsize int) []struct {
	name string
	new  func() fifoImpl
} {
	return []struct {
		name string
		new  func() fifoImpl
	}{
		{"chan", func() fifoImpl { return make(chanImpl, maxsize) }},
		{"fifo", func() fifoImpl { return queueImpl{New[int](maxsize)} }},
		{"lifo", func() fifoImpl { return queueImpl{NewLifo[int](maxsize)} }},
		{"priority", func() fifoImpl { return queueImpl{NewPriority(maxsize, cmp.Less[int])} }},
		{"simple", func() fifoImpl { return simpleImpl{NewSimple[int]()} }},
	}
}

// BenchmarkPutGet times one uncontended Put followed by one Get.
func BenchmarkPutGet(b *testing.B) {
	for _, impl := range impls(1) {
		b.Run("impl="+impl.name, func(b *testing.B) {
			q := impl.new()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				q.put(i)
				q.get()
			}
		})
	}
}

// BenchmarkPutGetContended times items passed from 2 producers to 2
// consumers; ns/op is per item. The goroutines start with the timer off and
// are released together.
func BenchmarkPutGetContended(b *testing.B) {
	const producers, consumers = 2, 2
	for _, maxsize := range []int{1, 1024} {
		for _, impl := range impls(maxsize) {
			if impl.name == "simple" && maxsize != 1024 {
				continue // unbounded: one run is enough
			}
			b.Run(fmt.Sprintf("impl=%s/maxsize=%d", impl.name, maxsize), func(b *testing.B) {
				q := impl.new()
				start := make(chan struct{})
				var wg sync.WaitGroup
				share := func(n, k, i int) int { return n/k + btoi(i < n%k) }
				for p := range producers {
					n := share(b.N, producers, p)
					wg.Go(func() {
						<-start
						for i := range n {
							q.put(i)
						}
					})
				}
				for c := range consumers {
					n := share(b.N, consumers, c)
					wg.Go(func() {
						<-start
						for range n {
							q.get()
						}
					})
				}
				b.ReportAllocs()
				b.ResetTimer()
				close(start)
				wg.Wait()
				b.StopTimer()
			})
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
