package stdlib

import (
	"strconv"
	"strings"
	"time"

	"github.com/temblor-dev/temblor/internal/event"
)

// Datetimes are integers: nanoseconds since the Unix epoch (UTC), as
// Tremor's. Functions taking one require a non-negative integer.

func toTime(ns uint64) time.Time {
	return time.Unix(int64(ns/1_000_000_000), int64(ns%1_000_000_000)).UTC()
}

// ParseDatetime parses s with a chrono strftime format, as
// datetime::parse and the datetime extractor do, into nanoseconds since
// the epoch (an instant before 1970 wraps around, as Tremor's cast did).
func ParseDatetime(s, format string) (uint64, error) {
	ns, err := strptime(s, format, hasTZ(format))
	return uint64(ns), err
}

// FormatDatetime renders nanoseconds since the epoch with a chrono
// strftime format, in UTC.
func FormatDatetime(ns uint64, format string) (string, error) {
	return strftime(toTime(ns), format, hasTZ(format))
}

func tsArg(f func(ns uint64) event.Value) fn {
	return func(_ *Ctx, a []event.Value) (event.Value, error) {
		ns, ok := asU64(a[0])
		if !ok {
			return nil, ErrBadType
		}
		return f(ns), nil
	}
}

// u32Arg takes an integer 0..4294967295, Tremor's as_u32.
func u32Arg(f func(n uint32) uint64) fn {
	return func(_ *Ctx, a []event.Value) (event.Value, error) {
		n, ok := asU64(a[0])
		if !ok || n > 0xFFFFFFFF {
			return nil, ErrBadType
		}
		return uintV(f(uint32(n))), nil
	}
}

// The with_* multiplications run in 32 bits before widening, wrapping on
// overflow, exactly as Tremor's did (e.g. with_minutes(100000000)).
func withNanoseconds(n uint32) uint64  { return uint64(n) }
func withMicroseconds(n uint32) uint64 { return uint64(n) * 1_000 }
func withMilliseconds(n uint32) uint64 { return uint64(n) * 1_000_000 }
func withSeconds(n uint32) uint64      { return uint64(n) * 1_000_000_000 }
func withMinutes(n uint32) uint64      { return withSeconds(n * 60) }
func withHours(n uint32) uint64        { return withMinutes(n * 60) }
func withDays(n uint32) uint64         { return withHours(n * 24) }
func withWeeks(n uint32) uint64        { return withDays(n * 7) }
func withYears(n uint32) uint64        { return withDays(n*365) + withDays(n/4) }

func init() {
	const ts = "`datetime` is nanoseconds since the Unix epoch (a non-negative integer); the result is in UTC."
	def("datetime::parse", 2, true, "A datetime string parsed with a format into nanoseconds since the epoch.",
		"`datetime::parse(input, format)`. The format uses chrono's strftime specifiers as in Tremor (`%Y %m %d %H %M %S`, `%.f` / `%.3f` fractions, `%z` / `%:z` offsets, `%s` seconds since the epoch, `%b` month names, ...). If the format has an offset (`%z`, `%:z`, `%#z`, `%Z`, `%+`) the input must have one and the result is converted to UTC; otherwise the input is read as UTC. Whitespace in the format matches any run of whitespace. A failure is a runtime error naming chrono's reason (`Invalid`, `TooShort`, `TooLong`, `NotEnough`, `Impossible`, `OutOfRange`, `BadFormat`).\n\n```tremor\ndatetime::parse(\"2019-06-17T13:15:40.752Z\", \"%Y-%m-%dT%H:%M:%S%.3fZ\") # 1560777340752000000\ndatetime::parse(\"1983 Apr 13 12:09:14.274 +0000\", \"%Y %b %d %H:%M:%S%.3f %z\") # 419083754274000000\n```",
		str2(func(s, f string) (event.Value, error) {
			ns, err := ParseDatetime(s, f)
			if err != nil {
				// Tremor named this function with arity 1 in the message.
				return nil, &RuntimeError{Msg: "Cannot Parse Datetime Parse Error: " + err.Error() + " to valid timestamp", Arity: 1}
			}
			return uintV(ns), nil
		}))
	def("datetime::format", 2, true, "A datetime formatted with a strftime format.",
		"`datetime::format(datetime, format)`. "+ts+" Specifiers are chrono's, as for `datetime::parse`; offsets print as `+0000` / `+00:00` and `%Z` as `UTC`. An invalid specifier is a runtime error.\n\n```tremor\ndatetime::format(419083754274000000, \"%Y %b %d %H:%M:%S%.3f %:z\") # \"1983 Apr 13 12:09:14.274 +00:00\"\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			ns, ok1 := asU64(a[0])
			f, ok2 := a[1].(string)
			if !ok1 || !ok2 {
				return nil, ErrBadType
			}
			s, err := FormatDatetime(ns, f)
			if err != nil {
				return nil, &RuntimeError{Msg: err.Error()}
			}
			return s, nil
		})
	def("datetime::iso8601", 1, true, "A datetime as an ISO 8601 string with nanoseconds.", ts+"\n\n```tremor\ndatetime::iso8601(1559655782123456789) # \"2019-06-04T13:43:02.123456789+00:00\"\n```",
		tsArg(func(ns uint64) event.Value {
			s, _ := strftime(toTime(ns), "%Y-%m-%dT%H:%M:%S%.9f+00:00", false)
			return s
		}))
	part := func(name, what, example string, f func(t time.Time) int64) {
		def("datetime::"+name, 1, true, "The "+what+" of a datetime.", ts+"\n\n```tremor\n"+example+"\n```",
			tsArg(func(ns uint64) event.Value { return f(toTime(ns)) }))
	}
	part("year", "year", "datetime::year(1555795182000000000) # 2019", func(t time.Time) int64 { return int64(t.Year()) })
	part("month", "month (1 to 12)", "datetime::month(1555795182000000000) # 4", func(t time.Time) int64 { return int64(t.Month()) })
	part("day", "day of the month (1 to 31)", "datetime::day(1555795182000000000) # 20", func(t time.Time) int64 { return int64(t.Day()) })
	part("hour", "hour (0 to 23)", "datetime::hour(1559655782123456789) # 13", func(t time.Time) int64 { return int64(t.Hour()) })
	part("minute", "minute (0 to 59)", "datetime::minute(1559655782123456789) # 43", func(t time.Time) int64 { return int64(t.Minute()) })
	part("second", "second (0 to 59)", "datetime::second(1559655782123456789) # 2", func(t time.Time) int64 { return int64(t.Second()) })
	part("millisecond", "milliseconds within its second (0 to 999)", "datetime::millisecond(1559655782123456789) # 123", func(t time.Time) int64 { return int64(t.Nanosecond() / 1_000_000) })
	part("microsecond", "microseconds within its millisecond (0 to 999)", "datetime::microsecond(1559655782123456789) # 456", func(t time.Time) int64 { return int64(t.Nanosecond() / 1_000 % 1_000) })
	part("nanosecond", "nanoseconds within its microsecond (0 to 999)", "datetime::nanosecond(1559655782123456789) # 789", func(t time.Time) int64 { return int64(t.Nanosecond() % 1_000) })
	part("subsecond", "nanoseconds within its second (0 to 999999999)", "datetime::subsecond(1559655782123456789) # 123456789", func(t time.Time) int64 { return int64(t.Nanosecond()) })
	def("datetime::today", 0, false, "The start of today (midnight UTC), in nanoseconds since the epoch.", "```tremor\ndatetime::today() # 1600819200000000000\n```",
		func(*Ctx, []event.Value) (event.Value, error) {
			y, m, d := time.Now().UTC().Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).UnixNano(), nil
		})
	def("datetime::to_nearest_millisecond", 1, true, "A datetime rounded to the nearest millisecond.", ts+" Halves round up.\n\n```tremor\ndatetime::to_nearest_millisecond(1559655782123456789) # 1559655782123000000\n```",
		tsArg(func(ns uint64) event.Value { return uintV(roundSubsec(ns, 1_000_000)) }))
	def("datetime::to_nearest_microsecond", 1, true, "A datetime rounded to the nearest microsecond.", ts+" Halves round up.\n\n```tremor\ndatetime::to_nearest_microsecond(1559655782123456789) # 1559655782123457000\n```",
		tsArg(func(ns uint64) event.Value { return uintV(roundSubsec(ns, 1_000)) }))
	def("datetime::to_nearest_second", 1, true, "A datetime rounded to the nearest second.", ts+" Halves round up.\n\n```tremor\ndatetime::to_nearest_second(1559655782123456789) # 1559655782000000000\n```",
		tsArg(func(ns uint64) event.Value {
			sub := ns % 1_000_000_000
			if sub < 500_000_000 {
				return uintV(ns - sub)
			}
			return uintV(ns - sub + 1_000_000_000)
		}))
	def("datetime::without_subseconds", 1, true, "A datetime in whole seconds since the epoch.", "Note the unit of the result: seconds, not nanoseconds (as in Tremor).\n\n```tremor\ndatetime::without_subseconds(1559655782123456789) # 1559655782\n```",
		tsArg(func(ns uint64) event.Value { return uintV(ns / 1_000_000_000) }))
	def("datetime::from_human_format", 1, true, "A duration written in words, in nanoseconds.",
		"Pairs of a number and a unit separated by single spaces: `years`, `weeks`, `days`, `minutes`, `seconds`, `milliseconds`, `microseconds`, `nanoseconds`, or the singular with 1 (`1 day`). As in Tremor, hours are not a unit here, a year is 365¼ days, and pairs that do not parse are skipped; a total of 0 is a runtime error.\n\n```tremor\ndatetime::from_human_format(\"3 days 2 minutes\") # 259320000000000\n```",
		str1(func(s string) (event.Value, error) {
			if v := fromHumanFormat(s); v > 0 {
				return uintV(v), nil
			}
			return nil, rtErr("The human format %s is invalid", s)
		}))
	with := func(unit string, f func(uint32) uint64, example string) {
		def("datetime::with_"+unit, 1, true, "A number of "+unit+" as nanoseconds.", "The argument must be an integer from 0 to 4294967295; as in Tremor, the intermediate arithmetic is 32-bit and wraps for very large counts.\n\n```tremor\n"+example+"\n```", u32Arg(f))
	}
	with("nanoseconds", withNanoseconds, "datetime::with_nanoseconds(5) # 5")
	with("microseconds", withMicroseconds, "datetime::with_microseconds(1) # 1000")
	with("milliseconds", withMilliseconds, "datetime::with_milliseconds(1) # 1000000")
	with("seconds", withSeconds, "datetime::with_seconds(1) # 1000000000")
	with("minutes", withMinutes, "datetime::with_minutes(1) # 60000000000")
	with("hours", withHours, "datetime::with_hours(1) # 3600000000000")
	with("days", withDays, "datetime::with_days(1) # 86400000000000")
	with("weeks", withWeeks, "datetime::with_weeks(1) # 604800000000000")
	with("years", withYears, "datetime::with_years(1) # 31536000000000000")
}

// roundSubsec rounds the sub-second part to a multiple of unit, halves
// up (chrono's round_subsecs), keeping the whole seconds: a fraction that
// rounds up to a full second wraps to .000 of the same second, as it did
// in Tremor.
func roundSubsec(ns, unit uint64) uint64 {
	sub := ns % 1_000_000_000
	r := (sub + unit/2) / unit * unit
	if r >= 1_000_000_000 {
		r -= 1_000_000_000
	}
	return ns - sub + r
}

func fromHumanFormat(s string) uint64 {
	toks := strings.Split(s, " ")
	var acc uint64
	for i := 0; i+1 < len(toks); i += 2 {
		n64, err := strconv.ParseUint(toks[i], 10, 32)
		if err != nil {
			continue
		}
		n := uint32(n64)
		unit := toks[i+1]
		var f func(uint32) uint64
		switch strings.TrimSuffix(unit, "s") {
		case "year":
			f = withYears
		case "week":
			f = withWeeks
		case "day":
			f = withDays
		case "minute":
			f = withMinutes
		case "second":
			f = withSeconds
		case "millisecond":
			f = withMilliseconds
		case "microsecond":
			f = withMicroseconds
		case "nanosecond":
			f = withNanoseconds
		}
		if f == nil || (!strings.HasSuffix(unit, "s") && n != 1) {
			continue
		}
		acc += f(n)
	}
	return acc
}

// CheckDatetimeFormat reports a format chrono could not use (an unknown or
// incomplete specifier), for compile-time checks of datetime|...|.
func CheckDatetimeFormat(format string) error {
	for _, it := range compileFormat(format) {
		if it.kind == iErr {
			return errBadFormat{format}
		}
	}
	return nil
}
