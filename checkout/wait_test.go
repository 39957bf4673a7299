package checkout

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/internal/testkit"
)

// events collects delivered events safely.
type events[T any] struct {
	mu   sync.Mutex
	list []T
}

func (e *events[T]) add(v T) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, v)
}

func (e *events[T]) all() []T {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]T(nil), e.list...)
}

func types(evs []api.ProvisioningEvent) string {
	var s []string
	for _, e := range evs {
		s = append(s, e.EventType)
	}
	return strings.Join(s, ",")
}

func TestWaitForTenantReady(t *testing.T) {
	f := newFakeCloud(t, "")
	var got events[api.ProvisioningEvent]
	st, err := WaitForTenant(withTimeout(t), api.New(f.URL, "tok"), fixtureTenant, WaitOptions{OnEvent: got.add})
	if err != nil {
		t.Fatal(err)
	}
	// The golden stream: a heartbeat, an unknown type and a line that does
	// not parse are all survived; the multi-line data event ends it.
	if want := "tenant_created,vm_provisioning_progress,some_new_event_kind,tenant_ready"; types(got.all()) != want {
		t.Errorf("events %s, want %s", types(got.all()), want)
	}
	if st.Status != api.StatusReady || !strings.Contains(api.Str(st.SecretsURL), "/secrets/bootstrap?ticket=") {
		t.Errorf("final status %+v lacks secrets_url", st)
	}
}

func TestWaitForTenantFailed(t *testing.T) {
	tests := []struct {
		name, stream, want string
	}{
		{"golden", "", "Region fra has no capacity"},
		{"no message", "id: 1\nevent: provisioning\ndata: {\"tenant_id\":\"t1\",\"event_type\":\"provisioning_failed\",\"status\":\"failed\"}\n\n", UnknownError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCloud(t, "")
			f.tenantEvents = sseFile(t, "tenant_events_failed.sse")
			if tt.stream != "" {
				f.tenantEvents = sseText(tt.stream)
			}
			_, err := WaitForTenant(withTimeout(t), api.New(f.URL, "tok"), "t1", WaitOptions{})
			var pe *ProvisioningError
			if !errors.As(err, &pe) || pe.Message != tt.want || pe.TenantID != "t1" {
				t.Fatalf("err = %v, want a ProvisioningError %q", err, tt.want)
			}
			if _, polls := f.calls(); polls != 0 {
				t.Errorf("polled %d times after a failure event", polls)
			}
		})
	}
}

func TestWaitForTenantReconnectsWithoutDuplicates(t *testing.T) {
	f := newFakeCloud(t, "")
	golden := string(testkit.Fixture(t, "tenant_events_ready.sse"))
	first := golden[:strings.Index(golden, "id: 3")] // events 1 and 2, then a drop
	var mu sync.Mutex
	conn := 0
	f.tenantEvents = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conn++
		n := conn
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		if n == 1 {
			w.Write([]byte(first))
			return
		}
		w.Write([]byte(golden)) // a server that ignores Last-Event-ID
	}
	var got events[api.ProvisioningEvent]
	if _, err := WaitForTenant(withTimeout(t), api.New(f.URL, "tok"), fixtureTenant, WaitOptions{OnEvent: got.add, Follow: fastFollow}); err != nil {
		t.Fatal(err)
	}
	if want := "tenant_created,vm_provisioning_progress,some_new_event_kind,tenant_ready"; types(got.all()) != want {
		t.Errorf("events %s, want each once: %s", types(got.all()), want)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.lastEventIDs) != 2 || f.lastEventIDs[1] != "2" {
		t.Errorf("Last-Event-ID sent: %q", f.lastEventIDs)
	}
}

func TestWaitForTenantFallsBackToPolling(t *testing.T) {
	tests := []struct {
		name     string
		statuses []string
		wantErr  string
	}{
		{"ready", []string{"tenant_status_provisioning.json", "tenant_status_provisioning.json", "tenant_status_ready.json"}, ""},
		{"failed", []string{"tenant_status_provisioning.json", "failed"}, "Machine did not start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCloud(t, "")
			f.tenantEvents = unavailable
			f.statuses = tt.statuses
			var fellBack error
			var statuses events[api.TenantStatus]
			st, err := WaitForTenant(withTimeout(t), api.New(f.URL, "tok", api.WithRetry(api.NoRetry)), fixtureTenant, WaitOptions{
				Follow: fastFollow, PollStart: time.Millisecond, PollInterval: 5 * time.Millisecond,
				OnFallback: func(err error) { fellBack = err }, OnStatus: statuses.add,
			})
			if !errors.Is(fellBack, api.ErrStreamUnavailable) {
				t.Errorf("OnFallback got %v", fellBack)
			}
			if tt.wantErr != "" {
				var pe *ProvisioningError
				if !errors.As(err, &pe) || pe.Message != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || st.Status != api.StatusReady || api.Str(st.SecretsURL) == "" {
				t.Fatalf("WaitForTenant = %+v, %v", st, err)
			}
			// provisioning (twice, same message: told once), then ready.
			if got := statuses.all(); len(got) != 2 || got[0].Status != "provisioning" || got[1].Status != "ready" {
				t.Errorf("OnStatus got %+v", got)
			}
		})
	}
}

func TestWaitForTenantPollBackoff(t *testing.T) {
	f := newFakeCloud(t, "")
	f.tenantEvents = unavailable
	f.statuses = []string{"tenant_status_provisioning.json", "tenant_status_provisioning.json", "tenant_status_provisioning.json",
		"tenant_status_provisioning.json", "tenant_status_provisioning.json", "tenant_status_ready.json"}
	_, err := WaitForTenant(withTimeout(t), api.New(f.URL, "tok", api.WithRetry(api.NoRetry)), fixtureTenant, WaitOptions{
		Follow: fastFollow, PollStart: 20 * time.Millisecond, PollInterval: 80 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	calls := f.statusCalls
	if len(calls) != 6 {
		t.Fatalf("%d status calls, want 6", len(calls))
	}
	// Delays 20, 40, 80, 80, 80 ms: growing, then capped.
	want := []time.Duration{20, 40, 80, 80, 80}
	for i, w := range want {
		gap := calls[i+1].Sub(calls[i])
		if gap < w*time.Millisecond || gap > w*time.Millisecond+400*time.Millisecond {
			t.Errorf("gap %d = %s, want about %dms", i, gap, w)
		}
	}
}

func TestWaitForTenantTimeout(t *testing.T) {
	f := newFakeCloud(t, "")
	f.tenantEvents = unavailable
	f.statuses = []string{"tenant_status_provisioning.json"}
	start := time.Now()
	_, err := WaitForTenant(withTimeout(t), api.New(f.URL, "tok", api.WithRetry(api.NoRetry)), "t-slow", WaitOptions{
		Timeout: 300 * time.Millisecond, Follow: fastFollow, PollInterval: 20 * time.Millisecond,
	})
	if !errors.Is(err, ErrWaitTimeout) || !strings.Contains(err.Error(), "tenant t-slow was not ready within 300ms") {
		t.Fatalf("err = %v, want a clear timeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s", d)
	}
	// A silent stream times out the same way.
	f.tenantEvents = hang
	_, err = WaitForTenant(withTimeout(t), api.New(f.URL, "tok"), "t-slow", WaitOptions{Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrWaitTimeout) {
		t.Fatalf("silent stream: err = %v", err)
	}
}

func TestWaitForTenantCancelled(t *testing.T) {
	f := newFakeCloud(t, "")
	f.tenantEvents = hang
	ctx, cancel := context.WithCancel(withTimeout(t))
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := WaitForTenant(ctx, api.New(f.URL, "tok"), fixtureTenant, WaitOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestWaitForTenantUnauthorizedDoesNotPoll(t *testing.T) {
	f := newFakeCloud(t, "")
	f.tenantEvents = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":{"code":"unauthorized","message":"token expired"}}`))
	}
	_, err := WaitForTenant(withTimeout(t), api.New(f.URL, "tok"), fixtureTenant, WaitOptions{})
	if !errors.Is(err, spcloud.ErrTokenExpired) {
		t.Fatalf("err = %v, want a 401", err)
	}
	if _, polls := f.calls(); polls != 0 {
		t.Errorf("polled %d times with a refused token", polls)
	}
}

func TestWaitForTenantArguments(t *testing.T) {
	if _, err := WaitForTenant(context.Background(), nil, "t", WaitOptions{}); err == nil {
		t.Error("nil client accepted")
	}
	if _, err := WaitForTenant(context.Background(), api.New("http://127.0.0.1:1", ""), "", WaitOptions{}); err == nil {
		t.Error("empty tenant id accepted")
	}
}
