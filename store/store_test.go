package store

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/token"
)

const fixtures = "../../shared/spec/fixtures"

func refFile(name string) string {
	return filepath.Join(fixtures, "reference-project", ".systemprompt", name)
}

func TestReferenceCredentials(t *testing.T) {
	c, err := LoadCredentials(refFile("credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.UserEmail != "dev@example.com" || c.APIURL != "https://api.systemprompt.io" {
		t.Fatalf("creds = %+v", c)
	}
	if c.TokenState(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) != token.Valid {
		t.Error("the reference token (exp 2100) should be valid")
	}
}

func TestBrokenCredentials(t *testing.T) {
	cases := []struct {
		file string
		kind *spcloud.Kind
	}{
		{"credentials-truncated.json", spcloud.ErrCredentialsCorrupted},
		{"credentials-bad-email.json", spcloud.ErrCredentialsCorrupted},
		{"no-such-file.json", spcloud.ErrNotAuthenticated},
	}
	for _, c := range cases {
		path := filepath.Join(fixtures, c.file)
		_, err := LoadCredentials(path)
		if !errors.Is(err, c.kind) {
			t.Errorf("%s: err = %v, want kind %s", c.file, err, c.kind.Name())
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %q does not name the file", c.file, err)
		}
	}
	// Expired parses (it is valid), but its token is refused.
	c, err := LoadCredentials(filepath.Join(fixtures, "credentials-expired.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckToken(time.Now()); !errors.Is(err, spcloud.ErrTokenExpired) {
		t.Errorf("expired: %v", err)
	}
}

// roundTrip checks that loading and saving keeps the JSON equal.
func roundTrip(t *testing.T, src string, load func(string) (any, error), save func(string, any) error) {
	t.Helper()
	dir := t.TempDir()
	v, err := load(src)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, filepath.Base(src))
	if err := save(out, v); err != nil {
		t.Fatal(err)
	}
	var a, b any
	ab, _ := os.ReadFile(src)
	bb, _ := os.ReadFile(out)
	json.Unmarshal(ab, &a)
	json.Unmarshal(bb, &b)
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	if string(x) != string(y) {
		t.Fatalf("round trip changed %s:\n%s\n%s", src, x, y)
	}
	st, _ := os.Stat(out)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v", st.Mode().Perm())
	}
	gi, err := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if err != nil || strings.TrimSpace(string(gi)) != "*" {
		t.Errorf(".gitignore = %q, %v", gi, err)
	}
}

func TestRoundTrips(t *testing.T) {
	roundTrip(t, refFile("credentials.json"),
		func(p string) (any, error) { return LoadCredentials(p) },
		func(p string, v any) error { _, err := SaveCredentials(p, v.(*Credentials)); return err })
	roundTrip(t, refFile("tenants.json"),
		func(p string) (any, error) { return LoadTenants(p) },
		func(p string, v any) error {
			_, err := UpdateTenants(p, func(s *TenantStore) error { *s = *v.(*TenantStore); return nil })
			return err
		})
}

func TestReferenceTenants(t *testing.T) {
	s, err := LoadTenants(refFile("tenants.json"))
	if err != nil {
		t.Fatal(err)
	}
	local, cloud := s.Find("local_19bff27604c"), s.Find("f800de73-2bdf-4c44-8b65-7b2f2bbad456")
	if local == nil || local.IsCloud() || !local.HasDatabaseURL() {
		t.Errorf("local = %+v", local)
	}
	if cloud == nil || !cloud.IsCloud() || !cloud.HasDatabaseURL() || cloud.SyncToken != "syt_5d1c0e2a9b" {
		t.Errorf("cloud = %+v", cloud)
	}
	if !s.IsStale(time.Hour, time.Date(2026, 1, 22, 12, 0, 0, 0, time.UTC)) || s.IsStale(time.Hour, time.Date(2026, 1, 22, 10, 30, 0, 0, time.UTC)) {
		t.Error("IsStale wrong")
	}
}

func TestTenantDefaultsAndValidation(t *testing.T) {
	s, err := ParseTenants([]byte(`{"tenants":[{"id":"a","name":"n"}],"synced_at":"2026-01-01T00:00:00Z"}`))
	if err != nil || s.Tenants[0].TenantType != TenantLocal || s.Tenants[0].ExternalDBAccess {
		t.Fatalf("defaults: %+v %v", s, err)
	}
	for _, bad := range []string{
		`{"tenants":[{"id":"","name":"n"}],"synced_at":"2026-01-01T00:00:00Z"}`,
		`{"tenants":[{"id":"a","name":""}],"synced_at":"2026-01-01T00:00:00Z"}`,
		`{"tenants":[{"id":"a","name":"n","tenant_type":"moon"}],"synced_at":"2026-01-01T00:00:00Z"}`,
		`{"tenants":[],"synced_at":"yesterday"}`,
		`{"synced_at":"2026-01-01T00:00:00Z"}`,
		`{"tenants":[]}`,
		`{"tenants":[]`,
	} {
		if _, err := ParseTenants([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestTenantFromInfo(t *testing.T) {
	var me api.UserMeResponse
	b, _ := os.ReadFile(filepath.Join(fixtures, "api", "auth_me.json"))
	json.Unmarshal(b, &me)
	st := TenantFromInfo(me.Tenants[0])
	if !st.IsCloud() || st.DatabaseURL != "" || st.InternalDatabaseURL != me.Tenants[0].DatabaseURL || st.AppID != "sp-acme-prod" || !st.ExternalDBAccess {
		t.Fatalf("stored = %+v", st)
	}
	out, _ := json.Marshal(TenantFromInfo(me.Tenants[1]))
	for _, absent := range []string{"app_id", "hostname", "database_url", "sync_token"} {
		if strings.Contains(string(out), `"`+absent+`"`) {
			t.Errorf("absent %s written: %s", absent, out)
		}
	}
}

func TestSyncKeepsLocalTenantsAndSyncToken(t *testing.T) {
	s, _ := LoadTenants(refFile("tenants.json"))
	var me api.UserMeResponse
	b, _ := os.ReadFile(filepath.Join(fixtures, "api", "auth_me.json"))
	json.Unmarshal(b, &me)
	s.Sync(me.Tenants, time.Now())
	if len(s.Tenants) != 3 || s.Find("local_19bff27604c") == nil || s.Find("f800de73-2bdf-4c44-8b65-7b2f2bbad456").SyncToken != "syt_5d1c0e2a9b" {
		t.Fatalf("after sync: %+v", s.Tenants)
	}
}

func TestSaveOverBrokenFileKeepsItAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials.json")
	broken, _ := os.ReadFile(filepath.Join(fixtures, "credentials-truncated.json"))
	os.WriteFile(path, broken, 0o600)
	c, _ := LoadCredentials(refFile("credentials.json"))
	aside, err := SaveCredentials(path, c)
	if err != nil || aside == "" {
		t.Fatalf("aside %q, err %v", aside, err)
	}
	kept, _ := os.ReadFile(aside)
	if string(kept) != string(broken) {
		t.Error("the broken file's content was not kept")
	}
	if _, err := LoadCredentials(path); err != nil {
		t.Error(err)
	}
}

func FuzzParseCredentials(f *testing.F) {
	for _, n := range []string{"credentials-truncated.json", "credentials-bad-email.json", "credentials-expired.json"} {
		b, _ := os.ReadFile(filepath.Join(fixtures, n))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCredentials(b)
		if err == nil && c.Validate() != nil {
			t.Fatal("accepted invalid credentials")
		}
	})
}

func FuzzParseTenants(f *testing.F) {
	b, _ := os.ReadFile(refFile("tenants.json"))
	f.Add(b)
	f.Add([]byte(`{"tenants":[],"synced_at":"2026-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseTenants(b)
		if err != nil {
			return
		}
		if _, err := MarshalTenants(s); err != nil {
			t.Fatalf("parsed store does not marshal: %v", err)
		}
	})
}

func TestUpdateRemovesTempFilesOfKilledWriters(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tenants.json")
	orphan := filepath.Join(dir, ".tenants.json.tmp-123")
	os.WriteFile(orphan, []byte(`{"tenants":[`), 0o600)
	if err := WriteFile(path, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(orphan); err == nil {
		t.Fatal("the orphaned temporary file is still there")
	}
}
