package stdlib

import (
	"testing"
	"time"
)

func TestDatetime(t *testing.T) {
	const ts = `1559655782123456789`
	runFuncCases(t, []fcase{
		{path: "datetime::parse", args: `["2019-08-07T16:41:12.159975-04:00", "%Y-%m-%dT%T%.6f%:z"]`, want: `1565210472159975000`},
		{path: "datetime::parse", args: `["2019-08-07T20:41:12.159975", "%Y-%m-%dT%T%.6f"]`, want: `1565210472159975000`},
		{path: "datetime::parse", args: `["1560777212", "%s"]`, want: `1560777212000000000`},
		{path: "datetime::parse", args: `["2019-06-17T13:15:40.752Z", "%Y-%m-%dT%H:%M:%S%.3fZ"]`, want: `1560777340752000000`},
		{path: "datetime::parse", args: `["1983 Apr 13 12:09:14.274 +0000", "%Y %b %d %H:%M:%S%.3f %z"]`, want: `419083754274000000`},
		{path: "datetime::parse", args: `["1983 April 13 12:09:14 +01", "%Y %B %d %H:%M:%S %#z"]`, want: `419080154000000000`},
		{path: "datetime::parse", args: `["2001-07-08T00:34:60.026490+09:30", "%+"]`, want: `994518300026490000`},
		{path: "datetime::parse", args: `["Tue,   1 Jan  19 09:42 PM", "%a, %e %b %y %I:%M %p"]`, want: `1546378920000000000`},
		{path: "datetime::parse", args: `["2019-001 09:42", "%Y-%j %H:%M"]`, want: `1546335720000000000`},
		{path: "datetime::parse", args: `["2019-W01-2 09:42", "%G-W%V-%u %H:%M"]`, want: `1546335720000000000`},
		{path: "datetime::parse", args: `["1969-12-31 23:59", "%Y-%m-%d %H:%M"]`, want: `18446744013709551616`},
		{path: "datetime::parse", args: `["2019-01-01", "%Y-%m-%d"]`, err: "Runtime error in function datetime::parse/1: Cannot Parse Datetime Parse Error: ParseError(NotEnough) to valid timestamp"},
		{path: "datetime::parse", args: `["2019-01-01 09:42x", "%Y-%m-%d %H:%M"]`, err: "ParseError(TooLong)"},
		{path: "datetime::parse", args: `["2019-13-01 09:42", "%Y-%m-%d %H:%M"]`, err: "ParseError(OutOfRange)"},
		{path: "datetime::parse", args: `["2019-02-29 09:42", "%Y-%m-%d %H:%M"]`, err: "ParseError(OutOfRange)"},
		{path: "datetime::parse", args: `["abc", "%Y"]`, err: "ParseError(Invalid)"},
		{path: "datetime::parse", args: `["20", "%Y-"]`, err: "ParseError(TooShort)"},
		{path: "datetime::parse", args: `["x", "%Q"]`, err: "ParseError(BadFormat)"},
		{path: "datetime::parse", args: `["2019-01-01 09:42", "%Y-%m-%d %H:%M %z"]`, err: "ParseError(TooShort)"},
		{path: "datetime::parse", args: `["Mon 2019-01-01 00:00", "%a %Y-%m-%d %H:%M"]`, err: "ParseError(Impossible)"},
		{path: "datetime::parse", args: `["2019-01-01 00:00 UTC", "%Y-%m-%d %H:%M %Z"]`, err: "ParseError(NotEnough)"},
		{path: "datetime::parse", args: `[1, "%s"]`, err: "Bad type passed to function datetime::parse/2"},
		{path: "datetime::format", args: `[419083754274000000, "%Y %b %d %H:%M:%S%.3f"]`, want: `"1983 Apr 13 12:09:14.274"`},
		{path: "datetime::format", args: `[419083754274000000, "%Y %b %d %H:%M:%S%.3f %:z %z %Z"]`, want: `"1983 Apr 13 12:09:14.274 +00:00 +0000 UTC"`},
		{path: "datetime::format", args: `[419083754274000000, "%+"]`, want: `"1983-04-13T12:09:14.274+00:00"`},
		{path: "datetime::format", args: `[419083754274000000, "%c|%D|%F|%v|%r|%R|%T"]`, want: `"Wed Apr 13 12:09:14 1983|04/13/83|1983-04-13|13-Apr-1983|12:09:14 PM|12:09|12:09:14"`},
		{path: "datetime::format", args: `[0, "%e|%-d|%_m|%0e|%j|%-j|%k|%l|%P|%a %A %b %B %h"]`, want: `" 1|1| 1|01|001|1| 0|12|am|Thu Thursday Jan January Jan"`},
		{path: "datetime::format", args: `[1546335720000000000, "%U %W %V %G %g %C %y %u %w %s"]`, want: `"00 01 01 2019 19 20 19 2 2 1546335720"`},
		{path: "datetime::format", args: `[1559655782123456789, "%f %.f %3f %6f %9f %.6f %.9f"]`, want: `"123456789 .123456789 123 123456 123456789 .123456 .123456789"`},
		{path: "datetime::format", args: `[1559655782000000000, "[%.f] %%Y %t%n"]`, want: `"[] %Y \t\n"`},
		{path: "datetime::format", args: `[0, "%Q"]`, err: "Runtime error in function datetime::format/2: invalid datetime format \"%Q\""},
		{path: "datetime::format", args: `[0, "%-a"]`, err: "invalid datetime format"},
		{path: "datetime::format", args: `[0, "%#z"]`, err: "invalid datetime format"},
		{path: "datetime::format", args: `[-1, "%Y"]`, err: "Bad type passed to function datetime::format/2"},
		{path: "datetime::iso8601", args: `[` + ts + `]`, want: `"2019-06-04T13:43:02.123456789+00:00"`},
		{path: "datetime::year", args: `[1555767782123456789]`, want: `2019`},
		{path: "datetime::month", args: `[1555767782123456789]`, want: `4`},
		{path: "datetime::day", args: `[1555767782123456789]`, want: `20`},
		{path: "datetime::hour", args: `[` + ts + `]`, want: `13`},
		{path: "datetime::minute", args: `[` + ts + `]`, want: `43`},
		{path: "datetime::second", args: `[` + ts + `]`, want: `2`},
		{path: "datetime::millisecond", args: `[1559655782987654321]`, want: `987`},
		{path: "datetime::microsecond", args: `[` + ts + `]`, want: `456`},
		{path: "datetime::nanosecond", args: `[` + ts + `]`, want: `789`},
		{path: "datetime::subsecond", args: `[` + ts + `]`, want: `123456789`},
		{path: "datetime::year", args: `[1.5]`, err: "Bad type passed to function datetime::year/1"},
		{path: "datetime::to_nearest_millisecond", args: `[` + ts + `]`, want: `1559655782123000000`},
		{path: "datetime::to_nearest_millisecond", args: `[123789654]`, want: `124000000`},
		{path: "datetime::to_nearest_millisecond", args: `[1999500000]`, want: `1000000000`},
		{path: "datetime::to_nearest_microsecond", args: `[` + ts + `]`, want: `1559655782123457000`},
		{path: "datetime::to_nearest_microsecond", args: `[123456123]`, want: `123456000`},
		{path: "datetime::to_nearest_second", args: `[` + ts + `]`, want: `1559655782000000000`},
		{path: "datetime::to_nearest_second", args: `[1500000000]`, want: `2000000000`},
		{path: "datetime::without_subseconds", args: `[` + ts + `]`, want: `1559655782`},
		{path: "datetime::from_human_format", args: `["3 days"]`, want: `259200000000000`},
		{path: "datetime::from_human_format", args: `["21 days 3 minutes 5 seconds"]`, want: `1814585000000000`},
		{path: "datetime::from_human_format", args: `["1 nanosecond"]`, want: `1`},
		{path: "datetime::from_human_format", args: `["2 hours 1 second"]`, want: `1000000000`},
		{path: "datetime::from_human_format", args: `["2 day"]`, err: "Runtime error in function datetime::from_human_format/1: The human format 2 day is invalid"},
		{path: "datetime::from_human_format", args: `["3"]`, err: "The human format 3 is invalid"},
		{path: "datetime::with_nanoseconds", args: `[5]`, want: `5`},
		{path: "datetime::with_microseconds", args: `[1]`, want: `1000`},
		{path: "datetime::with_milliseconds", args: `[1]`, want: `1000000`},
		{path: "datetime::with_seconds", args: `[1]`, want: `1000000000`},
		{path: "datetime::with_minutes", args: `[1]`, want: `60000000000`},
		{path: "datetime::with_minutes", args: `[100000000]`, want: `1705032704000000000`},
		{path: "datetime::with_hours", args: `[1]`, want: `3600000000000`},
		{path: "datetime::with_days", args: `[1]`, want: `86400000000000`},
		{path: "datetime::with_weeks", args: `[1]`, want: `604800000000000`},
		{path: "datetime::with_years", args: `[1]`, want: `31536000000000000`},
		{path: "datetime::with_years", args: `[4]`, want: `126230400000000000`},
		{path: "datetime::with_seconds", args: `[4294967296]`, err: "Bad type passed to function datetime::with_seconds/1"},
	})
}

func TestDatetimeToday(t *testing.T) {
	before := time.Now().UTC().Truncate(24 * time.Hour)
	v, err := Call(nil, "datetime::today")
	after := time.Now().UTC().Truncate(24 * time.Hour)
	if err != nil || (v != before.UnixNano() && v != after.UnixNano()) {
		t.Errorf("today = %v, %v; want %d", v, err, before.UnixNano())
	}
}

func TestHasTZ(t *testing.T) {
	for f, want := range map[string]bool{"%z": true, "%:z": true, "%#z": true, "%Z": true, "%+": true, "%%z": false, "%Y%:": false, "z": false, "%": false} {
		if hasTZ(f) != want {
			t.Errorf("hasTZ(%q) = %v", f, !want)
		}
	}
}

// The round trip: whatever format renders parses back to the same instant.
func TestDatetimeRoundTrip(t *testing.T) {
	formats := []string{"%Y-%m-%dT%H:%M:%S%.9f%:z", "%+", "%s%.f", "%a, %d %b %Y %T.%9f %z", "%G-W%V-%u %H:%M:%S%.f", "%Y-%j %I:%M:%S%.f %p"}
	for _, ns := range []uint64{0, 1, 999_999_999, 1_559_655_782_123_456_789, 4_102_444_799_999_999_999, 951_782_400_000_000_001} {
		for _, f := range formats {
			s, err := FormatDatetime(ns, f)
			if err != nil {
				t.Fatalf("format %d %q: %v", ns, f, err)
			}
			got, err := ParseDatetime(s, f)
			if err != nil || got != ns {
				t.Errorf("%q with %q: parsed %d, %v; want %d", s, f, got, err, ns)
			}
		}
	}
}

func FuzzDatetimeParse(f *testing.F) {
	for _, s := range [][2]string{
		{"2019-08-07T16:41:12.159975-04:00", "%Y-%m-%dT%T%.6f%:z"},
		{"1560777212", "%s"},
		{"1983 Apr 13 12:09:14.274 +0000", "%Y %b %d %H:%M:%S%.3f %z"},
		{"2001-07-08T00:34:60.026490+09:30", "%+"},
		{"2019-W01-2 09:42", "%G-W%V-%u %H:%M"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, s, format string) {
		ns, err := ParseDatetime(s, format)
		if err != nil {
			return
		}
		// a parsed instant can always be rendered
		if _, err := FormatDatetime(ns, "%+"); err != nil {
			t.Fatalf("%q %q → %d: %v", s, format, ns, err)
		}
	})
}

func FuzzDatetimeFormat(f *testing.F) {
	f.Add(uint64(1559655782123456789), "%c %+ %s %.f %-j %_H %#z %:z")
	f.Fuzz(func(t *testing.T, ns uint64, format string) {
		_, _ = FormatDatetime(ns, format)
	})
}
