package mp

import (
	"context"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Polling before a wait. A getter that finds nothing to read would block
// in the netpoller, and the item it waits for then costs a wake-up: on a
// VM whose idle vCPUs halt at once, waking one is a VM exit, the larger
// part of a round trip (a ping-pong through two queues took 29 µs
// blocking and 18 µs with this, against 15 µs for a raw pipe that blocks;
// MULTIPROCESSING.md has the measurements, and what blocking in ppoll
// instead did not buy). So a local getter of the creating process that
// reads a lent socket (broker.go: the queue's one connection), and whose
// last wait was short, first polls the socket without blocking for up to
// spinBudget, giving the CPU away between polls (sched_yield: a peer on
// the same CPU runs at once), and blocks only if nothing came.
//
// Only there. Getters in child processes polled too at first (the
// ping-pong then took 12 µs), but a pool's worker polling for its next
// job keeps a vCPU busy that the other workers and the creating process
// need: tiny tasks at chunksize=64 on two workers ran 12% slower. A child
// is where the workload's CPU time is spent; the creating process mostly
// waits.
//
// The cost is bounded: a getter polls only when its previous wait ended
// within spinBudget (a reply-shaped stream: a ping-pong, one worker's
// tiny tasks), so one whose items come milliseconds apart (a CPU-bound
// worker's results) polls once, for spinBudget, and then blocks at once
// until its waits are short again. GetNowait never polls; a timed get
// polls no longer than its deadline; an interruption (a local put, a
// shutdown, Close, a context's end) is seen between two polls.
//
// CPython's multiprocessing does not do this (a get blocks in a read); the
// point here is that mp's own cost does not hide the workload's.
var spinBudget = 50 * time.Microsecond

// A spinGate remembers, for one handle's getters, whether the last wait
// was short enough to poll before the next one.
type spinGate struct {
	long atomic.Bool // the last wait outlasted spinBudget
}

// start returns when polling must stop for a wait that begins now with
// deadline d (zero: none), or the zero time if this wait must not poll.
func (g *spinGate) start(now time.Time, d time.Time) time.Time {
	if spinBudget <= 0 || g.long.Load() {
		return time.Time{}
	}
	until := now.Add(spinBudget)
	if !d.IsZero() && d.Before(until) {
		until = d
	}
	return until
}

// done records how long a wait that began at t0 took.
func (g *spinGate) done(t0 time.Time) {
	g.long.Store(time.Since(t0) > spinBudget)
}

// pollReadable polls rc's descriptor without blocking until it is
// readable (or hung up), stop reports true, or until passes, yielding the
// CPU between polls. It reports whether the descriptor became readable.
func pollReadable(rc syscall.RawConn, until time.Time, stop func() bool) bool {
	// Neither call blocks, so both are made as raw system calls: the
	// runtime does not see a thread in a system call, and does not hand
	// its P to another thread (waking one) when a yield lets the peer run
	// for longer than its 20 µs threshold.
	ready := false
	rc.Control(func(fd uintptr) {
		p := [1]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		var zero unix.Timespec
		for {
			p[0].Revents = 0
			n, _, errno := unix.RawSyscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&p[0])), 1, uintptr(unsafe.Pointer(&zero)), 0, 0, 0)
			if errno == 0 && n > 0 {
				ready = true
				return
			}
			if errno != 0 && errno != unix.EINTR {
				return
			}
			if stop() || !time.Now().Before(until) {
				return
			}
			unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
		}
	})
	return ready
}

// ctxDone reports whether ctx (nil: none) has ended.
func ctxDone(ctx context.Context) bool { return ctx != nil && ctx.Err() != nil }
