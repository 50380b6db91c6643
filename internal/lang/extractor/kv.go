package extractor

import (
	"fmt"
	"sort"
	"strings"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// kv|...| splits a string into key/value pairs (Tremor's kv crate). The
// pattern names the separators: `%{key}=%{val}&` means pairs separated by
// `&` with `=` between key and value; several forms may be given
// (`%{key}=%{val}&%{key}:%{val} `). Defaults: pairs separated by " ",
// keys from values by ":". Each pair must split into exactly two parts or
// it is dropped; a string without any pair does not match. Later keys
// replace earlier ones.
type kvX struct {
	fieldSeps, keySeps []string
}

func init() {
	register("kv", func(p string) (Extractor, error) { return compileKV(p) })
}

// unescape handles the escapes the kv and dissect patterns allow:
// \\ \n \t \r.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		if rs[i] != '\\' {
			b.WriteRune(rs[i])
			continue
		}
		if i+1 >= len(rs) {
			return "", fmt.Errorf("Unterminated escape at the end of line or of a delimiter %%{ can't be escaped")
		}
		i++
		switch rs[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", fmt.Errorf("Invalid escape sequence \\'%c' is not valid.", rs[i])
		}
	}
	return b.String(), nil
}

func compileKV(p string) (*kvX, error) {
	var fs, ks []string
	i := 0
	for {
		rest := p[i:]
		switch {
		case strings.HasPrefix(rest, "%{key}"):
			i += 6
			j := strings.Index(p[i:], "%{val}")
			if j < 0 {
				return nil, fmt.Errorf("invalid pattern at character %d", i)
			}
			if j != 0 {
				s, err := unescape(p[i : i+j])
				if err != nil {
					return nil, err
				}
				ks = append(ks, s)
			}
			i += j + 6
			continue
		case strings.Contains(rest, "%{key}"):
			j := strings.Index(rest, "%{key}")
			if j != 0 {
				s, err := unescape(rest[:j])
				if err != nil {
					return nil, err
				}
				fs = append(fs, s)
			}
			i += j
			continue
		case rest != "":
			s, err := unescape(rest)
			if err != nil {
				return nil, err
			}
			fs = append(fs, s)
		}
		break
	}
	if len(fs) == 0 {
		fs = []string{" "}
	}
	if len(ks) == 0 {
		ks = []string{":"}
	}
	fs, ks = sortDedup(fs), sortDedup(ks)
	for _, f := range fs {
		for _, k := range ks {
			if strings.Contains(k, f) {
				return nil, doubleSep(f)
			}
		}
		for _, f2 := range fs {
			if f2 != f && strings.Contains(f2, f) {
				return nil, doubleSep(f)
			}
		}
	}
	for _, k := range ks {
		for _, f := range fs {
			if strings.Contains(f, k) {
				return nil, doubleSep(k)
			}
		}
		for _, k2 := range ks {
			if k2 != k && strings.Contains(k2, k) {
				return nil, doubleSep(k)
			}
		}
	}
	return &kvX{fieldSeps: fs, keySeps: ks}, nil
}

func doubleSep(s string) error {
	return fmt.Errorf("The seperator '%s' is used for both key value seperation as well as pair seperation.", s)
}

func sortDedup(xs []string) []string {
	sort.Strings(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func multiSplit(s string, seps []string) []string {
	parts := []string{s}
	for _, sep := range seps {
		var next []string
		for _, p := range parts {
			next = append(next, splitRust(p, sep)...)
		}
		parts = next
	}
	return parts
}

// splitRust splits like Rust's str::split (an empty separator yields "",
// each character, "").
func splitRust(s, sep string) []string {
	if sep != "" {
		return strings.Split(s, sep)
	}
	out := []string{""}
	for _, r := range s {
		out = append(out, string(r))
	}
	return append(out, "")
}

func (x *kvX) run(s string) (*event.Record, bool) {
	out := event.NewRecord(4)
	for _, field := range multiSplit(s, x.fieldSeps) {
		if kv := multiSplit(field, x.keySeps); len(kv) == 2 {
			out.Set(kv[0], kv[1])
		}
	}
	return out, out.Len() > 0
}

func (x *kvX) Extract(_ *stdlib.Ctx, v event.Value) (event.Value, bool, error) {
	s, ok := v.(string)
	if !ok {
		return nil, false, nil
	}
	out, ok := x.run(s)
	if !ok {
		return nil, false, nil
	}
	return out, true, nil
}
