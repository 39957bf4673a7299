package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spcloud/spcloud/api"
)

func TestHealthz(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.must(200, "GET", "/healthz", "", nil)
	if strings.TrimSpace(string(r.body)) != `{"status":"ok"}` {
		t.Fatalf("healthz: %s", r.body)
	}
}

func TestLoginApprove(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.must(200, "GET", "/api/v1/auth/oauth/github?redirect_uri="+url.QueryEscape("http://127.0.0.1:8765/callback?keep=1"), "", nil)
	var start api.OAuthStartResponse
	r.json(t, &start)
	if !strings.HasPrefix(start.AuthorizeURL, e.srv.URL+"/oauth/consent?") {
		t.Fatalf("authorize_url %q is not the emulator's consent page", start.AuthorizeURL)
	}
	page := e.must(200, "GET", start.AuthorizeURL, "", nil)
	for _, want := range []string{"<title>", "Authorize spcloud", "GitHub", DemoUserEmail, DemoUserName, `id="approve"`, `id="deny"`, `method="post"`} {
		if !strings.Contains(string(page.body), want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	if ct := page.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("consent page content type %q", ct)
	}
	id := string(hiddenID.FindSubmatch(page.body)[1])

	// A forged redirect_uri in the form is ignored.
	res := e.form("/oauth/consent", url.Values{"id": {id}, "action": {"approve"}, "redirect_uri": {"http://evil.example/"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", res.status, res.body)
	}
	loc, _ := url.Parse(res.header.Get("Location"))
	if loc.Host != "127.0.0.1:8765" || loc.Path != "/callback" || loc.Query().Get("keep") != "1" {
		t.Fatalf("redirect to %s", loc)
	}
	tok := loc.Query().Get("access_token")
	if strings.Count(tok, ".") != 2 {
		t.Fatalf("access_token %q is not a JWT", tok)
	}
	var me api.UserMeResponse
	e.must(200, "GET", "/api/v1/auth/me", tok, nil).json(t, &me)
	if me.User.Email != DemoUserEmail || api.Str(me.User.Name) != DemoUserName || me.Tenants == nil {
		t.Fatalf("me: %+v", me)
	}
	if !strings.Contains(string(e.must(200, "GET", "/api/v1/auth/me", tok, nil).body), `"tenants":[]`) {
		t.Error("tenants is not an empty array")
	}

	// The consent can be used once.
	if res := e.form("/oauth/consent", url.Values{"id": {id}, "action": {"approve"}}); res.status != http.StatusGone {
		t.Fatalf("second approve: %d", res.status)
	}
	if res := e.do("GET", start.AuthorizeURL, "", nil); res.status != http.StatusGone {
		t.Fatalf("consent page after use: %d", res.status)
	}
}

func TestLoginDeny(t *testing.T) {
	e := newEnv(t, Options{})
	loc := e.loginFlow("http://localhost:9999/cb", "deny")
	q := loc.Query()
	if loc.Host != "localhost:9999" || q.Get("error") != "access_denied" || q.Get("error_description") != "The user denied access" || q.Has("access_token") {
		t.Fatalf("deny redirect: %s", loc)
	}
	if !strings.Contains(loc.RawQuery, "error_description=The+user+denied+access") {
		t.Errorf("query %q", loc.RawQuery)
	}
}

func TestLoginAutoApprove(t *testing.T) {
	e := newEnv(t, Options{AutoApprove: true})
	var start api.OAuthStartResponse
	e.must(200, "GET", "/api/v1/auth/oauth/google?redirect_uri="+url.QueryEscape("http://[::1]:8765/callback"), "", nil).json(t, &start)
	r := e.must(http.StatusSeeOther, "GET", start.AuthorizeURL, "", nil)
	loc, _ := url.Parse(r.header.Get("Location"))
	if loc.Host != "[::1]:8765" || loc.Query().Get("access_token") == "" {
		t.Fatalf("redirect: %s", loc)
	}
	e.must(200, "GET", "/api/v1/auth/me", loc.Query().Get("access_token"), nil)
}

func TestOAuthStartRejects(t *testing.T) {
	e := newEnv(t, Options{})
	for _, ru := range []string{
		"", "https://127.0.0.1:8765/callback", "http://example.com/callback", "http://127.0.0.2/cb",
		"http://localhost.evil.example/cb", "ftp://127.0.0.1/cb", "http://user@127.0.0.1/cb",
		"http://127.0.0.1:8765/cb#frag", "http://[::2]:80/cb", "http://127.0.0.1:99999/cb", "/callback",
	} {
		r := e.do("GET", "/api/v1/auth/oauth/github?redirect_uri="+url.QueryEscape(ru), "", nil)
		if r.status != 400 || r.errorCode(t) != "invalid_redirect_uri" {
			t.Errorf("redirect_uri %q: %d %s", ru, r.status, r.body)
		}
	}
	for _, ru := range []string{"http://127.0.0.1/cb", "http://localhost:1/a/b?x=y", "http://[::1]/"} {
		e.must(200, "GET", "/api/v1/auth/oauth/google?redirect_uri="+url.QueryEscape(ru), "", nil)
	}
	r := e.do("GET", "/api/v1/auth/oauth/gitlab?redirect_uri="+url.QueryEscape("http://127.0.0.1/cb"), "", nil)
	if r.status != 404 || r.errorCode(t) != "unknown_provider" {
		t.Errorf("unknown provider: %d %s", r.status, r.body)
	}
}

func TestUnauthorized(t *testing.T) {
	e := newEnv(t, Options{})
	other := New(Options{})
	defer other.Close()
	foreign, _ := other.IssueToken(DemoUserEmail)
	good := e.token(DemoUserEmail)
	e.emu.mu.Lock()
	uid := e.emu.userByEmail(DemoUserEmail).id
	e.emu.mu.Unlock()
	now := time.Now()
	expired, _ := e.emu.sign(claims{Sub: uid, Aud: audienceAPI, Iat: now.Add(-2 * time.Hour).Unix(), Exp: now.Add(-time.Hour).Unix()})
	registry, _ := e.emu.sign(claims{Sub: uid, Aud: audienceOCI, Repo: "x", Iat: now.Unix(), Exp: now.Add(time.Hour).Unix()})
	parts := strings.Split(good, ".")
	none := b64.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	tampered := parts[0] + "." + b64.EncodeToString([]byte(`{"sub":"usr_x","aud":"api","exp":9999999999}`)) + "." + parts[2]

	cases := map[string]string{
		"missing": "", "malformed": "Bearer abc", "basic": "Basic eDp5", "foreign": "Bearer " + foreign,
		"expired": "Bearer " + expired, "alg none": "Bearer " + none, "tampered": "Bearer " + tampered,
		"registry token": "Bearer " + registry,
	}
	for name, h := range cases {
		for _, path := range []string{"/api/v1/auth/me", "/api/v1/tenants", "/api/v1/checkout/plans", "/api/v1/tenants/x/status"} {
			r := e.do("GET", path, "", nil, "Authorization", h)
			if r.status != 401 || r.errorCode(t) != "unauthorized" {
				t.Errorf("%s on %s: %d %s", name, path, r.status, r.body)
			}
		}
	}
	e.must(200, "GET", "/api/v1/auth/me", good, nil)
	if _, err := e.emu.IssueToken("not an email"); err == nil {
		t.Error("IssueToken accepted a bad e-mail")
	}
}

func TestTokenClaims(t *testing.T) {
	e := newEnv(t, Options{TokenTTL: time.Hour})
	tok := e.token("someone@example.org")
	var c map[string]any
	b, _ := b64.DecodeString(strings.Split(tok, ".")[1])
	json.Unmarshal(b, &c)
	exp, iat := c["exp"].(float64), c["iat"].(float64)
	if c["email"] != "someone@example.org" || c["sub"] == "" || exp-iat != 3600 {
		t.Fatalf("claims %v", c)
	}
	var me api.UserMeResponse
	e.must(200, "GET", "/api/v1/auth/me", tok, nil).json(t, &me)
	if me.User.ID != c["sub"] || me.User.Email != "someone@example.org" {
		t.Fatalf("me %+v", me)
	}
}

func TestPlans(t *testing.T) {
	e := newEnv(t, Options{})
	var plans []api.Plan
	e.must(200, "GET", "/api/v1/checkout/plans", e.token(DemoUserEmail), nil).json(t, &plans)
	if len(plans) < 2 {
		t.Fatalf("plans %+v", plans)
	}
	for _, p := range plans {
		if !strings.HasPrefix(p.PaddlePriceID, "pri_") || p.Name == "" || p.MemoryMBDefault == 0 {
			t.Errorf("plan %+v", p)
		}
	}
}

func TestCheckoutRejects(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token(DemoUserEmail)
	for name, tc := range map[string]struct {
		body any
		code string
	}{
		"not json":       {"{", "invalid_request"},
		"two values":     {"{} {}", "invalid_request"},
		"wrong type":     {`{"price_id": 5, "region": "iad"}`, "invalid_request"},
		"not an object":  {`[1]`, "invalid_request"},
		"empty":          {"", "invalid_request"},
		"unknown price":  {api.CheckoutRequest{PriceID: "pri_nope", Region: "iad"}, "invalid_request"},
		"no price":       {api.CheckoutRequest{Region: "iad"}, "invalid_request"},
		"unknown region": {api.CheckoutRequest{PriceID: "pri_01pro", Region: "mars"}, "invalid_request"},
		"remote uri":     {api.CheckoutRequest{PriceID: "pri_01pro", Region: "iad", RedirectURI: "http://example.com/cb"}, "invalid_redirect_uri"},
	} {
		r := e.do("POST", "/api/v1/checkout", tok, tc.body)
		if r.status != 400 || r.errorCode(t) != tc.code {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
		// The message speaks of the API's fields, not of Go's types.
		if b := string(r.body); strings.Contains(b, "api.") || strings.Contains(b, "Go ") {
			t.Errorf("%s: %s", name, r.body)
		}
	}
}

// TestCheckoutFlow is the whole story: checkout, payment page, checkout
// stream from before the payment to its end, status, secrets, me, list.
func TestCheckoutFlow(t *testing.T) {
	e := newEnv(t, Options{StepDelay: 5 * time.Millisecond})
	tok := e.token(DemoUserEmail)
	co := e.checkout(tok, "pri_01pro", "FRA", "http://127.0.0.1:8766/callback?x=1")
	if !strings.HasPrefix(co.CheckoutURL, e.srv.URL+"/") || !strings.HasPrefix(co.TransactionID, "txn_") || !strings.HasPrefix(co.CheckoutSessionID, "cs_") {
		t.Fatalf("checkout %+v", co)
	}
	stream := e.openStream(t.Context(), "/api/v1/checkout/"+co.CheckoutSessionID+"/events", tok, "")

	page := e.must(200, "GET", co.CheckoutURL, "", nil)
	for _, want := range []string{"<title>", "Pro", "$49.00", "Europe (Frankfurt)", "fra", `id="pay"`, `id="cancel"`} {
		if !strings.Contains(string(page.body), want) {
			t.Errorf("payment page lacks %q", want)
		}
	}
	res := e.pay(co, "pay")
	if res.status != http.StatusSeeOther {
		t.Fatalf("pay: %d %s", res.status, res.body)
	}
	loc, _ := url.Parse(res.header.Get("Location"))
	q := loc.Query()
	if loc.Host != "127.0.0.1:8766" || q.Get("status") != "pending" || q.Get("checkout_session_id") != co.CheckoutSessionID ||
		q.Get("transaction_id") != co.TransactionID || q.Get("x") != "1" {
		t.Fatalf("pay redirect %s", loc)
	}
	if r := e.pay(co, "pay"); r.status != http.StatusGone {
		t.Fatalf("second pay: %d", r.status)
	}

	evs, retryFirst := readAll(t, stream)
	if !retryFirst {
		t.Error("stream did not start with retry: 200")
	}
	if got := eventTypes(t, evs); !slices.Equal(got, healthyRun) {
		t.Fatalf("event types %v", got)
	}
	for i, id := range ids(evs) {
		if id != i+1 {
			t.Fatalf("ids %v", ids(evs))
		}
	}
	var tenantID string
	progress := map[string]bool{}
	for _, ev := range evs {
		var ce api.CheckoutEvent
		json.Unmarshal([]byte(ev.data), &ce)
		if ce.CheckoutSessionID != co.CheckoutSessionID || ce.TenantID == "" || !strings.HasPrefix(ce.TenantName, "tenant-") || api.Str(ce.Message) == "" {
			t.Errorf("event %s", ev.data)
		}
		tenantID = ce.TenantID
		wantStatus := "in_progress"
		if ce.EventType == "infrastructure_ready" || ce.EventType == "tenant_ready" {
			wantStatus = "ready"
			if api.Str(ce.FlyAppName) != "sp-"+ce.TenantName {
				t.Errorf("%s without fly_app_name: %s", ce.EventType, ev.data)
			}
		}
		if ce.Status != wantStatus {
			t.Errorf("%s has status %s", ce.EventType, ce.Status)
		}
		if (ce.AppURL != nil) != (ce.EventType == "tenant_ready") {
			t.Errorf("app_url on %s: %s", ce.EventType, ev.data)
		}
		if ce.EventType == "vm_provisioning_progress" {
			if progress[*ce.Message] {
				t.Errorf("repeated progress message %q", *ce.Message)
			}
			progress[*ce.Message] = true
		}
	}

	st := e.waitStatus(tok, tenantID, "ready")
	if !strings.HasPrefix(api.Str(st.SecretsURL), e.srv.URL+"/api/v1/tenants/"+tenantID+"/secrets/bootstrap?ticket=") || api.Str(st.AppURL) == "" {
		t.Fatalf("status %+v", st)
	}
	var sec api.TenantSecrets
	e.must(200, "GET", *st.SecretsURL, tok, nil).json(t, &sec)
	if sec.JWTSecret == "" || !strings.Contains(sec.DatabaseURL, ".flycast:5432/") || sec.AppURL != *st.AppURL || api.Str(sec.SyncToken) == "" {
		t.Fatalf("secrets %+v", sec)
	}
	// The ticket matters, and so does the owner.
	u, _ := url.Parse(*st.SecretsURL)
	if r := e.do("GET", u.Path+"?ticket=wrong", tok, nil); r.status != 403 {
		t.Errorf("wrong ticket: %d", r.status)
	}
	if r := e.do("GET", *st.SecretsURL, e.token("mallory@example.com"), nil); r.status != 404 {
		t.Errorf("other user's secrets: %d", r.status)
	}

	var me api.UserMeResponse
	e.must(200, "GET", "/api/v1/auth/me", tok, nil).json(t, &me)
	if len(me.Tenants) != 1 {
		t.Fatalf("me tenants %+v", me.Tenants)
	}
	ti := me.Tenants[0]
	if ti.ID != tenantID || api.Str(ti.Region) != "fra" || api.Str(ti.Status) != "active" || api.Str(ti.SubscriptionStatus) != "active" ||
		ti.Plan == nil || ti.Plan.Name != "Pro" || ti.Plan.MemoryMB != 2048 || ti.ExternalDBAccess ||
		!strings.HasPrefix(ti.DatabaseURL, "postgres://u_") || !strings.HasSuffix(ti.DatabaseURL, "?sslmode=disable") ||
		api.Str(ti.AppID) != "sp-"+ti.Name || api.Str(ti.Hostname) != ti.Name+".systemprompt.io" {
		t.Fatalf("tenant info %+v", ti)
	}
	var list api.Envelope[[]api.Tenant]
	e.must(200, "GET", "/api/v1/tenants", tok, nil).json(t, &list)
	if len(list.Data) != 1 || list.Data[0].ID != tenantID || api.Str(list.Data[0].FlyAppName) != api.Str(ti.AppID) {
		t.Fatalf("list %+v", list)
	}
	// Another user sees nothing of it.
	other := e.token("other@example.com")
	e.must(200, "GET", "/api/v1/tenants", other, nil).json(t, &list)
	if len(list.Data) != 0 || !strings.Contains(string(e.must(200, "GET", "/api/v1/tenants", other, nil).body), `"data":[]`) {
		t.Fatalf("other user's list %s", e.must(200, "GET", "/api/v1/tenants", other, nil).body)
	}
	st2, ok := e.emu.Tenant(tenantID)
	if !ok || !st2.Ready || st2.Status != "ready" || st2.Region != "fra" || st2.PlanID != "plan_pro" || st2.Owner != DemoUserEmail {
		t.Fatalf("Tenant() %+v", st2)
	}
}

func TestPaymentCancelAndNoRedirect(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token(DemoUserEmail)
	co := e.checkout(tok, "pri_01starter", "iad", "http://127.0.0.1:8766/callback")
	r := e.pay(co, "cancel")
	loc, _ := url.Parse(r.header.Get("Location"))
	if r.status != http.StatusSeeOther || loc.Query().Get("error") != "Payment cancelled" || !strings.Contains(loc.RawQuery, "error=Payment+cancelled") {
		t.Fatalf("cancel: %d %s", r.status, loc)
	}
	// The checkout stream of a cancelled checkout ends at once.
	if evs, _ := readAll(t, e.openStream(t.Context(), "/api/v1/checkout/"+co.CheckoutSessionID+"/events", tok, "")); len(evs) != 0 {
		t.Fatalf("events after cancel: %v", evs)
	}
	if r := e.do("GET", co.CheckoutURL, "", nil); r.status != http.StatusGone {
		t.Fatalf("payment page after cancel: %d", r.status)
	}

	co2 := e.checkout(tok, "pri_01starter", "iad", "")
	r = e.pay(co2, "pay")
	if r.status != 200 || !strings.Contains(string(r.body), "close this window") {
		t.Fatalf("pay without redirect: %d %s", r.status, r.body)
	}
	if len(e.emu.Tenants(DemoUserEmail)) != 1 {
		t.Fatal("no tenant after paying")
	}
}

func TestPaymentAutoApprove(t *testing.T) {
	e := newEnv(t, Options{AutoApprove: true})
	tok := e.token(DemoUserEmail)
	co := e.checkout(tok, "pri_01pro", "sin", "http://127.0.0.1:8766/callback")
	r := e.must(http.StatusSeeOther, "GET", co.CheckoutURL, "", nil)
	loc, _ := url.Parse(r.header.Get("Location"))
	if loc.Query().Get("status") != "pending" || loc.Query().Get("checkout_session_id") != co.CheckoutSessionID {
		t.Fatalf("auto pay redirect %s", loc)
	}
	evs, _ := readAll(t, e.openStream(t.Context(), "/api/v1/checkout/"+co.CheckoutSessionID+"/events", tok, ""))
	if got := eventTypes(t, evs); !slices.Equal(got, healthyRun) {
		t.Fatalf("events %v", got)
	}
}

func TestStarterLimit(t *testing.T) {
	e := newEnv(t, Options{StepDelay: time.Hour})
	tok := e.token(DemoUserEmail)
	for range MaxStarterTenants {
		co := e.checkout(tok, "pri_01starter", "iad", "")
		e.pay(co, "pay")
	}
	r := e.do("POST", "/api/v1/checkout", tok, api.CheckoutRequest{PriceID: "pri_01starter", Region: "iad"})
	if r.status != 409 || r.errorCode(t) != "plan_limit_reached" {
		t.Fatalf("over the limit: %d %s", r.status, r.body)
	}
	e.checkout(tok, "pri_01pro", "iad", "") // other plans are fine
}

// TestStarterLimitAtPayment: checkouts opened together all pass the first
// check; the payment that would go past the limit is refused, back to the
// client with the reason, and no tenant is made.
func TestStarterLimitAtPayment(t *testing.T) {
	e := newEnv(t, Options{StepDelay: time.Hour})
	tok := e.token(DemoUserEmail)
	var open []api.CheckoutResponse
	for range MaxStarterTenants + 1 {
		open = append(open, e.checkout(tok, "pri_01starter", "iad", "http://127.0.0.1:8766/callback"))
	}
	for i, co := range open {
		r := e.pay(co, "pay")
		loc, _ := url.Parse(r.header.Get("Location"))
		q := loc.Query()
		if i < MaxStarterTenants {
			if q.Get("status") != "pending" {
				t.Fatalf("payment %d: %s", i, loc)
			}
			continue
		}
		if q.Get("error") != "plan_limit_reached" || !strings.Contains(q.Get("error_description"), "Nothing was charged") || q.Has("status") {
			t.Fatalf("payment past the limit: %s", loc)
		}
	}
	var me api.UserMeResponse
	e.must(200, "GET", "/api/v1/auth/me", tok, nil).json(t, &me)
	if len(me.Tenants) != MaxStarterTenants {
		t.Fatalf("%d tenants, want %d", len(me.Tenants), MaxStarterTenants)
	}
}

// TestStatusWhileProvisioning holds provisioning at its first event.
func TestStatusWhileProvisioning(t *testing.T) {
	e := newEnv(t, Options{StepDelay: time.Hour})
	tok := e.token(DemoUserEmail)
	id, _ := e.newTenant(tok)
	var st api.Envelope[api.TenantStatus]
	e.must(200, "GET", "/api/v1/tenants/"+id+"/status", tok, nil).json(t, &st)
	if st.Data.Status != "provisioning" || api.Str(st.Data.Message) != "Subscription active" || st.Data.SecretsURL != nil || st.Data.AppURL != nil {
		t.Fatalf("status %+v", st.Data)
	}
	var me api.UserMeResponse
	e.must(200, "GET", "/api/v1/auth/me", tok, nil).json(t, &me)
	if api.Str(me.Tenants[0].Status) != "pending" {
		t.Fatalf("info status %v", api.Str(me.Tenants[0].Status))
	}
	if r := e.do("GET", "/api/v1/tenants/"+id+"/secrets/bootstrap?ticket=x", tok, nil); r.status != 409 {
		t.Fatalf("secrets before ready: %d", r.status)
	}
	if s, _ := e.emu.Tenant(id); s.Ready || s.Status != "provisioning" || s.InfoStatus != "pending" {
		t.Fatalf("Tenant() %+v", s)
	}
}

// TestReadyFromInfrastructureReady: whoever sees infrastructure_ready sees
// a ready status with a secrets_url.
func TestReadyFromInfrastructureReady(t *testing.T) {
	e := newEnv(t, Options{StepDelay: 30 * time.Millisecond})
	tok := e.token(DemoUserEmail)
	id, co := e.newTenant(tok)
	resp := e.openStream(t.Context(), "/api/v1/checkout/"+co.CheckoutSessionID+"/events", tok, "")
	defer resp.Body.Close()
	for ev := range parseSSE(resp.Body) {
		if ev.event != "provisioning" {
			continue
		}
		var ce api.CheckoutEvent
		json.Unmarshal([]byte(ev.data), &ce)
		if ce.EventType == "infrastructure_ready" {
			var st api.Envelope[api.TenantStatus]
			e.must(200, "GET", "/api/v1/tenants/"+id+"/status", tok, nil).json(t, &st)
			if st.Data.Status != "ready" || st.Data.SecretsURL == nil {
				t.Fatalf("status at infrastructure_ready: %+v", st.Data)
			}
			e.must(200, "GET", *st.Data.SecretsURL, tok, nil)
			return
		}
	}
	t.Fatal("no infrastructure_ready")
}

func TestResumeWithLastEventID(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token(DemoUserEmail)
	id, co := e.newTenant(tok)
	all, _ := readAll(t, e.openStream(t.Context(), "/api/v1/checkout/"+co.CheckoutSessionID+"/events", tok, ""))
	for _, path := range []string{"/api/v1/checkout/" + co.CheckoutSessionID + "/events", "/api/v1/tenants/" + id + "/events"} {
		for _, last := range []int{0, 1, 4, len(all) - 1} {
			rest, _ := readAll(t, e.openStream(t.Context(), path, tok, strconv.Itoa(last)))
			if !slices.Equal(ids(rest), ids(all)[last:]) {
				t.Errorf("%s after %d: ids %v", path, last, ids(rest))
			}
			if got, want := eventTypes(t, rest), healthyRun[last:]; !slices.Equal(got, want) {
				t.Errorf("%s after %d: %v", path, last, got)
			}
		}
	}
}

// TestLateSubscriber opens streams mid-way and after the end: each replays
// what happened, then follows live, with nothing missed or repeated.
func TestLateSubscriber(t *testing.T) {
	e := newEnv(t, Options{StepDelay: 10 * time.Millisecond})
	tok := e.token(DemoUserEmail)
	id, co := e.newTenant(tok)
	for {
		if s, _ := e.emu.Tenant(id); s.Events >= 4 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	mid := e.openStream(t.Context(), "/api/v1/tenants/"+id+"/events", tok, "")
	midCo := e.openStream(t.Context(), "/api/v1/checkout/"+co.CheckoutSessionID+"/events", tok, "")
	for _, resp := range []*http.Response{mid, midCo} {
		evs, _ := readAll(t, resp)
		if got := eventTypes(t, evs); !slices.Equal(got, healthyRun) {
			t.Fatalf("mid-way subscriber got %v", got)
		}
	}
	late, _ := readAll(t, e.openStream(t.Context(), "/api/v1/tenants/"+id+"/events", tok, ""))
	if got := eventTypes(t, late); !slices.Equal(got, healthyRun) || ids(late)[0] != 1 {
		t.Fatalf("late subscriber got %v", got)
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	e := newEnv(t, Options{StepDelay: time.Hour})
	tok := e.token(DemoUserEmail)
	id, co := e.newTenant(tok)
	other := e.token("other@example.com")

	r := e.do("GET", "/api/v1/tenants/nope/status", tok, nil)
	var env api.ErrorEnvelope
	r.json(t, &env)
	if r.status != 404 || env.Error.Code != "tenant_not_found" || env.Error.Message != "No tenant with id 'nope'" {
		t.Fatalf("unknown tenant: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/status", "/events", "/secrets", "/registry-token", "/custom-domain"} {
		if r := e.do("GET", "/api/v1/tenants/"+id+p, other, nil); r.status != 404 || r.errorCode(t) != "tenant_not_found" {
			t.Errorf("other user's %s: %d %s", p, r.status, r.body)
		}
	}
	if r := e.do("GET", "/api/v1/checkout/cs_nope/events", tok, nil); r.status != 404 || r.errorCode(t) != "checkout_not_found" {
		t.Errorf("unknown checkout: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/checkout/"+co.CheckoutSessionID+"/events", other, nil); r.status != 404 {
		t.Errorf("other user's checkout: %d", r.status)
	}
	for _, p := range []string{"/nope", "/api/v1/nope", "/api/v2/auth/me", "/api/v1/tenants/" + id + "/nope", "/v2/"} {
		if r := e.do("GET", p, tok, nil); r.status != 404 || r.errorCode(t) != "not_found" {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
	r = e.do("DELETE", "/api/v1/auth/me", tok, nil)
	if r.status != 405 || r.errorCode(t) != "method_not_allowed" || r.header.Get("Allow") != "GET" {
		t.Errorf("wrong method: %d %s %v", r.status, r.body, r.header)
	}
	r = e.do("PATCH", "/api/v1/tenants/"+id+"/custom-domain", tok, nil)
	if r.status != 405 || r.header.Get("Allow") != "DELETE, GET, POST" {
		t.Errorf("wrong method on custom-domain: %d %v", r.status, r.header.Get("Allow"))
	}
	if r := e.do("GET", "/checkout/txn_nope", "", nil); r.status != 404 || !strings.Contains(string(r.body), "<title>") {
		t.Errorf("unknown payment page: %d", r.status)
	}
}

func TestRequestLog(t *testing.T) {
	var lines []string
	var mu sync.Mutex
	e := newEnv(t, Options{Logf: func(f string, a ...any) {
		mu.Lock()
		lines = append(lines, strings.TrimSpace(fmt.Sprintf(f, a...)))
		mu.Unlock()
	}})
	tok := e.token(DemoUserEmail)
	e.must(200, "GET", "/api/v1/auth/me", tok, nil)
	e.do("GET", "/api/v1/tenants/x/status?ticket=secret-ticket", tok, nil)
	loc := e.loginFlow("http://127.0.0.1:1/cb", "approve")
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(lines, "\n")
	if !strings.Contains(all, "GET /api/v1/auth/me 200 ") || !strings.Contains(all, "GET /api/v1/tenants/x/status 404 ") ||
		!strings.Contains(all, "POST /oauth/consent 303 ") {
		t.Fatalf("log:\n%s", all)
	}
	for _, secret := range []string{tok, loc.Query().Get("access_token"), "secret-ticket", "Bearer", "id="} {
		if strings.Contains(all, secret) {
			t.Fatalf("log holds %q:\n%s", secret, all)
		}
	}
}
