package rest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSink(sdk.SinkSpec[sinkConfig]{
		Name:    "rest",
		Summary: "HTTP client: each event is a request to `endpoint` (method, headers and URL overridable per event)",
		Docs: "Each event is one request: its body is the event encoded by the codec the `codec_map` names for the " +
			"Content-Type it asks for (the offramp's codec otherwise) and the postprocessors. `$request.method` and " +
			"`$request.headers` (a string or a list of strings per name; Content-Length is computed) override `method` " +
			"and `headers`, and `$endpoint` — a URL, or a record of `scheme`, `host`, `port`, `path`, `query`, " +
			"`fragment`, `username`, `password` merged into `endpoint` — overrides where it goes, as in Tremor 0.11. " +
			"Up to `concurrency` requests are in flight at once.\n\n" +
			"An event is acked when its request was answered with a 2xx status and failed otherwise (with the status " +
			"and the start of the body as the reason). A request that cannot reach the configured endpoint at all " +
			"(connection refused, a timeout after `timeout_ms`) also opens the circuit breaker: the offramp then checks " +
			"with backoff whether the endpoint accepts connections again and closes the breaker when it does; events " +
			"that arrive meanwhile are failed at once (a `qos::wal` upstream re-sends them).\n\n" +
			"With `linked: true` every response goes to the pipelines linked to the offramp's `out` port, whatever " +
			"its status: the body decoded by the codec its Content-Type names in the `codec_map` (the offramp's codec " +
			"otherwise) and the preprocessors, with `$response = {\"status\": 200, \"headers\": {...}, \"request\": " +
			"{\"method\", \"headers\", \"endpoint\"}}` and the request's `$correlation`; a request that got no response " +
			"sends an error event to `err` (status 503, as Tremor did).",
		DefaultCodec: "json",
		Acks:         "the request was answered with a 2xx status",
		New:          newSink,
	})
}

type sinkConfig struct {
	Endpoint         any               `conf:"endpoint" doc:"Where requests go: a URL, or a record of scheme, host, port, path, query, fragment, username and password. Without it (as Tremor allowed) every event must name its own in $endpoint." example:"http://localhost:8080/ingest"`
	Method           string            `conf:"method" default:"POST" doc:"HTTP method of the requests (any case)."`
	Headers          map[string]string `conf:"headers" doc:"Headers of every request."`
	Concurrency      int               `conf:"concurrency" default:"4" min:"1" max:"10000" doc:"Requests in flight at once, at most."`
	TimeoutMS        uint64            `conf:"timeout_ms" default:"10000" min:"1" doc:"Milliseconds a request may take (connecting, sending, the response) before it fails."`
	BackoffInitialMS uint64            `conf:"backoff_initial_ms" default:"100" min:"1" doc:"Milliseconds before the first check whether an unreachable endpoint is back; the wait doubles up to backoff_max_ms."`
	BackoffMaxMS     uint64            `conf:"backoff_max_ms" default:"5000" min:"1" doc:"Longest wait between checks, in milliseconds."`
}

var methods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}

type sink struct {
	endpoint *url.URL
	method   string
	headers  map[string]string
	timeout  time.Duration
	sem      chan struct{}
	client   *http.Client
	log      *slog.Logger

	enc *sdk.Encoder
	out sdk.Responses

	mu       sync.Mutex
	inflight int
	idle     chan struct{} // closed while inflight == 0
	down     error         // set when the endpoint could not be reached
	ctx      context.Context
	cancel   context.CancelFunc
}

var (
	_ sdk.Sink         = (*sink)(nil)
	_ sdk.Confirmer    = (*sink)(nil)
	_ sdk.Responder    = (*sink)(nil)
	_ sdk.EncoderUser  = (*sink)(nil)
	_ component.Opener = (*sink)(nil)
	_ component.Closer = (*sink)(nil)
)

// parseEndpoint reads `endpoint`: a URL or a record of its parts.
func parseEndpoint(v any) (*url.URL, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		u, err := url.Parse(t)
		if err != nil {
			return nil, fmt.Errorf("`endpoint` %q is not a URL: %v", t, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("`endpoint` %q must be an http:// or https:// URL with a host", t)
		}
		return u, nil
	case *event.Record:
		for _, k := range t.Keys() {
			if !slices.Contains(endpointParts, k) {
				return nil, &partError{k}
			}
		}
		u := &url.URL{Scheme: "http", Host: "localhost"}
		if err := mergeEndpoint(u, t); err != nil {
			return nil, err
		}
		return u, nil
	}
	return nil, fmt.Errorf("`endpoint` must be a URL or a record of its parts, got %s", event.TypeName(v))
}

// partError names an endpoint part that does not exist.
type partError struct{ part string }

func (e *partError) Error() string {
	return fmt.Sprintf("`endpoint` has no part `%s` (it has %s)", e.part, strings.Join(endpointParts, ", "))
}

var endpointParts = []string{"scheme", "username", "password", "host", "port", "path", "query", "fragment"}

// mergeEndpoint overwrites u's parts with those rec has (Tremor's merge).
func mergeEndpoint(u *url.URL, rec *event.Record) error {
	str := func(k string) (string, bool) {
		v, ok := rec.Get(k)
		s, isStr := v.(string)
		return s, ok && isStr
	}
	if s, ok := str("scheme"); ok {
		if s != "http" && s != "https" {
			return fmt.Errorf("endpoint scheme %q must be http or https", s)
		}
		u.Scheme = s
	}
	host, port := u.Hostname(), u.Port()
	if s, ok := str("host"); ok {
		host = s
	}
	if p, ok := sdk.MetaInt(rec, "port"); ok {
		if p < 0 || p > 65535 {
			return fmt.Errorf("endpoint port %d is out of range", p)
		}
		port = strconv.Itoa(int(p))
	}
	u.Host = host
	if port != "" {
		u.Host = net.JoinHostPort(host, port)
	}
	user, hasUser := str("username")
	pw, hasPw := str("password")
	if hasUser || hasPw {
		if !hasUser && u.User != nil {
			user = u.User.Username()
		}
		if hasPw {
			u.User = url.UserPassword(user, pw)
		} else {
			u.User = url.User(user)
		}
	}
	if s, ok := str("path"); ok {
		u.Path = s
	}
	if s, ok := str("query"); ok {
		u.RawQuery = s
	}
	if s, ok := str("fragment"); ok {
		u.Fragment = s
	}
	return nil
}

func newSink(c *sinkConfig, p sdk.Params) (sdk.Sink, sdk.SinkOptions, error) {
	u, err := parseEndpoint(c.Endpoint)
	if err != nil {
		var pe *partError
		if errors.As(err, &pe) {
			return nil, sdk.SinkOptions{}, p.At.Errorf("endpoint."+pe.part, "%v", err)
		}
		return nil, sdk.SinkOptions{}, p.At.Errorf("endpoint", "%v", err)
	}
	m := strings.ToUpper(strings.TrimSpace(c.Method))
	known := false
	for _, x := range methods {
		known = known || x == m
	}
	if !known {
		return nil, sdk.SinkOptions{}, p.At.Errorf("method", "`method` %q is not an HTTP method (one of %s)", c.Method, strings.Join(methods, ", "))
	}
	for name := range c.Headers {
		if name == "" || strings.ContainsAny(name, " :\r\n") {
			return nil, sdk.SinkOptions{}, p.At.Errorf("headers", "header name %q is not valid", name)
		}
	}
	if c.BackoffMaxMS < c.BackoffInitialMS {
		return nil, sdk.SinkOptions{}, p.At.Errorf("backoff_max_ms", "`backoff_max_ms` (%d) must be at least `backoff_initial_ms` (%d)", c.BackoffMaxMS, c.BackoffInitialMS)
	}
	s := &sink{endpoint: u, method: m, headers: c.Headers, timeout: sdk.Millis(c.TimeoutMS), sem: make(chan struct{}, c.Concurrency),
		log: slog.Default(), idle: make(chan struct{})}
	close(s.idle)
	s.client = &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: c.Concurrency,
		IdleConnTimeout: 90 * time.Second, ResponseHeaderTimeout: s.timeout}}
	// Every request in flight is confirmed at the latest after its timeout.
	return s, sdk.SinkOptions{MaxUnconfirmed: max(256, c.Concurrency), ConfirmTimeout: s.timeout + time.Second,
		BackoffInitial: sdk.Millis(c.BackoffInitialMS), BackoffMax: sdk.Millis(c.BackoffMaxMS)}, nil
}

func (s *sink) Open(_ context.Context, env component.Env) error {
	if env.Logger != nil {
		s.log = env.Logger
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return nil
}

func (s *sink) Close() error {
	if s.cancel != nil {
		s.cancel()
	}
	s.client.CloseIdleConnections()
	return nil
}

func (s *sink) SetEncoder(enc *sdk.Encoder)    { s.enc = enc }
func (s *sink) SetResponses(out sdk.Responses) { s.out = out }
func (s *sink) Peer() string                   { return s.endpoint.Redacted() }

// Connect checks that the endpoint accepts connections (the requests
// themselves open and reuse theirs).
func (s *sink) Connect(ctx context.Context) error {
	if s.ctx == nil {
		s.ctx, s.cancel = context.WithCancel(context.Background())
	}
	if s.endpoint == nil {
		return nil // each event names its endpoint: nothing to check
	}
	addr := s.endpoint.Host
	if s.endpoint.Port() == "" {
		port := "80"
		if s.endpoint.Scheme == "https" {
			port = "443"
		}
		addr = net.JoinHostPort(s.endpoint.Hostname(), port)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	_ = c.Close()
	s.mu.Lock()
	s.down = nil
	s.mu.Unlock()
	return nil
}

// Write starts a request per message (waiting while `concurrency` are in
// flight); their outcomes settle the messages one by one.
func (s *sink) Write(ctx context.Context, b *sdk.Batch) error {
	for i := range b.Messages {
		req, err := s.request(&b.Messages[i])
		if err != nil {
			b.Settle(i, err)
			s.respondError(&b.Messages[i], 400, err)
			continue
		}
		select {
		case s.sem <- struct{}{}:
		case <-ctx.Done():
			b.Settle(i, fmt.Errorf("not sent: %d requests in flight for too long", cap(s.sem)))
			for j := i + 1; j < len(b.Messages); j++ {
				b.Settle(j, errors.New("not sent: the offramp is busy"))
			}
			return nil
		}
		s.mu.Lock()
		if s.inflight == 0 {
			s.idle = make(chan struct{})
		}
		s.inflight++
		s.mu.Unlock()
		go s.do(req, b, i)
	}
	return nil
}

func (s *sink) done() {
	<-s.sem
	s.mu.Lock()
	s.inflight--
	if s.inflight == 0 {
		close(s.idle)
	}
	s.mu.Unlock()
}

// request builds the HTTP request for one message.
func (s *sink) request(m *sdk.Message) (*http.Request, error) {
	method := s.method
	if v, ok := sdk.MetaString(m.Meta, "request", "method"); ok {
		method = strings.ToUpper(strings.TrimSpace(v))
	}
	var u url.URL
	if s.endpoint != nil {
		u = *s.endpoint
	} else {
		u = url.URL{Scheme: "http", Host: "localhost"}
	}
	ep, hasEP := sdk.MetaGet(m.Meta, "endpoint")
	if !hasEP && s.endpoint == nil {
		return nil, errors.New("no endpoint: the offramp has no `endpoint` and the event no $endpoint")
	}
	if hasEP {
		switch t := ep.(type) {
		case string:
			pu, err := parseEndpoint(t)
			if err != nil {
				return nil, fmt.Errorf("$endpoint: %w", err)
			}
			u = *pu
		case *event.Record:
			if err := mergeEndpoint(&u, t); err != nil {
				return nil, fmt.Errorf("$endpoint: %w", err)
			}
		default:
			return nil, fmt.Errorf("$endpoint must be a URL or a record, got %s", event.TypeName(ep))
		}
	}
	h := http.Header{}
	for k, v := range s.headers {
		h.Set(k, v)
	}
	contentType := ""
	if hs, ok := sdk.MetaGet(m.Meta, "request", "headers"); ok {
		if rec, ok := hs.(*event.Record); ok {
			for _, name := range rec.Keys() {
				if strings.EqualFold(name, "content-length") || strings.EqualFold(name, "host") {
					continue
				}
				v, _ := rec.Get(name)
				var vals []string
				switch t := v.(type) {
				case string:
					vals = []string{t}
				case []event.Value:
					for _, x := range t {
						if sv, ok := x.(string); ok {
							vals = append(vals, sv)
						}
					}
				}
				if len(vals) == 0 {
					continue
				}
				h.Del(name)
				for _, x := range vals {
					h.Add(name, x)
				}
			}
		}
	}
	contentType = h.Get("Content-Type")
	body := joined(m.Payloads)
	if contentType != "" && s.enc != nil {
		b, _, err := s.enc.Encode(m.Data, contentType, m.IngestNS)
		if err != nil {
			return nil, err
		}
		body = b
	} else if s.enc != nil {
		if media := s.enc.MediaType(""); media != "" {
			h.Set("Content-Type", media)
		}
	}
	req, err := http.NewRequestWithContext(s.ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = h
	return req, nil
}

func joined(ps [][]byte) []byte {
	if len(ps) == 1 {
		return ps[0]
	}
	var b []byte
	for _, p := range ps {
		b = append(b, p...)
	}
	return b
}

// do sends one request and settles its message.
func (s *sink) do(req *http.Request, b *sdk.Batch, i int) {
	defer s.done()
	m := &b.Messages[i]
	ctx, cancel := context.WithTimeout(req.Context(), s.timeout)
	defer cancel()
	reqMeta := requestMetaOut(req)
	rsp, err := s.client.Do(req.WithContext(ctx))
	if err != nil {
		b.Settle(i, fmt.Errorf("request to %s failed: %w", req.URL.Redacted(), err))
		if s.endpoint != nil && req.URL.Host == s.endpoint.Host {
			s.mu.Lock()
			if s.down == nil {
				s.down = err
			}
			s.mu.Unlock()
		}
		s.respondError(m, 503, err)
		return
	}
	body, rerr := io.ReadAll(io.LimitReader(rsp.Body, 64<<20))
	_ = rsp.Body.Close()
	var outcome error
	switch {
	case rerr != nil:
		outcome = fmt.Errorf("reading the response of %s: %w", req.URL.Redacted(), rerr)
	case rsp.StatusCode < 200 || rsp.StatusCode > 299:
		outcome = fmt.Errorf("%s %s answered %s: %s", req.Method, req.URL.Redacted(), rsp.Status, snippet(body))
	}
	if s.out != nil && s.out.Linked("out") && rerr == nil {
		meta := event.RecordOf("response", event.RecordOf("status", int64(rsp.StatusCode), "headers", headerRecord(rsp.Header), "request", reqMeta))
		if err := s.out.Respond(s.ctx, "out", &sdk.Response{Request: m, Frames: [][]byte{body}, ContentType: rsp.Header.Get("Content-Type"), Meta: meta}); err != nil {
			s.log.Warn("rest offramp: a response could not be handed on", "err", err)
		}
	}
	if outcome != nil && (s.out == nil || !s.out.Linked("out")) {
		s.log.Warn("rest offramp: request failed", "err", outcome)
	}
	b.Settle(i, outcome)
}

func snippet(b []byte) string {
	const n = 200
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		return s[:n] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

// respondError sends Tremor's error event for a request that got no
// response to the `err` port.
func (s *sink) respondError(m *sdk.Message, status int, err error) {
	if s.out == nil || !s.out.Linked("err") {
		return
	}
	meta := event.RecordOf("response", event.RecordOf("status", int64(status),
		"headers", event.RecordOf("Content-Type", "application/json", "Server", "temblor")), "error", err.Error())
	data := event.RecordOf("error", err.Error(), "event_id", m.ID().String())
	if rerr := s.out.Respond(s.ctx, "err", &sdk.Response{Request: m, Values: []event.Value{data}, Meta: meta}); rerr != nil {
		s.log.Warn("rest offramp: an error event could not be handed on", "err", rerr)
	}
}

func headerRecord(h http.Header) *event.Record {
	names := make([]string, 0, len(h))
	for n := range h {
		names = append(names, n)
	}
	sort.Strings(names)
	r := event.NewRecord(len(names))
	for _, n := range names {
		vals := make([]event.Value, 0, len(h[n]))
		for _, v := range h[n] {
			vals = append(vals, v)
		}
		r.Set(strings.ToLower(n), vals)
	}
	return r
}

// requestMetaOut is $response.request: what was sent.
func requestMetaOut(req *http.Request) *event.Record {
	u := req.URL
	ep := event.NewRecord(8)
	opt := func(k, v string) {
		if v == "" {
			ep.Set(k, nil)
		} else {
			ep.Set(k, v)
		}
	}
	opt("scheme", u.Scheme)
	user, pw := "", ""
	hasPw := false
	if u.User != nil {
		user = u.User.Username()
		pw, hasPw = u.User.Password()
	}
	opt("username", user)
	if hasPw {
		ep.Set("password", pw)
	} else {
		ep.Set("password", nil)
	}
	opt("host", u.Hostname())
	if p, err := strconv.Atoi(u.Port()); err == nil {
		ep.Set("port", int64(p))
	} else {
		ep.Set("port", nil)
	}
	opt("path", u.Path)
	opt("query", u.RawQuery)
	opt("fragment", u.Fragment)
	return event.RecordOf("method", req.Method, "headers", headerRecord(req.Header), "endpoint", ep)
}

// Confirm waits for every request in flight; it fails (dropping the
// connection, opening the breaker) when the endpoint could not be reached.
func (s *sink) Confirm(ctx context.Context) error {
	s.mu.Lock()
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
	case <-ctx.Done():
		return fmt.Errorf("requests still in flight: %w", ctx.Err())
	}
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down != nil {
		return fmt.Errorf("the endpoint cannot be reached: %w", down)
	}
	return nil
}

// Disconnect cancels what is in flight and waits for it to settle.
func (s *sink) Disconnect() error {
	if s.cancel != nil {
		s.cancel()
	}
	s.mu.Lock()
	idle := s.idle
	s.mu.Unlock()
	<-idle
	s.client.CloseIdleConnections()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return nil
}
