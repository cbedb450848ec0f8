package mp

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The go-plugin style guard: a child is started with this variable set; a
// program started any other way never takes the child path. It is not a
// secret, only a guard against running the child path by accident.
const (
	cookieKey       = "GO_MP_CHILD_COOKIE"
	cookieValue     = "f0e7c3a1-mp-child"
	protocolVersion = 1
	controlFD       = 3
	exitFlushLimit  = 30 * time.Second
)

// Test hooks: testHookBeforeHandshake runs in a child after the bootstrap
// is read and before the handshake is sent; testHookAtExit just before the
// child exits normally.
var testHookBeforeHandshake, testHookAtExit func()

var mainCalled atomic.Bool

// Main must be the first call in main (and in TestMain). In a child started
// by Process.Start it runs the target and exits; otherwise it returns at
// once. Targets must therefore be registered before main runs: in init
// functions or package-level variable initialisers.
func Main() {
	mainCalled.Store(true)
	if os.Getenv(cookieKey) != cookieValue {
		return
	}
	os.Unsetenv(cookieKey)
	// Ctrl-C reaches the terminal's whole process group. A child leaves it to its
	// parent, which stops its workers in order (Stop, or EOF on the control socket),
	// so that an interrupted run ends as interrupted, not as a worker killed by SIGINT.
	signal.Ignore(os.Interrupt)
	os.Exit(runChild())
}

// A Runner is a target: Run is called in the child with the arguments
// given to NewProcess.
type Runner interface {
	Run(args Args) error
}

// TargetFunc adapts a function to a Runner.
type TargetFunc func(args Args) error

// Run calls f.
func (f TargetFunc) Run(args Args) error { return f(args) }

var targets struct {
	sync.Mutex
	m map[string]Runner
}

// Register makes fn the target called name. Register panics if name is
// empty or taken, as http.Handle does: registration happens once, at init.
func Register(name string, fn func(args Args) error) {
	if fn == nil {
		panic("mp: Register " + strconv.Quote(name) + " with nil function")
	}
	RegisterRunner(name, TargetFunc(fn))
}

// RegisterRunner makes r the target called name; see Register.
func RegisterRunner(name string, r Runner) {
	if name == "" {
		panic("mp: Register with empty name")
	}
	if r == nil {
		panic("mp: Register " + strconv.Quote(name) + " with nil Runner")
	}
	targets.Lock()
	defer targets.Unlock()
	if targets.m == nil {
		targets.m = map[string]Runner{}
	}
	if _, dup := targets.m[name]; dup {
		panic("mp: Register called twice for target " + strconv.Quote(name))
	}
	targets.m[name] = r
}

func lookupTarget(name string) (Runner, error) {
	targets.Lock()
	defer targets.Unlock()
	r, ok := targets.m[name]
	if !ok {
		return nil, fmt.Errorf("no target registered as %q", name)
	}
	return r, nil
}

// A PanicError is a panic in a target, with the stack where it happened.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("panic: %v\n\n%s", e.Value, e.Stack)
}

// callTarget runs r, turning a panic into a *PanicError.
func callTarget(r Runner, a Args) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return r.Run(a)
}

// SystemExit returns an error that makes a child exit with code after its
// queues are flushed, like Python's sys.exit(code). (os.Exit in a target
// exits at once, without flushing.)
func SystemExit(code int) error { return systemExit(code) }

type systemExit int

func (e systemExit) Error() string { return fmt.Sprintf("system exit %d", int(e)) }

// The identity of this process, for naming its children as Python does:
// the main process has none, its children 1, 2, ..., their children 1:1,
// 1:2, ...
var self struct {
	sync.Mutex
	child    bool
	name     string
	identity []int
	daemon   bool
	counter  int
	parent   ProcessInfo // in a child
}

func nextChildName() string {
	self.Lock()
	defer self.Unlock()
	self.counter++
	ids := append(append([]int(nil), self.identity...), self.counter)
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(id)
	}
	return "Process-" + strings.Join(parts, ":")
}

// childIdentity is the identity a child named name gets: the numbers of a
// default name, else this process's identity and the counter.
func childIdentity(name string) []int {
	if rest, ok := strings.CutPrefix(name, "Process-"); ok {
		var ids []int
		for _, s := range strings.Split(rest, ":") {
			n, err := strconv.Atoi(s)
			if err != nil {
				ids = nil
				break
			}
			ids = append(ids, n)
		}
		if ids != nil {
			return ids
		}
	}
	self.Lock()
	defer self.Unlock()
	return append(append([]int(nil), self.identity...), self.counter)
}

func isDaemonic() bool {
	self.Lock()
	defer self.Unlock()
	return self.daemon
}

// CurrentName returns the name of the running process: "MainProcess" in
// the main program, the Process name in a child.
func CurrentName() string {
	self.Lock()
	defer self.Unlock()
	if !self.child {
		return "MainProcess"
	}
	return self.name
}

// ProcessInfo describes a running process: the calling one
// (CurrentProcess) or the one that started it (ParentProcess).
type ProcessInfo struct {
	Name   string // "MainProcess" in the main program, else the Process name
	Pid    int
	Daemon bool // the process is daemonic (the main program is not)
}

// CurrentProcess describes the calling process, as Python's
// current_process(); each call returns a fresh copy.
func CurrentProcess() *ProcessInfo {
	self.Lock()
	defer self.Unlock()
	if !self.child {
		return &ProcessInfo{Name: "MainProcess", Pid: os.Getpid()}
	}
	return &ProcessInfo{Name: self.name, Pid: os.Getpid(), Daemon: self.daemon}
}

// ParentProcess describes the process that started the calling one, as
// Python's parent_process(): nil in the main program. It tells who the
// parent was, not whether it still runs.
func ParentProcess() *ProcessInfo {
	self.Lock()
	defer self.Unlock()
	if !self.child {
		return nil
	}
	p := self.parent
	return &p
}

// runChild is the child side: bootstrap, handshake, target, exit.
func runChild() int {
	syscall.CloseOnExec(controlFD)
	f := os.NewFile(controlFD, "mp-control")
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "mp: child: no control descriptor (fd %d): %v\n", controlFD, err)
		return 2
	}
	ctl := nc.(*net.UnixConn)
	ctl.SetReadDeadline(time.Now().Add(time.Minute))
	d := newDecoder(ctl)
	if !d.Scan() {
		err := d.Err()
		if err == nil {
			err = errors.New("end of stream")
		}
		fmt.Fprintf(os.Stderr, "mp: child: reading bootstrap: %v\n", err)
		return 2
	}
	rec := d.Record()
	var boot bootstrap
	if rec.Type != frameBoot {
		err = fmt.Errorf("first frame is %q, want bootstrap", byte(rec.Type))
	} else {
		err = gob.NewDecoder(bytes.NewReader(rec.Body)).Decode(&boot)
	}
	ctl.SetReadDeadline(time.Time{})
	if testHookBeforeHandshake != nil {
		testHookBeforeHandshake()
	}
	var (
		r Runner
		a Args
	)
	if err == nil && boot.Version != protocolVersion {
		err = fmt.Errorf("bootstrap version %d, want %d", boot.Version, protocolVersion)
	}
	if err == nil {
		r, err = lookupTarget(boot.Target)
	}
	if err == nil {
		self.Lock()
		self.child, self.name, self.identity, self.daemon = true, boot.Name, boot.Identity, boot.Daemon
		self.parent = boot.Parent
		self.Unlock()
		a, err = openArgs(&boot)
	}
	if _, werr := ctl.Write([]byte(handshakeLine(os.Getpid(), err))); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "mp: child %s: %v\n", boot.Name, err)
		return 1
	}

	// Die with the parent, a second time: Pdeathsig (set by the parent's
	// forker thread, see sys_linux.go) is the kernel's; the end of the
	// control stream is ours, for the case where Pdeathsig cannot be had.
	go func() {
		for d.Scan() {
		}
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
	}()

	err = callTarget(r, a)
	code, msg := 0, ""
	var se systemExit
	var pe *PanicError
	switch {
	case err == nil:
	case errors.As(err, &se):
		code = int(se)
	case errors.As(err, &pe):
		code, msg = 1, fmt.Sprintf("panic: %v", pe.Value)
		fmt.Fprintf(os.Stderr, "%s: %v\n", boot.Name, pe)
	default:
		code, msg = 1, err.Error()
		fmt.Fprintf(os.Stderr, "%s: %v\n", boot.Name, err)
	}
	// At exit, as Python's atexit handlers: stop daemonic children, wait
	// for the others, then flush this process's queue handles.
	if err := Shutdown(context.Background()); err != nil {
		fmt.Fprintf(os.Stderr, "%s: at exit: %v\n", boot.Name, err)
	}
	if err := flushHandles(exitFlushLimit); err != nil {
		fmt.Fprintf(os.Stderr, "%s: at exit: %v\n", boot.Name, err)
	}
	if testHookAtExit != nil {
		testHookAtExit()
	}
	if code != 0 {
		rep := appendFrame(nil, frameExit, append(appendUvarint(nil, uint64(code&0xff)), firstLine(msg)...))
		ctl.Write(rep)
	}
	return code
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Args are a target's arguments. Read them with Arg.
type Args struct {
	a *args
}

type args struct {
	name  string
	local []any // Run in the same process: the values themselves
	boot  []argSpec
	objs  []any // bound shared objects (*qcore, *shm), by index
	mu    sync.Mutex
	bound []any // typed handles made by Arg, by index
}

// Len returns the number of arguments.
func (a Args) Len() int {
	if a.a == nil {
		return 0
	}
	if a.a.local != nil {
		return len(a.a.local)
	}
	return len(a.a.boot)
}

// Name returns the name of the process running the target.
func (a Args) Name() string {
	if a.a == nil {
		return ""
	}
	return a.a.name
}

// Arg returns argument i as a T. A value argument is decoded with gob into
// a T (so any gob-compatible type works); a handle argument must be asked
// for as the same handle type with the same item type it was created with
// (*Queue[Job] for a Queue[Job] or JoinableQueue[Job], *JoinableQueue[Job],
// *SimpleQueue[Job], *Lock, *Value[int64]). Asking twice gives the same
// handle.
func Arg[T any](a Args, i int) (T, error) {
	var zero T
	n := a.Len()
	if i < 0 || i >= n {
		return zero, fmt.Errorf("mp: %s: argument %d: there are %d arguments", a.Name(), i, n)
	}
	if a.a.local != nil {
		v, ok := a.a.local[i].(T)
		if !ok {
			return zero, fmt.Errorf("mp: %s: argument %d is %T, not %s", a.Name(), i, a.a.local[i], reflect.TypeFor[T]())
		}
		return v, nil
	}
	spec := a.a.boot[i]
	if spec.Handle == nil {
		var v T
		if err := gob.NewDecoder(bytes.NewReader(spec.Value)).Decode(&v); err != nil {
			return zero, fmt.Errorf("mp: %s: argument %d (%s) as %s: %w", a.Name(), i, spec.Type, reflect.TypeFor[T](), err)
		}
		return v, nil
	}
	b, ok := any(zero).(binder)
	if !ok {
		return zero, fmt.Errorf("mp: %s: argument %d is a %s, not %s", a.Name(), i, spec.Type, reflect.TypeFor[T]())
	}
	a.a.mu.Lock()
	defer a.a.mu.Unlock()
	if h := a.a.bound[i]; h != nil {
		v, ok := h.(T)
		if !ok {
			return zero, fmt.Errorf("mp: %s: argument %d is a %T, not %s", a.Name(), i, h, reflect.TypeFor[T]())
		}
		return v, nil
	}
	h, err := b.bind(spec.Handle, a.a.objs[i])
	if err != nil {
		return zero, fmt.Errorf("mp: %s: argument %d %w", a.Name(), i, err)
	}
	a.a.bound[i] = h
	return h.(T), nil
}

// openArgs connects the shared objects among a child's arguments.
func openArgs(boot *bootstrap) (Args, error) {
	a := &args{name: boot.Name, boot: boot.Args, objs: make([]any, len(boot.Args)), bound: make([]any, len(boot.Args))}
	for i, s := range boot.Args {
		h := s.Handle
		if h == nil {
			continue
		}
		file := func(fd int) *os.File {
			if fd < controlFD {
				return nil
			}
			syscall.CloseOnExec(fd)
			return os.NewFile(uintptr(fd), "mp-handle")
		}
		var (
			obj any
			err error
		)
		mem := file(h.Shm)
		if mem == nil {
			return Args{}, fmt.Errorf("argument %d: no shared memory descriptor", i)
		}
		switch h.Kind {
		case handleLock, handleValue:
			obj, err = openShared(h, mem)
		default:
			conn := file(h.Conn)
			if conn == nil {
				return Args{}, fmt.Errorf("argument %d: no connection descriptor", i)
			}
			obj, err = openCore(h, conn, mem)
		}
		if err != nil {
			return Args{}, fmt.Errorf("argument %d: %w", i, err)
		}
		a.objs[i] = obj
	}
	return Args{a}, nil
}

func appendUvarint(dst []byte, v uint64) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}
