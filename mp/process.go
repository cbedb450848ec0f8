package mp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

var (
	// ErrStartedTwice is returned by a second Start.
	ErrStartedTwice = errors.New("cannot start a process twice")
	// ErrProcessClosed is returned by the methods of a closed Process.
	ErrProcessClosed = errors.New("process object is closed")
	// ErrNotStarted is returned by Join, Terminate, Kill and Stop before
	// Start.
	ErrNotStarted = errors.New("can only join a started process")
	// ErrRunning is returned by Close while the process runs.
	ErrRunning = errors.New("cannot close a process while it is running; join or terminate it first")
	// ErrDaemonic is returned by Start in a daemonic process.
	ErrDaemonic = errors.New("daemonic processes are not allowed to have children")
	// ErrAlreadyStarted is returned by SetDaemon after Start.
	ErrAlreadyStarted = errors.New("process has already started")
)

// Options configure a Process. The zero value gives the defaults.
type Options struct {
	// Name is the process's name; default "Process-N", N counting the
	// processes created by this one (in a child "Process-1:N", after its own
	// name's numbers, as in Python).
	Name string
	// Daemon marks the process daemonic: it may not start children, and
	// Shutdown terminates it instead of waiting for it. A process created
	// in a daemonic process is daemonic whatever Daemon says, as Python's
	// default is current_process().daemon; SetDaemon(false) clears it
	// (Start fails there anyway: a daemonic process has no children).
	Daemon bool
	// Stdout receives the child's standard output; default: the child
	// inherits this process's.
	Stdout io.Writer
	// Stderr receives the child's standard error; default this process's
	// os.Stderr. It is always copied through a pipe so that the last 4 KiB
	// can explain a failure ("worker exited before handshake: ...").
	Stderr io.Writer
	// Env is added to this process's environment for the child.
	Env []string
	// StartTimeout bounds the handshake; default 10s.
	StartTimeout time.Duration
	// StopGrace is how long Stop (and Shutdown) wait after SIGTERM before
	// SIGKILL; default 2s.
	StopGrace time.Duration
}

// DefaultStartTimeout and DefaultStopGrace are the Options defaults.
const (
	DefaultStartTimeout = 10 * time.Second
	DefaultStopGrace    = 2 * time.Second
)

type procState uint8

const (
	stateNew procState = iota
	stateStarted
	stateClosed
)

// A Process runs a registered target in a child OS process: the running
// binary, re-executed — Python's multiprocessing.Process with the spawn
// start method. Create it with NewProcess; the zero value is not usable.
type Process struct {
	target string
	args   []any
	opts   Options
	done   chan struct{} // closed once the child has been waited for

	startMu sync.Mutex // serialises Start

	mu        sync.Mutex
	name      string
	daemon    bool
	state     procState
	cmd       *exec.Cmd
	pid       int
	exited    bool
	code      int
	report    string // the message the child sent with its exit, if any
	tail      *tailWriter
	ctlDone   chan struct{}
	ctlConn   *net.UnixConn
	waitError error
	// releaseFork tells the forker that the child has been waited for.
	releaseFork func()
}

// NewProcess returns a process that will run the target registered under
// name with args. Each argument is either a queue, Lock or Value handle,
// which the child receives connected to the same object, or a value that
// encoding/gob can encode, which it receives as a copy.
func NewProcess(target string, args ...any) *Process {
	return NewProcessWith(Options{}, target, args...)
}

// NewProcessWith is NewProcess with options.
func NewProcessWith(opts Options, target string, args ...any) *Process {
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.StopGrace <= 0 {
		opts.StopGrace = DefaultStopGrace
	}
	name := opts.Name
	if name == "" {
		name = nextChildName()
	}
	return &Process{
		target: target,
		args:   append([]any(nil), args...),
		opts:   opts,
		done:   make(chan struct{}),
		name:   name,
		daemon: opts.Daemon || isDaemonic(),
	}
}

func (p *Process) errorf(op string, err error) error {
	p.mu.Lock()
	name, pid := p.name, p.pid
	p.mu.Unlock()
	if pid != 0 {
		return fmt.Errorf("mp: %s %s (pid %d): %w", op, name, pid, err)
	}
	return fmt.Errorf("mp: %s %s: %w", op, name, err)
}

// Name returns the process's name. It works on a closed process.
func (p *Process) Name() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.name
}

// SetName renames the process (in this process's view; the child keeps the
// name it was started with).
func (p *Process) SetName(name string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == stateClosed {
		return fmt.Errorf("mp: set name of %s: %w", p.name, ErrProcessClosed)
	}
	p.name = name
	return nil
}

// Daemon reports whether the process is daemonic. It works on a closed
// process.
func (p *Process) Daemon() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.daemon
}

// SetDaemon sets the daemonic flag; it must be called before Start.
func (p *Process) SetDaemon(daemonic bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.state {
	case stateClosed:
		return fmt.Errorf("mp: set daemon of %s: %w", p.name, ErrProcessClosed)
	case stateStarted:
		return fmt.Errorf("mp: set daemon of %s: %w", p.name, ErrAlreadyStarted)
	}
	p.daemon = daemonic
	return nil
}

// Run runs the target in the calling process with the process's arguments,
// as Python's run() does; handles are used as they are. A panic in the
// target is returned as a *PanicError.
func (p *Process) Run() error {
	p.mu.Lock()
	if p.state == stateClosed {
		p.mu.Unlock()
		return p.errorf("run", ErrProcessClosed)
	}
	name := p.name
	p.mu.Unlock()
	r, err := lookupTarget(p.target)
	if err != nil {
		return p.errorf("run", err)
	}
	return callTarget(r, Args{&args{name: name, local: p.args}})
}

// Done returns a channel closed when the child has ended (and been waited
// for). Before Start it is open.
func (p *Process) Done() <-chan struct{} { return p.done }

func (p *Process) checkStarted(op string) error {
	p.mu.Lock()
	st := p.state
	p.mu.Unlock()
	switch st {
	case stateClosed:
		return p.errorf(op, ErrProcessClosed)
	case stateNew:
		if op == "join" {
			return p.errorf(op, ErrNotStarted)
		}
		return p.errorf(op, fmt.Errorf("can only %s a started process", op))
	}
	return nil
}

// Join waits until the child has ended. Joining again is fine.
func (p *Process) Join() error {
	if err := p.checkStarted("join"); err != nil {
		return err
	}
	<-p.done
	return nil
}

// JoinTimeout waits until the child has ended or d has passed, whichever
// comes first, and returns nil either way, as Python's join(timeout): check
// IsAlive or ExitCode. A zero or negative d just polls.
func (p *Process) JoinTimeout(d time.Duration) error {
	if err := p.checkStarted("join"); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
	}
	return nil
}

// JoinContext waits until the child has ended or ctx is done; in the latter
// case it returns the context's cause.
func (p *Process) JoinContext(ctx context.Context) error {
	if err := p.checkStarted("join"); err != nil {
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return p.errorf("join", context.Cause(ctx))
	}
}

// IsAlive reports whether the child has been started and has not ended.
func (p *Process) IsAlive() (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.state {
	case stateClosed:
		return false, fmt.Errorf("mp: is alive %s: %w", p.name, ErrProcessClosed)
	case stateNew:
		return false, nil
	}
	return !p.exited, nil
}

// Pid returns the child's process id; known is false before Start.
func (p *Process) Pid() (pid int, known bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == stateClosed {
		return 0, false, fmt.Errorf("mp: pid %s: %w", p.name, ErrProcessClosed)
	}
	return p.pid, p.pid != 0, nil
}

// ExitCode returns how the child ended; known is false (Python's None)
// before Start and while it runs. The code is 0 for a normal return, 1 when
// the target returned an error or panicked, n for os.Exit(n) or
// SystemExit(n), and -N when a signal N killed it (Terminate: -15, Kill: -9).
func (p *Process) ExitCode() (code int, known bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == stateClosed {
		return 0, false, fmt.Errorf("mp: exit code %s: %w", p.name, ErrProcessClosed)
	}
	if !p.exited {
		return 0, false, nil
	}
	return p.code, true, nil
}

// Err returns nil while the child runs or after it exited with code 0, and
// otherwise an *ExitError with its code and message.
func (p *Process) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.exited || p.code == 0 {
		return nil
	}
	msg := p.report
	if msg == "" && p.tail != nil {
		msg = lastLine(p.tail.String())
	}
	if p.waitError != nil && msg == "" {
		msg = p.waitError.Error()
	}
	return &ExitError{Name: p.name, Pid: p.pid, Code: p.code, Message: msg}
}

// An ExitError describes a child that ended with a nonzero exit code.
type ExitError struct {
	Name    string
	Pid     int
	Code    int    // as ExitCode
	Message string // the target's error or panic, or the last line of its stderr
}

func (e *ExitError) Error() string {
	how := fmt.Sprintf("exit code %d", e.Code)
	if e.Code < 0 {
		how = fmt.Sprintf("killed by signal %d (%v)", -e.Code, syscall.Signal(-e.Code))
	}
	if e.Message != "" {
		return fmt.Sprintf("mp: process %s (pid %d) died: %s: %s", e.Name, e.Pid, how, e.Message)
	}
	return fmt.Sprintf("mp: process %s (pid %d) died: %s", e.Name, e.Pid, how)
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

func (p *Process) signal(sig syscall.Signal) error {
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	err := cmd.Process.Signal(sig)
	if err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

// Terminate sends SIGTERM. After the child ended it does nothing.
func (p *Process) Terminate() error {
	if err := p.checkStarted("terminate"); err != nil {
		return err
	}
	if err := p.signal(syscall.SIGTERM); err != nil {
		return p.errorf("terminate", err)
	}
	return nil
}

// Kill sends SIGKILL. After the child ended it does nothing.
func (p *Process) Kill() error {
	if err := p.checkStarted("kill"); err != nil {
		return err
	}
	if err := p.signal(syscall.SIGKILL); err != nil {
		return p.errorf("kill", err)
	}
	return nil
}

// Stop ends the child in two phases — SIGTERM, then SIGKILL if it has not
// ended after Options.StopGrace — and waits for it. It is idempotent.
func (p *Process) Stop() error {
	if err := p.checkStarted("stop"); err != nil {
		return err
	}
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.signal(syscall.SIGTERM); err != nil {
		return p.errorf("stop", err)
	}
	t := time.NewTimer(p.opts.StopGrace)
	defer t.Stop()
	select {
	case <-p.done:
		return nil
	case <-t.C:
	}
	if err := p.signal(syscall.SIGKILL); err != nil {
		return p.errorf("stop", err)
	}
	<-p.done
	return nil
}

// Close releases the Process. It fails while the child runs; afterwards
// every method except Name and Daemon fails with ErrProcessClosed. Close is
// idempotent.
func (p *Process) Close() error {
	p.startMu.Lock() // not in the middle of a Start
	defer p.startMu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.state {
	case stateClosed:
		return nil
	case stateStarted:
		if !p.exited {
			return fmt.Errorf("mp: close %s (pid %d): %w", p.name, p.pid, ErrRunning)
		}
	}
	p.state = stateClosed
	return nil
}

// String describes the process like Python's repr.
func (p *Process) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "<Process name=%q", p.name)
	switch {
	case p.state == stateClosed:
		b.WriteString(" closed")
	case p.state == stateNew:
		b.WriteString(" initial")
	case !p.exited:
		fmt.Fprintf(&b, " pid=%d started", p.pid)
	default:
		fmt.Fprintf(&b, " pid=%d exitcode=%d", p.pid, p.code)
	}
	if p.daemon {
		b.WriteString(" daemon")
	}
	b.WriteString(">")
	return b.String()
}
