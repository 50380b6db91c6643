// Package lang holds what the stages of temblor's trickle/tremor-script
// implementation share: source positions and the positioned Error that
// prints the offending line with a caret. The stages live in subpackages:
// lexer → parser (building ast) → interp, with functions in stdlib.
//
// This package must stay free of grammar and evaluation: it only describes
// where something is and how to show it to a user.
package lang
