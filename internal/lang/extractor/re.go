package extractor

import (
	"regexp"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// reX is re|...|: the named groups of the first match, as a record of
// strings (groups that did not take part are left out).
type reX struct{ re *regexp.Regexp }

// rergX is rerg|...|: every match, each named group collecting its
// captures in an array.
// A string with no match gives an empty record, as in Tremor; Test
// (predicates) requires a match.
type rergX struct{ re *regexp.Regexp }

func init() {
	register("re", func(p string) (Extractor, error) {
		re, err := stdlib.CompileRegex(p)
		if err != nil {
			return nil, err
		}
		return reX{re}, nil
	})
	register("rerg", func(p string) (Extractor, error) {
		re, err := stdlib.CompileRegex(p)
		if err != nil {
			return nil, err
		}
		return rergX{re}, nil
	})
}

func (x reX) Extract(_ *stdlib.Ctx, v event.Value) (event.Value, bool, error) {
	s, ok := v.(string)
	if !ok {
		return nil, false, nil
	}
	m := x.re.FindStringSubmatchIndex(s)
	if m == nil {
		return nil, false, nil
	}
	names := x.re.SubexpNames()
	out := event.NewRecord(len(names))
	for i, n := range names {
		if n == "" || m[2*i] < 0 {
			continue
		}
		out.Set(n, s[m[2*i]:m[2*i+1]])
	}
	return out, true, nil
}

func (x rergX) Extract(_ *stdlib.Ctx, v event.Value) (event.Value, bool, error) {
	s, ok := v.(string)
	if !ok {
		return nil, false, nil
	}
	// As in Tremor, a string without any match still gives a (empty)
	// record when the result is used; only the predicate form misses.
	all := x.re.FindAllStringSubmatchIndex(s, -1)
	names := x.re.SubexpNames()
	out := event.NewRecord(len(names))
	for _, m := range all {
		for i, n := range names {
			if n == "" || m[2*i] < 0 {
				continue
			}
			cur, _ := out.Get(n)
			xs, _ := cur.([]event.Value)
			out.Set(n, append(xs, s[m[2*i]:m[2*i+1]]))
		}
	}
	return out, true, nil
}

func (x reX) Test(_ *stdlib.Ctx, v event.Value) bool {
	s, ok := v.(string)
	return ok && x.re.MatchString(s)
}

func (x rergX) Test(_ *stdlib.Ctx, v event.Value) bool {
	s, ok := v.(string)
	return ok && x.re.MatchString(s)
}
