//go:build linux

package mp

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Benchmarks, each beside its physical floor measured in the same run
// (impl=raw: the same bytes through plain pipes between the same kind of
// processes, batched as well as a pipe allows):
//
//	QueueRoundTrip  items parent → N echo children → parent, streamed
//	PingPong        one item there and back at a time (impl=raw-poll: the
//	                raw pipe waiting as mp does, spin.go: the parent polls)
//	PingPongRatio   the three ping-pongs interleaved in blocks within one
//	                run; reports each one's ns/rt and mp's ratios
//	StartJoin       Process Start + Join vs exec + wait of the same binary
//	Jobs            the runner's shape: JoinableQueue of jobs, 2 workers,
//	                Queue of results, TaskDone, Join
//
// Workers are started with the timer stopped; items/s is reported beside
// ns/op (one op = one item, one round trip or one process).

func init() {
	registerBenchEcho[int64]("bench.echo.int64", func(v int64) bool { return v < 0 })
	registerBenchEcho[[]byte]("bench.echo.bytes", func(v []byte) bool { return len(v) == 0 })
}

// registerBenchEcho registers a target that echoes items until a sentinel.
func registerBenchEcho[T any](name string, last func(T) bool) {
	Register(name, func(a Args) error {
		in, err := Arg[*Queue[T]](a, 0)
		if err != nil {
			return err
		}
		out, err := Arg[*Queue[T]](a, 1)
		if err != nil {
			return err
		}
		in.SetPrefetch(maxWindow) // a streaming consumer: fetch ahead
		for {
			v, err := in.Get()
			if err != nil {
				return err
			}
			if last(v) {
				return nil
			}
			if err := out.Put(v); err != nil {
				return err
			}
		}
	})
}

func BenchmarkQueueRoundTrip(b *testing.B) {
	for _, size := range []int{8, 1024} {
		for _, producers := range []int{1, 4} {
			name := fmt.Sprintf("size=%d/producers=%d", size, producers)
			b.Run(name+"/impl=mp", func(b *testing.B) {
				if size == 8 {
					mpRoundTrip(b, "bench.echo.int64", producers, 8192, int64(7), int64(-1))
				} else {
					mpRoundTrip(b, "bench.echo.bytes", producers, 1024, make([]byte, size), []byte{})
				}
			})
			b.Run(name+"/impl=raw", func(b *testing.B) { rawRoundTrip(b, producers, size) })
		}
	}
}

// mpRoundTrip streams b.N items through workers echo processes, keeping at
// most window items in flight.
func mpRoundTrip[T any](b *testing.B, target string, workers, window int, item, sentinel T) {
	checkNoChildren(b)
	in, out := mustQueue[T](b, 0), mustQueue[T](b, 0)
	var ps []*Process
	for range workers {
		p := NewProcess(target, in, out)
		mustStart(b, p)
		ps = append(ps, p)
	}
	for range workers { // warm up every worker's connections
		in.Put(item)
	}
	for range workers {
		out.Get()
	}
	b.SetBytes(int64(binary.Size(item)))
	b.ResetTimer()
	put, got := 0, 0
	for got < b.N {
		for put < b.N && put-got < window {
			if err := in.Put(item); err != nil {
				b.Fatal(err)
			}
			put++
		}
		if _, err := out.Get(); err != nil {
			b.Fatal(err)
		}
		got++
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
	for range workers {
		in.Put(sentinel)
	}
	for _, p := range ps {
		if code := exitCode(b, p); code != 0 {
			b.Fatalf("exit code %d", code)
		}
	}
}

// rawRoundTrip is the floor: each of workers children copies a pipe to a
// pipe (io.Copy, 256 KiB buffer); the parent writes its share of b.N items
// in 64 KiB batches and reads them back.
func rawRoundTrip(b *testing.B, workers, size int) {
	checkNoChildren(b)
	var ps []*pipeEcho
	for range workers {
		ps = append(ps, startPipeEcho(b, false))
	}
	batch := max(64<<10/size, 1) * size
	buf := make([]byte, batch)
	for i := range buf {
		buf[i] = byte(i)
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, p := range ps {
		n := b.N / workers
		if i < b.N%workers {
			n++
		}
		bytesTotal := n * size
		wg.Go(func() {
			for left := bytesTotal; left > 0; {
				m, err := p.w.Write(buf[:min(left, batch)])
				if err != nil {
					b.Error(err)
					return
				}
				left -= m
			}
		})
		wg.Go(func() {
			rb := make([]byte, batch)
			for left := bytesTotal; left > 0; {
				m, err := p.r.Read(rb[:min(left, batch)])
				if err != nil {
					b.Error(err)
					return
				}
				left -= m
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
	for _, p := range ps {
		p.stop(b)
	}
}

func BenchmarkPingPong(b *testing.B) {
	b.Run("impl=mp", func(b *testing.B) {
		checkNoChildren(b)
		in, out := mustQueue[int64](b, 0), mustQueue[int64](b, 0)
		p := NewProcess("bench.echo.int64", in, out)
		mustStart(b, p)
		in.Put(1)
		out.Get()
		pid, _, err := p.Pid()
		if err != nil {
			b.Fatal(err)
		}
		cpu := startCPUMeter(b, pid)
		b.ResetTimer()
		for i := range b.N {
			if err := in.Put(int64(i)); err != nil {
				b.Fatal(err)
			}
			if _, err := out.Get(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		cpu.report(b)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
		in.Put(-1)
		exitCode(b, p)
	})
	for _, poll := range []bool{false, true} {
		name := "impl=raw"
		if poll {
			name = "impl=raw-poll"
		}
		b.Run(name, func(b *testing.B) {
			checkNoChildren(b)
			e := startPipeEcho(b, poll)
			e.trip(b, 0)
			cpu := startCPUMeter(b, e.cmd.Process.Pid)
			b.ResetTimer()
			for i := range b.N {
				e.trip(b, i)
			}
			b.StopTimer()
			cpu.report(b)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
			e.stop(b)
		})
	}
}

// A cpuMeter measures the CPU time this process and a child spend from
// its making to report (both processes' threads, from
// /proc/PID/task/*/schedstat), reported as cpu-ns/op: what a round trip
// costs the machine, waiting included (a getter that polls spends CPU
// where one that blocks sleeps).
type cpuMeter struct {
	pids []int
	t0   time.Duration
}

func startCPUMeter(b *testing.B, child int) *cpuMeter {
	m := &cpuMeter{pids: []int{os.Getpid(), child}}
	m.t0 = m.now(b)
	return m
}

func (m *cpuMeter) now(b *testing.B) time.Duration {
	var sum time.Duration
	for _, pid := range m.pids {
		tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
		if err != nil || len(tasks) == 0 {
			b.Fatalf("no schedstat for pid %d", pid)
		}
		for _, f := range tasks {
			data, err := os.ReadFile(f)
			if err != nil {
				continue // a thread that ended
			}
			var ns int64
			fmt.Sscan(string(data), &ns)
			sum += time.Duration(ns)
		}
	}
	return sum
}

func (m *cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64((m.now(b)-m.t0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// A pipeEcho is a raw floor: an echo child on two plain pipes. trip is
// the ping-pong's, one 8-byte write and one read each way. With poll, the
// parent waits as mp's getters in the creating process do (spin.go: poll
// for up to spinBudget, then block) and the child blocks, as mp's do, so
// that mp's protocol cost shows apart from its way of waiting.
type pipeEcho struct {
	w, r *os.File
	rc   syscall.RawConn // r's, with poll
	cmd  *exec.Cmd
	buf  [8]byte
}

func startPipeEcho(b *testing.B, poll bool) *pipeEcho {
	b.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	e := &pipeEcho{w: inW, r: outR, cmd: startRaw(b, "echo", inR, outW)}
	inR.Close()
	outW.Close()
	if poll {
		if e.rc, err = outR.SyscallConn(); err != nil {
			b.Fatal(err)
		}
	}
	return e
}

func (e *pipeEcho) trip(b *testing.B, i int) {
	binary.LittleEndian.PutUint64(e.buf[:], uint64(i))
	if _, err := e.w.Write(e.buf[:]); err != nil {
		b.Fatal(err)
	}
	if e.rc != nil {
		pollReadable(e.rc, time.Now().Add(spinBudget), func() bool { return false })
	}
	if _, err := io.ReadFull(e.r, e.buf[:]); err != nil {
		b.Fatal(err)
	}
}

func (e *pipeEcho) stop(b *testing.B) {
	e.w.Close()
	if err := e.cmd.Wait(); err != nil {
		b.Error(err)
	}
	e.r.Close()
}

func BenchmarkStartJoin(b *testing.B) {
	b.Run("impl=mp", func(b *testing.B) {
		checkNoChildren(b)
		for range b.N {
			p := NewProcess("test.return")
			if err := p.Start(); err != nil {
				b.Fatal(err)
			}
			if code := exitCode(b, p); code != 0 {
				b.Fatalf("exit code %d", code)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "procs/s")
	})
	b.Run("impl=raw", func(b *testing.B) {
		checkNoChildren(b)
		for range b.N {
			if err := startRaw(b, "exit").Wait(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "procs/s")
	})
}

// BenchmarkJobs is the runner's shape: b.N trivial jobs through one
// JoinableQueue to 2 worker processes, results back on one Queue, Join.
func BenchmarkJobs(b *testing.B) {
	const workers = 2
	b.Run(fmt.Sprintf("consumers=%d/impl=mp", workers), func(b *testing.B) {
		checkNoChildren(b)
		jobs, results := mustJoinable[Job](b, 0), mustQueue[Result](b, 0)
		var ps []*Process
		for range workers {
			p := NewProcess("test.worker", jobs, results)
			mustStart(b, p)
			ps = append(ps, p)
		}
		jobs.Put(Job{ID: 0})
		results.Get()
		b.ResetTimer()
		for i := range b.N {
			if err := jobs.Put(Job{ID: i, Size: 0}); err != nil {
				b.Fatal(err)
			}
		}
		if err := jobs.Join(); err != nil {
			b.Fatal(err)
		}
		for range b.N {
			if _, err := results.Get(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s") // jobs/s
		for range workers {
			jobs.Put(Job{ID: -1})
		}
		for _, p := range ps {
			exitCode(b, p)
		}
	})
	b.Run(fmt.Sprintf("consumers=%d/impl=raw", workers), func(b *testing.B) {
		rawRoundTrip(b, workers, 16)
	})
}

// BenchmarkPingPongRatio measures the mp ping-pong and the raw pipe
// ping-pongs (blocking, and polling as mp's getters do: see pipeEcho) in
// blocks of pingPongBlock round trips, so that all see the same machine
// (this VM drifts by tens of percent over seconds) and their ratios come
// from one run. The order of the three blocks rotates from round to round:
// how fast a pipe's round trip is here depends on whether the two
// processes share a vCPU, and a kind that polls leaves them on two, which
// the kind measured next would otherwise inherit every time. ns/op is one
// round trip of each kind; ratio is mp over the blocking raw pipe,
// ratio-poll mp over the polling one.
func BenchmarkPingPongRatio(b *testing.B) {
	checkNoChildren(b)
	in, out := mustQueue[int64](b, 0), mustQueue[int64](b, 0)
	p := NewProcess("bench.echo.int64", in, out)
	mustStart(b, p)
	raw, poll := startPipeEcho(b, false), startPipeEcho(b, true)
	kinds := []func(i int){
		func(i int) {
			if err := in.Put(int64(i)); err != nil {
				b.Fatal(err)
			}
			if _, err := out.Get(); err != nil {
				b.Fatal(err)
			}
		},
		func(i int) { raw.trip(b, i) },
		func(i int) { poll.trip(b, i) },
	}
	for i := range 100 { // warm up all
		for _, k := range kinds {
			k(i)
		}
	}
	b.ResetTimer()
	var took [3]time.Duration
	for round, done := 0, 0; done < b.N; round++ {
		n := min(pingPongBlock, b.N-done)
		for j := range kinds {
			k := (round + j) % len(kinds)
			t0 := time.Now()
			for i := range n {
				kinds[k](done + i)
			}
			took[k] += time.Since(t0)
		}
		done += n
	}
	b.StopTimer()
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) }
	b.ReportMetric(per(took[0]), "mp-ns/rt")
	b.ReportMetric(per(took[1]), "raw-ns/rt")
	b.ReportMetric(per(took[2]), "rawpoll-ns/rt")
	b.ReportMetric(float64(took[0])/float64(took[1]), "ratio")
	b.ReportMetric(float64(took[0])/float64(took[2]), "ratio-poll")
	in.Put(-1)
	exitCode(b, p)
	raw.stop(b)
	poll.stop(b)
}

const pingPongBlock = 200
