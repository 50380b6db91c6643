package event

// Batch is the unit that moves between sources, pipelines and sinks:
// sources hand over batches, a pipeline processes a batch per wake and
// sinks write batches, so per-event costs (handoffs, wake-ups, answers)
// are paid per batch.
//
// Events are held by value. Whoever processes a batch may change its
// events in place; an operator that keeps an event beyond the call that
// handed it over copies it (the batch's memory is reused).
type Batch struct {
	Events []Event
}

// Len is the number of events.
func (b *Batch) Len() int { return len(b.Events) }

// Append adds a copy of ev.
func (b *Batch) Append(ev *Event) { b.Events = append(b.Events, *ev) }

// Reset empties the batch, keeping its memory.
func (b *Batch) Reset() {
	clear(b.Events)
	b.Events = b.Events[:0]
}

// TransactionalIDs are the IDs of the batch's transactional events, the
// ones owed an answer; a run of consecutive IDs is one range.
func (b *Batch) TransactionalIDs() IDs {
	var ids IDs
	for i := range b.Events {
		if ev := &b.Events[i]; ev.Transactional {
			ids.AddAll(ev.ID)
		}
	}
	return ids
}

// BatchOf is a batch of the given events (copied).
func BatchOf(evs ...*Event) *Batch {
	b := &Batch{Events: make([]Event, len(evs))}
	for i, ev := range evs {
		b.Events[i] = *ev
	}
	return b
}

// Clone is a deep copy of b.
func (b *Batch) Clone() *Batch {
	c := &Batch{Events: make([]Event, len(b.Events))}
	for i := range b.Events {
		c.Events[i] = *b.Events[i].Clone()
	}
	return c
}

// UndeliverableError is an output's report that some events of a batch can
// never be delivered there (they cannot be encoded, say): retrying would
// fail the same way, so they are dead-lettered — counted, logged and
// answered as done, so that a WAL does not re-send them forever. The rest
// of the batch was taken.
type UndeliverableError struct {
	IDs    IDs // of the transactional ones
	Events int // how many
	Err    error
}

func (e *UndeliverableError) Error() string {
	return "undeliverable: " + e.Err.Error()
}

func (e *UndeliverableError) Unwrap() error { return e.Err }
