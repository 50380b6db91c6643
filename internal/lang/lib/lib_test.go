package lib_test

import (
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/lang"
	"github.com/temblor-dev/temblor/internal/lang/lib"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// Every module of the library compiles, and every native function is
// declared in one of them.
func TestEveryModuleCompiles(t *testing.T) {
	for path := range lib.Files() {
		mod := strings.ReplaceAll(path, "/", "::")
		if _, err := lang.Compile("t.tremor", "use "+mod+";\nevent", lang.Options{}); err != nil {
			t.Errorf("use %s: %v", mod, err)
		}
	}
	all := strings.Join(mapValues(lib.Files()), "\n")
	for _, f := range stdlib.All() {
		if !strings.Contains(all, " as "+f.Module()+"::") {
			t.Errorf("%s is declared in no library module", f.Path)
		}
	}
}

func TestStdlibThroughModules(t *testing.T) {
	cases := map[string]string{
		`use std::string; string::len("héllo")`:                                         `5`,
		`use std; std::string::len("ab")`:                                               `2`,
		`use tremor::system; system::hostname() != ""`:                                  `true`,
		`use std::integer; integer::max`:                                                `9223372036854775807`,
		`use std::range; range::contains([1, 2, 3], 2)`:                                 `true`,
		`use cncf::otel::trace::status; let s = status::ok(); s.message`:                `"Ok"`,
		`use cncf::otel::logs::severity; severity::to_string(severity::warn2)`:          `"WARN2"`,
		`use cncf::otel; let v = otel::span_id::is_valid("0000000000000001"); v.string`: `true`,
		`use std::record; record::keys({"a": 1})`:                                       `["a"]`,
	}
	for src, want := range cases {
		s, err := lang.Compile("t.tremor", src, lang.Options{})
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		var ev any
		r, err := s.Run(lang.Env{Data: &ev})
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if got := lang.JSON(r.Value); got != want {
			t.Errorf("%s = %s, want %s", src, got, want)
		}
	}
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
