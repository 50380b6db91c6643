package codec

import (
	"fmt"
	"mime"
	"sort"
	"strings"
)

// MimeMap maps media types (type/subtype, lower case, no parameters) to
// codec names: Tremor's builtin codec map, overridden by an artefact's
// `codec_map`. Connectors that speak HTTP pick the codec of a request or
// response by its Content-Type.
type MimeMap map[string]string

// BuiltinMimeMap is the map every codec's Spec.Mimes make up: json, yaml,
// string (text/plain, text/html), msgpack (three spellings) and binary
// (application/octet-stream), as in Tremor 0.11.
func BuiltinMimeMap() MimeMap {
	m := MimeMap{}
	for _, name := range Registry.Names() {
		s, _ := Registry.Lookup(name)
		for _, t := range s.Mimes {
			m[t] = name
		}
	}
	return m
}

// NewMimeMap returns the builtin map with overrides (from an artefact's
// `codec_map`) applied. An unknown codec name or a key that is not a media
// type is an error naming it.
func NewMimeMap(overrides map[string]string) (MimeMap, error) {
	m := BuiltinMimeMap()
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t, _, err := mime.ParseMediaType(k)
		if err != nil || !strings.Contains(t, "/") {
			return nil, fmt.Errorf("codec_map: %q is not a media type such as \"application/json\"", k)
		}
		if _, err := Registry.Get(overrides[k]); err != nil {
			return nil, fmt.Errorf("codec_map: %q: %w", k, err)
		}
		m[t] = overrides[k]
	}
	return m, nil
}

// Lookup returns the codec name for a Content-Type header value such as
// "application/json; charset=utf-8" (parameters and case are ignored).
func (m MimeMap) Lookup(contentType string) (string, bool) {
	t, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", false
	}
	name, ok := m[t]
	return name, ok
}

// MimeOf returns the first media type c is the default for, for a
// Content-Type header on what it encodes ("" when it has none).
func MimeOf(name string) string {
	if s, ok := Registry.Lookup(name); ok && len(s.Mimes) > 0 {
		return s.Mimes[0]
	}
	return ""
}
