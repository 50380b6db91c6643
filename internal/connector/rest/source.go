// Package rest is the HTTP connector family: an onramp that is an HTTP
// server (each request is input; linked, the pipeline's reply is the
// response) and an offramp that is an HTTP client (acked on a 2xx
// response; linked, the response goes on to pipelines).
package rest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	sdk.RegisterSource(sdk.SourceSpec[sourceConfig]{
		Name:    "rest",
		Summary: "HTTP server on `host`:`port`; each request's body is input, its method, path, headers and query in `$request`",
		Docs: "Every request, on any path and with any method, becomes input: its body is decoded by the codec the " +
			"`codec_map` names for its Content-Type (the onramp's codec otherwise) and its metadata is\n" +
			"`$request = {\"method\": \"POST\", \"headers\": {\"content-type\": [\"application/json\"], ...}, " +
			"\"url\": {\"scheme\": \"http\", \"host\": \"...\", \"port\": 8000, \"path\": \"/a/b\", \"query\": \"x=1\"}}` " +
			"(header names in lower case, each with the list of its values; `port`, `query`, `fragment`, `username` " +
			"and `password` only when the URL has them), as in Tremor 0.11.\n\n" +
			"The request's events are transactional. Tremor answered 202 at once, before anything was delivered; this " +
			"onramp answers once they were: 202 Accepted when every event made from the body was acked downstream (by " +
			"the offramps it reached, or stored by a `qos::wal`), 503 Service Unavailable (with the reason) when one " +
			"failed, 504 Gateway Timeout when they were not answered within `ack_timeout_ms` — so a client that retries " +
			"on 5xx loses nothing. A body that cannot be decoded is answered 400 Bad Request with the error (the error " +
			"also goes to the `err` port); a body over `max_body_bytes` 413.\n\n" +
			"With `linked: true` the response is what the pipeline sends to the onramp's `in` port for the request's " +
			"event: the status is `$response.status` (200 by default), the headers `$response.headers` (a string or a " +
			"list of strings each), and the body the event encoded by the codec its Content-Type names in the " +
			"`codec_map` (the onramp's codec otherwise, whose media type is then the Content-Type) and the " +
			"postprocessors. A request whose events failed downstream is answered 503; one that got no response " +
			"within `ack_timeout_ms` 504.",
		DefaultCodec: "json",
		New: func(c *sourceConfig, p sdk.Params) (sdk.Source, error) {
			return &Source{host: c.Host, port: c.Port, maxBody: int64(c.MaxBodyBytes), ackTimeout: sdk.Millis(c.AckTimeoutMS)}, nil
		},
	})
}

type sourceConfig struct {
	Host         string `conf:"host" default:"0.0.0.0" doc:"The address to listen on."`
	Port         uint16 `conf:"port" default:"8000" doc:"The port to listen on; 0 picks a free one (logged)."`
	MaxBodyBytes uint64 `conf:"max_body_bytes" default:"16777216" min:"1" max:"1099511627776" doc:"The largest request body taken, in bytes; a larger request is answered 413."`
	AckTimeoutMS uint64 `conf:"ack_timeout_ms" default:"10000" min:"1" doc:"Milliseconds a request waits for its events to be answered downstream (and, linked, for its response) before it is answered 504."`
}

// Source is the rest onramp. It listens when opened.
type Source struct {
	host       string
	port       uint16
	maxBody    int64
	ackTimeout time.Duration
	log        *slog.Logger
	ln         net.Listener
	stream     atomic.Uint64
}

var (
	_ sdk.PushSource   = (*Source)(nil)
	_ sdk.Replier      = (*Source)(nil)
	_ component.Opener = (*Source)(nil)
	_ component.Closer = (*Source)(nil)
)

// Open binds the port, so that a taken port is an error at start.
func (s *Source) Open(_ context.Context, env component.Env) error {
	s.log = env.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	addr := net.JoinHostPort(s.host, strconv.Itoa(int(s.port)))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("rest onramp cannot listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.log.Info("rest onramp listening", "addr", ln.Addr().String())
	return nil
}

// Addr is the bound address (after Open).
func (s *Source) Addr() net.Addr { return s.ln.Addr() }

// Run serves requests until ctx ends.
func (s *Source) Run(ctx context.Context, out sdk.Output) error {
	var wg sync.WaitGroup
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx },
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			wg.Add(1)
			defer wg.Done()
			s.serve(ctx, w, r, out)
		})}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(s.ln) }()
	select {
	case <-ctx.Done():
		shutCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutCtx)
		_ = srv.Close()
		wg.Wait()
		<-errc
		return nil
	case err := <-errc:
		return err
	}
}

// Close releases the listener if Run never served it.
func (s *Source) Close() error {
	if s.ln == nil {
		return nil
	}
	err := s.ln.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// request is one HTTP request in flight: the Acks of its body's events
// and, linked, where the pipeline's response goes.
type request struct {
	mu       sync.Mutex
	answered bool
	failed   string
	bad      string
	reply    *reply // the response, once the pipeline sent it
	done     bool   // the HTTP response was written
	changed  chan struct{}
}

type reply struct {
	status  int
	headers http.Header
	body    []byte
}

func (q *request) notifyLocked() {
	close(q.changed)
	q.changed = make(chan struct{})
}

func (q *request) Ack(int, int) {
	q.mu.Lock()
	q.answered = true
	q.notifyLocked()
	q.mu.Unlock()
}

func (q *request) Fail(_, _ int, reason string) {
	q.mu.Lock()
	q.answered = true
	if q.failed == "" {
		q.failed = reason
		if reason == "" {
			q.failed = "not delivered"
		}
	}
	q.notifyLocked()
	q.mu.Unlock()
}

func (q *request) BadInput(_ int, err error) {
	q.mu.Lock()
	if q.bad == "" {
		q.bad = err.Error()
	}
	q.mu.Unlock()
}

// Reply takes the pipeline's response to a request (linked).
func (s *Source) Reply(_ context.Context, to any, ev *event.Event, enc *sdk.Encoder) error {
	q, ok := to.(*request)
	if !ok {
		return sdk.ErrNoPeer
	}
	rp, err := buildReply(ev, enc)
	if err != nil {
		s.log.Warn("rest onramp: the response could not be built; answering 500", "err", err)
		rp = errorReply(http.StatusInternalServerError, "the response could not be built: "+err.Error())
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.done || q.reply != nil {
		return sdk.ErrNoPeer
	}
	q.reply = rp
	q.notifyLocked()
	return nil
}

// buildReply turns a response event into status, headers and body.
func buildReply(ev *event.Event, enc *sdk.Encoder) (*reply, error) {
	rp := &reply{status: http.StatusOK, headers: http.Header{}}
	if st, ok := sdk.MetaInt(ev.Meta, "response", "status"); ok {
		if st < 100 || st > 999 {
			return nil, fmt.Errorf("$response.status %d is not an HTTP status", st)
		}
		rp.status = int(st)
	}
	contentType := ""
	if hs, ok := sdk.MetaGet(ev.Meta, "response", "headers"); ok {
		rec, isRec := hs.(*event.Record)
		if !isRec {
			return nil, fmt.Errorf("$response.headers must be a record, got %s", event.TypeName(hs))
		}
		for _, name := range rec.Keys() {
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
			default:
				continue
			}
			for _, x := range vals {
				rp.headers.Add(name, x)
			}
			if strings.EqualFold(name, "content-type") && len(vals) > 0 && contentType == "" {
				contentType = vals[0]
			}
		}
	}
	body, media, err := enc.Encode(ev.Data, contentType, ev.IngestNS)
	if err != nil {
		return nil, err
	}
	if contentType == "" && media != "" {
		rp.headers.Set("Content-Type", media)
	}
	rp.headers.Del("Content-Length")
	rp.body = body
	return rp, nil
}

func errorReply(status int, msg string) *reply {
	b := event.MarshalJSON(event.RecordOf("error", msg))
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Server", "temblor")
	return &reply{status: status, headers: h, body: b}
}

// requestMeta is $request: method, headers and URL, as Tremor 0.11 gave them.
func requestMeta(r *http.Request) *event.Record {
	headers := event.NewRecord(len(r.Header))
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		vals := make([]event.Value, 0, len(r.Header[name]))
		for _, v := range r.Header[name] {
			vals = append(vals, v)
		}
		headers.Set(strings.ToLower(name), vals)
	}
	if r.Host != "" && !headers.Has("host") {
		headers.Set("host", []event.Value{r.Host})
	}
	u := event.NewRecord(7)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u.Set("scheme", scheme)
	if r.URL.User != nil {
		u.Set("username", r.URL.User.Username())
		if pw, ok := r.URL.User.Password(); ok {
			u.Set("password", pw)
		}
	}
	host, port := r.Host, ""
	if h, p, err := net.SplitHostPort(r.Host); err == nil {
		host, port = h, p
	}
	if host != "" {
		u.Set("host", host)
	}
	if n, err := strconv.Atoi(port); err == nil {
		u.Set("port", int64(n))
	}
	u.Set("path", r.URL.Path)
	if r.URL.RawQuery != "" {
		u.Set("query", r.URL.RawQuery)
	}
	if r.URL.Fragment != "" {
		u.Set("fragment", r.URL.Fragment)
	}
	return event.RecordOf("request", event.RecordOf("method", r.Method, "headers", headers, "url", u))
}

// serve turns one request into input and answers it.
func (s *Source) serve(ctx context.Context, w http.ResponseWriter, r *http.Request, out sdk.Output) {
	body, err := io.ReadAll(io.LimitReader(r.Body, s.maxBody+1))
	if err != nil {
		write(w, errorReply(http.StatusBadRequest, "reading the request body: "+err.Error()))
		return
	}
	if int64(len(body)) > s.maxBody {
		write(w, errorReply(http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over max_body_bytes (%d)", s.maxBody)))
		return
	}
	q := &request{changed: make(chan struct{})}
	stream := s.stream.Add(1)
	if fr, ok := out.(sdk.ReplyStreams); ok {
		defer fr.ForgetReplies(stream)
	}
	in := &sdk.Input{Stream: stream, Frames: [][]byte{body}, Meta: []*event.Record{requestMeta(r)}, End: true,
		ContentType: r.Header.Get("Content-Type"), Acks: q, ReplyTo: q}
	wctx, cancel := context.WithTimeout(ctx, s.ackTimeout)
	defer cancel()
	if err := out.Push(wctx, in); err != nil {
		if ctx.Err() != nil {
			write(w, errorReply(http.StatusServiceUnavailable, "the server is shutting down"))
			return
		}
		write(w, errorReply(http.StatusServiceUnavailable, "the pipelines did not take the request in time (an offramp is down?); try again"))
		return
	}
	linked := false
	if l, ok := out.(interface{ Linked() bool }); ok {
		linked = l.Linked()
	}
	for {
		q.mu.Lock()
		rp, answered, failed, bad, ch := q.reply, q.answered, q.failed, q.bad, q.changed
		if rp != nil || (answered && (!linked || failed != "" || bad != "")) {
			q.done = true
		}
		q.mu.Unlock()
		switch {
		case rp != nil:
			write(w, rp)
			return
		case answered && bad != "":
			write(w, errorReply(http.StatusBadRequest, "the body could not be decoded: "+bad))
			return
		case answered && failed != "":
			write(w, errorReply(http.StatusServiceUnavailable, "not delivered: "+failed))
			return
		case answered && !linked:
			w.Header().Set("Server", "temblor")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		select {
		case <-ch:
		case <-wctx.Done():
			q.mu.Lock()
			q.done = true
			q.mu.Unlock()
			if ctx.Err() != nil {
				write(w, errorReply(http.StatusServiceUnavailable, "the server is shutting down"))
				return
			}
			msg := "the events were not answered downstream in time"
			if linked && answered {
				msg = "the pipeline sent no response in time"
			}
			write(w, errorReply(http.StatusGatewayTimeout, msg))
			return
		}
	}
}

func write(w http.ResponseWriter, rp *reply) {
	for name, vals := range rp.headers {
		for _, v := range vals {
			w.Header().Add(name, v)
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(rp.body)))
	w.WriteHeader(rp.status)
	_, _ = w.Write(rp.body)
}
