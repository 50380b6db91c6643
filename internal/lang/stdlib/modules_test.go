package stdlib

import (
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
)

func TestArray(t *testing.T) {
	runFuncCases(t, []fcase{
		{path: "array::len", args: `[[1,2,3]]`, want: `3`},
		{path: "array::len", args: `["abc"]`, err: "Bad type passed to function array::len/1"},
		{path: "array::is_empty", args: `[[]]`, want: `true`},
		{path: "array::contains", args: `[[1,"two",{"a":[1.0]}], {"a":[1]}]`, want: `true`},
		{path: "array::contains", args: `[[1,2], 3]`, want: `false`},
		{path: "array::contains", args: `[{}, 3]`, err: "Bad type passed to function array::contains/2"},
		{path: "array::push", args: `[[1,2], [3]]`, want: `[1,2,[3]]`},
		{path: "array::unzip", args: `[[[1,"a"],[2,"b"]]]`, want: `[[1,2],["a","b"]]`},
		{path: "array::unzip", args: `[[[1,"a",3]]]`, err: "can be unzipped but this array contained 3 elements"},
		{path: "array::unzip", args: `[[1]]`, err: "can be unzipped but this array contained: 1"},
		{path: "array::zip", args: `[[1,2],["a","b"]]`, want: `[[1,"a"],[2,"b"]]`},
		{path: "array::zip", args: `[[1],[]]`, err: "Runtime error in function array::zip/2: Zipping two arrays requires them to have the same length, but the first array provided has 1 elements while the second one has 0 elements"},
		{path: "array::flatten", args: `[[1,[2,[3,[]]],4]]`, want: `[1,2,3,4]`},
		{path: "array::flatten", args: `[5]`, want: `[5]`},
		{path: "array::join", args: `[["this","is",1,2.0,2.5,true,null],"-"]`, want: `"this-is-1-2-2.5-true-null"`},
		{path: "array::join", args: `[[],","]`, want: `""`},
		{path: "array::coalesce", args: `[[null,1,null,"a"]]`, want: `[1,"a"]`},
	})
}

func TestRecord(t *testing.T) {
	runFuncCases(t, []fcase{
		{path: "record::len", args: `[{"a":1,"b":2}]`, want: `2`},
		{path: "record::len", args: `[[1]]`, err: "Bad type passed to function record::len/1"},
		{path: "record::is_empty", args: `[{}]`, want: `true`},
		{path: "record::contains", args: `[{"a":1}, "a"]`, want: `true`},
		{path: "record::contains", args: `[{"a":1}, 1]`, err: "Bad type"},
		{path: "record::keys", args: `[{"b":1,"a":2}]`, want: `["b","a"]`},
		{path: "record::values", args: `[{"b":1,"a":2}]`, want: `[1,2]`},
		{path: "record::to_array", args: `[{"b":1,"a":2}]`, want: `[["b",1],["a",2]]`},
		{path: "record::from_array", args: `[[["b",1],["a",2],["b",3]]]`, want: `{"b":3,"a":2}`},
		{path: "record::from_array", args: `[[["b",1,2]]]`, err: "can be trurned into an record this array contained 3 elements"},
		{path: "record::from_array", args: `[[[1,2]]]`, err: "The first element of the tuple needs to be a string: [1]"},
		{path: "record::from_array", args: `[[3]]`, err: "can be turned into records but this array contained: 3"},
		{path: "record::select", args: `[{"a":1,"b":2,"c":3}, ["c","a",1]]`, want: `{"a":1,"c":3}`},
		{path: "record::merge", args: `[{"a":1,"b":{"x":1}}, {"b":{"y":2},"c":3}]`, want: `{"a":1,"b":{"y":2},"c":3}`},
		{path: "record::rename", args: `[{"a":1,"b":2}, {"a":"z","b":5}]`, want: `{"z":1,"b":2}`},
		{path: "record::rename", args: `[{"a":1,"b":2}, {"a":"b"}]`, want: `{"b":2}`},
	})
}

func TestType(t *testing.T) {
	runFuncCases(t, []fcase{
		{path: "type::is_null", args: `[null]`, want: `true`},
		{path: "type::is_bool", args: `[0]`, want: `false`},
		{path: "type::is_integer", args: `[18446744073709551615]`, want: `true`},
		{path: "type::is_integer", args: `[1.0]`, want: `false`},
		{path: "type::is_float", args: `[1.0]`, want: `true`},
		{path: "type::is_number", args: `[-1]`, want: `true`},
		{path: "type::is_string", args: `["1"]`, want: `true`},
		{path: "type::is_array", args: `[[]]`, want: `true`},
		{path: "type::is_record", args: `[{}]`, want: `true`},
		{path: "type::is_binary", vals: []event.Value{[]byte{1}}, want: `true`},
		{path: "type::is_binary", args: `["x"]`, want: `false`},
		{path: "type::as_string", args: `[18446744073709551615]`, want: `"integer"`},
		{path: "type::as_string", vals: []event.Value{[]byte{1}}, want: `"bytes"`},
		{path: "type::as_string", args: `[{}]`, want: `"record"`},
	})
}

func TestMath(t *testing.T) {
	runFuncCases(t, []fcase{
		{path: "math::floor", args: `[42.9]`, want: `42`},
		{path: "math::floor", args: `[-42.1]`, want: `-43`},
		{path: "math::floor", args: `[18446744073709551615]`, want: `18446744073709551615`},
		{path: "math::floor", args: `[1e300]`, want: `18446744073709551615`},
		{path: "math::floor", args: `[-1e300]`, want: `-9223372036854775808`},
		{path: "math::ceil", args: `[41.1]`, want: `42`},
		{path: "math::round", args: `[41.5]`, want: `42`},
		{path: "math::round", args: `[-41.5]`, want: `-42`},
		{path: "math::trunc", args: `[-41.9]`, want: `-41`},
		{path: "math::trunc", args: `["1"]`, err: "Bad type passed to function math::trunc/1"},
		{path: "math::max", args: `[1, 2]`, want: `2`},
		{path: "math::max", args: `[9007199254740993, 9007199254740992]`, want: `9007199254740993`},
		{path: "math::max", args: `[-1, 18446744073709551615]`, want: `1.8446744073709552e19`},
		{path: "math::max", args: `[3, 2.0]`, want: `3.0`},
		{path: "math::min", args: `[-3, 2]`, want: `-3`},
		{path: "math::min", args: `[1, 2.0]`, want: `1.0`},
		{path: "math::min", args: `[1, "2"]`, err: "Bad type passed to function math::min/2"},
	})
}

func TestJSON(t *testing.T) {
	runFuncCases(t, []fcase{
		{path: "json::decode", args: `["{\"z\":18446744073709551615,\"a\":[1,2.5,null]}"]`, want: `{"z":18446744073709551615,"a":[1,2.5,null]}`},
		{path: "json::decode", args: `["{"]`, err: "Runtime error in function json::decode/1: "},
		{path: "json::decode", args: `[1]`, err: "Bad type"},
		{path: "json::encode", args: `[{"a":[1,2.5,"x"]}]`, want: `"{\"a\":[1,2.5,\"x\"]}"`},
		{path: "json::encode_pretty", args: `[{"a":[1,{}],"b":[]}]`, want: `"{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n}"`},
		{path: "json::encode_pretty", args: `[1]`, want: `"1"`},
	})
}

func TestRe(t *testing.T) {
	runFuncCases(t, []fcase{
		{path: "re::replace", args: `["[aeiou]", "badger", "_"]`, want: `"b_dger"`},
		{path: "re::replace", args: `["(?P<x>a)(b)", "xab", "$2${x}$$"]`, want: `"xba$"`},
		{path: "re::replace_all", args: `["[aeiou]", "badger", "_"]`, want: `"b_dg_r"`},
		{path: "re::is_match", args: `["^\\d+$", "١٢٣"]`, want: `true`},
		{path: "re::is_match", args: `["(?x) ^ a  # comment\n b $", "ab"]`, want: `true`},
		{path: "re::is_match", args: `["(", "x"]`, err: "Runtime error in function re::is_match/2: "},
		{path: "re::split", args: `["[,;] *", "a, b;c"]`, want: `["a","b","c"]`},
		{path: "re::split", args: `["", "ab"]`, want: `["","a","b",""]`},
		{path: "re::split", args: `["x", ""]`, want: `[""]`},
	})
}

func TestSystem(t *testing.T) {
	v, err := Call(&Ctx{IngestNS: 1600860720749137000}, "system::ingest_ns")
	if err != nil || v != int64(1600860720749137000) {
		t.Errorf("ingest_ns = %v, %v", v, err)
	}
	v, err = Call(&Ctx{IngestNS: 18446744073709551615}, "system::ingest_ns")
	if err != nil || v != uint64(18446744073709551615) {
		t.Errorf("ingest_ns = %v, %v", v, err)
	}
	if v, _ := Call(nil, "system::hostname"); v == "" {
		t.Error("empty hostname")
	}
	if v, _ := Call(nil, "system::instance"); v != "tremor" {
		t.Errorf("instance %v", v)
	}
	if v, _ := Call(nil, "system::version"); v != "0.11.12" {
		t.Errorf("version %v", v)
	}
	a, _ := Call(nil, "system::nanotime")
	b, _ := Call(nil, "system::nanotime")
	if a.(int64) > b.(int64) {
		t.Error("nanotime went backwards")
	}
}

func TestRegexTranslate(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`\d`, `[\p{Nd}]`},
		{`[\d_]`, `[\p{Nd}_]`},
		{`[^\D]`, `[^\D]`},
		{`\\d`, `\\d`},
		{`[]a]`, `[\]a]`},
		{`(?P<x>a)`, `(?P<x>a)`},
		{`(?ix)a b`, `(?i)ab`},
		{`(?x)[ ]`, `[ ]`},
		{`[[:alpha:]\w]`, `[[:alpha:]\p{L}\p{M}\p{Nd}\p{Pc}]`},
	} {
		if got := translateRegex(c.in); got != c.want {
			t.Errorf("%s → %s, want %s", c.in, got, c.want)
		}
	}
	if !strings.Contains(translateRegex(`\s`), `\x{3000}`) {
		t.Error(`\s is not Unicode`)
	}
}

func TestRegexErrors(t *testing.T) {
	for _, c := range []struct{ pattern, want string }{
		// tests/script_errors/invalid_extractor in Tremor's suite
		{"(", "regex parse error:\n    (\n    ^\nerror: unclosed group"},
		{"a(b(c)", "regex parse error:\n    a(b(c)\n     ^\nerror: unclosed group"},
		{"ab)", "regex parse error:\n    ab)\n      ^\nerror: unopened group"},
		{"x[ab", "regex parse error:\n    x[ab\n     ^\nerror: unclosed character class"},
		{"*a", "regex parse error:\n    *a\n    ^\nerror: repetition operator missing expression"},
		{"a|+", "regex parse error:\n    a|+\n      ^\nerror: repetition operator missing expression"},
		{`\q`, "regex parse error:\n    \\q\n    ^^\nerror: unrecognized escape sequence"},
		{`ab\`, "regex parse error:\n    ab\\\n      ^\nerror: incomplete escape sequence, reached end of pattern prematurely"},
		{`(a)\1`, "regex parse error:\n    (a)\\1\n       ^^\nerror: backreferences are not supported"},
		{`a(?=b)`, "regex parse error:\n    a(?=b)\n     ^^^\nerror: look-around, including look-ahead and look-behind, is not supported"},
		{`a{2`, "regex parse error:\n    a{2\n     ^^\nerror: unclosed counted repetition"},
		{`é(`, "regex parse error:\n    é(\n     ^\nerror: unclosed group"},
		{"a\n(b", "regex parse error:\n" + strings.Repeat("~", 79) + "\n1: a\n2: (b\n   ^\n" + strings.Repeat("~", 79) + "\nerror: unclosed group"},
	} {
		_, err := CompileRegex(c.pattern)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.pattern, err, c.want)
		}
	}
	runFuncCases(t, []fcase{{path: "re::is_match", args: `["(", "x"]`, err: "Runtime error in function re::is_match/2: regex parse error:\n    (\n    ^\nerror: unclosed group"}})
}
