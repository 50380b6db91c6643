package component

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// Env is what a component gets when it is opened.
type Env struct {
	// URL names the instance, e.g. "/onramp/metronome/01" or
	// "/pipeline/main/01/on_disk_wal".
	URL    string
	Logger *slog.Logger
	// Metrics is where the component registers its collectors; never
	// nil (a private registry when nobody scrapes).
	Metrics prometheus.Registerer
	// DataDir is the server's --data-dir, for state that must survive a
	// restart.
	DataDir string
}

// Opener is a component that holds resources outside the process: Open
// acquires them (files, sockets, goroutines). It is called once, after
// New, and never by `--validate`.
type Opener interface {
	Open(ctx context.Context, env Env) error
}

// Closer releases what Open acquired. It is called once, also after a
// failed Open.
type Closer interface {
	Close() error
}
