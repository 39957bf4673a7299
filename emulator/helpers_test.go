package emulator

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spcloud/spcloud/api"
)

// env is one emulator behind a real loopback HTTP server.
type env struct {
	t      *testing.T
	emu    *Server
	srv    *httptest.Server
	client *http.Client // never follows redirects
}

const fastStep = 3 * time.Millisecond

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	if opts.StepDelay == 0 {
		opts.StepDelay = fastStep
	}
	emu := New(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		emu.Close()
		srv.Close()
	})
	return &env{t: t, emu: emu, srv: srv, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       20 * time.Second,
	}}
}

// reply is a finished HTTP answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, r.body)
	}
}

// errorCode decodes the error envelope and returns its code.
func (r reply) errorCode(t *testing.T) string {
	t.Helper()
	var env api.ErrorEnvelope
	r.json(t, &env)
	if env.Error.Code == "" || env.Error.Message == "" {
		t.Fatalf("not an error envelope with code and message: %s", r.body)
	}
	return env.Error.Code
}

// do sends a request; path may be absolute or relative to the server.
func (e *env) do(method, path, token string, body any, hdr ...string) reply {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, _ := json.Marshal(b)
		rd = strings.NewReader(string(buf))
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = e.srv.URL + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

// must sends a request and fails the test unless the status is want.
func (e *env) must(want int, method, path, token string, body any) reply {
	e.t.Helper()
	r := e.do(method, path, token, body)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	return r
}

func (e *env) form(path string, vals url.Values) reply {
	e.t.Helper()
	resp, err := e.client.PostForm(e.srv.URL+path, vals)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

func (e *env) token(email string) string {
	e.t.Helper()
	tok, err := e.emu.IssueToken(email)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

var hiddenID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// loginFlow runs the OAuth flow through the consent page and returns where
// the browser was sent.
func (e *env) loginFlow(redirectURI, action string) *url.URL {
	e.t.Helper()
	r := e.must(200, "GET", "/api/v1/auth/oauth/github?redirect_uri="+url.QueryEscape(redirectURI), "", nil)
	var start api.OAuthStartResponse
	r.json(e.t, &start)
	page := e.must(200, "GET", start.AuthorizeURL, "", nil)
	m := hiddenID.FindSubmatch(page.body)
	if m == nil {
		e.t.Fatalf("consent page has no id field:\n%s", page.body)
	}
	res := e.form("/oauth/consent", url.Values{"id": {string(m[1])}, "action": {action}})
	if res.status != http.StatusSeeOther {
		e.t.Fatalf("consent post: status %d: %s", res.status, res.body)
	}
	loc, err := url.Parse(res.header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	return loc
}

// checkout creates a checkout and returns it.
func (e *env) checkout(token, priceID, region, redirectURI string) api.CheckoutResponse {
	e.t.Helper()
	r := e.must(200, "POST", "/api/v1/checkout", token, api.CheckoutRequest{PriceID: priceID, Region: region, RedirectURI: redirectURI})
	var co api.CheckoutResponse
	r.json(e.t, &co)
	return co
}

// pay presses Pay on the checkout's payment page and returns the redirect.
func (e *env) pay(co api.CheckoutResponse, action string) reply {
	e.t.Helper()
	u, _ := url.Parse(co.CheckoutURL)
	return e.form(u.Path, url.Values{"action": {action}})
}

// newTenant logs in as email, buys a Pro tenant and returns its id and the
// checkout.
func (e *env) newTenant(token string) (string, api.CheckoutResponse) {
	e.t.Helper()
	co := e.checkout(token, "pri_01pro", "fra", "http://127.0.0.1:8766/callback")
	if r := e.pay(co, "pay"); r.status != http.StatusSeeOther {
		e.t.Fatalf("pay: %d %s", r.status, r.body)
	}
	e.emu.mu.Lock()
	id := e.emu.checkouts[co.CheckoutSessionID].tenantID
	e.emu.mu.Unlock()
	return id, co
}

// sseEvent is one parsed server-sent event.
type sseEvent struct {
	id, event, data string
}

// openStream opens an event stream; lastID "" sends no Last-Event-ID.
func (e *env) openStream(ctx context.Context, path, token, lastID string) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+path, nil)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		e.t.Fatalf("stream %s: %d %s", path, resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		e.t.Fatalf("stream content type %q", ct)
	}
	return resp
}

// parseSSE reads events from r and sends them on the returned channel,
// which is closed at the end of the stream. retry: lines arrive as events
// named "retry:" with the value in data.
func parseSSE(r io.Reader) <-chan sseEvent {
	ch := make(chan sseEvent, 64)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		var ev sseEvent
		var data []string
		has := false
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				if has {
					ev.data = strings.Join(data, "\n")
					ch <- ev
				}
				ev, data, has = sseEvent{}, nil, false
				continue
			}
			field, val, _ := strings.Cut(line, ":")
			val = strings.TrimPrefix(val, " ")
			switch field {
			case "id":
				ev.id, has = val, true
			case "event":
				ev.event, has = val, true
			case "data":
				data, has = append(data, val), true
			case "retry":
				ch <- sseEvent{event: "retry:", data: val}
			}
		}
	}()
	return ch
}

// readAll reads a stream to its end, failing after a timeout; it returns the
// provisioning events only, and whether retry: came first.
func readAll(t *testing.T, resp *http.Response) ([]sseEvent, bool) {
	t.Helper()
	defer resp.Body.Close()
	var out []sseEvent
	retryFirst, first := false, true
	timeout := time.After(15 * time.Second)
	ch := parseSSE(resp.Body)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return out, retryFirst
			}
			if first {
				retryFirst = ev.event == "retry:" && ev.data == "200"
				first = false
			}
			if ev.event == "provisioning" {
				out = append(out, ev)
			}
		case <-timeout:
			t.Fatalf("stream did not end; got %d events", len(out))
		}
	}
}

func ids(evs []sseEvent) []int {
	var out []int
	for _, e := range evs {
		n, _ := strconv.Atoi(e.id)
		out = append(out, n)
	}
	return out
}

func eventTypes(t *testing.T, evs []sseEvent) []string {
	t.Helper()
	var out []string
	for _, e := range evs {
		var pe api.ProvisioningEvent
		if err := json.Unmarshal([]byte(e.data), &pe); err != nil {
			t.Fatalf("event data is not JSON: %q", e.data)
		}
		out = append(out, pe.EventType)
	}
	return out
}

// healthyRun is the event_type sequence of a full provisioning.
var healthyRun = []string{
	"subscription_created", "tenant_created", "database_created", "secrets_stored",
	"vm_provisioning_started", "vm_provisioning_progress", "vm_provisioning_progress",
	"vm_provisioning_progress", "vm_provisioned", "secrets_configured",
	"infrastructure_ready", "tenant_ready",
}

// waitStatus polls the tenant status until it is want.
func (e *env) waitStatus(token, id, want string) api.TenantStatus {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var st api.Envelope[api.TenantStatus]
		e.must(200, "GET", "/api/v1/tenants/"+id+"/status", token, nil).json(e.t, &st)
		if st.Data.Status == want {
			return st.Data
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("tenant status stays %q, want %q", st.Data.Status, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
