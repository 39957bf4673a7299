package store

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spcloud/spcloud"
)

const prodTenant = "f800de73-2bdf-4c44-8b65-7b2f2bbad456"

func refSessions() string { return refFile(filepath.Join("sessions", "index.json")) }

func legacyFixture() string {
	return filepath.Join(fixtures, "legacy-project", ".systemprompt", "session.json")
}

// jsonEqual compares two JSON documents ignoring formatting and key order.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, a)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return reflect.DeepEqual(x, y)
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSessionReferenceStore(t *testing.T) {
	s, err := LoadSessions(refSessions())
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 1 || len(s.Sessions) != 2 {
		t.Fatalf("store = %+v", s)
	}
	key, active, ok := s.Active()
	if !ok || key != TenantKey(prodTenant) || active.ProfileName != "production" || active.ProfilePath != ".systemprompt/profiles/production/profile.yaml" {
		t.Fatalf("active = %v %+v %v", key, active, ok)
	}
	local, ok := s.Get(LocalKey())
	if !ok || local.UserID != "system" || local.UserType != UserAdmin || local.TenantKey != "local" {
		t.Fatalf("local = %+v", local)
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if local.IsValidFor(LocalKey(), now) {
		t.Error("the local session expired on 2026-01-21")
	}
	if !active.IsValidFor(TenantKey(prodTenant), now) || active.IsValidFor(LocalKey(), now) {
		t.Error("the tenant session should be valid for its tenant only")
	}
	list := s.List()
	if len(list) != 2 || !list[0].Key.IsLocal() || list[1].Key.TenantID() != prodTenant {
		t.Errorf("list = %+v", list)
	}
}

func TestSessionStoreRoundTrip(t *testing.T) {
	src := refSessions()
	loaded, err := LoadSessions(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "sessions")
	out := filepath.Join(dir, "index.json")
	if err := UpdateSessions(out, func(s *SessionStore) error { *s = *loaded; return nil }); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(src)
	b, _ := os.ReadFile(out)
	if !jsonEqual(t, a, b) {
		t.Fatalf("round trip changed the store:\n%s\n%s", a, b)
	}
	// Timestamps keep their exact text (nine digits, two digits).
	for _, txt := range []string{`"2026-01-22T10:16:00.000000001Z"`, `"2099-01-01T00:05:00.25Z"`} {
		if !strings.Contains(string(b), txt) {
			t.Errorf("%s not kept in\n%s", txt, b)
		}
	}
	st, _ := os.Stat(out)
	if st.Mode().Perm() != FileMode {
		t.Errorf("mode = %v", st.Mode().Perm())
	}
	dst, _ := os.Stat(dir)
	if dst.Mode().Perm() != DirMode {
		t.Errorf("folder mode = %v", dst.Mode().Perm())
	}
	gi, err := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if err != nil || strings.TrimSpace(string(gi)) != "*" {
		t.Errorf(".gitignore = %q, %v", gi, err)
	}
	// An update that changes nothing writes nothing.
	before, _ := os.Stat(out)
	time.Sleep(10 * time.Millisecond)
	if err := UpdateSessions(out, func(*SessionStore) error { return nil }); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(out)
	if !after.ModTime().Equal(before.ModTime()) || !os.SameFile(before, after) {
		t.Error("a no-op update rewrote the file")
	}
	// A change stamps updated_at.
	if err := UpdateSessions(out, func(s *SessionStore) error { s.ClearActive(); return nil }); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSessions(out)
	if err != nil {
		t.Fatal(err)
	}
	if s.ActiveKey != "" || s.UpdatedAt.String() == loaded.UpdatedAt.String() {
		t.Errorf("after clearing: active %q, updated_at %s", s.ActiveKey, s.UpdatedAt)
	}
	c, _ := os.ReadFile(out)
	if !strings.Contains(string(c), `"active_key": null`) {
		t.Errorf("active_key not written as null:\n%s", c)
	}
}

func TestSessionVersions(t *testing.T) {
	path := filepath.Join(fixtures, "session-future-version.json")
	_, err := LoadSession(path)
	if !errors.Is(err, spcloud.ErrSessionVersion) {
		t.Fatalf("future version: %v", err)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "delete") || !strings.Contains(err.Error(), "9") {
		t.Errorf("error %q should name the file to delete and the version", err)
	}
	legacy, err := LoadSession(legacyFixture())
	if err != nil {
		t.Fatal(err)
	}
	if legacy.Version != SessionVersion {
		t.Errorf("version 3 read as %d", legacy.Version)
	}
	if legacy.UserType != UserAdmin || legacy.TenantKey != "" || legacy.Key() != LocalKey() || legacy.UserEmail != "dev@example.com" {
		t.Errorf("legacy = %+v", legacy)
	}
	base := `"profile_name":"p","session_token":"t","session_id":"s","context_id":"c","created_at":"2099-01-01T00:00:00Z","expires_at":"2099-01-02T00:00:00Z","last_used":"2099-01-01T00:00:00Z"`
	for _, c := range []struct {
		doc     string
		version bool // an ErrSessionVersion error
		ok      bool
	}{
		{`{"version":4,` + base + `}`, false, true},
		{`{"version":3,` + base + `}`, false, true},
		{`{"version":2,` + base + `}`, true, false},
		{`{"version":5,` + base + `}`, true, false},
		{`{"version":"4",` + base + `}`, true, false},
		{`{` + base + `}`, true, false},
		{`{"version":4,"profile_name":"p"}`, false, false},
		{`{"version":4,` + base + `,"user_type":"Admin"}`, false, false},
		{`{"version":4,` + base + `,"user_type":"root"}`, false, false},
		{`{"version":4,` + base + `,"created_at":"yesterday"}`, false, false},
		{`{"version":4,` + base + `}{}`, false, false},
		{`[]`, false, false},
	} {
		_, err := ParseSession([]byte(c.doc))
		if c.ok != (err == nil) || c.version != errors.Is(err, spcloud.ErrSessionVersion) {
			t.Errorf("%s: err = %v", c.doc, err)
		}
	}
}

func TestSessionDefaultsAndOmission(t *testing.T) {
	s, err := ParseSession([]byte(`{"version":4,"profile_name":"p","session_token":"t","session_id":"s","context_id":"c","created_at":"2099-01-01T00:00:00Z","expires_at":"2099-01-02T00:00:00Z","last_used":"2099-01-01T00:00:00Z","tenant_key":null,"profile_path":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.UserID != "system" || s.UserEmail != "system@local.invalid" || s.UserType != UserAdmin {
		t.Errorf("defaults: %+v", s)
	}
	b, _ := json.Marshal(s)
	for _, absent := range []string{"tenant_key", "profile_path"} {
		if strings.Contains(string(b), absent) {
			t.Errorf("%s written when absent: %s", absent, b)
		}
	}
	for _, ut := range []UserType{UserAdmin, UserUser, UserA2A, UserMCP, UserService, UserAnon, UserUnknown} {
		s.UserType = ut
		b, _ := json.Marshal(s)
		back, err := ParseSession(b)
		if err != nil || back.UserType != ut || !strings.Contains(string(b), `"user_type":"`+string(ut)+`"`) {
			t.Errorf("%s: %v %s", ut, err, b)
		}
	}
}

func TestNewSession(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 500, time.FixedZone("x", 3600))
	s := NewSession(TenantKey("t1"), "production", "tok", "sid", "cid", now)
	if s.Version != 4 || s.TenantKey != "t1" || s.Key() != TenantKey("t1") || s.UserType != UserAdmin || s.UserID != "system" {
		t.Errorf("session = %+v", s)
	}
	if got := s.ExpiresAt.Sub(s.CreatedAt.Time); got != 24*time.Hour {
		t.Errorf("lifetime = %v", got)
	}
	if s.CreatedAt.String() != "2026-03-01T11:00:00.0000005Z" {
		t.Errorf("created_at = %s (want UTC with Z)", s.CreatedAt)
	}
	if !s.IsValidFor(TenantKey("t1"), now) || s.IsValidFor(TenantKey("t1"), now.Add(24*time.Hour)) {
		t.Error("validity window wrong")
	}
	l := NewSession(LocalKey(), "local", "tok", "sid", "cid", now)
	if l.TenantKey != "local" || l.Key() != LocalKey() {
		t.Errorf("local = %+v", l)
	}
}

func TestSessionKeys(t *testing.T) {
	cases := []struct {
		key              SessionKey
		storage, display string
		json             string
	}{
		{LocalKey(), "local", "local", `{"type":"Local"}`},
		{TenantKey("abc-1"), "tenant_abc-1", "tenant:abc-1", `{"type":"Tenant","value":"abc-1"}`},
		{TenantKey(""), "local", "local", `{"type":"Local"}`},
	}
	for _, c := range cases {
		if c.key.StorageKey() != c.storage || c.key.String() != c.display {
			t.Errorf("%#v: %s %s", c.key, c.key.StorageKey(), c.key)
		}
		b, err := json.Marshal(c.key)
		if err != nil || string(b) != c.json {
			t.Errorf("%#v: json %s %v", c.key, b, err)
		}
		var back SessionKey
		if err := json.Unmarshal(b, &back); err != nil || back != c.key {
			t.Errorf("%s: back %#v %v", b, back, err)
		}
		for _, form := range []string{c.storage, c.display} {
			if k, err := ParseSessionKey(form); err != nil || k != c.key {
				t.Errorf("parse %q = %#v, %v", form, k, err)
			}
		}
	}
	for _, bad := range []string{"", "Local", "tenant:", "tenant_", "tenant", "foo"} {
		if _, err := ParseSessionKey(bad); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
	for _, bad := range []string{`{"type":"Tenant"}`, `{"type":"Tenant","value":""}`, `{"type":"local"}`, `"local"`} {
		var k SessionKey
		if err := json.Unmarshal([]byte(bad), &k); err == nil {
			t.Errorf("unmarshalled %s", bad)
		}
	}
	if KeyForTenant("") != LocalKey() || KeyForTenant("local") != LocalKey() || KeyForTenant("x") != TenantKey("x") {
		t.Error("KeyForTenant")
	}
}

func TestSessionIsValidFor(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(tk, tok string, exp time.Time) CliSession {
		return CliSession{TenantKey: tk, SessionToken: tok, ExpiresAt: At(exp)}
	}
	later := now.Add(time.Hour)
	cases := []struct {
		name string
		s    CliSession
		key  SessionKey
		want bool
	}{
		{"absent tenant_key, local", mk("", "t", later), LocalKey(), true},
		{"local tenant_key, local", mk("local", "t", later), LocalKey(), true},
		{"tenant, its key", mk("a", "t", later), TenantKey("a"), true},
		{"tenant, other tenant", mk("a", "t", later), TenantKey("b"), false},
		{"tenant, local key", mk("a", "t", later), LocalKey(), false},
		{"local, tenant key", mk("", "t", later), TenantKey("a"), false},
		{"empty token", mk("", "", later), LocalKey(), false},
		{"expired", mk("", "t", now.Add(-time.Second)), LocalKey(), false},
		{"expires exactly now", mk("", "t", now), LocalKey(), false},
	}
	for _, c := range cases {
		if got := c.s.IsValidFor(c.key, now); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
}

func TestSessionStoreOperations(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewSessionStore(now)
	if err := s.SetActive(LocalKey()); err == nil {
		t.Error("set active on an empty store")
	}
	s.Upsert(LocalKey(), NewSession(LocalKey(), "local", "a", "s1", "c1", now.Add(-48*time.Hour)))
	s.Upsert(TenantKey("t1"), NewSession(TenantKey("t1"), "prod", "b", "s2", "c2", now))
	s.Upsert(TenantKey("t2"), NewSession(TenantKey("t2"), "prod2", "c", "s3", "c3", now.Add(-25*time.Hour)))
	err := s.SetActive(TenantKey("nope"))
	if err == nil || !strings.Contains(err.Error(), "tenant:t1") || !strings.Contains(err.Error(), "local") {
		t.Errorf("unknown key error: %v", err)
	}
	if err := s.SetActive(TenantKey("t2")); err != nil || !s.IsActive(TenantKey("t2")) {
		t.Fatal(err)
	}
	removed := s.Prune(now)
	if len(removed) != 2 || removed[0].Key != LocalKey() || removed[1].Key != TenantKey("t2") {
		t.Errorf("pruned %+v", removed)
	}
	if s.ActiveKey != "" || len(s.Sessions) != 1 {
		t.Errorf("after prune: %+v", s)
	}
	s.SetActive(TenantKey("t1"))
	if !s.Remove(TenantKey("t1")) || s.ActiveKey != "" || s.Remove(TenantKey("t1")) {
		t.Error("removing the active session must clear active_key")
	}
	if _, _, ok := s.Active(); ok {
		t.Error("active after removal")
	}
}

func TestSessionBrokenIndex(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "index.json")
	full, _ := os.ReadFile(refSessions())
	broken := full[:len(full)/2]
	os.WriteFile(path, broken, 0o600)
	_, err := LoadSessions(path)
	if !errors.Is(err, ErrSessionsCorrupted) || !strings.Contains(err.Error(), path) {
		t.Fatalf("broken: %v", err)
	}
	err = UpdateSessions(path, func(s *SessionStore) error { s.ClearActive(); return nil })
	if !errors.Is(err, ErrSessionsCorrupted) {
		t.Errorf("update over a broken file: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(broken) {
		t.Error("a broken index was overwritten")
	}
	// A session of a future version inside the index.
	future := strings.Replace(string(full), `"version": 4`, `"version": 7`, 1)
	os.WriteFile(path, []byte(future), 0o600)
	_, err = LoadSessions(path)
	if !errors.Is(err, spcloud.ErrSessionVersion) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "version 7") {
		t.Errorf("future session: %v", err)
	}
	os.WriteFile(path, []byte(strings.Replace(string(full), `"version": 1`, `"version": 2`, 1)), 0o600)
	if _, err = LoadSessions(path); !errors.Is(err, spcloud.ErrSessionVersion) {
		t.Errorf("future store: %v", err)
	}
	// A missing file is an empty store.
	s, err := LoadSessions(filepath.Join(dir, "none.json"))
	if err != nil || len(s.Sessions) != 0 || s.ActiveKey != "" {
		t.Errorf("missing: %+v %v", s, err)
	}
	for _, bad := range []string{
		`{"version":1,"sessions":{"tenant:x":{}},"active_key":null,"updated_at":"2026-01-01T00:00:00Z"}`,
		`{"version":1,"sessions":{"weird":{}},"active_key":null,"updated_at":"2026-01-01T00:00:00Z"}`,
		`{"version":1,"active_key":null,"updated_at":"2026-01-01T00:00:00Z"}`,
		`{"version":1,"sessions":{},"active_key":null}`,
		`{"sessions":{},"active_key":null,"updated_at":"2026-01-01T00:00:00Z"}`,
	} {
		if _, err := ParseSessionStore([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestSessionMigrateLegacy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".systemprompt")
	legacy := filepath.Join(dir, "session.json")
	index := filepath.Join(dir, "sessions", "index.json")
	copyFile(t, legacyFixture(), legacy)

	key, migrated, err := MigrateLegacySession(legacy, index)
	if err != nil || !migrated || key != LocalKey() {
		t.Fatalf("migrate: %v %v %v", key, migrated, err)
	}
	if _, err := os.Stat(legacy); !os.IsNotExist(err) {
		t.Error("the legacy file is still there")
	}
	s, err := LoadSessions(index)
	if err != nil {
		t.Fatal(err)
	}
	k, sess, ok := s.Active()
	if !ok || k != LocalKey() || sess.SessionToken != "sess_tok_legacy_91aa" || sess.Version != 4 {
		t.Errorf("after migration: %v %+v %v", k, sess, ok)
	}
	b, _ := os.ReadFile(index)
	if strings.Contains(string(b), "tenant_key") {
		t.Errorf("an absent tenant_key was invented:\n%s", b)
	}
	if st, _ := os.Stat(index); st.Mode().Perm() != FileMode {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	if _, migrated, err := MigrateLegacySession(legacy, index); migrated || err != nil {
		t.Errorf("second migration: %v %v", migrated, err)
	}

	// Into an existing store with an active session: added, not made active.
	dir2 := filepath.Join(t.TempDir(), ".systemprompt")
	legacy2 := filepath.Join(dir2, "session.json")
	index2 := filepath.Join(dir2, "sessions", "index.json")
	copyFile(t, legacyFixture(), legacy2)
	copyFile(t, refSessions(), index2)
	if _, migrated, err := MigrateLegacySession(legacy2, index2); err != nil || !migrated {
		t.Fatal(migrated, err)
	}
	s2, _ := LoadSessions(index2)
	if l, _ := s2.Get(LocalKey()); l.SessionToken != "sess_tok_legacy_91aa" || s2.ActiveKey != "tenant_"+prodTenant {
		t.Errorf("store = %+v", s2)
	}

	// A broken or future legacy file stays and is reported.
	for _, src := range []string{filepath.Join(fixtures, "session-future-version.json"), filepath.Join(fixtures, "credentials-truncated.json")} {
		dir3 := filepath.Join(t.TempDir(), ".systemprompt")
		legacy3 := filepath.Join(dir3, "session.json")
		copyFile(t, src, legacy3)
		_, migrated, err := MigrateLegacySession(legacy3, filepath.Join(dir3, "sessions", "index.json"))
		if err == nil || migrated || !strings.Contains(err.Error(), legacy3) {
			t.Errorf("%s: %v %v", src, migrated, err)
		}
		if _, err := os.Stat(legacy3); err != nil {
			t.Errorf("%s: legacy file removed: %v", src, err)
		}
		if _, err := os.Stat(filepath.Join(dir3, "sessions")); !os.IsNotExist(err) {
			t.Errorf("%s: the sessions folder was made for nothing", src)
		}
	}
}

func FuzzParseSession(f *testing.F) {
	for _, p := range []string{legacyFixture(), filepath.Join(fixtures, "session-future-version.json")} {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	if s, err := LoadSessions(refSessions()); err == nil {
		for _, sess := range s.Sessions {
			b, _ := json.Marshal(sess)
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSession(b)
		if err != nil {
			return
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("parsed session does not marshal: %v", err)
		}
		back, err := ParseSession(out)
		if err != nil {
			t.Fatalf("written session does not parse: %v\n%s", err, out)
		}
		again, _ := json.Marshal(back)
		if string(again) != string(out) {
			t.Fatalf("second round trip differs:\n%s\n%s", out, again)
		}
	})
}

func FuzzParseSessionStore(f *testing.F) {
	b, _ := os.ReadFile(refSessions())
	f.Add(b)
	f.Add([]byte(`{"version":1,"sessions":{},"active_key":null,"updated_at":"2026-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSessionStore(b)
		if err != nil {
			return
		}
		out, err := MarshalSessionStore(s)
		if err != nil {
			t.Fatalf("parsed store does not marshal: %v", err)
		}
		back, err := ParseSessionStore(out)
		if err != nil {
			t.Fatalf("written store does not parse: %v\n%s", err, out)
		}
		again, _ := MarshalSessionStore(back)
		if string(again) != string(out) {
			t.Fatalf("second round trip differs:\n%s\n%s", out, again)
		}
	})
}
