package extractor

import (
	"fmt"
	"strings"
)

// kindDocs documents each extractor for docs/extractors.md.
var kindDocs = map[string]string{
	"glob": "Tests a string against a shell-style pattern: `?` is one character, `*` any run of characters (including `/`), `**` whole path components, `[a-z]` / `[!a-z]` character classes (no backslash escapes: `[*]` is a literal star). The result is `true`.\n\n" +
		"```tremor\nmatch event of\n  case r = %{ level ~= glob|WARN*| } => r   # {\"level\": true}\n  default => null\nend\n```",
	"re": "Matches a regular expression (Rust regex syntax, as in Tremor) anywhere in the string; the result is a record of the named groups `(?P<name>...)` of the first match (groups that did not take part are left out).\n\n" +
		"```tremor\n\"user=bob id=7\" ~ re|user=(?P<user>\\w+) id=(?P<id>\\d+)|   # {\"user\": \"bob\", \"id\": \"7\"}\n```",
	"rerg": "Like `re`, but for every match: each named group collects all its captures in an array. As in Tremor, a string with no match at all gives `{}` when the result is used (only the predicate form misses).\n\n" +
		"```tremor\n\"a=1&b=2&\" ~ rerg|(?P<k>[^=]+)=(?P<v>[^&]+)&|   # {\"k\": [\"a\", \"b\"], \"v\": [\"1\", \"2\"]}\n```",
	"base64": "Decodes standard base64 (padding optional) into the UTF-8 text it encodes.\n\n" +
		"```tremor\n\"c25vdCBiYWRnZXI=\" ~ base64||   # \"snot badger\"\n```",
	"kv": "Splits key/value pairs. The pattern names the separators: `%{key}=%{val}&` means pairs separated by `&`, keys from values by `=`; several forms may be combined. Defaults: pairs separated by a space, keys from values by `:`. A pair that does not split into exactly two parts is dropped; a string without any pair does not match.\n\n" +
		"```tremor\n\"a=1&b=2\" ~ kv|%{key}=%{val}&|   # {\"a\": \"1\", \"b\": \"2\"}\n```",
	"json": "Parses the string as JSON.\n\n" +
		"```tremor\n\"{\\\"a\\\": 1}\" ~ json||   # {\"a\": 1}\n```",
	"dissect": "Splits the string by the literal text between `%{...}` fields: `%{name}` a field, `%{name:int}` / `:float` / `:string` converted, `%{?name}` matched but not kept, `%{&name}` keyed by what `%{?name}` matched, `%{+name}` appended (joined by the last padding, or a space), `%{_}` / `%{_(-)}` padding to skip. Two fields need text between them; the last field takes the rest; the whole input must be consumed.\n\n" +
		"```tremor\n\"2019-04-20 high 3\" ~ dissect|%{date} %{?prio} %{&prio:int}|   # {\"date\": \"2019-04-20\", \"high\": 3}\n```",
	"grok": "Matches a grok pattern: a regular expression (Oniguruma syntax, as in Tremor) in which `%{NAME}` stands for a named pattern, `%{NAME:field}` captures it as `field`, and `%{NAME:field=regex}` defines `NAME` inline. Only aliased patterns and the expression's own `(?<name>...)` groups are captured, as strings (\"\" when they did not take part). The default pattern set covers the standard base patterns (`IP`, `NUMBER`, `WORD`, `TIMESTAMP_ISO8601`, `SYSLOGTIMESTAMP`, `URI`, ...) and the httpd, linux-syslog, java, redis, ruby, rails, mongodb, postgresql, aws, bind, squid, maven, mcollective and haproxy families; `/etc/tremor/grok.patterns` (`NAME regex` per line) adds more, as in Tremor.\n\n" +
		"```tremor\n\"55.3.244.1 GET /index.html\" ~ grok|%{IP:client} %{WORD:method} %{URIPATHPARAM:request}|\n# {\"client\": \"55.3.244.1\", \"method\": \"GET\", \"request\": \"/index.html\"}\n```",
	"cidr": "Matches an IP address or network and gives its `prefix` and `mask` as arrays of bytes (IPv4) or 16-bit groups (IPv6). With networks listed (`cidr|10.0.0.0/8, 192.168.0.0/16|`) only addresses inside one of them match.\n\n" +
		"```tremor\n\"192.168.1.0/24\" ~ cidr||   # {\"prefix\": [192, 168, 1, 0], \"mask\": [255, 255, 255, 0]}\n```",
	"influx": "Parses one line of InfluxDB line protocol into `measurement`, `tags`, `fields` and `timestamp` (the event's ingest time when the line has none). Field values are floats, integers with an `i` suffix, booleans or quoted strings.\n\n" +
		"```tremor\n\"weather,loc=us temp=82.0 1465839830100400200\" ~ influx||\n# {\"measurement\": \"weather\", \"tags\": {\"loc\": \"us\"}, \"fields\": {\"temp\": 82.0}, \"timestamp\": 1465839830100400200}\n```",
	"datetime": "Parses a datetime with a strftime format (as `datetime::parse`) into nanoseconds since the epoch. A format with an unknown specifier is a compile error.\n\n" +
		"```tremor\n\"2019-06-20 00:00:00\" ~ datetime|%Y-%m-%d %H:%M:%S|   # 1560988800000000000\n```",
}

// Markdown renders the extractor reference (docs/extractors.md).
func Markdown() string {
	var b strings.Builder
	b.WriteString("# Extractor reference\n\n")
	b.WriteString("<!-- Generated from internal/lang/extractor by `go test ./internal/lang/extractor -run TestExtractorsMarkdown -update`; do not edit. -->\n\n")
	b.WriteString("An extractor `kind|pattern|` tests a value in a match pattern and, when the match is assigned, extracts data from it: `case r = %{ field ~= kind|pattern| } => ...` or `case r = ~ kind|pattern| => ...`. ")
	b.WriteString("A `|` inside the pattern is written `\\|`. The pattern is compiled when the script is; an invalid one is a compile error pointing at it. A value that is not a string never matches.\n\n")
	for _, k := range Kinds() {
		fmt.Fprintf(&b, "## `%s`\n\n%s\n\n", k, kindDocs[k])
	}
	return b.String()
}
