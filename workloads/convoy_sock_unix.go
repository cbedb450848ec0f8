//go:build unix

package workloads

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

func convoySocket() (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	syscall.CloseOnExec(fd)
	return fd, nil
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
