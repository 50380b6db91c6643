package processor

import "fmt"

// Frame is one piece of data on its way through a chain, with its own Meta:
// when a preprocessor splits input into frames, each frame keeps the ingest
// time that was set for it (Tremor shared one value across all of them).
type Frame struct {
	Data []byte
	Meta Meta
}

// Chain runs a list of processors, in order, over one stream. It is used by
// one goroutine.
type Chain struct {
	names []string
	procs []Processor
}

// NewChain instantiates specs for one stream.
func NewChain(specs []Spec) *Chain {
	c := &Chain{names: make([]string, len(specs)), procs: make([]Processor, len(specs))}
	for i, s := range specs {
		c.names[i] = s.Name
		c.procs[i] = s.New()
	}
	return c
}

// Error is a processor's error, naming the processor and holding the frame
// it was given (nil when it failed while flushing).
type Error struct {
	Processor string
	Data      []byte
	Err       error
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %v", e.Processor, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// Process runs in through the chain. A processor's error costs only the
// frame it was given: it is returned in errs and the other frames go on.
func (c *Chain) Process(in Frame) (out []Frame, errs []error) {
	return c.from(0, []Frame{in}, errs)
}

// Finish flushes the processors in order at the end of the stream; what one
// flushes, stamped with m, runs through the processors after it, which are
// then flushed in turn.
func (c *Chain) Finish(m Meta) (out []Frame, errs []error) {
	var pending []Frame
	for i, p := range c.procs {
		if i > 0 {
			pending, errs = c.step(i, pending, errs)
		}
		fr, err := p.Finish()
		for _, f := range fr {
			pending = append(pending, Frame{Data: f, Meta: m})
		}
		if err != nil {
			errs = append(errs, &Error{Processor: c.names[i], Err: err})
		}
	}
	return pending, errs
}

func (c *Chain) from(i int, frames []Frame, errs []error) ([]Frame, []error) {
	for ; i < len(c.procs); i++ {
		frames, errs = c.step(i, frames, errs)
	}
	return frames, errs
}

// step runs processor i over frames.
func (c *Chain) step(i int, frames []Frame, errs []error) ([]Frame, []error) {
	var next []Frame
	for _, f := range frames {
		m := f.Meta
		out, err := Run(c.procs[i], &m, f.Data)
		for _, o := range out {
			next = append(next, Frame{Data: o, Meta: m})
		}
		if err != nil {
			errs = append(errs, &Error{Processor: c.names[i], Data: f.Data, Err: err})
		}
	}
	return next, errs
}
