//go:build unix

package workloads

import (
	"fmt"
	"sync"
	"syscall"
)

// convoyServer is the convoy's echo peer: a listening socket on 127.0.0.1 and, per
// connection, a goroutine that echoes every request with blocking system calls.
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
