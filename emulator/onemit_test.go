package emulator

import (
	"slices"
	"sync"
	"testing"

	"github.com/spcloud/spcloud/api"
)

// OnEmit is told every event, in order, before a stream can see it.
func TestOnEmit(t *testing.T) {
	var mu sync.Mutex
	var got []string
	e := newEnv(t, Options{OnEmit: func(tenantID string, ev api.ProvisioningEvent) {
		mu.Lock()
		defer mu.Unlock()
		if ev.TenantID != tenantID {
			t.Errorf("OnEmit(%q) with an event of tenant %q", tenantID, ev.TenantID)
		}
		got = append(got, ev.EventType)
	}})
	tok := e.token(DemoUserEmail)
	id := e.readyTenant(tok)
	e.must(200, "POST", "/api/v1/tenants/"+id+"/restart", tok, nil)
	evs, _ := readAll(t, e.openStream(t.Context(), "/api/v1/tenants/"+id+"/events", tok, ""))
	streamed := eventTypes(t, evs)
	mu.Lock()
	defer mu.Unlock()
	if len(got) < len(streamed) || !slices.Equal(got[len(got)-len(streamed):], streamed) {
		t.Fatalf("OnEmit saw %v, the stream %v", got, streamed)
	}
}
