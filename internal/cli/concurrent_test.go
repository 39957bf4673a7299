package cli

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/spcloud/spcloud/store"
)

// Eight tenant create at once in one project: tenants.json parses and holds
// all eight (each command does a locked read-modify-write of the file).
func TestEightConcurrentCreates(t *testing.T) {
	te := newTestEnv(t, true)
	if code, _, stderr := te.run("auth", "login"); code != 0 {
		t.Fatalf("login: %d %s", code, stderr)
	}
	var wg sync.WaitGroup
	codes := make([]int, 8)
	errs := make([]string, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, errs[i] = te.run("tenant", "create", "--plan", "pro", "--region", "lhr")
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 0 {
			t.Fatalf("create %d: exit %d: %s", i, c, errs[i])
		}
	}
	s, err := store.LoadTenants(filepath.Join(te.dir, ".systemprompt", "tenants.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Tenants) != 8 {
		t.Fatalf("tenants.json holds %d tenants, want 8", len(s.Tenants))
	}
}
