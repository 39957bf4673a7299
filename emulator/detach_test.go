package emulator

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// Streams over HTTP/1.1 are served on connections taken over from net/http:
// a client that leaves ends its stream (the request log line comes then),
// and Close ends open ones.
func TestDetachedStreamEnds(t *testing.T) {
	var mu sync.Mutex
	logged := make(chan string, 16)
	e := newEnv(t, Options{StepDelay: time.Hour, Logf: func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		line := strings.TrimSpace(fmt.Sprintf(format, args...))
		if strings.Contains(line, "/events") {
			logged <- line
		}
	}})
	tok := e.token(DemoUserEmail)
	id, _ := e.newTenant(tok) // provisioning holds after its first event
	path := "/api/v1/tenants/" + id + "/events"
	last := "1"

	// Resuming after the first event: the stream stays open, idle.
	ctx, cancel := context.WithCancel(t.Context())
	resp := e.openStream(ctx, path, tok, last)
	if resp.Header.Get("Connection") != "close" && !resp.Close {
		t.Errorf("a detached stream is delimited by the connection's end; headers %v", resp.Header)
	}
	ch := parseSSE(resp.Body)
	if ev := <-ch; ev.event != "retry:" {
		t.Fatalf("first frame %+v", ev)
	}
	select {
	case l := <-logged:
		t.Fatalf("logged while open: %s", l)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	resp.Body.Close()
	select {
	case l := <-logged:
		if !strings.HasPrefix(l, "GET "+path+" 200 ") {
			t.Fatalf("log line %q", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end when its client left")
	}
	for range ch {
	}

	// Close ends a stream that is still open.
	resp = e.openStream(t.Context(), path, tok, last)
	ch = parseSSE(resp.Body)
	<-ch
	done := make(chan struct{})
	go func() { e.emu.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end an open stream")
	}
	for range ch {
	}
	resp.Body.Close()
}
