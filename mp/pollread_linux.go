package mp

import (
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A pollReader reads the pipe from the broker in a child's handle, with
// the waits a getter needs, but without Go's netpoller when it can.
//
// Why: a goroutine that waits in the netpoller costs, per wake-up, a
// failed read, two epoll_pwait and the runtime's wake of a spinning
// thread; a raw pipe's reader just blocks in read(2). Worse, a descriptor
// registered with the netpoller wakes whatever thread sits in epoll_pwait
// on every write to it, waiter or not. So the pipe is never registered:
// a read that finds it empty waits in ppoll(2) on the pipe and an eventfd,
// a blocking system call (the runtime hands the P to another thread after
// ~20 µs, as for any system call), and the goroutine that must stop the
// wait (a context's AfterFunc, a local Close) writes the eventfd. The
// deadline of a timed get is ppoll's timeout.
//
// Each such wait holds an OS thread. Only the goroutine in a handle's
// reader role reads (one per handle), and at most maxBlockedReaders of
// them in a process wait this way; the others, and any reader if the
// eventfd could not be made, wait in the netpoller on a registered
// duplicate of the pipe, made for that wait and closed after it.
type pollReader struct {
	f        *os.File // the pipe, non-blocking and not in the netpoller
	rc       syscall.RawConn
	efd      int         // the eventfd interrupt writes; -1: none
	deadline time.Time   // of the current read; zero: none (reader role only)
	stop     atomic.Bool // interrupt was called: reads fail with os.ErrDeadlineExceeded
	fb       atomic.Pointer[os.File]
}

// maxBlockedReaders bounds the threads that handles' readers hold in
// ppoll in one process.
const maxBlockedReaders = 4

var blockedReaders atomic.Int32

// newPollReader takes over fd, the non-blocking read end of a pipe.
func newPollReader(fd int) (*pollReader, error) {
	// os.NewFile registers a non-blocking descriptor with the netpoller:
	// make the File while fd blocks, then make fd non-blocking.
	if err := unix.SetNonblock(fd, false); err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "mp-queue")
	if err := unix.SetNonblock(fd, true); err != nil {
		f.Close()
		return nil, err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	r := &pollReader{f: f, rc: rc, efd: -1}
	if efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err == nil {
		r.efd = efd
	}
	return r, nil
}

// setDeadline sets the deadline of the reads that follow (zero: none).
// Only the goroutine that reads calls it.
func (r *pollReader) setDeadline(t time.Time) { r.deadline = t }

// interrupt makes the current read, or the next one, fail with
// os.ErrDeadlineExceeded until reset. Any goroutine may call it.
func (r *pollReader) interrupt() {
	r.stop.Store(true)
	if r.efd >= 0 {
		one := [8]byte{1}
		unix.Write(r.efd, one[:])
	}
	if f := r.fb.Load(); f != nil {
		f.SetReadDeadline(time.Unix(1, 0))
	}
}

// reset undoes interrupt. The caller makes sure no interrupt is in flight.
func (r *pollReader) reset() { r.stop.Store(false) }

func (r *pollReader) Read(p []byte) (int, error) {
	var n int
	var rerr error
	again := false
	err := r.rc.Read(func(fd uintptr) bool {
		for {
			if r.stop.Load() {
				rerr = os.ErrDeadlineExceeded
				return true
			}
			n, rerr = unix.Read(int(fd), p)
			switch {
			case rerr == unix.EINTR:
				continue
			case rerr != unix.EAGAIN:
				return true
			}
			n, rerr = 0, nil
			switch r.block(int(fd)) {
			case waitReady:
			case waitExpired:
				rerr = os.ErrDeadlineExceeded
				return true
			case waitUnavailable:
				again = true
				return true
			}
		}
	})
	if err != nil {
		return 0, err
	}
	if again {
		return r.netpollRead(p)
	}
	if rerr != nil {
		if rerr == os.ErrDeadlineExceeded {
			return 0, rerr
		}
		return n, &os.PathError{Op: "read", Path: r.f.Name(), Err: rerr}
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

type waitResult int

const (
	waitReady       waitResult = iota // the pipe is readable (or hung up): read again
	waitExpired                       // the deadline passed or interrupt was called
	waitUnavailable                   // no blocking wait now: use the netpoller
)

// block waits in ppoll until fd is readable, the deadline passes or
// interrupt is called.
func (r *pollReader) block(fd int) waitResult {
	if r.efd < 0 {
		return waitUnavailable
	}
	if blockedReaders.Add(1) > maxBlockedReaders {
		blockedReaders.Add(-1)
		return waitUnavailable
	}
	defer blockedReaders.Add(-1)
	pfd := [2]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(r.efd), Events: unix.POLLIN}}
	for {
		var ts *unix.Timespec
		if !r.deadline.IsZero() {
			d := time.Until(r.deadline)
			if d <= 0 {
				return waitExpired
			}
			t := unix.NsecToTimespec(int64(d))
			ts = &t
		}
		pfd[0].Revents, pfd[1].Revents = 0, 0
		_, err := unix.Ppoll(pfd[:], ts, nil)
		if err != nil && err != unix.EINTR {
			return waitUnavailable
		}
		if pfd[1].Revents != 0 {
			var b [8]byte
			unix.Read(r.efd, b[:]) // reset the count
			if r.stop.Load() {
				return waitExpired
			}
			// An interrupt meant for an earlier read: wait on.
		}
		if pfd[0].Revents != 0 {
			return waitReady
		}
	}
}

// netpollRead reads p through a duplicate of the pipe that the netpoller
// watches, for this one read: a wait that may not hold a thread.
func (r *pollReader) netpollRead(p []byte) (int, error) {
	var dfd int
	err := r.rc.Control(func(fd uintptr) {
		var derr error
		dfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
		if derr != nil {
			dfd = -1
		}
	})
	if err != nil {
		return 0, err
	}
	if dfd < 0 {
		return 0, &os.PathError{Op: "dup", Path: r.f.Name(), Err: unix.EMFILE}
	}
	f := os.NewFile(uintptr(dfd), r.f.Name()) // non-blocking: registered
	defer f.Close()
	r.fb.Store(f)
	defer r.fb.Store(nil)
	if r.stop.Load() { // an interrupt that did not see f
		return 0, os.ErrDeadlineExceeded
	}
	if !r.deadline.IsZero() {
		f.SetReadDeadline(r.deadline)
	}
	return f.Read(p)
}

// Close closes the pipe and the eventfd.
func (r *pollReader) Close() error {
	err := r.f.Close()
	if r.efd >= 0 {
		unix.Close(r.efd)
	}
	return err
}
