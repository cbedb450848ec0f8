package cluster

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"
)

// hookExec is testExec with a hook called before each task runs.
type hookExec struct {
	testExec
	hook func(task int64)
}

func (e hookExec) Open(spec CellSpec) (Tasks, error) {
	t, err := e.testExec.Open(spec)
	if err != nil {
		return nil, err
	}
	return hookTasks{t, e.hook}, nil
}

type hookTasks struct {
	Tasks
	hook func(int64)
}

func (t hookTasks) Run(i int64) (int64, error) {
	t.hook(i)
	return t.Tasks.Run(i)
}

// TestServerRestartMidBatch: the embedded server is stopped and started again (same
// port, same storage) while a batch runs. Every task's result arrives exactly once in
// the count: the checksum is right; a result stored twice (a job acknowledged too late)
// is counted as a duplicate, never as a second result.
//
// At prefetch 8 a worker holds several jobs and answers them with one result message.
func TestServerRestartMidBatch(t *testing.T) {
	for _, prefetch := range []int{1, 8} {
		t.Run("prefetch="+strconv.Itoa(prefetch), func(t *testing.T) { testServerRestartMidBatch(t, prefetch) })
	}
}

func testServerRestartMidBatch(t *testing.T, prefetch int) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := startServer(t)
	body, _ := json.Marshal(testBody{SleepMs: 5})
	c := openCell(t, ctx, s.URL(), CellOptions{Workers: 2, Prefetch: prefetch, Body: body, AckWait: time.Second})
	const tasks = 200
	reached := make(chan struct{})
	var once sync.Once
	exec := hookExec{hook: func(i int64) {
		if i >= tasks/3 {
			once.Do(func() { close(reached) })
		}
	}}
	wctx, stopWorkers := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for k := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = RunWorker(wctx, WorkerOptions{URL: s.URL(), Exec: exec, Name: "w" + string(rune('0'+k)), Cell: c.ID})
		}()
	}
	defer func() { stopWorkers(); wg.Wait() }()
	if _, err := c.WaitWorkers(ctx, nil); err != nil {
		t.Fatal(err)
	}
	restarted := make(chan error, 1)
	go func() {
		select {
		case <-reached:
		case <-ctx.Done():
			restarted <- ctx.Err()
			return
		}
		restarted <- s.Restart()
	}()
	b, err := c.Run(ctx, tasks, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-restarted; err != nil {
		t.Fatalf("restart: %v", err)
	}
	if b.Checksum != checksum(tasks) {
		t.Fatalf("checksum %d; want %d: a result was lost or counted twice", b.Checksum, checksum(tasks))
	}
	if len(b.Latencies) != tasks {
		t.Fatalf("%d results counted; want %d", len(b.Latencies), tasks)
	}
	t.Logf("batch across a restart: %v, %d redeliveries, %d duplicates", b.Elapsed, b.Redeliveries, b.Duplicates)
	// And the queue still works afterwards.
	b, err = c.Run(ctx, 20, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.Checksum != checksum(20) {
		t.Fatalf("after the restart: checksum %d; want %d", b.Checksum, checksum(20))
	}
}

// TestWorkerUnreachable: a worker whose server is not there fails within seconds.
func TestWorkerUnreachable(t *testing.T) {
	s := startServer(t)
	url := s.URL()
	s.Shutdown()
	t0 := time.Now()
	err := RunWorker(context.Background(), WorkerOptions{URL: url, Exec: testExec{}})
	if err == nil {
		t.Fatal("a worker without a server ran")
	}
	if d := time.Since(t0); d > 2*DefaultConnectTimeout {
		t.Errorf("failed after %v; want within %v", d, 2*DefaultConnectTimeout)
	}
	t.Log(err)
}
