// Package ast defines the syntax trees of trickle queries and
// tremor-script. Nodes carry the position of their first token. The parser
// builds them; the interpreter and the pipeline builder read them and never
// change them.
package ast
