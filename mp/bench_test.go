//go:build linux

package mp

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// Benchmarks, each beside its physical floor measured in the same run
// (impl=raw: the same bytes through plain pipes between the same kind of
// processes, batched as well as a pipe allows):
//
//	QueueRoundTrip  items parent → N echo children → parent, streamed
//	PingPong        one item there and back at a time
//	PingPongRatio   both ping-pongs interleaved in blocks within one run;
//	                reports mp-ns/rt, raw-ns/rt and their ratio
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
	type pipes struct {
		w   *os.File // to the child
		r   *os.File // from the child
		cmd *exec.Cmd
	}
	var ps []pipes
	for range workers {
		inR, inW, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		outR, outW, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		cmd := startRaw(b, "echo", inR, outW)
		inR.Close()
		outW.Close()
		ps = append(ps, pipes{inW, outR, cmd})
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
		p.w.Close()
		if err := p.cmd.Wait(); err != nil {
			b.Error(err)
		}
		p.r.Close()
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
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
		in.Put(-1)
		exitCode(b, p)
	})
	b.Run("impl=raw", func(b *testing.B) {
		checkNoChildren(b)
		inR, inW, _ := os.Pipe()
		outR, outW, _ := os.Pipe()
		cmd := startRaw(b, "echo", inR, outW)
		inR.Close()
		outW.Close()
		var buf [8]byte
		b.ResetTimer()
		for i := range b.N {
			binary.LittleEndian.PutUint64(buf[:], uint64(i))
			if _, err := inW.Write(buf[:]); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(outR, buf[:]); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
		inW.Close()
		cmd.Wait()
		outR.Close()
	})
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
// ping-pong in alternating blocks of pingPongBlock round trips, so that
// both see the same machine (this VM drifts by tens of percent over
// seconds) and their ratio comes from one run. ns/op is one round trip of
// each kind.
func BenchmarkPingPongRatio(b *testing.B) {
	checkNoChildren(b)
	in, out := mustQueue[int64](b, 0), mustQueue[int64](b, 0)
	p := NewProcess("bench.echo.int64", in, out)
	mustStart(b, p)
	inR, inW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd := startRaw(b, "echo", inR, outW)
	inR.Close()
	outW.Close()
	var buf [8]byte
	mpTrip := func(i int) {
		if err := in.Put(int64(i)); err != nil {
			b.Fatal(err)
		}
		if _, err := out.Get(); err != nil {
			b.Fatal(err)
		}
	}
	rawTrip := func(i int) {
		binary.LittleEndian.PutUint64(buf[:], uint64(i))
		if _, err := inW.Write(buf[:]); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(outR, buf[:]); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 100 { // warm up both
		mpTrip(i)
		rawTrip(i)
	}
	b.ResetTimer()
	var mpTime, rawTime time.Duration
	for done := 0; done < b.N; {
		n := min(pingPongBlock, b.N-done)
		t0 := time.Now()
		for i := range n {
			mpTrip(done + i)
		}
		t1 := time.Now()
		for i := range n {
			rawTrip(done + i)
		}
		mpTime += t1.Sub(t0)
		rawTime += time.Since(t1)
		done += n
	}
	b.StopTimer()
	b.ReportMetric(float64(mpTime.Nanoseconds())/float64(b.N), "mp-ns/rt")
	b.ReportMetric(float64(rawTime.Nanoseconds())/float64(b.N), "raw-ns/rt")
	b.ReportMetric(float64(mpTime)/float64(rawTime), "ratio")
	in.Put(-1)
	exitCode(b, p)
	inW.Close()
	cmd.Wait()
	outR.Close()
}

const pingPongBlock = 200
