// Package amqp is the AMQP 0-9-1 connector family (RabbitMQ): an onramp
// that consumes a queue, acking each message to the broker only once its
// events were delivered, and an offramp that publishes with publisher
// confirms. The client is rabbitmq/amqp091-go.
package amqp

import (
	"fmt"
	"net/url"
)

// checkURL checks an amqp:// or amqps:// address.
func checkURL(addr string) error {
	u, err := url.Parse(addr)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %v", addr, err)
	}
	if u.Scheme != "amqp" && u.Scheme != "amqps" {
		return fmt.Errorf("%q: use amqp://user:password@host:port/vhost (or amqps://)", addr)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", addr)
	}
	return nil
}

// redact hides the password of an address, for logs.
func redact(addr string) string {
	u, err := url.Parse(addr)
	if err != nil {
		return "amqp"
	}
	return u.Redacted()
}
