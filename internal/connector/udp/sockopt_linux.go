package udp

import (
	"errors"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// pendingError reads (and clears) the error the kernel holds for c: an
// ICMP error for a datagram sent on a connected socket.
func pendingError(c *net.UDPConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var soerr int
	var gerr error
	if err := rc.Control(func(fd uintptr) { soerr, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR) }); err != nil {
		return err
	}
	if gerr != nil {
		return gerr
	}
	if soerr != 0 {
		return syscall.Errno(soerr)
	}
	return nil
}

func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
