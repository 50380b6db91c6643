package conf

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Schema describes a config struct: its fields, read once from the tags.
type Schema struct {
	typ    reflect.Type
	Fields []*Field
}

// Field is one field of a config struct.
type Field struct {
	Name     string
	Doc      string
	Default  string // as written in the tag; "" when there is none
	Required bool
	Enum     []string
	Example  string
	Min, Max string // bounds as written; "" when unbounded
	// Fields describe a nested struct (or the elements of a list or map
	// of structs).
	Fields []*Field

	index    []int
	typ      reflect.Type // the field's type (pointer included)
	base     reflect.Type // pointer and element types removed
	def      reflect.Value
	hasDef   bool
	min, max *float64
}

// Type names the field's type for docs and messages.
func (f *Field) Type() string { return typeName(f.typ) }

func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice:
		return "list of " + plural(typeName(t.Elem()))
	case reflect.Map:
		return "mapping of names to " + plural(typeName(t.Elem()))
	case reflect.Struct:
		return "mapping"
	case reflect.Interface:
		return "any value"
	}
	return t.String()
}

func plural(s string) string {
	switch {
	case s == "any value":
		return "values"
	case strings.HasSuffix(s, "s"):
		return s
	case strings.HasPrefix(s, "list of ") || strings.HasPrefix(s, "mapping"):
		return s
	}
	return s + "s"
}

// SchemaOf reads the schema of a struct type (v is a struct value or a
// pointer to one). A malformed tag (a default that does not parse as the
// field's type, an enum on a non-string) is an error: a programming
// mistake that the registry turns into a panic at init.
func SchemaOf(v any) (*Schema, error) {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("conf: a config must be a struct, got %v", reflect.TypeOf(v))
	}
	fields, err := structFields(t, t.String(), 0)
	if err != nil {
		return nil, err
	}
	return &Schema{typ: t, Fields: fields}, nil
}

// MustSchemaOf is SchemaOf for init(): it panics on a malformed struct.
func MustSchemaOf(v any) *Schema {
	s, err := SchemaOf(v)
	if err != nil {
		panic(err)
	}
	return s
}

// Field returns the top-level field called name.
func (s *Schema) Field(name string) (*Field, bool) {
	if s == nil {
		return nil, false
	}
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return nil, false
}

// Names lists the top-level field names in declaration order.
func (s *Schema) Names() []string { return names(s.Fields) }

func names(fs []*Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

func structFields(t reflect.Type, where string, depth int) ([]*Field, error) {
	if depth > 8 {
		return nil, fmt.Errorf("conf: %s nests too deeply", where)
	}
	var out []*Field
	seen := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("conf")
		if !sf.IsExported() || tag == "-" {
			continue
		}
		if !ok {
			return nil, fmt.Errorf("conf: %s.%s has no `conf` tag (use conf:\"-\" to leave it out)", where, sf.Name)
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" && opts == "inline" {
			// An embedded struct whose fields are the config's own (a
			// connection shared by an onramp's and an offramp's config).
			if !sf.Anonymous || sf.Type.Kind() != reflect.Struct {
				return nil, fmt.Errorf("conf: %s.%s: inline is for an embedded struct", where, sf.Name)
			}
			sub, err := structFields(sf.Type, where+"."+sf.Name, depth+1)
			if err != nil {
				return nil, err
			}
			for _, f := range sub {
				if seen[f.Name] {
					return nil, fmt.Errorf("conf: %s: field name %q used twice", where, f.Name)
				}
				seen[f.Name] = true
				f.index = append(append([]int(nil), sf.Index...), f.index...)
				out = append(out, f)
			}
			continue
		}
		if name == "" {
			return nil, fmt.Errorf("conf: %s.%s: the `conf` tag needs a name", where, sf.Name)
		}
		if seen[name] {
			return nil, fmt.Errorf("conf: %s: field name %q used twice", where, name)
		}
		seen[name] = true
		f := &Field{Name: name, Doc: sf.Tag.Get("doc"), Example: sf.Tag.Get("example"), index: sf.Index, typ: sf.Type}
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "":
			case "required":
				f.Required = true
			default:
				return nil, fmt.Errorf("conf: %s.%s: unknown tag option %q", where, sf.Name, o)
			}
		}
		f.base = sf.Type
		for f.base.Kind() == reflect.Pointer {
			f.base = f.base.Elem()
		}
		elem := f.base
		for elem.Kind() == reflect.Slice || elem.Kind() == reflect.Map || elem.Kind() == reflect.Pointer {
			if elem.Kind() == reflect.Map && elem.Key().Kind() != reflect.String {
				return nil, fmt.Errorf("conf: %s.%s: map keys must be strings", where, sf.Name)
			}
			elem = elem.Elem()
		}
		if elem.Kind() == reflect.Struct {
			sub, err := structFields(elem, where+"."+sf.Name, depth+1)
			if err != nil {
				return nil, err
			}
			f.Fields = sub
		}
		if !supported(elem) {
			return nil, fmt.Errorf("conf: %s.%s: unsupported type %s", where, sf.Name, sf.Type)
		}
		if e := sf.Tag.Get("enum"); e != "" {
			if f.base.Kind() != reflect.String {
				return nil, fmt.Errorf("conf: %s.%s: enum on a non-string field", where, sf.Name)
			}
			f.Enum = strings.Split(e, ",")
		}
		if d, ok := sf.Tag.Lookup("default"); ok {
			if f.Required {
				return nil, fmt.Errorf("conf: %s.%s: a required field has no default", where, sf.Name)
			}
			v, err := parseScalar(f.base, d)
			if err != nil {
				return nil, fmt.Errorf("conf: %s.%s: default %q: %v", where, sf.Name, d, err)
			}
			if len(f.Enum) > 0 && !contains(f.Enum, d) {
				return nil, fmt.Errorf("conf: %s.%s: default %q is not in the enum", where, sf.Name, d)
			}
			f.Default, f.def, f.hasDef = d, v, true
		}
		for _, b := range []struct {
			tag string
			raw *string
			dst **float64
		}{{"min", &f.Min, &f.min}, {"max", &f.Max, &f.max}} {
			s, ok := sf.Tag.Lookup(b.tag)
			if !ok {
				continue
			}
			if !isNumber(f.base) {
				return nil, fmt.Errorf("conf: %s.%s: %s on a non-number", where, sf.Name, b.tag)
			}
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("conf: %s.%s: %s %q: %v", where, sf.Name, b.tag, s, err)
			}
			*b.raw, *b.dst = s, &x
		}
		if f.hasDef && isNumber(f.base) {
			x := toFloat(f.def)
			if (f.min != nil && x < *f.min) || (f.max != nil && x > *f.max) {
				return nil, fmt.Errorf("conf: %s.%s: default %s is out of range", where, sf.Name, f.Default)
			}
		}
		out = append(out, f)
	}
	return out, nil
}

func supported(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Struct, reflect.Interface,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return t.Kind() != reflect.Interface || t.NumMethod() == 0
	}
	return false
}

func isNumber(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

func toFloat(v reflect.Value) float64 {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(v.Uint())
	}
	return v.Float()
}

// parseScalar parses a tag value as a value of type t.
func parseScalar(t reflect.Type, s string) (reflect.Value, error) {
	v := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return v, err
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v.OverflowInt(i) {
			return v, fmt.Errorf("not an integer of %s", t)
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(s, 10, 64)
		if err != nil || v.OverflowUint(u) {
			return v, fmt.Errorf("not a non-negative integer of %s", t)
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return v, err
		}
		v.SetFloat(f)
	default:
		return v, fmt.Errorf("defaults are only supported on scalar fields, not %s", t)
	}
	return v, nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
