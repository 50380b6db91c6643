package extractor

import (
	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// jsonX is json||: a string holding valid JSON decodes to its value.
type jsonX struct{}

func init() {
	register("json", func(string) (Extractor, error) { return jsonX{}, nil })
}

func (jsonX) Extract(_ *stdlib.Ctx, v event.Value) (event.Value, bool, error) {
	s, ok := v.(string)
	if !ok {
		return nil, false, nil
	}
	out, err := event.ParseJSON([]byte(s))
	if err != nil {
		return nil, false, nil
	}
	return out, true, nil
}
