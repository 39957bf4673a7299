package checkout

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/internal/testkit"
)

const (
	fixtureTenant  = "f800de73-2bdf-4c44-8b65-7b2f2bbad456"
	fixtureTxn     = "txn_01HQ51"
	fixtureSession = "cs_01HQ52"
)

// fakeCloud plays the API endpoints of the checkout and the payment page,
// which sends the browser back to redirect_uri with the query in callback.
type fakeCloud struct {
	*httptest.Server
	t *testing.T

	mu            sync.Mutex
	callback      string
	checkoutFails int // non-zero: POST /checkout answers this status
	request       api.CheckoutRequest
	checkoutURL   string // overrides the payment page's URL
	statuses      []string
	statusCalls   []time.Time
	// checkoutEvents and tenantEvents serve the streams; by default the
	// golden files.
	checkoutEvents http.HandlerFunc
	tenantEvents   http.HandlerFunc
	streamCalls    int
	lastEventIDs   []string
}

func newFakeCloud(t *testing.T, callback string) *fakeCloud {
	t.Helper()
	f := &fakeCloud{t: t, callback: callback, statuses: []string{"tenant_status_ready.json"}}
	f.checkoutEvents = sseFile(t, "checkout_events_infra_ready.sse")
	f.tenantEvents = sseFile(t, "tenant_events_ready.sse")
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/checkout", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if err := json.NewDecoder(r.Body).Decode(&f.request); err != nil {
			t.Error(err)
		}
		if f.checkoutFails != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.checkoutFails)
			io.WriteString(w, `{"error":{"code":"plan_limit_reached","message":"The Starter plan allows one tenant"}}`)
			return
		}
		var body map[string]any
		json.Unmarshal(testkit.Fixture(t, "checkout_response.json"), &body)
		body["checkout_url"] = f.URL + "/pay/" + fixtureTxn
		if f.checkoutURL != "" {
			body["checkout_url"] = f.checkoutURL
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body)
	})
	mux.HandleFunc("GET /pay/{txn}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		target := f.request.RedirectURI + "?" + f.callback
		f.mu.Unlock()
		http.Redirect(w, r, target, http.StatusFound)
	})
	mux.HandleFunc("GET /api/v1/checkout/{id}/events", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.streamCalls++
		f.lastEventIDs = append(f.lastEventIDs, r.Header.Get("Last-Event-ID"))
		h := f.checkoutEvents
		f.mu.Unlock()
		if r.PathValue("id") != fixtureSession {
			t.Errorf("checkout events of %q", r.PathValue("id"))
		}
		h(w, r)
	})
	mux.HandleFunc("GET /api/v1/tenants/{id}/events", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.streamCalls++
		f.lastEventIDs = append(f.lastEventIDs, r.Header.Get("Last-Event-ID"))
		h := f.tenantEvents
		f.mu.Unlock()
		h(w, r)
	})
	mux.HandleFunc("GET /api/v1/tenants/{id}/status", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.statusCalls = append(f.statusCalls, time.Now())
		name := f.statuses[0]
		if len(f.statuses) > 1 {
			f.statuses = f.statuses[1:]
		}
		w.Header().Set("Content-Type", "application/json")
		if name == "failed" {
			io.WriteString(w, `{"data":{"status":"failed","message":"Machine did not start"}}`)
			return
		}
		w.Write(testkit.Fixture(t, name))
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeCloud) checkoutRequest() api.CheckoutRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.request
}

func (f *fakeCloud) calls() (stream, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.streamCalls, len(f.statusCalls)
}

// sseFile serves a golden event stream and closes it.
func sseFile(t *testing.T, name string) http.HandlerFunc {
	body := testkit.Fixture(t, name)
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "text/event-stream" {
			t.Errorf("stream requested with Accept %q", r.Header.Get("Accept"))
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(body)
	}
}

// sseText serves the given stream text and closes it.
func sseText(text string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, text)
	}
}

// unavailable answers 503 with the error envelope.
func unavailable(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	io.WriteString(w, `{"error":{"code":"unavailable","message":"try later"}}`)
}

// hang opens a stream and sends nothing until the client goes away.
func hang(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	http.NewResponseController(w).Flush()
	<-r.Context().Done()
}

// checkoutEvent is one event of a checkout stream, as SSE text.
func checkoutEvent(id int, eventType, extra string) string {
	return "id: " + strconv.Itoa(id) + "\nevent: provisioning\ndata: {\"checkout_session_id\":\"" + fixtureSession +
		"\",\"tenant_id\":\"" + fixtureTenant + "\",\"tenant_name\":\"acme-prod\",\"event_type\":\"" + eventType +
		"\",\"status\":\"in_progress\"" + extra + "}\n\n"
}

func withTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fastFollow gives up on a broken stream quickly.
var fastFollow = api.FollowOptions{MaxFailures: 2, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}

func getJSON(t *testing.T, rawURL string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	return resp.StatusCode, v
}
