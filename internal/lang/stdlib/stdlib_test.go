package stdlib

import (
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
)

func call(t *testing.T, name string, args ...event.Value) (event.Value, error) {
	t.Helper()
	s, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if len(args) < s.Min || (s.Max >= 0 && len(args) > s.Max) {
		t.Fatalf("%s: bad arity %d in test", name, len(args))
	}
	return s.Fn(args)
}

func rec(kv ...any) *event.Record {
	r := event.NewRecord(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		r.Set(kv[i].(string), kv[i+1])
	}
	return r
}

func TestFunctions(t *testing.T) {
	cases := []struct {
		name string
		args []event.Value
		want string // JSON of the result
	}{
		{"string::len", []event.Value{"héllo"}, `5`},
		{"string::lowercase", []event.Value{"AbC"}, `"abc"`},
		{"string::uppercase", []event.Value{"AbC"}, `"ABC"`},
		{"string::trim", []event.Value{"  x "}, `"x"`},
		{"string::contains", []event.Value{"abc", "bc"}, `true`},
		{"string::split", []event.Value{"a,b", ","}, `["a","b"]`},
		{"string::replace", []event.Value{"aXbX", "X", "-"}, `"a-b-"`},
		{"string::format", []event.Value{"{} is {{}} {}", int64(1), "s"}, `"1 is {} s"`},
		{"string::starts_with", []event.Value{"tremor", "tre"}, `true`},
		{"string::ends_with", []event.Value{"tremor", "x"}, `false`},
		{"array::len", []event.Value{[]event.Value{int64(1), int64(2)}}, `2`},
		{"array::push", []event.Value{[]event.Value{int64(1)}, "x"}, `[1,"x"]`},
		{"array::contains", []event.Value{[]event.Value{int64(1), "x"}, "x"}, `true`},
		{"record::keys", []event.Value{rec("b", int64(1), "a", int64(2))}, `["b","a"]`},
		{"record::values", []event.Value{rec("b", int64(1), "a", int64(2))}, `[1,2]`},
		{"record::contains", []event.Value{rec("b", int64(1)), "b"}, `true`},
		{"type::is_string", []event.Value{"x"}, `true`},
		{"type::is_integer", []event.Value{1.5}, `false`},
		{"type::as_string", []event.Value{[]event.Value{}}, `"array"`},
		{"math::floor", []event.Value{2.7}, `2`},
		{"math::ceil", []event.Value{2.1}, `3`},
		{"math::max", []event.Value{int64(9007199254740993), int64(1)}, `9007199254740993`},
		{"math::min", []event.Value{2.5, int64(3)}, `2.5`},
		{"json::encode", []event.Value{rec("a", []event.Value{nil, true})}, `"{\"a\":[null,true]}"`},
		{"json::decode", []event.Value{`{"z":18446744073709551615,"a":1}`}, `{"z":18446744073709551615,"a":1}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := call(t, c.name, c.args...)
			if err != nil {
				t.Fatal(err)
			}
			if s := string(event.MarshalJSON(got)); s != c.want {
				t.Errorf("got %s, want %s", s, c.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name string
		args []event.Value
		want string
	}{
		{"system::hostnam", nil, "unknown function system::hostnam, did you mean system::hostname?"},
		{"string::lenn", []event.Value{"x"}, "did you mean string::len?"},
		{"string::len", []event.Value{int64(1)}, "string::len: argument 1 must be a string, got integer"},
		{"string::format", []event.Value{"{} {}", int64(1)}, "more {} placeholders than arguments"},
		{"string::format", []event.Value{"{}", int64(1), int64(2)}, "2 arguments for 1 placeholders"},
		{"json::decode", []event.Value{"{"}, "json::decode"},
	}
	for _, c := range cases {
		_, err := call(t, c.name, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s%v: got %v, want %q", c.name, c.args, err, c.want)
		}
	}
}

func TestHostname(t *testing.T) {
	v, err := call(t, "system::hostname")
	if s, ok := v.(string); err != nil || !ok || s == "" {
		t.Fatalf("%v %v", v, err)
	}
}
