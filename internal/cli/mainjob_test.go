package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/emulator"
	"github.com/spcloud/spcloud/internal/person"
	"github.com/spcloud/spcloud/internal/testkit"
	"github.com/spcloud/spcloud/store"
)

// TestMainJob runs login, plans, tenant create, tenant list and whoami
// through the real command tree against an emulator over loopback, with a
// scripted person clicking Approve and Pay, then checks the files.
func TestMainJob(t *testing.T) {
	te := newTestEnv(t, true)
	code, _, stderr := te.run("auth", "login", "--provider", "github")
	if code != 0 {
		t.Fatalf("login exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "Logged in as") {
		t.Errorf("login output: %s", stderr)
	}

	code, out, stderr := te.run("plans", "--json")
	if code != 0 {
		t.Fatalf("plans exit %d: %s", code, stderr)
	}
	var plans []api.Plan
	if err := json.Unmarshal([]byte(out), &plans); err != nil || len(plans) < 2 {
		t.Fatalf("plans --json: %v %s", err, out)
	}

	code, out, stderr = te.run("tenant", "create", "--plan", plans[0].ID, "--region", "fra", "--json")
	if code != 0 {
		t.Fatalf("tenant create exit %d: %s", code, stderr)
	}
	var res createResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.TenantID == "" || res.Region != "fra" {
		t.Fatalf("create --json: %v %s", err, out)
	}
	// Progress: one line per event, in order, none twice.
	lines := map[string]bool{}
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "  ✓") {
			key := l[:strings.LastIndex(l, "[")]
			if lines[key] {
				t.Errorf("progress line repeated: %q", l)
			}
			lines[key] = true
		}
	}
	if len(lines) < 8 || !strings.Contains(stderr, "Infrastructure ready") {
		t.Errorf("progress:\n%s", stderr)
	}

	code, out, _ = te.run("tenant", "list", "--json")
	var infos []api.TenantInfo
	if code != 0 || json.Unmarshal([]byte(out), &infos) != nil || len(infos) != 1 || infos[0].ID != res.TenantID || api.Str(infos[0].Region) != "fra" {
		t.Fatalf("tenant list: %d %s", code, out)
	}

	code, out, _ = te.run("auth", "whoami", "--json")
	var w whoami
	if code != 0 || json.Unmarshal([]byte(out), &w) != nil || w.TokenState != "valid" || w.APIURL != te.url || w.UserEmail == "" {
		t.Fatalf("whoami: %d %s", code, out)
	}

	// The files, as the reference client writes them.
	sp := filepath.Join(te.dir, ".systemprompt")
	for _, name := range []string{"credentials.json", "tenants.json"} {
		st, err := os.Stat(filepath.Join(sp, name))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", name, err, st)
		}
	}
	if gi, _ := os.ReadFile(filepath.Join(sp, ".gitignore")); strings.TrimSpace(string(gi)) != "*" {
		t.Errorf(".gitignore = %q", gi)
	}
	creds, err := store.LoadCredentials(filepath.Join(sp, "credentials.json"))
	if err != nil || creds.APIURL != te.url {
		t.Fatalf("credentials: %+v %v", creds, err)
	}
	ts, err := store.LoadTenants(filepath.Join(sp, "tenants.json"))
	if err != nil {
		t.Fatal(err)
	}
	tn := ts.Find(res.TenantID)
	if tn == nil || !tn.IsCloud() || tn.InternalDatabaseURL == "" || tn.DatabaseURL != "" || tn.SyncToken == "" || tn.Region != "fra" {
		t.Fatalf("stored tenant = %+v", tn)
	}
	if state, ok := te.emu.Tenant(res.TenantID); !ok || !state.Ready {
		t.Errorf("emulator tenant = %+v %v", state, ok)
	}
}

func TestLoginDenied(t *testing.T) {
	te := newTestEnv(t, true)
	te.person = &person.Person{Clicks: []string{"deny"}}
	code, _, stderr := te.run("auth", "login", "--provider", "google")
	if code != ExitLoginNeeded || !strings.Contains(stderr, "access_denied") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(te.dir, ".systemprompt", "credentials.json")); err == nil {
		t.Error("a denied login saved credentials")
	}
}

func TestLoginWithToken(t *testing.T) {
	te := newTestEnv(t, true)
	tok, _ := te.emu.IssueToken("dev@example.com")
	te.stdin = "not-a-token\n"
	if code, _, _ := te.run("auth", "login", "--with-token"); code == 0 {
		t.Fatal("a bad token was accepted")
	}
	if _, err := os.Stat(filepath.Join(te.dir, ".systemprompt", "credentials.json")); err == nil {
		t.Fatal("a refused token changed the disk")
	}
	te.stdin = tok + "\n"
	if code, _, stderr := te.run("auth", "login", "--with-token"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	creds, err := store.LoadCredentials(filepath.Join(te.dir, ".systemprompt", "credentials.json"))
	if err != nil || creds.APIToken != tok {
		t.Fatalf("saved: %+v %v", creds, err)
	}
}

func TestReferenceProjectOffline(t *testing.T) {
	te := newTestEnv(t, false)
	testkit.CopyTree(t, filepath.Join(fixtures, "reference-project"), te.dir)
	sub := filepath.Join(te.dir, "services", "web")

	for _, dir := range []string{te.dir, sub} {
		te.dir = dir
		code, out, stderr := te.run("auth", "whoami", "--json")
		var w whoami
		if code != 0 || json.Unmarshal([]byte(out), &w) != nil || w.UserEmail != "dev@example.com" || w.TokenState != "valid" {
			t.Fatalf("whoami in %s: %d %s %s", dir, code, out, stderr)
		}
		code, out, _ = te.run("tenant", "list", "--offline", "--json")
		var ts []store.StoredTenant
		if code != 0 || json.Unmarshal([]byte(out), &ts) != nil || len(ts) != 2 {
			t.Fatalf("tenant list --offline in %s: %d %s", dir, code, out)
		}
	}
	te.env["SYSTEMPROMPT_PROFILE"] = filepath.Join(te.dir, "../../.systemprompt/profiles/production/profile.yaml")
	code, out, stderr := te.run("tenant", "show", "--offline", "--json")
	var tn store.StoredTenant
	if code != 0 || json.Unmarshal([]byte(out), &tn) != nil || tn.ID != "f800de73-2bdf-4c44-8b65-7b2f2bbad456" {
		t.Fatalf("tenant show: %d %s %s", code, out, stderr)
	}
}

func TestBrokenCredentialsNeedLogin(t *testing.T) {
	cases := map[string]string{
		"missing":   "",
		"truncated": "credentials-truncated.json",
		"bad email": "credentials-bad-email.json",
		"expired":   "credentials-expired.json",
	}
	for name, file := range cases {
		te := newTestEnv(t, false)
		sp := filepath.Join(te.dir, ".systemprompt")
		os.MkdirAll(sp, 0o700)
		var before []byte
		if file != "" {
			before, _ = os.ReadFile(filepath.Join(fixtures, file))
			os.WriteFile(filepath.Join(sp, "credentials.json"), before, 0o600)
		}
		for _, args := range [][]string{{"auth", "whoami"}, {"tenant", "list"}, {"plans"}} {
			code, _, stderr := te.run(args...)
			if code != ExitLoginNeeded || !strings.Contains(stderr, "spcloud auth login") || strings.Contains(stderr, "panic") {
				t.Errorf("%s: %v: exit %d: %s", name, args, code, stderr)
			}
		}
		if file != "" {
			after, _ := os.ReadFile(filepath.Join(sp, "credentials.json"))
			if string(after) != string(before) {
				t.Errorf("%s: a read-only command changed the file", name)
			}
		}
	}
}

func TestLoginOverCorruptedCredentials(t *testing.T) {
	te := newTestEnv(t, true)
	sp := filepath.Join(te.dir, ".systemprompt")
	os.MkdirAll(sp, 0o700)
	broken, _ := os.ReadFile(filepath.Join(fixtures, "credentials-truncated.json"))
	os.WriteFile(filepath.Join(sp, "credentials.json"), broken, 0o644) // as a careless editor left it
	code, _, stderr := te.run("auth", "login")
	if code != 0 || !strings.Contains(stderr, "kept as") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	matches, _ := filepath.Glob(filepath.Join(sp, "credentials.json.corrupt-*"))
	if len(matches) != 1 {
		t.Fatalf("set-aside copies: %v", matches)
	}
	if b, _ := os.ReadFile(matches[0]); string(b) != string(broken) {
		t.Error("the broken file was not kept as it was")
	}
	if st, err := os.Stat(matches[0]); err != nil {
		t.Error(err)
	} else if st.Mode().Perm() != 0o600 {
		t.Errorf("the kept copy may hold a token, yet its mode is %v", st.Mode().Perm())
	}
}

// A tenant create cut short after paying (Ctrl-C) says which tenant was
// bought and how to pick it up, and 'tenant list' then stores it.
func TestCreateCutShortAfterPaying(t *testing.T) {
	te := newTestEnv(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	te.serve(emulator.Options{StepDelay: 100 * time.Millisecond, Heartbeat: time.Second, OnEmit: func(_ string, ev api.ProvisioningEvent) {
		if ev.EventType == api.EventDatabaseCreated {
			once.Do(cancel)
		}
	}})
	if code, _, stderr := te.run("auth", "login"); code != 0 {
		t.Fatalf("login: %d %s", code, stderr)
	}
	code, _, stderr := te.runCtx(ctx, "tenant", "create", "--plan", "starter", "--region", "fra")
	if code != ExitCancelled || !strings.Contains(stderr, "The payment went through: tenant ") || !strings.Contains(stderr, "'spcloud tenant list' saves it") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	tenants := filepath.Join(te.dir, ".systemprompt", "tenants.json")
	if s, err := store.LoadTenants(tenants); err != nil || len(s.Tenants) != 0 {
		t.Fatalf("tenants.json before the list: %+v, %v", s, err)
	}
	if code, _, stderr := te.run("tenant", "list"); code != 0 {
		t.Fatalf("tenant list: %d %s", code, stderr)
	}
	if s, err := store.LoadTenants(tenants); err != nil || len(s.Tenants) != 1 || !strings.Contains(stderr, s.Tenants[0].ID) {
		t.Fatalf("tenants.json after the list: %+v, %v; the note said %q", s, err, stderr)
	}
}

// In a cloud container without a token, the way out is the environment, not
// a login (whose file the container does not read); a login there says so.
func TestContainerWithoutToken(t *testing.T) {
	te := newTestEnv(t, true)
	te.env["FLY_APP_NAME"] = "sp-app"
	code, _, stderr := te.run("auth", "whoami")
	if code != ExitLoginNeeded || !strings.Contains(stderr, "Hint: Set SYSTEMPROMPT_API_TOKEN") || strings.Contains(stderr, "auth login") {
		t.Fatalf("whoami: exit %d: %s", code, stderr)
	}
	code, _, stderr = te.run("auth", "login")
	if code != 0 || !strings.Contains(stderr, "Note: FLY_APP_NAME is set") {
		t.Fatalf("login: exit %d: %s", code, stderr)
	}
}
