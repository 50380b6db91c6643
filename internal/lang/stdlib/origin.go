package stdlib

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/temblor-dev/temblor/internal/event"
)

// The origin functions describe where the current event entered the
// engine (Ctx.Origin); each gives null when that is unknown.

func originPath(u *url.URL) []event.Value {
	p := u.EscapedPath()
	if !strings.HasPrefix(p, "/") {
		return []event.Value{}
	}
	parts := strings.Split(p[1:], "/")
	out := make([]event.Value, len(parts))
	for i, s := range parts {
		out[i] = s
	}
	return out
}

func originPort(u *url.URL) event.Value {
	if p, err := strconv.ParseUint(u.Port(), 10, 16); err == nil {
		return int64(p)
	}
	return nil
}

func originString(u *url.URL) string {
	var b strings.Builder
	b.WriteString(u.Scheme + "://" + u.Hostname())
	if p := originPort(u); p != nil {
		b.WriteString(":" + strconv.FormatInt(p.(int64), 10))
	}
	if path := originPath(u); len(path) > 0 {
		for _, s := range path {
			b.WriteString("/" + s.(string))
		}
	}
	return b.String()
}

func init() {
	origin := func(name, summary, example string, f func(u *url.URL) event.Value) {
		def("origin::"+name, 0, false, summary, "Null when the event's origin is unknown.\n\n```tremor\n"+example+"\n```",
			func(c *Ctx, _ []event.Value) (event.Value, error) {
				if c == nil || c.Origin == nil {
					return nil, nil
				}
				return f(c.Origin), nil
			})
	}
	origin("as_uri_string", "The URI the event came from, as a string.", "origin::as_uri_string() # \"tremor-file://localhost/in.json\"",
		func(u *url.URL) event.Value { return originString(u) })
	origin("as_uri_record", "The URI the event came from, as a record of scheme, host, port and path.", "origin::as_uri_record() # {\"scheme\": \"snot\", \"host\": \"test\", \"port\": 23, \"path\": [\"snot\"]}",
		func(u *url.URL) event.Value {
			return event.RecordOf("scheme", u.Scheme, "host", u.Hostname(), "port", originPort(u), "path", originPath(u))
		})
	origin("scheme", "The scheme of the URI the event came from.", "origin::scheme() # \"snot\"",
		func(u *url.URL) event.Value { return u.Scheme })
	origin("host", "The host of the URI the event came from.", "origin::host() # \"test\"",
		func(u *url.URL) event.Value { return u.Hostname() })
	origin("port", "The port of the URI the event came from, or null.", "origin::port() # 23",
		originPort)
	origin("path", "The path segments of the URI the event came from, as an array.", "origin::path() # [\"snot\"]",
		func(u *url.URL) event.Value { return originPath(u) })
}
