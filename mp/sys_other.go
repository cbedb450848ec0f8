//go:build !linux

package mp

// Stubs for systems other than Linux: the package builds, with the same
// API, and every call that needs a child process or shared memory fails
// with ErrUnsupported.

import (
	"os/exec"
	"time"
)

const supported = false

func socketpair() ([2]int, error) { return [2]int{-1, -1}, ErrUnsupported }

func memfdCreate(string) (int, error) { return -1, ErrUnsupported }

func pipeFds(bool) ([2]int, error) { return [2]int{-1, -1}, ErrUnsupported }

func startCmd(*exec.Cmd) (func(), error) { return nil, ErrUnsupported }

// Unreachable: no shared memory exists to wait on.
func futexWait(*uint32, uint32, time.Duration) {}
func futexWake(*uint32, int)                   {}
