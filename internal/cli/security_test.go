package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spcloud/spcloud/emulator"
	"github.com/spcloud/spcloud/internal/person"
	"github.com/spcloud/spcloud/internal/testkit"
	"github.com/spcloud/spcloud/store"
)

func savedToken(t *testing.T, dir string) string {
	t.Helper()
	c, err := store.LoadCredentials(filepath.Join(dir, ".systemprompt", "credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	return c.APIToken
}

// A "browser" that first fires forged tokens at the callback port, then
// follows the real URL, ends with the real token saved.
func TestForgedCallbacksAreRefused(t *testing.T) {
	te := newTestEnv(t, true)
	port := testkit.FreePort(t)
	real := te.person
	var statuses []int
	forger := func(ctx context.Context, u string) error {
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		for _, p := range []string{"/callback", "/callback/0000", "/", "/callback/" + strings.Repeat("A", 43)} {
			resp, err := http.Get(base + p + "?access_token=FORGED.FORGED.FORGED")
			if err != nil {
				return err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses = append(statuses, resp.StatusCode)
		}
		return real.Open(ctx, u)
	}
	te.person = &person.Person{} // run() waits on it; the forger drives the real one
	var out, errOut testkit.SyncBuffer
	f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: &out, Err: &errOut}, Getenv: func(k string) string { return te.env[k] }, Cwd: te.dir, OpenBrowser: forger}
	code := Run(context.Background(), f, []string{"auth", "login", "--callback-port", fmt.Sprint(port)})
	real.Wait()
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, s := range statuses {
		if s != http.StatusNotFound {
			t.Errorf("a forged callback got HTTP %d, want 404 (all: %v)", s, statuses)
		}
	}
	if tok := savedToken(t, te.dir); strings.Contains(tok, "FORGED") || len(tok) < 20 {
		t.Fatalf("saved token %q", tok)
	}
}

func TestLoginWhileReferencePortIsHeld(t *testing.T) {
	if ln, err := net.Listen("tcp", "127.0.0.1:8765"); err == nil {
		defer ln.Close() // another program holds it now
	}
	te := newTestEnv(t, true)
	if code, _, stderr := te.run("auth", "login"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	savedToken(t, te.dir)
}

// With BROWSER=/bin/false the launch fails; the printed URL, opened by hand,
// completes the login.
func TestBrowserLaunchFailureFallsBackToPrintedURL(t *testing.T) {
	te := newTestEnv(t, true)
	te.env["BROWSER"] = "/bin/false"
	var out, errOut testkit.SyncBuffer
	f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: &out, Err: &errOut}, Getenv: func(k string) string { return te.env[k] }, Cwd: te.dir}
	done := make(chan int, 1)
	go func() { done <- Run(context.Background(), f, []string{"auth", "login"}) }()
	printed := regexp.MustCompile(`(http://127\.0\.0\.1:\d+/oauth/consent\?\S+)`)
	var u string
	for deadline := time.Now().Add(10 * time.Second); u == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := printed.FindStringSubmatch(errOut.String()); m != nil {
			u = m[1]
		}
	}
	if u == "" {
		t.Fatalf("no URL printed: %s", errOut.String())
	}
	// The person reads the note about the failed launch, then opens the URL.
	time.Sleep(200 * time.Millisecond)
	if err := (&person.Person{Clicks: []string{"approve"}}).Visit(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	savedToken(t, te.dir)
}

func TestCancelDuringLoginExits2AndFreesThePort(t *testing.T) {
	te := newTestEnv(t, true)
	port := testkit.FreePort(t)
	var out, errOut testkit.SyncBuffer
	f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: &out, Err: &errOut}, Getenv: func(k string) string { return te.env[k] }, Cwd: te.dir,
		OpenBrowser: func(context.Context, string) error { return nil }} // nobody answers
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	code := Run(ctx, f, []string{"auth", "login", "--callback-port", fmt.Sprint(port)})
	if code != ExitCancelled || time.Since(start) > 2*time.Second {
		t.Fatalf("exit %d after %s: %s", code, time.Since(start), errOut.String())
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("the callback port is still held: %v", err)
	}
	ln.Close()
}

// The real binary, interrupted with SIGINT while it waits for the browser,
// exits with 2 at once.
func TestInterruptedProcessExits2(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "spcloud")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/spcloud")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	te := newTestEnv(t, true)
	cmd := exec.Command(bin, "auth", "login", "--no-browser")
	cmd.Dir = te.dir
	cmd.Env = append(os.Environ(), "SYSTEMPROMPT_API_URL="+te.url, "HOME="+te.dir)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	var seen string
	for !strings.Contains(seen, "Waiting for you") {
		n, err := stderr.Read(buf)
		if err != nil {
			t.Fatalf("stderr ended: %v: %s", err, seen)
		}
		seen += string(buf[:n])
	}
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	go io.Copy(io.Discard, stderr)
	err := cmd.Wait()
	if cmd.ProcessState.ExitCode() != 2 || time.Since(start) > 2*time.Second {
		t.Fatalf("exit %d (%v) after %s", cmd.ProcessState.ExitCode(), err, time.Since(start))
	}
}

// Every command of the main job with --verbose: no byte of any output holds
// the token, the database password, the JWT secret, the sync token or the
// callback secret.
func TestVerboseNeverLeaksSecrets(t *testing.T) {
	te := newTestEnv(t, true)
	var all strings.Builder
	run := func(args ...string) {
		t.Helper()
		code, out, stderr := te.run(append(args, "--verbose")...)
		all.WriteString(out)
		all.WriteString(stderr)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	run("auth", "login")
	run("plans", "--json")
	run("tenant", "create", "--plan", "pro", "--region", "ams", "--json")
	run("tenant", "list", "--json")
	run("tenant", "list")
	run("tenant", "show", "--json")
	run("tenant", "show", "--offline", "--json")
	run("tenant", "list", "--offline", "--json")
	run("tenant", "status", "--json")
	run("auth", "whoami", "--json")
	text := all.String()
	if !strings.Contains(text, "Authorization") && !strings.Contains(text, "GET") {
		t.Fatalf("--verbose logged nothing:\n%s", text)
	}
	tok := savedToken(t, te.dir)
	ts, _ := store.LoadTenants(filepath.Join(te.dir, ".systemprompt", "tenants.json"))
	tn := ts.Tenants[0]
	state, _ := te.emu.Tenant(tn.ID)
	u, _ := url.Parse(state.DatabaseURL)
	pw, _ := u.User.Password()
	secrets := map[string]string{"token": tok, "db password": pw, "jwt secret": state.JWTSecret, "sync token": state.SyncToken}
	for name, s := range secrets {
		if len(s) < 6 {
			t.Fatalf("secret %s too short to search for: %q", name, s)
		}
		if strings.Contains(text, s) {
			t.Errorf("the %s appears in the output", name)
		}
	}
	if m := regexp.MustCompile(`/callback/[A-Za-z0-9_-]{20,}`).FindString(text); m != "" {
		t.Errorf("a callback secret appears in the output: %s", m)
	}
	// The secrets URL's ticket fetches the secrets: shown with --reveal only.
	if m := regexp.MustCompile(`ticket=tkt_[A-Za-z0-9_-]+`).FindString(text); m != "" {
		t.Errorf("a secrets ticket appears in the output: %s", m)
	}
	if _, out, _ := te.run("tenant", "status", "--json", "--reveal"); !strings.Contains(out, "ticket=tkt_") {
		t.Errorf("tenant status --json --reveal: %s", out)
	}
}

// Against an emulator that drops every stream after 2 events and fails the
// first 2 GETs of every path, the main job still succeeds, promptly, with no
// progress line shown twice.
func TestMainJobUnderFaults(t *testing.T) {
	te := newTestEnv(t, false)
	emu := emulator.New(emulator.Options{StepDelay: 20 * time.Millisecond, DropStreamEvery: 2, FailFirst: 2, Latency: 2 * time.Millisecond})
	srv := &http.Server{Handler: emu}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(ln)
	t.Cleanup(func() { emu.Close(); srv.Close() })
	te.url = "http://" + ln.Addr().String()
	te.env["SYSTEMPROMPT_API_URL"] = te.url
	te.person = &person.Person{Clicks: []string{"approve", "pay"}}

	for _, args := range [][]string{{"auth", "login"}, {"plans"}} {
		if code, _, stderr := te.run(args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	start := time.Now()
	code, _, stderr := te.run("tenant", "create", "--plan", "starter", "--region", "syd")
	if code != 0 {
		t.Fatalf("create: exit %d: %s", code, stderr)
	}
	// 13 events at 20 ms; retries wait Retry-After (1 s) at most twice per path.
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("tenant create took %s", d)
	}
	seen := map[string]bool{}
	n := 0
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "  ✓") {
			key := l[:strings.LastIndex(l, "[")]
			if seen[key] {
				t.Errorf("progress line repeated: %q", l)
			}
			seen[key] = true
			n++
		}
	}
	if n < 11 {
		t.Errorf("only %d progress lines:\n%s", n, stderr)
	}
}
