package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spcloud/spcloud"
)

const fixtures = "../../shared/spec/fixtures/api"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return b
}

// route answers one method and path with a fixture and records the request.
type route struct {
	method, path string
	status       int
	file         string
	check        func(t *testing.T, r *http.Request, body []byte)
}

func serve(t *testing.T, routes ...route) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, rt := range routes {
			if rt.method == r.Method && rt.path == r.URL.Path {
				body, _ := io.ReadAll(r.Body)
				if rt.check != nil {
					rt.check(t, r, body)
				}
				if rt.file != "" {
					w.Header().Set("Content-Type", "application/json")
				}
				w.WriteHeader(rt.status)
				if rt.file != "" {
					w.Write(fixture(t, rt.file))
				}
				return
			}
		}
		t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		w.WriteHeader(500)
	}))
	t.Cleanup(srv.Close)
	return New(srv.URL, "tok123", WithRetry(NoRetry))
}

func wantBearer(t *testing.T, r *http.Request, _ []byte) {
	if got := r.Header.Get("Authorization"); got != "Bearer tok123" {
		t.Errorf("Authorization = %q", got)
	}
	if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "spcloud/") {
		t.Errorf("User-Agent = %q", ua)
	}
}

func TestMe(t *testing.T) {
	c := serve(t, route{"GET", "/api/v1/auth/me", 200, "auth_me.json", wantBearer})
	me, err := c.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if me.User.Email != "dev@example.com" || Str(me.User.Name) != "Dana Developer" || me.Customer.ID != "ctm_01HQ4Z" {
		t.Fatalf("user = %+v", me.User)
	}
	if len(me.Tenants) != 2 {
		t.Fatalf("tenants = %d", len(me.Tenants))
	}
	t0, t1 := me.Tenants[0], me.Tenants[1]
	if t0.Plan == nil || t0.Plan.MemoryMB != 2048 || !t0.ExternalDBAccess || Str(t0.SubscriptionStatus) != "active" {
		t.Errorf("tenant 0 = %+v", t0)
	}
	if t1.Plan != nil || t1.AppID != nil || t1.DatabaseURL != "" || Str(t1.Status) != "pending" {
		t.Errorf("tenant 1 = %+v", t1)
	}
}

func TestMeMinimalDefaultsTenants(t *testing.T) {
	c := serve(t, route{"GET", "/api/v1/auth/me", 200, "auth_me_minimal.json", nil})
	me, err := c.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if me.Tenants == nil || len(me.Tenants) != 0 || me.Customer != nil {
		t.Fatalf("me = %+v", me)
	}
}

func TestOAuthStartSendsNoToken(t *testing.T) {
	c := serve(t, route{"GET", "/api/v1/auth/oauth/github", 200, "oauth_start.json", func(t *testing.T, r *http.Request, _ []byte) {
		if r.Header.Get("Authorization") != "" {
			t.Error("OAuth start sent an Authorization header")
		}
		if got := r.URL.Query().Get("redirect_uri"); got != "http://127.0.0.1:8765/callback" {
			t.Errorf("redirect_uri = %q", got)
		}
	}})
	u, err := c.OAuthStart(context.Background(), spcloud.GitHub, "http://127.0.0.1:8765/callback")
	if err != nil || !strings.HasPrefix(u, "https://github.com/login/oauth/authorize") {
		t.Fatalf("authorize_url = %q, %v", u, err)
	}
}

func TestListsAndCheckout(t *testing.T) {
	c := serve(t,
		route{"GET", "/api/v1/tenants", 200, "tenants_list.json", wantBearer},
		route{"GET", "/api/v1/checkout/plans", 200, "plans.json", wantBearer},
		route{"POST", "/api/v1/checkout", 200, "checkout_response.json", func(t *testing.T, r *http.Request, body []byte) {
			var got, want map[string]any
			json.Unmarshal(body, &got)
			json.Unmarshal(fixture(t, "checkout_request.json"), &want)
			if !jsonEqual(got, want) {
				t.Errorf("checkout body = %s", body)
			}
			if r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
			}
		}},
	)
	ctx := context.Background()
	ts, err := c.ListTenants(ctx)
	if err != nil || len(ts) != 2 || Str(ts[0].FlyAppName) != "sp-acme-prod" || ts[1].FlyAppName != nil || ts[1].Hostname != nil {
		t.Fatalf("tenants = %+v, %v", ts, err)
	}
	plans, err := c.Plans(ctx)
	if err != nil || len(plans) != 3 || *plans[0].MaxTenants != 1 || plans[2].MemoryMBDefault != 0 || plans[2].VolumeGB != 0 || plans[1].MaxTenants != nil {
		t.Fatalf("plans = %+v, %v", plans, err)
	}
	co, err := c.CreateCheckout(ctx, CheckoutRequest{PriceID: "pri_01pro", Region: "fra", RedirectURI: "http://127.0.0.1:8766/callback"})
	if err != nil || co.CheckoutSessionID != "cs_01HQ52" || co.TransactionID != "txn_01HQ51" {
		t.Fatalf("checkout = %+v, %v", co, err)
	}
}

func TestCheckoutRequestOmitsAbsentRedirect(t *testing.T) {
	b, _ := json.Marshal(CheckoutRequest{PriceID: "p", Region: "iad"})
	if strings.Contains(string(b), "redirect_uri") {
		t.Fatalf("body = %s", b)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestTenantCalls(t *testing.T) {
	id := "f800de73-2bdf-4c44-8b65-7b2f2bbad456"
	p := "/api/v1/tenants/" + id
	c := serve(t,
		route{"GET", p + "/status", 200, "tenant_status_ready.json", wantBearer},
		route{"GET", p + "/secrets/bootstrap", 200, "tenant_secrets.json", wantBearer},
		route{"GET", p + "/registry-token", 200, "registry_token.json", wantBearer},
		route{"POST", p + "/deploy", 200, "deploy_response.json", func(t *testing.T, r *http.Request, body []byte) {
			if string(body) != `{"image":"registry.fly.io/sp-acme-prod:v1"}` {
				t.Errorf("deploy body = %s", body)
			}
		}},
		route{"DELETE", p, 204, "", wantBearer},
		route{"POST", p + "/restart", 200, "status_response.json", nil},
		route{"POST", p + "/retry-provision", 200, "status_response.json", nil},
		route{"GET", p + "/secrets", 200, "list_secrets.json", nil},
		route{"PUT", p + "/secrets", 204, "", func(t *testing.T, r *http.Request, body []byte) {
			if string(body) != `{"secrets":{"K":"V"}}` {
				t.Errorf("set secrets body = %s", body)
			}
		}},
		route{"DELETE", p + "/secrets/K", 204, "", nil},
		route{"PUT", p + "/external-db-access", 200, "external_db_access.json", func(t *testing.T, r *http.Request, body []byte) {
			if string(body) != `{"enabled":true}` {
				t.Errorf("external db body = %s", body)
			}
		}},
		route{"POST", p + "/rotate-credentials", 200, "rotate_credentials.json", nil},
		route{"POST", p + "/rotate-sync-token", 200, "rotate_sync_token.json", nil},
		route{"POST", p + "/custom-domain", 200, "custom_domain.json", nil},
		route{"GET", p + "/custom-domain", 200, "custom_domain.json", nil},
		route{"DELETE", p + "/custom-domain", 200, "", nil},
		route{"POST", p + "/subscription/cancel", 200, "status_response.json", nil},
	)
	ctx := context.Background()
	st, err := c.TenantStatus(ctx, id)
	if err != nil || st.Status != StatusReady || Str(st.SecretsURL) == "" {
		t.Fatalf("status = %+v, %v", st, err)
	}
	// An absolute secrets_url on another host would be followed as is; the
	// fixture's names the real API, so fetch it by path on the test server.
	sec, err := c.FetchSecrets(ctx, p+"/secrets/bootstrap?ticket=tkt_9f")
	if err != nil || sec.JWTSecret != "jws_0123456789abcdef" || Str(sec.SyncToken) != "syt_5d1c0e2a9b" || sec.AnthropicAPIKey != nil {
		t.Fatalf("secrets = %+v, %v", sec, err)
	}
	rt, err := c.RegistryToken(ctx, id)
	if err != nil || rt.Repository != "sp-acme-prod" || rt.Token != "fo1_registry_token" {
		t.Fatalf("registry token = %+v, %v", rt, err)
	}
	dep, err := c.Deploy(ctx, id, "registry.fly.io/sp-acme-prod:v1")
	if err != nil || dep.Status != "deploying" {
		t.Fatalf("deploy = %+v, %v", dep, err)
	}
	if err := c.DeleteTenant(ctx, id); err != nil {
		t.Fatal(err)
	}
	if s, err := c.RestartTenant(ctx, id); err != nil || s.Status != "restarting" {
		t.Fatal(s, err)
	}
	if _, err := c.RetryProvision(ctx, id); err != nil {
		t.Fatal(err)
	}
	keys, err := c.ListSecrets(ctx, id)
	if err != nil || len(keys) != 3 {
		t.Fatal(keys, err)
	}
	if err := c.SetSecrets(ctx, id, map[string]string{"K": "V"}); err != nil {
		t.Fatal(err)
	}
	if err := c.UnsetSecret(ctx, id, "K"); err != nil {
		t.Fatal(err)
	}
	ext, err := c.SetExternalDBAccess(ctx, id, true)
	if err != nil || !ext.ExternalDBAccess || !strings.Contains(ext.DatabaseURL, "sslmode=require") {
		t.Fatal(ext, err)
	}
	rc, err := c.RotateCredentials(ctx, id)
	if err != nil || rc.Status != "rotated" || rc.DatabaseURL == "" {
		t.Fatal(rc, err)
	}
	rs, err := c.RotateSyncToken(ctx, id)
	if err != nil || rs.SyncToken != "syt_new_77aa" {
		t.Fatal(rs, err)
	}
	cd, err := c.SetCustomDomain(ctx, id, "app.acme.example")
	if err != nil || cd.DNSInstructions.TTL != 300 || cd.Verified || cd.VerifiedAt != nil {
		t.Fatal(cd, err)
	}
	if cd, err = c.CustomDomain(ctx, id); err != nil || cd.DNSInstructions.RecordType != "CNAME" {
		t.Fatal(cd, err)
	}
	if err := c.DeleteCustomDomain(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := c.CancelSubscription(ctx, id); err != nil {
		t.Fatal(err)
	}
}

func TestErrors(t *testing.T) {
	html := "<html><body>" + strings.Repeat("x", 2000) + "</body></html>"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/tenants/nope/status":
			w.WriteHeader(404)
			w.Write(fixture(t, "error_envelope.json"))
		case "/api/v1/auth/me":
			w.WriteHeader(401)
			w.Write([]byte(`{"error":{"code":"unauthorized","message":"token expired"}}`))
		default:
			w.WriteHeader(500)
			w.Write([]byte(html))
		}
	}))
	defer srv.Close()
	c := New(srv.URL, "tok", WithRetry(NoRetry))
	ctx := context.Background()

	_, err := c.TenantStatus(ctx, "nope")
	var ae *spcloud.APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Code != "tenant_not_found" || ae.Message != "No tenant with id 'nope'" {
		t.Fatalf("404 err = %#v", err)
	}
	if err.Error() != "tenant_not_found: No tenant with id 'nope'" || !errors.Is(err, spcloud.ErrTenantNotFound) {
		t.Errorf("404 message = %q", err)
	}
	_, err = c.Me(ctx)
	if !errors.Is(err, spcloud.ErrTokenExpired) || !spcloud.KindOf(err).LoginNeeded() {
		t.Errorf("401 err = %v", err)
	}
	_, err = c.Plans(ctx)
	if !errors.As(err, &ae) || ae.Status != 500 || len([]rune(ae.Body)) != 500 || !strings.HasPrefix(err.Error(), "HTTP 500: <html>") {
		t.Errorf("500 err = %q (body %d chars)", err, len(ae.Body))
	}
}

func TestRetriesIdempotentCallsOnly(t *testing.T) {
	var gets, posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			posts.Add(1)
			w.WriteHeader(503)
			return
		}
		if gets.Add(1) <= 2 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(503)
			w.Write([]byte(`{"error":{"code":"unavailable","message":"try later"}}`))
			return
		}
		w.Write(fixture(t, "plans.json"))
	}))
	defer srv.Close()
	c := New(srv.URL, "tok", WithRetry(RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond, MaxElapsed: 5 * time.Second}))
	if _, err := c.Plans(context.Background()); err != nil || gets.Load() != 3 {
		t.Fatalf("plans after retries: %v, %d GETs", err, gets.Load())
	}
	if _, err := c.CreateCheckout(context.Background(), CheckoutRequest{PriceID: "p", Region: "iad"}); err == nil || posts.Load() != 1 {
		t.Fatalf("checkout: %v, %d POSTs (want exactly 1)", err, posts.Load())
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := http.Header{}
	h.Set("Retry-After", "3")
	if d, ok := RetryAfter(h, now); !ok || d != 3*time.Second {
		t.Errorf("seconds: %v %v", d, ok)
	}
	h.Set("Retry-After", now.Add(5*time.Second).Format(http.TimeFormat))
	if d, ok := RetryAfter(h, now); !ok || d != 5*time.Second {
		t.Errorf("date: %v %v", d, ok)
	}
	h.Set("Retry-After", "soon")
	if _, ok := RetryAfter(h, now); ok {
		t.Error("garbage accepted")
	}
}

func TestRequestTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c := New(srv.URL, "tok", WithRetry(NoRetry), WithRequestTimeout(100*time.Millisecond))
	start := time.Now()
	_, err := c.Plans(context.Background())
	if err == nil || !errors.Is(err, spcloud.ErrNetwork) || time.Since(start) > 2*time.Second {
		t.Fatalf("err = %v after %s", err, time.Since(start))
	}
}

func FuzzParseError(f *testing.F) {
	f.Add(500, []byte(`{"error":{"code":"x","message":"y"}}`))
	f.Add(404, []byte(`<html>`))
	f.Add(400, []byte(`{"error":"flat"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := ParseError(status, body)
		if len([]rune(e.Body)) > spcloud.MaxErrorBody+len(Redacted)*8 {
			t.Fatalf("body kept %d runes", len([]rune(e.Body)))
		}
		_ = e.Error()
	})
}
