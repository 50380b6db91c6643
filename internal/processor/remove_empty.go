package processor

func init() {
	RegisterPre(Spec{Name: "remove-empty", Doc: "Drops empty frames.", New: func() Processor { return removeEmpty{} }})
}

type removeEmpty struct{ noFinish }

func (removeEmpty) Process(data []byte) ([][]byte, error) {
	if len(data) == 0 {
		return nil, nil
	}
	return [][]byte{data}, nil
}
