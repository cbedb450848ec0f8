//go:build linux

package mp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestExitCodes(t *testing.T) {
	checkNoChildren(t)
	tests := []struct {
		target     string
		args       []any
		code       int
		stderr     []string // substrings of the child's stderr
		errMessage string   // substring of Err()
	}{
		{target: "test.return", code: 0},
		{target: "test.error", code: 1, stderr: []string{": boom\n"}, errMessage: "boom"},
		{target: "test.panic", code: 1, stderr: []string{": panic: kaboom", "goroutine ", "main_test.go"}, errMessage: "panic: kaboom"},
		{target: "test.exit", args: []any{7}, code: 7},
		{target: "test.sysexit", args: []any{5}, code: 5},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			var stderr syncBuffer
			p := NewProcessWith(Options{Stderr: &stderr}, tt.target, tt.args...)
			if code, known, err := p.ExitCode(); known || err != nil || code != 0 {
				t.Errorf("ExitCode before Start = %d, %v, %v; want unknown", code, known, err)
			}
			mustStart(t, p)
			if got := exitCode(t, p); got != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", got, tt.code, stderr.String())
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr.String(), p.Name()+s) && !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr.String())
				}
			}
			if tt.code == 1 && !strings.HasPrefix(stderr.String(), p.Name()+": ") {
				t.Errorf("stderr is not prefixed with the process name %q:\n%s", p.Name(), stderr.String())
			}
			err := p.Err()
			if tt.code == 0 {
				if err != nil {
					t.Errorf("Err() = %v, want nil", err)
				}
				return
			}
			var ee *ExitError
			if !errors.As(err, &ee) || ee.Code != tt.code || !strings.Contains(ee.Message, tt.errMessage) {
				t.Errorf("Err() = %v, want an *ExitError with code %d and %q", err, tt.code, tt.errMessage)
			}
		})
	}
}

func TestTerminateAndKill(t *testing.T) {
	checkNoChildren(t)
	for _, tt := range []struct {
		name string
		stop func(*Process) error
		code int
	}{
		{"terminate", (*Process).Terminate, -int(unix.SIGTERM)},
		{"kill", (*Process).Kill, -int(unix.SIGKILL)},
		{"stop", (*Process).Stop, -int(unix.SIGTERM)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := blockTarget(t, Options{})
			if alive, err := p.IsAlive(); !alive || err != nil {
				t.Fatalf("IsAlive = %v, %v; want true", alive, err)
			}
			if code, known, _ := p.ExitCode(); known {
				t.Fatalf("ExitCode while running = %d, known; want unknown", code)
			}
			if err := tt.stop(p); err != nil {
				t.Fatal(err)
			}
			if got := exitCode(t, p); got != tt.code {
				t.Errorf("exit code %d, want %d", got, tt.code)
			}
			if alive, err := p.IsAlive(); alive || err != nil {
				t.Errorf("IsAlive after exit = %v, %v", alive, err)
			}
			// Idempotent once the child is gone.
			for _, f := range []func() error{p.Terminate, p.Kill, p.Stop} {
				if err := f(); err != nil {
					t.Errorf("signalling an ended process: %v", err)
				}
			}
			var ee *ExitError
			if err := p.Err(); !errors.As(err, &ee) || !strings.Contains(err.Error(), "killed by signal") {
				t.Errorf("Err() = %v", err)
			}
		})
	}
}

func TestStopEscalates(t *testing.T) {
	checkNoChildren(t)
	ready := mustQueue[int](t, 0)
	p := NewProcessWith(Options{StopGrace: 100 * time.Millisecond}, "test.ignore-term", ready)
	mustStart(t, p)
	if _, err := ready.GetTimeout(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if got := exitCode(t, p); got != -int(unix.SIGKILL) {
		t.Errorf("exit code %d after Stop of a child ignoring SIGTERM, want -9", got)
	}
}

func TestLifecycleErrors(t *testing.T) {
	checkNoChildren(t)
	p := NewProcess("test.return")
	if pid, known, err := p.Pid(); known || pid != 0 || err != nil {
		t.Errorf("Pid before Start = %d, %v, %v; want unknown", pid, known, err)
	}
	if alive, err := p.IsAlive(); alive || err != nil {
		t.Errorf("IsAlive before Start = %v, %v", alive, err)
	}
	if err := p.Join(); !errors.Is(err, ErrNotStarted) || !strings.Contains(err.Error(), "can only join a started process") {
		t.Errorf("Join before Start = %v", err)
	}
	if err := p.JoinTimeout(time.Millisecond); !errors.Is(err, ErrNotStarted) {
		t.Errorf("JoinTimeout before Start = %v", err)
	}
	if err := p.Terminate(); err == nil {
		t.Error("Terminate before Start succeeded")
	}
	mustStart(t, p)
	if pid, known, err := p.Pid(); !known || pid <= 0 || err != nil {
		t.Errorf("Pid after Start = %d, %v, %v", pid, known, err)
	}
	if err := p.Start(); !errors.Is(err, ErrStartedTwice) || !strings.Contains(err.Error(), "cannot start a process twice") {
		t.Errorf("second Start = %v", err)
	}
	if err := p.SetDaemon(true); !errors.Is(err, ErrAlreadyStarted) {
		t.Errorf("SetDaemon after Start = %v", err)
	}
	if err := p.Join(); err != nil {
		t.Fatal(err)
	}
	if err := p.Join(); err != nil {
		t.Errorf("second Join = %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	closedCalls := map[string]error{
		"Start":     p.Start(),
		"Join":      p.Join(),
		"Terminate": p.Terminate(),
		"Kill":      p.Kill(),
		"SetName":   p.SetName("x"),
		"SetDaemon": p.SetDaemon(true),
		"Run":       p.Run(),
	}
	_, err := p.IsAlive()
	closedCalls["IsAlive"] = err
	_, _, closedCalls["Pid"] = p.Pid()
	_, _, closedCalls["ExitCode"] = p.ExitCode()
	for name, err := range closedCalls {
		if !errors.Is(err, ErrProcessClosed) || !strings.Contains(err.Error(), "process object is closed") {
			t.Errorf("%s on a closed process = %v", name, err)
		}
	}
	if p.Name() == "" || p.Daemon() {
		t.Errorf("Name/Daemon on a closed process = %q, %v", p.Name(), p.Daemon())
	}
}

func TestCloseWhileRunning(t *testing.T) {
	checkNoChildren(t)
	p, release := blockTarget(t, Options{})
	if err := p.Close(); !errors.Is(err, ErrRunning) {
		t.Errorf("Close while running = %v, want ErrRunning", err)
	}
	release.Put(0)
	if got := exitCode(t, p); got != 0 {
		t.Errorf("exit code %d", got)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close after exit = %v", err)
	}
}

func TestJoinTimeout(t *testing.T) {
	checkNoChildren(t)
	p, release := blockTarget(t, Options{})
	start := time.Now()
	if err := p.JoinTimeout(50 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("JoinTimeout(50ms) returned after %v while the child ran", d)
	}
	for _, d := range []time.Duration{0, -time.Second} {
		if err := p.JoinTimeout(d); err != nil {
			t.Errorf("JoinTimeout(%v) = %v", d, err)
		}
	}
	if alive, _ := p.IsAlive(); !alive {
		t.Fatal("child not alive after a join that timed out")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := p.JoinContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("JoinContext with an expiring context = %v", err)
	}
	release.Put(0)
	if err := p.JoinContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if alive, _ := p.IsAlive(); alive {
		t.Error("alive after Join")
	}
	select {
	case <-p.Done():
	default:
		t.Error("Done not closed after Join")
	}
}

func TestDefaultNames(t *testing.T) {
	re := regexp.MustCompile(`^Process-(\d+)$`)
	a, b := NewProcess("test.return"), NewProcess("test.return")
	ma, mb := re.FindStringSubmatch(a.Name()), re.FindStringSubmatch(b.Name())
	if ma == nil || mb == nil {
		t.Fatalf("names %q, %q; want Process-N", a.Name(), b.Name())
	}
	na, _ := strconv.Atoi(ma[1])
	nb, _ := strconv.Atoi(mb[1])
	if nb != na+1 {
		t.Errorf("names %q then %q; want consecutive numbers", a.Name(), b.Name())
	}
	if err := a.SetName("renamed"); err != nil || a.Name() != "renamed" {
		t.Errorf("SetName: %v, %q", err, a.Name())
	}
	c := NewProcessWith(Options{Name: "custom"}, "test.return")
	if c.Name() != "custom" {
		t.Errorf("Options.Name ignored: %q", c.Name())
	}
	if CurrentName() != "MainProcess" {
		t.Errorf("CurrentName() = %q in the main process", CurrentName())
	}
}

func init() {
	// test.whoami reports the child's name, CurrentName, the name of a
	// process it creates, and whether starting it is allowed.
	Register("test.whoami", func(a Args) error {
		out, err := Arg[*Queue[string]](a, 0)
		if err != nil {
			return err
		}
		g := NewProcess("test.return")
		startErr := "started"
		if err := g.Start(); err != nil {
			startErr = err.Error()
		} else if err := g.Join(); err != nil {
			return err
		}
		for _, s := range []string{a.Name(), CurrentName(), g.Name(), startErr} {
			if err := out.Put(s); err != nil {
				return err
			}
		}
		return nil
	})
	// test.ignore-term ignores SIGTERM, says so, and waits forever.
	Register("test.ignore-term", func(a Args) error {
		ready, err := Arg[*Queue[int]](a, 0)
		if err != nil {
			return err
		}
		ignoreSIGTERM()
		if err := ready.Put(1); err != nil {
			return err
		}
		select {}
	})
}

func TestChildNamesAndDaemonRule(t *testing.T) {
	checkNoChildren(t)
	for _, daemon := range []bool{false, true} {
		out := mustQueue[string](t, 0)
		p := NewProcessWith(Options{Daemon: daemon}, "test.whoami", out)
		mustStart(t, p)
		var got []string
		for range 4 {
			s, err := out.GetTimeout(30 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, s)
		}
		if code := exitCode(t, p); code != 0 {
			t.Fatalf("exit code %d", code)
		}
		if got[0] != p.Name() || got[1] != p.Name() {
			t.Errorf("child sees its name as %q / %q, want %q", got[0], got[1], p.Name())
		}
		if want := p.Name() + ":1"; got[2] != want {
			t.Errorf("child's first child is named %q, want %q", got[2], want)
		}
		if daemon {
			if !strings.Contains(got[3], "daemonic processes are not allowed to have children") {
				t.Errorf("a daemonic child started a child: %q", got[3])
			}
		} else if got[3] != "started" {
			t.Errorf("a non-daemonic child could not start a child: %q", got[3])
		}
	}
}

func TestStartErrors(t *testing.T) {
	checkNoChildren(t)
	if err := NewProcess("no.such.target").Start(); err == nil || !strings.Contains(err.Error(), `no target registered as "no.such.target"`) {
		t.Errorf("Start of an unknown target = %v", err)
	}
	var stderr syncBuffer
	err := NewProcessWith(Options{Env: []string{"MP_TEST_HOOK=die-before-handshake"}, Stderr: &stderr}, "test.return").Start()
	if err == nil || !strings.Contains(err.Error(), "worker exited before handshake") || !strings.Contains(err.Error(), "hook: dying before the handshake") || !strings.Contains(err.Error(), "exit code 3") {
		t.Errorf("Start of a child that dies early = %v", err)
	}
	err = NewProcessWith(Options{Env: []string{"MP_TEST_HOOK=hang-before-handshake"}, StartTimeout: 300 * time.Millisecond}, "test.return").Start()
	if err == nil || !strings.Contains(err.Error(), "no handshake within 300ms") {
		t.Errorf("Start of a child that hangs = %v", err)
	}
	err = NewProcessWith(Options{Env: []string{"MP_TEST_HOOK=bad-version"}}, "test.return").Start()
	if err == nil || !strings.Contains(err.Error(), "incompatible protocol version") {
		t.Errorf("Start of a child with another protocol = %v", err)
	}
	err = NewProcess("test.return", func() {}).Start()
	if err == nil || !strings.Contains(err.Error(), "argument 0 (func())") {
		t.Errorf("Start with an unencodable argument = %v", err)
	}
	err = NewProcess("test.return", (*Queue[int])(nil)).Start()
	if err == nil || !strings.Contains(err.Error(), "argument 0 is a nil *mp.Queue[int]") {
		t.Errorf("Start with a nil queue = %v", err)
	}
	q := mustQueue[int](t, 0)
	err = NewProcess("test.return", struct{ Q *Queue[int] }{q}).Start()
	if err == nil || !strings.Contains(err.Error(), "only be passed as direct Process arguments") {
		t.Errorf("Start with a queue inside a struct = %v", err)
	}
}

func TestRunInProcess(t *testing.T) {
	q := mustQueue[string](t, 0)
	p := NewProcess("test.whoami", q)
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	if s, _ := q.GetNowait(); s != p.Name() {
		t.Errorf("Run: target saw name %q, want %q", s, p.Name())
	}
	for range 3 {
		q.GetNowait()
	}
	var pe *PanicError
	if err := NewProcess("test.panic").Run(); !errors.As(err, &pe) || pe.Value != "kaboom" || len(pe.Stack) == 0 {
		t.Errorf("Run of a panicking target = %v", err)
	}
	if err := NewProcess("test.error").Run(); err == nil || err.Error() != "boom" {
		t.Errorf("Run of a failing target = %v", err)
	}
}

func init() {
	// test.values checks value arguments decoded in the child.
	Register("test.values", func(a Args) error {
		type point struct{ X, Y int }
		if a.Len() != 5 {
			return errors.New("wrong Len")
		}
		i, err := Arg[int](a, 0)
		if err != nil || i != 42 {
			return errors.Join(errors.New("arg 0"), err)
		}
		s, err := Arg[string](a, 1)
		if err != nil || s != "hello" {
			return errors.Join(errors.New("arg 1"), err)
		}
		p, err := Arg[point](a, 2)
		if err != nil || p != (point{3, 4}) {
			return errors.Join(errors.New("arg 2"), err)
		}
		m, err := Arg[map[string][]int](a, 3)
		if err != nil || len(m["a"]) != 2 || m["a"][1] != 2 {
			return errors.Join(errors.New("arg 3"), err)
		}
		if _, err := Arg[*Queue[string]](a, 4); err == nil || !strings.Contains(err.Error(), "of int, not of string") {
			return errors.Join(errors.New("arg 4 as a queue of strings"), err)
		}
		if _, err := Arg[*JoinableQueue[int]](a, 4); err == nil {
			return errors.New("arg 4 accepted as a JoinableQueue")
		}
		q, err := Arg[*Queue[int]](a, 4)
		if err != nil {
			return err
		}
		if q2, _ := Arg[*Queue[int]](a, 4); q2 != q {
			return errors.New("asking twice gave two handles")
		}
		if _, err := Arg[string](a, 0); err == nil {
			return errors.New("int decoded as a string")
		}
		if _, err := Arg[int](a, 5); err == nil {
			return errors.New("argument 5 of 5 found")
		}
		return q.Put(1)
	})
}

func TestValueArguments(t *testing.T) {
	checkNoChildren(t)
	type point struct{ X, Y int }
	q := mustQueue[int](t, 0)
	var stderr syncBuffer
	p := NewProcessWith(Options{Stderr: &stderr}, "test.values", 42, "hello", point{3, 4}, map[string][]int{"a": {1, 2}}, q)
	mustStart(t, p)
	if code := exitCode(t, p); code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr.String())
	}
	if v, err := q.GetNowait(); v != 1 || err != nil {
		t.Errorf("child's put: %v, %v", v, err)
	}
}

func init() {
	// test.spawn starts a daemonic and a non-daemonic grandchild, passing
	// them the queues it got, reports their pids and returns. At its exit
	// it must terminate the first and wait for the second.
	Register("test.spawn", func(a Args) error {
		pids, err := Arg[*Queue[int]](a, 0)
		if err != nil {
			return err
		}
		release, err := Arg[*Queue[int]](a, 1)
		if err != nil {
			return err
		}
		never, err := NewQueue[int](0)
		if err != nil {
			return err
		}
		d := NewProcessWith(Options{Daemon: true}, "test.block", pids, never)
		n := NewProcess("test.block", pids, release)
		for _, p := range []*Process{d, n} {
			if err := p.Start(); err != nil {
				return err
			}
		}
		return nil
	})
	// test.orphan starts a grandchild that blocks, and reports its pid.
	Register("test.orphan", func(a Args) error {
		pids, err := Arg[*Queue[int]](a, 0)
		if err != nil {
			return err
		}
		never, err := NewQueue[int](0)
		if err != nil {
			return err
		}
		if err := NewProcess("test.block", pids, never).Start(); err != nil {
			return err
		}
		select {}
	})
}

func TestChildExitStopsDaemonsAndWaitsForOthers(t *testing.T) {
	checkNoChildren(t)
	pids := mustQueue[int](t, 0)
	release := mustQueue[int](t, 0)
	p := NewProcess("test.spawn", pids, release)
	mustStart(t, p)
	var grand []int
	for range 2 {
		pid, err := pids.GetTimeout(30 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		grand = append(grand, pid)
	}
	// The child's target has returned or soon will; it must still wait
	// for its non-daemonic child, which waits for our release.
	if err := p.JoinTimeout(200 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if alive, _ := p.IsAlive(); !alive {
		t.Fatal("the child exited without waiting for its non-daemonic child")
	}
	if err := release.Put(0); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, p); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	for _, pid := range grand {
		if pidAlive(pid) {
			t.Errorf("grandchild %d outlived its parent", pid)
		}
	}
}

func TestChildDiesWithParent(t *testing.T) {
	checkNoChildren(t)
	pids := mustQueue[int](t, 0)
	p := NewProcess("test.orphan", pids)
	mustStart(t, p)
	grand, err := pids.GetTimeout(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, p); code != -9 {
		t.Fatalf("exit code %d", code)
	}
	// The grandchild, orphaned to us (we are a subreaper), must die at
	// once: Pdeathsig (SIGKILL), or the end of its control stream, or the
	// loss of its parent's queue (it fails, and dies of SIGPIPE writing
	// the error to the stderr pipe its dead parent was reading) —
	// whichever comes first.
	//
	// If it died first, its dying parent may have reaped it: a thread of
	// the child blocked in a wait for it finds the zombie before its own
	// SIGKILL takes effect (Pdeathsig fires when the forking thread
	// exits, before the last one). Then it is not ours to wait for
	// (ECHILD), and it must be gone: we have reaped its parent, so a
	// living grandchild would be our child.
	done := make(chan error, 1)
	go func() {
		var ws unix.WaitStatus
		_, err := unix.Wait4(grand, &ws, 0, nil)
		if err == unix.ECHILD {
			if kerr := unix.Kill(grand, 0); kerr != unix.ESRCH {
				err = fmt.Errorf("grandchild %d is not our child and not gone (kill 0: %v)", grand, kerr)
			} else {
				err = nil
			}
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(5 * time.Second):
		unix.Kill(grand, unix.SIGKILL)
		<-done
		t.Error("the grandchild survived its parent by 5s")
	}
}

func TestShutdown(t *testing.T) {
	checkNoChildren(t)
	d, _ := blockTarget(t, Options{Daemon: true})
	n, release := blockTarget(t, Options{})
	errc := make(chan error, 1)
	go func() { errc <- Shutdown(context.Background()) }()
	// Shutdown terminates the daemon and waits for the other.
	if err := d.Join(); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := d.ExitCode(); code != -15 {
		t.Errorf("daemonic child: exit code %d, want -15", code)
	}
	if alive, _ := n.IsAlive(); !alive {
		t.Fatal("Shutdown stopped a non-daemonic child")
	}
	release.Put(0)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, n); code != 0 {
		t.Errorf("non-daemonic child: exit code %d, want 0", code)
	}

	// With a context that ends, Shutdown stops the rest.
	n2, _ := blockTarget(t, Options{StopGrace: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown with an expiring context = %v", err)
	}
	if code := exitCode(t, n2); code != -15 {
		t.Errorf("child stopped by Shutdown: exit code %d", code)
	}
}

func TestWithProcessesNoticesDeath(t *testing.T) {
	checkNoChildren(t)
	p, _ := blockTarget(t, Options{})
	results := mustQueue[int](t, 0)
	ctx, cancel := WithProcesses(context.Background(), p)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := results.GetContext(ctx)
		errc <- err
	}()
	p.Kill()
	err := <-errc // a Get that never noticed would hang until the test's timeout
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != -9 || ee.Name != p.Name() {
		t.Errorf("Get after the producer died = %v, want its *ExitError", err)
	}
	p.Join()
}

func TestMainNotCalledGuard(t *testing.T) {
	mainCalled.Store(false)
	defer mainCalled.Store(true)
	if err := NewProcess("test.return").Start(); err == nil || !strings.Contains(err.Error(), "mp.Main was not called") {
		t.Errorf("Start without Main = %v", err)
	}
}

func TestProcessString(t *testing.T) {
	p := NewProcessWith(Options{Name: "w", Daemon: true}, "test.return")
	if s := p.String(); s != `<Process name="w" initial daemon>` {
		t.Errorf("String() = %s", s)
	}
	_ = os.Getpid
}

// A child must die with its parent process, not with the OS thread that
// happened to start it: Pdeathsig fires when the thread that forked exits,
// and a goroutine that returns while locked to its thread ends that thread.
func TestChildOutlivesStartingThread(t *testing.T) {
	checkNoChildren(t)
	const n = 50
	ready, release := mustQueue[int](t, 0), mustQueue[int](t, 0)
	ps := make([]*Process, n)
	startErrs := make([]error, n)
	var wg sync.WaitGroup
	for i := range ps {
		ps[i] = NewProcess("test.block", ready, release)
		wg.Go(func() {
			runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
			startErrs[i] = ps[i].Start()
		})
	}
	wg.Wait()
	started := 0
	for i, err := range startErrs {
		if err != nil {
			t.Errorf("start %s: %v", ps[i].Name(), err)
			continue
		}
		started++
	}
	for range started {
		if _, err := ready.GetTimeout(30 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	// The starting threads are gone by now; a child tied to one of them
	// would have been killed. (The sleep only gives a doomed child time to
	// die; a child that lives passes whatever the timing.)
	time.Sleep(time.Second)
	for range started {
		release.Put(0)
	}
	for i, p := range ps {
		if startErrs[i] != nil {
			continue
		}
		if code := exitCode(t, p); code != 0 {
			t.Errorf("%s: exit code %d, want 0 (%v)", p.Name(), code, p.Err())
		}
	}
}

// lineage is what test.lineage reports about the process it runs in.
type lineage struct {
	Current   ProcessInfo
	Parent    *ProcessInfo
	NewDaemon bool // the default daemon flag of a Process created there
}

func currentLineage() lineage {
	return lineage{*CurrentProcess(), ParentProcess(), NewProcess("test.return").Daemon()}
}

func init() {
	// test.lineage reports its lineage on arg 0, then, if arg 1 > 0 and it
	// may, starts another test.lineage with arg 1 - 1 and joins it.
	Register("test.lineage", func(a Args) error {
		out, err := Arg[*Queue[lineage]](a, 0)
		if err != nil {
			return err
		}
		depth, err := Arg[int](a, 1)
		if err != nil {
			return err
		}
		if err := out.Put(currentLineage()); err != nil {
			return err
		}
		if depth == 0 || CurrentProcess().Daemon {
			return nil
		}
		p := NewProcess("test.lineage", out, depth-1)
		if err := p.Start(); err != nil {
			return err
		}
		return p.Join()
	})
}

func TestCurrentAndParentProcess(t *testing.T) {
	checkNoChildren(t)
	main := ProcessInfo{Name: "MainProcess", Pid: os.Getpid()}
	if got := currentLineage(); got != (lineage{Current: main}) {
		t.Errorf("in the main process: %+v", got)
	}
	for _, daemon := range []bool{false, true} {
		out := mustQueue[lineage](t, 0)
		p := NewProcessWith(Options{Daemon: daemon}, "test.lineage", out, 1)
		mustStart(t, p)
		pid, _, _ := p.Pid()
		child, err := out.GetTimeout(30 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		want := ProcessInfo{Name: p.Name(), Pid: pid, Daemon: daemon}
		if child.Current != want || child.Parent == nil || *child.Parent != main {
			t.Errorf("daemon=%v: child reports itself as %+v, its parent as %+v; want %+v and %+v", daemon, child.Current, child.Parent, want, main)
		}
		// Python: a Process's daemon flag defaults to current_process().daemon.
		if child.NewDaemon != daemon {
			t.Errorf("daemon=%v: a Process created in the child has Daemon() = %v, want %v", daemon, child.NewDaemon, daemon)
		}
		if !daemon {
			grand, err := out.GetTimeout(30 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			// Process-N:1 is the one currentLineage created.
			if grand.Current.Name != p.Name()+":2" || grand.Current.Daemon || grand.Parent == nil || *grand.Parent != want {
				t.Errorf("grandchild reports itself as %+v, its parent as %+v; want a non-daemonic %s:2 and %+v", grand.Current, grand.Parent, p.Name(), want)
			}
		}
		if code := exitCode(t, p); code != 0 {
			t.Errorf("daemon=%v: exit code %d: %v", daemon, code, p.Err())
		}
	}
}
