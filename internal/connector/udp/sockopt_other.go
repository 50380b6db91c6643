//go:build !linux

package udp

import (
	"errors"
	"net"
	"syscall"
)

// pendingError: other systems report a refusal at the next send only.
func pendingError(*net.UDPConn) error { return nil }

func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

func countDrops(*net.UDPConn) error { return errors.New("not on this system") }

func parseDrops([]byte) (uint32, bool) { return 0, false }
