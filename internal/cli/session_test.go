package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spcloud/spcloud/internal/testkit"
	"github.com/spcloud/spcloud/store"
)

const sessProdTenant = "f800de73-2bdf-4c44-8b65-7b2f2bbad456"

// sessRun runs args on the real command tree, in-process, in cwd with env.
// The session and doctor commands are added to the tree when root.go does
// not register them yet.
func sessRun(t *testing.T, cwd string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := &Factory{
		IO:     IOStreams{In: strings.NewReader(""), Out: &out, Err: &errOut},
		Getenv: func(k string) string { return env[k] },
		Cwd:    cwd,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code = Run(ctx, f, args)
	return code, out.String(), errOut.String()
}

func sessIndex(root string) string {
	return filepath.Join(root, ".systemprompt", "sessions", "index.json")
}

func TestSessionListReferenceProject(t *testing.T) {
	root := testkit.CopyProject(t, "reference-project")
	before, _ := os.ReadFile(sessIndex(root))
	code, out, errOut := sessRun(t, filepath.Join(root, "services", "web"), nil, "session", "list", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var entries []struct {
		Key        json.RawMessage  `json:"key"`
		StorageKey string           `json:"storage_key"`
		DisplayKey string           `json:"display_key"`
		Active     bool             `json:"active"`
		State      string           `json:"state"`
		Session    store.CliSession `json:"session"`
	}
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(entries) != 2 {
		t.Fatalf("%d sessions:\n%s", len(entries), out)
	}
	local, prod := entries[0], entries[1]
	compact := func(b json.RawMessage) string {
		var buf bytes.Buffer
		json.Compact(&buf, b)
		return buf.String()
	}
	if compact(local.Key) != `{"type":"Local"}` || local.StorageKey != "local" || local.DisplayKey != "local" || local.Active || local.State != "expired" {
		t.Errorf("local = %+v", local)
	}
	if compact(prod.Key) != `{"type":"Tenant","value":"`+sessProdTenant+`"}` || prod.DisplayKey != "tenant:"+sessProdTenant || !prod.Active || prod.State != "valid" {
		t.Errorf("prod = %+v", prod)
	}
	if prod.Session.SessionToken != "[REDACTED]" || prod.Session.ProfileName != "production" {
		t.Errorf("prod session = %+v", prod.Session)
	}
	after, _ := os.ReadFile(sessIndex(root))
	if !bytes.Equal(before, after) {
		t.Error("listing changed the store")
	}

	code, out, errOut = sessRun(t, root, nil, "session", "list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ACTIVE") {
		t.Fatalf("table:\n%s", out)
	}
	if !strings.Contains(lines[1], "local") || !strings.Contains(lines[1], "expired") || strings.HasPrefix(lines[1], "*") {
		t.Errorf("local row: %q", lines[1])
	}
	if !strings.HasPrefix(lines[2], "*") || !strings.Contains(lines[2], "tenant:"+sessProdTenant) || !strings.Contains(lines[2], "production") ||
		!strings.Contains(lines[2], "dev@example.com") || !strings.Contains(lines[2], "2099-01-02T00:00:00Z") || !strings.Contains(lines[2], "valid") {
		t.Errorf("tenant row: %q", lines[2])
	}
}

func TestSessionPruneKeepsReferenceFormat(t *testing.T) {
	root := testkit.CopyProject(t, "reference-project")
	path := sessIndex(root)
	os.Chmod(path, 0o644) // the rewrite restores 0600
	orig, _ := os.ReadFile(path)

	code, out, errOut := sessRun(t, root, nil, "session", "prune")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "local") || strings.Contains(out, sessProdTenant) || !strings.Contains(errOut, "Pruned 1 expired session") {
		t.Errorf("prune printed:\n%s\n%s", out, errOut)
	}
	got, _ := os.ReadFile(path)
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v", st.Mode().Perm())
	}
	// The same document, less the local session and with a new updated_at.
	var want, have map[string]any
	json.Unmarshal(orig, &want)
	if err := json.Unmarshal(got, &have); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, got)
	}
	delete(want["sessions"].(map[string]any), "local")
	if have["updated_at"] == want["updated_at"] {
		t.Error("updated_at was not stamped")
	}
	if _, err := time.Parse(time.RFC3339Nano, have["updated_at"].(string)); err != nil || !strings.HasSuffix(have["updated_at"].(string), "Z") {
		t.Errorf("updated_at = %v", have["updated_at"])
	}
	delete(want, "updated_at")
	delete(have, "updated_at")
	if !reflect.DeepEqual(want, have) {
		t.Errorf("prune changed more than the expired session:\n%s", got)
	}
	if _, err := store.LoadSessions(path); err != nil {
		t.Error(err)
	}

	// Nothing left to prune: nothing is written.
	code, out, errOut = sessRun(t, root, nil, "session", "prune", "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("second prune: %d %q %s", code, out, errOut)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, got) {
		t.Error("an empty prune rewrote the file")
	}
}

func TestSessionSwitchAndRemove(t *testing.T) {
	root := testkit.CopyProject(t, "reference-project")
	path := sessIndex(root)

	code, _, errOut := sessRun(t, root, nil, "session", "switch", "tenant:nope")
	if code != 1 || !strings.Contains(errOut, "local") || !strings.Contains(errOut, "tenant:"+sessProdTenant) {
		t.Errorf("switch to an unknown key: %d %s", code, errOut)
	}
	if code, _, errOut := sessRun(t, root, nil, "session", "switch", "bogus"); code != 1 || !strings.Contains(errOut, "tenant:<id>") {
		t.Errorf("a malformed key: %d %s", code, errOut)
	}
	code, _, errOut = sessRun(t, root, nil, "session", "switch", "local")
	if code != 0 || !strings.Contains(errOut, "expired") {
		t.Errorf("switch local: %d %s", code, errOut)
	}
	s, _ := store.LoadSessions(path)
	if s.ActiveKey != "local" {
		t.Errorf("active = %q", s.ActiveKey)
	}
	// The storage form is accepted too.
	if code, _, errOut := sessRun(t, root, nil, "session", "switch", "tenant_"+sessProdTenant); code != 0 {
		t.Errorf("switch by storage key: %d %s", code, errOut)
	}
	code, _, errOut = sessRun(t, root, nil, "session", "remove", "tenant:"+sessProdTenant)
	if code != 0 || !strings.Contains(errOut, "no session is active") {
		t.Errorf("remove: %d %s", code, errOut)
	}
	b, _ := os.ReadFile(path)
	s, _ = store.LoadSessions(path)
	if len(s.Sessions) != 1 || s.ActiveKey != "" || !strings.Contains(string(b), `"active_key": null`) {
		t.Errorf("after remove:\n%s", b)
	}
	if code, _, errOut := sessRun(t, root, nil, "session", "remove", "tenant:"+sessProdTenant); code != 1 || !strings.Contains(errOut, "no session") {
		t.Errorf("remove twice: %d %s", code, errOut)
	}
}

func TestSessionLegacyMigration(t *testing.T) {
	root := testkit.CopyProject(t, "legacy-project")
	legacy := filepath.Join(root, ".systemprompt", "session.json")
	code, out, errOut := sessRun(t, root, nil, "session", "list", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(legacy); !os.IsNotExist(err) {
		t.Errorf("the legacy file is still there: %v", err)
	}
	if !strings.Contains(errOut, "Moved the legacy") {
		t.Errorf("no notice of the migration: %s", errOut)
	}
	var entries []sessionEntry
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || !entries[0].Key.IsLocal() || !entries[0].Active || entries[0].Session.SessionToken != "[REDACTED]" || entries[0].Session.Version != 4 {
		t.Fatalf("entries = %+v", entries)
	}
	s, err := store.LoadSessions(sessIndex(root))
	if err != nil || s.ActiveKey != "local" {
		t.Fatalf("store: %+v %v", s, err)
	}
	if got := s.Sessions["local"].SessionToken; got != "sess_tok_legacy_91aa" {
		t.Errorf("migrated token = %q", got)
	}
	st, _ := os.Stat(sessIndex(root))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	if gi, err := os.ReadFile(filepath.Join(root, ".systemprompt", "sessions", ".gitignore")); err != nil || strings.TrimSpace(string(gi)) != "*" {
		t.Errorf(".gitignore %q %v", gi, err)
	}
	// The second run has nothing to migrate.
	code, _, errOut = sessRun(t, root, nil, "session", "list")
	if code != 0 || strings.Contains(errOut, "Moved") {
		t.Errorf("second run: %d %s", code, errOut)
	}
}

func TestSessionBrokenIndexIsReported(t *testing.T) {
	root := testkit.CopyProject(t, "reference-project")
	path := sessIndex(root)
	os.WriteFile(path, []byte(`{"version": 1, "sessions": {`), 0o600)
	code, _, errOut := sessRun(t, root, nil, "session", "prune")
	if code != 1 || !strings.Contains(errOut, path) {
		t.Errorf("broken index: %d %s", code, errOut)
	}
	if b, _ := os.ReadFile(path); string(b) != `{"version": 1, "sessions": {` {
		t.Error("the broken index was overwritten")
	}
	future, _ := os.ReadFile(filepath.Join(fixtures, "session-future-version.json"))
	os.WriteFile(path, []byte(`{"version":1,"sessions":{"local":`+string(future)+`},"active_key":null,"updated_at":"2026-01-01T00:00:00Z"}`), 0o600)
	code, _, errOut = sessRun(t, root, nil, "session", "list")
	if code != 1 || !strings.Contains(errOut, path) || !strings.Contains(errOut, "delete this file") {
		t.Errorf("future version: %d %s", code, errOut)
	}
}

func TestSessionNoProject(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := sessRun(t, dir, nil, "session", "list", "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("no project: %d %q %s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, ".systemprompt")); !os.IsNotExist(err) {
		t.Error("listing created a .systemprompt folder")
	}
}
