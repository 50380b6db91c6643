package stdlib

import (
	"github.com/temblor-dev/temblor/internal/event"
)

func init() {
	def("binary::len", 1, true, "The number of bytes in binary data.", "```tremor\nbinary::len(<< 1, 2, 3 >>) # 3\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			b, ok := a[0].([]byte)
			if !ok {
				return nil, ErrBadType
			}
			return int64(len(b)), nil
		})
	def("binary::from_bytes", 1, true, "Binary data built from an array of byte values (0 to 255).", "Any element that is not an integer from 0 to 255 is a runtime error.\n\n```tremor\nbinary::from_bytes([115, 110, 111, 116]) # << 115, 110, 111, 116 >>\n```",
		arr1(func(xs []event.Value) (event.Value, error) {
			out := make([]byte, len(xs))
			for i, x := range xs {
				u, ok := asU64(x)
				if !ok || u > 255 {
					return nil, rtErr("array contains non bytes")
				}
				out[i] = byte(u)
			}
			return out, nil
		}))
	def("binary::into_bytes", 1, true, "Binary data as an array of byte values.", "A value that is not binary is a runtime error.\n\n```tremor\nbinary::into_bytes(<< 1, 2 >>) # [1, 2]\n```",
		func(_ *Ctx, a []event.Value) (event.Value, error) {
			b, ok := a[0].([]byte)
			if !ok {
				return nil, rtErr("cannot convert a non-binary into an array of bytes")
			}
			out := make([]event.Value, len(b))
			for i, x := range b {
				out[i] = int64(x)
			}
			return out, nil
		})
}
