package event

import "unsafe"

// Boxing without an allocation per value.
//
// Storing a string, int64, uint64, float64 or []Value in a Value (an interface)
// makes Go allocate a copy of it on the heap, one allocation per field of
// every decoded event. The JSON decoder instead stores these in slabs, one
// per document, and builds interfaces that point into them. This relies on
// the layout of an empty interface (a type word and a data pointer), which
// has been the same since Go 1.0 and which reflect and the fast JSON
// libraries rely on too, and on the rule that the data behind such an
// interface is never written again: a slab item is written once, before it
// is boxed.

// eface is the layout of an empty interface.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	stringType  = typeWord("")
	int64Type   = typeWord(int64(0))
	uint64Type  = typeWord(uint64(0))
	float64Type = typeWord(float64(0))
	arrayType   = typeWord([]Value(nil))
)

// boxed is the interface of type typ whose value is at data; data must
// point to a value of that type that is never modified afterwards.
func boxed(typ, data unsafe.Pointer) (v Value) {
	*(*eface)(unsafe.Pointer(&v)) = eface{typ: typ, data: data}
	return v
}
