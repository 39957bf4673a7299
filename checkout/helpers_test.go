package checkout

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/spcloud/spcloud/api"
)

// fixtures is the folder of the contract's golden files.
var fixtures = filepath.Join("..", "..", "shared", "spec", "fixtures", "api")

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

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
		json.Unmarshal(fixture(t, "checkout_response.json"), &body)
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
		w.Write(fixture(t, name))
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
	body := fixture(t, name)
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

// page is what the fake browser ended on.
type page struct {
	status int
	body   string
	url    string
}

// visit is the fake browser: a GET that follows redirects.
func visit(ctx context.Context, rawURL string) (page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return page{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return page{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, string(b), resp.Request.URL.String()}, nil
}

// browserRecorder is an Options.Open that visits the URL and keeps the pages.
type browserRecorder struct {
	mu    sync.Mutex
	pages []page
}

func (b *browserRecorder) open(ctx context.Context, u string) error {
	p, err := visit(ctx, u)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pages = append(b.pages, p)
	return nil
}

func (b *browserRecorder) last(t *testing.T) page {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pages) == 0 {
		t.Fatal("the browser saw no page")
	}
	return b.pages[len(b.pages)-1]
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func portOf(t *testing.T, rawURL string) int {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func assertFreed(t *testing.T, port int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("callback port %d not freed: %v", port, err)
	}
	ln.Close()
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
