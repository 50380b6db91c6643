package extractor

import (
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// datetime|format| parses a string with a strftime format, as
// datetime::parse does, giving nanoseconds since the epoch. A format with
// an unknown specifier is a compile error here (Tremor accepted it and
// the extractor then never matched).
type datetimeX string

func init() {
	register("datetime", func(p string) (Extractor, error) {
		if err := stdlib.CheckDatetimeFormat(p); err != nil {
			return nil, err
		}
		return datetimeX(p), nil
	})
}

func (x datetimeX) Extract(_ *stdlib.Ctx, v event.Value) (event.Value, bool, error) {
	s, ok := v.(string)
	if !ok {
		return nil, false, nil
	}
	ns, err := stdlib.ParseDatetime(s, string(x))
	if err != nil {
		return nil, false, nil
	}
	if ns > 1<<63-1 {
		return ns, true, nil
	}
	return int64(ns), true, nil
}
