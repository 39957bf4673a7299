package emulator

import (
	"fmt"
	"sync"
)

// eventLog is the append-only list of a tenant's events, shared by every
// subscriber. Appending closes the current wake channel and replaces it, so
// any number of waiting streams wake with one close and then read the new
// entries themselves: no goroutine or copy per subscriber per event.
//
// Entry i has id i+1: ids start at 1 and increase across runs.
type eventLog struct {
	mu       sync.Mutex
	entries  []*entry
	runStart int           // index of the first entry of the latest run
	wake     chan struct{} // closed on the next append or end
	ended    bool          // no more entries will come (tenant gone, checkout cancelled)
}

// entry is one event, pre-rendered as SSE frames for both kinds of stream.
type entry struct {
	id       int
	run      int
	terminal bool   // tenant_ready or provisioning_failed: ends its run
	final    bool   // terminal, and no other run was queued behind it
	tenant   []byte // frame for the tenant stream
	checkout []byte // frame for the checkout stream; nil outside the checkout's run
}

func newEventLog() *eventLog {
	return &eventLog{wake: make(chan struct{})}
}

// frame renders one SSE event.
func frame(id int, data []byte) []byte {
	return fmt.Appendf(nil, "id: %d\nevent: provisioning\ndata: %s\n\n", id, data)
}

// append adds an event; tenantJSON and checkoutJSON are the event's data for
// each stream (checkoutJSON nil when the checkout stream must not carry it).
func (l *eventLog) append(run int, terminal, final bool, tenantJSON, checkoutJSON []byte) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended {
		return 0
	}
	id := len(l.entries) + 1
	e := &entry{id: id, run: run, terminal: terminal, final: final, tenant: frame(id, tenantJSON)}
	if checkoutJSON != nil {
		e.checkout = frame(id, checkoutJSON)
	}
	if len(l.entries) == 0 || l.entries[len(l.entries)-1].run != run {
		l.runStart = len(l.entries)
	}
	l.entries = append(l.entries, e)
	close(l.wake)
	l.wake = make(chan struct{})
	return id
}

// end marks the log finished; streams drain what is left and close.
func (l *eventLog) end() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.ended {
		l.ended = true
		close(l.wake)
	}
}

// fromCurrentRun asks since for the entries of the latest run.
const fromCurrentRun = -1

// since returns the entries after event id from (that is, from index from
// on; fromCurrentRun means the start of the latest run), the channel that is
// closed on the next change, whether the log has ended, and the resolved
// start. The returned slice is never written again (entries are immutable),
// so it is safe to read without the lock.
func (l *eventLog) since(from int) ([]*entry, <-chan struct{}, bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if from == fromCurrentRun {
		from = l.runStart
	}
	if from < 0 {
		from = 0
	}
	var out []*entry
	if from < len(l.entries) {
		out = l.entries[from:len(l.entries):len(l.entries)]
	}
	return out, l.wake, l.ended, from
}

// count is the number of entries so far.
func (l *eventLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}
