package paths

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/internal/testkit"
)

const fixtures = "../../shared/spec/fixtures"

const prodTenant = "f800de73-2bdf-4c44-8b65-7b2f2bbad456"

func home(t *testing.T) string {
	t.Helper()
	h, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home folder:", err)
	}
	return h
}

func envOf(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestDiscover(t *testing.T) {
	root := testkit.CopyProject(t, "reference-project")
	empty := t.TempDir()
	cases := []struct {
		name      string
		from      string
		wantRoot  string
		wantFound bool
	}{
		{"project root", root, root, true},
		{"subfolder", filepath.Join(root, "services", "web"), root, true},
		{"inside .systemprompt", filepath.Join(root, ".systemprompt", "profiles", "local"), root, true},
		{"relative subfolder", relTo(t, filepath.Join(root, "services")), root, true},
		{"no project", empty, empty, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, found := Discover(c.from)
			if got != c.wantRoot || found != c.wantFound {
				t.Errorf("Discover(%s) = %s, %v; want %s, %v", c.from, got, found, c.wantRoot, c.wantFound)
			}
		})
	}
	// A file named .systemprompt is not a project.
	notDir := t.TempDir()
	os.WriteFile(filepath.Join(notDir, DirName), nil, 0o600)
	if got, found := Discover(notDir); found || got != notDir {
		t.Errorf("a file .systemprompt counted as a project: %s %v", got, found)
	}
}

// relTo returns p relative to the working directory.
func relTo(t *testing.T, p string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	r, err := filepath.Rel(wd, p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPathExpandHome(t *testing.T) {
	h := home(t)
	cases := []struct{ in, want string }{
		{"~", h},
		{"~/", h},
		{"~/x", filepath.Join(h, "x")},
		{"~/.systemprompt/credentials.json", filepath.Join(h, ".systemprompt", "credentials.json")},
		{"~other/x", "~other/x"},
		{"x/~/y", "x/~/y"},
		{"relative/x", "relative/x"},
		{"/abs/x", "/abs/x"},
		{"", ""},
	}
	for _, c := range cases {
		got, err := ExpandHome(c.in)
		if err != nil || got != c.want {
			t.Errorf("ExpandHome(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestPathResolve(t *testing.T) {
	h := home(t)
	base := "/proj/.systemprompt/profiles/local"
	cases := []struct{ p, want string }{
		{"~", h},
		{"~/x", filepath.Join(h, "x")},
		{"./credentials.json", "/proj/.systemprompt/profiles/local/credentials.json"},
		{"credentials.json", "/proj/.systemprompt/profiles/local/credentials.json"},
		{"../../credentials.json", "/proj/.systemprompt/credentials.json"},
		{"/var/lib/x/tenants.json", "/var/lib/x/tenants.json"},
		{"/var/lib/x/../y/./tenants.json", "/var/lib/y/tenants.json"},
	}
	for _, c := range cases {
		got, err := Resolve(base, c.p)
		if err != nil || got != c.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", c.p, got, err, c.want)
		}
	}
}

func TestPathLayout(t *testing.T) {
	l := NewLayout("/p")
	pl := l.Profile("prod")
	cases := []struct{ got, want string }{
		{l.Dir, "/p/.systemprompt"},
		{l.Credentials(), "/p/.systemprompt/credentials.json"},
		{l.Tenants(), "/p/.systemprompt/tenants.json"},
		{l.LegacySession(), "/p/.systemprompt/session.json"},
		{l.SessionsDir(), "/p/.systemprompt/sessions"},
		{l.SessionsIndex(), "/p/.systemprompt/sessions/index.json"},
		{l.Profiles(), "/p/.systemprompt/profiles"},
		{l.Docker(), "/p/.systemprompt/docker"},
		{l.Storage(), "/p/.systemprompt/storage"},
		{pl.Config(), "/p/.systemprompt/profiles/prod/profile.yaml"},
		{pl.Secrets(), "/p/.systemprompt/profiles/prod/secrets.json"},
		{pl.Dockerfile(), "/p/.systemprompt/profiles/prod/docker/Dockerfile"},
		{pl.Entrypoint(), "/p/.systemprompt/profiles/prod/docker/entrypoint.sh"},
		{pl.Dockerignore(), "/p/.systemprompt/profiles/prod/docker/Dockerfile.dockerignore"},
		{pl.Compose(), "/p/.systemprompt/profiles/prod/docker/compose.yaml"},
	}
	for _, c := range cases {
		if c.got != filepath.FromSlash(c.want) {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}

func TestProfiles(t *testing.T) {
	h := home(t)
	root := testkit.CopyProject(t, "reference-project")
	fixAbs, _ := filepath.Abs(fixtures)
	cases := []struct {
		name        string
		path        string
		wantName    string
		hasCloud    bool
		tenantID    string
		validation  Validation
		credentials string
		tenants     string
	}{
		{"home paths", filepath.Join(fixtures, "profile-home-paths.yaml"), "homepaths", true, "", ValidationStrict,
			filepath.Join(h, ".systemprompt", "credentials.json"), "/var/lib/systemprompt/tenants.json"},
		{"no cloud section", filepath.Join(fixtures, "profile-no-cloud.yaml"), "bare", false, "", ValidationStrict,
			filepath.Join(fixAbs, "credentials.json"), filepath.Join(fixAbs, "tenants.json")},
		{"reference production", filepath.Join(root, ".systemprompt", "profiles", "production", "profile.yaml"), "production", true, prodTenant, ValidationStrict,
			filepath.Join(root, ".systemprompt", "credentials.json"), filepath.Join(root, ".systemprompt", "tenants.json")},
		{"reference local", filepath.Join(root, ".systemprompt", "profiles", "local", "profile.yaml"), "local", true, "local_19bff27604c", ValidationWarn,
			filepath.Join(root, ".systemprompt", "credentials.json"), filepath.Join(root, ".systemprompt", "tenants.json")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := LoadProfile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != c.wantName || p.HasCloud != c.hasCloud || p.Cloud.TenantID != c.tenantID || p.Cloud.Validation != c.validation {
				t.Errorf("profile = %+v", p)
			}
			if !filepath.IsAbs(p.Path) || p.Dir != filepath.Dir(p.Path) {
				t.Errorf("path %s, dir %s", p.Path, p.Dir)
			}
			if cp, err := p.CredentialsPath(); err != nil || cp != c.credentials {
				t.Errorf("credentials = %s, %v; want %s", cp, err, c.credentials)
			}
			if tp, err := p.TenantsPath(); err != nil || tp != c.tenants {
				t.Errorf("tenants = %s, %v; want %s", tp, err, c.tenants)
			}
		})
	}
	// The resolved paths of the reference profiles are the project's files.
	p, _ := LoadProfile(filepath.Join(root, ".systemprompt", "profiles", "production", "profile.yaml"))
	cp, _ := p.CredentialsPath()
	if _, err := os.Stat(cp); err != nil {
		t.Errorf("production credentials path %s: %v", cp, err)
	}
	if p.Cloud.CredentialsPath != "../../credentials.json" {
		t.Errorf("the raw path should stay as written: %q", p.Cloud.CredentialsPath)
	}
	no, _ := LoadProfile(filepath.Join(fixtures, "profile-no-cloud.yaml"))
	if no.Cloud.CredentialsPath != DefaultCredentialsPath || no.Cloud.TenantsPath != DefaultTenantsPath {
		t.Errorf("defaults = %+v", no.Cloud)
	}
}

func TestProfileParseErrors(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		kind *spcloud.Kind
	}{
		{"bad validation", "name: x\ncloud:\n  validation: loose\n", spcloud.ErrProfileField},
		{"not yaml", "name: [x\n", spcloud.ErrProfileField},
		{"cloud not a map", "cloud: 3\n", spcloud.ErrProfileField},
	}
	for _, c := range cases {
		_, err := ParseProfile("/p/profiles/x/profile.yaml", []byte(c.doc))
		if !errors.Is(err, c.kind) {
			t.Errorf("%s: err = %v, want %s", c.name, err, c.kind.Name())
		}
	}
	for _, v := range []Validation{ValidationStrict, ValidationWarn, ValidationSkip} {
		p, err := ParseProfile("/p/x/profile.yaml", []byte("cloud:\n  validation: "+string(v)+"\n"))
		if err != nil || p.Cloud.Validation != v {
			t.Errorf("%s: %+v %v", v, p, err)
		}
	}
	// Without a name the folder names the profile.
	p, err := ParseProfile("/p/profiles/staging/profile.yaml", []byte("cloud:\n  tenant_id: t\n"))
	if err != nil || p.Name != "staging" || p.Cloud.TenantID != "t" {
		t.Errorf("unnamed: %+v %v", p, err)
	}
	if _, err := LoadProfile(filepath.Join(t.TempDir(), "none.yaml")); !errors.Is(err, spcloud.ErrProfileRequired) {
		t.Errorf("missing profile: %v", err)
	}
}

func TestPathResolveFiles(t *testing.T) {
	h := home(t)
	root := testkit.CopyProject(t, "reference-project")
	sp := filepath.Join(root, ".systemprompt")
	prod := filepath.Join(sp, "profiles", "production", "profile.yaml")
	homeProfile, _ := filepath.Abs(filepath.Join(fixtures, "profile-home-paths.yaml"))
	empty := t.TempDir()
	cases := []struct {
		name        string
		cwd         string
		env         map[string]string
		root        string
		found       bool
		profile     string
		credentials string
		tenants     string
		tenantID    string
	}{
		{"project, no profile", filepath.Join(root, "services", "web"), nil, root, true, "",
			filepath.Join(sp, "credentials.json"), filepath.Join(sp, "tenants.json"), ""},
		{"no project", empty, nil, empty, false, "",
			filepath.Join(empty, DirName, "credentials.json"), filepath.Join(empty, DirName, "tenants.json"), ""},
		{"profile, absolute", filepath.Join(root, "services"), map[string]string{"SYSTEMPROMPT_PROFILE": prod}, root, true, "production",
			filepath.Join(sp, "credentials.json"), filepath.Join(sp, "tenants.json"), prodTenant},
		{"profile, relative to cwd", root, map[string]string{"SYSTEMPROMPT_PROFILE": ".systemprompt/profiles/production/profile.yaml"}, root, true, "production",
			filepath.Join(sp, "credentials.json"), filepath.Join(sp, "tenants.json"), prodTenant},
		{"profile outside the project", empty, map[string]string{"SYSTEMPROMPT_PROFILE": homeProfile}, empty, false, "homepaths",
			filepath.Join(h, ".systemprompt", "credentials.json"), "/var/lib/systemprompt/tenants.json", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := ResolveFiles(c.cwd, envOf(c.env))
			if err != nil {
				t.Fatal(err)
			}
			if r.Layout.Root != c.root || r.Found != c.found {
				t.Errorf("root %s %v; want %s %v", r.Layout.Root, r.Found, c.root, c.found)
			}
			if (r.Profile == nil) != (c.profile == "") || (r.Profile != nil && r.Profile.Name != c.profile) {
				t.Errorf("profile = %+v, want %q", r.Profile, c.profile)
			}
			if r.Credentials != c.credentials || r.Tenants != c.tenants || r.TenantID != c.tenantID {
				t.Errorf("resolved %s %s %q; want %s %s %q", r.Credentials, r.Tenants, r.TenantID, c.credentials, c.tenants, c.tenantID)
			}
		})
	}
	_, err := ResolveFiles(root, envOf(map[string]string{"SYSTEMPROMPT_PROFILE": "nowhere/profile.yaml"}))
	if !errors.Is(err, spcloud.ErrProfileRequired) {
		t.Errorf("missing profile: %v", err)
	}
}
