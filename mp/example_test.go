//go:build linux

package mp_test

import (
	"context"
	"fmt"

	"gilbench/mp"
)

type job struct {
	N    int
	Last bool
}

type result struct {
	N, Square int
}

// The worker of the runner's process mode: jobs from one JoinableQueue,
// results to one Queue, a sentinel to stop. Registered at init so that the
// child, which is this binary re-executed, knows it before mp.Main runs.
func init() {
	mp.Register("example.square", func(a mp.Args) error {
		jobs, err := mp.Arg[*mp.JoinableQueue[job]](a, 0)
		if err != nil {
			return err
		}
		results, err := mp.Arg[*mp.Queue[result]](a, 1)
		if err != nil {
			return err
		}
		for {
			j, err := jobs.Get()
			if err != nil {
				return err
			}
			if j.Last {
				return jobs.TaskDone()
			}
			if err := results.Put(result{j.N, j.N * j.N}); err != nil {
				return err
			}
			if err := jobs.TaskDone(); err != nil {
				return err
			}
		}
	})
}

func Example() {
	// In a real program mp.Main() is the first call in main.
	jobs, _ := mp.NewJoinableQueue[job](0)
	defer jobs.Close()
	results, _ := mp.NewQueue[result](0)
	defer results.Close()

	var workers []*mp.Process
	for range 2 {
		p := mp.NewProcess("example.square", jobs, results)
		if err := p.Start(); err != nil {
			fmt.Println(err)
			return
		}
		workers = append(workers, p)
	}
	for i := range 100 {
		jobs.Put(job{N: i})
	}
	for range workers {
		jobs.Put(job{Last: true})
	}

	// Stop waiting if a worker dies.
	ctx, cancel := mp.WithProcesses(context.Background(), workers...)
	defer cancel()
	if err := jobs.JoinContext(ctx); err != nil {
		fmt.Println(err)
	}
	sum := 0
	for range 100 {
		r, err := results.GetContext(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		sum += r.Square
	}
	for _, p := range workers {
		p.Join()
		code, _, _ := p.ExitCode()
		fmt.Println("worker exit code", code)
	}
	fmt.Println("sum of squares:", sum)
	_ = mp.Shutdown(context.Background())
	// Output:
	// worker exit code 0
	// worker exit code 0
	// sum of squares: 328350
}
