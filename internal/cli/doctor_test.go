package cli

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spcloud/spcloud/internal/testkit"
)

// doctorAPIStub answers /healthz (unless noHealth) and /api/v1/auth/me
// (200 for the reference project's token, else 401).
func doctorAPIStub(t *testing.T, noHealth bool) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	creds, _ := os.ReadFile(filepath.Join(fixtures, "reference-project", ".systemprompt", "credentials.json"))
	var c struct {
		APIToken string `json:"api_token"`
	}
	json.Unmarshal(creds, &c)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		switch {
		case r.URL.Path == "/healthz" && !noHealth:
			fmt.Fprint(w, "ok")
		case r.URL.Path == "/api/v1/auth/me":
			if r.Header.Get("Authorization") != "Bearer "+c.APIToken {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"error":{"code":"unauthorized","message":"bad token"}}`)
				return
			}
			fmt.Fprint(w, `{"user":{"id":"usr_7f3a9c","email":"dev@example.com"},"tenants":[]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// treeState records every file and folder under dir with its mode, size,
// modification time and content, to show that nothing changed.
func treeState(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, _ := d.Info()
		v := fmt.Sprintf("%v %d %v", st.Mode(), st.Size(), st.ModTime().UnixNano())
		if !d.IsDir() {
			b, _ := os.ReadFile(p)
			v += " " + string(b)
		}
		m[p] = v
		return nil
	})
	return m
}

func decodeDoctor(t *testing.T, out string) doctorReport {
	t.Helper()
	var r doctorReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, out)
	}
	return r
}

func doctorPathOf(r doctorReport, name string) doctorPath {
	for _, p := range r.Paths {
		if p.Name == name {
			return p
		}
	}
	return doctorPath{}
}

func TestDoctorReferenceProject(t *testing.T) {
	root := testkit.CopyProject(t, "reference-project")
	srv, calls := doctorAPIStub(t, false)
	env := map[string]string{"SYSTEMPROMPT_API_URL": srv.URL}
	before := treeState(t, root)

	code, out, errOut := sessRun(t, filepath.Join(root, "services", "web"), env, "doctor", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	r := decodeDoctor(t, out)
	if !r.OK || len(r.Problems) != 0 {
		t.Errorf("problems: %v", r.Problems)
	}
	if r.Project.Root != root || !r.Project.Discovered {
		t.Errorf("project = %+v", r.Project)
	}
	sp := filepath.Join(root, ".systemprompt")
	for _, want := range []struct{ name, path string }{
		{"credentials", filepath.Join(sp, "credentials.json")},
		{"tenants", filepath.Join(sp, "tenants.json")},
		{"sessions_index", filepath.Join(sp, "sessions", "index.json")},
	} {
		p := doctorPathOf(r, want.name)
		if p.Path != want.path || !p.Exists || p.Parses == nil || !*p.Parses || p.Mode != "0600" {
			t.Errorf("%s = %+v", want.name, p)
		}
	}
	if l := doctorPathOf(r, "legacy_session"); l.Path != filepath.Join(sp, "session.json") || l.Exists {
		t.Errorf("legacy = %+v", l)
	}
	if r.Token.State != "valid" || r.Token.Source != "file" || r.Token.UserEmail != "dev@example.com" || r.Token.ExpiresAt != "2100-01-01T00:00:00Z" {
		t.Errorf("token = %+v", r.Token)
	}
	if !r.API.Checked || !r.API.Reachable || r.API.Status != 200 || r.API.Endpoint != "/healthz" || r.API.TokenAccepted == nil || !*r.API.TokenAccepted {
		t.Errorf("api = %+v", r.API)
	}
	if r.Tenant == nil || r.Tenant.ID != sessProdTenant || !r.Tenant.Known || r.Tenant.Name != "acme-prod" {
		t.Errorf("tenant = %+v", r.Tenant)
	}
	if r.Session == nil || r.Session.Display != "tenant:"+sessProdTenant || r.Session.State != "valid" {
		t.Errorf("session = %+v", r.Session)
	}
	if len(r.Folders) != 2 {
		t.Errorf("folders = %+v", r.Folders)
	}
	for _, d := range r.Folders {
		if d.Mode != "0700" || !d.Gitignore {
			t.Errorf("folder %+v", d)
		}
	}
	if calls.Load() == 0 {
		t.Error("the API was not asked")
	}

	// With the production profile, the tenant comes from it.
	env["SYSTEMPROMPT_PROFILE"] = filepath.Join(sp, "profiles", "production", "profile.yaml")
	code, out, errOut = sessRun(t, root, env, "doctor", "--json")
	if code != 0 {
		t.Fatalf("with profile: exit %d: %s", code, errOut)
	}
	r = decodeDoctor(t, out)
	if r.Profile == nil || r.Profile.Name != "production" || r.Profile.TenantID != sessProdTenant || r.Tenant.Source != "profile" {
		t.Errorf("profile %+v, tenant %+v", r.Profile, r.Tenant)
	}
	if p := doctorPathOf(r, "profile"); !p.Exists || p.Parses == nil || !*p.Parses {
		t.Errorf("profile path = %+v", p)
	}

	// The human report.
	delete(env, "SYSTEMPROMPT_PROFILE")
	code, out, _ = sessRun(t, root, env, "doctor")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"Project:  " + root, "Token:    valid, expires 2100-01-01T00:00:00Z", "API:      " + srv.URL + " answered GET /healthz with 200", "token accepted", "tenant:" + sessProdTenant, "All is well."} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}

	after := treeState(t, root)
	if len(before) != len(after) {
		t.Errorf("doctor created or removed files: %d -> %d", len(before), len(after))
	}
	for p, v := range before {
		if after[p] != v {
			t.Errorf("doctor changed %s", p)
		}
	}
}

func TestDoctorFindsModeProblems(t *testing.T) {
	root := testkit.CopyProject(t, "reference-project")
	sp := filepath.Join(root, ".systemprompt")
	os.Chmod(filepath.Join(sp, "credentials.json"), 0o644)
	os.Chmod(filepath.Join(sp, "sessions"), 0o755)
	os.Remove(filepath.Join(sp, ".gitignore"))
	code, out, errOut := sessRun(t, root, nil, "doctor", "--json", "--offline")
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, errOut)
	}
	r := decodeDoctor(t, out)
	all := strings.Join(r.Problems, "\n")
	for _, want := range []string{"credentials.json has mode 0644", sp + " has no .gitignore"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
	// An open folder shows names, not contents: a warning.
	if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, filepath.Join(sp, "sessions")+" has mode 0755") || strings.Contains(all, "0755") {
		t.Errorf("the open folder: warnings %q, problems %q", w, all)
	}
	if r.OK || r.API.Checked {
		t.Errorf("ok %v, api %+v", r.OK, r.API)
	}
	if !strings.Contains(errOut, "doctor found 2 problems") {
		t.Errorf("stderr: %s", errOut)
	}
}

func TestDoctorUnreachableAPI(t *testing.T) {
	root := testkit.CopyProject(t, "reference-project")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	code, out, errOut := sessRun(t, root, map[string]string{"SYSTEMPROMPT_API_URL": dead}, "doctor", "--json", "--timeout", "2s")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	r := decodeDoctor(t, out)
	if !r.API.Checked || r.API.Reachable || r.API.Error == "" || r.API.URL != dead {
		t.Errorf("api = %+v", r.API)
	}
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "does not answer") {
		t.Errorf("problems = %v", r.Problems)
	}
	if r.Token.State != "valid" {
		t.Errorf("the token state is still reported: %+v", r.Token)
	}
}

func TestDoctorHealthzFallbackAndRefusedToken(t *testing.T) {
	root := testkit.CopyProject(t, "reference-project")
	srv, _ := doctorAPIStub(t, true)
	code, out, errOut := sessRun(t, root, map[string]string{"SYSTEMPROMPT_API_URL": srv.URL}, "doctor", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	r := decodeDoctor(t, out)
	if r.API.Endpoint != "/api/v1/auth/me" || r.API.Status != 200 || r.API.TokenAccepted == nil || !*r.API.TokenAccepted {
		t.Errorf("api = %+v", r.API)
	}
	// Another token, from the environment: refused.
	tok := "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln"
	code, out, _ = sessRun(t, root, map[string]string{"SYSTEMPROMPT_API_URL": srv.URL, "SYSTEMPROMPT_API_TOKEN": tok}, "doctor", "--json")
	r = decodeDoctor(t, out)
	if code != 1 || r.API.TokenAccepted == nil || *r.API.TokenAccepted || r.Token.Source != "env" {
		t.Errorf("refused token: exit %d, api %+v, token %+v", code, r.API, r.Token)
	}
	if strings.Contains(out, tok) {
		t.Error("the token reached the report")
	}
}

func TestDoctorExpiredAndMissingCredentials(t *testing.T) {
	root := testkit.CopyProject(t, "reference-project")
	expired, _ := os.ReadFile(filepath.Join(fixtures, "credentials-expired.json"))
	os.WriteFile(filepath.Join(root, ".systemprompt", "credentials.json"), expired, 0o600)
	code, out, _ := sessRun(t, root, nil, "doctor", "--json", "--offline")
	r := decodeDoctor(t, out)
	if code != 1 || r.Token.State != "expired" || !strings.Contains(strings.Join(r.Problems, "\n"), "expired") {
		t.Errorf("expired: exit %d, token %+v, problems %v", code, r.Token, r.Problems)
	}

	truncated, _ := os.ReadFile(filepath.Join(fixtures, "credentials-truncated.json"))
	os.WriteFile(filepath.Join(root, ".systemprompt", "credentials.json"), truncated, 0o600)
	code, out, _ = sessRun(t, root, nil, "doctor", "--json", "--offline")
	r = decodeDoctor(t, out)
	if p := doctorPathOf(r, "credentials"); code != 1 || !p.Exists || p.Parses == nil || *p.Parses || len(r.Problems) != 1 || r.Token.State != "corrupted" {
		t.Errorf("truncated: exit %d, %+v, problems %v", code, p, r.Problems)
	}

	empty := t.TempDir()
	code, out, _ = sessRun(t, empty, nil, "doctor", "--json", "--offline")
	r = decodeDoctor(t, out)
	if code != 1 || r.Project.Discovered || r.Token.State != "missing" || !strings.Contains(strings.Join(r.Problems, "\n"), "not logged in") {
		t.Errorf("no project: exit %d, %+v", code, r)
	}
	if _, err := os.Stat(filepath.Join(empty, ".systemprompt")); !os.IsNotExist(err) {
		t.Error("doctor created .systemprompt")
	}
}

func TestDoctorLegacyProjectIsNotMigrated(t *testing.T) {
	root := testkit.CopyProject(t, "legacy-project")
	code, out, _ := sessRun(t, root, nil, "doctor", "--json", "--offline")
	r := decodeDoctor(t, out)
	if l := doctorPathOf(r, "legacy_session"); !l.Exists || l.Parses == nil || !*l.Parses {
		t.Errorf("legacy = %+v", l)
	}
	if !strings.Contains(strings.Join(r.Warnings, "\n"), "legacy") {
		t.Errorf("warnings = %v", r.Warnings)
	}
	if _, err := os.Stat(filepath.Join(root, ".systemprompt", "session.json")); err != nil {
		t.Error("doctor moved the legacy session")
	}
	if code != 1 { // not logged in
		t.Errorf("exit %d", code)
	}
}

func TestDoctorBrokenProfile(t *testing.T) {
	root := testkit.CopyProject(t, "reference-project")
	code, out, _ := sessRun(t, root, map[string]string{"SYSTEMPROMPT_PROFILE": filepath.Join(root, "nowhere.yaml")}, "doctor", "--json", "--offline")
	r := decodeDoctor(t, out)
	if code != 1 || r.Profile == nil || r.Profile.Error == "" || r.Project.Root != root {
		t.Errorf("broken profile: exit %d, %+v", code, r.Profile)
	}
	if p := doctorPathOf(r, "credentials"); !p.Exists {
		t.Errorf("the rest is still checked: %+v", r.Paths)
	}
}
