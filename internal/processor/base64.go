package processor

import (
	"bytes"
	"encoding/base64"
	"fmt"
)

func init() {
	RegisterPre(Spec{Name: "base64", Doc: "Decodes standard base64 (padded); surrounding whitespace is ignored.", New: func() Processor { return base64Pre{} }})
	RegisterPost(Spec{Name: "base64", Doc: "Encodes as standard base64 with padding.", New: func() Processor { return base64Post{} }})
}

type base64Pre struct{}

func (base64Pre) Process(data []byte) ([][]byte, error) {
	data = bytes.TrimSpace(data)
	out := make([]byte, base64.StdEncoding.DecodedLen(len(data)))
	n, err := base64.StdEncoding.Decode(out, data)
	if err != nil {
		return nil, fmt.Errorf("base64: %w", err)
	}
	return [][]byte{out[:n]}, nil
}
func (base64Pre) Finish() ([][]byte, error) { return nil, nil }

type base64Post struct{}

func (base64Post) Process(data []byte) ([][]byte, error) {
	return [][]byte{base64.StdEncoding.AppendEncode(nil, data)}, nil
}
func (base64Post) Finish() ([][]byte, error) { return nil, nil }
