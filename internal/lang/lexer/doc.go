// Package lexer turns trickle and tremor-script source into tokens. It
// never panics: malformed input yields an Illegal token with a message.
//
// The lexer knows nothing of grammar: it recognises comments (`#` to end
// of line), identifiers, keywords, numbers, strings (with `#{...}`
// interpolation kept raw for the parser) and punctuation, each with its
// start and end position.
package lexer
