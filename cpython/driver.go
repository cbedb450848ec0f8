package cpython

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// The strategies the driver knows.
const (
	Seq       = "seq"
	Threads   = "threads"
	Process   = "process"
	Subinterp = "subinterp"
	Asyncio   = "asyncio"
	MpPool    = "pool" // multiprocessing.Pool.imap_unordered with a chunksize
)

// Config is one cell for the driver.
type Config struct {
	Strategy string
	Workers  int
	// The workload: a built-in's Python source under its file name, or a user's file.
	Name        string // the file name of Source ("primes.py")
	Source      []byte
	AsyncSource []byte // the built-in's asyncio form, if any
	Path        string // a user's file, used in place
	Size        int64
	Params      map[string]string
	// Start is multiprocessing's start method for Process and MpPool; "" for the
	// interpreter's own.
	Start          string
	SwitchInterval time.Duration // sys.setswitchinterval (Python 3); 0: leave it
	CheckInterval  int64         // sys.setcheckinterval (Python 2); 0: leave it
	// StartTimeout bounds the start of the driver and its workers; 0 means 60 s.
	StartTimeout time.Duration
}

// SkipError is a cell the driver declined: the workload cannot run faithfully under
// the strategy (a module global in processes, shared objects across interpreters).
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// Batch is what one batch measured in the driver.
type Batch struct {
	Elapsed   time.Duration // from the starting gun to the last result, timed by the driver
	Checksum  int64
	Latencies []time.Duration
	CPU       time.Duration // of the driver and its worker processes, during the batch
	MaxRSS    int64         // the largest peak RSS of the driver and its workers, bytes
	Metrics   map[string]float64
}

// Driver is one running driver process.
type Driver struct {
	py      *Interpreter
	cmd     *exec.Cmd
	cmdW    *os.File
	events  chan Event
	readErr error // set before events is closed
	exited  chan struct{}
	waitErr error // set before exited is closed
	stderr  *tailBuffer
	remove  func()
	Pid     int   // the driver's process id (and process group)
	Pids    []int // its worker processes
	Start   string
	// Startup is how long the driver took to make its workers (threads, processes,
	// interpreters, a pool) until each was ready; RSS0 its resident memory before.
	Startup time.Duration
	RSS0    int64
	mu      sync.Mutex
	closed  bool
	failed  error
}

// Start runs the driver for c in py and waits until its workers are ready (the timer is
// off). A cell the driver declines is a *SkipError.
func Start(ctx context.Context, py *Interpreter, c Config) (*Driver, error) {
	dir, remove, err := writeRunDir()
	if err != nil {
		return nil, err
	}
	conf := map[string]any{
		"strategy": c.Strategy, "workers": c.Workers, "size": c.Size, "params": c.Params,
		"support": dir, "start": c.Start, "display": map[string]string{},
	}
	if c.Params == nil {
		conf["params"] = map[string]string{}
	}
	if c.SwitchInterval > 0 {
		conf["switch_interval"] = c.SwitchInterval.Seconds()
	}
	if c.CheckInterval > 0 {
		conf["check_interval"] = c.CheckInterval
	}
	switch {
	case c.Path != "":
		abs, err := filepath.Abs(c.Path)
		if err != nil {
			remove()
			return nil, err
		}
		conf["path"] = abs
		conf["display"] = map[string]string{abs: c.Path}
	case c.Source != nil:
		wdir := filepath.Join(dir, "w")
		p := filepath.Join(wdir, c.Name)
		if err := os.WriteFile(p, c.Source, 0o644); err != nil {
			remove()
			return nil, fmt.Errorf("cpython: %w", err)
		}
		conf["path"] = p
		conf["display"] = map[string]string{wdir + string(filepath.Separator): "workloads/py/",
			dir + string(filepath.Separator): "workloads/py/", filepath.Join(dir, "driver.py"): "cpython/driver.py"}
		if c.AsyncSource != nil {
			ap := filepath.Join(wdir, "async_"+c.Name)
			if err := os.WriteFile(ap, c.AsyncSource, 0o644); err != nil {
				remove()
				return nil, fmt.Errorf("cpython: %w", err)
			}
			conf["async_path"] = ap
		}
	default:
		remove()
		return nil, errors.New("cpython: Config has neither Source nor Path")
	}
	line, err := json.Marshal(conf)
	if err != nil {
		remove()
		return nil, err
	}

	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		remove()
		return nil, fmt.Errorf("cpython: %w", err)
	}
	evR, evW, err := os.Pipe()
	if err != nil {
		cmdR.Close()
		cmdW.Close()
		remove()
		return nil, fmt.Errorf("cpython: %w", err)
	}
	cmd := exec.Command(py.Path, filepath.Join(dir, "driver.py"), "serve")
	cmd.ExtraFiles = []*os.File{cmdR, evW} // descriptors 3 and 4
	d := &Driver{py: py, cmd: cmd, cmdW: cmdW, events: make(chan Event, 4), exited: make(chan struct{}),
		stderr: &tailBuffer{max: 8 << 10}, remove: remove}
	cmd.Stdout = &tailBuffer{max: 8 << 10} // the workload's prints; not the protocol's
	cmd.Stderr = d.stderr
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the workers join its group
	cmd.WaitDelay = time.Second                           // a leftover holding stdout must not hang Wait
	err = cmd.Start()
	cmdR.Close()
	evW.Close()
	if err != nil {
		evR.Close()
		cmdW.Close()
		remove()
		return nil, fmt.Errorf("cpython: starting %s: %w", py.Path, err)
	}
	d.Pid = cmd.Process.Pid
	go func() {
		r := NewReader(evR)
		for r.Scan() {
			d.events <- r.Event()
		}
		d.readErr = r.Err()
		evR.Close()
		close(d.events)
	}()
	go func() {
		d.waitErr = cmd.Wait()
		close(d.exited)
	}()

	timeout := c.StartTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ev, err := d.next(sctx, "start")
	if err == nil && (ev.Ev != EvHello || ev.Protocol != Protocol) {
		err = fmt.Errorf("cpython: driver said %q (protocol %d) before its hello, want protocol %d", ev.Ev, ev.Protocol, Protocol)
	}
	if err == nil {
		err = d.send(line)
	}
	if err == nil {
		ev, err = d.next(sctx, "start")
	}
	if err == nil {
		switch ev.Ev {
		case EvReady:
			d.Pids, d.Start, d.Startup, d.RSS0 = ev.Pids, ev.Start, time.Duration(ev.Startup), ev.RSS0
			return d, nil
		case EvSkip:
			err = &SkipError{Reason: ev.Reason}
		case EvError:
			err = errors.New(ev.Msg)
		default:
			err = fmt.Errorf("cpython: driver said %q before ready", ev.Ev)
		}
	}
	d.kill()
	return nil, err
}

// send writes one command line.
func (d *Driver) send(line []byte) error {
	if _, err := d.cmdW.Write(append(line, '\n')); err != nil {
		return d.deadError("a command")
	}
	return nil
}

// next waits for the driver's next event. A driver that exits, a malformed event and
// ctx's end are errors; on ctx's end the driver is killed (its state is unknown).
func (d *Driver) next(ctx context.Context, during string) (Event, error) {
	select {
	case ev, ok := <-d.events:
		if ok {
			return ev, nil
		}
		if d.readErr != nil {
			return Event{}, d.readErr
		}
		return Event{}, d.deadError(during)
	case <-d.exited:
		// Events written before the exit may still be in the pipe: take them first.
		select {
		case ev, ok := <-d.events:
			if ok {
				return ev, nil
			}
		case <-time.After(time.Second):
		}
		return Event{}, d.deadError(during)
	case <-ctx.Done():
		d.kill()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && during == "start" {
			return Event{}, fmt.Errorf("cpython: driver pid %d did not start its workers in time%s", d.Pid, tail(d.stderr.String()))
		}
		return Event{}, ctx.Err()
	}
}

// deadError says how the driver ended, with the tail of its stderr.
func (d *Driver) deadError(during string) error {
	select {
	case <-d.exited:
	case <-time.After(2 * time.Second):
		return fmt.Errorf("cpython: driver pid %d closed its protocol during %s but did not exit%s", d.Pid, during, tail(d.stderr.String()))
	}
	how := "exited"
	if d.waitErr != nil {
		how = "exited: " + d.waitErr.Error()
	}
	return fmt.Errorf("cpython: driver pid %d %s during %s%s", d.Pid, how, during, tail(d.stderr.String()))
}

// Batch runs one timed batch of tasks tasks. A task's exception is an error naming its
// file and line (the batch's figures come with it); a dead driver or worker is an error
// after which the driver is gone.
func (d *Driver) Batch(ctx context.Context, tasks int) (Batch, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || d.failed != nil {
		return Batch{}, fmt.Errorf("cpython: driver pid %d is stopped", d.Pid)
	}
	line, _ := json.Marshal(map[string]any{"op": "batch", "tasks": tasks})
	if err := d.send(line); err != nil {
		d.failed = err
		return Batch{}, err
	}
	ev, err := d.next(ctx, "a batch")
	if err == nil && ev.Ev == EvError {
		err = errors.New(ev.Msg)
	} else if err == nil && ev.Ev != EvBatch {
		err = fmt.Errorf("cpython: driver said %q, want a batch", ev.Ev)
	}
	if err != nil {
		d.failed = err
		d.kill()
		return Batch{}, err
	}
	b := Batch{Elapsed: time.Duration(ev.Elapsed), Checksum: ev.Checksum, CPU: time.Duration(ev.CPU),
		MaxRSS: ev.MaxRSS, Metrics: ev.Metrics, Latencies: make([]time.Duration, len(ev.Lat))}
	for k, l := range ev.Lat {
		b.Latencies[k] = time.Duration(l)
	}
	if ev.Error != "" {
		return b, errors.New(ev.Error)
	}
	return b, nil
}

// Close asks the driver to stop its workers and exit, and waits for it; a driver that
// does not exit in time is killed with its process group. Safe to call twice.
func (d *Driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	var err error
	if d.failed == nil {
		line, _ := json.Marshal(map[string]any{"op": "quit"})
		_ = d.send(line)
		d.cmdW.Close()
		select {
		case <-d.exited:
			if d.waitErr != nil {
				err = fmt.Errorf("cpython: driver pid %d: %v%s", d.Pid, d.waitErr, tail(d.stderr.String()))
			}
		case <-time.After(10 * time.Second):
			err = fmt.Errorf("cpython: driver pid %d did not stop in 10 s; killed", d.Pid)
		}
	}
	d.kill()
	d.remove()
	return err
}

// kill ends the driver's process group (the driver and every worker process) and waits
// for the driver: SIGTERM, a grace period, SIGKILL. Idempotent.
func (d *Driver) kill() {
	d.cmdW.Close()
	select {
	case <-d.exited:
	default:
		_ = syscall.Kill(-d.Pid, syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(time.Second):
			_ = syscall.Kill(-d.Pid, syscall.SIGKILL)
			<-d.exited
		}
	}
	// Worker processes left in the group (the driver was killed before it could stop
	// them) go with it.
	_ = syscall.Kill(-d.Pid, syscall.SIGKILL)
	for range d.events {
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append([]byte(nil), t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
