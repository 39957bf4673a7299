package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spcloud/spcloud/internal/testkit"
)

// Commands that act on a tenant, run before any login, say to log in (exit 4)
// rather than to create a tenant.
func TestTenantCommandsBeforeLoginNeedLogin(t *testing.T) {
	te := newTestEnv(t, true)
	for _, args := range [][]string{{"secrets", "list"}, {"domain", "show"}, {"tenant", "status"}, {"deploy", "--image", "a:1"}} {
		code, _, stderr := te.run(args...)
		if code != ExitLoginNeeded || !strings.Contains(stderr, "spcloud auth login") {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
}

// A broken tenants.json behind a tenant command is named, with logging in
// as the fix (exit 4), not creating a tenant; the file stays as it was.
func TestBrokenTenantsFileBehindTenantCommands(t *testing.T) {
	te := newTestEnv(t, true)
	te.mustRun("auth", "login", "--provider", "github")
	file := filepath.Join(te.dir, ".systemprompt", "tenants.json")
	broken := []byte(`{"tenants": [ {"id": "`)
	if err := os.WriteFile(file, broken, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"tenant", "show", "--offline"}, {"tenant", "status"}, {"secrets", "list"}} {
		code, _, stderr := te.run(args...)
		if code != ExitLoginNeeded || !strings.Contains(stderr, "tenants.json") || !strings.Contains(stderr, "spcloud auth login") ||
			strings.Contains(stderr, "tenant create") {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
	if got, _ := os.ReadFile(file); string(got) != string(broken) {
		t.Errorf("tenants.json changed: %q", got)
	}
}

func TestLogoutWhenNotLoggedInTouchesNothing(t *testing.T) {
	te := newTestEnv(t, false)
	code, _, stderr := te.run("auth", "logout", "--yes")
	if code != 0 || !strings.Contains(stderr, "Not logged in") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(te.dir, ".systemprompt")); err == nil {
		t.Error("logout created .systemprompt/")
	}
}

// A tenant can be named by its name where tenants.json knows it.
func TestTenantByName(t *testing.T) {
	te := newTestEnv(t, false)
	testkit.CopyTree(t, filepath.Join(fixtures, "reference-project"), te.dir)
	code, out, stderr := te.run("tenant", "show", "acme-prod", "--offline", "--json")
	if code != 0 || !strings.Contains(out, "f800de73-2bdf-4c44-8b65-7b2f2bbad456") {
		t.Fatalf("exit %d: %s %s", code, out, stderr)
	}
	if strings.Contains(out, "s3cret") || strings.Contains(out, "syt_5d1c0e2a9b") {
		t.Errorf("secrets shown without --reveal: %s", out)
	}
	// --tenant works here too, as the ambiguity hint says.
	code, out2, stderr := te.run("tenant", "show", "--tenant", "acme-prod", "--offline", "--json")
	if code != 0 || out2 != out {
		t.Fatalf("--tenant: exit %d: %s %s", code, out2, stderr)
	}
	if code, _, stderr := te.run("tenant", "show", "acme-prod", "--tenant", "other", "--offline"); code != 1 || !strings.Contains(stderr, "named twice") {
		t.Fatalf("two tenants: exit %d: %s", code, stderr)
	}
}

// A token from SYSTEMPROMPT_API_TOKEN that is not a JWT is reported as such,
// with advice that fits: logging in cannot override the variable.
func TestBadEnvironmentToken(t *testing.T) {
	te := newTestEnv(t, true)
	te.env["SYSTEMPROMPT_API_TOKEN"] = "bogus"
	code, _, stderr := te.run("plans")
	if code != ExitLoginNeeded || !strings.Contains(stderr, "SYSTEMPROMPT_API_TOKEN") || !strings.Contains(stderr, "unset it") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

// A credentials file whose token is no JWT counts as expired (CONTRACT §2)
// and says why, online and offline.
func TestUnreadableTokenSaysWhy(t *testing.T) {
	te := newTestEnv(t, false)
	sp := filepath.Join(te.dir, ".systemprompt")
	os.MkdirAll(sp, 0o700)
	os.WriteFile(filepath.Join(sp, "credentials.json"),
		[]byte(`{"api_token": "not-a-jwt", "api_url": "https://api.systemprompt.io", "authenticated_at": "2026-01-01T00:00:00Z"}`), 0o600)
	code, out, stderr := te.run("auth", "whoami")
	if code != ExitLoginNeeded || !strings.Contains(out, "unreadable: not a JWT") || !strings.Contains(stderr, "the token is not a readable JWT") {
		t.Errorf("whoami: exit %d: %s %s", code, out, stderr)
	}
	code, _, stderr = te.run("plans")
	if code != ExitLoginNeeded || !strings.Contains(stderr, "not a readable JWT") || strings.Contains(stderr, "not-a-jwt") {
		t.Errorf("plans: exit %d: %s", code, stderr)
	}
}

// A typo under a command group fails like one at the top level, so that a
// script does not carry on as if it had worked; the group alone shows help.
func TestUnknownSubcommandFails(t *testing.T) {
	te := newTestEnv(t, false)
	for _, group := range []string{"auth", "tenant", "secrets", "domain", "session"} {
		code, out, stderr := te.run(group, "bogus")
		if code != ExitError || out != "" || !strings.Contains(stderr, `unknown command "bogus" for "spcloud `+group+`"`) {
			t.Errorf("%s bogus: exit %d, stdout %q, stderr %q", group, code, out, stderr)
		}
		if code, out, _ := te.run(group); code != 0 || !strings.Contains(out, "Available Commands") {
			t.Errorf("%s alone: exit %d: %s", group, code, out)
		}
	}
}
