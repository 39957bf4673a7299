package loopback

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spcloud/spcloud/internal/testkit"
)

// echo is an OnCallback that records the query and answers a success page
// showing the query's "msg" value.
type echo struct {
	mu    sync.Mutex
	calls int
	last  url.Values
}

func (e *echo) callback(q url.Values) Page {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls++
	e.last = q
	if msg := q.Get("error_description"); msg != "" {
		return ErrorPage(0, "It failed", "The provider said:", msg)
	}
	return SuccessPage("Done", "msg: "+q.Get("msg"))
}

func (e *echo) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls
}

func start(t *testing.T, cfg Config) (*Server, *echo) {
	t.Helper()
	e := &echo{}
	if cfg.OnCallback == nil {
		cfg.OnCallback = e.callback
	}
	s, err := Listen(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, e
}

var client = &http.Client{
	Timeout:       5 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func get(t *testing.T, rawURL string) (int, string, http.Header) {
	t.Helper()
	resp, err := client.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestRedirectURIHasFreshSecret(t *testing.T) {
	a, _ := start(t, Config{})
	b, _ := start(t, Config{})
	for _, s := range []*Server{a, b} {
		u, err := url.Parse(s.RedirectURI())
		if err != nil {
			t.Fatal(err)
		}
		if u.Scheme != "http" || u.Host != "127.0.0.1:"+strconv.Itoa(s.Port()) {
			t.Errorf("redirect URI %q is not on 127.0.0.1:%d", u, s.Port())
		}
		secret, ok := strings.CutPrefix(u.Path, "/callback/")
		if !ok {
			t.Fatalf("path %q", u.Path)
		}
		raw, err := base64.RawURLEncoding.DecodeString(secret)
		if err != nil || len(raw) != 32 {
			t.Errorf("secret %q is not 32 bytes of base64url (%v)", secret, err)
		}
	}
	if a.RedirectURI()[len(a.BaseURL()):] == b.RedirectURI()[len(b.BaseURL()):] {
		t.Error("two servers share a secret")
	}
}

func TestForgedRequestsDoNotDisturbTheFlow(t *testing.T) {
	s, e := start(t, Config{})
	real := s.RedirectURI()
	secret := strings.TrimPrefix(real, s.BaseURL()+"/callback/")
	wrong := []byte(secret)
	wrong[0] ^= 1
	forged := []string{
		"/callback",
		"/callback/",
		"/callback/0000",
		"/",
		"/callback/" + string(wrong),
		"/callback/" + secret[:len(secret)-1],
		"/callback/" + secret + "x",
		"/callback/" + secret + "/",
		"/CALLBACK/" + secret,
		"/favicon.ico",
	}
	for _, p := range forged {
		code, body, _ := get(t, s.BaseURL()+p+"?access_token=forged&msg=forged")
		if code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, code)
		}
		if !strings.Contains(body, "<title>Not found") {
			t.Errorf("GET %s: not the 404 page: %.200s", p, body)
		}
	}
	// A POST to the real callback does not use it up.
	resp, err := client.Post(real+"?msg=posted", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST callback = %d, want 405", resp.StatusCode)
	}
	select {
	case <-s.Done():
		t.Fatal("a forged request completed the flow")
	default:
	}
	if e.count() != 0 {
		t.Fatalf("OnCallback called %d times by forged requests", e.count())
	}

	code, body, _ := get(t, real+"?msg=real")
	if code != http.StatusOK || !strings.Contains(body, "msg: real") {
		t.Fatalf("real callback = %d %.300s", code, body)
	}
	q, err := s.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("msg") != "real" {
		t.Errorf("Wait query = %v", q)
	}
}

func TestReplayIsRefused(t *testing.T) {
	s, e := start(t, Config{})
	if code, _, _ := get(t, s.RedirectURI()+"?msg=first"); code != http.StatusOK {
		t.Fatalf("first callback = %d", code)
	}
	for i := 0; i < 3; i++ {
		code, body, _ := get(t, s.RedirectURI()+"?msg=second")
		if code != http.StatusGone || !strings.Contains(body, "already used") {
			t.Errorf("replay = %d %.200s", code, body)
		}
	}
	q, err := s.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("msg") != "first" || e.count() != 1 {
		t.Errorf("replay changed the result: %v, %d calls", q, e.count())
	}
}

func TestConcurrentCallbacksCompleteOnce(t *testing.T) {
	s, e := start(t, Config{})
	var wg sync.WaitGroup
	codes := make(chan int, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Get(s.RedirectURI())
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	ok := 0
	for c := range codes {
		if c == http.StatusOK {
			ok++
		}
	}
	if ok != 1 || e.count() != 1 {
		t.Errorf("%d callbacks succeeded, OnCallback called %d times; want 1", ok, e.count())
	}
}

func TestForeignHostRefused(t *testing.T) {
	s, e := start(t, Config{})
	req, _ := http.NewRequest(http.MethodGet, s.RedirectURI(), nil)
	req.Host = "attacker.example:" + strconv.Itoa(s.Port())
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest || e.count() != 0 {
		t.Errorf("foreign Host = %d, %d calls", resp.StatusCode, e.count())
	}
	// localhost is the same machine and is accepted.
	req, _ = http.NewRequest(http.MethodGet, s.RedirectURI(), nil)
	req.Host = "localhost:" + strconv.Itoa(s.Port())
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("localhost Host = %d", resp.StatusCode)
	}
}

func TestExtraRoutes(t *testing.T) {
	s, _ := start(t, Config{})
	s.HandleFunc("GET /status/{tenant_id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ready","tenant":"`+r.PathValue("tenant_id")+`"}`)
	})
	code, body, hdr := get(t, s.BaseURL()+"/status/t1")
	if code != 200 || body != `{"status":"ready","tenant":"t1"}` {
		t.Errorf("extra route = %d %s", code, body)
	}
	if hdr.Get("Cache-Control") != "no-store" || hdr.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("guard headers missing: %v", hdr)
	}
	// The extra route works after the callback too, until Close.
	get(t, s.RedirectURI())
	if code, _, _ := get(t, s.BaseURL()+"/status/t2"); code != 200 {
		t.Errorf("extra route after callback = %d", code)
	}
}

func hold(t *testing.T) (int, net.Listener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().(*net.TCPAddr).Port, ln
}

func TestPreferredPort(t *testing.T) {
	p := testkit.FreePort(t)
	s, _ := start(t, Config{Port: p})
	if s.Port() != p {
		t.Errorf("port %d, want the free preferred port %d", s.Port(), p)
	}
}

func TestPortFallbackWhenHeld(t *testing.T) {
	p, _ := hold(t)
	s, _ := start(t, Config{Port: p})
	if s.Port() == p || s.Port() == 0 {
		t.Fatalf("port %d, want a fallback port other than %d", s.Port(), p)
	}
	if code, _, _ := get(t, s.RedirectURI()); code != 200 {
		t.Errorf("callback on fallback port = %d", code)
	}
}

func TestPinnedPortTaken(t *testing.T) {
	p, _ := hold(t)
	_, err := Listen(context.Background(), Config{Port: p, Pin: true, OnCallback: (&echo{}).callback})
	if err == nil {
		t.Fatal("Listen on a taken pinned port succeeded")
	}
	if !errors.Is(err, ErrPortInUse) || !strings.Contains(err.Error(), strconv.Itoa(p)) || !strings.Contains(err.Error(), "--callback-port") {
		t.Errorf("error %q should name the port, say it is in use and mention --callback-port", err)
	}
	// A free pinned port is used as is.
	free := testkit.FreePort(t)
	s, _ := start(t, Config{Port: free, Pin: true})
	if s.Port() != free {
		t.Errorf("pinned port %d, got %d", free, s.Port())
	}
	if _, err := Listen(context.Background(), Config{Port: 70000, OnCallback: (&echo{}).callback}); err == nil {
		t.Error("port 70000 accepted")
	}
}

func TestShutdownFreesThePort(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, s *Server, cancel context.CancelFunc) error
		want func(error) bool
	}{
		{"success", func(t *testing.T, s *Server, _ context.CancelFunc) error {
			get(t, s.RedirectURI()+"?msg=ok")
			_, err := s.Wait(context.Background())
			return err
		}, func(err error) bool { return err == nil }},
		{"error answer", func(t *testing.T, s *Server, _ context.CancelFunc) error {
			get(t, s.RedirectURI()+"?error=access_denied&error_description=no")
			_, err := s.Wait(context.Background())
			return err
		}, func(err error) bool { return err == nil }},
		{"timeout", func(t *testing.T, s *Server, _ context.CancelFunc) error {
			_, err := s.Wait(context.Background())
			return err
		}, func(err error) bool {
			return errors.Is(err, ErrTimeout) && strings.Contains(err.Error(), "no answer from the browser within 150ms; run the command again and finish in the browser")
		}},
		{"wait context cancelled", func(t *testing.T, s *Server, _ context.CancelFunc) error {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			_, err := s.Wait(ctx)
			return err
		}, func(err error) bool { return errors.Is(err, context.Canceled) }},
		{"listen context cancelled", func(t *testing.T, s *Server, cancel context.CancelFunc) error {
			time.AfterFunc(50*time.Millisecond, cancel)
			_, err := s.Wait(context.Background())
			return err
		}, func(err error) bool { return errors.Is(err, context.Canceled) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s, err := Listen(ctx, Config{Timeout: 150 * time.Millisecond, OnCallback: (&echo{}).callback})
			if err != nil {
				t.Fatal(err)
			}
			port := s.Port()
			err = tt.run(t, s, cancel)
			if !tt.want(err) {
				t.Fatalf("Wait = %v", err)
			}
			if err == nil {
				// After a callback the server keeps serving until Close.
				s.Close()
			}
			s.Close() // idempotent
			testkit.AssertFreed(t, port)
			if _, err := client.Get(s.BaseURL() + "/"); err == nil {
				t.Error("server still answers after shutdown")
			}
		})
	}
}

func TestPagesEscapeHostileValues(t *testing.T) {
	s, _ := start(t, Config{})
	hostile := `</div><script>alert("x")</script><img src=x onerror=alert(1)>`
	code, body, hdr := get(t, s.RedirectURI()+"?error=access_denied&error_description="+url.QueryEscape(hostile))
	if code != 200 {
		t.Fatalf("code %d", code)
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
		t.Fatalf("hostile value injected HTML:\n%s", body)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Errorf("hostile value not shown escaped:\n%s", body)
	}
	csp := hdr.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'nonce-") {
		t.Errorf("CSP = %q", csp)
	}
	if ct := hdr.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestSecretNeverLogged(t *testing.T) {
	var buf strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, _ := start(t, Config{Logger: logger})
	secret := strings.TrimPrefix(s.RedirectURI(), s.BaseURL()+"/callback/")
	get(t, s.BaseURL()+"/callback/"+secret+"x")
	get(t, s.BaseURL()+"/callback/"+secret[:20])
	get(t, s.RedirectURI())
	get(t, s.RedirectURI())
	s.Close()
	mu.Lock()
	defer mu.Unlock()
	if buf.Len() == 0 {
		t.Fatal("nothing logged")
	}
	if strings.Contains(buf.String(), secret[:20]) {
		t.Errorf("log holds the secret:\n%s", buf.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
