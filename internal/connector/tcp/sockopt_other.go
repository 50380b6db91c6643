//go:build !linux

package tcp

import "net"

// unacked cannot look into the send queue here: the offramp acks on write.
func unacked(*net.TCPConn) (int, error) { return 0, errUnsupported }

func setTTL(*net.TCPConn, int) error { return nil }
