package store

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// These tests run the store in several real processes: the test binary
// re-executes itself (TestHelperProcess) in a role chosen by environment
// variables, so the file locks and atomic renames are exercised between
// processes, as when two spcloud commands run at once.

const (
	envRole = "SPCLOUD_STORE_HELPER_ROLE"
	envPath = "SPCLOUD_STORE_HELPER_PATH"
	envID   = "SPCLOUD_STORE_HELPER_ID"
	envN    = "SPCLOUD_STORE_HELPER_N"
)

// helper starts the test binary in role; extra are more KEY=value pairs.
func helper(t *testing.T, role, path string, id, n int, extra ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(),
		envRole+"="+role, envPath+"="+path, envID+"="+strconv.Itoa(id), envN+"="+strconv.Itoa(n))
	cmd.Env = append(cmd.Env, extra...)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestHelperProcess is not a test: it is the body of the helper processes.
func TestHelperProcess(t *testing.T) {
	role := os.Getenv(envRole)
	if role == "" {
		return
	}
	path := os.Getenv(envPath)
	id, _ := strconv.Atoi(os.Getenv(envID))
	n, _ := strconv.Atoi(os.Getenv(envN))
	if err := runHelper(role, path, id, n); err != nil {
		fmt.Fprintf(os.Stderr, "helper %s %d: %v\n", role, id, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runHelper(role, path string, id, n int) error {
	switch role {
	case "tenant-adder":
		for i := 0; i < n; i++ {
			tid := fmt.Sprintf("w%d-t%03d", id, i)
			_, err := UpdateTenants(path, func(s *TenantStore) error {
				s.Put(StoredTenant{ID: tid, Name: "tenant " + tid, TenantType: TenantCloud, Region: "iad"})
				return nil
			})
			if err != nil {
				return err
			}
		}
	case "session-adder":
		now := time.Now()
		for i := 0; i < n; i++ {
			key := TenantKey(fmt.Sprintf("w%d-t%03d", id, i))
			err := UpdateSessions(path, func(s *SessionStore) error {
				s.Upsert(key, NewSession(key, "p", "tok", "sid", "cid", now))
				if i == n-1 {
					s.ActiveKey = key.StorageKey()
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	case "rewriter":
		// Rewrite a large tenants.json for ever (until killed), announcing
		// the first completed write on stdout. n is the number of tenants;
		// when SPCLOUD_STORE_HELPER_FOR is set it stops after that long.
		var stop time.Time
		if d, err := time.ParseDuration(os.Getenv("SPCLOUD_STORE_HELPER_FOR")); err == nil {
			stop = time.Now().Add(d)
		}
		for iter := 0; ; iter++ {
			size := n
			if id%2 == 1 && iter%2 == 1 {
				size = n / 3 // writers alternate sizes so a torn file would show
			}
			_, err := UpdateTenants(path, func(s *TenantStore) error {
				s.Tenants = bigTenants(size, fmt.Sprintf("w%d-i%d", id, iter))
				s.SyncedAt = Now()
				return nil
			})
			if err != nil {
				return err
			}
			if iter == 0 {
				fmt.Println("written")
			}
			if !stop.IsZero() && time.Now().After(stop) {
				return nil
			}
		}
	default:
		return fmt.Errorf("unknown role %q", role)
	}
	return nil
}

func bigTenants(n int, tag string) []StoredTenant {
	ts := make([]StoredTenant, n)
	for i := range ts {
		id := fmt.Sprintf("%s-%05d", tag, i)
		ts[i] = StoredTenant{
			ID: id, Name: "tenant " + id, AppID: "sp-" + id, Hostname: id + ".systemprompt.io", Region: "fra",
			InternalDatabaseURL: "postgres://u:p@" + id + "-db.flycast:5432/db?sslmode=disable",
			TenantType:          TenantCloud, SyncToken: "syt_" + id,
		}
	}
	return ts
}

func requireProcesses(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("needs processes and flock")
	}
	if testing.Short() {
		t.Skip("starts processes; skipped in -short")
	}
}

// runAdders starts procs helper processes of role, each making n updates,
// and returns how long they took together.
func runAdders(t *testing.T, role, path string, procs, n int) time.Duration {
	t.Helper()
	cmds := make([]*exec.Cmd, procs)
	for i := range cmds {
		cmds[i] = helper(t, role, path, i, n)
	}
	start := time.Now()
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Errorf("%s %d: %v", role, i, err)
		}
	}
	return time.Since(start)
}

func TestConcurrentTenantUpdates(t *testing.T) {
	requireProcesses(t)
	const procs, n = 8, 50
	path := filepath.Join(t.TempDir(), "tenants.json")
	took := runAdders(t, "tenant-adder", path, procs, n)
	s, err := LoadTenants(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Tenants) != procs*n {
		t.Fatalf("%d tenants, want %d: updates were lost", len(s.Tenants), procs*n)
	}
	for w := 0; w < procs; w++ {
		for i := 0; i < n; i++ {
			if s.Find(fmt.Sprintf("w%d-t%03d", w, i)) == nil {
				t.Errorf("tenant w%d-t%03d is missing", w, i)
			}
		}
	}
	t.Logf("tenants.json: %d processes x %d locked read-modify-writes = %d updates in %v (%.0f updates/s, including process start)",
		procs, n, procs*n, took.Round(time.Millisecond), float64(procs*n)/took.Seconds())
	assertNoTemp(t, filepath.Dir(path))
}

func TestConcurrentSessionUpdates(t *testing.T) {
	requireProcesses(t)
	const procs, n = 8, 50
	path := filepath.Join(t.TempDir(), "sessions", "index.json")
	took := runAdders(t, "session-adder", path, procs, n)
	s, err := LoadSessions(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Sessions) != procs*n {
		t.Fatalf("%d sessions, want %d: updates were lost", len(s.Sessions), procs*n)
	}
	if _, _, ok := s.Active(); !ok {
		t.Errorf("no active session (active_key %q)", s.ActiveKey)
	}
	t.Logf("sessions/index.json: %d processes x %d locked read-modify-writes = %d updates in %v (%.0f updates/s, including process start)",
		procs, n, procs*n, took.Round(time.Millisecond), float64(procs*n)/took.Seconds())
	assertNoTemp(t, filepath.Dir(path))
	gi, err := os.ReadFile(filepath.Join(filepath.Dir(path), ".gitignore"))
	if err != nil || strings.TrimSpace(string(gi)) != "*" {
		t.Errorf(".gitignore = %q, %v", gi, err)
	}
}

func tempFiles(dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	return m
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	if m := tempFiles(dir); len(m) > 0 {
		t.Errorf("temporary files left behind: %v", m)
	}
}

func TestCrashDuringWrite(t *testing.T) {
	requireProcesses(t)
	const kills, size = 30, 3000
	dir := t.TempDir()
	path := filepath.Join(dir, "tenants.json")
	if _, err := UpdateTenants(path, func(s *TenantStore) error { s.Tenants = bigTenants(size, "seed"); return nil }); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	midWrite := 0
	for k := 0; k < kills; k++ {
		cmd := helper(t, "rewriter", path, k, size)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait for the first complete write, then kill at a random moment
		// of the following ones.
		line, _ := bufio.NewReader(out).ReadString('\n')
		if line != "written\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("kill %d: the writer did not start (%q)", k, line)
		}
		before := len(tempFiles(dir))
		if k%2 == 0 {
			// At a random moment.
			time.Sleep(time.Duration(rng.Int63n(int64(40 * time.Millisecond))))
		} else {
			// While a write is under way: as soon as its temporary file
			// shows.
			for deadline := time.Now().Add(2 * time.Second); len(tempFiles(dir)) <= before && time.Now().Before(deadline); {
				time.Sleep(20 * time.Microsecond)
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if len(tempFiles(dir)) > before {
			midWrite++
		}
		s, err := LoadTenants(path)
		if err != nil {
			t.Fatalf("after kill %d the file does not load: %v", k, err)
		}
		if len(s.Tenants) != size && len(s.Tenants) != size/3 {
			t.Fatalf("after kill %d: %d tenants", k, len(s.Tenants))
		}
	}
	// The lock died with the writer: an update goes through at once.
	oldTimeout := LockTimeout
	LockTimeout = 2 * time.Second
	defer func() { LockTimeout = oldTimeout }()
	if _, err := UpdateTenants(path, func(s *TenantStore) error { s.Tenants = bigTenants(2, "after"); return nil }); err != nil {
		t.Fatalf("update after the kills: %v", err)
	}
	if s, err := LoadTenants(path); err != nil || len(s.Tenants) != 2 {
		t.Fatalf("after the kills: %v", err)
	}
	t.Logf("%d SIGKILLs of a writer rewriting a %d KiB tenants.json (half at random moments, half while a write was under way): the file always loaded; %d kills landed mid-write, leaving %d temporary files that readers ignore",
		kills, st.Size()/1024, midWrite, len(tempFiles(dir)))
	if midWrite == 0 {
		t.Error("no kill landed during a write; the test proved nothing")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != FileMode {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
}

func TestConcurrentReaderNeverSeesPartialFile(t *testing.T) {
	requireProcesses(t)
	const size = 600
	path := filepath.Join(t.TempDir(), "tenants.json")
	if _, err := UpdateTenants(path, func(s *TenantStore) error { s.Tenants = bigTenants(size, "seed"); return nil }); err != nil {
		t.Fatal(err)
	}
	var writers []*exec.Cmd
	for i := 0; i < 2; i++ {
		c := helper(t, "rewriter", path, i, size, "SPCLOUD_STORE_HELPER_FOR=1500ms")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		writers = append(writers, c)
	}
	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, c := range writers {
			if err := c.Wait(); err != nil {
				t.Errorf("writer: %v", err)
			}
		}
		done.Store(true)
	}()
	reads, failures := 0, 0
	seen := map[string]bool{}
	for !done.Load() {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ParseTenants(b)
		reads++
		if err != nil {
			failures++
			if failures < 3 {
				t.Errorf("read %d saw a broken file (%d bytes): %v", reads, len(b), err)
			}
			continue
		}
		if len(s.Tenants) != size && len(s.Tenants) != size/3 {
			t.Errorf("read %d: %d tenants", reads, len(s.Tenants))
		}
		seen[strings.SplitN(s.Tenants[0].ID, "-0", 2)[0]] = true
	}
	wg.Wait()
	if failures > 0 {
		t.Fatalf("%d of %d reads saw a partial file", failures, reads)
	}
	if len(seen) < 3 {
		t.Errorf("the reader saw only %d versions; the writers did not overlap the reads", len(seen))
	}
	t.Logf("%d reads while 2 processes rewrote the file: %d distinct versions seen, none partial", reads, len(seen))
}
