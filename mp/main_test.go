//go:build linux

package mp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

// The test binary is its own worker (impersonation, as os/exec's tests
// and go-plugin's helperProcess do): Main runs a registered target when the
// binary was started by Process.Start, and the MP_TEST_RAW variable selects
// the raw floors the benchmarks compare against.
func TestMain(m *testing.M) {
	// MP_TEST_SPIN sets spinBudget (spin.go) in the test binary and the
	// children it starts, for comparing ways of waiting in one binary
	// (MP_TEST_SPIN=0: getters block at once).
	if s := os.Getenv("MP_TEST_SPIN"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			fmt.Fprintln(os.Stderr, "MP_TEST_SPIN:", err)
			os.Exit(2)
		}
		spinBudget = d
	}
	Main()
	switch os.Getenv("MP_TEST_RAW") {
	case "":
	case "exit":
		os.Exit(0)
	case "echo":
		os.Exit(rawEcho())
	default:
		fmt.Fprintln(os.Stderr, "unknown MP_TEST_RAW", os.Getenv("MP_TEST_RAW"))
		os.Exit(2)
	}
	// Race-enabled children would sleep 1s at exit (ThreadSanitizer's
	// atexit_sleep_ms) waiting for reports from other threads.
	if g := os.Getenv("GORACE"); !strings.Contains(g, "atexit_sleep_ms") {
		os.Setenv("GORACE", strings.TrimSpace(g+" atexit_sleep_ms=0"))
	}
	// Orphaned grandchildren are reparented to us, where checkNoChildren
	// finds them.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "PR_SET_CHILD_SUBREAPER:", err)
		os.Exit(2)
	}
	goleak.VerifyTestMain(m)
}

// Test hooks selected by the environment of a child.
func init() {
	switch os.Getenv("MP_TEST_HOOK") {
	case "die-before-handshake":
		testHookBeforeHandshake = func() {
			fmt.Fprintln(os.Stderr, "hook: dying before the handshake")
			os.Exit(3)
		}
	case "hang-before-handshake":
		testHookBeforeHandshake = func() {
			// A child that never answers; the parent's start timeout ends
			// it with SIGKILL.
			time.Sleep(time.Hour)
		}
	case "bad-version":
		testHookBeforeHandshake = func() { handshakeVersion = 99 }
	}
	// MP_TEST_CHILD_PROFILE=dir: every child writes a CPU profile there.
	if dir := os.Getenv("MP_TEST_CHILD_PROFILE"); dir != "" {
		testHookBeforeHandshake = func() {
			f, err := os.Create(filepath.Join(dir, fmt.Sprintf("child-%d.pprof", os.Getpid())))
			if err == nil {
				pprof.StartCPUProfile(f)
			}
		}
		testHookAtExit = pprof.StopCPUProfile
	}
}

// rawEcho copies fd 3 to fd 4 until EOF: the floor for the queue benchmarks.
func rawEcho() int {
	in := os.NewFile(3, "in")
	out := os.NewFile(4, "out")
	if _, err := io.CopyBuffer(out, in, make([]byte, 256<<10)); err != nil {
		fmt.Fprintln(os.Stderr, "raw echo:", err)
		return 1
	}
	return 0
}

// startRaw starts the test binary outside mp, in a raw mode, with the given
// extra files.
func startRaw(tb testing.TB, mode string, files ...*os.File) *exec.Cmd {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "MP_TEST_RAW="+mode)
	cmd.ExtraFiles = files
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	return cmd
}

// checkNoChildren registers a cleanup that fails the test if a child it
// started was not waited for, or if any process (a grandchild orphaned to
// us included) still has this process as its parent. Call it first in a
// test so that it runs after the test's other cleanups.
func checkNoChildren(tb testing.TB) {
	tb.Helper()
	tb.Cleanup(func() {
		for _, p := range ActiveChildren() {
			tb.Errorf("child %v was not waited for; killing it", p)
			p.Kill()
			<-p.Done()
		}
		for _, pid := range childrenOf(os.Getpid()) {
			tb.Errorf("process %d (%s) is still a child of the test process; killing it", pid, procComm(pid))
			unix.Kill(pid, unix.SIGKILL)
			var ws unix.WaitStatus
			unix.Wait4(pid, &ws, 0, nil)
		}
	})
}

// childrenOf scans /proc for processes whose parent is ppid.
func childrenOf(ppid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var pids []int
	for _, s := range stats {
		b, err := os.ReadFile(s)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...; comm may hold spaces and parens.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		if pp, _ := strconv.Atoi(f[1]); pp == ppid {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(s)))
			pids = append(pids, pid)
		}
	}
	return pids
}

func procComm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

// pidAlive reports whether pid exists (zombies included).
func pidAlive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}

// A syncBuffer is a bytes.Buffer safe for the concurrent writes of a
// child's stderr copier and the test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// mustStart starts p and registers a cleanup that stops it if the test
// ends early, so that no child outlives a failed test.
func mustStart(tb testing.TB, p *Process) {
	tb.Helper()
	if err := p.Start(); err != nil {
		tb.Fatalf("start %s: %v", p.Name(), err)
	}
	tb.Cleanup(func() {
		p.Stop()
	})
}

func mustQueue[T any](tb testing.TB, maxsize int) *Queue[T] {
	tb.Helper()
	q, err := NewQueue[T](maxsize)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { q.Close() })
	return q
}

func mustJoinable[T any](tb testing.TB, maxsize int) *JoinableQueue[T] {
	tb.Helper()
	q, err := NewJoinableQueue[T](maxsize)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { q.Close() })
	return q
}

// exitCode joins p and returns its exit code.
func exitCode(tb testing.TB, p *Process) int {
	tb.Helper()
	if err := p.Join(); err != nil {
		tb.Fatal(err)
	}
	code, known, err := p.ExitCode()
	if err != nil || !known {
		tb.Fatalf("ExitCode of %s after Join = %d, %v, %v", p.Name(), code, known, err)
	}
	return code
}

// Targets used by the tests. They report to the test through queues and
// signal failures by returning errors (exit code 1, message on stderr).
func init() {
	Register("test.return", func(Args) error { return nil })
	Register("test.error", func(Args) error { return errors.New("boom") })
	Register("test.panic", func(Args) error { panic("kaboom") })
	Register("test.exit", func(a Args) error {
		n, err := Arg[int](a, 0)
		if err != nil {
			return err
		}
		os.Exit(n)
		return nil
	})
	Register("test.sysexit", func(a Args) error {
		n, err := Arg[int](a, 0)
		if err != nil {
			return err
		}
		return SystemExit(n)
	})
	// test.block puts its pid on arg 0, then waits for an item on arg 1.
	Register("test.block", func(a Args) error {
		ready, err := Arg[*Queue[int]](a, 0)
		if err != nil {
			return err
		}
		release, err := Arg[*Queue[int]](a, 1)
		if err != nil {
			return err
		}
		if err := ready.Put(os.Getpid()); err != nil {
			return err
		}
		_, err = release.Get()
		return err
	})
}

// blockTarget starts a test.block child and waits until it runs.
func blockTarget(t *testing.T, opts Options) (p *Process, release *Queue[int]) {
	t.Helper()
	ready := mustQueue[int](t, 0)
	release = mustQueue[int](t, 0)
	p = NewProcessWith(opts, "test.block", ready, release)
	mustStart(t, p)
	pid, err := ready.GetTimeout(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := p.Pid(); got != pid {
		t.Fatalf("Pid() = %d, child says %d", got, pid)
	}
	return p, release
}

func ignoreSIGTERM() { signal.Ignore(syscall.SIGTERM) }
