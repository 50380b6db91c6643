package runtime

import (
	"errors"
	"strings"

	"github.com/temblor-dev/temblor/internal/diag"
)

// prettyError is a language error rendered with its source line and caret.
type prettyError struct {
	err  *diag.Diagnostic
	text string
}

func (e *prettyError) Error() string { return e.text }
func (e *prettyError) Unwrap() error { return e.err }

// prettyLangError renders trickle errors with the offending lines and a
// caret; other errors pass through.
func prettyLangError(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, prettyLangError(e))
		}
		return errors.Join(out...)
	}
	var d *diag.Diagnostic
	if errors.As(err, &d) {
		return &prettyError{err: d, text: strings.TrimRight(d.Render(), "\n")}
	}
	return err
}

// artefactError is a problem with an artefact itself (its config, its
// pipeline), reported at its own position rather than at the link.
type artefactError struct{ err error }

func (e *artefactError) Error() string { return e.err.Error() }
func (e *artefactError) Unwrap() error { return e.err }
