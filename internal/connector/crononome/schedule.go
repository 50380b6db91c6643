package crononome

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// schedule is a cron expression in Tremor's dialect (the Rust `cron`
// crate's): six or seven fields — seconds, minutes, hours, day of month,
// month, day of week (1 = Sunday … 7 = Saturday), and an optional year —
// in UTC, where a day must match both the day of month and the day of
// week. robfig/cron parses the first six (with the day of week moved to
// its 0 = Sunday numbering); the year and the "both days" rule are
// applied here.
type schedule struct {
	spec  *cron.SpecSchedule
	years []yearRange // nil: every year
	// bothDays: day of month and day of week are both restricted;
	// robfig/cron would fire on either (Vixie cron), Tremor on both.
	bothDays bool
}

type yearRange struct{ from, to, step int }

func (y yearRange) has(year int) bool {
	return year >= y.from && year <= y.to && (year-y.from)%y.step == 0
}

var parser = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// lastYear bounds the search for the next time (the Rust crate's limit is
// similar); an expression with no time before then never fires.
const lastYear = 2200

func parseSchedule(expr string) (*schedule, error) {
	fields := strings.Fields(expr)
	if len(fields) != 6 && len(fields) != 7 {
		return nil, fmt.Errorf("a cron expression has 6 or 7 fields (seconds minutes hours day-of-month month day-of-week [year]), %q has %d", expr, len(fields))
	}
	s := &schedule{}
	if len(fields) == 7 {
		years, err := parseYears(fields[6])
		if err != nil {
			return nil, err
		}
		s.years = years
	}
	dow, err := shiftWeekdays(fields[5])
	if err != nil {
		return nil, err
	}
	fields[5] = dow
	sched, err := parser.Parse(strings.Join(fields[:6], " "))
	if err != nil {
		return nil, err
	}
	s.spec = sched.(*cron.SpecSchedule)
	s.spec.Location = time.UTC
	s.bothDays = !isStar(fields[3]) && !isStar(fields[5])
	return s, nil
}

func isStar(f string) bool { return f == "*" || f == "?" }

// weekdays are the day names the Rust crate accepts, by robfig/cron's
// number.
var weekdays = map[string]int{"sun": 0, "sunday": 0, "mon": 1, "monday": 1, "tue": 2, "tues": 2, "tuesday": 2,
	"wed": 3, "wednesday": 3, "thu": 4, "thurs": 4, "thursday": 4, "fri": 5, "friday": 5, "sat": 6, "saturday": 6}

// shiftWeekdays rewrites a day-of-week field from the Rust crate's
// numbering (1 = Sunday … 7 = Saturday, or names) to robfig/cron's
// (0 = Sunday … 6 = Saturday). Steps stay as they are.
func shiftWeekdays(field string) (string, error) {
	if isStar(field) {
		return "*", nil
	}
	items := strings.Split(field, ",")
	for i, item := range items {
		rng, step, hasStep := strings.Cut(item, "/")
		if rng == "*" {
			continue
		}
		lo, hi, isRange := strings.Cut(rng, "-")
		conv := func(s string) (string, error) {
			if n, ok := weekdays[strings.ToLower(s)]; ok {
				return strconv.Itoa(n), nil
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 7 {
				return "", fmt.Errorf("day of week %q: use 1 (Sunday) to 7 (Saturday) or a name such as Mon", s)
			}
			return strconv.Itoa(n - 1), nil
		}
		a, err := conv(lo)
		if err != nil {
			return "", err
		}
		out := a
		if isRange {
			b, err := conv(hi)
			if err != nil {
				return "", err
			}
			out += "-" + b
		}
		if hasStep {
			out += "/" + step
		}
		items[i] = out
	}
	return strings.Join(items, ","), nil
}

// parseYears reads a year field: *, N, N-M, with /step, in a list.
func parseYears(field string) ([]yearRange, error) {
	if isStar(field) {
		return nil, nil
	}
	var out []yearRange
	for _, item := range strings.Split(field, ",") {
		rng, stepS, hasStep := strings.Cut(item, "/")
		r := yearRange{from: 1970, to: lastYear, step: 1}
		if hasStep {
			n, err := strconv.Atoi(stepS)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("year step %q: use a positive number", stepS)
			}
			r.step = n
		}
		if rng != "*" {
			lo, hi, isRange := strings.Cut(rng, "-")
			a, err := strconv.Atoi(lo)
			if err != nil || a < 1970 {
				return nil, fmt.Errorf("year %q: use a year from 1970", lo)
			}
			r.from = a
			if isRange {
				b, err := strconv.Atoi(hi)
				if err != nil || b < a {
					return nil, fmt.Errorf("year range %q: use FROM-TO with TO >= FROM", rng)
				}
				r.to = b
			} else if !hasStep {
				r.to = a
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *schedule) yearOK(y int) bool {
	if s.years == nil {
		return true
	}
	for _, r := range s.years {
		if r.has(y) {
			return true
		}
	}
	return false
}

// nextYear is the first allowed year after y (0: none).
func (s *schedule) nextYear(y int) int {
	for y++; y <= lastYear; y++ {
		if s.yearOK(y) {
			return y
		}
	}
	return 0
}

// dayOK applies the Rust crate's rule: both day fields must match.
func (s *schedule) dayOK(t time.Time) bool {
	if !s.bothDays {
		return true
	}
	const star = 1 << 63
	dom := s.spec.Dom&^star&(1<<uint(t.Day())) != 0
	dow := s.spec.Dow&^star&(1<<uint(t.Weekday())) != 0
	return dom && dow
}

// Next is the first time after t the schedule fires, or the zero time if
// it never does again.
func (s *schedule) Next(t time.Time) time.Time {
	t = t.UTC()
	for range 100_000 {
		if !s.yearOK(t.Year()) {
			y := s.nextYear(t.Year())
			if y == 0 {
				return time.Time{}
			}
			t = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Second)
		}
		n := s.spec.Next(t)
		if n.IsZero() || n.Year() > lastYear {
			return time.Time{}
		}
		if !s.yearOK(n.Year()) {
			t = n
			continue
		}
		if !s.dayOK(n) { // the rest of that day does not match either
			t = time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, time.UTC).Add(-time.Second)
			continue
		}
		return n
	}
	return time.Time{}
}
