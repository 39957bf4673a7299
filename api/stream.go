package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/spcloud/spcloud"
)

// EventStream is one open connection to an event stream.
type EventStream struct {
	body   io.ReadCloser
	reader *SSEReader
	cancel context.CancelFunc
	idle   *idleTimer
}

// Next returns the next event, io.EOF when the server closed the stream.
func (s *EventStream) Next() (Event, error) { return s.reader.Next() }

// Retry is the reconnection delay the server asked for, or 0.
func (s *EventStream) Retry() time.Duration { return s.reader.Retry() }

// Close ends the connection.
func (s *EventStream) Close() error {
	s.cancel()
	if s.idle != nil {
		s.idle.stop()
	}
	return s.body.Close()
}

// idleTimer cancels a connection that sends no byte for a while: a stalled
// stream counts as a dropped one. Its wait comes from the stream's pace.
type idleTimer struct {
	pace  *streamPace
	t     *time.Timer
	fired atomic.Bool
}

func (it *idleTimer) stop() { it.t.Stop() }

type idleReader struct {
	r  io.ReadCloser
	it *idleTimer
}

func (r idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.it.pace.saw(time.Now())
		r.it.t.Reset(r.it.pace.idle())
	}
	if err != nil && r.it.fired.Load() {
		return n, ErrStreamStalled
	}
	return n, err
}

func (r idleReader) Close() error { return r.r.Close() }

// ErrStreamStalled is returned when a stream sent nothing for its idle timeout.
var ErrStreamStalled = errors.New("event stream stalled: no data within the idle timeout")

// stallFactor: a stream silent for this many times the longest gap seen
// between its bytes (heartbeats included) is taken as stalled.
const stallFactor = 4

// streamPace learns how often a stream sends, so that a stall is noticed in
// about the time a few of its events take rather than after a fixed minute,
// without cutting off a server that is only quiet. It is used by the
// goroutine reading the stream only.
type streamPace struct {
	minIdle, maxIdle time.Duration
	maxGap           time.Duration // longest silence seen inside a connection
	last             time.Time     // when the connection opened or last sent
	quiet            int           // stalls in a row that brought no event
}

// opened starts timing a new connection.
func (p *streamPace) opened(now time.Time) { p.last = now }

// saw records bytes arriving.
func (p *streamPace) saw(now time.Time) {
	if gap := now.Sub(p.last); gap > p.maxGap {
		p.maxGap = gap
	}
	p.last = now
}

// idle is how long the stream may stay silent: maxIdle until its pace is
// known, then stallFactor times its longest gap within [minIdle, maxIdle],
// doubled for each quiet stall in a row.
func (p *streamPace) idle() time.Duration {
	d := p.maxIdle
	if p.maxGap > 0 {
		d = min(max(stallFactor*p.maxGap, p.minIdle), p.maxIdle)
	}
	for i := 0; i < p.quiet && d < p.maxIdle; i++ {
		d *= 2
	}
	return min(d, p.maxIdle)
}

// OpenStream connects to the event stream at path, resuming after
// lastEventID when it is not empty. A connection silent for idle (0: never)
// is closed with ErrStreamStalled.
func (c *Client) OpenStream(ctx context.Context, path, lastEventID string, idle time.Duration) (*EventStream, error) {
	var pace *streamPace
	if idle > 0 {
		pace = &streamPace{minIdle: idle, maxIdle: idle}
	}
	return c.openStream(ctx, path, lastEventID, pace)
}

func (c *Client) openStream(ctx context.Context, path, lastEventID string, pace *streamPace) (*EventStream, error) {
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(path), nil)
	if err != nil {
		cancel()
		return nil, err
	}
	c.prepare(req, acceptStream)
	req.Header.Set("Cache-Control", "no-cache")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	if c.log != nil {
		c.debug("stream open", "url", redactURL(req.URL.String()), "last_event_id", lastEventID)
	}
	var it *idleTimer
	if pace != nil {
		pace.opened(time.Now())
		it = &idleTimer{pace: pace}
		it.t = time.AfterFunc(pace.idle(), func() {
			it.fired.Store(true)
			cancel()
		})
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if it != nil {
			it.stop()
		}
		cancel()
		if it != nil && it.fired.Load() {
			return nil, ErrStreamStalled
		}
		return nil, spcloud.E(spcloud.ErrNetwork, "event stream "+redactURL(path), netCause(err))
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if it != nil {
			it.stop()
		}
		cancel()
		ae := parseAPIError(http.MethodGet, path, resp.StatusCode, body)
		ae.RetryAfter, _ = RetryAfter(resp.Header, time.Now())
		return nil, ae
	}
	var body io.ReadCloser = resp.Body
	if it != nil {
		pace.saw(time.Now())
		it.t.Reset(pace.idle())
		body = idleReader{r: resp.Body, it: it}
	}
	return &EventStream{body: body, reader: NewSSEReader(body), cancel: cancel, idle: it}, nil
}

// FollowOptions tune how a stream is followed across drops.
type FollowOptions struct {
	// LastEventID resumes after this id.
	LastEventID string
	// IdleTimeout is the longest a connection may send nothing (heartbeats
	// included) before it counts as dropped; default 45 s. Once the
	// stream's pace is known a stall is noticed sooner: after four times
	// the longest silence seen so far, but not before MinIdle (default
	// 1 s). Each stall in a row that brought no event doubles that wait, so
	// a server that is only quiet soon gets the full IdleTimeout.
	IdleTimeout, MinIdle time.Duration
	// MaxFailures is how many connections in a row may fail (or end without
	// an event) before Follow gives up with ErrStreamUnavailable; default 4,
	// and below 0 never (the context then bounds the wait).
	MaxFailures int
	// Backoff is the first reconnection delay after a failure, doubled per
	// failure up to MaxBackoff; defaults 100 ms and 3 s. The server's
	// retry: field is the delay after a drop that followed progress, and
	// the least delay after a failure; a Retry-After on a refused
	// connection is waited out in full. Both are capped at MaxServerDelay.
	Backoff, MaxBackoff time.Duration
	// OnReconnect, when set, is told about each reconnection.
	OnReconnect func(failures int, err error)
}

// MaxServerDelay caps the delays a server asks for (retry:, Retry-After),
// so that a wrong value cannot park a client for hours.
const MaxServerDelay = time.Minute

// ErrStreamUnavailable means the stream failed too often; callers fall back
// to polling the status.
var ErrStreamUnavailable = errors.New("event stream unavailable")

// maxSeenIDs bounds the memory spent remembering non-numeric event ids.
const maxSeenIDs = 4096

// Follow reads the stream at path, reconnecting with Last-Event-ID after a
// drop or a stall, and calls handle for each event other than heartbeats.
// Events are delivered once: one with a numeric id not above the last one
// seen, or a non-numeric id seen before, is skipped, even from a server that
// ignores Last-Event-ID. Follow returns nil when handle reports done,
// handle's error, the context's error, an *APIError the server answered with
// (other than 5xx and 429), or an error wrapping ErrStreamUnavailable after
// MaxFailures failed connections in a row.
func (c *Client) Follow(ctx context.Context, path string, opts FollowOptions, handle func(Event) (done bool, err error)) error {
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = 45 * time.Second
	}
	if opts.MinIdle == 0 {
		opts.MinIdle = time.Second
	}
	if opts.MaxFailures == 0 {
		opts.MaxFailures = 4
	}
	if opts.Backoff == 0 {
		opts.Backoff = 100 * time.Millisecond
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 3 * time.Second
	}
	pace := &streamPace{minIdle: min(opts.MinIdle, opts.IdleTimeout), maxIdle: opts.IdleTimeout}
	lastID := opts.LastEventID
	lastNum, lastIsNum := parseID(lastID)
	seen := map[string]bool{}
	failures := 0
	var serverRetry time.Duration
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		delivered := false
		stream, err := c.openStream(ctx, path, lastID, pace)
		if err == nil {
			for {
				ev, rerr := stream.Next()
				if rerr != nil {
					err = rerr
					break
				}
				if r := stream.Retry(); r > 0 {
					serverRetry = min(r, MaxServerDelay)
				}
				if n, ok := parseID(ev.ID); ok {
					if lastIsNum && n <= lastNum {
						continue // already delivered
					}
					lastNum, lastIsNum = n, true
				} else if ev.ID != "" {
					if seen[ev.ID] {
						continue
					}
					if len(seen) < maxSeenIDs {
						seen[ev.ID] = true
					}
				}
				if ev.ID != "" {
					lastID = ev.ID
				}
				if ev.Name == "heartbeat" {
					continue
				}
				delivered = true
				pace.quiet = 0
				done, herr := handle(ev)
				if herr != nil || done {
					stream.Close()
					return herr
				}
			}
			stream.Close()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ae *spcloud.APIError
		if errors.As(err, &ae) && ae.Status != http.StatusTooManyRequests && ae.Status < 500 {
			return err
		}
		if err == io.EOF || err == nil {
			err = errors.New("server closed the stream")
		}
		switch {
		case delivered:
			failures = 0 // the stream was healthy: reconnect and go on
		case errors.Is(err, ErrStreamStalled) && pace.idle() < pace.maxIdle:
			// Silent for longer than its pace, not yet for IdleTimeout: a
			// suspicion, not a failure. Next time it is given twice as long.
			pace.quiet++
		default:
			failures++
			if opts.MaxFailures >= 0 && failures > opts.MaxFailures {
				return fmt.Errorf("%w after %d attempts: %v", ErrStreamUnavailable, failures, RedactText(err.Error()))
			}
		}
		wait := reconnectDelay(opts, failures, serverRetry, ae)
		if opts.OnReconnect != nil {
			opts.OnReconnect(failures, err)
		}
		if c.log != nil {
			c.debug("stream reconnect", "path", redactURL(path), "failures", failures, "wait", wait, "error", RedactText(err.Error()))
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
	}
}

// reconnectDelay is the wait before the next connection. With no failure
// (a drop after progress, a suspected stall) it is the server's retry:
// delay, none when it gave none. After failures: exponential backoff, at
// least the server's retry: delay, and all of a Retry-After the refusal
// carried.
func reconnectDelay(opts FollowOptions, failures int, serverRetry time.Duration, refused *spcloud.APIError) time.Duration {
	if failures == 0 {
		return serverRetry
	}
	wait := opts.Backoff << (failures - 1)
	if wait > opts.MaxBackoff || wait <= 0 {
		wait = opts.MaxBackoff
	}
	wait = max(wait, serverRetry)
	if refused != nil && refused.RetryAfter > wait {
		wait = min(refused.RetryAfter, MaxServerDelay)
	}
	return wait
}

func parseID(id string) (uint64, bool) {
	n, err := strconv.ParseUint(id, 10, 64)
	return n, err == nil
}

// DecodeWarning is called with events whose data does not parse; such events
// are skipped, never fatal.
type DecodeWarning func(ev Event, err error)

// TenantEventsPath is the path of a tenant's event stream.
func TenantEventsPath(tenantID string) string { return tenantPath(tenantID, "/events") }

// CheckoutEventsPath is the path of a checkout's event stream.
func CheckoutEventsPath(checkoutSessionID string) string {
	return "/api/v1/checkout/" + url.PathEscape(checkoutSessionID) + "/events"
}

// FollowTenantEvents follows a tenant's stream, delivering its provisioning
// events (named "provisioning" or "message") as typed values.
func (c *Client) FollowTenantEvents(ctx context.Context, tenantID string, opts FollowOptions, warn DecodeWarning, handle func(ProvisioningEvent) (done bool, err error)) error {
	return c.Follow(ctx, TenantEventsPath(tenantID), opts, func(ev Event) (bool, error) {
		if ev.Name != "provisioning" && ev.Name != "message" {
			return false, nil
		}
		var pe ProvisioningEvent
		if err := json.Unmarshal([]byte(ev.Data), &pe); err != nil {
			c.warnDecode(warn, ev, err)
			return false, nil
		}
		return handle(pe)
	})
}

// FollowCheckoutEvents follows a checkout's stream, delivering its events as
// typed values.
func (c *Client) FollowCheckoutEvents(ctx context.Context, checkoutSessionID string, opts FollowOptions, warn DecodeWarning, handle func(CheckoutEvent) (done bool, err error)) error {
	return c.Follow(ctx, CheckoutEventsPath(checkoutSessionID), opts, func(ev Event) (bool, error) {
		if ev.Name != "provisioning" && ev.Name != "message" {
			return false, nil
		}
		var ce CheckoutEvent
		if err := json.Unmarshal([]byte(ev.Data), &ce); err != nil {
			c.warnDecode(warn, ev, err)
			return false, nil
		}
		return handle(ce)
	})
}

func (c *Client) warnDecode(warn DecodeWarning, ev Event, err error) {
	c.debug("skipping event whose data does not parse", "id", ev.ID, "error", err)
	if warn != nil {
		warn(ev, err)
	}
}

// TenantEvents opens a tenant's event stream once, without reconnecting.
func (c *Client) TenantEvents(ctx context.Context, tenantID, lastEventID string) (*EventStream, error) {
	return c.OpenStream(ctx, TenantEventsPath(tenantID), lastEventID, 0)
}

// CheckoutEvents opens a checkout's event stream once, without reconnecting.
func (c *Client) CheckoutEvents(ctx context.Context, checkoutSessionID, lastEventID string) (*EventStream, error) {
	return c.OpenStream(ctx, CheckoutEventsPath(checkoutSessionID), lastEventID, 0)
}
