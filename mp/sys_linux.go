package mp

// What mp needs of Linux: Pdeathsig and the forker thread, socket pairs,
// memfd and futexes. sys_other.go has the stubs for other systems.

import (
	"fmt"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Children die with their parent process: the kernel sends them SIGKILL
// (Pdeathsig) when their parent dies, and they also kill themselves at the
// end of their control stream. But Linux's "parent" for Pdeathsig is the
// thread that forked, not the process: a child forked by a thread that
// later exits is killed at that moment, although its parent lives on. Go
// ends a thread when a goroutine locked to it (runtime.LockOSThread)
// returns without unlocking, and a child may be started from any goroutine,
// on any thread.
//
// So every child is forked by one goroutine locked to its thread, the
// forker, which does nothing else. It runs while children it forked are
// alive and returns, ending its thread, only once the last of them has been
// waited for: the thread that children's Pdeathsig follows lives exactly as
// long as they need it. The kernel's SIGKILL then means only "the parent
// process died", and it still reaches a child whose Go runtime is stuck,
// which the control-stream watch would not.
var forker struct {
	sync.Mutex
	reqs chan forkRequest // nil while no forker runs
	live int              // children forked (or being forked) and not yet waited for
}

type forkRequest struct {
	cmd  *exec.Cmd
	done chan error
}

// startCmd starts cmd on the forker's thread, with Pdeathsig set. Unless
// it fails, the caller must call release once the child has been waited
// for.
func startCmd(cmd *exec.Cmd) (release func(), err error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	forker.Lock()
	if forker.reqs == nil {
		forker.reqs = make(chan forkRequest)
		go forkLoop(forker.reqs)
	}
	forker.live++
	reqs := forker.reqs
	forker.Unlock()
	req := forkRequest{cmd: cmd, done: make(chan error, 1)}
	reqs <- req
	if err := <-req.done; err != nil {
		releaseFork()
		return nil, err
	}
	return sync.OnceFunc(releaseFork), nil
}

func releaseFork() {
	forker.Lock()
	defer forker.Unlock()
	forker.live--
	if forker.live == 0 {
		close(forker.reqs)
		forker.reqs = nil
	}
}

func forkLoop(reqs <-chan forkRequest) {
	// Never unlocked: no other goroutine may run on this thread, lock it
	// and end it by returning locked. Returning here ends the thread, when
	// no child of it is left.
	runtime.LockOSThread()
	for r := range reqs {
		r.done <- r.cmd.Start()
	}
}

// supported says that this system has what mp needs.
const supported = true

// socketpair returns a connected pair of unix stream sockets, close-on-exec.
func socketpair() ([2]int, error) {
	return unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
}

// memfdCreate returns an anonymous memory file, close-on-exec.
func memfdCreate(name string) (int, error) {
	return unix.MemfdCreate(name, unix.MFD_CLOEXEC)
}

// Futexes. FUTEX_WAIT without FUTEX_PRIVATE_FLAG works across processes
// that map the same page.
const (
	futexWaitOp = 0
	futexWakeOp = 1
)

// futexWait sleeps while *addr == val, for at most d.
func futexWait(addr *uint32, val uint32, d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWaitOp, uintptr(val),
		uintptr(unsafe.Pointer(&ts)), 0, 0)
}

// futexWake wakes up to n waiters on addr, in any process.
func futexWake(addr *uint32, n int) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakeOp, uintptr(n), 0, 0, 0)
}

// pipeFds makes the two non-blocking, close-on-exec descriptors of a Pipe: a
// socket pair for a duplex pipe, else a pipe (reader first).
func pipeFds(duplex bool) ([2]int, error) {
	var fds [2]int
	if duplex {
		p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
		if err != nil {
			return fds, fmt.Errorf("socketpair: %w", err)
		}
		return p, nil
	}
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return fds, fmt.Errorf("pipe2: %w", err)
	}
	return fds, nil
}
