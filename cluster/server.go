package cluster

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ServerOptions configure an embedded server. The zero value is usable: loopback, a
// random port, no storage directory (an error: JetStream here is file-backed).
type ServerOptions struct {
	// Host is the address to listen on; "" means 127.0.0.1 (loopback only).
	Host string
	// Port is the port to listen on; 0 means a random free port.
	Port int
	// StoreDir is where JetStream keeps its file-backed streams. Required: a restarted
	// server finds its streams, and every acknowledged message, there.
	StoreDir string
	// ReadyTimeout bounds the wait for the server to accept connections; 0 means 10s.
	ReadyTimeout time.Duration
}

// Server is a JetStream-enabled nats-server running inside this process. It logs
// nothing and installs no signal handlers: the cell that starts it owns it.
type Server struct {
	mu   sync.Mutex
	opts ServerOptions
	srv  *server.Server
}

// StartServer starts an embedded server and waits until it accepts connections and
// JetStream is ready.
func StartServer(o ServerOptions) (*Server, error) {
	if o.StoreDir == "" {
		return nil, errors.New("cluster: embedded server: no storage directory")
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 10 * time.Second
	}
	s := &Server{opts: o}
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) start() error {
	port := s.opts.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	srv, err := server.NewServer(&server.Options{
		ServerName: "gilbench",
		Host:       s.opts.Host,
		Port:       port,
		JetStream:  true,
		StoreDir:   s.opts.StoreDir,
		NoLog:      true,
		NoSigs:     true,
		// No HTTP monitoring, no cluster, no leaf nodes: one server, one client port.
		DisableJetStreamBanner: true,
	})
	if err != nil {
		return fmt.Errorf("cluster: embedded server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(s.opts.ReadyTimeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return fmt.Errorf("cluster: embedded server on %s not ready after %v", net.JoinHostPort(s.opts.Host, strconv.Itoa(s.opts.Port)), s.opts.ReadyTimeout)
	}
	deadline := time.Now().Add(s.opts.ReadyTimeout)
	for !srv.JetStreamEnabled() {
		if time.Now().After(deadline) {
			srv.Shutdown()
			srv.WaitForShutdown()
			return errors.New("cluster: embedded server: JetStream not enabled")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A restart comes back on the same port, so that clients reconnect to it.
	if a, ok := srv.Addr().(*net.TCPAddr); ok {
		s.opts.Port = a.Port
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	return nil
}

// URL is the server's client URL, nats://host:port.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "nats://" + net.JoinHostPort(s.opts.Host, strconv.Itoa(s.opts.Port))
}

// Restart stops the server and starts it again on the same address with the same
// storage: clients reconnect, streams and consumers come back from disk.
func (s *Server) Restart() error {
	s.stop()
	return s.start()
}

// Shutdown stops the server and waits until it has stopped; safe to call twice.
func (s *Server) Shutdown() { s.stop() }

func (s *Server) stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}
