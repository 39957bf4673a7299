package emulator

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spcloud/spcloud/api"
)

var deployRun = []string{"vm_provisioning_started", "vm_provisioning_progress", "vm_provisioning_progress", "vm_provisioned", "tenant_ready"}

// readyTenant buys a tenant and waits until its provisioning has ended.
func (e *env) readyTenant(tok string) string {
	e.t.Helper()
	id, _ := e.newTenant(tok)
	evs, _ := readAll(e.t, e.openStream(e.t.Context(), "/api/v1/tenants/"+id+"/events", tok, ""))
	if got := eventTypes(e.t, evs); !slices.Equal(got, healthyRun) {
		e.t.Fatalf("provisioning: %v", got)
	}
	return id
}

func TestRegistryToken(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token(DemoUserEmail)
	id := e.readyTenant(tok)
	var rt api.Envelope[api.RegistryToken]
	e.must(200, "GET", "/api/v1/tenants/"+id+"/registry-token", tok, nil).json(t, &rt)
	u, _ := url.Parse(e.srv.URL)
	s, _ := e.emu.Tenant(id)
	if rt.Data.Registry != u.Host || rt.Data.Username != "x" || rt.Data.Repository != s.AppID ||
		!regexp.MustCompile(`^deployment-\d{8}-\d{6}-[0-9a-f]{6}$`).MatchString(rt.Data.Tag) {
		t.Fatalf("registry token %+v", rt.Data)
	}
	if repo, ok := e.emu.VerifyRegistryToken(rt.Data.Token); !ok || repo != s.AppID {
		t.Fatalf("VerifyRegistryToken: %q %v", repo, ok)
	}
	if _, ok := e.emu.VerifyRegistryToken(tok); ok {
		t.Fatal("an API token passed as a registry token")
	}
	if r := e.do("GET", "/api/v1/auth/me", rt.Data.Token, nil); r.status != 401 {
		t.Fatalf("registry token used on the API: %d", r.status)
	}
	var again api.Envelope[api.RegistryToken]
	e.must(200, "GET", "/api/v1/tenants/"+id+"/registry-token", tok, nil).json(t, &again)
	if again.Data.Tag == rt.Data.Tag {
		t.Fatalf("two registry tokens share the tag %s", rt.Data.Tag)
	}
	// The token dies with its tenant.
	e.must(204, "DELETE", "/api/v1/tenants/"+id, tok, nil)
	if _, ok := e.emu.VerifyRegistryToken(rt.Data.Token); ok {
		t.Fatal("a deleted tenant's registry token still passes")
	}
}

// TestDeployOneAtATime: a second deploy while one is under way is refused,
// so each caller follows its own deploy's events.
func TestDeployOneAtATime(t *testing.T) {
	e := newEnv(t, Options{StepDelay: time.Hour})
	tok := e.token(DemoUserEmail)
	id, _ := e.newTenant(tok)
	tp := "/api/v1/tenants/" + id
	e.must(200, "POST", tp+"/deploy", tok, api.DeployRequest{Image: "app:1"}) // queued behind provisioning
	if r := e.do("POST", tp+"/deploy", tok, api.DeployRequest{Image: "app:2"}); r.status != 409 || r.errorCode(t) != "deploy_in_progress" {
		t.Fatalf("second deploy: %d %s", r.status, r.body)
	}
	if s, _ := e.emu.Tenant(id); !slices.Equal(s.Images, []string{"app:1"}) {
		t.Fatalf("images %v", s.Images)
	}
}

func TestDeploy(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token(DemoUserEmail)
	id := e.readyTenant(tok)
	tp := "/api/v1/tenants/" + id

	if r := e.do("POST", tp+"/deploy", tok, api.DeployRequest{}); r.status != 400 {
		t.Fatalf("deploy without image: %d", r.status)
	}
	var dr api.Envelope[api.DeployResponse]
	e.must(200, "POST", tp+"/deploy", tok, api.DeployRequest{Image: "127.0.0.1/sp-x:deployment-1"}).json(t, &dr)
	s, _ := e.emu.Tenant(id)
	if dr.Data.Status != "deploying" || api.Str(dr.Data.AppURL) != s.AppURL {
		t.Fatalf("deploy %+v", dr.Data)
	}
	if s.Status != "deploying" || s.Ready {
		t.Fatalf("status during deploy: %+v", s)
	}
	// A stream without Last-Event-ID replays the current run only; ids go on.
	evs, _ := readAll(t, e.openStream(t.Context(), tp+"/events", tok, ""))
	if got := eventTypes(t, evs); !slices.Equal(got, deployRun) {
		t.Fatalf("deploy events %v", got)
	}
	if ids(evs)[0] != len(healthyRun)+1 {
		t.Fatalf("deploy ids %v", ids(evs))
	}
	e.waitStatus(tok, id, "ready")
	// Resuming inside the first run reads to its end.
	rest, _ := readAll(t, e.openStream(t.Context(), tp+"/events", tok, "10"))
	if !slices.Equal(ids(rest), []int{11, 12}) {
		t.Fatalf("resume in run 1: %v", ids(rest))
	}
	rest, _ = readAll(t, e.openStream(t.Context(), tp+"/events", tok, strconv.Itoa(len(healthyRun))))
	if got := eventTypes(t, rest); !slices.Equal(got, deployRun) {
		t.Fatalf("resume at run 2: %v", got)
	}

	// An image with "fail" in it fails.
	e.must(200, "POST", tp+"/deploy", tok, api.DeployRequest{Image: "app:will-fail"})
	evs, _ = readAll(t, e.openStream(t.Context(), tp+"/events", tok, ""))
	types := eventTypes(t, evs)
	if types[len(types)-1] != "provisioning_failed" || slices.Contains(types, "tenant_ready") {
		t.Fatalf("failed deploy events %v", types)
	}
	st := e.waitStatus(tok, id, "failed")
	if !strings.Contains(api.Str(st.Message), "app:will-fail") || st.SecretsURL != nil {
		t.Fatalf("failed status %+v", st)
	}
	if s, _ := e.emu.Tenant(id); !slices.Equal(s.Images, []string{"127.0.0.1/sp-x:deployment-1", "app:will-fail"}) {
		t.Fatalf("images %v", s.Images)
	}
}

// TestDeployQueued: a deploy right after payment waits for provisioning;
// a stream from the start follows both runs and closes after the second.
func TestDeployQueued(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token(DemoUserEmail)
	id, co := e.newTenant(tok)
	tp := "/api/v1/tenants/" + id
	e.must(200, "POST", tp+"/deploy", tok, api.DeployRequest{Image: "app:1"})
	var st api.Envelope[api.TenantStatus]
	e.must(200, "GET", tp+"/status", tok, nil).json(t, &st)
	if st.Data.Status != "deploying" {
		t.Fatalf("status with a queued deploy: %+v", st.Data)
	}
	evs, _ := readAll(t, e.openStream(t.Context(), tp+"/events", tok, "0"))
	if got := eventTypes(t, evs); !slices.Equal(got, append(slices.Clone(healthyRun), deployRun...)) {
		t.Fatalf("events %v", got)
	}
	cevs, _ := readAll(t, e.openStream(t.Context(), "/api/v1/checkout/"+co.CheckoutSessionID+"/events", tok, ""))
	if got := eventTypes(t, cevs); !slices.Equal(got, healthyRun) {
		t.Fatalf("checkout events %v", got)
	}
	e.waitStatus(tok, id, "ready")
}

func TestFailedProvisioningAndRetry(t *testing.T) {
	e := newEnv(t, Options{FailProvisioning: "Region fra has no capacity"})
	tok := e.token(DemoUserEmail)
	id, co := e.newTenant(tok)
	tp := "/api/v1/tenants/" + id
	evs, _ := readAll(t, e.openStream(t.Context(), "/api/v1/checkout/"+co.CheckoutSessionID+"/events", tok, ""))
	want := []string{"subscription_created", "tenant_created", "database_created", "provisioning_failed"}
	if got := eventTypes(t, evs); !slices.Equal(got, want) {
		t.Fatalf("events %v", got)
	}
	if !strings.Contains(evs[3].data, `"status":"failed"`) || !strings.Contains(evs[3].data, "Region fra has no capacity") {
		t.Fatalf("failure event %s", evs[3].data)
	}
	st := e.waitStatus(tok, id, "failed")
	if api.Str(st.Message) != "Region fra has no capacity" {
		t.Fatalf("status %+v", st)
	}
	if r := e.do("POST", tp+"/deploy", tok, api.DeployRequest{Image: "app:1"}); r.status != 409 || r.errorCode(t) != "tenant_not_ready" {
		t.Fatalf("deploy on failed tenant: %d %s", r.status, r.body)
	}
	if r := e.do("POST", tp+"/restart", tok, nil); r.status != 409 {
		t.Fatalf("restart on failed tenant: %d", r.status)
	}
	var sr api.StatusResponse
	e.must(200, "POST", tp+"/retry-provision", tok, nil).json(t, &sr)
	if sr.Status != "provisioning" {
		t.Fatalf("retry %+v", sr)
	}
	evs, _ = readAll(t, e.openStream(t.Context(), tp+"/events", tok, ""))
	if got := eventTypes(t, evs); !slices.Equal(got, healthyRun) || ids(evs)[0] != 5 {
		t.Fatalf("retry events %v ids %v", got, ids(evs))
	}
	e.waitStatus(tok, id, "ready")
	// A ready tenant is not provisioned again.
	if r := e.do("POST", tp+"/retry-provision", tok, nil); r.status != 409 || r.errorCode(t) != "tenant_not_failed" {
		t.Fatalf("retry on a ready tenant: %d %s", r.status, r.body)
	}
	e.must(200, "POST", tp+"/deploy", tok, api.DeployRequest{Image: "app:1"})
}

func TestRestart(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token(DemoUserEmail)
	id := e.readyTenant(tok)
	var sr api.StatusResponse
	e.must(200, "POST", "/api/v1/tenants/"+id+"/restart", tok, nil).json(t, &sr)
	if sr.Status != "restarting" {
		t.Fatalf("restart %+v", sr)
	}
	evs, _ := readAll(t, e.openStream(t.Context(), "/api/v1/tenants/"+id+"/events", tok, ""))
	if got := eventTypes(t, evs); got[len(got)-1] != "tenant_ready" || len(got) != 3 {
		t.Fatalf("restart events %v", got)
	}
	e.waitStatus(tok, id, "ready")
}

func TestSecrets(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token(DemoUserEmail)
	id := e.readyTenant(tok)
	tp := "/api/v1/tenants/" + id
	if r := e.must(200, "GET", tp+"/secrets", tok, nil); strings.TrimSpace(string(r.body)) != `{"keys":[]}` {
		t.Fatalf("empty list: %s", r.body)
	}
	e.must(204, "PUT", tp+"/secrets", tok, api.SetSecretsRequest{Secrets: map[string]string{"STRIPE_KEY": "sk_live_1", "ANTHROPIC_API_KEY": "sk-ant-1"}})
	e.must(204, "PUT", tp+"/secrets", tok, api.SetSecretsRequest{Secrets: map[string]string{"B_2": "v"}})
	r := e.must(200, "GET", tp+"/secrets", tok, nil)
	var keys api.SecretKeys
	r.json(t, &keys)
	if !slices.Equal(keys.Keys, []string{"ANTHROPIC_API_KEY", "B_2", "STRIPE_KEY"}) || strings.Contains(string(r.body), "sk_live_1") {
		t.Fatalf("list %s", r.body)
	}
	if s, _ := e.emu.Tenant(id); s.Secrets["STRIPE_KEY"] != "sk_live_1" || len(s.SecretKeys) != 3 {
		t.Fatalf("Tenant() secrets %+v", s)
	}
	// The bootstrap secrets carry the well-known API keys.
	var st api.Envelope[api.TenantStatus]
	e.must(200, "GET", tp+"/status", tok, nil).json(t, &st)
	var sec api.TenantSecrets
	e.must(200, "GET", *st.Data.SecretsURL, tok, nil).json(t, &sec)
	if api.Str(sec.AnthropicAPIKey) != "sk-ant-1" || sec.OpenAIAPIKey != nil {
		t.Fatalf("bootstrap %+v", sec)
	}

	e.must(204, "DELETE", tp+"/secrets/STRIPE_KEY", tok, nil)
	if r := e.do("DELETE", tp+"/secrets/STRIPE_KEY", tok, nil); r.status != 404 || r.errorCode(t) != "secret_not_found" {
		t.Fatalf("unset twice: %d %s", r.status, r.body)
	}
	for name, body := range map[string]any{
		"empty":   api.SetSecretsRequest{},
		"bad key": api.SetSecretsRequest{Secrets: map[string]string{"1X": "v"}},
		"dash":    api.SetSecretsRequest{Secrets: map[string]string{"A-B": "v"}},
		"managed": api.SetSecretsRequest{Secrets: map[string]string{"database_url": "v"}},
		"json":    "[",
	} {
		if r := e.do("PUT", tp+"/secrets", tok, body); r.status != 400 || r.errorCode(t) != "invalid_request" {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
}

func TestExternalDBAndRotation(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token(DemoUserEmail)
	id := e.readyTenant(tok)
	tp := "/api/v1/tenants/" + id
	before, _ := e.emu.Tenant(id)

	var ext api.Envelope[api.ExternalDBAccessResponse]
	e.must(200, "PUT", tp+"/external-db-access", tok, api.ExternalDBAccessRequest{Enabled: true}).json(t, &ext)
	u, _ := url.Parse(ext.Data.DatabaseURL)
	if ext.Data.TenantID != id || !ext.Data.ExternalDBAccess || u.Hostname() != "db.systemprompt.io" || u.Query().Get("sslmode") != "require" {
		t.Fatalf("enable %+v", ext.Data)
	}
	var me api.UserMeResponse
	e.must(200, "GET", "/api/v1/auth/me", tok, nil).json(t, &me)
	if !me.Tenants[0].ExternalDBAccess || me.Tenants[0].DatabaseURL != before.DatabaseURL {
		t.Fatalf("me after enable %+v (internal URL %s)", me.Tenants[0], before.DatabaseURL)
	}
	if s, _ := e.emu.Tenant(id); s.ExternalDatabaseURL != ext.Data.DatabaseURL {
		t.Fatalf("Tenant() external URL %q", s.ExternalDatabaseURL)
	}
	var rc api.RotateCredentialsResponse
	e.must(200, "POST", tp+"/rotate-credentials", tok, nil).json(t, &rc)
	if rc.Status != "rotated" || rc.Message == "" || rc.DatabaseURL == ext.Data.DatabaseURL || !strings.Contains(rc.DatabaseURL, "db.systemprompt.io") {
		t.Fatalf("rotate %+v", rc)
	}
	e.must(200, "PUT", tp+"/external-db-access", tok, api.ExternalDBAccessRequest{Enabled: false}).json(t, &ext)
	if ext.Data.ExternalDBAccess || !strings.Contains(ext.Data.DatabaseURL, ".flycast:5432/") || ext.Data.DatabaseURL == before.DatabaseURL {
		t.Fatalf("disable %+v (before %s)", ext.Data, before.DatabaseURL)
	}
	if r := e.do("PUT", tp+"/external-db-access", tok, map[string]any{}); r.status != 400 {
		t.Fatalf("no enabled: %d", r.status)
	}

	var rs api.RotateSyncTokenResponse
	e.must(200, "POST", tp+"/rotate-sync-token", tok, nil).json(t, &rs)
	if rs.Status != "rotated" || rs.SyncToken == "" || rs.SyncToken == before.SyncToken {
		t.Fatalf("rotate sync %+v", rs)
	}
	var st api.Envelope[api.TenantStatus]
	e.must(200, "GET", tp+"/status", tok, nil).json(t, &st)
	var sec api.TenantSecrets
	e.must(200, "GET", *st.Data.SecretsURL, tok, nil).json(t, &sec)
	if api.Str(sec.SyncToken) != rs.SyncToken || sec.DatabaseURL != ext.Data.DatabaseURL {
		t.Fatalf("bootstrap after rotation %+v", sec)
	}
}

func TestCustomDomain(t *testing.T) {
	e := newEnv(t, Options{StepDelay: time.Hour})
	tok := e.token(DemoUserEmail)
	id, _ := e.newTenant(tok)
	tp := "/api/v1/tenants/" + id + "/custom-domain"
	if r := e.do("GET", tp, tok, nil); r.status != 404 || r.errorCode(t) != "custom_domain_not_found" {
		t.Fatalf("get before: %d %s", r.status, r.body)
	}
	var cd api.Envelope[api.CustomDomainResponse]
	e.must(200, "POST", tp, tok, api.CustomDomainRequest{Domain: "App.Acme.Example"}).json(t, &cd)
	s, _ := e.emu.Tenant(id)
	d := cd.Data
	if d.Domain != "app.acme.example" || d.Status != "pending_verification" || d.Verified || d.DNSTarget != s.Hostname ||
		d.DNSInstructions != (api.DNSInstructions{RecordType: "CNAME", Host: "app", Value: s.Hostname, TTL: 300}) || d.VerifiedAt != nil {
		t.Fatalf("domain %+v", d)
	}
	if _, err := time.Parse(time.RFC3339, api.Str(d.CreatedAt)); err != nil {
		t.Fatalf("created_at %v", err)
	}
	var got api.Envelope[api.CustomDomainResponse]
	e.must(200, "GET", tp, tok, nil).json(t, &got)
	if got.Data.Domain != d.Domain || s.CustomDomain != d.Domain {
		t.Fatalf("get %+v", got.Data)
	}
	e.must(204, "DELETE", tp, tok, nil)
	e.must(404, "GET", tp, tok, nil)
	e.must(404, "DELETE", tp, tok, nil)
	for domain, host := range map[string]string{"example.com": "@", "api.eu.example.com": "api.eu"} {
		e.must(200, "POST", tp, tok, api.CustomDomainRequest{Domain: domain}).json(t, &cd)
		if cd.Data.DNSInstructions.Host != host {
			t.Errorf("%s: host %q, want %q", domain, cd.Data.DNSInstructions.Host, host)
		}
	}
	for _, bad := range []string{"", "localhost", "a..b", "-a.com", "x.systemprompt.io", "1.2.3.4", "a b.com"} {
		if r := e.do("POST", tp, tok, api.CustomDomainRequest{Domain: bad}); r.status != 400 {
			t.Errorf("domain %q: %d", bad, r.status)
		}
	}
	if r := e.do("POST", tp, tok, api.CustomDomainRequest{Domain: "x.systemprompt.io"}); !strings.Contains(string(r.body), "platform's own domain") {
		t.Errorf("a platform domain: %s", r.body)
	}

	// One domain, one tenant: another tenant is refused it until the first
	// lets it go; setting it again on the same tenant is fine.
	other, _ := e.newTenant(tok)
	op := "/api/v1/tenants/" + other + "/custom-domain"
	e.must(200, "POST", tp, tok, api.CustomDomainRequest{Domain: "shared.example.com"})
	e.must(200, "POST", tp, tok, api.CustomDomainRequest{Domain: "shared.example.com"})
	if r := e.do("POST", op, tok, api.CustomDomainRequest{Domain: "Shared.Example.com"}); r.status != 409 || r.errorCode(t) != "domain_in_use" {
		t.Errorf("a domain in use: %d %s", r.status, r.body)
	}
	e.must(204, "DELETE", tp, tok, nil)
	e.must(200, "POST", op, tok, api.CustomDomainRequest{Domain: "shared.example.com"})
}

func TestDeleteAndCancel(t *testing.T) {
	e := newEnv(t, Options{StepDelay: time.Hour})
	tok := e.token(DemoUserEmail)
	id, co := e.newTenant(tok)
	stream := e.openStream(t.Context(), "/api/v1/tenants/"+id+"/events", tok, "")
	e.must(204, "DELETE", "/api/v1/tenants/"+id, tok, nil)
	evs, _ := readAll(t, stream) // ends when the tenant goes
	if len(evs) != 1 {
		t.Fatalf("events %v", evs)
	}
	if r := e.do("GET", "/api/v1/tenants/"+id+"/status", tok, nil); r.status != 404 || r.errorCode(t) != "tenant_not_found" {
		t.Fatalf("status after delete: %d", r.status)
	}
	e.must(404, "DELETE", "/api/v1/tenants/"+id, tok, nil)
	if _, ok := e.emu.Tenant(id); ok {
		t.Fatal("Tenant() still finds it")
	}
	readAll(t, e.openStream(t.Context(), "/api/v1/checkout/"+co.CheckoutSessionID+"/events", tok, ""))

	id2, _ := e.newTenant(tok)
	r := e.must(200, "POST", "/api/v1/tenants/"+id2+"/subscription/cancel", tok, nil)
	var sr api.StatusResponse
	r.json(t, &sr)
	e.must(404, "GET", "/api/v1/tenants/"+id2+"/status", tok, nil)
	e.must(404, "POST", "/api/v1/tenants/"+id2+"/subscription/cancel", tok, nil)
	var me api.UserMeResponse
	e.must(200, "GET", "/api/v1/auth/me", tok, nil).json(t, &me)
	if len(me.Tenants) != 0 {
		t.Fatalf("tenants left %+v", me.Tenants)
	}
}

// TestRegistryHook: Options.Registry serves /v2/ and can check the tokens of
// the registry-token endpoint.
func TestRegistryHook(t *testing.T) {
	var emu *Server
	reg := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pw, _ := r.BasicAuth()
		if repo, ok := emu.VerifyRegistryToken(pw); ok {
			w.Write([]byte("hello " + repo))
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	})
	e := newEnv(t, Options{Registry: reg})
	emu = e.emu
	tok := e.token(DemoUserEmail)
	id := e.readyTenant(tok)
	var rt api.Envelope[api.RegistryToken]
	e.must(200, "GET", "/api/v1/tenants/"+id+"/registry-token", tok, nil).json(t, &rt)
	req, _ := http.NewRequest("GET", e.srv.URL+"/v2/", nil)
	req.SetBasicAuth(rt.Data.Username, rt.Data.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "hello "+rt.Data.Repository {
		t.Fatalf("registry: %d %s", resp.StatusCode, b)
	}
	if r := e.do("GET", "/v2/", "", nil); r.status != 401 {
		t.Fatalf("registry without credentials: %d", r.status)
	}
}

// TestResumeAfterTheEnd: a client that resumes with the id of a stream's
// last event (or a later one) is told at once that nothing more will come;
// one that resumes before a later run still gets it.
func TestResumeAfterTheEnd(t *testing.T) {
	e := newEnv(t, Options{Heartbeat: time.Hour})
	tok := e.token(DemoUserEmail)
	id, co := e.newTenant(tok)
	tp := "/api/v1/tenants/" + id
	evs, _ := readAll(t, e.openStream(t.Context(), tp+"/events", tok, ""))
	last := strconv.Itoa(len(evs))
	checkout := "/api/v1/checkout/" + co.CheckoutSessionID + "/events"
	for _, path := range []string{checkout, tp + "/events"} {
		for _, from := range []string{last, "99"} {
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			got, _ := readAll(t, e.openStream(ctx, path, tok, from))
			if ctx.Err() != nil || len(got) != 0 {
				t.Errorf("%s from %s: %d events, stream left open: %v", path, from, len(got), ctx.Err() != nil)
			}
			cancel()
		}
	}
	// A deploy after the end: the tenant stream resumed at the old end
	// carries the new run; the checkout stream still has nothing more.
	e.must(200, "POST", tp+"/deploy", tok, api.DeployRequest{Image: "app:2"})
	if got := eventTypes(t, mustRead(t, e.openStream(t.Context(), tp+"/events", tok, last))); !slices.Equal(got, deployRun) {
		t.Errorf("tenant stream after a deploy: %v", got)
	}
	if got := mustRead(t, e.openStream(t.Context(), checkout, tok, last)); len(got) != 0 {
		t.Errorf("checkout stream after a deploy: %d events", len(got))
	}
}

func mustRead(t *testing.T, resp *http.Response) []sseEvent {
	t.Helper()
	evs, _ := readAll(t, resp)
	return evs
}
