//go:build unix

package workloads

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"syscall"
)

// The convoy's system calls on unix: plain blocking sockets, as CPython's are, and the
// shared mapping of the cell's flag. convoy_sock_other.go has the stubs elsewhere.

func convoySocket() (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	syscall.CloseOnExec(fd)
	return fd, nil
}

// convoyListen opens a listening socket on 127.0.0.1 at a free port and returns it and
// its address.
func convoyListen() (int, string, error) {
	lfd, err := convoySocket()
	if err != nil {
		return -1, "", err
	}
	fail := func(err error) (int, string, error) {
		syscall.Close(lfd)
		return -1, "", err
	}
	if err := syscall.SetsockoptInt(lfd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		return fail(err)
	}
	if err := syscall.Bind(lfd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return fail(err)
	}
	if err := syscall.Listen(lfd, 64); err != nil {
		return fail(err)
	}
	sa, err := syscall.Getsockname(lfd)
	if err != nil {
		return fail(err)
	}
	return lfd, fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port), nil
}

// convoyAccept waits for a connection on lfd and returns it with TCP_NODELAY set; it
// fails once lfd is shut down.
func convoyAccept(lfd int) (int, error) {
	for {
		fd, _, err := syscall.Accept(lfd)
		if err == syscall.EINTR || err == syscall.ECONNABORTED {
			continue
		}
		if err != nil {
			return -1, err
		}
		syscall.CloseOnExec(fd)
		_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
		return fd, nil
	}
}

// convoyDial connects a blocking TCP socket to addr, with TCP_NODELAY and a receive
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

// convoyShutdown shuts both directions of fd down, waking its blocked readers.
func convoyShutdown(fd int) error { return syscall.Shutdown(fd, syscall.SHUT_RDWR) }

func convoyCloseFd(fd int) error { return syscall.Close(fd) }

// convoyMap maps the first n bytes of the file at path, shared with every process that
// maps it.
func convoyMap(path string, n int) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	mem, err := syscall.Mmap(int(f.Fd()), 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	return mem, nil
}

func convoyUnmap(mem []byte) error { return syscall.Munmap(mem) }
