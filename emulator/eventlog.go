package emulator

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// eventLog is the append-only list of a tenant's events, shared by every
// subscriber. Appending closes the current wake channel and replaces it, so
// any number of waiting streams wake with one close and then read the new
// entries themselves: no goroutine or copy per subscriber per event.
// Writers serialise on mu and publish an immutable snapshot; readers load
// the snapshot without locking, so ten thousand streams waking at once do
// not queue on a mutex.
//
// Entry i has id i+1: ids start at 1 and increase across runs.
type eventLog struct {
	mu   sync.Mutex // serialises append and end
	snap atomic.Pointer[logSnapshot]
}

// logSnapshot is the log at one moment; it is never modified.
type logSnapshot struct {
	entries  []*entry      // shares its backing array with later snapshots, which only append
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
	l := &eventLog{}
	l.snap.Store(&logSnapshot{wake: make(chan struct{})})
	return l
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
	old := l.snap.Load()
	if old.ended {
		return 0
	}
	id := len(old.entries) + 1
	e := &entry{id: id, run: run, terminal: terminal, final: final, tenant: frame(id, tenantJSON)}
	if checkoutJSON != nil {
		e.checkout = frame(id, checkoutJSON)
	}
	next := &logSnapshot{entries: append(old.entries, e), runStart: old.runStart, wake: make(chan struct{})}
	if len(old.entries) == 0 || old.entries[len(old.entries)-1].run != run {
		next.runStart = len(old.entries)
	}
	l.snap.Store(next)
	close(old.wake)
	return id
}

// end marks the log finished; streams drain what is left and close.
func (l *eventLog) end() {
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.snap.Load()
	if !old.ended {
		l.snap.Store(&logSnapshot{entries: old.entries, runStart: old.runStart, wake: old.wake, ended: true})
		close(old.wake)
	}
}

// fromCurrentRun asks since for the entries of the latest run.
const fromCurrentRun = -1

// since returns the entries after event id from (that is, from index from
// on; fromCurrentRun means the start of the latest run), the channel that is
// closed on the next change, whether the log has ended, and the resolved
// start. The returned slice is never written again (entries are immutable),
// so it is safe to read without a lock.
func (l *eventLog) since(from int) ([]*entry, <-chan struct{}, bool, int) {
	sn := l.snap.Load()
	if from == fromCurrentRun {
		from = sn.runStart
	}
	if from < 0 {
		from = 0
	}
	var out []*entry
	if n := len(sn.entries); from < n {
		out = sn.entries[from:n:n]
	}
	return out, sn.wake, sn.ended, from
}

// seenEnd reports whether a client that has seen up to event id from has
// seen the stream's stop event, with nothing for it after that.
func (l *eventLog) seenEnd(from int, v view) bool {
	if from <= 0 {
		return false
	}
	sn := l.snap.Load()
	for i := len(sn.entries) - 1; i >= 0; i-- {
		if e := sn.entries[i]; v.frame(e) != nil {
			return e.id <= from && v.stops(e)
		}
	}
	return false
}

// count is the number of entries so far.
func (l *eventLog) count() int {
	return len(l.snap.Load().entries)
}
