package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperMain())
	}
	goleak.VerifyTestMain(m, leakOptions()...)
}

// leakOptions are the goroutines of the embedded server that outlive its Shutdown by a
// moment or for good: ...
func leakOptions() []goleak.Option { return nil }

// testExec runs task i by sleeping Body.SleepMs and returning i*i+1.
type testExec struct{}

type testBody struct {
	SleepMs int `json:"sleep_ms"`
}

func (testExec) Open(spec CellSpec) (Tasks, error) {
	var b testBody
	if len(spec.Body) > 0 {
		if err := json.Unmarshal(spec.Body, &b); err != nil {
			return nil, err
		}
	}
	return &testTasks{sleep: time.Duration(b.SleepMs) * time.Millisecond}, nil
}

type testTasks struct {
	sleep time.Duration
	n     float64
}

func (t *testTasks) Run(i int64) (int64, error) {
	if t.sleep > 0 {
		time.Sleep(t.sleep)
	}
	t.n++
	return want(i), nil
}
func (t *testTasks) ResetStats()                 { t.n = 0 }
func (t *testTasks) Metrics() map[string]float64 { return map[string]float64{"tasks-run/op": t.n} }
func (t *testTasks) Close() error                { return nil }

func want(i int64) int64 { return i*i + 1 }

func checksum(tasks int) int64 {
	var s int64
	for i := range int64(tasks) {
		s += want(i)
	}
	return s
}

// startServer starts an embedded server for one test.
func startServer(t testing.TB) *Server {
	t.Helper()
	s, err := StartServer(ServerOptions{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// openCell connects and opens a cell of workers workers.
func openCell(t testing.TB, ctx context.Context, url string, o CellOptions) *Cell {
	t.Helper()
	nc, err := Connect(url, "test runner", 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	c, err := OpenCell(ctx, nc, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// goWorkers runs n in-process workers until the test ends.
func goWorkers(t testing.TB, url, cell string, n int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for k := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := RunWorker(ctx, WorkerOptions{URL: url, Exec: testExec{}, Name: "w" + strconv.Itoa(k), Cell: cell})
			if err != nil && ctx.Err() == nil {
				t.Errorf("worker %d: %v", k, err)
			}
		}()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func TestBatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := startServer(t)
	body, _ := json.Marshal(testBody{SleepMs: 1})
	c := openCell(t, ctx, s.URL(), CellOptions{Workers: 2, Body: body})
	goWorkers(t, s.URL(), "", 2)
	slots, err := c.WaitWorkers(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 2 {
		t.Fatalf("got %d slots; want 2", len(slots))
	}
	for round := range 3 {
		const tasks = 100
		b, err := c.Run(ctx, tasks, nil)
		if err != nil {
			t.Fatal(err)
		}
		if b.Checksum != checksum(tasks) {
			t.Fatalf("round %d: checksum %d; want %d", round, b.Checksum, checksum(tasks))
		}
		if b.Duplicates != 0 || b.Redeliveries != 0 {
			t.Errorf("round %d: %d duplicates, %d redeliveries; want none", round, b.Duplicates, b.Redeliveries)
		}
		var ran float64
		for _, r := range b.Reports {
			ran += r.Metrics["tasks-run/op"]
		}
		if len(b.Reports) != 2 || ran != tasks {
			t.Errorf("round %d: %d reports counting %v tasks; want 2 counting %d", round, len(b.Reports), ran, tasks)
		}
		// 100 tasks of 1 ms on two workers: about 50 ms if both worked.
		t.Logf("round %d: %v (%.0f tasks/s)", round, b.Elapsed, tasks/b.Elapsed.Seconds())
	}
}

const helperEnv = "GILBENCH_CLUSTER_TEST_HELPER"

// helperMain is the test binary acting as a worker process: GILBENCH_CLUSTER_TEST_HELPER
// holds "URL CELL".
func helperMain() int {
	var url, cell string
	if _, err := fmt.Sscan(os.Getenv(helperEnv), &url, &cell); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	err := RunWorker(context.Background(), WorkerOptions{URL: url, Cell: cell, Exec: testExec{}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		if errors.Is(err, context.DeadlineExceeded) {
			return 3
		}
		return 1
	}
	return 0
}
