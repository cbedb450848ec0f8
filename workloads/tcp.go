package workloads

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"gilbench/interp"
)

// tcpLatency is the echo server's delay before each reply: a remote service's think
// time, so that a round trip waits instead of computing.
const tcpLatency = time.Millisecond

func init() {
	Register(&Workload{
		Name:         "tcp",
		Class:        IO,
		Description:  "size round trips to a loopback echo server with 1 ms latency; the socket call releases the lock",
		DefaultSize:  8,
		DefaultTasks: 32,
		QuickSize:    2,
		QuickTasks:   16,
		Natives: func(p Params, l *Local) ([]*interp.Native, error) {
			cl, err := tcpClients(p, l)
			if err != nil {
				return nil, err
			}
			return []*interp.Native{{
				Name: "echo", NArgs: 1, Releases: true,
				Fn: func(t *interp.Thread, args []interp.Value) (interp.Value, error) {
					x := int64(args[0])
					conn, err := cl.forThread(t)
					if err != nil {
						return 0, err
					}
					v, err := echoRoundTrip(conn, x, time.Now().Add(ioTimeout))
					if err != nil {
						cl.discard(t, conn)
						return 0, err
					}
					return interp.Value(v), nil
				},
			}, int64Native()}, nil
		},
		Twin: func(ctx context.Context, p Params, i, size int64) (int64, error) {
			l, err := localFrom(ctx)
			if err != nil {
				return 0, fmt.Errorf("tcp: %w", err)
			}
			cl, err := tcpClients(p, l)
			if err != nil {
				return 0, err
			}
			conn, err := cl.get()
			if err != nil {
				return 0, err
			}
			var acc int64
			for k := range size {
				if err := ctx.Err(); err != nil {
					cl.put(conn)
					return 0, err
				}
				deadline := time.Now().Add(ioTimeout)
				if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
					deadline = d
				}
				v, err := echoRoundTrip(conn, i*size+k, deadline)
				if err != nil {
					cl.discard(nil, conn)
					return 0, err
				}
				acc = acc*31 + v
			}
			cl.put(conn)
			return acc, nil
		},
		Want: func(i, size int64) int64 {
			var acc int64
			for k := range size {
				acc = acc*31 + i*size + k
			}
			return acc
		},
		Setup: func(context.Context, int64) (*Env, error) {
			srv, err := startEchoServer(tcpLatency)
			if err != nil {
				return nil, err
			}
			addr := srv.ln.Addr().String()
			env := &Env{Params: Params{"addr": addr, "latency": tcpLatency.String()}}
			env.OnClose(srv.Close)
			return env, nil
		},
	})
}

// echoRoundTrip sends x as 8 bytes and reads the 8 bytes echoed back.
func echoRoundTrip(conn net.Conn, x int64, deadline time.Time) (int64, error) {
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(x))
	if err := conn.SetDeadline(deadline); err != nil {
		return 0, err
	}
	if _, err := conn.Write(buf[:]); err != nil {
		return 0, fmt.Errorf("tcp: send: %w", err)
	}
	if _, err := io.ReadFull(conn, buf[:]); err != nil {
		return 0, fmt.Errorf("tcp: receive: %w", err)
	}
	return int64(binary.LittleEndian.Uint64(buf[:])), nil
}

// echoServer answers every 8-byte message with the same 8 bytes after a fixed delay.
type echoServer struct {
	ln      net.Listener
	latency time.Duration
	done    chan struct{}
	wg      sync.WaitGroup

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
}

func startEchoServer(latency time.Duration) (*echoServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("tcp: echo server: %w", err)
	}
	s := &echoServer{ln: ln, latency: latency, done: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

func (s *echoServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient failure (out of file descriptors): back off, as net/http does.
			select {
			case <-time.After(5 * time.Millisecond):
				continue
			case <-s.done:
				return
			}
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.handle(c)
	}
}

func (s *echoServer) handle(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	delay := time.NewTimer(s.latency)
	delay.Stop()
	var buf [8]byte
	for {
		if _, err := io.ReadFull(c, buf[:]); err != nil {
			return
		}
		delay.Reset(s.latency)
		select {
		case <-delay.C:
		case <-s.done:
			return
		}
		if _, err := c.Write(buf[:]); err != nil {
			return
		}
	}
}

// Close stops the server, closes its connections and waits for its goroutines.
func (s *echoServer) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// echoClients are a pool's connections to one echo server: one per interpreter thread
// (a Python thread keeps its own socket), and a pool of idle ones for the twin's
// goroutines. They live in the pool's Local, whose threads live as long as it does, and
// close with it.
type echoClients struct {
	addr string

	mu       sync.Mutex
	closed   bool
	byThread map[*interp.Thread]net.Conn
	idle     []net.Conn
	all      map[net.Conn]struct{}
}

// tcpClients returns the pool's clients of the server in p.
func tcpClients(p Params, l *Local) (*echoClients, error) {
	addr := p["addr"]
	if addr == "" {
		return nil, errors.New(`tcp: Params have no "addr"`)
	}
	cl, err := localResource(l, "tcp "+addr, func() (*echoClients, error) {
		return &echoClients{addr: addr, byThread: map[*interp.Thread]net.Conn{}, all: map[net.Conn]struct{}{}}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("tcp: %w", err)
	}
	return cl, nil
}

func (c *echoClients) dial() (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", c.addr, ioTimeout)
	if err != nil {
		return nil, fmt.Errorf("tcp: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		conn.Close()
		return nil, fmt.Errorf("tcp: %s: %w", c.addr, errClosed)
	}
	c.all[conn] = struct{}{}
	return conn, nil
}

// forThread returns t's connection, dialling it on first use.
func (c *echoClients) forThread(t *interp.Thread) (net.Conn, error) {
	c.mu.Lock()
	conn, ok := c.byThread[t]
	c.mu.Unlock()
	if ok {
		return conn, nil
	}
	conn, err := c.dial()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.byThread[t] = conn
	c.mu.Unlock()
	return conn, nil
}

// get takes an idle connection or dials one; put gives it back.
func (c *echoClients) get() (net.Conn, error) {
	c.mu.Lock()
	if n := len(c.idle); n > 0 && !c.closed {
		conn := c.idle[n-1]
		c.idle = c.idle[:n-1]
		c.mu.Unlock()
		return conn, nil
	}
	c.mu.Unlock()
	return c.dial()
}

func (c *echoClients) put(conn net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		conn.Close()
		return
	}
	c.idle = append(c.idle, conn)
}

// discard closes a connection that failed (t's, or the twin's if t is nil).
func (c *echoClients) discard(t *interp.Thread, conn net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t != nil && c.byThread[t] == conn {
		delete(c.byThread, t)
	}
	delete(c.all, conn)
	conn.Close()
}

// Close closes every connection and makes later dials fail.
func (c *echoClients) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for conn := range c.all {
		conn.Close()
	}
	clear(c.all)
	clear(c.byThread)
	c.idle = nil
	return nil
}
