package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSelection(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".systemprompt")
	p := filepath.Join(dir, SelectionFile)
	if id, err := LoadSelection(p); err != nil || id != "" {
		t.Fatalf("missing file: %q %v", id, err)
	}
	if err := SaveSelection(p, "t-1"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != FileMode {
		t.Fatalf("mode: %v %v", st, err)
	}
	if gi, _ := os.ReadFile(filepath.Join(dir, ".gitignore")); strings.TrimSpace(string(gi)) != "*" {
		t.Errorf(".gitignore = %q", gi)
	}
	if id, err := LoadSelection(p); err != nil || id != "t-1" {
		t.Fatalf("load: %q %v", id, err)
	}
	// Other fields survive a change.
	os.WriteFile(p, []byte(`{"selected_tenant": "t-1", "future": {"x": 1}}`), 0o600)
	if err := SaveSelection(p, "t-2"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if !strings.Contains(string(b), `"future"`) || !strings.Contains(string(b), `"t-2"`) {
		t.Errorf("file = %s", b)
	}
	if ok, err := ClearSelection(p, "t-1"); ok || err != nil {
		t.Errorf("cleared another tenant's selection: %v %v", ok, err)
	}
	if ok, err := ClearSelection(p, "t-2"); !ok || err != nil {
		t.Errorf("clear: %v %v", ok, err)
	}
	if id, _ := LoadSelection(p); id != "" {
		t.Errorf("after clear: %q", id)
	}
	os.WriteFile(p, []byte(`{"selected_tenant": 3`), 0o600)
	if _, err := LoadSelection(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("broken file: %v", err)
	}
	if err := SaveSelection(p, "t-3"); err != nil {
		t.Fatal(err)
	}
	if id, _ := LoadSelection(p); id != "t-3" {
		t.Errorf("a broken file was not replaced: %q", id)
	}
}
