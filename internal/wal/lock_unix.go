package wal

import "golang.org/x/sys/unix"

var errWouldBlock = unix.EWOULDBLOCK
