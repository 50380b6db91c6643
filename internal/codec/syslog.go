package codec

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	Register(Spec{Name: "syslog", Doc: "Syslog, RFC 5424 or RFC 3164, parsed leniently as Tremor's syslog_loose 0.10 did: anything that is neither becomes an RFC3164 record whose msg is the whole line. " +
		"Decodes to {hostname, severity, facility, timestamp (ns, UTC), protocol, protocol_version, appname, msgid, structured_data, procid, msg}; encodes the same record. " +
		"Differences from Tremor: an impossible date (Feb 31) or one outside 1677–2262 makes that timestamp form fail instead of crashing; structured_data: null encodes like an absent one; a `\"` or stray backslash in a parameter value is escaped; an SD-ID or parameter name that cannot be written is an error.",
		New: func() Codec { return &syslogCodec{now: time.Now} }})
}

// syslogCodec's parser is our own: the Go syslog libraries are strict and
// reject or cut short messages that Tremor (syslog_loose) accepted; the
// behaviour here is syslog_loose's, case by case (see the golden files).
type syslogCodec struct {
	now func() time.Time // resolves the year of RFC 3164 dates
}

var syslogFacilities = []string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
	"authpriv", "ftp", "ntp", "audit", "alert", "clockd", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}

var syslogSeverities = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

type sdElement struct {
	id     string
	params [][2]string
}

type syslogMsg struct {
	facility, severity event.Value // string or nil
	timestamp          event.Value // int64 ns or nil
	hostname, appname  event.Value
	procid, msgid      event.Value
	rfc5424            bool
	version            uint32
	sd                 []sdElement
	msg                string
}

func (c *syslogCodec) Decode(data []byte) (event.Value, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("syslog: input is not valid UTF-8")
	}
	line := string(data)
	m, ok := syslog5424(strings.TrimSpace(line))
	if !ok {
		m, ok = c.syslog3164(strings.TrimSpace(line))
	}
	if !ok {
		m = syslogMsg{msg: line}
	}
	r := event.NewRecord(11)
	r.Set("hostname", m.hostname)
	r.Set("severity", m.severity)
	r.Set("facility", m.facility)
	r.Set("timestamp", m.timestamp)
	if m.rfc5424 {
		r.Set("protocol", "RFC5424")
		r.Set("protocol_version", int64(m.version))
	} else {
		r.Set("protocol", "RFC3164")
		r.Set("protocol_version", nil)
	}
	r.Set("appname", m.appname)
	r.Set("msgid", m.msgid)
	var sd event.Value
	if len(m.sd) > 0 {
		o := event.NewRecord(len(m.sd))
		for _, e := range m.sd {
			ps := make([]event.Value, 0, len(e.params))
			for _, p := range e.params {
				ps = append(ps, event.RecordOf(p[0], p[1]))
			}
			o.Set(e.id, ps)
		}
		sd = o
	}
	r.Set("structured_data", sd)
	r.Set("procid", m.procid)
	r.Set("msg", m.msg)
	return r, nil
}

// --- parsing helpers: each takes the input and returns what it consumed
// and the rest, or ok=false without consuming anything.

func syslogPri(s string) (fac, sev event.Value, rest string) {
	if !strings.HasPrefix(s, "<") {
		return nil, nil, s
	}
	digits, after := takeDigits(s[1:])
	n, err := strconv.ParseUint(digits, 10, 8)
	if digits == "" || err != nil || !strings.HasPrefix(after, ">") {
		return nil, nil, s
	}
	if f := int(n >> 3); f < len(syslogFacilities) {
		fac = syslogFacilities[f]
	}
	return fac, syslogSeverities[n&7], after[1:]
}

func takeDigits(s string) (string, string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}

func digitsU32(s string) (uint32, string, bool) {
	d, rest := takeDigits(s)
	n, err := strconv.ParseUint(d, 10, 32)
	if d == "" || err != nil {
		return 0, s, false
	}
	return uint32(n), rest, true
}

func space0(s string) string { return strings.TrimLeft(s, " \t") }

func space1(s string) (string, bool) {
	r := space0(s)
	return r, len(r) < len(s)
}

// takeField takes one or more characters that are not whitespace (nor ':'
// unless colons is set); "-" is the nil value.
func takeField(s string, colons bool) (v event.Value, rest string, ok bool) {
	i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || (!colons && r == ':') })
	if i < 0 {
		i = len(s)
	}
	if i == 0 {
		return nil, s, false
	}
	if s[:i] == "-" {
		return nil, s[i:], true
	}
	return s[:i], s[i:], true
}

// syslog3339 parses an RFC 3339 timestamp ending at the next space.
func syslog3339(s string) (int64, string, bool) {
	i := strings.IndexByte(s, ' ')
	if i < 0 {
		return 0, s, false
	}
	ns, ok := parseRFC3339(s[:i])
	if !ok {
		return 0, s, false
	}
	return ns, s[i:], true
}

// parseRFC3339 accepts what chrono's parse_from_rfc3339 did:
// YYYY-MM-DD(T|t)hh:mm:ss[.fraction](Z|z|±hh:mm), second 60 as a leap second.
func parseRFC3339(s string) (int64, bool) {
	num := func(s string, n int) (int, string, bool) {
		if len(s) < n {
			return 0, s, false
		}
		v := 0
		for i := 0; i < n; i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, s, false
			}
			v = v*10 + int(s[i]-'0')
		}
		return v, s[n:], true
	}
	lit := func(s string, set string) (string, bool) {
		if s == "" || !strings.ContainsRune(set, rune(s[0])) {
			return s, false
		}
		return s[1:], true
	}
	var y, mo, d, h, mi, sec, nanos int
	ok := true
	step := func(f func() bool) {
		if ok {
			ok = f()
		}
	}
	step(func() (b bool) { y, s, b = num(s, 4); return })
	step(func() (b bool) { s, b = lit(s, "-"); return })
	step(func() (b bool) { mo, s, b = num(s, 2); return })
	step(func() (b bool) { s, b = lit(s, "-"); return })
	step(func() (b bool) { d, s, b = num(s, 2); return })
	step(func() (b bool) { s, b = lit(s, "Tt"); return })
	step(func() (b bool) { h, s, b = num(s, 2); return })
	step(func() (b bool) { s, b = lit(s, ":"); return })
	step(func() (b bool) { mi, s, b = num(s, 2); return })
	step(func() (b bool) { s, b = lit(s, ":"); return })
	step(func() (b bool) { sec, s, b = num(s, 2); return })
	if !ok {
		return 0, false
	}
	if strings.HasPrefix(s, ".") {
		frac, rest := takeDigits(s[1:])
		if frac == "" {
			return 0, false
		}
		for i, scale := 0, 100_000_000; i < len(frac) && i < 9; i, scale = i+1, scale/10 {
			nanos += int(frac[i]-'0') * scale
		}
		s = rest
	}
	var off int
	switch {
	case s == "Z" || s == "z":
	case len(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':':
		oh, _, ok1 := num(s[1:], 2)
		om, _, ok2 := num(s[4:], 2)
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		off = (oh*60 + om) * 60
		if s[0] == '-' {
			off = -off
		}
	default:
		return 0, false
	}
	leap := 0
	if sec == 60 {
		sec, leap = 59, 1
	}
	t, ok := validDate(y, mo, d, h, mi, sec, time.FixedZone("", off))
	if !ok {
		return 0, false
	}
	return nanosOf(t.Add(time.Duration(leap)*time.Second + time.Duration(nanos)))
}

// validDate builds a time from fields that must all be in range (chrono
// panicked on an impossible date; Go would normalise it).
func validDate(y, mo, d, h, mi, s int, loc *time.Location) (time.Time, bool) {
	t := time.Date(y, time.Month(mo), d, h, mi, s, 0, loc)
	if mo < 1 || mo > 12 || t.Day() != d || t.Month() != time.Month(mo) || h > 23 || mi > 59 || s > 59 {
		return time.Time{}, false
	}
	return t, true
}

// nanosOf is t in Unix nanoseconds, if that fits an int64 (1677–2262).
func nanosOf(t time.Time) (int64, bool) {
	if t.Before(time.Unix(0, -1<<63)) || t.After(time.Unix(0, 1<<63-1)) {
		return 0, false
	}
	return t.UnixNano(), true
}

func syslog5424(s string) (m syslogMsg, ok bool) {
	m.rfc5424 = true
	m.facility, m.severity, s = syslogPri(s)
	if m.version, s, ok = digitsU32(s); !ok {
		return m, false
	}
	if s, ok = space1(s); !ok {
		return m, false
	}
	var ts int64
	if ts, s, ok = syslog3339(s); !ok {
		return m, false
	}
	m.timestamp = ts
	for i, colons := range []bool{false, true, false, false} { // hostname, appname, procid, msgid
		if s, ok = space1(s); !ok {
			return m, false
		}
		var v event.Value
		if v, s, ok = takeField(s, colons); !ok {
			return m, false
		}
		switch i {
		case 0:
			m.hostname = v
		case 1:
			m.appname = v
		case 2:
			m.procid = procID(v)
		case 3:
			m.msgid = v
		}
	}
	if m.sd, s, ok = structuredData(space0(s)); !ok {
		return m, false
	}
	m.msg = space0(s)
	return m, true
}

// procID normalises a numeric process id as syslog_loose did ("007" → "7").
func procID(v event.Value) event.Value {
	if s, ok := v.(string); ok {
		if n, err := strconv.ParseInt(s, 10, 32); err == nil {
			return strconv.FormatInt(n, 10)
		}
	}
	return v
}

func structuredData(s string) ([]sdElement, string, bool) {
	if strings.HasPrefix(s, "-") {
		return nil, s[1:], true
	}
	var out []sdElement
	n := 0
	for {
		e, rest, ok := sdDatum(s)
		if !ok {
			break
		}
		n++
		if e != nil {
			out = append(out, *e)
		}
		s = rest
	}
	return out, s, n > 0
}

// sdDatum parses one [id name="value" ...] element; an element that starts
// with [ and has a ] but is malformed is skipped (nil, ok).
func sdDatum(s string) (*sdElement, string, bool) {
	if !strings.HasPrefix(s, "[") {
		return nil, s, false
	}
	if e, rest, ok := sdElementStrict(s[1:]); ok {
		return e, rest, true
	}
	if i := strings.IndexByte(s[1:], ']'); i >= 0 {
		return nil, s[1+i+1:], true
	}
	return nil, s, false
}

func sdElementStrict(s string) (*sdElement, string, bool) {
	i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == ']' || r == '=' })
	if i == 0 || i < 0 {
		return nil, s, false
	}
	e := &sdElement{id: s[:i]}
	s = space0(s[i:])
	if p, rest, ok := sdParam(s); ok {
		e.params = append(e.params, p)
		s = rest
		for strings.HasPrefix(s, " ") {
			p, rest, ok := sdParam(s[1:])
			if !ok {
				break
			}
			e.params = append(e.params, p)
			s = rest
		}
	}
	if !strings.HasPrefix(s, "]") {
		return nil, s, false
	}
	return e, s[1:], true
}

func sdParam(s string) ([2]string, string, bool) {
	i := strings.IndexAny(s, "]=")
	if i <= 0 || s[i] != '=' {
		return [2]string{}, s, false
	}
	name := s[:i]
	v, rest, ok := sdValue(space0(s[i+1:]))
	if !ok {
		return [2]string{}, s, false
	}
	return [2]string{name, v}, rest, true
}

// sdValue takes a quoted value, keeping its escapes (\" \\ \n) as they are,
// as syslog_loose did; an empty value does not parse.
func sdValue(s string) (string, string, bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", s, false
	}
	for j := 1; j < len(s); {
		switch s[j] {
		case '"':
			if j == 1 {
				return "", s, false
			}
			return s[1:j], s[j+1:], true
		case '\\':
			if j+1 >= len(s) || !strings.ContainsRune(`"n\`, rune(s[j+1])) {
				return "", s, false
			}
			j += 2
		default:
			j++
		}
	}
	return "", s, false
}

func (c *syslogCodec) syslog3164(s string) (m syslogMsg, ok bool) {
	m.facility, m.severity, s = syslogPri(s)
	s = space0(s)
	var ts int64
	if ts, s, ok = c.timestamp3164(s); !ok {
		return m, false
	}
	m.timestamp = ts
	// Two optional fields, each after exactly one space: host and tag.
	var f1, f2 event.Value
	var has1, has2 bool
	if strings.HasPrefix(s, " ") {
		if v, rest, ok := takeField(s[1:], false); ok {
			f1, has1, s = v, true, rest
		}
	}
	if strings.HasPrefix(s, " ") {
		if v, rest, ok := takeField(s[1:], false); ok {
			f2, has2, s = v, true, rest
		}
	}
	switch {
	case has1 && has2 && f2 != nil:
		m.hostname = f1
		if app, pid, ok := sysTag(f2.(string)); ok {
			m.appname, m.procid = app, procID(pid)
		} else {
			m.appname = f2
		}
	case has1 && f1 != nil && !has2:
		if app, pid, ok := sysTag(f1.(string)); ok {
			m.appname, m.procid = app, procID(pid)
		} else {
			m.hostname = f1
		}
	}
	s = space0(s)
	s = strings.TrimPrefix(s, ":")
	s = space0(s)
	if sd, rest, ok := structuredData(s); ok {
		m.sd, s = sd, rest
	}
	m.msg = space0(s)
	return m, true
}

// sysTag splits "app[pid]"; all of the field must match.
func sysTag(f string) (app, pid string, ok bool) {
	i := strings.IndexFunc(f, func(r rune) bool { return unicode.IsSpace(r) || r == ':' || r == '[' })
	if i < 0 || f[i] != '[' || !strings.HasSuffix(f, "]") {
		return "", "", false
	}
	pid = f[i+1 : len(f)-1]
	if pid == "" || strings.Contains(pid, "]") {
		return "", "", false
	}
	return f[:i], pid, true
}

var syslogMonths = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}

// timestamp3164 tries "Mmm dd hh:mm:ss" (year resolved from the clock),
// "Mmm dd yyyy hh:mm:ss", then RFC 3339, all in UTC.
func (c *syslogCodec) timestamp3164(s string) (int64, string, bool) {
	month := func(s string) (int, string, bool) {
		n := 0
		for i := range s {
			if n == 3 {
				mo, ok := syslogMonths[strings.ToLower(s[:i])]
				return mo, s[i:], ok
			}
			n++
		}
		if n == 3 {
			mo, ok := syslogMonths[strings.ToLower(s)]
			return mo, "", ok
		}
		return 0, s, false
	}
	hms := func(s string) (h, mi, sec uint32, rest string, ok bool) {
		if h, s, ok = digitsU32(s); !ok || !strings.HasPrefix(s, ":") {
			return 0, 0, 0, s, false
		}
		if mi, s, ok = digitsU32(s[1:]); !ok || !strings.HasPrefix(s, ":") {
			return 0, 0, 0, s, false
		}
		if sec, s, ok = digitsU32(s[1:]); !ok {
			return 0, 0, 0, s, false
		}
		return h, mi, sec, strings.TrimPrefix(s, ":"), true
	}
	// Mmm dd [yyyy] hh:mm:ss
	if mo, rest, ok := month(s); ok {
		if rest, ok := space1(rest); ok {
			if d, rest, ok := digitsU32(rest); ok {
				if rest, ok := space1(rest); ok {
					if h, mi, sec, r2, ok := hms(rest); ok {
						now := c.now().UTC()
						y := now.Year()
						if now.Month() == time.January && mo == 12 {
							y--
						}
						if t, ok := validDate(y, mo, int(d), int(h), int(mi), int(sec), time.UTC); ok {
							if ns, ok := nanosOf(t); ok {
								return ns, r2, true
							}
						}
					} else if y, r1, ok := digitsU32(rest); ok {
						if r1, ok := space1(r1); ok {
							if h, mi, sec, r2, ok := hms(r1); ok {
								if t, ok := validDate(int(y), mo, int(d), int(h), int(mi), int(sec), time.UTC); ok {
									if ns, ok := nanosOf(t); ok {
										return ns, r2, true
									}
								}
							}
						}
					}
				}
			}
		}
	}
	return syslog3339(s)
}

// --- encoding, as Tremor's codec wrote it.

func (syslogCodec) Encode(v event.Value) ([]byte, error) {
	b, err := syslogEncode(v)
	if err != nil {
		return nil, fmt.Errorf("syslog: %w", err)
	}
	return b, nil
}

func syslogEncode(v event.Value) ([]byte, error) {
	r, ok := v.(*event.Record)
	if !ok {
		return nil, fmt.Errorf("expected a record, got %s", event.TypeName(v))
	}
	str := func(k string) (string, bool) {
		x, _ := r.Get(k)
		s, ok := x.(string)
		return s, ok
	}
	proto, hasProto := str("protocol")
	ver, hasVer := uint32Of(r, "protocol_version")
	var rfc5424 bool
	var version string
	switch {
	case hasProto && proto == "RFC3164":
	case hasProto && proto == "RFC5424" && hasVer:
		rfc5424, version = true, strconv.FormatUint(uint64(ver), 10)
	case hasProto && proto == "RFC5424":
		return nil, errors.New("`protocol_version` is missing")
	case !hasProto && hasVer:
		return nil, errors.New("`protocol` is missing")
	case hasProto:
		return nil, fmt.Errorf("invalid protocol %q: RFC3164 or RFC5424", proto)
	default:
		rfc5424, version = true, "1"
	}
	fac, ok := str("facility")
	if !ok {
		return nil, errors.New("`facility` is missing")
	}
	sev, ok := str("severity")
	if !ok {
		return nil, errors.New("`severity` is missing")
	}
	fi, si := indexOf(syslogFacilities, fac), indexOf(syslogSeverities, sev)
	if fi < 0 {
		return nil, fmt.Errorf("invalid facility %q", fac)
	}
	if si < 0 {
		return nil, fmt.Errorf("invalid severity %q", sev)
	}
	parts := []string{fmt.Sprintf("<%d>%s", fi<<3|si, version)}
	if ts, ok := r.Get("timestamp"); ok {
		if n, ok := ts.(int64); ok {
			parts = append(parts, chronoRFC3339(n))
		} else {
			parts = append(parts, "-")
		}
	} else {
		parts = append(parts, "-")
	}
	orDash := func(k string) string {
		if s, ok := str(k); ok {
			return s
		}
		return "-"
	}
	parts = append(parts, orDash("hostname"))
	if rfc5424 {
		parts = append(parts, orDash("appname"), orDash("procid"), orDash("msgid"))
	} else if app, ok := str("appname"); ok {
		if pid, ok := str("procid"); ok {
			parts = append(parts, app+"["+pid+"]:")
		} else {
			parts = append(parts, app+":")
		}
	} else {
		parts = append(parts, ":")
	}
	sd, _ := r.Get("structured_data")
	switch o := sd.(type) {
	case nil:
		if rfc5424 {
			parts = append(parts, "-")
		}
	case *event.Record:
		s, err := encodeSD(o)
		if err != nil {
			return nil, err
		}
		parts = append(parts, s)
	default:
		return nil, errors.New("invalid structured data: not a record")
	}
	if msg, ok := str("msg"); ok {
		parts = append(parts, msg)
	}
	return []byte(strings.Join(parts, " ")), nil
}

func encodeSD(o *event.Record) (string, error) {
	var b strings.Builder
	for i := range o.Len() {
		id, params := o.At(i)
		if !sdName(id) {
			return "", fmt.Errorf("invalid structured data: SD-ID %q", id)
		}
		b.WriteString("[" + id)
		ps, ok := params.([]event.Value)
		if !ok {
			return "", errors.New("invalid structured data: params not an array of records")
		}
		for _, kv := range ps {
			pr, ok := kv.(*event.Record)
			if !ok {
				return "", errors.New("invalid structured data: a param is not a record")
			}
			for j := range pr.Len() {
				k, v := pr.At(j)
				s, ok := v.(string)
				if !ok {
					return "", errors.New("invalid structured data: param value not a string")
				}
				if !sdName(k) {
					return "", fmt.Errorf("invalid structured data: param name %q", k)
				}
				b.WriteString(" " + k + `="` + escapeSDValue(s) + `"`)
			}
		}
		b.WriteString("]")
	}
	return b.String(), nil
}

// sdName: RFC 5424's SD-NAME is printable ASCII but = ] " and space.
func sdName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '=' || c == ']' || c == '"' {
			return false
		}
	}
	return true
}

// escapeSDValue keeps the escapes a decoded value already holds (\" \\ \n,
// as syslog_loose returns them) and escapes a bare " or backslash, so the
// output always parses and decoded values round-trip unchanged.
func escapeSDValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && strings.IndexByte(`"n\`, s[i+1]) >= 0:
			b.WriteByte(c)
			b.WriteByte(s[i+1])
			i++
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func uint32Of(r *event.Record, k string) (uint32, bool) {
	x, _ := r.Get(k)
	switch n := x.(type) {
	case int64:
		if n >= 0 && n <= 1<<32-1 {
			return uint32(n), true
		}
	}
	return 0, false
}

// chronoRFC3339 formats as chrono's to_rfc3339 did: +00:00 rather than Z,
// and 0, 3, 6 or 9 fractional digits.
func chronoRFC3339(ns int64) string {
	t := time.Unix(0, ns).UTC()
	frac := ""
	switch n := t.Nanosecond(); {
	case n == 0:
	case n%1_000_000 == 0:
		frac = fmt.Sprintf(".%03d", n/1_000_000)
	case n%1_000 == 0:
		frac = fmt.Sprintf(".%06d", n/1_000)
	default:
		frac = fmt.Sprintf(".%09d", n)
	}
	return t.Format("2006-01-02T15:04:05") + frac + "+00:00"
}
