// Package builtin links every built-in component into the binary: it is
// the one import list. Adding a component is one new package plus one line
// here; nothing else names components.
package builtin

import (
	// Codecs.
	_ "github.com/temblor-dev/temblor/internal/codec"
	// Pre- and postprocessors.
	_ "github.com/temblor-dev/temblor/internal/processor"
	// Operators.
	_ "github.com/temblor-dev/temblor/internal/pipeline/op"

	// Operators (and, through the pipeline and the language, windows
	// and aggregates).
	_ "github.com/temblor-dev/temblor/internal/pipeline/op"

	// Connectors.
	_ "github.com/temblor-dev/temblor/internal/connector/amqp"
	_ "github.com/temblor-dev/temblor/internal/connector/blackhole"
	_ "github.com/temblor-dev/temblor/internal/connector/blaster"
	_ "github.com/temblor-dev/temblor/internal/connector/cb"
	_ "github.com/temblor-dev/temblor/internal/connector/crononome"
	_ "github.com/temblor-dev/temblor/internal/connector/debug"
	_ "github.com/temblor-dev/temblor/internal/connector/dns"
	_ "github.com/temblor-dev/temblor/internal/connector/exit"
	_ "github.com/temblor-dev/temblor/internal/connector/file"
	_ "github.com/temblor-dev/temblor/internal/connector/kafka"
	_ "github.com/temblor-dev/temblor/internal/connector/kv"
	_ "github.com/temblor-dev/temblor/internal/connector/metronome"
	_ "github.com/temblor-dev/temblor/internal/connector/nats"
	_ "github.com/temblor-dev/temblor/internal/connector/otel"
	_ "github.com/temblor-dev/temblor/internal/connector/postgres"
	_ "github.com/temblor-dev/temblor/internal/connector/rest"
	_ "github.com/temblor-dev/temblor/internal/connector/stdio"
	_ "github.com/temblor-dev/temblor/internal/connector/tcp"
	_ "github.com/temblor-dev/temblor/internal/connector/udp"
	_ "github.com/temblor-dev/temblor/internal/connector/unixsocket"
	_ "github.com/temblor-dev/temblor/internal/connector/unsupported"
	_ "github.com/temblor-dev/temblor/internal/connector/ws"
)
