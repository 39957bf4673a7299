package login

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/spcloud/spcloud/internal/testkit"
)

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
			w.Write(testkit.Fixture(t, "error_envelope.json"))
			return
		}
		// The golden answer, with an authorize URL that points at our page.
		var body map[string]any
		if err := json.Unmarshal(testkit.Fixture(t, "oauth_start.json"), &body); err != nil {
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

func withTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
