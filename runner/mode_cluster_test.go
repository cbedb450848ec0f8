package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gilbench/interp"
	"gilbench/vocab"
	"gilbench/workloads"
)

// test-cluster-die's task 3 kills its own worker process with SIGKILL in the middle of
// the task, the first time it runs (CLUSTER_DIE_FILE does not exist yet); its
// redelivery then runs on another worker. Its tasks sleep a little, so that both workers
// have jobs.
func init() {
	die := &interp.Native{Name: "maybe_kill", NArgs: 1, Fn: func(t *interp.Thread, a []interp.Value) (interp.Value, error) {
		time.Sleep(5 * time.Millisecond)
		if path := os.Getenv("CLUSTER_DIE_FILE"); a[0] == 3 && path != "" {
			if f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644); err == nil {
				f.Close()
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				time.Sleep(time.Second) // the signal arrives
			}
		}
		return a[0] * 3, nil
	}}
	workloads.Register(&workloads.Workload{
		Name: "test-cluster-die", Class: workloads.CPU, Description: "test only",
		DefaultSize: 1, DefaultTasks: 16, QuickSize: 1, QuickTasks: 16,
		Source:  "func task i size\n\tload i\n\tnative maybe_kill\n\treturn\nend\n",
		Natives: func(workloads.Params, *workloads.Local) ([]*interp.Native, error) { return []*interp.Native{die}, nil },
		Twin:    func(_ context.Context, _ workloads.Params, i, _ int64) (int64, error) { return 3 * i, nil },
		Want:    func(i, _ int64) int64 { return 3 * i },
	})
}

func clusterCell(t *testing.T, workload string, workers int) Cell {
	t.Helper()
	w, err := workloads.Lookup(workload)
	if err != nil {
		t.Fatal(err)
	}
	m, err := LookupMode("cluster")
	if err != nil {
		t.Fatal(err)
	}
	return Cell{Workload: w, Mode: m, Workers: workers, Tasks: w.QuickTasks, Size: w.QuickSize}
}

// metric is the value of unit in s, and whether s has it.
func metric(s Sample, unit string) (float64, bool) {
	for _, v := range s.Values {
		if v.Unit == unit {
			return v.Value, true
		}
	}
	return 0, false
}

func TestClusterModeChecksums(t *testing.T) {
	var raw bytes.Buffer
	cfg := quickConfig("primes", "sleep")
	cfg.Modes = []string{"cluster"}
	if err := Run(context.Background(), cfg, Options{Raw: &raw}); err != nil {
		t.Fatal(err)
	}
	out := raw.String()
	if n := strings.Count(out, "mode=cluster/workers=2/prefetch=1/ackwait=5s-"); n != 2*cfg.Count {
		t.Fatalf("%d cluster lines at 2 workers; want %d:\n%s", n, 2*cfg.Count, out)
	}
	for _, unit := range []string{vocab.Redeliveries.Name, vocab.Duplicates.Name, vocab.Connect.Name} {
		if !strings.Contains(out, " "+unit) {
			t.Errorf("raw.txt has no %s:\n%s", unit, out)
		}
	}
	checkNoChildren(t)
}

// TestClusterNameKeys: the queue's knobs are in every cluster cell's name, defaults
// spelled out, and in no other mode's; a negative one is bad input.
func TestClusterNameKeys(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Workloads = []string{"primes"}
	cfg.Modes = []string{"cluster", "process"}
	cfg.Workers = []int{2}
	for _, tc := range []struct {
		prefetch int
		ackWait  time.Duration
		want     string
	}{
		{0, 0, "/mode=cluster/workers=2/prefetch=1/ackwait=5s"},
		{16, 1500 * time.Millisecond, "/mode=cluster/workers=2/prefetch=16/ackwait=1.5s"},
	} {
		cfg.Settings.Prefetch, cfg.Settings.AckWait = tc.prefetch, tc.ackWait
		cells, err := Plan(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := cells[0].Name(); !strings.HasSuffix(got, tc.want) {
			t.Errorf("prefetch %d, ack wait %v: name %s; want it to end in %s", tc.prefetch, tc.ackWait, got, tc.want)
		}
		if got := cells[1].Name(); strings.Contains(got, vocab.KeyPrefetch) || strings.Contains(got, vocab.KeyAckWait) {
			t.Errorf("process cell named %s; want no queue knobs", got)
		}
	}
	for _, s := range []Settings{{Prefetch: -1}, {AckWait: -time.Second}} {
		cfg.Settings.Prefetch, cfg.Settings.AckWait = s.Prefetch, s.AckWait
		if _, err := Plan(cfg); !errors.Is(err, ErrUsage) {
			t.Errorf("settings %+v: got %v; want a usage error", s, err)
		}
	}
}

// TestClusterWorkerKilledMidTask: a worker SIGKILLed in the middle of a task loses
// nothing: its job comes back after the ack wait, the other worker runs it, the batch
// has the right checksum (Measure checks it), the redelivery is counted, and no
// result is counted twice.
//
// At prefetch 4 the killed worker held other jobs of its pull too: all come back.
func TestClusterWorkerKilledMidTask(t *testing.T) {
	for _, prefetch := range []int{1, 4} {
		t.Run(fmt.Sprintf("prefetch=%d", prefetch), func(t *testing.T) { testClusterWorkerKilled(t, prefetch) })
	}
}

func testClusterWorkerKilled(t *testing.T, prefetch int) {
	t.Setenv("CLUSTER_DIE_FILE", filepath.Join(t.TempDir(), "died"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := DefaultSettings()
	s.AckWait = 500 * time.Millisecond
	s.Prefetch = prefetch
	sess, err := Open(ctx, clusterCell(t, "test-cluster-die", 2), nil, s)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sess.Close(); err != nil {
			t.Error(err)
		}
		checkNoChildren(t)
	}()
	sample, err := sess.Measure(ctx, 1, 16)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(os.Getenv("CLUSTER_DIE_FILE")); err != nil {
		t.Fatalf("no worker was killed: %v", err)
	}
	if r, _ := metric(sample, vocab.Redeliveries.Name); r*16 < 1 {
		t.Errorf("redeliveries/op = %v; want at least one redelivery in 16 tasks", r)
	}
	if d, _ := metric(sample, vocab.Duplicates.Name); d != 0 {
		t.Errorf("duplicates/op = %v; want none", d)
	}
	// The survivor carries on with the next batch alone.
	if _, err := sess.Measure(ctx, 1, 16); err != nil {
		t.Fatal(err)
	}
}

func TestClusterRemoteWorkersRefuseSharedState(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := DefaultSettings()
	s.RemoteWorkers = true
	_, err := Open(ctx, clusterCell(t, "counter", 2), nil, s)
	if err == nil || !strings.Contains(err.Error(), "share no memory") {
		t.Fatalf("err = %v; want a refusal of shared state", err)
	}
}

// TestClusterUnreachableServer: a cell pointed at a server that is not there fails
// within seconds with an error that says so.
func TestClusterUnreachableServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := DefaultSettings()
	s.NATS = "nats://" + closedPort(t)
	t0 := time.Now()
	_, err := Open(ctx, clusterCell(t, "primes", 1), nil, s)
	if err == nil || !strings.Contains(err.Error(), "cannot reach the server") {
		t.Fatalf("err = %v; want cannot reach the server", err)
	}
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("failed after %v; want within seconds", d)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v; want the connection's error, not the test's deadline", err)
	}
}

// closedPort is a loopback host:port where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
