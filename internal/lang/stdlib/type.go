package stdlib

import (
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	is := func(name, what, example string, test func(v event.Value) bool) {
		def("type::is_"+name, 1, true, "Whether a value is "+what+".", "```tremor\n"+example+"\n```",
			func(_ *Ctx, a []event.Value) (event.Value, error) { return test(a[0]), nil })
	}
	is("null", "null", "type::is_null(null) # true", func(v event.Value) bool { return v == nil })
	is("bool", "a boolean", "type::is_bool(false) # true", func(v event.Value) bool { _, ok := v.(bool); return ok })
	is("integer", "an integer", "type::is_integer(42) # true", func(v event.Value) bool {
		switch v.(type) {
		case int64, uint64:
			return true
		}
		return false
	})
	is("float", "a float", "type::is_float(4.2) # true", func(v event.Value) bool { _, ok := v.(float64); return ok })
	is("number", "an integer or a float", "type::is_number(4.2) # true", func(v event.Value) bool { _, ok := castF64(v); return ok })
	is("string", "a string", "type::is_string(\"snot\") # true", func(v event.Value) bool { _, ok := v.(string); return ok })
	is("array", "an array", "type::is_array([1]) # true", func(v event.Value) bool { _, ok := v.([]event.Value); return ok })
	is("record", "a record", "type::is_record({}) # true", func(v event.Value) bool { _, ok := v.(*event.Record); return ok })
	is("binary", "binary data", "type::is_binary(<< 1, 2 >>) # true", func(v event.Value) bool { _, ok := v.([]byte); return ok })
	def("type::as_string", 1, true, "The name of a value's type.", "One of `null`, `bool`, `integer`, `float`, `string`, `array`, `record`, `bytes`.\n\n```tremor\ntype::as_string([]) # \"array\"\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) { return event.TypeName(a[0]), nil })
}
