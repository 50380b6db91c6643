package stdlib

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Tremor formatted and parsed datetimes with Rust's chrono 0.4 and its
// strftime-like format language. This file implements that language: the
// same specifiers (%Y %m %d %H %M %S %.f %z %:z %#z %+ %s ...), padding
// modifiers (%-d %_d %0e), the same leniency when parsing (whitespace in the
// format matches any run of whitespace, numbers may be preceded by spaces)
// and the same resolution rules (a date needs year+month+day, year+ordinal,
// or a week date; a time needs hour and minute; %s fills both; fields given
// twice must agree).

type padKind uint8

const (
	padZero padKind = iota
	padSpace
	padNone
)

type numKind uint8

const (
	nYear numKind = iota
	nYearDiv100
	nYearMod100
	nIsoYear
	nIsoYearDiv100
	nIsoYearMod100
	nMonth
	nDay
	nWeekFromSun
	nWeekFromMon
	nIsoWeek
	nNumDaysFromSun
	nWeekdayFromMon
	nOrdinal
	nHour
	nHour12
	nMinute
	nSecond
	nNanosecond
	nTimestamp
)

type fixKind uint8

const (
	fShortMonth fixKind = iota
	fLongMonth
	fShortWeekday
	fLongWeekday
	fLowerAmPm
	fUpperAmPm
	fNano  // %.f
	fNano3 // %.3f
	fNano6 // %.6f
	fNano9 // %.9f
	fNano3NoDot
	fNano6NoDot
	fNano9NoDot
	fTZName
	fTZOffset      // %z
	fTZOffsetColon // %:z
	fTZPermissive  // %#z
	fRFC3339       // %+
)

type itemKind uint8

const (
	iLit itemKind = iota
	iSpace
	iNum
	iFix
	iErr
)

type fmtItem struct {
	kind itemKind
	lit  string
	num  numKind
	pad  padKind
	fix  fixKind
}

// numWidth is each numeric field's width: the padding when formatting and
// the most digits read when parsing.
var numWidth = [...]int{
	nYear: 4, nYearDiv100: 2, nYearMod100: 2, nIsoYear: 4, nIsoYearDiv100: 2, nIsoYearMod100: 2,
	nMonth: 2, nDay: 2, nWeekFromSun: 2, nWeekFromMon: 2, nIsoWeek: 2, nNumDaysFromSun: 1,
	nWeekdayFromMon: 1, nOrdinal: 3, nHour: 2, nHour12: 2, nMinute: 2, nSecond: 2, nNanosecond: 9,
	nTimestamp: 1,
}

func num0(k numKind) fmtItem            { return fmtItem{kind: iNum, num: k, pad: padZero} }
func numSp(k numKind) fmtItem           { return fmtItem{kind: iNum, num: k, pad: padSpace} }
func numNo(k numKind) fmtItem           { return fmtItem{kind: iNum, num: k, pad: padNone} }
func fixed(k fixKind) fmtItem           { return fmtItem{kind: iFix, fix: k} }
func lit(s string) fmtItem              { return fmtItem{kind: iLit, lit: s} }
func space(s string) fmtItem            { return fmtItem{kind: iSpace, lit: s} }
func expand(items ...fmtItem) []fmtItem { return items }

// compileFormat splits a strftime format into items. An unknown or
// incomplete specifier becomes an iErr item, as in chrono: formatting then
// fails and parsing reports a bad format.
func compileFormat(f string) []fmtItem {
	var out []fmtItem
	for len(f) > 0 {
		r, n := utf8.DecodeRuneInString(f)
		switch {
		case r == '%':
			f = f[1:]
			var items []fmtItem
			items, f = compileSpec(f)
			out = append(out, items...)
		case unicode.IsSpace(r):
			end := strings.IndexFunc(f, func(r rune) bool { return !unicode.IsSpace(r) })
			if end < 0 {
				end = len(f)
			}
			out = append(out, space(f[:end]))
			f = f[end:]
		default:
			end := strings.IndexFunc(f[n:], func(r rune) bool { return r == '%' || unicode.IsSpace(r) })
			if end < 0 {
				end = len(f) - n
			}
			out = append(out, lit(f[:n+end]))
			f = f[n+end:]
		}
	}
	return out
}

func compileSpec(f string) ([]fmtItem, string) {
	bad := []fmtItem{{kind: iErr}}
	next := func() (rune, bool) {
		if f == "" {
			return 0, false
		}
		r, n := utf8.DecodeRuneInString(f)
		f = f[n:]
		return r, true
	}
	spec, ok := next()
	if !ok {
		return bad, f
	}
	pad, padSet := padZero, false
	switch spec {
	case '-':
		pad, padSet = padNone, true
	case '0':
		pad, padSet = padZero, true
	case '_':
		pad, padSet = padSpace, true
	}
	alt := spec == '#'
	if padSet || alt {
		if spec, ok = next(); !ok {
			return bad, f
		}
	}
	if alt && spec != 'z' {
		return bad, f
	}
	var items []fmtItem
	switch spec {
	case 'A':
		items = expand(fixed(fLongWeekday))
	case 'B':
		items = expand(fixed(fLongMonth))
	case 'C':
		items = expand(num0(nYearDiv100))
	case 'D', 'x':
		items = expand(num0(nMonth), lit("/"), num0(nDay), lit("/"), num0(nYearMod100))
	case 'F':
		items = expand(num0(nYear), lit("-"), num0(nMonth), lit("-"), num0(nDay))
	case 'G':
		items = expand(num0(nIsoYear))
	case 'H':
		items = expand(num0(nHour))
	case 'I':
		items = expand(num0(nHour12))
	case 'M':
		items = expand(num0(nMinute))
	case 'P':
		items = expand(fixed(fLowerAmPm))
	case 'R':
		items = expand(num0(nHour), lit(":"), num0(nMinute))
	case 'S':
		items = expand(num0(nSecond))
	case 'T', 'X':
		items = expand(num0(nHour), lit(":"), num0(nMinute), lit(":"), num0(nSecond))
	case 'U':
		items = expand(num0(nWeekFromSun))
	case 'V':
		items = expand(num0(nIsoWeek))
	case 'W':
		items = expand(num0(nWeekFromMon))
	case 'Y':
		items = expand(num0(nYear))
	case 'Z':
		items = expand(fixed(fTZName))
	case 'a':
		items = expand(fixed(fShortWeekday))
	case 'b', 'h':
		items = expand(fixed(fShortMonth))
	case 'c':
		items = expand(fixed(fShortWeekday), space(" "), fixed(fShortMonth), space(" "), numSp(nDay), space(" "),
			num0(nHour), lit(":"), num0(nMinute), lit(":"), num0(nSecond), space(" "), num0(nYear))
	case 'd':
		items = expand(num0(nDay))
	case 'e':
		items = expand(numSp(nDay))
	case 'f':
		items = expand(num0(nNanosecond))
	case 'g':
		items = expand(num0(nIsoYearMod100))
	case 'j':
		items = expand(num0(nOrdinal))
	case 'k':
		items = expand(numSp(nHour))
	case 'l':
		items = expand(numSp(nHour12))
	case 'm':
		items = expand(num0(nMonth))
	case 'n':
		items = expand(space("\n"))
	case 'p':
		items = expand(fixed(fUpperAmPm))
	case 'r':
		items = expand(num0(nHour12), lit(":"), num0(nMinute), lit(":"), num0(nSecond), space(" "), fixed(fUpperAmPm))
	case 's':
		items = expand(numNo(nTimestamp))
	case 't':
		items = expand(space("\t"))
	case 'u':
		items = expand(numNo(nWeekdayFromMon))
	case 'v':
		items = expand(numSp(nDay), lit("-"), fixed(fShortMonth), lit("-"), num0(nYear))
	case 'w':
		items = expand(numNo(nNumDaysFromSun))
	case 'y':
		items = expand(num0(nYearMod100))
	case 'z':
		if alt {
			items = expand(fixed(fTZPermissive))
		} else {
			items = expand(fixed(fTZOffset))
		}
	case '+':
		items = expand(fixed(fRFC3339))
	case ':':
		if r, ok := next(); ok && r == 'z' {
			items = expand(fixed(fTZOffsetColon))
		} else {
			items = bad
		}
	case '.':
		r, ok := next()
		switch {
		case !ok:
			return bad, f
		case r == 'f':
			items = expand(fixed(fNano))
		case r == '3' || r == '6' || r == '9':
			if r2, ok := next(); ok && r2 == 'f' {
				items = expand(fixed(map[rune]fixKind{'3': fNano3, '6': fNano6, '9': fNano9}[r]))
			} else {
				items = bad
			}
		default:
			items = bad
		}
	case '3', '6', '9':
		if r, ok := next(); ok && r == 'f' {
			items = expand(fixed(map[rune]fixKind{'3': fNano3NoDot, '6': fNano6NoDot, '9': fNano9NoDot}[spec]))
		} else {
			items = bad
		}
	case '%':
		items = expand(lit("%"))
	default:
		items = bad
	}
	if padSet {
		if len(items) != 1 || items[0].kind != iNum {
			return bad, f
		}
		items[0].pad = pad
	}
	return items, f
}

// hasTZ reports whether a format mentions a time zone (%z %:z %#z %Z %+):
// Tremor then formatted as UTC with an offset and parsed requiring one.
func hasTZ(f string) bool {
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			continue
		}
		i++
		switch f[i] {
		case '+', 'z', 'Z':
			return true
		case ':', '#':
			if i+1 < len(f) && f[i+1] == 'z' {
				return true
			}
			i++
		}
	}
	return false
}

var (
	shortMonths   = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	longMonths    = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	shortWeekdays = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	longWeekdays  = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// errBadFormat is a format chrono could not render (Tremor panicked).
type errBadFormat struct{ format string }

func (e errBadFormat) Error() string {
	return fmt.Sprintf("invalid datetime format %q", e.format)
}

// strftime renders t (UTC) with format f; withTZ supplies the UTC offset
// for %z, %:z, %Z and %+.
func strftime(t time.Time, f string, withTZ bool) (string, error) {
	var b strings.Builder
	for _, it := range compileFormat(f) {
		switch it.kind {
		case iLit, iSpace:
			b.WriteString(it.lit)
		case iErr:
			return "", errBadFormat{f}
		case iNum:
			v := numValue(t, it.num)
			writeNum(&b, v, it)
		case iFix:
			if !writeFixed(&b, t, it.fix, withTZ) {
				return "", errBadFormat{f}
			}
		}
	}
	return b.String(), nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

func numValue(t time.Time, k numKind) int64 {
	wd := int64(t.Weekday()) // Sunday = 0
	switch k {
	case nYear:
		return int64(t.Year())
	case nYearDiv100:
		return floorDiv(int64(t.Year()), 100)
	case nYearMod100:
		return floorMod(int64(t.Year()), 100)
	case nIsoYear, nIsoYearDiv100, nIsoYearMod100:
		y, _ := t.ISOWeek()
		switch k {
		case nIsoYearDiv100:
			return floorDiv(int64(y), 100)
		case nIsoYearMod100:
			return floorMod(int64(y), 100)
		}
		return int64(y)
	case nMonth:
		return int64(t.Month())
	case nDay:
		return int64(t.Day())
	case nWeekFromSun:
		return (int64(t.YearDay()) - wd + 7) / 7
	case nWeekFromMon:
		return (int64(t.YearDay()) - (wd+6)%7 + 7) / 7
	case nIsoWeek:
		_, w := t.ISOWeek()
		return int64(w)
	case nNumDaysFromSun:
		return wd
	case nWeekdayFromMon:
		return (wd+6)%7 + 1
	case nOrdinal:
		return int64(t.YearDay())
	case nHour:
		return int64(t.Hour())
	case nHour12:
		h := int64(t.Hour()) % 12
		if h == 0 {
			h = 12
		}
		return h
	case nMinute:
		return int64(t.Minute())
	case nSecond:
		return int64(t.Second())
	case nNanosecond:
		return int64(t.Nanosecond())
	case nTimestamp:
		return t.Unix()
	}
	return 0
}

func writeNum(b *strings.Builder, v int64, it fmtItem) {
	w := numWidth[it.num]
	s := strconv.FormatInt(v, 10)
	if (it.num == nYear || it.num == nIsoYear) && (v < 0 || v >= 10000) {
		// years outside 0..9999 carry an explicit sign (ISO 8601)
		if v >= 0 {
			s = "+" + s
		}
		w++
	}
	if it.pad == padNone || len(s) >= w {
		b.WriteString(s)
		return
	}
	fill := strings.Repeat(map[padKind]string{padZero: "0", padSpace: " "}[it.pad], w-len(s))
	if it.pad == padZero && (s[0] == '-' || s[0] == '+') {
		b.WriteString(s[:1] + fill + s[1:])
		return
	}
	b.WriteString(fill + s)
}

func writeFrac(b *strings.Builder, nano int, dot bool, digits int) {
	if dot {
		b.WriteByte('.')
	}
	s := fmt.Sprintf("%09d", nano)
	b.WriteString(s[:digits])
}

func writeFixed(b *strings.Builder, t time.Time, k fixKind, withTZ bool) bool {
	nano := t.Nanosecond()
	switch k {
	case fShortMonth:
		b.WriteString(shortMonths[t.Month()-1])
	case fLongMonth:
		b.WriteString(longMonths[t.Month()-1])
	case fShortWeekday:
		b.WriteString(shortWeekdays[t.Weekday()])
	case fLongWeekday:
		b.WriteString(longWeekdays[t.Weekday()])
	case fLowerAmPm, fUpperAmPm:
		s := "AM"
		if t.Hour() >= 12 {
			s = "PM"
		}
		if k == fLowerAmPm {
			s = strings.ToLower(s)
		}
		b.WriteString(s)
	case fNano:
		writeAutoFrac(b, nano)
	case fNano3:
		writeFrac(b, nano, true, 3)
	case fNano6:
		writeFrac(b, nano, true, 6)
	case fNano9:
		writeFrac(b, nano, true, 9)
	case fNano3NoDot:
		writeFrac(b, nano, false, 3)
	case fNano6NoDot:
		writeFrac(b, nano, false, 6)
	case fNano9NoDot:
		writeFrac(b, nano, false, 9)
	case fTZName:
		if !withTZ {
			return false
		}
		b.WriteString("UTC")
	case fTZOffset:
		if !withTZ {
			return false
		}
		b.WriteString("+0000")
	case fTZOffsetColon:
		if !withTZ {
			return false
		}
		b.WriteString("+00:00")
	case fTZPermissive:
		return false // chrono cannot write %#z
	case fRFC3339:
		if !withTZ {
			return false
		}
		y := t.Year()
		if y >= 0 && y <= 9999 {
			fmt.Fprintf(b, "%04d", y)
		} else {
			fmt.Fprintf(b, "%+05d", y)
		}
		fmt.Fprintf(b, "-%02d-%02dT%02d:%02d:%02d", t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second())
		writeAutoFrac(b, nano)
		b.WriteString("+00:00")
	}
	return true
}

// writeAutoFrac writes %.f: nothing for a whole second, else 3, 6 or 9
// digits, whichever is exact.
func writeAutoFrac(b *strings.Builder, nano int) {
	switch {
	case nano == 0:
	case nano%1_000_000 == 0:
		writeFrac(b, nano, true, 3)
	case nano%1_000 == 0:
		writeFrac(b, nano, true, 6)
	default:
		writeFrac(b, nano, true, 9)
	}
}

// ParseError is chrono's parse failure; Error() is its Debug form, which
// Tremor put in its messages.
type ParseError string

const (
	peOutOfRange ParseError = "OutOfRange"
	peImpossible ParseError = "Impossible"
	peNotEnough  ParseError = "NotEnough"
	peInvalid    ParseError = "Invalid"
	peTooShort   ParseError = "TooShort"
	peTooLong    ParseError = "TooLong"
	peBadFormat  ParseError = "BadFormat"
)

func (e ParseError) Error() string { return "ParseError(" + string(e) + ")" }

// parsed collects the fields read from the input; a field set twice must
// get the same value.
type parsed struct {
	year, yearDiv100, yearMod100          opt
	isoYear, isoYearDiv100, isoYearMod100 opt
	month, weekFromSun, weekFromMon       opt
	isoWeek, weekday, ordinal, day        opt // weekday: 0 = Monday
	hourDiv12, hourMod12, minute, second  opt
	nanosecond, timestamp, offset         opt
}

type opt struct {
	set bool
	v   int64
}

func (o *opt) put(v int64) error {
	if o.set && o.v != v {
		return peImpossible
	}
	o.set, o.v = true, v
	return nil
}

const (
	minYear = -262144
	maxYear = 262143
)

func (p *parsed) setNum(k numKind, v int64) error {
	nonNeg := func(o *opt) error {
		if v < 0 {
			return peOutOfRange
		}
		return o.put(v)
	}
	u32 := func(o *opt) error {
		if v < 0 || v > 0xFFFFFFFF {
			return peOutOfRange
		}
		return o.put(v)
	}
	i32 := func(o *opt) error {
		if v < -1<<31 || v > 1<<31-1 {
			return peOutOfRange
		}
		return o.put(v)
	}
	switch k {
	case nYear:
		return i32(&p.year)
	case nYearDiv100:
		return nonNeg(&p.yearDiv100)
	case nYearMod100:
		return nonNeg(&p.yearMod100)
	case nIsoYear:
		return i32(&p.isoYear)
	case nIsoYearDiv100:
		return nonNeg(&p.isoYearDiv100)
	case nIsoYearMod100:
		return nonNeg(&p.isoYearMod100)
	case nMonth:
		return u32(&p.month)
	case nDay:
		return u32(&p.day)
	case nWeekFromSun:
		return u32(&p.weekFromSun)
	case nWeekFromMon:
		return u32(&p.weekFromMon)
	case nIsoWeek:
		return u32(&p.isoWeek)
	case nNumDaysFromSun:
		if v > 6 {
			return peOutOfRange
		}
		return p.weekday.put((v + 6) % 7)
	case nWeekdayFromMon:
		if v < 1 || v > 7 {
			return peOutOfRange
		}
		return p.weekday.put(v - 1)
	case nOrdinal:
		return u32(&p.ordinal)
	case nHour:
		if v < 0 || v > 0xFFFFFFFF {
			return peOutOfRange
		}
		if err := p.hourDiv12.put(v / 12); err != nil {
			return err
		}
		return p.hourMod12.put(v % 12)
	case nHour12:
		if v < 1 || v > 12 {
			return peOutOfRange
		}
		return p.hourMod12.put(v % 12)
	case nMinute:
		return u32(&p.minute)
	case nSecond:
		return u32(&p.second)
	case nNanosecond:
		return u32(&p.nanosecond)
	case nTimestamp:
		return p.timestamp.put(v)
	}
	return nil
}

func trimLeftSpace(s string) string { return strings.TrimLeftFunc(s, unicode.IsSpace) }

// scanNumber reads between min and max ASCII digits.
func scanNumber(s string, min, max int) (string, int64, error) {
	if len(s) < min {
		return s, 0, peTooShort
	}
	var n int64
	i := 0
	for ; i < len(s) && i < max; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			if i < min {
				return s, 0, peInvalid
			}
			return s[i:], n, nil
		}
		if n > (1<<63-1-int64(c-'0'))/10 {
			return s, 0, peOutOfRange
		}
		n = n*10 + int64(c-'0')
	}
	return s[i:], n, nil
}

var nanoScale = [...]int64{0, 100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1}

// scanNano reads a fraction of 1 to 9 digits (more are skipped).
func scanNano(s string) (string, int64, error) {
	rest, v, err := scanNumber(s, 1, 9)
	if err != nil {
		return s, 0, err
	}
	v *= nanoScale[len(s)-len(rest)]
	return strings.TrimLeft(rest, "0123456789"), v, nil
}

func scanNanoFixed(s string, digits int) (string, int64, error) {
	rest, v, err := scanNumber(s, digits, digits)
	if err != nil {
		return s, 0, err
	}
	return rest, v * nanoScale[digits], nil
}

func scanName(s string, names []string, long []string) (string, int, error) {
	if len(s) < 3 {
		return s, 0, peTooShort
	}
	idx := -1
	for i, n := range names {
		if strings.EqualFold(s[:3], n) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return s, 0, peInvalid
	}
	s = s[3:]
	if long != nil {
		suffix := long[idx][3:]
		if len(s) >= len(suffix) && strings.EqualFold(s[:len(suffix)], suffix) {
			s = s[len(suffix):]
		}
	}
	return s, idx, nil
}

func colonOrSpace(s string) string {
	return strings.TrimLeftFunc(s, func(r rune) bool { return r == ':' || unicode.IsSpace(r) })
}

func scanOffset(s string, allowMissingMinutes bool, colon func(string) (string, error)) (string, int64, error) {
	if s == "" {
		return s, 0, peTooShort
	}
	neg := false
	switch s[0] {
	case '+':
	case '-':
		neg = true
	default:
		return s, 0, peInvalid
	}
	s = s[1:]
	if len(s) < 2 {
		return s, 0, peTooShort
	}
	if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return s, 0, peInvalid
	}
	hours := int64(s[0]-'0')*10 + int64(s[1]-'0')
	s = s[2:]
	s, err := colon(s)
	if err != nil {
		return s, 0, err
	}
	var minutes int64
	switch {
	case len(s) >= 2:
		m1, m2 := s[0], s[1]
		switch {
		case m1 >= '0' && m1 <= '5' && m2 >= '0' && m2 <= '9':
			minutes = int64(m1-'0')*10 + int64(m2-'0')
		case m1 >= '6' && m1 <= '9' && m2 >= '0' && m2 <= '9':
			return s, 0, peOutOfRange
		default:
			return s, 0, peInvalid
		}
		s = s[2:]
	case allowMissingMinutes:
		if len(s) == 1 {
			return s, 0, peTooShort
		}
	default:
		return s, 0, peTooShort
	}
	secs := hours*3600 + minutes*60
	if neg {
		secs = -secs
	}
	return s, secs, nil
}

func lenientColon(s string) (string, error) { return colonOrSpace(s), nil }

// strptime parses s with format f; withTZ requires an offset (chrono's
// DateTime::parse_from_str), otherwise any offset is ignored
// (NaiveDateTime::parse_from_str). The result is nanoseconds since the
// epoch, wrapping like Tremor's i64 arithmetic did.
func strptime(s, f string, withTZ bool) (int64, error) {
	var p parsed
	if err := p.parse(s, compileFormat(f)); err != nil {
		return 0, err
	}
	var off int64
	if withTZ {
		if !p.offset.set {
			return 0, peNotEnough
		}
		off = p.offset.v
	}
	secs, nano, err := p.toDateTime(off)
	if err != nil {
		return 0, err
	}
	if withTZ {
		if off <= -86400 || off >= 86400 {
			return 0, peOutOfRange
		}
		secs -= off
	}
	return secs*1_000_000_000 + nano, nil
}

func (p *parsed) parse(s string, items []fmtItem) error {
	var err error
	for _, it := range items {
		switch it.kind {
		case iLit:
			if len(s) < len(it.lit) {
				return peTooShort
			}
			if !strings.HasPrefix(s, it.lit) {
				return peInvalid
			}
			s = s[len(it.lit):]
		case iSpace:
			s = trimLeftSpace(s)
		case iErr:
			return peBadFormat
		case iNum:
			s = trimLeftSpace(s)
			var v int64
			signed := it.num == nYear || it.num == nIsoYear
			w := numWidth[it.num]
			if it.num == nTimestamp {
				w = 1 << 30
			}
			switch {
			case signed && strings.HasPrefix(s, "-"):
				if s, v, err = scanNumber(s[1:], 1, 1<<30); err != nil {
					return err
				}
				v = -v
			case signed && strings.HasPrefix(s, "+"):
				if s, v, err = scanNumber(s[1:], 1, 1<<30); err != nil {
					return err
				}
			default:
				if s, v, err = scanNumber(s, 1, w); err != nil {
					return err
				}
			}
			if err := p.setNum(it.num, v); err != nil {
				return err
			}
		case iFix:
			if s, err = p.parseFixed(s, it.fix); err != nil {
				return err
			}
		}
	}
	if s != "" {
		return peTooLong
	}
	return nil
}

func (p *parsed) parseFixed(s string, k fixKind) (string, error) {
	var err error
	var v int64
	switch k {
	case fShortMonth, fLongMonth:
		var long []string
		if k == fLongMonth {
			long = longMonths[:]
		}
		var idx int
		if s, idx, err = scanName(s, shortMonths[:], long); err != nil {
			return s, err
		}
		return s, p.month.put(int64(idx) + 1)
	case fShortWeekday, fLongWeekday:
		var long []string
		if k == fLongWeekday {
			long = longWeekdays[:]
		}
		var idx int
		if s, idx, err = scanName(s, shortWeekdays[:], long); err != nil {
			return s, err
		}
		return s, p.weekday.put(int64((idx + 6) % 7))
	case fLowerAmPm, fUpperAmPm:
		if len(s) < 2 {
			return s, peTooShort
		}
		var pm int64
		switch strings.ToLower(s[:2]) {
		case "am":
		case "pm":
			pm = 1
		default:
			return s, peInvalid
		}
		return s[2:], p.hourDiv12.put(pm)
	case fNano, fNano3, fNano6, fNano9:
		if strings.HasPrefix(s, ".") {
			if s, v, err = scanNano(s[1:]); err != nil {
				return s, err
			}
			return s, p.nanosecond.put(v)
		}
		return s, nil
	case fNano3NoDot, fNano6NoDot, fNano9NoDot:
		d := map[fixKind]int{fNano3NoDot: 3, fNano6NoDot: 6, fNano9NoDot: 9}[k]
		if len(s) < d {
			return s, peTooShort
		}
		if s, v, err = scanNanoFixed(s, d); err != nil {
			return s, err
		}
		return s, p.nanosecond.put(v)
	case fTZName:
		return strings.TrimLeftFunc(s, func(r rune) bool { return !unicode.IsSpace(r) }), nil
	case fTZOffset, fTZOffsetColon:
		if s, v, err = scanOffset(trimLeftSpace(s), false, lenientColon); err != nil {
			return s, err
		}
		return s, p.offset.put(v)
	case fTZPermissive:
		t := trimLeftSpace(s)
		if strings.HasPrefix(t, "z") || strings.HasPrefix(t, "Z") {
			return t[1:], p.offset.put(0)
		}
		if s, v, err = scanOffset(t, true, lenientColon); err != nil {
			return s, err
		}
		return s, p.offset.put(v)
	case fRFC3339:
		return p.parseRFC3339(s)
	}
	return s, nil
}

func (p *parsed) parseRFC3339(s string) (string, error) {
	var err error
	var v int64
	field := func(o func(int64) error, sep byte) error {
		if s, v, err = scanNumber(s, 2, 2); err != nil {
			return err
		}
		if err := o(v); err != nil {
			return err
		}
		if sep == 0 {
			return nil
		}
		if s == "" {
			return peTooShort
		}
		if s[0] != sep {
			return peInvalid
		}
		s = s[1:]
		return nil
	}
	if s, v, err = scanNumber(s, 4, 4); err != nil {
		return s, err
	}
	if err := p.year.put(v); err != nil {
		return s, err
	}
	if s == "" {
		return s, peTooShort
	}
	if s[0] != '-' {
		return s, peInvalid
	}
	s = s[1:]
	if err := field(func(v int64) error { return p.setNum(nMonth, v) }, '-'); err != nil {
		return s, err
	}
	if err := field(func(v int64) error { return p.setNum(nDay, v) }, 0); err != nil {
		return s, err
	}
	if s == "" {
		return s, peTooShort
	}
	if s[0] != 'T' && s[0] != 't' {
		return s, peInvalid
	}
	s = s[1:]
	if err := field(func(v int64) error { return p.setNum(nHour, v) }, ':'); err != nil {
		return s, err
	}
	if err := field(func(v int64) error { return p.setNum(nMinute, v) }, ':'); err != nil {
		return s, err
	}
	if err := field(func(v int64) error { return p.setNum(nSecond, v) }, 0); err != nil {
		return s, err
	}
	if strings.HasPrefix(s, ".") {
		if s, v, err = scanNano(s[1:]); err != nil {
			return s, err
		}
		if err := p.nanosecond.put(v); err != nil {
			return s, err
		}
	}
	var off int64
	switch {
	case strings.HasPrefix(s, "z"), strings.HasPrefix(s, "Z"):
		s = s[1:]
	case len(s) > 0 && (s[0] == 'u' || s[0] == 'U'):
		if len(s) >= 3 && strings.EqualFold(s[1:3], "tc") {
			s = s[3:]
		} else {
			return s, peInvalid
		}
	default:
		colon := func(s string) (string, error) {
			if s == "" {
				return s, peTooShort
			}
			if s[0] != ':' {
				return s, peInvalid
			}
			return s[1:], nil
		}
		if s, off, err = scanOffset(s, false, colon); err != nil {
			return s, err
		}
	}
	if off <= -86400 || off >= 86400 {
		return s, peOutOfRange
	}
	return s, p.offset.put(off)
}

// date is a proleptic Gregorian calendar date.
type date struct{ y, m, d int64 }

func (d date) time() time.Time {
	return time.Date(int(d.y), time.Month(d.m), int(d.d), 0, 0, 0, 0, time.UTC)
}

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func fromYMD(y, m, d int64) (time.Time, bool) {
	if y < minYear || y > maxYear || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return time.Time{}, false
	}
	return date{y, m, d}.time(), true
}

func fromYO(y, o int64) (time.Time, bool) {
	if y < minYear || y > maxYear || o < 1 {
		return time.Time{}, false
	}
	n := int64(365)
	if daysIn(y, 2) == 29 {
		n = 366
	}
	if o > n {
		return time.Time{}, false
	}
	return date{y, 1, 1}.time().AddDate(0, 0, int(o-1)), true
}

// weekdayMon is 0 for Monday … 6 for Sunday.
func weekdayMon(t time.Time) int64 { return (int64(t.Weekday()) + 6) % 7 }

func fromISOYWD(y, w, wd int64) (time.Time, bool) {
	if y < minYear || y > maxYear || w < 1 {
		return time.Time{}, false
	}
	// the Monday of week 1 is in the week holding January 4th
	jan4 := date{y, 1, 4}.time()
	week1 := jan4.AddDate(0, 0, -int(weekdayMon(jan4)))
	t := week1.AddDate(0, 0, int((w-1)*7+wd))
	if ty, tw := t.ISOWeek(); int64(ty) != y || int64(tw) != w {
		return time.Time{}, false
	}
	return t, true
}

func resolveYear(y, q, r opt) (opt, error) {
	switch {
	case !q.set && !r.set:
		return y, nil
	case y.set && (!r.set || (r.v >= 0 && r.v <= 99)):
		if y.v < 0 {
			return opt{}, peOutOfRange
		}
		if (q.set && q.v != y.v/100) || (r.set && r.v != y.v%100) {
			return opt{}, peImpossible
		}
		return y, nil
	case !y.set && q.set && r.set && r.v >= 0 && r.v <= 99:
		if q.v < 0 || q.v*100+r.v > 1<<31-1 {
			return opt{}, peOutOfRange
		}
		return opt{true, q.v*100 + r.v}, nil
	case !y.set && !q.set && r.set && r.v >= 0 && r.v <= 99:
		if r.v < 70 {
			return opt{true, r.v + 2000}, nil
		}
		return opt{true, r.v + 1900}, nil
	case !y.set && q.set && !r.set:
		return opt{}, peNotEnough
	}
	return opt{}, peOutOfRange
}

func matches(o opt, v int64) bool { return !o.set || o.v == v }

func (p *parsed) toDate() (time.Time, error) {
	year, err := resolveYear(p.year, p.yearDiv100, p.yearMod100)
	if err != nil {
		return time.Time{}, err
	}
	isoYear, err := resolveYear(p.isoYear, p.isoYearDiv100, p.isoYearMod100)
	if err != nil {
		return time.Time{}, err
	}
	verifyYMD := func(t time.Time) bool {
		y := int64(t.Year())
		ok := matches(p.year, y) && matches(p.month, int64(t.Month())) && matches(p.day, int64(t.Day()))
		if y >= 0 {
			return ok && matches(p.yearDiv100, y/100) && matches(p.yearMod100, y%100)
		}
		return ok && !p.yearDiv100.set && !p.yearMod100.set
	}
	verifyISO := func(t time.Time) bool {
		iy, iw := t.ISOWeek()
		y := int64(iy)
		ok := matches(p.isoYear, y) && matches(p.isoWeek, int64(iw)) && matches(p.weekday, weekdayMon(t))
		if y >= 0 {
			return ok && matches(p.isoYearDiv100, y/100) && matches(p.isoYearMod100, y%100)
		}
		return ok && !p.isoYearDiv100.set && !p.isoYearMod100.set
	}
	verifyOrdinal := func(t time.Time) bool {
		o := int64(t.YearDay())
		wsun := int64(t.Weekday())
		return matches(p.ordinal, o) && matches(p.weekFromSun, (o-wsun+7)/7) && matches(p.weekFromMon, (o-weekdayMon(t)+7)/7)
	}
	weekDate := func(week int64, firstOffset func(time.Time) int64, dayOffset int64) (time.Time, error) {
		ny, ok := fromYO(year.v, 1)
		if !ok {
			return time.Time{}, peOutOfRange
		}
		if week > 53 {
			return time.Time{}, peOutOfRange
		}
		t := ny.AddDate(0, 0, int(firstOffset(ny)+(week-1)*7+dayOffset))
		if int64(t.Year()) != year.v {
			return time.Time{}, peOutOfRange
		}
		return t, nil
	}
	var t time.Time
	var ok bool
	switch {
	case year.set && p.month.set && p.day.set:
		if t, ok = fromYMD(year.v, p.month.v, p.day.v); !ok {
			return t, peOutOfRange
		}
		ok = verifyISO(t) && verifyOrdinal(t)
	case year.set && p.ordinal.set:
		if t, ok = fromYO(year.v, p.ordinal.v); !ok {
			return t, peOutOfRange
		}
		ok = verifyYMD(t) && verifyISO(t) && verifyOrdinal(t)
	case year.set && p.weekFromSun.set && p.weekday.set:
		t, err = weekDate(p.weekFromSun.v, func(ny time.Time) int64 { return (7 - int64(ny.Weekday())) % 7 }, (p.weekday.v+1)%7)
		if err != nil {
			return t, err
		}
		ok = verifyYMD(t) && verifyISO(t) && verifyOrdinal(t)
	case year.set && p.weekFromMon.set && p.weekday.set:
		t, err = weekDate(p.weekFromMon.v, func(ny time.Time) int64 { return (7 - weekdayMon(ny)) % 7 }, p.weekday.v)
		if err != nil {
			return t, err
		}
		ok = verifyYMD(t) && verifyISO(t) && verifyOrdinal(t)
	case isoYear.set && p.isoWeek.set && p.weekday.set:
		if t, ok = fromISOYWD(isoYear.v, p.isoWeek.v, p.weekday.v); !ok {
			return t, peOutOfRange
		}
		ok = verifyYMD(t) && verifyOrdinal(t)
	default:
		return t, peNotEnough
	}
	if !ok {
		return t, peImpossible
	}
	return t, nil
}

// toTime returns seconds and nanoseconds since midnight (a leap second
// gives 59 s and a nanosecond count above 1e9, as in chrono).
func (p *parsed) toTime() (int64, int64, error) {
	if !p.hourDiv12.set || !p.hourMod12.set || !p.minute.set {
		if (p.hourDiv12.set && p.hourDiv12.v > 1) || (p.hourMod12.set && p.hourMod12.v > 11) {
			return 0, 0, peOutOfRange
		}
		return 0, 0, peNotEnough
	}
	if p.hourDiv12.v > 1 || p.hourMod12.v > 11 || p.minute.v > 59 {
		return 0, 0, peOutOfRange
	}
	sec, nano := int64(0), int64(0)
	if p.second.set {
		switch {
		case p.second.v <= 59:
			sec = p.second.v
		case p.second.v == 60:
			sec, nano = 59, 1_000_000_000
		default:
			return 0, 0, peOutOfRange
		}
	}
	if p.nanosecond.set {
		if p.nanosecond.v > 999_999_999 {
			return 0, 0, peOutOfRange
		}
		if !p.second.set {
			return 0, 0, peNotEnough
		}
		nano += p.nanosecond.v
	}
	h := p.hourDiv12.v*12 + p.hourMod12.v
	return h*3600 + p.minute.v*60 + sec, nano, nil
}

// toDateTime resolves the fields into local seconds since the epoch and
// nanoseconds (chrono's to_naive_datetime_with_offset).
func (p *parsed) toDateTime(off int64) (int64, int64, error) {
	d, derr := p.toDate()
	secs, nano, terr := p.toTime()
	if derr == nil && terr == nil {
		ts := d.Unix() + secs
		if p.timestamp.set {
			given := ts - off
			if p.timestamp.v != given && !(nano >= 1_000_000_000 && p.timestamp.v == given+1) {
				return 0, 0, peImpossible
			}
		}
		return ts, nano, nil
	}
	if !p.timestamp.set {
		if derr != nil {
			return 0, 0, derr
		}
		return 0, 0, terr
	}
	for _, e := range []error{derr, terr} {
		if e == peOutOfRange {
			return 0, 0, peOutOfRange
		}
	}
	for _, e := range []error{derr, terr} {
		if e == peImpossible {
			return 0, 0, peImpossible
		}
	}
	ts := p.timestamp.v + off
	if (off > 0 && ts < p.timestamp.v) || (off < 0 && ts > p.timestamp.v) {
		return 0, 0, peOutOfRange
	}
	t := time.Unix(ts, 0).UTC()
	if y := t.Year(); y < minYear || y > maxYear {
		return 0, 0, peOutOfRange
	}
	q := *p
	if q.second.set && q.second.v == 60 {
		switch t.Second() {
		case 59:
		case 0:
			t = t.Add(-time.Second)
		default:
			return 0, 0, peImpossible
		}
	} else if err := q.setNum(nSecond, int64(t.Second())); err != nil {
		return 0, 0, err
	}
	for _, f := range []struct {
		k numKind
		v int64
	}{{nYear, int64(t.Year())}, {nOrdinal, int64(t.YearDay())}, {nHour, int64(t.Hour())}, {nMinute, int64(t.Minute())}} {
		if err := q.setNum(f.k, f.v); err != nil {
			return 0, 0, err
		}
	}
	d, err := q.toDate()
	if err != nil {
		return 0, 0, err
	}
	secs, nano, err = q.toTime()
	if err != nil {
		return 0, 0, err
	}
	return d.Unix() + secs, nano, nil
}
