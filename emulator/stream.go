package emulator

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// view picks, from the shared log, what one kind of stream sends and where
// it stops.
type view struct {
	frame func(e *entry) []byte // nil: skip this entry
	stops func(e *entry) bool   // close the stream after sending e
}

// tenantView sends every event and stops after a terminal event that has no
// run queued behind it.
var tenantView = view{
	frame: func(e *entry) []byte { return e.tenant },
	stops: func(e *entry) bool { return e.final },
}

// checkoutView sends the events of the checkout's run and stops after its
// terminal event.
var checkoutView = view{
	frame: func(e *entry) []byte { return e.checkout },
	stops: func(e *entry) bool { return e.terminal },
}

// lastEventID reads the Last-Event-ID header; ok is false when absent or
// not a non-negative integer.
func lastEventID(r *http.Request) (int, bool) {
	h := strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	if h == "" {
		return 0, false
	}
	n, err := strconv.Atoi(h)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

func (s *Server) handleTenantEvents(w http.ResponseWriter, r *http.Request, c *call) {
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	log := t.log
	s.mu.Unlock()
	from, ok := lastEventID(r)
	if !ok {
		from = fromCurrentRun
	}
	s.stream(w, r, log, from, tenantView)
}

func (s *Server) handleCheckoutEvents(w http.ResponseWriter, r *http.Request, c *call) {
	id := c.param("cs")
	s.mu.Lock()
	cs := s.checkouts[id]
	s.mu.Unlock()
	if cs == nil || cs.owner != c.user.id {
		writeError(w, http.StatusNotFound, "checkout_not_found", "No checkout session with id '"+id+"'")
		return
	}
	from, _ := lastEventID(r)
	s.stream(w, r, cs.log, from, checkoutView)
}

// stream serves an event stream from log: first what is already there after
// from (an event id, or fromCurrentRun), then live events as they are
// appended, heartbeats while idle, until the view's stop event, the end of
// the log, the client leaving or Close. Fault injection applies per
// connection.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, log *eventLog, from int, v view) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte("retry: 1000\n\n")); err != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}
	ctx := r.Context()
	hb := time.NewTimer(s.opts.Heartbeat)
	defer hb.Stop()
	sent := 0
	cursor := from // index of the next entry = id of the last one sent
	for {
		entries, wake, ended, next := log.since(cursor)
		cursor = next
		for _, e := range entries {
			cursor = e.id
			fr := v.frame(e)
			if fr == nil {
				continue
			}
			if _, err := w.Write(fr); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
			sent++
			if v.stops(e) {
				return
			}
			if n := s.opts.DropStreamEvery; n > 0 && sent >= n {
				return
			}
			if n := s.opts.StallStreamAfter; n > 0 && sent >= n {
				select {
				case <-ctx.Done():
				case <-s.closing:
				}
				return
			}
		}
		if ended {
			return
		}
		if len(entries) > 0 {
			hb.Reset(s.opts.Heartbeat)
		}
		select {
		case <-wake:
		case <-hb.C:
			if _, err := w.Write([]byte("event: heartbeat\ndata: {}\n\n")); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
			hb.Reset(s.opts.Heartbeat)
		case <-ctx.Done():
			return
		case <-s.closing:
			return
		}
	}
}
