package stdlib

import (
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	const syntax = "Patterns use Rust regex syntax as Tremor did (`(?P<name>...)` groups, Unicode `\\d \\w \\s`); an invalid pattern is a runtime error."
	def("re::replace", 3, true, "A string with the first match of a regex replaced.", "`re::replace(regex, input, to)`. In `to`, `$1` or `$name` (or `${name}`) insert a captured group and `$$` a dollar sign. "+syntax+"\n\n```tremor\nre::replace(\"[aeiou]\", \"badger\", \"_\") # \"b_dger\"\n```",
		str3(func(pat, s, to string) (event.Value, error) {
			re, err := CompileRegex(pat)
			if err != nil {
				return nil, &RuntimeError{Msg: err.Error()}
			}
			m := re.FindStringSubmatchIndex(s)
			if m == nil {
				return s, nil
			}
			out := []byte(s[:m[0]])
			out = re.ExpandString(out, to, s, m)
			return string(append(out, s[m[1]:]...)), nil
		}))
	def("re::replace_all", 3, true, "A string with every match of a regex replaced.", "`re::replace_all(regex, input, to)`; `to` as for `re::replace`. "+syntax+"\n\n```tremor\nre::replace_all(\"[aeiou]\", \"badger\", \"_\") # \"b_dg_r\"\n```",
		str3(func(pat, s, to string) (event.Value, error) {
			re, err := CompileRegex(pat)
			if err != nil {
				return nil, &RuntimeError{Msg: err.Error()}
			}
			return re.ReplaceAllString(s, to), nil
		}))
	def("re::is_match", 2, true, "Whether a regex matches anywhere in a string.", "`re::is_match(regex, input)`. "+syntax+"\n\n```tremor\nre::is_match(\"^b\", \"badger\") # true\n```",
		str2(func(pat, s string) (event.Value, error) {
			re, err := CompileRegex(pat)
			if err != nil {
				return nil, &RuntimeError{Msg: err.Error()}
			}
			return re.MatchString(s), nil
		}))
	def("re::split", 2, true, "A string split at every match of a regex.", "`re::split(regex, input)`. "+syntax+"\n\n```tremor\nre::split(\"[,;] *\", \"a, b;c\") # [\"a\", \"b\", \"c\"]\n```",
		str2(func(pat, s string) (event.Value, error) {
			re, err := CompileRegex(pat)
			if err != nil {
				return nil, &RuntimeError{Msg: err.Error()}
			}
			var out []event.Value
			last := 0
			for _, m := range re.FindAllStringIndex(s, -1) {
				out = append(out, s[last:m[0]])
				last = m[1]
			}
			return append(out, s[last:]), nil
		}))
}
