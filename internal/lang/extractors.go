package lang

import (
	"github.com/temblor-dev/temblor/internal/lang/extractor"
	"github.com/temblor-dev/temblor/internal/lang/vm"
)

// newExtractor compiles `kind|pattern|` with the extractor package.
func newExtractor(kind, pattern string) (vm.Extractor, error) {
	x, err := extractor.New(kind, pattern)
	if err != nil {
		return nil, err
	}
	return x, nil
}
