package queue_test

import (
	"cmp"
	"fmt"
	"sync"

	"gilbench/queue"
)

// Python's worker pattern: workers mark each item done, the producer joins
// the queue, then shuts it down so the workers return.
func Example() {
	q := queue.New[int](0)
	var mu sync.Mutex
	sum := 0
	var workers sync.WaitGroup
	for range 3 {
		workers.Go(func() {
			for {
				x, err := q.Get()
				if err != nil { // queue.ErrShutDown
					return
				}
				mu.Lock()
				sum += x
				mu.Unlock()
				q.TaskDone()
			}
		})
	}
	for i := 1; i <= 10; i++ {
		q.Put(i)
	}
	q.Join()
	mu.Lock()
	fmt.Println("all work done, sum", sum)
	mu.Unlock()
	q.Shutdown(false)
	workers.Wait()
	// Output: all work done, sum 55
}

func ExampleNewPriority() {
	q := queue.NewPriority(0, cmp.Less[string])
	for _, s := range []string{"pear", "apple", "fig"} {
		q.PutNowait(s)
	}
	for !q.Empty() {
		s, _ := q.GetNowait()
		fmt.Println(s)
	}
	// Output:
	// apple
	// fig
	// pear
}

func ExampleQueue_Shutdown() {
	q := queue.New[string](0)
	q.Put("a")
	q.Put("b")
	q.Shutdown(false) // no more puts; gets drain what is left
	fmt.Println(q.Put("c"))
	for {
		s, err := q.Get()
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(s)
	}
	// Output:
	// queue: shut down
	// a
	// b
	// queue: shut down
}

// thread stands for an interpreter thread that runs only while it holds the
// interpreter's global lock.
type thread struct{ gil *sync.Mutex }

// Blocking runs f, a call that may block, with the global lock released.
func (t thread) Blocking(f func()) {
	t.gil.Unlock()
	defer t.gil.Lock()
	f()
}

// An interpreter with a global lock wraps each blocking call, so that the
// thread that will put the item can take the lock meanwhile.
func ExampleQueue_Get() {
	var gil sync.Mutex
	q := queue.New[string](0)
	main := thread{&gil}
	gil.Lock()
	go func() { // another interpreter thread
		gil.Lock()
		defer gil.Unlock()
		q.Put("hello")
	}()
	var item string
	main.Blocking(func() { item, _ = q.Get() })
	fmt.Println(item)
	gil.Unlock()
	// Output: hello
}
