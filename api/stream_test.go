package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func sseServer(t *testing.T, file string) *Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "text/event-stream" {
			t.Errorf("Accept = %q", r.Header.Get("Accept"))
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(fixture(t, file))
	}))
	t.Cleanup(srv.Close)
	return New(srv.URL, "tok", WithRetry(NoRetry))
}

func TestTenantStreamFixture(t *testing.T) {
	c := sseServer(t, "tenant_events_ready.sse")
	var got []string
	var warned []string
	err := c.FollowTenantEvents(context.Background(), "f800", FollowOptions{MaxFailures: 1, Backoff: time.Millisecond},
		func(ev Event, err error) { warned = append(warned, ev.ID) },
		func(ev ProvisioningEvent) (bool, error) {
			got = append(got, ev.EventType)
			return ev.EventType == EventTenantReady, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	want := "tenant_created vm_provisioning_progress some_new_event_kind tenant_ready"
	if strings.Join(got, " ") != want {
		t.Fatalf("events = %v, want %s", got, want)
	}
	if len(warned) != 1 || warned[0] != "4" {
		t.Fatalf("warned about %v, want the garbled event 4", warned)
	}
}

func TestCheckoutStreamFixture(t *testing.T) {
	c := sseServer(t, "checkout_events_infra_ready.sse")
	var last CheckoutEvent
	err := c.FollowCheckoutEvents(context.Background(), "cs_01HQ52", FollowOptions{}, nil, func(ev CheckoutEvent) (bool, error) {
		last = ev
		return ev.EventType == EventInfrastructureReady, nil
	})
	if err != nil || last.TenantName != "acme-prod" || Str(last.FlyAppName) != "sp-acme-prod" {
		t.Fatalf("last = %+v, %v", last, err)
	}
}

func TestSSEReaderRules(t *testing.T) {
	in := "retry: 2500\r\n: comment\r\nid: 7\r\nevent: x\r\ndata: a\r\ndata:b\r\nunknown: z\r\n\r\n" +
		"data\n\n" + // a field with no colon: empty data
		"id: 9\n\n" + // id without data dispatches nothing but sets the id
		"data: tail\n" // no blank line: discarded at EOF
	r := NewSSEReader(strings.NewReader(in))
	ev, err := r.Next()
	if err != nil || ev != (Event{ID: "7", Name: "x", Data: "a\nb"}) || r.Retry() != 2500*time.Millisecond {
		t.Fatalf("first = %+v %v retry %v", ev, err, r.Retry())
	}
	ev, err = r.Next()
	if err != nil || ev != (Event{ID: "7", Name: "message", Data: ""}) {
		t.Fatalf("second = %+v %v", ev, err)
	}
	if _, err = r.Next(); err == nil || r.LastEventID() != "9" {
		t.Fatalf("third: %v, last id %q", err, r.LastEventID())
	}
}

func TestSSEReaderLongLine(t *testing.T) {
	r := NewSSEReader(strings.NewReader("data: " + strings.Repeat("x", 2<<20) + "\n\n"))
	if _, err := r.Next(); !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("err = %v", err)
	}
}

// numbered serves events 1..n; each connection resumes after Last-Event-ID
// and is dropped after `per` events. With ignoreID it replays from the start.
func numbered(t *testing.T, n, per int, ignoreID bool, conns *atomic.Int32) *Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn := int(conns.Add(1))
		start := 1
		if id, err := strconv.Atoi(r.Header.Get("Last-Event-ID")); err == nil && !ignoreID {
			start = id + 1
		}
		limit := per
		if ignoreID {
			limit = conn * 2 // replays from the start, a little further each time
		}
		w.Header().Set("Content-Type", "text/event-stream")
		sent := 0
		for i := start; i <= n && sent < limit; i++ {
			fmt.Fprintf(w, "id: %d\nevent: provisioning\ndata: {\"tenant_id\":\"t\",\"event_type\":\"e%d\",\"status\":\"in_progress\"}\n\nevent: heartbeat\ndata: {}\n\n", i, i)
			sent++
		}
		w.(http.Flusher).Flush()
	}))
	t.Cleanup(srv.Close)
	return New(srv.URL, "tok")
}

func TestFollowReconnectsWithoutLossOrRepeat(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		var conns atomic.Int32
		c := numbered(t, 9, 2, ignore, &conns)
		var got []string
		err := c.FollowTenantEvents(context.Background(), "t", FollowOptions{Backoff: time.Millisecond}, nil, func(ev ProvisioningEvent) (bool, error) {
			got = append(got, ev.EventType)
			return ev.EventType == "e9", nil
		})
		if err != nil {
			t.Fatalf("ignoreID=%v: %v", ignore, err)
		}
		if strings.Join(got, ",") != "e1,e2,e3,e4,e5,e6,e7,e8,e9" {
			t.Fatalf("ignoreID=%v: events %v", ignore, got)
		}
		if !ignore && conns.Load() != 5 {
			t.Errorf("connections = %d, want 5", conns.Load())
		}
	}
}

func TestFollowGivesUpForPolling(t *testing.T) {
	var conns atomic.Int32
	c := numbered(t, 0, 0, false, &conns) // every connection ends with no event
	err := c.Follow(context.Background(), "/x", FollowOptions{MaxFailures: 3, Backoff: time.Millisecond}, func(Event) (bool, error) { return false, nil })
	if !errors.Is(err, ErrStreamUnavailable) || conns.Load() != 4 {
		t.Fatalf("err = %v after %d connections", err, conns.Load())
	}
}

func TestFollowStopsOnClientError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		io.WriteString(w, `{"error":{"code":"tenant_not_found","message":"No tenant with id 'x'"}}`)
	}))
	defer srv.Close()
	err := New(srv.URL, "tok").Follow(context.Background(), "/x", FollowOptions{}, func(Event) (bool, error) { return false, nil })
	if !IsNotFound(err) {
		t.Fatalf("err = %v", err)
	}
}

func TestStalledStreamCountsAsDrop(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := conns.Add(1)
		w.Header().Set("Content-Type", "text/event-stream")
		if n == 1 {
			io.WriteString(w, "id: 1\nevent: provisioning\ndata: {\"event_type\":\"a\"}\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done() // stall: nothing more, never close
			return
		}
		io.WriteString(w, "id: 2\nevent: provisioning\ndata: {\"event_type\":\"b\"}\n\n")
	}))
	defer srv.Close()
	var got []string
	start := time.Now()
	err := New(srv.URL, "tok").Follow(context.Background(), "/x", FollowOptions{IdleTimeout: 150 * time.Millisecond}, func(ev Event) (bool, error) {
		got = append(got, ev.ID)
		return ev.ID == "2", nil
	})
	if err != nil || strings.Join(got, ",") != "1,2" || time.Since(start) > 2*time.Second {
		t.Fatalf("got %v, err %v, after %s", got, err, time.Since(start))
	}
}

// A stream that goes quiet after a quick start is taken as stalled within a
// few of its gaps, long before IdleTimeout, and resumed where it stopped.
func TestStallNoticedAtTheStreamsPace(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := conns.Add(1)
		w.Header().Set("Content-Type", "text/event-stream")
		if n == 1 {
			for i := 1; i <= 3; i++ {
				fmt.Fprintf(w, "id: %d\nevent: provisioning\ndata: {}\n\n", i)
				w.(http.Flusher).Flush()
				time.Sleep(20 * time.Millisecond)
			}
			<-r.Context().Done() // stalls without closing
			return
		}
		io.WriteString(w, "id: 4\nevent: provisioning\ndata: {}\n\n")
	}))
	defer srv.Close()
	var got []string
	start := time.Now()
	err := New(srv.URL, "tok").Follow(context.Background(), "/x", FollowOptions{MinIdle: 200 * time.Millisecond}, func(ev Event) (bool, error) {
		got = append(got, ev.ID)
		return ev.ID == "4", nil
	})
	if took := time.Since(start); err != nil || strings.Join(got, ",") != "1,2,3,4" || took > 2*time.Second {
		t.Fatalf("got %v, err %v, after %s (IdleTimeout is 45 s)", got, err, took)
	}
}

// A server that is only quiet, with heartbeats slower than the pace it
// started at, is given more time at each stall and then followed to its
// end: stalls noticed before IdleTimeout are not failures, so even
// MaxFailures 1 does not give it up.
func TestQuietServerIsNotGivenUp(t *testing.T) {
	var conns atomic.Int32
	begun := time.Now()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conns.Add(1)
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		if r.Header.Get("Last-Event-ID") == "" {
			for i := 1; i <= 3; i++ {
				fmt.Fprintf(w, "id: %d\nevent: provisioning\ndata: {}\n\n", i)
				fl.Flush()
				time.Sleep(10 * time.Millisecond)
			}
		}
		tick := time.NewTicker(300 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
			if time.Since(begun) > 1500*time.Millisecond {
				io.WriteString(w, "id: 4\nevent: provisioning\ndata: {}\n\n")
				fl.Flush()
				return
			}
			io.WriteString(w, "event: heartbeat\ndata: {}\n\n")
			fl.Flush()
		}
	}))
	defer srv.Close()
	var got []string
	err := New(srv.URL, "tok").Follow(context.Background(), "/x", FollowOptions{MinIdle: 50 * time.Millisecond, Backoff: time.Millisecond, MaxFailures: 1}, func(ev Event) (bool, error) {
		got = append(got, ev.ID)
		return ev.ID == "4", nil
	})
	if err != nil || strings.Join(got, ",") != "1,2,3,4" || conns.Load() > 5 {
		t.Fatalf("got %v, err %v, %d connections", got, err, conns.Load())
	}
}

// The server's retry: field sets the delay after a drop, and a 503's
// Retry-After is waited out in full.
func TestReconnectHonoursServerDelays(t *testing.T) {
	var mu sync.Mutex
	var at []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		at = append(at, time.Now())
		n := len(at)
		mu.Unlock()
		switch n {
		case 1: // one event, then a drop
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "retry: 300\n\nid: 1\nevent: provisioning\ndata: {}\n\n")
		case 2:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "id: 2\nevent: provisioning\ndata: {}\n\n")
		}
	}))
	defer srv.Close()
	err := New(srv.URL, "tok").Follow(context.Background(), "/x", FollowOptions{Backoff: time.Millisecond}, func(ev Event) (bool, error) {
		return ev.ID == "2", nil
	})
	if err != nil || len(at) != 3 {
		t.Fatalf("err %v after %d connections", err, len(at))
	}
	if d := at[1].Sub(at[0]); d < 300*time.Millisecond || d > 900*time.Millisecond {
		t.Errorf("reconnected %s after the drop; the server asked for 300ms", d)
	}
	if d := at[2].Sub(at[1]); d < time.Second || d > 2*time.Second {
		t.Errorf("reconnected %s after the 503; Retry-After said 1s", d)
	}
}

// Events with ids that are not numbers are delivered once, even from a
// server that replays from the start on every connection.
func TestNonNumericIDsDeliveredOnce(t *testing.T) {
	var conns atomic.Int32
	ids := []string{"a", "b", "c", "d"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(conns.Add(1))
		w.Header().Set("Content-Type", "text/event-stream")
		for _, id := range ids[:min(n+1, len(ids))] { // replays, a little further each time
			fmt.Fprintf(w, "id: %s\nevent: provisioning\ndata: {}\n\n", id)
		}
	}))
	defer srv.Close()
	var got []string
	err := New(srv.URL, "tok").Follow(context.Background(), "/x", FollowOptions{Backoff: time.Millisecond}, func(ev Event) (bool, error) {
		got = append(got, ev.ID)
		return ev.ID == "d", nil
	})
	if err != nil || strings.Join(got, ",") != "a,b,c,d" {
		t.Fatalf("got %v, err %v", got, err)
	}
}

func FuzzSSEReader(f *testing.F) {
	f.Add([]byte("id: 1\nevent: provisioning\ndata: {}\n\n"))
	f.Add([]byte("data: a\r\ndata: b\r\n\r\n: c\n"))
	f.Add([]byte("retry: 99999999999\nid: \x00\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewSSEReader(strings.NewReader(string(in)))
		for i := 0; i < 1000; i++ {
			ev, err := r.Next()
			if err != nil {
				return
			}
			if ev.Name == "" {
				t.Fatal("event without a name")
			}
		}
	})
}

func TestRedactURLQueryValues(t *testing.T) {
	secret := "S3cr3tS3cr3tS3cr3tS3cr3t"
	got := redactURL("http://h/api/v1/auth/oauth/github?redirect_uri=" + url.QueryEscape("http://127.0.0.1:8765/callback/"+secret) + "&ticket=tkt_1")
	if strings.Contains(got, secret) || strings.Contains(got, "tkt_1") {
		t.Fatalf("redacted URL = %s", got)
	}
	// As Go's errors quote a URL the call could not reach: still encoded.
	_, err := http.Get("http://127.0.0.1:1/api/v1/auth/oauth/github?redirect_uri=" + url.QueryEscape("http://127.0.0.1:8765/callback/"+secret))
	if err == nil || !strings.Contains(err.Error(), secret) {
		t.Fatalf("the error does not quote the URL, nothing to test: %v", err)
	}
	if text := RedactText(err.Error()); strings.Contains(text, secret) {
		t.Fatalf("redacted error text = %s", text)
	}
}

func TestRedaction(t *testing.T) {
	jwt := "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln"
	body := []byte(`{"api_token":"` + jwt + `","database_url":"postgres://u:pw@h/db","secrets":{"K":"v4lue"},"external_db_access":true,"name":"ok"}`)
	out := RedactBody(body)
	for _, s := range []string{jwt, "pw@", "v4lue"} {
		if strings.Contains(out, s) {
			t.Errorf("redacted body still holds %q: %s", s, out)
		}
	}
	if !strings.Contains(out, `"name":"ok"`) || !strings.Contains(out, `"external_db_access":true`) {
		t.Errorf("redaction removed too much: %s", out)
	}
	text := RedactText("GET http://127.0.0.1:1/callback/AAAAAAAAAAAAAAAAAAAAAAAAAAAA?access_token=" + jwt + " Bearer abc")
	for _, s := range []string{jwt, "AAAAAAAAAAAA", "abc"} {
		if strings.Contains(text, s) {
			t.Errorf("redacted text still holds %q: %s", s, text)
		}
	}
}
