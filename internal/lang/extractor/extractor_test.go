package extractor

import (
	"errors"
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
)

type xcase struct {
	kind, pattern string
	in            event.Value
	want          string // JSON of the result; "" = no match
	test          bool   // Test's answer
}

func runCases(t *testing.T, cases []xcase) {
	t.Helper()
	for _, c := range cases {
		x, err := New(c.kind, c.pattern)
		if err != nil {
			t.Errorf("%s|%s|: %v", c.kind, c.pattern, err)
			continue
		}
		out, ok, err := x.Extract(nil, c.in)
		if err != nil {
			t.Errorf("%s|%s| on %v: error %v", c.kind, c.pattern, c.in, err)
			continue
		}
		got := ""
		if ok {
			got = string(event.MarshalJSON(out))
		}
		if got != c.want {
			t.Errorf("%s|%s| on %s: got %q, want %q", c.kind, c.pattern, event.MarshalJSON(c.in), got, c.want)
		}
		if tt := Test(x, nil, c.in); tt != c.test {
			t.Errorf("%s|%s| on %s: Test = %v, want %v", c.kind, c.pattern, event.MarshalJSON(c.in), tt, c.test)
		}
	}
}

func TestRe(t *testing.T) {
	runCases(t, []xcase{
		{"re", "(snot)?foo(?P<snot>.*)", "foobar", `{"snot":"bar"}`, true},
		{"re", "(?P<a>x)|(?P<b>y)", "y", `{"b":"y"}`, true},
		{"re", "^(?P<d>\\d+)$", "١٢٣", `{"d":"١٢٣"}`, true}, // \d is Unicode, as in Rust
		{"re", "x", "y", "", false},
		{"re", "x", int64(1), "", false},
		{"rerg", "(?P<key>[^=]+)=(?P<val>[^&]+)&", "foo=bar&baz=bat&", `{"key":["foo","baz"],"val":["bar","bat"]}`, true},
		{"rerg", "(?P<key>[^=]+)=", "nothing", `{}`, false},
		{"RE", "(?P<a>.)", "z", `{"a":"z"}`, true},
	})
}

func TestBase64JSON(t *testing.T) {
	runCases(t, []xcase{
		{"base64", "", "dGhpcyBpcyBhIHRlc3Q=", `"this is a test"`, true},
		{"base64", "", "aGk", `"hi"`, true},
		{"base64", "", "aGk==", "", false},
		{"base64", "", "not base64!", "", false},
		{"base64", "", "/w==", "", true}, // valid base64, not UTF-8
		{"json", "", `{"a":[1,18446744073709551615]}`, `{"a":[1,18446744073709551615]}`, true},
		{"json", "", `{"a":`, "", false},
	})
}

func TestNewErrors(t *testing.T) {
	_, err := New("jsno", "")
	var uk *UnknownKindError
	if !errors.As(err, &uk) || err.Error() != "Unsupported extractor jsno" || uk.Hint() != "Did you mean `json`?" {
		t.Errorf("got %v", err)
	}
	_, err = New("snot", "")
	if !errors.As(err, &uk) || err.Error() != "Unsupported extractor snot" || uk.Hint() != "" {
		t.Errorf("got %v", err)
	}
	if _, err := New("re", "("); err == nil || err.Error() != "regex parse error:\n    (\n    ^\nerror: unclosed group" {
		t.Errorf("got %v", err)
	}
}
