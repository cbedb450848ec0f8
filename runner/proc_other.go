//go:build !linux

package runner

import (
	"syscall"
	"time"
)

// Elsewhere the engine knows less: no per-process figures of other processes (the
// process mode does not run there), and the peak RSS is the run's, not the cell's.

func procCPU(int) time.Duration { return 0 }
func procHWM(int) int64         { return 0 }
func resetPeakRSS()             {}
func cpuModel() string          { return "" }

// CPUTime is the user+sys CPU time this process has used so far.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss // bytes on darwin
}
