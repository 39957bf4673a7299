package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/emulator"
	"github.com/spcloud/spcloud/internal/testkit"
	"github.com/spcloud/spcloud/store"
)

// loggedIn logs a user in with a token of the emulator (no browser).
func loggedIn(t *testing.T) *testEnv {
	t.Helper()
	te := newTestEnv(t, true)
	tok, err := te.emu.IssueToken("dev@example.com")
	if err != nil {
		t.Fatal(err)
	}
	te.stdin = tok + "\n"
	if code, _, stderr := te.run("auth", "login", "--with-token"); code != 0 {
		t.Fatalf("login: exit %d: %s", code, stderr)
	}
	te.stdin = ""
	return te
}

// buyTenant buys a tenant through the command tree and returns its id.
func (te *testEnv) buyTenant() string {
	te.t.Helper()
	code, out, stderr := te.run("tenant", "create", "--plan", "plan_pro", "--region", "fra", "--json")
	if code != 0 {
		te.t.Fatalf("tenant create: exit %d: %s", code, stderr)
	}
	var res createResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.TenantID == "" {
		te.t.Fatalf("tenant create --json: %v %s", err, out)
	}
	// The command ends at infrastructure_ready; let tenant_ready follow, so
	// that later event counts are the test's own.
	deadline := time.Now().Add(10 * time.Second)
	for te.state(res.TenantID).Message != "Tenant is ready" {
		if time.Now().After(deadline) {
			te.t.Fatalf("tenant %s never became ready: %+v", res.TenantID, te.state(res.TenantID))
		}
		time.Sleep(5 * time.Millisecond)
	}
	return res.TenantID
}

// withTenant is a logged-in project with one ready tenant.
func withTenant(t *testing.T) (*testEnv, string) {
	t.Helper()
	te := loggedIn(t)
	return te, te.buyTenant()
}

func (te *testEnv) stored(id string) *store.StoredTenant {
	te.t.Helper()
	s, err := store.LoadTenants(filepath.Join(te.dir, ".systemprompt", "tenants.json"))
	if err != nil {
		te.t.Fatal(err)
	}
	return s.Find(id)
}

func (te *testEnv) state(id string) emulator.TenantState {
	te.t.Helper()
	st, ok := te.emu.Tenant(id)
	if !ok {
		te.t.Fatalf("the emulator has no tenant %s", id)
	}
	return st
}

// mustRun runs a command that must succeed and returns stdout and stderr.
func (te *testEnv) mustRun(args ...string) (string, string) {
	te.t.Helper()
	code, out, stderr := te.run(args...)
	if code != 0 {
		te.t.Fatalf("spcloud %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, stderr)
	}
	return out, stderr
}

// noSecrets fails when any of the secrets shows in the output.
func noSecrets(t *testing.T, output string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(output, s) {
			t.Errorf("the output shows a secret (%.12s...):\n%s", s, output)
		}
	}
}

func TestTenantRestartAndRetry(t *testing.T) {
	te, id := withTenant(t)
	before := te.state(id).Events

	// Without a terminal, a restart needs --yes, and nothing happens.
	code, _, stderr := te.run("tenant", "restart")
	if code != ExitError || !strings.Contains(stderr, "--yes") {
		t.Fatalf("restart without --yes: exit %d: %s", code, stderr)
	}
	if te.state(id).Events != before {
		t.Fatal("a refused restart reached the cloud")
	}

	out, stderr := te.mustRun("tenant", "restart", "--yes")
	if strings.TrimSpace(out) != "ready" || !strings.Contains(stderr, "Machine running") || !strings.Contains(stderr, "Tenant ready") {
		t.Errorf("restart: stdout %q, stderr:\n%s", out, stderr)
	}
	st := te.state(id)
	if st.Status != "ready" || st.Events != before+3 {
		t.Errorf("after restart: status %s, %d events (was %d)", st.Status, st.Events, before)
	}

	// A healthy tenant is not provisioned again: the cloud refuses, nothing changes.
	before = te.state(id).Events
	code, _, stderr = te.run("tenant", "retry", "--yes", "--json")
	if code != ExitError || !strings.Contains(stderr, "only a failed provisioning can be retried") {
		t.Fatalf("retry of a ready tenant: exit %d: %s", code, stderr)
	}
	if te.state(id).Events != before {
		t.Error("a refused retry emitted events")
	}

	// --no-wait returns at once with the API's status.
	out, _ = te.mustRun("tenant", "restart", "--yes", "--no-wait")
	if strings.TrimSpace(out) != "restarting" {
		t.Errorf("restart --no-wait printed %q", out)
	}
}

func TestTenantRotations(t *testing.T) {
	te, id := withTenant(t)
	old := te.state(id)

	out, stderr := te.mustRun("tenant", "rotate-sync-token", "--yes")
	st := te.state(id)
	if st.SyncToken == old.SyncToken {
		t.Fatal("the sync token did not change in the emulator")
	}
	if tn := te.stored(id); tn.SyncToken != st.SyncToken {
		t.Errorf("tenants.json sync_token = %q, emulator %q", tn.SyncToken, st.SyncToken)
	}
	noSecrets(t, out+stderr, st.SyncToken, old.SyncToken)
	out, _ = te.mustRun("tenant", "rotate-sync-token", "--yes", "--reveal")
	if st = te.state(id); strings.TrimSpace(out) != st.SyncToken {
		t.Errorf("--reveal printed %q, emulator has %q", out, st.SyncToken)
	}
	out, _ = te.mustRun("tenant", "rotate-sync-token", "--yes", "--json")
	var rs syncTokenResult
	if err := json.Unmarshal([]byte(out), &rs); err != nil || rs.TenantID != id || rs.Status == "" || rs.SyncToken != "[REDACTED]" {
		t.Errorf("--json: %v %s", err, out)
	}

	out, stderr = te.mustRun("tenant", "rotate-credentials", "--yes")
	st = te.state(id)
	if st.DatabaseURL == old.DatabaseURL {
		t.Fatal("the database URL did not change in the emulator")
	}
	tn := te.stored(id)
	if tn.InternalDatabaseURL != st.DatabaseURL || tn.DatabaseURL != "" {
		t.Errorf("tenants.json after rotate-credentials = %+v", tn)
	}
	noSecrets(t, out+stderr, password(t, st.DatabaseURL))
	if !strings.Contains(out, "[REDACTED]") {
		t.Errorf("rotate-credentials printed %q", out)
	}

	// External access on: the external URL is kept, and follows a rotation.
	out, stderr = te.mustRun("tenant", "external-db", "on", "--yes", "--json")
	st = te.state(id)
	var res dbResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.ExternalDBAccess == nil || !*res.ExternalDBAccess || !st.ExternalDBAccess {
		t.Fatalf("external-db on: %v %s; emulator %v", err, out, st.ExternalDBAccess)
	}
	noSecrets(t, out+stderr, password(t, st.DatabaseURL))
	tn = te.stored(id)
	if !tn.ExternalDBAccess || tn.DatabaseURL != st.ExternalDatabaseURL || tn.InternalDatabaseURL != st.DatabaseURL {
		t.Errorf("tenants.json after external-db on = %+v", tn)
	}
	te.mustRun("tenant", "rotate-credentials", "--yes")
	st = te.state(id)
	if tn = te.stored(id); tn.DatabaseURL != st.ExternalDatabaseURL || tn.InternalDatabaseURL != st.DatabaseURL {
		t.Errorf("tenants.json after a rotation with external access = %+v, emulator %+v", tn, st)
	}
	out, _ = te.mustRun("tenant", "external-db", "off", "--reveal")
	st = te.state(id)
	if st.ExternalDBAccess || strings.TrimSpace(out) != st.DatabaseURL {
		t.Errorf("external-db off: emulator %v, printed %q", st.ExternalDBAccess, out)
	}
	if tn = te.stored(id); tn.ExternalDBAccess || tn.DatabaseURL != "" || tn.InternalDatabaseURL != st.DatabaseURL {
		t.Errorf("tenants.json after external-db off = %+v", tn)
	}
	if code, _, stderr := te.run("tenant", "external-db", "maybe"); code != ExitError || !strings.Contains(stderr, "on or off") {
		t.Errorf("external-db maybe: exit %d: %s", code, stderr)
	}
}

// password is the password of a URL.
func password(t *testing.T, u string) string {
	t.Helper()
	_, rest, _ := strings.Cut(u, "://")
	userinfo, _, ok := strings.Cut(rest, "@")
	_, pw, ok2 := strings.Cut(userinfo, ":")
	if !ok || !ok2 || pw == "" {
		t.Fatalf("no password in the database URL")
	}
	return pw
}

func TestTenantCancelAndDelete(t *testing.T) {
	te := loggedIn(t)
	a, b := te.buyTenant(), te.buyTenant()

	if code, _, stderr := te.run("tenant", "delete", "--tenant", a); code != ExitError || !strings.Contains(stderr, "--yes") {
		t.Fatalf("delete without --yes: exit %d: %s", code, stderr)
	}
	if _, ok := te.emu.Tenant(a); !ok {
		t.Fatal("a refused delete deleted the tenant")
	}
	te.mustRun("tenant", "select", a)
	_, stderr := te.mustRun("tenant", "delete", "--tenant", a, "--yes")
	if _, ok := te.emu.Tenant(a); ok {
		t.Fatal("the tenant is still in the emulator")
	}
	if te.stored(a) != nil || te.stored(b) == nil {
		t.Errorf("tenants.json after delete: %v %v", te.stored(a), te.stored(b))
	}
	if !strings.Contains(stderr, "no tenant is selected now") {
		t.Errorf("delete of the selected tenant: %s", stderr)
	}
	if sel, _ := store.LoadSelection(filepath.Join(te.dir, ".systemprompt", store.SelectionFile)); sel != "" {
		t.Errorf("the selection still names the deleted tenant: %q", sel)
	}

	// Deleting an unknown tenant, named as an argument as tenant show takes
	// it, fails with a message naming it.
	code, _, stderr := te.run("tenant", "delete", "no-such-tenant", "--yes")
	if code != ExitError || !strings.Contains(stderr, "no-such-tenant") || !strings.Contains(stderr, "Hint:") {
		t.Errorf("delete unknown: exit %d: %s", code, stderr)
	}

	// A tenant gone on the server but still in tenants.json: the delete
	// fails, naming it, and the stale entry is taken out.
	creds, err := store.LoadCredentials(filepath.Join(te.dir, ".systemprompt", "credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	stale := te.buyTenant()
	if err := api.New(te.url, creds.APIToken).DeleteTenant(t.Context(), stale); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = te.run("tenant", "delete", "--tenant", stale, "--yes")
	if code != ExitError || !strings.Contains(stderr, stale) || !strings.Contains(stderr, "not on the server any more") || te.stored(stale) != nil {
		t.Errorf("delete of a stale entry: exit %d, still stored %v: %s", code, te.stored(stale) != nil, stderr)
	}

	// A tenant named twice, differently, is refused before anything is sent.
	code, _, stderr = te.run("tenant", "cancel", b, "--tenant", a, "--yes")
	if _, ok := te.emu.Tenant(b); code != ExitError || !strings.Contains(stderr, "named twice") || !ok {
		t.Errorf("cancel named twice: exit %d: %s", code, stderr)
	}

	// b is now the only tenant: the default.
	out, _ := te.mustRun("tenant", "cancel", "--yes", "--json")
	var res opResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.TenantID != b || res.Status != "canceled" {
		t.Fatalf("cancel --json: %v %s", err, out)
	}
	if _, ok := te.emu.Tenant(b); ok || te.stored(b) != nil {
		t.Error("the cancelled tenant is still there")
	}
	code, _, stderr = te.run("tenant", "restart", "--yes")
	if code != ExitError || !strings.Contains(stderr, "No tenant is configured") {
		t.Errorf("with no tenant left: exit %d: %s", code, stderr)
	}
}

func TestTenantSelect(t *testing.T) {
	te := loggedIn(t)
	a, b := te.buyTenant(), te.buyTenant()

	// Two tenants and no choice: the error lists both.
	code, _, stderr := te.run("secrets", "list")
	if code != ExitError || !strings.Contains(stderr, a) || !strings.Contains(stderr, b) || !strings.Contains(stderr, "tenant select") {
		t.Fatalf("ambiguous tenant: exit %d: %s", code, stderr)
	}
	if code, _, stderr := te.run("tenant", "select", "no-such-tenant"); code != ExitError || !strings.Contains(stderr, "no-such-tenant") || !strings.Contains(stderr, a) {
		t.Errorf("select unknown: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(te.dir, ".systemprompt", store.SelectionFile)); err == nil {
		t.Error("a refused selection wrote the file")
	}

	out, _ := te.mustRun("tenant", "select", b)
	if strings.TrimSpace(out) != b {
		t.Errorf("select printed %q", out)
	}
	p := filepath.Join(te.dir, ".systemprompt", store.SelectionFile)
	raw, _ := os.ReadFile(p)
	var file map[string]string
	if err := json.Unmarshal(raw, &file); err != nil || file["selected_tenant"] != b {
		t.Fatalf("%s = %s", p, raw)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	te.mustRun("secrets", "set", "ONLY_ON_B=1")
	if keys := te.state(b).SecretKeys; len(keys) != 1 || keys[0] != "ONLY_ON_B" {
		t.Errorf("secrets of b = %v", keys)
	}
	if keys := te.state(a).SecretKeys; len(keys) != 0 {
		t.Errorf("secrets of a = %v", keys)
	}
	out, _ = te.mustRun("tenant", "status")
	if !strings.Contains(out, "ready") {
		t.Errorf("tenant status of the selected tenant: %s", out)
	}
	if out, _ = te.mustRun("tenant", "select"); strings.TrimSpace(out) != b {
		t.Errorf("select without ID printed %q", out)
	}
	// --tenant wins over the selection.
	te.mustRun("secrets", "set", "ONLY_ON_A=1", "--tenant", a)
	if keys := te.state(a).SecretKeys; len(keys) != 1 || keys[0] != "ONLY_ON_A" {
		t.Errorf("secrets of a = %v", keys)
	}
	// By name, when the name is unique.
	name := te.stored(a).Name
	if out, _ = te.mustRun("tenant", "select", name); strings.TrimSpace(out) != a {
		t.Errorf("select by name printed %q", out)
	}
	te.mustRun("tenant", "select", "--clear")
	if code, _, _ := te.run("secrets", "list"); code != ExitError {
		t.Error("after --clear the choice is ambiguous again")
	}
}

func TestTenantCommandErrors(t *testing.T) {
	te, id := withTenant(t)

	// 404: an unknown tenant.
	code, _, stderr := te.run("tenant", "restart", "--tenant", "nope", "--yes")
	if code != ExitError || !strings.Contains(stderr, "No tenant with id 'nope'") || !strings.Contains(stderr, "Hint:") {
		t.Errorf("404: exit %d: %s", code, stderr)
	}
	// 4xx with the envelope: code and message.
	code, _, stderr = te.run("domain", "set", "localhost")
	if code != ExitError || !strings.Contains(stderr, "invalid_request: 'localhost' is not a valid domain name") {
		t.Errorf("400: exit %d: %s", code, stderr)
	}
	// 401: a token this cloud did not sign.
	other := emulator.New(emulator.Options{})
	defer other.Close()
	foreign, _ := other.IssueToken("dev@example.com")
	te.env["SYSTEMPROMPT_API_TOKEN"] = foreign
	code, _, stderr = te.run("secrets", "list", "--tenant", id)
	if code != ExitLoginNeeded || !strings.Contains(stderr, "spcloud auth login") {
		t.Errorf("401: exit %d: %s", code, stderr)
	}
	noSecrets(t, stderr, foreign)

	// 500 with an HTML body: the status and at most 500 characters of it.
	html := "<html><body>" + strings.Repeat("x", 3000) + "</body></html>"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(500)
		w.Write([]byte(html))
	}))
	defer srv.Close()
	good, _ := te.emu.IssueToken("dev@example.com")
	te.env["SYSTEMPROMPT_API_TOKEN"] = good
	te.env["SYSTEMPROMPT_API_URL"] = srv.URL
	code, _, stderr = te.run("tenant", "restart", "--tenant", id, "--yes", "--no-wait")
	if code != ExitError || !strings.Contains(stderr, "HTTP 500: <html><body>xxx") {
		t.Fatalf("500: exit %d: %s", code, stderr)
	}
	if n := strings.Count(stderr, "x"); n > 500 || n < 400 {
		t.Errorf("500: the message shows %d characters of the body:\n%s", n, stderr)
	}
	if strings.Contains(stderr, "</html>") {
		t.Error("500: the whole body is shown")
	}
}

// TestTenantRetryAfterFailedProvisioning buys a tenant whose provisioning
// fails, then retries it: the tenant ends ready and lands in tenants.json
// with its database URL and sync token.
func TestTenantRetryAfterFailedProvisioning(t *testing.T) {
	te := newTestEnv(t, false)
	te.serve(emulator.Options{StepDelay: 5 * time.Millisecond, Heartbeat: time.Second, FailProvisioning: "No capacity in fra"})
	tok, _ := te.emu.IssueToken("dev@example.com")
	te.stdin = tok + "\n"
	te.mustRun("auth", "login", "--with-token")
	te.stdin = ""

	code, _, stderr := te.run("tenant", "create", "--plan", "plan_pro", "--region", "fra")
	if code != ExitError || !strings.Contains(stderr, "No capacity in fra") {
		t.Fatalf("create: exit %d: %s", code, stderr)
	}
	tenants := te.emu.Tenants("dev@example.com")
	if len(tenants) != 1 || tenants[0].Status != "failed" {
		t.Fatalf("emulator tenants = %+v", tenants)
	}
	id := tenants[0].ID

	_, stderr = te.mustRun("tenant", "retry", "--tenant", id, "--yes")
	st := te.state(id)
	if !st.Ready || !strings.Contains(stderr, "Infrastructure ready") {
		t.Fatalf("after retry: %+v\n%s", st, stderr)
	}
	tn := te.stored(id)
	if tn == nil || !tn.IsCloud() || tn.SyncToken != st.SyncToken || tn.InternalDatabaseURL != st.DatabaseURL || tn.Name != st.Name {
		t.Errorf("tenants.json after retry = %+v", tn)
	}
	noSecrets(t, stderr, st.SyncToken, password(t, st.DatabaseURL))
}

// runOnTerminal runs the command tree as if a person were at a terminal
// typing stdin.
func (te *testEnv) runOnTerminal(stdin string, args ...string) (int, string, string) {
	te.t.Helper()
	var out, errOut testkit.SyncBuffer
	f := &Factory{
		IO:     IOStreams{In: strings.NewReader(stdin), Out: &out, Err: &errOut, Interactive: true},
		Getenv: func(k string) string { return te.env[k] },
		Cwd:    te.dir,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := Run(ctx, f, args)
	return code, out.String(), errOut.String()
}

func TestConfirmAndTypeOnTerminal(t *testing.T) {
	te, id := withTenant(t)

	code, _, stderr := te.runOnTerminal("n\n", "tenant", "delete")
	if code != ExitCancelled || !strings.Contains(stderr, "Delete tenant") || !strings.Contains(stderr, "[y/N]") {
		t.Fatalf("answer n: exit %d: %s", code, stderr)
	}
	if _, ok := te.emu.Tenant(id); !ok {
		t.Fatal("the tenant was deleted after answering n")
	}

	// A secret typed on the terminal: asked for, never shown.
	code, out, stderr := te.runOnTerminal("typed-secret-value\n", "secrets", "set", "TYPED")
	if code != 0 || !strings.Contains(stderr, "Value for TYPED:") {
		t.Fatalf("typed secret: exit %d: %s", code, stderr)
	}
	if v := te.state(id).Secrets["TYPED"]; v != "typed-secret-value" {
		t.Errorf("TYPED = %q", v)
	}
	noSecrets(t, out+stderr, "typed-secret-value")

	if code, _, stderr := te.runOnTerminal("y\n", "tenant", "delete"); code != 0 {
		t.Fatalf("answer y: exit %d: %s", code, stderr)
	}
	if _, ok := te.emu.Tenant(id); ok {
		t.Fatal("the tenant survived answering y")
	}
}
