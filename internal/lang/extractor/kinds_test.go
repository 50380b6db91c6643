package extractor

import (
	"sort"
	"strings"
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

func TestKinds(t *testing.T) {
	want := "base64 cidr datetime dissect glob grok influx json kv re rerg"
	if got := strings.Join(Kinds(), " "); got != want {
		t.Errorf("Kinds() = %s, want %s", got, want)
	}
}

func TestGlob(t *testing.T) {
	runCases(t, []xcase{
		{"glob", "INFO*", "INFO stuff", `true`, true},
		{"glob", "*INFO*", "INFO", `true`, true},
		{"glob", "snot*", "badger snot", "", false},
		{"glob", "*badger", "snot badger", `true`, true},
		{"glob", "snot*badger", "snot and badger", `true`, true},
		{"glob", "snot*badger", "snot", "", false},
		{"glob", "a?c", "abc", `true`, true},
		{"glob", "a?c", "a/c", `true`, true},
		{"glob", "a*c", "a/b/c", `true`, true},
		{"glob", "a/**/c", "a/x/y/c", `true`, true},
		{"glob", "a/**/c", "a/c", `true`, true},
		{"glob", "a/**", "a/x/y", `true`, true},
		{"glob", "[a-c]x", "bx", `true`, true},
		{"glob", "[!a-c]x", "bx", "", false},
		{"glob", "[!a-c]x", "dx", `true`, true},
		{"glob", "[]]x", "]x", `true`, true},
		{"glob", "x[*]", "x*", `true`, true},
		{"glob", "x[*]", "xy", "", false},
		{"glob", "foo[ab]*", "foo[ab]x", `true`, true}, // a prefix: brackets are literal
		{"glob", "foo[ab]*", "fooax", "", false},
		{"glob", "*", int64(1), "", false},
		{"glob", "", "", `true`, true},
		{"glob", "ä?", "äö", `true`, true},
	})
	for _, c := range []struct{ p, err string }{
		{"a***", "Pattern syntax error near position 3: wildcards are either regular `*` or recursive `**`"},
		{"a**b", "Pattern syntax error near position 0: recursive wildcards must form a single path component"},
		{"a/**b", "Pattern syntax error near position 4: recursive wildcards must form a single path component"},
		{"x[]", "Pattern syntax error near position 1: invalid range pattern"},
		{"?[!a", "Pattern syntax error near position 1: invalid range pattern"},
	} {
		if _, err := New("glob", c.p); err == nil || err.Error() != c.err {
			t.Errorf("glob|%s|: %v, want %q", c.p, err, c.err)
		}
	}
}

func TestKV(t *testing.T) {
	runCases(t, []xcase{
		{"kv", "", "a:b c:d", `{"a":"b","c":"d"}`, true},
		{"kv", "", "foo:bar snot:badger", `{"foo":"bar","snot":"badger"}`, true},
		{"kv", "", "a:b c d:e:f g:h", `{"a":"b","g":"h"}`, true},
		{"kv", "", "nothing here", "", false},
		{"kv", "%{key}=%{val}&", "a=1&b=2&c", `{"a":"1","b":"2"}`, true},
		{"kv", "%{key}=%{val}&%{key}:%{val}\\t", "a=1\tb:2&c=3", `{"a":"1","b":"2","c":"3"}`, true},
		{"kv", "%{key}%{val}", "a:1 a:2", `{"a":"2"}`, true},
		{"kv", "&", "a:1&b:2", `{"a":"1","b":"2"}`, true},
	})
	for _, c := range []struct{ p, err string }{
		{"%{key}=", "invalid pattern at character 6"},
		{"%{key} %{val} ", "The seperator ' ' is used for both key value seperation as well as pair seperation."},
		{"%{key}=%{val}\\x", "Invalid escape sequence \\'x' is not valid."},
		{"%{key}=%{val}\\", "Unterminated escape at the end of line or of a delimiter %{ can't be escaped"},
	} {
		if _, err := New("kv", c.p); err == nil || err.Error() != c.err {
			t.Errorf("kv|%s|: %v, want %q", c.p, err, c.err)
		}
	}
}

func TestDissect(t *testing.T) {
	runCases(t, []xcase{
		{"dissect", "%{name}", "John", `{"name":"John"}`, true},
		{"dissect", "%{a} %{b}", "John Doe", `{"a":"John","b":"Doe"}`, true},
		{"dissect", "%{name}, %{age}", "John Doe, 22", `{"name":"John Doe","age":"22"}`, true},
		{"dissect", "%{+name} %{+name}, %{age}", "John Doe, 22", `{"name":"John Doe","age":"22"}`, true},
		{"dissect", "%{?name}, %{&name}", "John Doe, 22", `{"John Doe":"22"}`, true},
		{"dissect", "%{name}, %{age}", ", 22", `{"name":"","age":"22"}`, true},
		{"dissect", "%{?first_name} %{last_name}, %{age}", "John Doe, 22", `{"last_name":"Doe","age":"22"}`, true},
		{"dissect", "%{name}, %{age:int}", "John Doe, 22", `{"name":"John Doe","age":22}`, true},
		{"dissect", "%{name}, %{age:float}", "John Doe, 22.5", `{"name":"John Doe","age":22.5}`, true},
		{"dissect", "%{name}, %{age:int}", "John Doe, x", "", false},
		{"dissect", "%{name}, %{_}%{age}", "John Doe,                22", `{"name":"John Doe","age":"22"}`, true},
		{"dissect", "%{name}, %{_(-)}%{age}", "John Doe, -----------------------22", `{"name":"John Doe","age":"22"}`, true},
		{"dissect", "%{name}%%{age}", "John}22", "", false},
		{"dissect", ".%{name}", "John", "", false},
		{"dissect", "foo %{name} bar", "foo John bar", `{"name":"John"}`, true},
		{"dissect", "%{name} cake", "John", "", false},
		{"dissect", "%{a}%{_}", "this   ", `{"a":"this"}`, true},
		{"dissect", "%{a}%{_}", "this", `{"a":"this"}`, true},
		{"dissect", "%{?name}: %{&name:int}", "key: 42", `{"key":42}`, true},
		{"dissect", "%{protocol}://%{host}.%{.tld}", "http://example.com/", `{"protocol":"http","host":"example",".tld":"com/"}`, true},
		{"dissect", "%{date} %{_(-)} %{?priority} %{&priority} %{+snot} %{+snot}", "2019-04-20 ------------------- high 3 foo bar", `{"date":"2019-04-20","high":"3","snot":"foo-bar"}`, true},
		{"dissect", "%{a}\\t%{b}", "x\ty", `{"a":"x","b":"y"}`, true},
		{"dissect", "%{a} %{b}", "x", "", false},
	})
	for _, c := range []struct{ p, err string }{
		{"%{a}%{b}", "A dilimiter needs to be provided between the two patterns at 4"},
		{"%{a", "Unterminated patter at 0"},
		{"%{a %{b}", "Unterminated patter at 0"},
		{"%{a:bool}", "Invalid type '0' at bool"},
		{"%{_x}", "Invalid padding at 0"},
		{"%{a}%{_}  ", "The padding at 4 can't be followed up by a dilimiter that begins with it"},
		{"%{a} \\q", "Invalid escape sequence \\'q' is not valid."},
	} {
		if _, err := New("dissect", c.p); err == nil || err.Error() != c.err {
			t.Errorf("dissect|%s|: %v, want %q", c.p, err, c.err)
		}
	}
}

func TestCIDR(t *testing.T) {
	runCases(t, []xcase{
		{"cidr", "", "192.168.1.0", `{"prefix":[192,168,1,0],"mask":[255,255,255,255]}`, true},
		{"cidr", "", "192.168.1.0/24", `{"prefix":[192,168,1,0],"mask":[255,255,255,0]}`, true},
		{"cidr", "", "192.168.1.7/24", `{"prefix":[192,168,1,0],"mask":[255,255,255,0]}`, true},
		{"cidr", "", "2001:4860:4860:0000:0000:0000:0000:8888", `{"prefix":[8193,18528,18528,0,0,0,0,34952],"mask":[65535,65535,65535,65535,65535,65535,65535,65535]}`, true},
		{"cidr", "", "2001:db8::/32", `{"prefix":[8193,3512,0,0,0,0,0,0],"mask":[65535,65535,0,0,0,0,0,0]}`, true},
		{"cidr", "", "10", `{"prefix":[0,0,0,10],"mask":[255,255,255,255]}`, true},
		{"cidr", "", "10.1", `{"prefix":[10,0,0,1],"mask":[255,255,255,255]}`, true},
		{"cidr", "", "10.1.2", `{"prefix":[10,1,0,2],"mask":[255,255,255,255]}`, true},
		{"cidr", "", "10.1.2.3/241", `{"prefix":[10,1,2,0],"mask":[255,255,255,0]}`, true},
		{"cidr", "", "10.1.2.3/33", "", false},
		{"cidr", "", "10.1.2.300", "", false},
		{"cidr", "", "::1", "", false}, // Tremor's reader gave up on a leading ':'
		{"cidr", "", "snot", "", false},
		{"cidr", "10.22.0.0/24, 10.22.1.0/24", "10.22.0.254", `{"prefix":[10,22,0,254],"mask":[255,255,255,255]}`, true},
		{"cidr", "10.22.0.0/24, 10.22.1.0/24", "10.22.1.1", `{"prefix":[10,22,1,1],"mask":[255,255,255,255]}`, true},
		{"cidr", "10.22.0.0/24, 10.22.1.0/24", "99.98.97.96", "", false},
		{"cidr", "10.22.0.0/24", "10.22.0", "", false},
		{"cidr", "fe80::/10", "fe80::1", `{"prefix":[65152,0,0,0,0,0,0,1],"mask":[65535,65535,65535,65535,65535,65535,65535,65535]}`, true},
	})
	if _, err := New("cidr", "10.0.0.0/8, snot"); err == nil || err.Error() != "could not parse CIDR: 'snot'" {
		t.Errorf("got %v", err)
	}
}

func TestInflux(t *testing.T) {
	c := &stdlib.Ctx{IngestNS: 1465839830100400200}
	cases := []struct{ in, want string }{
		{"wea\\ ther,location=us-midwest temperature=82.0 1465839830100400200", `{"measurement":"wea ther","tags":{"location":"us-midwest"},"fields":{"temperature":82.0},"timestamp":1465839830100400200}`},
		{"weather,location=us-midwest temperature=82 1465839830100400200", `{"measurement":"weather","tags":{"location":"us-midwest"},"fields":{"temperature":82.0},"timestamp":1465839830100400200}`},
		{"weather,location=us-midwest,season=summer temperature=82 1465839830100400200", `{"measurement":"weather","tags":{"location":"us-midwest","season":"summer"},"fields":{"temperature":82.0},"timestamp":1465839830100400200}`},
		{"weather temperature=82i", `{"measurement":"weather","tags":{},"fields":{"temperature":82},"timestamp":1465839830100400200}`},
		{"weather temperature=-82i,up=t,down=FALSE 1", `{"measurement":"weather","tags":{},"fields":{"temperature":-82,"up":true,"down":false},"timestamp":1}`},
		{"weather,location=us-midwest temperature=\"too warm\" 1465839830100400200", `{"measurement":"weather","tags":{"location":"us-midwest"},"fields":{"temperature":"too warm"},"timestamp":1465839830100400200}`},
		{"weather,location=us\\,midwest temperature=82 1465839830100400200", `{"measurement":"weather","tags":{"location":"us,midwest"},"fields":{"temperature":82.0},"timestamp":1465839830100400200}`},
		{"weather,location=us-midwest temp\\=rature=82 1465839830100400200", `{"measurement":"weather","tags":{"location":"us-midwest"},"fields":{"temp=rature":82.0},"timestamp":1465839830100400200}`},
		{"weather,location\\ place=us-midwest temperature=82 1465839830100400200", `{"measurement":"weather","tags":{"location place":"us-midwest"},"fields":{"temperature":82.0},"timestamp":1465839830100400200}`},
		{"wea\\,ther,location=us-midwest temperature=82 1465839830100400200", `{"measurement":"wea,ther","tags":{"location":"us-midwest"},"fields":{"temperature":82.0},"timestamp":1465839830100400200}`},
		{`weather,location=us-midwest temperature="too\"hot\"" 1465839830100400200`, `{"measurement":"weather","tags":{"location":"us-midwest"},"fields":{"temperature":"too\"hot\""},"timestamp":1465839830100400200}`},
		{`weather,location=us-midwest temperature_str="too hot\cold" 1465839830100400202`, `{"measurement":"weather","tags":{"location":"us-midwest"},"fields":{"temperature_str":"too hot\\cold"},"timestamp":1465839830100400202}`},
		{`weather,location=us-midwest temperature_str="too hot\\cold" 1465839830100400203`, `{"measurement":"weather","tags":{"location":"us-midwest"},"fields":{"temperature_str":"too hot\\cold"},"timestamp":1465839830100400203}`},
		{`weather,location=us-midwest temperature_str="too hot\\\cold" 1465839830100400204`, `{"measurement":"weather","tags":{"location":"us-midwest"},"fields":{"temperature_str":"too hot\\\\cold"},"timestamp":1465839830100400204}`},
		{`weather,location=us-midwest temperature_str="too hot\\\\cold" 1465839830100400205`, `{"measurement":"weather","tags":{"location":"us-midwest"},"fields":{"temperature_str":"too hot\\\\cold"},"timestamp":1465839830100400205}`},
		{`weather,location=us-midwest temperature_str="too hot\\\\\cold" 1465839830100400206`, `{"measurement":"weather","tags":{"location":"us-midwest"},"fields":{"temperature_str":"too hot\\\\\\cold"},"timestamp":1465839830100400206}`},
		{"", ""},
		{" \t \n# bla", ""},
		{"weather", ""},
		{"weather,location=us-midwest", ""},
		{"weather temperature=82 x", ""},
	}
	x, err := New("influx", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		out, ok, err := x.Extract(c, tc.in)
		got := ""
		if ok {
			got = string(event.MarshalJSON(out))
		}
		if err != nil || got != tc.want {
			t.Errorf("influx on %q: %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestDatetime(t *testing.T) {
	runCases(t, []xcase{
		{"datetime", "%Y-%m-%d %H:%M:%S", "2019-06-20 00:00:00", `1560988800000000000`, true},
		{"datetime", "%Y-%m-%d %H:%M", "2019-01-01 09:42", `1546335720000000000`, true},
		{"datetime", "%Y-%m-%d %H:%M", "2019-01-01", "", false},
	})
	if _, err := New("datetime", "%Y-%Q"); err == nil {
		t.Error("an unknown specifier compiled")
	}
}

func grokCase(t *testing.T, pattern, in, want string) {
	t.Helper()
	x, err := New("grok", pattern)
	if err != nil {
		t.Fatalf("grok|%s|: %v", pattern, err)
	}
	out, ok, err := x.Extract(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	if want == "" {
		if ok {
			t.Errorf("grok|%s| on %q matched: %s", pattern, in, event.MarshalJSON(out))
		}
		return
	}
	if !ok {
		t.Errorf("grok|%s| on %q: no match, want %s", pattern, in, want)
		return
	}
	// compare as sorted key=value lists: the key order is not Tremor's
	wv, _ := event.ParseJSON([]byte(want))
	if g, w := sortedPairs(out), sortedPairs(wv); g != w {
		t.Errorf("grok|%s| on %q:\n got %s\nwant %s", pattern, in, g, w)
	}
}

func sortedPairs(v event.Value) string {
	r := v.(*event.Record)
	var ps []string
	r.Range(func(k string, v event.Value) bool {
		ps = append(ps, k+"="+string(event.MarshalJSON(v)))
		return true
	})
	sort.Strings(ps)
	return strings.Join(ps, " ")
}

// Cases from Tremor's grok tests and tests/scripts/grok.
func TestGrok(t *testing.T) {
	grokCase(t, `%{IP:client} %{WORD:method} %{URIPATHPARAM:request} %{NUMBER:bytes} %{NUMBER:duration}`, "55.3.244.1 GET /index.html 15824 0.043",
		`{"duration":"0.043","bytes":"15824","client":"55.3.244.1","request":"/index.html","method":"GET"}`)
	grokCase(t, "%{USERNAME}", "foobar", `{}`)
	grokCase(t, "%{USERNAME:snot} %{USERNAME:snot}", "foobar badger", `{"snot":"badger","name0":"foobar"}`)
	grokCase(t, "%{USERNAME:snot} %{USERNAME:name0}", "foobar badger", `{"snot":"foobar","name0":"badger"}`)
	grokCase(t, "%{USERNAME:username}", "foobar", `{"username":"foobar"}`)
	grokCase(t, `^<%%{POSINT:syslog_pri}> %{TIMESTAMP_ISO8601:syslog_timestamp} (?<esx_uid>[-0-9a-f]+) %{SYSLOGHOST:syslog_hostname} (?:(?<syslog_program>[\x21-\x39\x3b-\x5a\x5c\x5e-\x7e]+)(?:\[%{POSINT:syslog_pid}\])?:?)? (?:%{TIMESTAMP_ISO8601:syslog_ingest_timestamp} )?(%{WORD:wf_pod} %{WORD:wf_datacenter} )?%{GREEDYDATA:syslog_message}`,
		"<%1> 2019-04-01T09:59:19+0000 deadbeaf01234 example program_name[1234] 2019-04-01T09:59:19+0010 pod dc foo bar baz",
		`{"syslog_program":"program_name","esx_uid":"deadbeaf01234","wf_datacenter":"dc","syslog_timestamp":"2019-04-01T09:59:19+0000","wf_pod":"pod","syslog_message":"foo bar baz","syslog_hostname":"example","syslog_pid":"1234","syslog_ingest_timestamp":"2019-04-01T09:59:19+0010","syslog_pri":"1"}`)
	grokCase(t, `^<%%{POSINT:syslog_pri}>(?:(?<syslog_version>\d{1,3}) )?(?:%{SYSLOGTIMESTAMP:syslog_timestamp1}|%{TIMESTAMP_ISO8601:syslog_timestamp}) %{SYSLOGHOST:syslog_hostname} (?:(?<syslog_program>[\x21-\x39\x3b-\x5a\x5c\x5e-\x7e]+)(?:\[%{POSINT:syslog_pid}\])?:?)? (?:%{TIMESTAMP_ISO8601:syslog_ingest_timestamp} )?(%{WORD:wf_pod} %{WORD:wf_datacenter} )?%{GREEDYDATA:syslog_message}`,
		"<%1>123 Jul   7 10:51:24 hostname program_name[1234] 2019-04-01T09:59:19+0010 pod dc foo bar baz",
		`{"wf_pod":"pod","syslog_timestamp1":"Jul   7 10:51:24","syslog_message":"foo bar baz","syslog_timestamp":"","syslog_pri":"1","syslog_hostname":"hostname","wf_datacenter":"dc","syslog_program":"program_name","syslog_ingest_timestamp":"2019-04-01T09:59:19+0010","syslog_pid":"1234","syslog_version":"123"}`)
	grokCase(t, `^<%%{POSINT:syslog_pri}>(?:(?<syslog_version>\d{1,3}) )?(?:%{SYSLOGTIMESTAMP:syslog_timestamp}|%{TIMESTAMP_ISO8601:syslog_timestamp})  ?(?:%{TIMESTAMP_ISO8601:syslog_ingest_timestamp} )?(%{WORD:wf_pod} %{WORD:wf_datacenter} )?%{GREEDYDATA:syslog_message}`,
		"<%1>123 Jul   7 10:51:24  2019-04-01T09:59:19+0010 pod dc foo bar baz",
		`{"syslog_version":"123","syslog_message":"foo bar baz","syslog_ingest_timestamp":"2019-04-01T09:59:19+0010","syslog_timestamp":"","syslog_pri":"1","wf_pod":"pod","wf_datacenter":"dc","name1":"Jul   7 10:51:24"}`)
	isilon := `^<invld>%{GREEDYDATA:syslog_error_prefix}>(%{TIMESTAMP_ISO8601:syslog_timestamp}(?: %{TIMESTAMP_ISO8601:syslog_ingest_timestamp})? )?(%{WORD:wf_pod} %{WORD:wf_datacenter} )?%{SYSLOGHOST:syslog_hostname} ?(%{SYSLOGPROG:syslog_program}:)?%{GREEDYDATA:syslog_message}`
	grokCase(t, isilon, "<invld>x>hostname.com bar baz",
		`{"pid":"","syslog_program":"","syslog_timestamp":"","syslog_message":"bar baz","wf_datacenter":"","syslog_hostname":"hostname.com","syslog_error_prefix":"x","wf_pod":"","syslog_ingest_timestamp":"","program":""}`)
	grokCase(t, isilon, "<invld>x>hostname.com program_name[1234]: bar baz",
		`{"pid":"1234","syslog_program":"program_name[1234]","syslog_timestamp":"","syslog_message":" bar baz","wf_datacenter":"","syslog_hostname":"hostname.com","syslog_error_prefix":"x","wf_pod":"","syslog_ingest_timestamp":"","program":"program_name"}`)
	grokCase(t, isilon, "<invld>x y z>pod dc hostname.com program_name[1234]:bar baz",
		`{"syslog_timestamp":"","syslog_ingest_timestamp":"","wf_datacenter":"dc","wf_pod":"pod","syslog_hostname":"hostname.com","syslog_program":"program_name[1234]","syslog_message":"bar baz","pid":"1234","syslog_error_prefix":"x y z","program":"program_name"}`)
	grokCase(t, isilon, "<invld>x y z>2019-04-01T09:59:19+0010 2019-04-01T09:59:19+0010 hostname.com program_name: bar baz",
		`{"syslog_timestamp":"2019-04-01T09:59:19+0010","syslog_ingest_timestamp":"2019-04-01T09:59:19+0010","wf_datacenter":"","wf_pod":"","syslog_hostname":"hostname.com","syslog_program":"program_name","syslog_message":" bar baz","pid":"","syslog_error_prefix":"x y z","program":"program_name"}`)
	// the standard composite patterns
	grokCase(t, "%{COMBINEDAPACHELOG}", `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"`,
		`{"clientip":"127.0.0.1","ident":"-","auth":"frank","timestamp":"10/Oct/2000:13:55:36 -0700","verb":"GET","request":"/apache_pb.gif","httpversion":"1.0","rawrequest":"","response":"200","bytes":"2326","referrer":"\"http://www.example.com/start.html\"","agent":"\"Mozilla/4.08 [en] (Win98; I ;Nav)\""}`)
	grokCase(t, "%{SYSLOGLINE}", "Jan  5 10:01:02 myhost sshd[4242]: Accepted publickey for root",
		`{"timestamp":"Jan  5 10:01:02","timestamp8601":"","facility":"","priority":"","logsource":"myhost","program":"sshd","pid":"4242","message":"Accepted publickey for root"}`)
	grokCase(t, "%{IP:a} %{IP:b} %{IP:c} x", "fe80::1%eth0 2001:db8::ff00:42:8329 ::ffff:10.0.0.1 x",
		`{"a":"fe80::1%eth0","b":"2001:db8::ff00:42:8329","c":"::ffff:10.0.0.1"}`)
	grokCase(t, "%{UUID:id} %{MAC:mac} %{EMAILADDRESS:mail} %{LOGLEVEL:lvl}", "123e4567-e89b-12d3-a456-426614174000 00:1A:2b:3c:4D:5e a.b+c@example.com WARNING",
		`{"id":"123e4567-e89b-12d3-a456-426614174000","mac":"00:1A:2b:3c:4D:5e","mail":"a.b+c@example.com","lvl":"WARNING"}`)
	grokCase(t, "%{URI:u}", "https://user:pw@example.com:8080/a/b?c=d&e",
		`{"u":"https://user:pw@example.com:8080/a/b?c=d&e","port":"8080"}`)
	grokCase(t, "%{QS:q} %{NUMBER:n} %{BASE16NUM:h}", `"say \"hi\"" -1.5 0xBEEF`, `{"q":"\"say \\\"hi\\\"\"","n":"-1.5","h":"0xBEEF"}`)
	grokCase(t, "%{NUMBER:n}", "abc", "")
	grokCase(t, "%{FOO:x=\\d+}-%{FOO:y}", "12-34", `{"x":"12","y":"34"}`)
	grokCase(t, `%{RUUID:id}`, "0123456789abcdef0123456789ABCDEF", `{"id":"0123456789abcdef0123456789ABCDEF"}`)
	grokCase(t, `^%{WORD:a}$`, "one\ntwo", `{"a":"one"}`) // ^ and $ are line anchors, as in Oniguruma
	grokCase(t, `x[[:digit:]]{,2}`, "x123", `{}`)

	for _, c := range []struct{ p, err string }{
		{"%{NAGIOSLOGLINE}", `The given pattern definition name "NAGIOSLOGLINE" could not be found in the definition map`},
		{"(", `failed compilation in the underlying engine`},
		{"", `ended up compiling into an empty regex`},
	} {
		if _, err := New("grok", c.p); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("grok|%s|: %v, want %q", c.p, err, c.err)
		}
	}
}

// Every default pattern compiles on its own.
func TestGrokDefaultsCompile(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range defaultGrokPatterns {
		if seen[d.name] {
			t.Errorf("%s defined twice", d.name)
		}
		seen[d.name] = true
		if _, err := New("grok", "%{"+d.name+":x}"); err != nil {
			t.Errorf("%s: %v", d.name, err)
		}
	}
	t.Logf("%d default grok patterns", len(seen))
}

// TestGrokNestedClasses: Oniguruma (which Tremor's grok ran on) nests
// character classes and intersects them with &&; regexp2 reads a `[`
// inside a class as a literal, so such classes are rewritten. Tremor's
// bench/ls-apache pattern writes `[%{HTTPDATE:timestamp}]` unescaped:
// Oniguruma reads the whole bracket, HTTPDATE's expansion included, as
// one class (one character), with its [0-9]-style classes nested in it.
func TestGrokNestedClasses(t *testing.T) {
	for _, c := range []struct{ pattern, in, want string }{
		{`^(?<v>[a[0-9]]+)$`, "a19a", `{"v":"a19a"}`},
		{`^(?<v>[a[0-9]]+)$`, "b", ``},
		// the nested [+-] is a set of its own: no range "+-?" once joined
		{`^(?<v>[x[+-]?]+)$`, "+-?x", `{"v":"+-?x"}`},
		{`^(?<v>[x[+-]?]+)$`, ",", ``},
		{`^(?<v>[x[+-]?]+)$`, "0", ``},
		{`^(?<v>[^a[0-9]]+)$`, "bc", `{"v":"bc"}`},
		{`^(?<v>[^a[0-9]]+)$`, "b5", ``},
		{`^(?<v>[^a[0-9]]+)$`, "a", ``},
		{`^(?<v>[x[^0-9]]+)$`, "xb", `{"v":"xb"}`},
		{`^(?<v>[x[^0-9]]+)$`, "x5", ``},
		{`^(?<v>[a-z&&[^aeiou]]+)$`, "bcd", `{"v":"bcd"}`},
		{`^(?<v>[a-z&&[^aeiou]]+)$`, "bad", ``},
		{`^(?<v>[^a-z&&[^aeiou]]+)$`, "a1E", `{"v":"a1E"}`},
		{`^(?<v>[^a-z&&[^aeiou]]+)$`, "ab", ``},
		{`^(?<v>[[:digit:][x]]+)$`, "1x2", `{"v":"1x2"}`},
		// plain classes are unchanged
		{`^(?<v>[\]a-]+)$`, "]-a", `{"v":"]-a"}`},
	} {
		grokCase(t, c.pattern, c.in, c.want)
	}

	apache := `%{IPORHOST:clientip}·%{USER:ident}·%{USER:auth}·[%{HTTPDATE:timestamp}]·"%{WORD:verb}·%{DATA:request}·HTTP/%{NUMBER:httpversion}"·%{NUMBER:response:int}·(?:-|%{NUMBER:bytes:int})·%{QS:referrer}·%{QS:agent}`
	// The grok crate Tremor used has no type conversions: `:int` is part
	// of the key. The real log line (spaces, a bracketed date) does not match, in
	// Tremor either: the separators are U+00B7 and the bracket is one
	// character.
	grokCase(t, apache, `127.0.0.1 - - [19/Jun/1998:22:00:01 +0000] "GET /x HTTP/1.0" 200 47408 "-" "-"`, ``)
	grokCase(t, apache, `127.0.0.1·-·-·[19/Jun/1998:22:00:01 +0000]·"GET·/x·HTTP/1.0"·200·47408·"-"·"-"`, ``)
	grokCase(t, apache, `127.0.0.1·-·-·J·"GET·/x·HTTP/1.0"·200·47408·"-"·"-"`,
		`{"clientip":"127.0.0.1","ident":"-","auth":"-","verb":"GET","request":"/x","httpversion":"1.0","response:int":"200","bytes:int":"47408","referrer":"\"-\"","agent":"\"-\""}`)
}
