package emulator

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/spcloud/spcloud/api"
)

func TestFailFirst(t *testing.T) {
	e := newEnv(t, Options{FailFirst: 2})
	tok := e.token(DemoUserEmail)
	for i := range 2 {
		r := e.do("GET", "/api/v1/auth/me", tok, nil)
		if r.status != 503 || r.header.Get("Retry-After") != "1" || r.errorCode(t) != "service_unavailable" {
			t.Fatalf("call %d: %d %v %s", i, r.status, r.header, r.body)
		}
	}
	e.must(200, "GET", "/api/v1/auth/me", tok, nil)
	// Counted per path; POST and pages are not affected.
	e.must(503, "GET", "/api/v1/checkout/plans", tok, nil)
	e.must(200, "POST", "/api/v1/checkout", tok, api.CheckoutRequest{PriceID: "pri_01pro", Region: "iad"})
	e.must(200, "GET", "/healthz", "", nil)
	e.must(200, "GET", "/healthz", "", nil)
}

func TestLatency(t *testing.T) {
	e := newEnv(t, Options{Latency: 40 * time.Millisecond})
	start := time.Now()
	e.must(200, "GET", "/healthz", "", nil)
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Fatalf("answered after %s", d)
	}
}

// TestDropStreamEvery: each connection ends after N events; reconnecting
// with Last-Event-ID gathers every event exactly once.
func TestDropStreamEvery(t *testing.T) {
	e := newEnv(t, Options{DropStreamEvery: 3, StepDelay: 2 * time.Millisecond})
	tok := e.token(DemoUserEmail)
	id, co := e.newTenant(tok)
	for _, path := range []string{"/api/v1/checkout/" + co.CheckoutSessionID + "/events", "/api/v1/tenants/" + id + "/events"} {
		var all []sseEvent
		last := ""
		for conns := 1; ; conns++ {
			evs, _ := readAll(t, e.openStream(t.Context(), path, tok, last))
			if len(evs) > 3 {
				t.Fatalf("%d events on one connection", len(evs))
			}
			all = append(all, evs...)
			if len(evs) > 0 {
				last = evs[len(evs)-1].id
			}
			if len(all) >= len(healthyRun) || conns > 20 {
				break
			}
		}
		if got := eventTypes(t, all); !slices.Equal(got, healthyRun) {
			t.Fatalf("%s: %v", path, got)
		}
		for i, n := range ids(all) {
			if n != i+1 {
				t.Fatalf("%s: ids %v", path, ids(all))
			}
		}
	}
}

// TestStallStreamAfter: after N events the connection stays open and silent
// (no heartbeats) until the client leaves.
func TestStallStreamAfter(t *testing.T) {
	e := newEnv(t, Options{StallStreamAfter: 2, Heartbeat: 5 * time.Millisecond})
	tok := e.token(DemoUserEmail)
	id, _ := e.newTenant(tok)
	e.waitStatus(tok, id, "ready")
	ctx, cancel := context.WithCancel(t.Context())
	resp := e.openStream(ctx, "/api/v1/tenants/"+id+"/events", tok, "")
	ch := parseSSE(resp.Body)
	got := 0
	for got < 2 {
		ev := <-ch
		if ev.event == "provisioning" {
			got++
		}
	}
	select {
	case ev, ok := <-ch:
		t.Fatalf("stalled stream sent %+v (open %v)", ev, ok)
	case <-time.After(60 * time.Millisecond):
	}
	cancel()
	resp.Body.Close()
	for range ch {
	}
}

func TestHeartbeat(t *testing.T) {
	e := newEnv(t, Options{Heartbeat: 5 * time.Millisecond})
	tok := e.token(DemoUserEmail)
	co := e.checkout(tok, "pri_01pro", "iad", "")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	resp := e.openStream(ctx, "/api/v1/checkout/"+co.CheckoutSessionID+"/events", tok, "")
	defer resp.Body.Close()
	ch := parseSSE(resp.Body)
	beats := 0
	timeout := time.After(5 * time.Second)
	for beats < 3 {
		select {
		case ev := <-ch:
			if ev.event == "heartbeat" {
				if ev.data != "{}" || ev.id != "" {
					t.Fatalf("heartbeat %+v", ev)
				}
				beats++
			}
		case <-timeout:
			t.Fatal("no heartbeats")
		}
	}
	// Paying now wakes the same stream, which then runs to the end.
	e.pay(co, "pay")
	var types []string
	for ev := range ch {
		if ev.event == "provisioning" {
			types = append(types, eventTypes(t, []sseEvent{ev})...)
		}
	}
	if !slices.Equal(types, healthyRun) {
		t.Fatalf("events %v", types)
	}
}

// TestCloseEndsStreams: Close ends idle and stalled streams and stops the
// provisioning goroutines.
func TestCloseEndsStreams(t *testing.T) {
	e := newEnv(t, Options{StepDelay: time.Hour})
	tok := e.token(DemoUserEmail)
	id, co := e.newTenant(tok)
	idle := e.checkout(tok, "pri_01pro", "iad", "")
	var resps []*http.Response
	for _, p := range []string{"/api/v1/checkout/" + idle.CheckoutSessionID + "/events", "/api/v1/tenants/" + id + "/events",
		"/api/v1/checkout/" + co.CheckoutSessionID + "/events"} {
		resps = append(resps, e.openStream(t.Context(), p, tok, ""))
	}
	done := make(chan struct{})
	go func() {
		for _, r := range resps {
			readAll(t, r)
		}
		close(done)
	}()
	time.Sleep(10 * time.Millisecond)
	e.emu.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("streams still open after Close")
	}
	if r := e.do("GET", "/api/v1/auth/me", tok, nil); r.status != 503 {
		t.Fatalf("after Close: %d", r.status)
	}
}

// TestLastEventIDIgnoredWhenInvalid: a Last-Event-ID that is not an id is
// treated as absent.
func TestLastEventIDIgnoredWhenInvalid(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token(DemoUserEmail)
	id, _ := e.newTenant(tok)
	e.waitStatus(tok, id, "ready")
	for _, bad := range []string{"abc", "-3"} {
		evs, _ := readAll(t, e.openStream(t.Context(), "/api/v1/tenants/"+id+"/events", tok, bad))
		if len(evs) != len(healthyRun) || evs[0].id != strconv.Itoa(1) {
			t.Fatalf("Last-Event-ID %q: %d events", bad, len(evs))
		}
	}
}
