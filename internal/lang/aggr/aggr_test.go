package aggr

import (
	"testing"

	"github.com/temblor-dev/temblor/internal/event"
)

func acc(t *testing.T, a Aggregate, args ...event.Value) {
	t.Helper()
	if err := a.Accumulate(args); err != nil {
		t.Fatal(err)
	}
}

func emit(t *testing.T, a Aggregate) string {
	t.Helper()
	v, err := a.Emit()
	if err != nil {
		t.Fatal(err)
	}
	return string(event.AppendJSON(nil, v))
}

func newOf(t *testing.T, path string) Aggregate {
	t.Helper()
	for _, s := range All() {
		if s.Path() == path {
			return s.New()
		}
	}
	t.Fatalf("no aggregate %s", path)
	return nil
}

// Tremor's own unit-test vectors for the stats aggregates.
func TestStatsVectors(t *testing.T) {
	pcts := []event.Value{"0.5", "0.9", "0.95", "0.99", "0.999", "0.9999"}
	h := newOf(t, "stats::hdr")
	if err := h.Accumulate([]event.Value{int64(0), []event.Value{"snot", "0.9"}}); err == nil {
		t.Error("hdr accepted a percentile that is not a number")
	}
	h = newOf(t, "stats::hdr")
	d := newOf(t, "stats::dds")
	for i := int64(1); i <= 100; i++ {
		acc(t, h, i, pcts)
		acc(t, d, i, pcts)
	}
	wantH := `{"count":100,"min":1,"max":100,"mean":50.5,"stdev":28.86607004772212,"var":833.25,"percentiles":{"0.5":50,"0.9":90,"0.95":95,"0.99":99,"0.999":100,"0.9999":100}}`
	if got := emit(t, h); got != wantH {
		t.Errorf("hdr:\n got %s\nwant %s", got, wantH)
	}
	wantD := `{"count":100,"sum":5050.0,"min":1.0,"max":100.0,"mean":50.5,"percentiles":{"0.5":50.0,"0.9":89.2,"0.95":94.7,"0.99":98.6,"0.999":98.6,"0.9999":98.6}}`
	if got := emit(t, d); got != wantD {
		t.Errorf("dds:\n got %s\nwant %s", got, wantD)
	}
	h2 := newOf(t, "stats::hdr")
	if err := h2.Merge(h); err != nil {
		t.Fatal(err)
	}
	if got := emit(t, h2); got != wantH {
		t.Errorf("merged hdr:\n got %s\nwant %s", got, wantH)
	}
	d2 := newOf(t, "stats::dds")
	if err := d2.Merge(d); err != nil {
		t.Fatal(err)
	}
	if got := emit(t, d2); got != wantD {
		t.Errorf("merged dds:\n got %s\nwant %s", got, wantD)
	}
	if got, want := emit(t, newOf(t, "stats::hdr")), `{"count":0,"min":0,"max":0,"mean":0.0,"stdev":0.0,"var":0.0,"percentiles":{"0.5":0,"0.9":0,"0.95":0,"0.99":0,"0.999":0,"0.9999":0,"0.99999":0}}`; got != want {
		t.Errorf("empty hdr:\n got %s\nwant %s", got, want)
	}
	if got, want := emit(t, newOf(t, "stats::dds")), `{"count":0,"sum":0.0,"min":0.0,"max":0.0,"mean":0.0,"percentiles":{"0.5":0.0,"0.9":0.0,"0.95":0.0,"0.99":0.0,"0.999":0.0,"0.9999":0.0,"0.99999":0.0}}`; got != want {
		t.Errorf("empty dds:\n got %s\nwant %s", got, want)
	}
}

func TestVariance(t *testing.T) {
	a := newOf(t, "stats::var")
	if a.Accumulate([]event.Value{nil}) == nil {
		t.Error("var accepted null")
	}
	for _, v := range []int64{2, 4, 19, 9} {
		acc(t, a, v)
	}
	if got := emit(t, a); got != "57.666666666666664" {
		t.Errorf("var = %s, want 173/3", got)
	}
	b := newOf(t, "stats::var")
	acc(t, b, int64(2))
	acc(t, b, int64(4))
	if err := b.Merge(a); err != nil {
		t.Fatal(err)
	}
	if got := emit(t, b); got != "43.06666666666667" {
		t.Errorf("merged var = %s", got)
	}
}

func TestSimple(t *testing.T) {
	cases := []struct {
		path string
		in   []event.Value
		want string
	}{
		{"stats::count", []event.Value{nil, "x", 3.5}, "3"},
		{"stats::sum", []event.Value{int64(1), int64(2), 3.5}, "6.5"},
		{"stats::min", []event.Value{int64(3), int64(1), int64(2)}, "1.0"},
		{"stats::max", []event.Value{int64(3), int64(1), int64(2)}, "3.0"},
		{"stats::mean", []event.Value{int64(1), int64(2), int64(3), int64(4)}, "2.5"},
		{"stats::mean", nil, "null"},
		{"win::first", []event.Value{"a", "b"}, `"a"`},
		{"win::last", []event.Value{"a", "b"}, `"b"`},
		{"win::collect_flattened", []event.Value{"a", int64(1)}, `["a",1]`},
	}
	for _, c := range cases {
		a := newOf(t, c.path)
		for _, v := range c.in {
			if c.path == "stats::count" {
				acc(t, a)
				continue
			}
			acc(t, a, v)
		}
		if got := emit(t, a); got != c.want {
			t.Errorf("%s = %s, want %s", c.path, got, c.want)
		}
	}
}

func TestChainedMerge(t *testing.T) {
	flat, nested := newOf(t, "win::collect_flattened"), newOf(t, "win::collect_nested")
	for _, a := range []Aggregate{flat, nested} {
		w1 := a.Clone()
		acc(t, w1, int64(1))
		acc(t, w1, int64(2))
		if err := a.Merge(w1); err != nil {
			t.Fatal(err)
		}
		w1.Init()
		acc(t, w1, int64(3))
		if err := a.Merge(w1); err != nil {
			t.Fatal(err)
		}
	}
	if got := emit(t, flat); got != "[1,2,3]" {
		t.Errorf("flattened = %s", got)
	}
	if got := emit(t, nested); got != "[[1,2],[3]]" {
		t.Errorf("nested = %s", got)
	}
}
