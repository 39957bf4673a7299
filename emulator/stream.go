package emulator

import (
	"context"
	"io"
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
//
// Over HTTP/1.x the connection is taken over (hijacked) and served by a
// small goroutine of its own while the handler returns, so that an open
// stream does not keep net/http's per-connection buffers, request and
// handler stack: the emulator carries ten thousand subscribers in about a
// third of the memory. The body is then delimited by the connection's end
// (Connection: close) instead of chunks; SSE clients read it the same.
// Other writers (HTTP/2, recorders in tests) are served in the handler.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, log *eventLog, from int, v view) {
	if r.Method == http.MethodGet && r.ProtoMajor == 1 && s.detach(w, log, from, v) {
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte(streamPreamble)); err != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.base, cancel)() // Close ends the stream
	s.pump(ctx, func(b []byte) error {
		if _, err := w.Write(b); err != nil {
			return err
		}
		return rc.Flush()
	}, log, from, v)
}

// streamPreamble opens every stream: the client's reconnection delay. The
// emulator is local and cheap to reconnect to, so a dropped stream (a fault
// injected on purpose) costs its clients a fifth of a second.
const streamPreamble = "retry: 200\n\n"

// streamHead is the response head of a hijacked stream.
const streamHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n" +
	"X-Accel-Buffering: no\r\nConnection: close\r\n"

// detach hijacks the connection and serves the stream on a goroutine of its
// own; false when the writer cannot be hijacked or the server is closing.
func (s *Server) detach(w http.ResponseWriter, log *eventLog, from int, v view) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.wg.Add(1) // Close waits for detached streams, as it does for runners
	s.mu.Unlock()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		s.wg.Done()
		return false
	}
	var logDone func()
	if lw, ok := w.(*logWriter); ok {
		lw.status, lw.wroteHeader, lw.detached = http.StatusOK, true, true
		logDone = lw.logDone
	}
	// The client leaving ends the stream: net/http no longer watches the
	// connection, so a reader does (anything the client sends is ignored).
	// The end of the stream, the client leaving or Close close the
	// connection, which also frees a write blocked on a client that does
	// not read.
	ctx, cancel := context.WithCancel(s.base)
	context.AfterFunc(ctx, func() { conn.Close() })
	go func() {
		var b [1]byte
		for {
			if _, err := conn.Read(b[:]); err != nil {
				cancel()
				return
			}
		}
	}()
	go func() {
		defer s.wg.Done()
		defer cancel() // closes the connection, which ends the reader
		head := streamHead + "Date: " + time.Now().UTC().Format(http.TimeFormat) + "\r\n\r\n" + streamPreamble
		if _, err := io.WriteString(conn, head); err == nil {
			s.pump(ctx, func(b []byte) error {
				_, err := conn.Write(b)
				return err
			}, log, from, v)
		}
		if logDone != nil {
			logDone()
		}
	}()
	return true
}

// pump writes the stream's events (and heartbeats) with send, each frame
// with one call, until the stream ends (see stream) or ctx does (the client
// left, or Close).
func (s *Server) pump(ctx context.Context, send func([]byte) error, log *eventLog, from int, v view) {
	// The heartbeat timer is not reset per event: when it fires after a
	// recent send, it is set for the rest of the idle interval instead.
	hb := time.NewTimer(s.opts.Heartbeat)
	defer hb.Stop()
	lastSend := time.Now()
	sent := 0
	cursor := from // index of the next entry = id of the last one sent
	if log.seenEnd(from, v) {
		return // a client resuming after the end: nothing more will come
	}
	for {
		entries, wake, ended, next := log.since(cursor)
		cursor = next
		for _, e := range entries {
			cursor = e.id
			fr := v.frame(e)
			if fr == nil {
				continue
			}
			if send(fr) != nil {
				return
			}
			lastSend = time.Now()
			sent++
			if v.stops(e) {
				return
			}
			if n := s.opts.DropStreamEvery; n > 0 && sent >= n {
				return
			}
			if n := s.opts.StallStreamAfter; n > 0 && sent >= n {
				<-ctx.Done()
				return
			}
		}
		if ended {
			return
		}
		select {
		case <-wake:
		case <-hb.C:
			if idle := time.Since(lastSend); idle < s.opts.Heartbeat {
				hb.Reset(s.opts.Heartbeat - idle)
				continue
			}
			if send(heartbeat) != nil {
				return
			}
			lastSend = time.Now()
			hb.Reset(s.opts.Heartbeat)
		case <-ctx.Done():
			return
		}
	}
}

var heartbeat = []byte("event: heartbeat\ndata: {}\n\n")
