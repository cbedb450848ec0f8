package queue

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestStress runs producers and consumers that mix every form of Put and Get,
// with timeouts and deadlines short enough to expire while other goroutines
// wake them, and checks that every item arrives exactly once, that Join
// returns once all are done and that Shutdown releases the consumers left
// waiting. A lost wake-up shows as a hang.
func TestStress(t *testing.T) {
	const producers, consumers, perProducer = 4, 4, 2000
	const tiny = 10 * time.Microsecond
	for _, maxsize := range []int{0, 1, 4} {
		t.Run(fmt.Sprintf("maxsize=%d", maxsize), func(t *testing.T) {
			q := New[int](maxsize)
			put := func(i, x int) error {
				for {
					var err error
					switch i % 4 {
					case 0:
						err = q.Put(x)
					case 1:
						err = q.PutTimeout(x, tiny)
					case 2:
						ctx, cancel := context.WithTimeout(context.Background(), tiny)
						err = q.PutContext(ctx, x)
						cancel()
					case 3:
						err = q.PutNowait(x)
						runtime.Gosched()
					}
					switch err {
					case ErrFull, context.DeadlineExceeded:
						continue
					}
					return err
				}
			}
			get := func(i int) (int, error) {
				for {
					var x int
					var err error
					switch i % 4 {
					case 0:
						x, err = q.Get()
					case 1:
						x, err = q.GetTimeout(tiny)
					case 2:
						ctx, cancel := context.WithTimeout(context.Background(), tiny)
						x, err = q.GetContext(ctx)
						cancel()
					case 3:
						x, err = q.GetNowait()
						runtime.Gosched()
					}
					switch err {
					case ErrEmpty, context.DeadlineExceeded:
						continue
					}
					return x, err
				}
			}

			var prod, cons sync.WaitGroup
			errs := make(chan error, producers+consumers)
			got := make([][]int, consumers)
			for p := range producers {
				prod.Go(func() {
					for i := range perProducer {
						if err := put(p+i, p*perProducer+i); err != nil {
							errs <- fmt.Errorf("producer %d: %v", p, err)
							return
						}
					}
				})
			}
			for c := range consumers {
				cons.Go(func() {
					for i := 0; ; i++ {
						x, err := get(c + i)
						if err == ErrShutDown {
							return
						}
						if err != nil {
							errs <- fmt.Errorf("consumer %d: %v", c, err)
							return
						}
						got[c] = append(got[c], x)
						if err := q.TaskDone(); err != nil {
							errs <- fmt.Errorf("consumer %d: %v", c, err)
							return
						}
					}
				})
			}
			prod.Wait()
			q.Join() // every item was taken and marked done
			q.Shutdown(false)
			cons.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}

			seen := make([]int, producers*perProducer)
			for _, items := range got {
				for _, x := range items {
					seen[x]++
				}
			}
			for x, n := range seen {
				if n != 1 {
					t.Errorf("item %d arrived %d times", x, n)
				}
			}
			if g, p, j := q.waiters(); g+p+j != 0 {
				t.Errorf("waiters left: %d getters, %d putters, %d joiners", g, p, j)
			}
		})
	}
}
