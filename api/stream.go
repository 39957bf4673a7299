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
// stream counts as a dropped one.
type idleTimer struct {
	d     time.Duration
	t     *time.Timer
	fired atomic.Bool
}

func (it *idleTimer) reset() { it.t.Reset(it.d) }

func (it *idleTimer) stop() { it.t.Stop() }

type idleReader struct {
	r  io.ReadCloser
	it *idleTimer
}

func (r idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.it.reset()
	}
	if err != nil && r.it.fired.Load() {
		return n, ErrStreamStalled
	}
	return n, err
}

func (r idleReader) Close() error { return r.r.Close() }

// ErrStreamStalled is returned when a stream sent nothing for its idle timeout.
var ErrStreamStalled = errors.New("event stream stalled: no data within the idle timeout")

// OpenStream connects to the event stream at path, resuming after
// lastEventID when it is not empty. A connection silent for idle (0: never)
// is closed with ErrStreamStalled.
func (c *Client) OpenStream(ctx context.Context, path, lastEventID string, idle time.Duration) (*EventStream, error) {
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(path), nil)
	if err != nil {
		cancel()
		return nil, err
	}
	c.prepare(req, "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	if c.log != nil {
		c.debug("stream open", "url", redactURL(req.URL.String()), "last_event_id", lastEventID)
	}
	var it *idleTimer
	if idle > 0 {
		it = &idleTimer{d: idle}
		it.t = time.AfterFunc(idle, func() {
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
		return nil, spcloud.E(spcloud.ErrNetwork, "event stream "+redactURL(path), err)
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if it != nil {
			it.stop()
		}
		cancel()
		return nil, parseAPIError(http.MethodGet, path, resp.StatusCode, body)
	}
	var body io.ReadCloser = resp.Body
	if it != nil {
		it.reset()
		body = idleReader{r: resp.Body, it: it}
	}
	return &EventStream{body: body, reader: NewSSEReader(body), cancel: cancel, idle: it}, nil
}

// FollowOptions tune how a stream is followed across drops.
type FollowOptions struct {
	// LastEventID resumes after this id.
	LastEventID string
	// IdleTimeout closes a connection that sends nothing (heartbeats
	// included) for this long; default 45 s.
	IdleTimeout time.Duration
	// MaxFailures is how many connections in a row may fail (or end without
	// an event) before Follow gives up with ErrStreamUnavailable; default 4.
	MaxFailures int
	// Backoff is the first reconnection delay, doubled per failure up to
	// MaxBackoff; defaults 100 ms and 3 s. A server's retry: field replaces
	// Backoff when it is shorter than MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// OnReconnect, when set, is told about each reconnection.
	OnReconnect func(failures int, err error)
}

// ErrStreamUnavailable means the stream failed too often; callers fall back
// to polling the status.
var ErrStreamUnavailable = errors.New("event stream unavailable")

// Follow reads the stream at path, reconnecting with Last-Event-ID after a
// drop, and calls handle for each event other than heartbeats. Events with a
// numeric id not above the last one seen are skipped, so none is delivered
// twice even by a server that ignores Last-Event-ID. Follow returns nil when
// handle reports done, handle's error, the context's error, an *APIError the
// server answered with (other than 5xx and 429), or an error wrapping
// ErrStreamUnavailable after MaxFailures failed connections in a row.
func (c *Client) Follow(ctx context.Context, path string, opts FollowOptions, handle func(Event) (done bool, err error)) error {
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = 45 * time.Second
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
	lastID := opts.LastEventID
	lastNum, lastIsNum := parseID(lastID)
	failures := 0
	var serverRetry time.Duration
	var lastErr error
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		delivered := false
		stream, err := c.OpenStream(ctx, path, lastID, opts.IdleTimeout)
		if err == nil {
			for {
				ev, rerr := stream.Next()
				if rerr != nil {
					err = rerr
					break
				}
				if r := stream.Retry(); r > 0 {
					serverRetry = r
				}
				if n, ok := parseID(ev.ID); ok {
					if lastIsNum && n <= lastNum {
						continue // already delivered
					}
					lastNum, lastIsNum = n, true
				}
				if ev.ID != "" {
					lastID = ev.ID
				}
				if ev.Name == "heartbeat" {
					continue
				}
				delivered = true
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
		lastErr = err
		if delivered {
			failures = 0
		}
		failures++
		if failures > opts.MaxFailures {
			return fmt.Errorf("%w after %d attempts: %v", ErrStreamUnavailable, failures, RedactText(lastErr.Error()))
		}
		wait := opts.Backoff << (failures - 1)
		if serverRetry > 0 && serverRetry < wait {
			wait = serverRetry
		}
		if delivered {
			// A drop after progress: reconnect at once, the stream was healthy.
			wait = 0
		}
		if wait > opts.MaxBackoff {
			wait = opts.MaxBackoff
		}
		if opts.OnReconnect != nil {
			opts.OnReconnect(failures, err)
		}
		if c.log != nil {
			c.debug("stream reconnect", "path", redactURL(path), "failures", failures, "wait", wait, "error", RedactText(err.Error()))
		}
		if wait > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
	}
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
