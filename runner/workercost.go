package runner

import (
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"

	"gilbench/vocab"
)

// What a worker costs before it does any work: its start-up and its memory, per worker,
// beside the strategy's speed (vocab.StartPerWorker, vocab.RSSPerWorker). Both are
// measured at Open and after each batch, outside the timed part, and written on every
// result line, as start-ns/op is.
//
//   - Start-up per worker is the making of the cell's workers divided by their number:
//     the mode's own figure where it has one (workerCoster: the process mode's spawn to
//     handshake, the CPython driver's threads, processes, interpreters or Pool made
//     and ready, without the driver's own start), else Open's whole time.
//   - Memory per worker is, where the workers are processes of their own, the mean of
//     their peak RSS (each worker's VmHWM: an interpreter each); where they live in one
//     process (threads, coroutines, sub-interpreters), what they added to that
//     process's peak RSS over its RSS before they were made, divided by their number.

// workerCoster is a pool that measures its workers' cost itself.
type workerCoster interface {
	// workerStartup is how long making the workers took (0: unknown; Open's time is used).
	workerStartup() time.Duration
	// workerRSS is the memory per worker after batch b, in bytes (-1: unknown; the
	// in-process figure is used).
	workerRSS(b Batch) int64
}

// workerValues are the start-up and memory per worker of the session after batch b.
func (s *Session) workerValues(b Batch) []benchfmt.Value {
	n := float64(max(s.Cell.Workers, 1))
	start := s.startNs
	rss := int64(-1)
	if wc, ok := s.pool.(workerCoster); ok {
		if d := wc.workerStartup(); d > 0 {
			start = float64(d.Nanoseconds())
		}
		rss = wc.workerRSS(b)
	}
	var perWorker float64
	if rss >= 0 {
		perWorker = float64(rss)
	} else {
		perWorker = float64(max(s.peakRSS(b)-s.rss0, 0)) / n
	}
	return []benchfmt.Value{
		{Value: start / n, Unit: vocab.StartPerWorker.Name},
		{Value: perWorker, Unit: vocab.RSSPerWorker.Name},
	}
}

// meanHWM is the mean peak RSS of the processes pids (those that can be read).
func meanHWM(pids []int) int64 {
	var sum, k int64
	for _, pid := range pids {
		if h := procHWM(pid); h > 0 {
			sum += h
			k++
		}
	}
	if k == 0 {
		return -1
	}
	return sum / k
}

// residentNow is this process's resident set size now (VmRSS), 0 where /proc is not
// there.
func residentNow() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// The process mode: its workers' spawn to handshake, their mean peak RSS.
func (p *processPool) workerStartup() time.Duration { return p.startup }
func (p *processPool) workerRSS(Batch) int64 {
	var pids []int
	for _, proc := range p.procs {
		if pid, ok, _ := proc.Pid(); ok {
			pids = append(pids, pid)
		}
	}
	return meanHWM(pids)
}

// The CPython modes: the driver's making of its workers; the mean peak RSS of its
// worker processes, else what the workers added to the driver's RSS.
func (p *cpythonPool) workerStartup() time.Duration { return p.d.Startup }
func (p *cpythonPool) workerRSS(b Batch) int64 {
	if len(p.d.Pids) > 0 {
		return meanHWM(p.d.Pids)
	}
	if p.d.RSS0 <= 0 || b.ChildMaxRSS <= 0 {
		return -1
	}
	return max(b.ChildMaxRSS-p.d.RSS0, 0) / int64(max(p.workers, 1))
}
