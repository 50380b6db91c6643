package stdlib

import (
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	def("test::assert", 3, false, "Whether a value equals the expected one, for tests.",
		"`test::assert(description, expected, got)` returns true when `got == expected`. Otherwise it returns false, or, when the engine runs tests (as Tremor's test harness did), fails with a runtime error showing both values as JSON.\n\n```tremor\ntest::assert(\"sum\", 3, 1 + 2) # true\n```",
		func(c *Ctx, a []event.Value) (event.Value, error) {
			if event.Equal(a[1], a[2]) {
				return true, nil
			}
			if c != nil && c.PanicOnAssert {
				return nil, rtErr("\nAssertion for %s failed:\n    expected: %s\n    got: %s\n", displayString(a[0]), event.MarshalJSON(a[1]), event.MarshalJSON(a[2]))
			}
			return false, nil
		})
}
