package workloads

import "sync"

// convoyServer is the convoy's echo peer: a listening socket on 127.0.0.1 and, per
// connection, a goroutine that echoes every request with blocking system calls (the
// calls are in convoy_sock_unix.go).
type convoyServer struct {
	lfd     int
	addr    string
	mu      sync.Mutex
	conns   map[int]bool
	closing bool
	wg      sync.WaitGroup
}

func newConvoyServer() (*convoyServer, error) {
	lfd, addr, err := convoyListen()
	if err != nil {
		return nil, err
	}
	s := &convoyServer{lfd: lfd, addr: addr, conns: map[int]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *convoyServer) accept() {
	defer s.wg.Done()
	for {
		fd, err := convoyAccept(s.lfd)
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			convoyCloseFd(fd)
			return
		}
		s.conns[fd] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go s.echo(fd)
	}
}

func (s *convoyServer) echo(fd int) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, fd)
		s.mu.Unlock()
		convoyCloseFd(fd)
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
		_ = convoyShutdown(fd)
	}
	s.mu.Unlock()
	// Linux wakes a blocked accept on shutdown; elsewhere a connection does.
	_ = convoyShutdown(s.lfd)
	if fd, err := convoyDial(s.addr); err == nil {
		convoyCloseFd(fd)
	}
	s.wg.Wait()
	return convoyCloseFd(s.lfd)
}
