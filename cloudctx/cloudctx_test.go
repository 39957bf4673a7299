package cloudctx

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/paths"
	"github.com/spcloud/spcloud/store"
)

const refProject = "../../shared/spec/fixtures/reference-project"

func envOf(m map[string]string) paths.Getenv { return func(k string) string { return m[k] } }

func TestLoadCredentialsSources(t *testing.T) {
	files, err := paths.ResolveFiles(refProject, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		env    map[string]string
		source Source
		url    string
		email  string
		err    *spcloud.Kind
	}{
		{"file", nil, FromFile, "https://api.systemprompt.io", "dev@example.com", nil},
		{"env token overrides the file", map[string]string{"SYSTEMPROMPT_API_TOKEN": "t"}, FromEnv, "http://flag", "", nil},
		{"container", map[string]string{"FLY_APP_NAME": "sp-x", "SYSTEMPROMPT_API_TOKEN": "t", "SYSTEMPROMPT_USER_EMAIL": "a@b.c"}, FromContainer, "https://api.systemprompt.io", "a@b.c", nil},
		{"container with its own URL", map[string]string{"FLY_APP_NAME": "sp-x", "SYSTEMPROMPT_API_TOKEN": "t", "SYSTEMPROMPT_API_URL": "https://api-sandbox.systemprompt.io/"}, FromContainer, "https://api-sandbox.systemprompt.io", "", nil},
		{"container without a token", map[string]string{"FLY_APP_NAME": "sp-x"}, "", "", "", spcloud.ErrNotAuthenticated},
	}
	for _, c := range cases {
		got, err := LoadCredentials(files, envOf(c.env), "http://flag")
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("%s: err = %v", c.name, err)
			}
			continue
		}
		if err != nil || got.Source != c.source || got.APIURL != c.url || got.UserEmail != c.email {
			t.Errorf("%s: %+v %v", c.name, got, err)
		}
	}
}

func TestProfileValidationMode(t *testing.T) {
	dir := t.TempDir()
	bad, _ := filepath.Abs("../../shared/spec/fixtures/credentials-bad-email.json")
	for _, mode := range []string{"strict", "warn", "skip"} {
		prof := filepath.Join(dir, mode+".yaml")
		writeFile(t, prof, "name: "+mode+"\ncloud:\n  credentials_path: "+bad+"\n  validation: "+mode+"\n")
		files, err := paths.ResolveFiles(dir, envOf(map[string]string{"SYSTEMPROMPT_PROFILE": prof}))
		if err != nil {
			t.Fatal(err)
		}
		c, err := LoadCredentials(files, envOf(nil), "")
		switch mode {
		case "strict":
			if !errors.Is(err, spcloud.ErrCredentialsCorrupted) {
				t.Errorf("strict: %v", err)
			}
		case "warn":
			if err != nil || !strings.Contains(c.Warning, "not-an-email") {
				t.Errorf("warn: %+v %v", c, err)
			}
		case "skip":
			if err != nil || c.Warning != "" {
				t.Errorf("skip: %+v %v", c, err)
			}
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestRequireValidRefusesAnExpiredEnvToken(t *testing.T) {
	files, _ := paths.ResolveFiles(refProject, envOf(nil))
	_, err := RequireValid(files, envOf(map[string]string{"SYSTEMPROMPT_API_TOKEN": "not-a-jwt"}), "http://x", time.Now())
	if !errors.Is(err, spcloud.ErrTokenExpired) || !strings.Contains(err.Error(), "SYSTEMPROMPT_API_TOKEN") {
		t.Fatalf("err = %v", err)
	}
}

func TestResolveTenantOrder(t *testing.T) {
	tenants, err := store.LoadTenants(filepath.Join(refProject, ".systemprompt", "tenants.json"))
	if err != nil {
		t.Fatal(err)
	}
	prof := &paths.Resolved{TenantID: "from-profile"}
	none := &paths.Resolved{}
	cases := []struct {
		name, flag, selected string
		files                *paths.Resolved
		want                 string
	}{
		{"flag wins", "from-flag", "sel", prof, "from-flag"},
		{"then the profile", "", "sel", prof, "from-profile"},
		{"then the selection", "", "sel", none, "sel"},
		{"then the only cloud tenant", "", "", none, "f800de73-2bdf-4c44-8b65-7b2f2bbad456"},
	}
	for _, c := range cases {
		if got, err := ResolveTenant(c.flag, c.files, c.selected, tenants); err != nil || got != c.want {
			t.Errorf("%s: %q %v", c.name, got, err)
		}
	}
	if _, err := ResolveTenant("", none, "", &store.TenantStore{}); !errors.Is(err, spcloud.ErrNoTenant) {
		t.Errorf("no tenant: %v", err)
	}
	two := &store.TenantStore{Tenants: []store.StoredTenant{{ID: "a", Name: "A", TenantType: store.TenantCloud}, {ID: "b", Name: "B", TenantType: store.TenantCloud}}}
	if _, err := ResolveTenant("", none, "", two); !errors.Is(err, spcloud.ErrTenantAmbiguous) || !strings.Contains(err.Error(), "b  B") {
		t.Errorf("two tenants: %v", err)
	}
}
