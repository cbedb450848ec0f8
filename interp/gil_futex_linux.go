//go:build linux

package interp

import (
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// On Linux the locks sleep in the kernel on a futex, as glibc's mutexes, condition
// variables and semaphores do underneath CPython's locks: a waiting thread is an OS
// thread blocked in futex(2), and which one a wake-up reaches, and when it runs, is the
// kernel's business.

const (
	futexWaitPrivate = 0 | 128 // FUTEX_WAIT | FUTEX_PRIVATE_FLAG
	futexWakePrivate = 1 | 128 // FUTEX_WAKE | FUTEX_PRIVATE_FLAG
)

// futexWait blocks the calling OS thread while *addr == val, for at most d (d < 0: no
// limit). It returns futexTimedOut when d elapsed, futexInterrupted on a signal, and
// futexWoken otherwise (a wake-up, or *addr != val already).
func futexWait(addr *atomic.Uint32, val uint32, d time.Duration) futexResult {
	var ts *syscall.Timespec
	if d >= 0 {
		t := syscall.NsecToTimespec(int64(d))
		ts = &t
	}
	// syscall.Syscall6 (not RawSyscall6) tells the Go scheduler that this thread is in
	// the kernel, so its P can run other goroutines meanwhile.
	_, _, errno := syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(addr)),
		futexWaitPrivate, uintptr(val), uintptr(unsafe.Pointer(ts)), 0, 0)
	switch errno {
	case syscall.ETIMEDOUT:
		return futexTimedOut
	case syscall.EINTR:
		return futexInterrupted
	}
	return futexWoken
}

// futexWake wakes at most n threads blocked in futexWait on addr.
func futexWake(addr *atomic.Uint32, n int) {
	syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakePrivate, uintptr(n), 0, 0, 0)
}
