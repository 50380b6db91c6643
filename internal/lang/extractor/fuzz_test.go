package extractor

import (
	"testing"

	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// fuzzKind compiles pattern as kind (errors are fine) and runs it on
// input: nothing may panic, and Test must agree with Extract as each kind
// promises.
func fuzzKind(t *testing.T, kind, pattern, input string) {
	if len(pattern) > 200 || len(input) > 1000 {
		return // keep backtracking kinds (glob, grok) within the fuzz time budget
	}
	x, err := New(kind, pattern)
	if err != nil {
		return
	}
	c := &stdlib.Ctx{IngestNS: 42}
	_, ok, err := x.Extract(c, input)
	if err != nil {
		t.Fatalf("%s|%s| on %q: %v", kind, pattern, input, err)
	}
	tested := Test(x, c, input)
	switch kind {
	case "rerg": // the result form never misses on a string
		if tested && !ok {
			t.Fatalf("%s|%s| on %q: Test without Extract", kind, pattern, input)
		}
	case "base64", "cidr": // the predicate form is more permissive
		if ok && !tested {
			t.Fatalf("%s|%s| on %q: Extract without Test", kind, pattern, input)
		}
	default:
		if ok != tested {
			t.Fatalf("%s|%s| on %q: Extract %v, Test %v", kind, pattern, input, ok, tested)
		}
	}
}

func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{{"INFO*", "INFO x"}, {"a/**/c", "a/b/c"}, {"[!a-c]?*x", "dzzx"}, {"*[]]*", "]"}, {"x[*]", "x*"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, p, in string) { fuzzKind(t, "glob", p, in) })
}

func FuzzRe(f *testing.F) {
	f.Add(`(?P<a>\d+)-(?P<b>\w+)`, "12-ab 3-c")
	f.Add(`(?x) a # c`, "a")
	f.Fuzz(func(t *testing.T, p, in string) {
		fuzzKind(t, "re", p, in)
		fuzzKind(t, "rerg", p, in)
	})
}

func FuzzKV(f *testing.F) {
	for _, s := range [][2]string{{"", "a:b c:d"}, {"%{key}=%{val}&", "a=1&b=2"}, {"%{key}=%{val}\\t%{key}:%{val},", "a=1\tb:2,c=3"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, p, in string) { fuzzKind(t, "kv", p, in) })
}

func FuzzDissect(f *testing.F) {
	for _, s := range [][2]string{
		{"%{a} %{b}", "John Doe"},
		{"%{date} %{_(-)} %{?priority} %{&priority} %{+snot} %{+snot}", "2019-04-20 ------------------- high 3 foo bar"},
		{"%{name}, %{age:int}", "John, 22"},
		{"%{?k}: %{&k:float}", "x: 1.5"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, p, in string) { fuzzKind(t, "dissect", p, in) })
}

func FuzzGrok(f *testing.F) {
	for _, s := range [][2]string{
		{"%{IP:client} %{WORD:method} %{URIPATHPARAM:request} %{NUMBER:bytes} %{NUMBER:duration}", "55.3.244.1 GET /index.html 15824 0.043"},
		{"%{SYSLOGLINE}", "Jan  5 10:01:02 myhost sshd[4242]: Accepted"},
		{"%{FOO:x=\\d+}", "12"},
		{"%{COMBINEDAPACHELOG}", `127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2 "-" "-"`},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, p, in string) { fuzzKind(t, "grok", p, in) })
}

func FuzzCIDR(f *testing.F) {
	for _, s := range [][2]string{{"", "10.1.2.3/24"}, {"", "2001:db8::/32"}, {"10.0.0.0/8, 192.168.0.0/16", "10.1.2.3"}, {"", "1..2"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, p, in string) { fuzzKind(t, "cidr", p, in) })
}

func FuzzInflux(f *testing.F) {
	for _, s := range []string{
		"weather,location=us-midwest temperature=82 1465839830100400200",
		`weather,location=us\,midwest temperature="too\"hot" 1`,
		"wea\\ ther t=1i,u=T",
		"m,a\\=b=c\\ d f=-1i 5",
		"m f=1\\,2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) { fuzzKind(t, "influx", "", in) })
}

func FuzzDatetime(f *testing.F) {
	f.Add("%Y-%m-%d %H:%M:%S", "2019-06-20 00:00:00")
	f.Add("%+", "2001-07-08T00:34:60.026490+09:30")
	f.Fuzz(func(t *testing.T, p, in string) { fuzzKind(t, "datetime", p, in) })
}

func FuzzBase64JSON(f *testing.F) {
	f.Add("8J+MiiBzbm90IGJhZGdlcg==")
	f.Add(`{"a":[1,2.5,"x"]}`)
	f.Fuzz(func(t *testing.T, in string) {
		fuzzKind(t, "base64", "", in)
		fuzzKind(t, "json", "", in)
	})
}
