package workloads

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

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
// Local.Stats. Round trips count only once all the spinners of the batch have started
// (the steady phase), so that the first milliseconds, when the I/O thread may still run
// alone, do not flatter the result.
//
// This file is the workload: its program, natives, twin and Setup, and task 0's client.
// The shared flag and the figures are in convoy_cell.go, the echo peer in
// convoy_server.go, the system calls in convoy_sock_unix.go (and their stubs, which
// fail at run time, in convoy_sock_other.go).
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
		Natives:          convoyNatives,
		Twin:             convoyTwin,
		Want:             func(i, _ int64) int64 { return i },
		Setup:            convoySetup,
	})
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
	err := convoyCloseFd(cl.fd)
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
		err = shm.Truncate(convoyShmLen)
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
