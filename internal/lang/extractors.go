package lang

import (
	"fmt"

	"github.com/temblor-dev/temblor/internal/lang/vm"
)

// newExtractor compiles an extractor; the extractor package wires in here.
func newExtractor(kind, pattern string) (vm.Extractor, error) {
	return nil, fmt.Errorf("Unsupported extractor %s", kind)
}
