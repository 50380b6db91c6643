package runtime

import (
	"errors"

	"github.com/temblor-dev/temblor/internal/lang"
)

// prettyError is a language error rendered with its source line and caret.
type prettyError struct {
	err  *lang.Error
	text string
}

func (e *prettyError) Error() string { return e.text }
func (e *prettyError) Unwrap() error { return e.err }

// prettyLangError renders trickle errors with the offending line and a
// caret; other errors pass through.
func prettyLangError(err error, src []byte) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, prettyLangError(e, src))
		}
		return errors.Join(out...)
	}
	var le *lang.Error
	if errors.As(err, &le) {
		return &prettyError{err: le, text: le.Pretty(src)}
	}
	return err
}

// artefactError is a problem with an artefact itself (its config, its
// pipeline), reported at its own position rather than at the link.
type artefactError struct{ err error }

func (e *artefactError) Error() string { return e.err.Error() }
func (e *artefactError) Unwrap() error { return e.err }
