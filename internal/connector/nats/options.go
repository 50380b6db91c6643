// Package nats is the nats onramp and offramp on nats.go: core NATS as
// Tremor 0.11 had it, and JetStream — a durable pull consumer that acks a
// message only once its event was acked (and naks it with backoff when it
// failed), and a publisher that acks an event only once the stream stored
// it.
//
// It never acks a JetStream message whose event was not acked, and never
// acks an event the server did not confirm.
package nats

import (
	"fmt"
	"strings"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"github.com/temblor-dev/temblor/internal/conf"
)

// connectOptions are Tremor's `options` of the nats connectors.
type connectOptions struct {
	Token               string `conf:"token" doc:"Authenticate with this token."`
	Username            string `conf:"username" doc:"Authenticate as this user (with password)."`
	Password            string `conf:"password" doc:"The user's password."`
	CredentialsPath     string `conf:"credentials_path" doc:"A .creds file (JWT and seed)."`
	CertPath            string `conf:"cert_path" doc:"Client certificate (PEM), with key_path."`
	KeyPath             string `conf:"key_path" doc:"Client key (PEM), with cert_path."`
	Name                string `conf:"name" doc:"The connection's name, shown by the server."`
	Echo                bool   `conf:"echo" doc:"As in Tremor 0.11, whose option was inverted: true turns echo OFF (the server does not send this connection's own messages back to its subscriptions)."`
	MaxReconnects       *int64 `conf:"max_reconnects" doc:"Accepted for Tremor configs; temblor reconnects itself, with backoff, for as long as it runs (its circuit breaker holds input meanwhile)."`
	ReconnectBufferSize *int64 `conf:"reconnect_buffer_size" doc:"Accepted for Tremor configs; nothing is buffered while disconnected (events are failed and re-sent by a qos::wal)."`
	TLS                 bool   `conf:"tls" doc:"Require TLS."`
	RootCert            string `conf:"root_cert" doc:"CA certificates (PEM) to verify the server with."`
}

func checkOptions(o *connectOptions, at conf.At) error {
	if (o.CertPath == "") != (o.KeyPath == "") {
		return at.Errorf(given("options.cert_path", "options.key_path", o.CertPath != ""), "`cert_path` and `key_path` go together")
	}
	if (o.Username == "") != (o.Password == "") {
		return at.Errorf(given("options.username", "options.password", o.Username != ""), "`username` and `password` go together")
	}
	return nil
}

// given is a when it was given, else b.
func given(a, b string, aGiven bool) string {
	if aGiven {
		return a
	}
	return b
}

// natsOptions are the nats.go options for o; temblor reconnects itself.
func (o *connectOptions) natsOptions(name string) []natsgo.Option {
	opts := []natsgo.Option{natsgo.NoReconnect(), natsgo.Timeout(5 * time.Second), natsgo.Name(name)}
	if o.Token != "" {
		opts = append(opts, natsgo.Token(o.Token))
	}
	if o.Username != "" {
		opts = append(opts, natsgo.UserInfo(o.Username, o.Password))
	}
	if o.CredentialsPath != "" {
		opts = append(opts, natsgo.UserCredentials(o.CredentialsPath))
	}
	if o.CertPath != "" {
		opts = append(opts, natsgo.ClientCert(o.CertPath, o.KeyPath))
	}
	if o.Name != "" {
		opts = append(opts, natsgo.Name(o.Name))
	}
	if o.Echo {
		opts = append(opts, natsgo.NoEcho())
	}
	if o.TLS {
		opts = append(opts, natsgo.Secure())
	}
	if o.RootCert != "" {
		opts = append(opts, natsgo.RootCAs(o.RootCert))
	}
	return opts
}

// servers checks hosts (host:port or nats:// URLs) and joins them for
// nats.Connect.
func servers(hosts []string, at conf.At) (string, error) {
	if len(hosts) == 0 {
		return "", at.Errorf("hosts", "`hosts` is empty; name at least one server as host:port")
	}
	for i, h := range hosts {
		if strings.TrimSpace(h) == "" || strings.ContainsAny(h, " ,") {
			return "", at.Errorf(fmt.Sprintf("hosts.%d", i), "%q is not a server address (host:port or nats://host:port)", h)
		}
	}
	return strings.Join(hosts, ","), nil
}
