// Package dns is the dns offramp: each event is a DNS lookup whose
// answer goes to the pipelines linked to the offramp's `out` port.
package dns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"slices"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSink(sdk.SinkSpec[sinkConfig]{
		Name:    "dns",
		Summary: "Resolves each event's `lookup` and sends the answer to the `out` port",
		Docs: "An event `{\"lookup\": \"example.com\"}` asks for the name's A and AAAA records; `{\"lookup\": {\"name\": " +
			"\"example.com\", \"type\": \"MX\"}}` for one type (A, AAAA, ANY, CAA, CNAME, HINFO, HTTPS, MX, NAPTR, " +
			"NS, NULL, OPENPGPKEY, PTR, SOA, SRV, SSHFP, SVCB, TLSA, TXT; Tremor's ANAME, a draft, is not supported). The answer goes to the pipelines linked to " +
			"the offramp's `out` port (no `linked: true` needed, as in Tremor 0.11) as a list of records such as " +
			"`{\"A\": \"93.184.216.34\", \"ttl\": 300}`, with the request's `$correlation`; a lookup that cannot be made " +
			"(a malformed event, an unknown type, a name that does not exist) sends `{\"event\": ..., \"error\": ...}` " +
			"to `err`.\n\n" +
			"It asks the servers of /etc/resolv.conf, or `resolver`. An event is acked once the resolver answered — " +
			"records, or that there are none — and failed when no server answered within `timeout_ms`; then the " +
			"circuit breaker opens until a server answers again.",
		DefaultCodec: "null",
		Acks:         "a DNS server answered the lookup (records, or that there are none)",
		New:          newSink,
	})
}

type sinkConfig struct {
	Resolver  string `conf:"resolver" doc:"The DNS server to ask (host:port); the servers of /etc/resolv.conf when empty (not in Tremor 0.11)." example:"127.0.0.1:53"`
	TimeoutMS uint64 `conf:"timeout_ms" default:"5000" min:"1" doc:"Milliseconds to wait for a server's answer."`
}

var types = map[string]uint16{
	"A": mdns.TypeA, "AAAA": mdns.TypeAAAA, "ANY": mdns.TypeANY, "CAA": mdns.TypeCAA,
	"CNAME": mdns.TypeCNAME, "HINFO": mdns.TypeHINFO, "HTTPS": mdns.TypeHTTPS, "MX": mdns.TypeMX, "NAPTR": mdns.TypeNAPTR,
	"NS": mdns.TypeNS, "NULL": mdns.TypeNULL, "OPENPGPKEY": mdns.TypeOPENPGPKEY, "PTR": mdns.TypePTR, "SOA": mdns.TypeSOA,
	"SRV": mdns.TypeSRV, "SSHFP": mdns.TypeSSHFP, "SVCB": mdns.TypeSVCB, "TLSA": mdns.TypeTLSA, "TXT": mdns.TypeTXT,
}

type sink struct {
	resolver string
	servers  []string
	timeout  time.Duration
	client   *mdns.Client
	out      sdk.Responses
	log      *slog.Logger
}

var (
	_ sdk.Sink           = (*sink)(nil)
	_ sdk.Responder      = (*sink)(nil)
	_ sdk.AlwaysResponds = (*sink)(nil)
	_ component.Opener   = (*sink)(nil)
)

func newSink(c *sinkConfig, p sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
	if c.Resolver != "" {
		if _, _, err := net.SplitHostPort(c.Resolver); err != nil {
			return nil, sdk.SinkOptions{}, p.At.Errorf("resolver", "`resolver` %q must be host:port, e.g. 127.0.0.1:53", c.Resolver)
		}
	}
	t := sdk.Millis(c.TimeoutMS)
	return &sink{resolver: c.Resolver, timeout: t, client: &mdns.Client{Timeout: t}, log: slog.Default()},
		sdk.SinkOptions{ConfirmTimeout: t + time.Second}, nil
}

func (s *sink) Open(_ context.Context, env component.Env) error {
	if env.Logger != nil {
		s.log = env.Logger
	}
	if s.resolver != "" {
		s.servers = []string{s.resolver}
		return nil
	}
	cc, err := mdns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil {
		return fmt.Errorf("dns offramp: reading /etc/resolv.conf: %w (set `resolver`)", err)
	}
	for _, sv := range cc.Servers {
		s.servers = append(s.servers, net.JoinHostPort(sv, cc.Port))
	}
	if len(s.servers) == 0 {
		return errors.New("dns offramp: /etc/resolv.conf names no server; set `resolver`")
	}
	return nil
}

func (s *sink) SetResponses(out sdk.Responses) { s.out = out }
func (s *sink) AlwaysResponds()                {}
func (s *sink) Peer() string                   { return "dns://" + strings.Join(s.servers, ",") }

// Connect asks the servers for the root's NS records: one answering is
// enough.
func (s *sink) Connect(ctx context.Context) error {
	m := new(mdns.Msg)
	m.SetQuestion(".", mdns.TypeNS)
	_, err := s.exchange(ctx, m)
	return err
}

func (s *sink) Disconnect() error { return nil }

// exchange asks each server in turn until one answers.
func (s *sink) exchange(ctx context.Context, m *mdns.Msg) (*mdns.Msg, error) {
	var errs []error
	for _, sv := range s.servers {
		r, _, err := s.client.ExchangeContext(ctx, m, sv)
		if err == nil {
			return r, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", sv, err))
	}
	return nil, fmt.Errorf("no DNS server answered: %w", errors.Join(errs...))
}

// unreachable: no server answered; the connection counts as lost.
type unreachable struct{ err error }

func (u *unreachable) Error() string { return u.err.Error() }
func (u *unreachable) Unwrap() error { return u.err }

func (s *sink) Write(ctx context.Context, b *sdk.Batch) error {
	for i := range b.Messages {
		m := &b.Messages[i]
		data, err := s.lookup(ctx, m.Data)
		var un *unreachable
		switch {
		case errors.As(err, &un):
			return un.err
		case err != nil:
			s.respond(ctx, "err", m, event.RecordOf("event", event.DeepCopy(m.Data), "error", err.Error()))
		default:
			s.respond(ctx, "out", m, data)
		}
		b.Settle(i, nil)
	}
	return nil
}

func (s *sink) respond(ctx context.Context, port string, m *sdk.Message, v event.Value) {
	if s.out == nil {
		return
	}
	if err := s.out.Respond(ctx, port, &sdk.Response{Request: m, Values: []event.Value{v}}); err != nil {
		s.log.Warn("dns offramp: an answer could not be handed on", "port", port, "err", err)
	}
}

// lookup resolves one event's `lookup`.
func (s *sink) lookup(ctx context.Context, v event.Value) (event.Value, error) {
	l, ok := sdk.MetaGet(v, "lookup")
	if !ok {
		return nil, errors.New("invalid DNS request: the event has no `lookup`")
	}
	name, isStr := l.(string)
	var qtypes []uint16
	if !isStr {
		if name, isStr = sdk.MetaString(l, "name"); !isStr {
			return nil, errors.New("invalid DNS request: `lookup` must be a name or a record with `name`")
		}
		if t, ok := sdk.MetaString(l, "type"); ok {
			qt, known := types[t]
			if !known {
				names := make([]string, 0, len(types))
				for k := range types {
					names = append(names, k)
				}
				slices.Sort(names)
				return nil, fmt.Errorf("invalid or unsupported record type: %s (one of %s)", t, strings.Join(names, ", "))
			}
			qtypes = []uint16{qt}
		}
	}
	if qtypes == nil {
		qtypes = []uint16{mdns.TypeA, mdns.TypeAAAA}
	}
	out := []event.Value{}
	fqdn := mdns.Fqdn(name)
	for _, qt := range qtypes {
		m := new(mdns.Msg)
		m.SetQuestion(fqdn, qt)
		m.RecursionDesired = true
		r, err := s.exchange(ctx, m)
		if err != nil {
			return nil, &unreachable{err}
		}
		switch r.Rcode {
		case mdns.RcodeSuccess:
		case mdns.RcodeNameError:
			return nil, fmt.Errorf("no record found for %s", name)
		default:
			return nil, fmt.Errorf("the DNS server answered %s for %s", mdns.RcodeToString[r.Rcode], name)
		}
		for _, rr := range r.Answer {
			if rv := rrValue(rr); rv != nil {
				out = append(out, rv)
			}
		}
	}
	if len(out) == 0 && len(qtypes) == 2 {
		return nil, fmt.Errorf("no record found for %s", name)
	}
	return out, nil
}

// rrValue is {TYPE: data, "ttl": N} for one answer record.
func rrValue(rr mdns.RR) event.Value {
	h := rr.Header()
	typ := mdns.TypeToString[h.Rrtype]
	if _, ok := types[typ]; !ok || typ == "ANY" {
		return nil
	}
	var data string
	switch t := rr.(type) {
	case *mdns.A:
		data = t.A.String()
	case *mdns.AAAA:
		data = t.AAAA.String()
	case *mdns.CNAME:
		data = t.Target
	case *mdns.PTR:
		data = t.Ptr
	case *mdns.NS:
		data = t.Ns
	case *mdns.TXT:
		data = strings.Join(t.Txt, "")
	default:
		data = strings.TrimSpace(strings.TrimPrefix(rr.String(), h.String()))
	}
	return event.RecordOf(typ, data, "ttl", int64(h.Ttl))
}
