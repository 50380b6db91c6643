package extractor

import (
	"fmt"
	"strings"

	"github.com/temblor-dev/temblor/internal/event"
	"github.com/temblor-dev/temblor/internal/lang/stdlib"
)

// dissect|...| splits a string by the literal text between `%{...}`
// fields (Tremor's dissect crate, loosely Logstash's dissect):
//
//	%{name}        a field
//	%{name:int}    converted (int, float, string); a failed conversion is a miss
//	%{?name}       matched but not kept (%{} likewise)
//	%{&name}       keyed by the value a %{?name} matched earlier
//	%{+name}       appended to name with the last padding (or " ") between
//	%{_} %{_(-)}   padding: skips any run of " " (or "-")
//
// Two fields must be separated by text; the last field takes the rest;
// all of the input must be consumed. Delimiter text allows \\ \n \t \r.
type dissectX struct{ cmds []dissectCmd }

type dissectKind uint8

const (
	dDelim dissectKind = iota
	dField
	dPad
)

type dissectConv uint8

const (
	convString dissectConv = iota
	convInt
	convFloat
)

type dissectCmd struct {
	kind                dissectKind
	text                string // delimiter, padding, or field name
	ignore, lookup, add bool
	conv                dissectConv
}

func init() {
	register("dissect", func(p string) (Extractor, error) { return compileDissect(p) })
}

func dissectType(name string, idx int) (string, dissectConv, error) {
	i := strings.IndexByte(name, ':')
	if i < 0 {
		return name, convString, nil
	}
	switch t := name[i+1:]; t {
	case "int":
		return name[:i], convInt, nil
	case "float":
		return name[:i], convFloat, nil
	case "string":
		return name[:i], convString, nil
	default:
		// Tremor's message had the two values the other way round.
		return "", 0, fmt.Errorf("Invalid type '%d' at %s", idx, t)
	}
}

func parseDissectField(f string, idx int) (dissectCmd, error) {
	if f == "" {
		return dissectCmd{kind: dField, ignore: true}, nil
	}
	switch f[0] {
	case '?':
		return dissectCmd{kind: dField, ignore: true, text: f[1:]}, nil
	case '&':
		name, conv, err := dissectType(f[1:], idx)
		return dissectCmd{kind: dField, lookup: true, text: name, conv: conv}, err
	case '+':
		return dissectCmd{kind: dField, add: true, text: f[1:]}, nil
	case '_':
		if len(f) == 1 {
			return dissectCmd{kind: dPad, text: " "}, nil
		}
		if p := f[1:]; strings.HasPrefix(p, "(") && strings.HasSuffix(p, ")") && len(p) >= 2 {
			return dissectCmd{kind: dPad, text: p[1 : len(p)-1]}, nil
		}
		return dissectCmd{}, fmt.Errorf("Invalid padding at %d", idx)
	}
	name, conv, err := dissectType(f, idx)
	return dissectCmd{kind: dField, text: name, conv: conv}, err
}

func compileDissect(p string) (*dissectX, error) {
	var cmds []dissectCmd
	idx := 0
	wasField := false
	for p != "" {
		if !strings.HasPrefix(p, "%{") {
			wasField = false
			i := strings.Index(p, "%{")
			text := p
			if i >= 0 {
				text = p[:i]
			}
			d, err := unescape(text)
			if err != nil {
				return nil, err
			}
			cmds = append(cmds, dissectCmd{kind: dDelim, text: d})
			if i < 0 {
				break
			}
			p = p[i:]
			idx += i
			continue
		}
		end := strings.IndexByte(p, '}')
		if end < 0 {
			return nil, fmt.Errorf("Unterminated patter at %d", idx)
		}
		if next := strings.Index(p[2:], "%{"); next >= 0 && next+2 < end {
			return nil, fmt.Errorf("Unterminated patter at %d", idx)
		}
		c, err := parseDissectField(p[2:end], idx)
		if err != nil {
			return nil, err
		}
		p = p[end+1:]
		if c.kind == dPad {
			if strings.HasPrefix(p, c.text) {
				return nil, fmt.Errorf("The padding at %d can't be followed up by a dilimiter that begins with it", idx)
			}
			wasField = false
		} else {
			if wasField {
				return nil, fmt.Errorf("A dilimiter needs to be provided between the two patterns at %d", idx)
			}
			wasField = true
		}
		cmds = append(cmds, c)
		idx += end + 1
	}
	return &dissectX{cmds: cmds}, nil
}

func (x *dissectX) run(data string) (*event.Record, bool) {
	out := event.NewRecord(len(x.cmds))
	ignored := map[string]string{}
	lastSep := " "
	insert := func(c dissectCmd, name, val string) bool {
		switch {
		case c.ignore:
			ignored[name] = val
		case c.add:
			prev, had := out.Get(name)
			out.Delete(name)
			if !had {
				out.Set(name, val)
				break
			}
			s, ok := prev.(string)
			if !ok {
				return false
			}
			out.Set(name, s+lastSep+val)
		default:
			var v event.Value = val
			switch c.conv {
			case convInt:
				n, err := stdlib.Call(nil, "integer::parse", val)
				if err != nil {
					return false
				}
				v = n
			case convFloat:
				f, err := stdlib.Call(nil, "float::parse", val)
				if err != nil {
					return false
				}
				v = f
			}
			out.Set(name, v)
		}
		return true
	}
	for t := 0; t < len(x.cmds); t++ {
		c := x.cmds[t]
		switch c.kind {
		case dDelim:
			if !strings.HasPrefix(data, c.text) {
				return nil, false
			}
			data = data[len(c.text):]
		case dPad:
			lastSep = c.text
			if c.text != "" {
				for strings.HasPrefix(data, c.text) {
					data = data[len(c.text):]
				}
			}
		case dField:
			name := c.text
			if c.lookup {
				k, ok := ignored[name]
				delete(ignored, name)
				if !ok || k == "" {
					return nil, false
				}
				name = k
			}
			if t+1 == len(x.cmds) {
				if !insert(c, name, data) {
					return nil, false
				}
				return out, true
			}
			next := x.cmds[t+1]
			switch next.kind {
			case dPad:
				if i := strings.Index(data, next.text); i >= 0 {
					if !insert(c, name, data[:i]) {
						return nil, false
					}
					data = data[i:]
					break
				}
				// the padding is not there: take up to what follows it
				if t+2 == len(x.cmds) {
					if !insert(c, name, data) {
						return nil, false
					}
					data = ""
					break
				}
				after := x.cmds[t+2]
				if after.kind != dDelim {
					return nil, false
				}
				i := strings.Index(data, after.text)
				if i < 0 || !insert(c, name, data[:i]) {
					return nil, false
				}
				data = data[i:]
			case dDelim:
				i := strings.Index(data, next.text)
				if i < 0 || !insert(c, name, data[:i]) {
					return nil, false
				}
				data = data[i:]
			default:
				return nil, false
			}
		}
	}
	return out, data == ""
}

func (x *dissectX) Extract(_ *stdlib.Ctx, v event.Value) (event.Value, bool, error) {
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
