package tcp

import (
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// unacked is how many bytes written to c its peer has not acknowledged
// yet (sent or not); an error when the connection broke (a reset).
func unacked(c *net.TCPConn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n, soerr int
	var ioErr error
	if err := rc.Control(func(fd uintptr) {
		soerr, ioErr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
		if ioErr != nil || soerr != 0 {
			return
		}
		n, ioErr = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ)
	}); err != nil {
		return 0, err
	}
	if ioErr != nil {
		return 0, ioErr
	}
	if soerr != 0 {
		return 0, fmt.Errorf("connection broke: %w", syscall.Errno(soerr))
	}
	return n, nil
}

func setTTL(c *net.TCPConn, ttl int) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TTL, ttl)
		if serr != nil {
			// an IPv6 connection
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, ttl)
		}
	}); err != nil {
		return err
	}
	return serr
}
