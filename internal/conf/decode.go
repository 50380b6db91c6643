package conf

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/temblor-dev/temblor/internal/diag"
)

// Mode says how strict the decoder is about fields the schema does not
// know.
type Mode uint8

const (
	// Strict: an unknown field is an error.
	Strict Mode = iota
	// Lenient: an unknown field is a warning (it is ignored, as Tremor
	// ignored it) and decoding goes on.
	Lenient
)

// Where is a place in a source, for problems about something absent.
type Where struct {
	Src  *Source
	Span diag.Span
}

// Options tell the decoder how to word and place its diagnostics.
type Options struct {
	// What prefixes every message, e.g. "offramp `ws` config" or
	// "qos::wal operator w".
	What string
	// Noun is what a key is called: "field" (the default) or "parameter".
	Noun string
	Mode Mode
	// Owner is where to report a missing required field when there is no
	// section at all (a nil node).
	Owner Where
}

// Decode fills dst, a pointer to the schema's struct, from n (nil: the
// section is absent). Defaults from the tags are applied first. Every
// problem found is returned, errors and (in Lenient mode) warnings; dst
// is only meaningful when the list holds no error. At locates the
// decoded fields for the constructor's own checks.
func (s *Schema) Decode(n *Node, dst any, o Options) (At, diag.List) {
	if o.Noun == "" {
		o.Noun = "field"
	}
	at := At{root: n, owner: o.Owner, o: o}
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Type() != s.typ {
		panic(fmt.Sprintf("conf: Decode needs a *%s, got %T", s.typ, dst))
	}
	d := &decoder{o: o}
	d.structure(n, rv.Elem(), s.Fields, "")
	d.out.Sort()
	return at, d.out
}

type decoder struct {
	o   Options
	out diag.List
}

func (d *decoder) report(sev diag.Severity, src *Source, span diag.Span, hint, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if d.o.What != "" {
		msg = d.o.What + ": " + msg
	}
	dg := &diag.Diagnostic{Severity: sev, Span: span, Msg: msg, Hint: hint}
	if src != nil {
		dg.File, dg.Src = src.File, src.Text
	}
	d.out = append(d.out, dg)
}

func (d *decoder) errorf(n *Node, hint, format string, args ...any) {
	d.report(diag.Error, n.Src, n.Span, hint, format, args...)
}

func quoted(path string) string { return "`" + path + "`" }

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// structure decodes a mapping into the struct v described by fields.
func (d *decoder) structure(n *Node, v reflect.Value, fields []*Field, path string) {
	for _, f := range fields {
		if f.hasDef {
			setDefault(v.FieldByIndex(f.index), f.def)
		}
	}
	if n == nil || n.Kind == Null {
		d.missing(n, fields, path, map[string]bool{})
		return
	}
	if n.Kind != Map {
		what := "the section"
		if path != "" {
			what = quoted(path)
		}
		d.errorf(n, "", "%s must be %s (%s), got %s", what, d.mapping(n), d.keyValue(n), n.Describe())
		return
	}
	byName := make(map[string]*Field, len(fields))
	for _, f := range fields {
		byName[f.Name] = f
	}
	// A key given twice takes its last value; the config loader reports
	// duplicate YAML keys (with both places) for whole files.
	given := map[string]bool{}
	for _, e := range n.Entries {
		f, ok := byName[e.Key]
		if !ok {
			d.unknown(n, e, fields, path)
			continue
		}
		given[e.Key] = true
		d.value(e.Value, v.FieldByIndex(f.index), f, join(path, e.Key))
	}
	d.missing(n, fields, path, given)
}

func (d *decoder) mapping(n *Node) string {
	if n.flavor() == Trickle {
		return "a record"
	}
	return "a mapping"
}

func (d *decoder) keyValue(n *Node) string {
	if n.flavor() == Trickle {
		return "name = value pairs"
	}
	return "key: value lines"
}

func (d *decoder) unknown(n *Node, e Entry, fields []*Field, path string) {
	known := names(fields)
	hint := "accepted: " + strings.Join(known, ", ")
	if s := diag.Closest(e.Key, known); s != "" {
		hint = fmt.Sprintf("did you mean `%s`? (accepted: %s)", s, strings.Join(known, ", "))
	}
	in := ""
	if path != "" {
		in = " in " + quoted(path)
	}
	sev := diag.Error
	msg := "unknown %s `%s`%s"
	if d.o.Mode == Lenient {
		sev = diag.Warning
		msg = "unknown %s `%s`%s is ignored"
	}
	d.report(sev, n.Src, e.KeySpan, hint, msg, d.o.Noun, e.Key, in)
}

// missing reports the required fields not given, at the section (or the
// owner when there is no section).
func (d *decoder) missing(n *Node, fields []*Field, path string, given map[string]bool) {
	for _, f := range fields {
		if !f.Required || given[f.Name] {
			continue
		}
		src, span := d.o.Owner.Src, d.o.Owner.Span
		if n != nil {
			src, span = n.Src, n.Span
		}
		flavor := YAML
		if src != nil {
			flavor = src.Flavor
		}
		d.report(diag.Error, src, span, requiredHint(f, flavor), "%s is required", quoted(join(path, f.Name)))
	}
}

func requiredHint(f *Field, flavor Flavor) string {
	doc := strings.TrimSpace(f.Doc)
	if f.Example == "" {
		return doc
	}
	ex := Example(f, flavor)
	if doc == "" {
		return "e.g. " + ex
	}
	return doc + " For example: " + ex
}

// Example renders the field's example as it is written in flavor:
// `url: ws://localhost:8080/` or `sync = "always"`.
func Example(f *Field, flavor Flavor) string {
	if f.Example == "" {
		return ""
	}
	if flavor == Trickle {
		v := f.Example
		if f.base.Kind() == reflect.String {
			v = strconv.Quote(v)
		}
		return "`" + f.Name + " = " + v + "`"
	}
	return "`" + f.Name + ": " + f.Example + "`"
}

func setDefault(v reflect.Value, def reflect.Value) {
	if v.Kind() == reflect.Pointer {
		p := reflect.New(v.Type().Elem())
		setDefault(p.Elem(), def)
		v.Set(p)
		return
	}
	v.Set(def.Convert(v.Type()))
}

// expect says what a value of type t must be.
func expect(t reflect.Type, flavor Flavor) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		if flavor == Trickle {
			return "an array"
		}
		return "a list"
	case reflect.Map, reflect.Struct:
		if flavor == Trickle {
			return "a record"
		}
		return "a mapping"
	}
	return t.String()
}

func (d *decoder) wrongType(n *Node, t reflect.Type, path string) {
	d.errorf(n, "", "%s must be %s, got %s", quoted(path), expect(t, n.flavor()), n.Describe())
}

// value decodes n into v (of field f's type, or an element of it).
func (d *decoder) value(n *Node, v reflect.Value, f *Field, path string) {
	if v.Kind() == reflect.Pointer {
		if n.Kind == Null {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		p := reflect.New(v.Type().Elem())
		d.value(n, p.Elem(), f, path)
		v.Set(p)
		return
	}
	switch v.Kind() {
	case reflect.String:
		switch {
		case n.Kind == String:
			v.SetString(n.Value.(string))
		case n.Text != "" && (n.Kind == Int || n.Kind == Float || n.Kind == Bool):
			// YAML reads `instance: 01` as a number; a string field
			// takes the text as written.
			v.SetString(n.Text)
		default:
			d.wrongType(n, v.Type(), path)
			return
		}
		if len(f.Enum) > 0 && !contains(f.Enum, v.String()) {
			d.notInEnum(n, f, v.String(), path)
		}
	case reflect.Bool:
		if n.Kind != Bool {
			d.wrongType(n, v.Type(), path)
			return
		}
		v.SetBool(n.Value.(bool))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := n.Value.(int64)
		if n.Kind != Int || !ok {
			if u, big := n.Value.(uint64); n.Kind == Int && big {
				d.errorf(n, "", "%s is too large: %d", quoted(path), u)
				return
			}
			d.wrongType(n, v.Type(), path)
			return
		}
		if v.OverflowInt(i) {
			d.errorf(n, "", "%s is out of range: %d", quoted(path), i)
			return
		}
		if d.inRange(n, f, float64(i), path) {
			v.SetInt(i)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var u uint64
		switch t := n.Value.(type) {
		case int64:
			if t < 0 || n.Kind != Int {
				d.wrongType(n, v.Type(), path)
				return
			}
			u = uint64(t)
		case uint64:
			u = t
		default:
			d.wrongType(n, v.Type(), path)
			return
		}
		if v.OverflowUint(u) {
			d.errorf(n, "", "%s is too large: %d (at most %d)", quoted(path), u, uint64(1)<<(v.Type().Bits())-1)
			return
		}
		if d.inRange(n, f, float64(u), path) {
			v.SetUint(u)
		}
	case reflect.Float32, reflect.Float64:
		var x float64
		switch t := n.Value.(type) {
		case int64:
			x = float64(t)
		case uint64:
			x = float64(t)
		case float64:
			x = t
		default:
			d.wrongType(n, v.Type(), path)
			return
		}
		if n.Kind != Int && n.Kind != Float {
			d.wrongType(n, v.Type(), path)
			return
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			d.errorf(n, "", "%s must be a number, got %s", quoted(path), n.Describe())
			return
		}
		if d.inRange(n, f, x, path) {
			v.SetFloat(x)
		}
	case reflect.Slice:
		if n.Kind != List {
			d.wrongType(n, v.Type(), path)
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Items), len(n.Items))
		for i, item := range n.Items {
			d.value(item, s.Index(i), f, fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != Map {
			d.wrongType(n, v.Type(), path)
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Entries))
		for _, e := range n.Entries {
			ev := reflect.New(v.Type().Elem()).Elem()
			d.value(e.Value, ev, f, join(path, e.Key))
			m.SetMapIndex(reflect.ValueOf(e.Key).Convert(v.Type().Key()), ev)
		}
		v.Set(m)
	case reflect.Struct:
		d.structure(n, v, f.Fields, path)
	case reflect.Interface:
		if val := n.ToValue(); val != nil {
			v.Set(reflect.ValueOf(val))
		}
	default:
		d.errorf(n, "", "%s: unsupported field type %s", quoted(path), v.Type())
	}
}

func (d *decoder) inRange(n *Node, f *Field, x float64, path string) bool {
	switch {
	case f.min != nil && x < *f.min:
		d.errorf(n, rangeHint(f), "%s must be at least %s, got %s", quoted(path), f.Min, n.text())
		return false
	case f.max != nil && x > *f.max:
		d.errorf(n, rangeHint(f), "%s must be at most %s, got %s", quoted(path), f.Max, n.text())
		return false
	}
	return true
}

func rangeHint(f *Field) string { return strings.TrimSpace(f.Doc) }

func (d *decoder) notInEnum(n *Node, f *Field, got, path string) {
	q := make([]string, len(f.Enum))
	for i, e := range f.Enum {
		q[i] = strconv.Quote(e)
	}
	hint := ""
	if s := diag.Closest(got, f.Enum); s != "" {
		hint = fmt.Sprintf("did you mean %q?", s)
	}
	d.errorf(n, hint, "%s must be one of %s, got %q", quoted(path), strings.Join(q, ", "), got)
}

// At locates the fields of a decoded section, so that a constructor's own
// checks (across fields, or of a value's form) are positioned too.
type At struct {
	root  *Node
	owner Where
	o     Options
}

// NewAt locates the fields of n (nil: an absent section, reported at
// owner) without decoding, for components that read their config
// themselves.
func NewAt(n *Node, o Options) At { return At{root: n, owner: o.Owner, o: o} }

// find returns the entry at a dotted path (`tls.cert`, `hosts.1`). A key
// may itself hold dots (an rdkafka option such as `rdkafka_options.session.timeout.ms`): at each
// level the longest key that matches is taken.
func (a At) find(path string) (Entry, bool) {
	n := a.root
	var e Entry
	parts := strings.Split(path, ".")
	for i := 0; i < len(parts); {
		if n == nil {
			return Entry{}, false
		}
		j := len(parts)
		for ; j > i; j-- {
			var ok bool
			if e, ok = n.entry(strings.Join(parts[i:j], ".")); ok {
				break
			}
		}
		if j == i {
			return Entry{}, false
		}
		n, i = e.Value, j
	}
	return e, true
}

// Has reports whether the field at path was given.
func (a At) Has(path string) bool {
	_, ok := a.find(path)
	return ok
}

// Errorf is an error about the field at path (a dotted path; a list item
// by its index, e.g. "entries.2.expr"), positioned
// at its value; about the section when path is "" or absent (then at the
// section, or at the owner when there is none).
func (a At) Errorf(path, format string, args ...any) *diag.Diagnostic {
	return a.diagnostic(diag.Error, path, format, args...)
}

// Warnf is Errorf for a warning.
func (a At) Warnf(path, format string, args ...any) *diag.Diagnostic {
	return a.diagnostic(diag.Warning, path, format, args...)
}

func (a At) diagnostic(sev diag.Severity, path, format string, args ...any) *diag.Diagnostic {
	src, span := a.owner.Src, a.owner.Span
	if a.root != nil {
		src, span = a.root.Src, a.root.Span
	}
	if path != "" {
		if e, ok := a.find(path); ok {
			src, span = e.Value.Src, e.Value.Span
		}
	}
	msg := fmt.Sprintf(format, args...)
	if a.o.What != "" {
		msg = a.o.What + ": " + msg
	}
	dg := &diag.Diagnostic{Severity: sev, Span: span, Msg: msg}
	if src != nil {
		dg.File, dg.Src = src.File, src.Text
	}
	return dg
}
