package mp

// The spawn protocol, parent side: Start builds the child's descriptors
// (a plan), sends it a bootstrap frame on the control socket, checks its
// handshake line and waits for it (reap). The child side is runChild.

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Start starts the child, sends it its target and arguments, and waits for
// its handshake (at most Options.StartTimeout).
func (p *Process) Start() error {
	p.startMu.Lock()
	defer p.startMu.Unlock()
	p.mu.Lock()
	switch p.state {
	case stateClosed:
		p.mu.Unlock()
		return p.errorf("start", ErrProcessClosed)
	case stateStarted:
		p.mu.Unlock()
		return p.errorf("start", ErrStartedTwice)
	}
	name, daemon := p.name, p.daemon
	p.mu.Unlock()

	if !supported {
		return p.errorf("start", ErrUnsupported)
	}
	if !mainCalled.Load() {
		return p.errorf("start", errors.New("mp.Main was not called at the start of main (or TestMain): the child would run the whole program"))
	}
	if isDaemonic() {
		return p.errorf("start", ErrDaemonic)
	}
	if _, err := lookupTarget(p.target); err != nil {
		return p.errorf("start", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return p.errorf("start", err)
	}

	pl := &plan{}
	defer pl.finish()
	fds, err := socketpair()
	if err != nil {
		return p.errorf("start", fmt.Errorf("control socket: %w", err))
	}
	ctlOurs := os.NewFile(uintptr(fds[0]), "mp-control")
	pl.add(os.NewFile(uintptr(fds[1]), "mp-control"), true) // fd 3 in the child
	nc, err := net.FileConn(ctlOurs)
	ctlOurs.Close()
	if err != nil {
		return p.errorf("start", fmt.Errorf("control socket: %w", err))
	}
	ctl := nc.(*net.UnixConn)

	boot := bootstrap{
		Version:  protocolVersion,
		Name:     name,
		Identity: childIdentity(name),
		Daemon:   daemon,
		Target:   p.target,
		Parent:   *CurrentProcess(),
		Args:     make([]argSpec, len(p.args)),
	}
	for i, a := range p.args {
		if s, ok := a.(sharer); ok {
			if v := reflect.ValueOf(a); v.Kind() == reflect.Pointer && v.IsNil() {
				ctl.Close()
				return p.errorf("start", fmt.Errorf("argument %d is a nil %T", i, a))
			}
			spec, err := s.share(pl)
			if err != nil {
				ctl.Close()
				return p.errorf("start", fmt.Errorf("argument %d: %w", i, err))
			}
			boot.Args[i] = argSpec{Type: fmt.Sprintf("%T", a), Handle: spec}
			continue
		}
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(a); err != nil {
			ctl.Close()
			return p.errorf("start", fmt.Errorf("argument %d (%T): %w", i, a, err))
		}
		boot.Args[i] = argSpec{Type: fmt.Sprintf("%T", a), Value: buf.Bytes()}
	}
	var bb bytes.Buffer
	if err := gob.NewEncoder(&bb).Encode(&boot); err != nil {
		ctl.Close()
		return p.errorf("start", fmt.Errorf("bootstrap: %w", err))
	}

	stderr := p.opts.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	stdout := p.opts.Stdout
	if stdout == nil {
		stdout = os.Stdout
	}
	tail := &tailWriter{w: stderr}
	cmd := exec.Command(exe)
	cmd.Args = []string{os.Args[0]}
	cmd.Env = append(append(os.Environ(), cookieKey+"="+cookieValue), p.opts.Env...)
	cmd.ExtraFiles = pl.files
	cmd.Stdout = stdout
	cmd.Stderr = tail
	cmd.WaitDelay = time.Second
	release, err := startCmd(cmd)
	if err != nil {
		ctl.Close()
		return p.errorf("start", err)
	}
	pl.finish() // close the child's ends in this process

	p.mu.Lock()
	p.state = stateStarted
	p.cmd = cmd
	p.pid = cmd.Process.Pid
	p.tail = tail
	p.ctlConn = ctl
	p.ctlDone = make(chan struct{})
	p.releaseFork = release
	p.mu.Unlock()
	registerChild(p)

	hs := make(chan error, 1)
	go p.control(ctl, appendFrame(nil, frameBoot, bb.Bytes()), hs)
	go p.reap()

	timer := time.NewTimer(p.opts.StartTimeout)
	defer timer.Stop()
	select {
	case err = <-hs:
	case <-timer.C:
		err = fmt.Errorf("no handshake within %v", p.opts.StartTimeout)
		p.signal(syscall.SIGKILL)
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, errEarlyExit) {
		<-p.done
		p.mu.Lock()
		code, tailText := p.code, strings.TrimSpace(p.tail.String())
		p.mu.Unlock()
		return p.errorf("start", fmt.Errorf("worker exited before handshake (exit code %d): %s", code, tailText))
	}
	p.signal(syscall.SIGKILL)
	<-p.done
	return p.errorf("start", err)
}

var errEarlyExit = errors.New("worker exited before handshake")

// handshakeVersion is the version a child announces; a test changes it.
var handshakeVersion = protocolVersion

// control sends the bootstrap, reads the handshake line and then the
// child's exit report, until the child closes its end.
func (p *Process) control(ctl *net.UnixConn, boot []byte, hs chan<- error) {
	defer close(p.ctlDone)
	if _, err := ctl.Write(boot); err != nil {
		// The child may have died already; the handshake read tells.
		_ = err
	}
	r := bufio.NewReaderSize(ctl, 4096)
	line, err := readLine(r, 4096)
	if err != nil {
		if errors.Is(err, io.EOF) {
			hs <- errEarlyExit
		} else {
			hs <- fmt.Errorf("reading handshake: %w", err)
		}
		return
	}
	if err := checkHandshake(line); err != nil {
		hs <- err
		return
	}
	hs <- nil
	d := newDecoder(r)
	for d.Scan() {
		if f := d.Record(); f.Type == frameExit {
			p.mu.Lock()
			p.report = string(f.Msg)
			p.mu.Unlock()
		}
	}
}

// readLine reads up to '\n', at most max bytes.
func readLine(r *bufio.Reader, max int) (string, error) {
	var sb strings.Builder
	for sb.Len() < max {
		b, err := r.ReadByte()
		if err != nil {
			return sb.String(), err
		}
		if b == '\n' {
			return sb.String(), nil
		}
		sb.WriteByte(b)
	}
	return sb.String(), fmt.Errorf("handshake line longer than %d bytes", max)
}

// The handshake line, child to parent on the control descriptor:
//
//	mp|<protocol version>|<pid>|ok
//	mp|<protocol version>|<pid>|error|<message>
func handshakeLine(pid int, err error) string {
	if err != nil {
		return fmt.Sprintf("mp|%d|%d|error|%s\n", handshakeVersion, pid, strings.ReplaceAll(err.Error(), "\n", " "))
	}
	return fmt.Sprintf("mp|%d|%d|ok\n", handshakeVersion, pid)
}

func checkHandshake(line string) error {
	f := strings.SplitN(line, "|", 5)
	if len(f) < 4 || f[0] != "mp" {
		return fmt.Errorf("malformed handshake line %q", line)
	}
	if v, err := strconv.Atoi(f[1]); err != nil || v != protocolVersion {
		return fmt.Errorf("incompatible protocol version %q, want %d", f[1], protocolVersion)
	}
	switch f[3] {
	case "ok":
		return nil
	case "error":
		if len(f) == 5 {
			return fmt.Errorf("child: %s", f[4])
		}
	}
	return fmt.Errorf("malformed handshake line %q", line)
}

// reap waits for the child (every started child is waited for exactly
// once) and records how it ended.
func (p *Process) reap() {
	werr := p.cmd.Wait()
	p.releaseFork()
	select {
	case <-p.ctlDone:
	case <-time.After(time.Second):
		// Something else holds the child's end of the control socket.
	}
	p.ctlConn.Close()
	<-p.ctlDone
	code := -1
	if st := p.cmd.ProcessState; st != nil {
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = -int(ws.Signal())
		} else {
			code = st.ExitCode()
		}
	}
	p.mu.Lock()
	p.exited = true
	p.code = code
	if code == -1 {
		p.waitError = werr
	}
	p.mu.Unlock()
	unregisterChild(p)
	close(p.done)
}

// A tailWriter passes writes on and keeps the last tailSize bytes.
type tailWriter struct {
	w   io.Writer
	mu  sync.Mutex
	buf []byte
}

const tailSize = 4096

func (t *tailWriter) Write(b []byte) (int, error) {
	t.mu.Lock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
	t.mu.Unlock()
	t.w.Write(b) // a failing destination must not block the child
	return len(b), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// A plan collects the descriptors a child inherits: ExtraFiles[i] is fd 3+i.
type plan struct {
	files   []*os.File
	ours    []*os.File // to close in this process once the child started
	release []func()
	done    bool
}

func (pl *plan) add(f *os.File, closeAfter bool) int {
	pl.files = append(pl.files, f)
	if closeAfter {
		pl.ours = append(pl.ours, f)
	}
	return 3 + len(pl.files) - 1
}

func (pl *plan) finish() {
	if pl.done {
		return
	}
	pl.done = true
	for _, f := range pl.ours {
		f.Close()
	}
	for _, r := range pl.release {
		r()
	}
}

// bootstrap is what a parent sends its child on the control descriptor.
type bootstrap struct {
	Version  int
	Name     string
	Identity []int
	Daemon   bool
	Target   string
	Parent   ProcessInfo
	Args     []argSpec
}

type argSpec struct {
	Type   string      // the parent's %T, for messages
	Value  []byte      // gob encoding of a value argument
	Handle *handleSpec // a shared object
}

// handleSpec describes a shared object passed to a child and the
// descriptors (numbers in the child) that connect it.
type handleSpec struct {
	Kind    uint8 // qkind, or handleLock, handleValue
	ID      uint64
	Creator int
	Type    string
	Maxsize int
	Size    int    // shared memory size (Lock, Value)
	Raw     bool   // a Value without a lock
	LockID  uint64 // a Value or Array guarded by a given Lock: its id (its memory is Conn)
	Conn    int    // socket to the broker, queues only
	Shm     int    // memfd
}

const (
	handleLock  = 10
	handleValue = 11
)

func handleKindName(k uint8) string {
	switch k {
	case handleLock:
		return "Lock"
	case handleValue:
		return "Value"
	}
	return qkind(k).String()
}

// A sharer is a handle that can be passed to a child.
type sharer interface {
	share(pl *plan) (*handleSpec, error)
}

// A binder makes a typed handle from what a child received.
type binder interface {
	bind(s *handleSpec, obj any) (any, error)
}
