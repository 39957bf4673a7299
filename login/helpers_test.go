package login

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

// fakeAPI plays the OAuth start endpoint and the provider's authorize page,
// which sends the browser back to redirect_uri with the query in callback.
type fakeAPI struct {
	*httptest.Server
	mu          sync.Mutex
	callback    string // query the authorize page sends back
	authorize   string // authorize_url to answer; the fake page when empty
	startStatus int    // non-zero: the OAuth start fails with this status
	redirectURI string // as received
	authHeader  string // Authorization of the OAuth start
}

func newFakeAPI(t *testing.T, callback string) *fakeAPI {
	t.Helper()
	f := &fakeAPI{callback: callback}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/auth/oauth/{provider}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.redirectURI = r.URL.Query().Get("redirect_uri")
		f.authHeader = r.Header.Get("Authorization")
		if f.startStatus != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.startStatus)
			w.Write(fixture(t, "error_envelope.json"))
			return
		}
		// The golden answer, with an authorize URL that points at our page.
		var body map[string]any
		if err := json.Unmarshal(fixture(t, "oauth_start.json"), &body); err != nil {
			t.Error(err)
		}
		body["authorize_url"] = f.authorize
		if f.authorize == "" {
			body["authorize_url"] = f.URL + "/authorize/" + r.PathValue("provider") + "?state=st_abc&redirect_uri=" + url.QueryEscape(f.redirectURI)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body)
	})
	mux.HandleFunc("GET /authorize/{provider}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		cb := f.callback
		f.mu.Unlock()
		http.Redirect(w, r, r.URL.Query().Get("redirect_uri")+"?"+cb, http.StatusFound)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) received() (redirectURI, auth string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.redirectURI, f.authHeader
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
	urls  []string
}

func (b *browserRecorder) open(ctx context.Context, u string) error {
	p, err := visit(ctx, u)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.urls = append(b.urls, u)
	if err == nil {
		b.pages = append(b.pages, p)
	}
	return err
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

// portOf returns the port of a redirect URI.
func portOf(t *testing.T, redirectURI string) int {
	t.Helper()
	u, err := url.Parse(redirectURI)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// assertFreed checks that the callback server's port can be listened on.
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
