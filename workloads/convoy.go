//go:build unix

package workloads

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"gilbench/interp"
)

// The convoy workload (bpo-7946): one thread makes request/response round trips with an
// echo peer on loopback, each send and each receive a native call that releases the
// lock, while the other threads spin in bytecode. Under the new GIL the I/O thread gives
// the lock up for every system call and then waits up to a switch interval to get it
// back from a spinner, so its round trips collapse; under the legacy GIL it gets the
// lock back within a check interval.
//
// Shape: one task per worker (OneTaskPerWorker). Task 0 is the I/O thread: it makes
// round trips for size milliseconds. Tasks 1..K spin until task 0 is done, asking a
// cheap native that keeps the lock at every loop turn. So workers=1 is the I/O thread
// alone and workers=K+1 puts it beside K CPU-bound threads. Every task returns its index:
// the number of round trips depends on timing, the checksum does not.
//
// The figures (roundtrips/s, p50-ns, p99-ns of the round trips) are kept in the Local of
// the pool (of the worker process) that ran task 0, and reach the runner through
// Local.Stats. Round trips count only once all
// the spinners of the batch have started (the steady phase), so that the first
// milliseconds, when the I/O thread may still run alone, do not flatter the result.
//
// Sockets are plain blocking sockets used with system calls, as CPython's are: the I/O
// thread and the echo peer block in the kernel, and the OS decides who runs when.

// convoySpinWork is the number of countdown steps a spinner does between two looks at
// the flag.
const convoySpinWork = 200

// convoyMsgLen is the size of a request: a sequence number and the send time.
const convoyMsgLen = 16

func init() {
	Register(&Workload{
		Name:  "convoy",
		Class: Mixed,
		Description: "the convoy effect: task 0 makes loopback round trips for size ms (each send and receive " +
			"releases the lock) while the other workers spin in bytecode",
		DefaultSize:      200, // ms of round trips
		DefaultTasks:     16,  // unused: one task per worker
		QuickSize:        100,
		QuickTasks:       16,
		OneTaskPerWorker: true,
		Source: `
func task i size
	var h n
	load i
	const 0
	eq
	jump_if_false spin
	load size
	native convoy_open      # connect; returns a handle
	store h
rt:                         # do { send; } while (recv())
	load h
	native convoy_send
	pop
	load h
	native convoy_recv      # 1 while the time is not up
	jump_if_true rt
	load h
	native convoy_close     # records the figures; returns 0
	return
spin:
	load size
	native convoy_spin_begin
	pop
more:                       # while running(): n = 200; while n > 0: n -= 1
	native convoy_running
	jump_if_false out
	const 200
	store n
inner:
	load n
	const 0
	gt
	jump_if_false more
	load n
	const 1
	sub
	store n
	jump inner
out:
	native convoy_spin_end
	pop
	load i
	return
end
`,
		Natives: convoyNatives,
		Twin:    convoyTwin,
		Want:    func(i, _ int64) int64 { return i },
		Setup:   convoySetup,
	})
}

// convoyCell is what the I/O task, the spinners and the runner share in one pool's
// Local: the count of finished I/O tasks and the spinner count live in a small file that
// every process of the cell maps (the process mode's workers are other processes); the
// batch's figures are kept by the Local of the process that ran task 0 (BatchStats).
type convoyCell struct {
	mem      []byte        // the mapping of Params["shm"]
	finished *atomic.Int32 // I/O tasks finished; a spinner stops when it changes
	active   *atomic.Int32 // spinners running
	sink     atomic.Int64  // keeps the twin's spinning from being optimised away

	mu       sync.Mutex
	trips    int64
	duration time.Duration
	lat      []time.Duration
}

// convoyCellFor returns l's cell of p's echo server, mapping its shared words on first
// use.
func convoyCellFor(p Params, l *Local) (*convoyCell, error) {
	addr, path := p["addr"], p["shm"]
	if addr == "" || path == "" {
		return nil, errors.New("convoy: no echo server address or shared file (Params[addr], Params[shm])")
	}
	c, err := localResource(l, "convoy "+addr, func() (*convoyCell, error) {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		mem, err := syscall.Mmap(int(f.Fd()), 0, 8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
		if err != nil {
			return nil, fmt.Errorf("mapping %s: %w", path, err)
		}
		return &convoyCell{
			mem:      mem,
			finished: (*atomic.Int32)(unsafe.Pointer(&mem[0])),
			active:   (*atomic.Int32)(unsafe.Pointer(&mem[4])),
		}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("convoy: %w", err)
	}
	return c, nil
}

// Close unmaps the shared words (the Local closes once no worker runs).
func (c *convoyCell) Close() error { return syscall.Munmap(c.mem) }

// ResetStats starts a batch's figures.
func (c *convoyCell) ResetStats() {
	c.mu.Lock()
	c.trips, c.duration, c.lat = 0, 0, nil
	c.mu.Unlock()
}

// Metrics returns roundtrips/s and the round trips' p50-ns and p99-ns; an empty map if
// no I/O task of the batch ran with this cell (BatchStats).
func (c *convoyCell) Metrics() map[string]float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trips == 0 || c.duration <= 0 {
		return map[string]float64{}
	}
	lat := slices.Clone(c.lat)
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))]) }
	return map[string]float64{
		"roundtrips/s": float64(c.trips) / c.duration.Seconds(),
		"p50-ns":       at(0.50),
		"p99-ns":       at(0.99),
	}
}

// record adds one I/O task's steady phase to the batch.
func (c *convoyCell) record(trips int64, d time.Duration, lat []time.Duration) {
	c.mu.Lock()
	c.trips += trips
	c.duration += d
	c.lat = append(c.lat, lat...)
	c.mu.Unlock()
}

// spinning reports whether a spinner that began when gen I/O tasks had finished should
// go on: until the next one finishes, or, as a safety net for a spinner whose I/O task
// never comes, until deadline.
func (c *convoyCell) spinning(gen int32, deadline time.Time, turn *int64) bool {
	if c.finished.Load() != gen {
		return false
	}
	*turn++
	return *turn&255 != 0 || time.Now().Before(deadline)
}

// spinDeadline is when a spinner that started at start gives up waiting for task 0.
func spinDeadline(start time.Time, size int64) time.Time {
	return start.Add(2*time.Duration(size)*time.Millisecond + time.Second)
}

// convoyClient is task 0's connection and its record of round trips.
type convoyClient struct {
	fd       int
	cell     *convoyCell
	start    time.Time
	deadline time.Time
	seq      uint64
	buf      [convoyMsgLen]byte
	// per round trip: when it ended, how long it took, how many spinners were running
	ends   []time.Duration // since start
	lat    []time.Duration
	active []int32
}

func dialConvoy(addr string, cell *convoyCell, size int64) (*convoyClient, error) {
	fd, err := convoyDial(addr)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	return &convoyClient{
		fd: fd, cell: cell, start: now, deadline: now.Add(time.Duration(size) * time.Millisecond),
		ends: make([]time.Duration, 0, 4096), lat: make([]time.Duration, 0, 4096), active: make([]int32, 0, 4096),
	}, nil
}

// send writes the next request: its sequence number and the time it leaves.
func (cl *convoyClient) send() error {
	cl.seq++
	binary.LittleEndian.PutUint64(cl.buf[:8], cl.seq)
	binary.LittleEndian.PutUint64(cl.buf[8:], uint64(time.Since(cl.start)))
	return convoyWriteAll(cl.fd, cl.buf[:])
}

// recv reads the echo, checks it, records the round trip and reports whether the time
// for round trips is not up yet.
func (cl *convoyClient) recv() (bool, error) {
	var got [convoyMsgLen]byte
	if err := convoyReadFull(cl.fd, got[:]); err != nil {
		return false, err
	}
	if got != cl.buf {
		return false, fmt.Errorf("convoy: echo %x does not match request %x", got, cl.buf)
	}
	now := time.Since(cl.start)
	sent := time.Duration(binary.LittleEndian.Uint64(got[8:]))
	cl.ends = append(cl.ends, now)
	cl.lat = append(cl.lat, now-sent)
	cl.active = append(cl.active, cl.cell.active.Load())
	return now < cl.deadline.Sub(cl.start), nil
}

// close ends the connection, records the steady phase (round trips made while as many
// spinners ran as ever did) and lets the spinners stop.
func (cl *convoyClient) close() error {
	err := syscall.Close(cl.fd)
	if trips, d, lat := steadyPhase(cl.ends, cl.lat, cl.active); trips > 0 {
		cl.cell.record(trips, d, lat)
	}
	cl.cell.finished.Add(1)
	return err
}

// steadyPhase picks the round trips made while as many spinners ran as ever did: from
// the first one that ended with the most spinners running to the last. It returns their
// number, the time they took (from the end of the round trip before them) and their
// latencies. ends are the round trips' end times since the start.
func steadyPhase(ends, lat []time.Duration, active []int32) (int64, time.Duration, []time.Duration) {
	n := len(ends)
	if n == 0 {
		return 0, 0, nil
	}
	k := slices.Index(active, slices.Max(active))
	from := time.Duration(0)
	if k > 0 {
		from = ends[k-1]
	}
	return int64(n - k), ends[n-1] - from, lat[k:]
}

func convoyNatives(p Params, l *Local) ([]*interp.Native, error) {
	addr := p["addr"]
	cell, err := convoyCellFor(p, l)
	if err != nil {
		return nil, err
	}
	var (
		mu      sync.Mutex
		clients = map[interp.Value]*convoyClient{}
	)
	client := func(h interp.Value) (*convoyClient, error) {
		mu.Lock()
		defer mu.Unlock()
		cl, ok := clients[h]
		if !ok {
			return nil, fmt.Errorf("convoy: no connection %d", h)
		}
		return cl, nil
	}
	type spinState struct {
		gen      int32
		deadline time.Time
		turn     int64
	}
	var spinners sync.Map // *interp.Thread -> *spinState
	return []*interp.Native{
		{Name: "convoy_open", NArgs: 1, Releases: true,
			Fn: func(_ *interp.Thread, args []interp.Value) (interp.Value, error) {
				cl, err := dialConvoy(addr, cell, int64(args[0]))
				if err != nil {
					return 0, err
				}
				h := interp.Value(cl.fd)
				mu.Lock()
				clients[h] = cl
				mu.Unlock()
				return h, nil
			}},
		{Name: "convoy_send", NArgs: 1, Releases: true,
			Fn: func(_ *interp.Thread, args []interp.Value) (interp.Value, error) {
				cl, err := client(args[0])
				if err != nil {
					return 0, err
				}
				return 0, cl.send()
			}},
		{Name: "convoy_recv", NArgs: 1, Releases: true,
			Fn: func(_ *interp.Thread, args []interp.Value) (interp.Value, error) {
				cl, err := client(args[0])
				if err != nil {
					return 0, err
				}
				more, err := cl.recv()
				if more {
					return 1, err
				}
				return 0, err
			}},
		{Name: "convoy_close", NArgs: 1,
			Fn: func(_ *interp.Thread, args []interp.Value) (interp.Value, error) {
				cl, err := client(args[0])
				if err != nil {
					return 0, err
				}
				mu.Lock()
				delete(clients, args[0])
				mu.Unlock()
				return 0, cl.close()
			}},
		{Name: "convoy_spin_begin", NArgs: 1,
			Fn: func(t *interp.Thread, args []interp.Value) (interp.Value, error) {
				spinners.Store(t, &spinState{gen: cell.finished.Load(), deadline: spinDeadline(time.Now(), int64(args[0]))})
				cell.active.Add(1)
				return 0, nil
			}},
		{Name: "convoy_running", NArgs: 0,
			Fn: func(t *interp.Thread, _ []interp.Value) (interp.Value, error) {
				s, ok := spinners.Load(t)
				if !ok {
					return 0, errors.New("convoy: convoy_running before convoy_spin_begin")
				}
				st := s.(*spinState)
				if cell.spinning(st.gen, st.deadline, &st.turn) {
					return 1, nil
				}
				return 0, nil
			}},
		{Name: "convoy_spin_end", NArgs: 0,
			Fn: func(t *interp.Thread, _ []interp.Value) (interp.Value, error) {
				spinners.Delete(t)
				cell.active.Add(-1)
				return 0, nil
			}},
	}, nil
}

func convoyTwin(ctx context.Context, p Params, i, size int64) (int64, error) {
	addr := p["addr"]
	l, err := localFrom(ctx)
	if err != nil {
		return 0, fmt.Errorf("convoy: %w", err)
	}
	cell, err := convoyCellFor(p, l)
	if err != nil {
		return 0, err
	}
	if i != 0 {
		gen := cell.finished.Load()
		cell.active.Add(1)
		defer cell.active.Add(-1)
		deadline := spinDeadline(time.Now(), size)
		var turn int64
		n := int64(0)
		for cell.spinning(gen, deadline, &turn) {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			for k := convoySpinWork; k > 0; k-- {
				n += int64(k)
			}
		}
		cell.sink.Add(n)
		return i, nil
	}
	cl, err := dialConvoy(addr, cell, size)
	if err != nil {
		return 0, err
	}
	for {
		if err := cl.send(); err != nil {
			cl.close()
			return 0, err
		}
		more, err := cl.recv()
		if err != nil {
			cl.close()
			return 0, err
		}
		if !more || ctx.Err() != nil {
			break
		}
	}
	return 0, cl.close()
}

// convoySetup starts the echo peer: a listening socket on 127.0.0.1 and, per
// connection, a goroutine that echoes every request with blocking system calls.
func convoySetup(context.Context, int64) (*Env, error) {
	srv, err := newConvoyServer()
	if err != nil {
		return nil, fmt.Errorf("convoy: %w", err)
	}
	shm, err := os.CreateTemp("", "gilbench-convoy-*")
	if err == nil {
		err = shm.Truncate(8)
		shm.Close()
	}
	if err != nil {
		srv.close()
		return nil, fmt.Errorf("convoy: shared file: %w", err)
	}
	env := &Env{Params: Params{"addr": srv.addr, "shm": shm.Name()}}
	env.OnClose(func() error { return os.Remove(shm.Name()) })
	env.OnClose(srv.close)
	return env, nil
}

type convoyServer struct {
	lfd     int
	addr    string
	mu      sync.Mutex
	conns   map[int]bool
	closing bool
	wg      sync.WaitGroup
}

func newConvoyServer() (*convoyServer, error) {
	lfd, err := convoySocket()
	if err != nil {
		return nil, err
	}
	if err := syscall.SetsockoptInt(lfd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		syscall.Close(lfd)
		return nil, err
	}
	if err := syscall.Bind(lfd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(lfd)
		return nil, err
	}
	if err := syscall.Listen(lfd, 64); err != nil {
		syscall.Close(lfd)
		return nil, err
	}
	sa, err := syscall.Getsockname(lfd)
	if err != nil {
		syscall.Close(lfd)
		return nil, err
	}
	port := sa.(*syscall.SockaddrInet4).Port
	s := &convoyServer{lfd: lfd, addr: fmt.Sprintf("127.0.0.1:%d", port), conns: map[int]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *convoyServer) accept() {
	defer s.wg.Done()
	for {
		fd, _, err := syscall.Accept(s.lfd)
		if err == syscall.EINTR || err == syscall.ECONNABORTED {
			continue
		}
		if err != nil {
			return
		}
		syscall.CloseOnExec(fd)
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			syscall.Close(fd)
			return
		}
		s.conns[fd] = true
		s.wg.Add(1)
		s.mu.Unlock()
		_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
		go s.echo(fd)
	}
}

func (s *convoyServer) echo(fd int) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, fd)
		s.mu.Unlock()
		syscall.Close(fd)
	}()
	var buf [convoyMsgLen]byte
	for {
		if err := convoyReadFull(fd, buf[:]); err != nil {
			return
		}
		if err := convoyWriteAll(fd, buf[:]); err != nil {
			return
		}
	}
}

// close stops accepting, ends open connections and waits for the server's goroutines.
func (s *convoyServer) close() error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	s.closing = true
	for fd := range s.conns {
		_ = syscall.Shutdown(fd, syscall.SHUT_RDWR)
	}
	s.mu.Unlock()
	// Linux wakes a blocked accept on shutdown; elsewhere a connection does.
	_ = syscall.Shutdown(s.lfd, syscall.SHUT_RDWR)
	if fd, err := convoyDial(s.addr); err == nil {
		syscall.Close(fd)
	}
	s.wg.Wait()
	return syscall.Close(s.lfd)
}

func convoySocket() (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	syscall.CloseOnExec(fd)
	return fd, nil
}

// dialLoopback connects a blocking TCP socket to addr, with TCP_NODELAY and a receive
// timeout of ioTimeout (a peer that went away fails the task instead of hanging it).
func convoyDial(addr string) (int, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		return -1, fmt.Errorf("convoy: bad address %q", addr)
	}
	fd, err := convoySocket()
	if err != nil {
		return -1, err
	}
	for {
		err = syscall.Connect(fd, &syscall.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())})
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		syscall.Close(fd)
		return -1, fmt.Errorf("convoy: connect %s: %w", addr, err)
	}
	_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	tv := syscall.NsecToTimeval(int64(ioTimeout))
	_ = syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	return fd, nil
}

func convoyReadFull(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Read(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("convoy: read: %w", err)
		}
		if n == 0 {
			return errors.New("convoy: read: connection closed")
		}
		b = b[n:]
	}
	return nil
}

func convoyWriteAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("convoy: write: %w", err)
		}
		b = b[n:]
	}
	return nil
}
