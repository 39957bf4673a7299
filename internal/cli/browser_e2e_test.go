package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/spcloud/spcloud/emulator"
	"github.com/spcloud/spcloud/internal/testkit"
)

// chrome drives a real headless Chromium through the emulator's pages: it
// opens the URL the CLI hands it, clicks a button, follows the browser back
// to the CLI's callback server, and saves screenshots of what it saw.
type chrome struct {
	t      *testing.T
	ctx    context.Context
	button string // id of the button to click
	shots  string // artefacts folder
	name   string // prefix of this run's screenshots
	site   string // the emulator's URL: the browser has left it once back at the CLI
	final  bool   // the callback page is a waiting page: follow it to its end

	wg     sync.WaitGroup
	mu     sync.Mutex
	errs   []error
	titles []string
	texts  []string
}

func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func newChrome(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("SPCLOUD_REQUIRE_BROWSER") == "1" {
			t.Fatal("chromium is required (SPCLOUD_REQUIRE_BROWSER=1) but not installed; install the Debian package chromium")
		}
		t.Skip("chromium not installed; set SPCLOUD_REQUIRE_BROWSER=1 to make this a failure")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(900, 760),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

func artefacts(t *testing.T) string {
	dir := os.Getenv("SPCLOUD_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts", "browser")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (c *chrome) Open(_ context.Context, url string) error {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if err := c.visit(url); err != nil {
			c.mu.Lock()
			c.errs = append(c.errs, err)
			c.mu.Unlock()
		}
	}()
	return nil
}

func (c *chrome) shot(ctx context.Context, file string) error {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(c.shots, file), png, 0o644)
}

func (c *chrome) visit(url string) error {
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	sel := chromedp.CSS("#" + c.button)
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(sel)); err != nil {
		return fmt.Errorf("emulator page: %w", err)
	}
	if err := c.shot(ctx, c.name+"-1-emulator-page.png"); err != nil {
		return err
	}
	if err := chromedp.Do(ctx, chromedp.Click(sel)); err != nil {
		return fmt.Errorf("click %s: %w", c.button, err)
	}
	// The browser goes back to the CLI's loopback callback server.
	for deadline := time.Now().Add(15 * time.Second); ; {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			return err
		}
		// The callback page replaces its secret URL with "/" at once, so look
		// for any page of the CLI's server, not for the callback path.
		if strings.HasPrefix(loc, "http://127.0.0.1:") && !strings.HasPrefix(loc, c.site) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the browser never came back to the callback; it is at %s", loc)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Let the page's script settle for the screenshot.
	if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS("body")), chromedp.Sleep(300*time.Millisecond)); err != nil {
		return fmt.Errorf("callback page: %w", err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		return err
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		return err
	}
	if err := c.shot(ctx, c.name+"-2-callback-page.png"); err != nil {
		return err
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return err
	}
	if strings.Contains(loc, "/callback") || strings.Contains(loc, "?") {
		return fmt.Errorf("the callback page left its secret URL in the address bar: %s", loc)
	}
	if c.final {
		// The waiting page polls the CLI until the tenant is ready.
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("body.success, body.error"))); err != nil {
			return fmt.Errorf("the waiting page never reached its end: %w", err)
		}
		if title, err = chromedp.Run(ctx, chromedp.Title()); err != nil {
			return err
		}
		if text, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body"))); err != nil {
			return err
		}
		if err := c.shot(ctx, c.name+"-3-final-page.png"); err != nil {
			return err
		}
	}
	c.mu.Lock()
	c.titles = append(c.titles, title)
	c.texts = append(c.texts, text)
	c.mu.Unlock()
	return nil
}

func (c *chrome) wait() error {
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.errs) > 0 {
		return c.errs[0]
	}
	return nil
}

// checkFinished asserts the callback page looks finished: a title, a
// message, no raw template markers.
func (c *chrome) checkFinished(t *testing.T, want string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.titles) == 0 {
		t.Fatalf("%s: no callback page seen", c.name)
	}
	title, text := c.titles[len(c.titles)-1], c.texts[len(c.texts)-1]
	if strings.TrimSpace(title) == "" {
		t.Errorf("%s: page has no title", c.name)
	}
	if strings.Contains(text, "{{") || strings.Contains(text, "}}") || strings.Contains(title, "{{") {
		t.Errorf("%s: raw template markers on the page: %q", c.name, text)
	}
	if !strings.Contains(strings.ToLower(title+" "+text), strings.ToLower(want)) {
		t.Errorf("%s: page %q / %q does not say %q", c.name, title, text, want)
	}
}

// TestBrowserEndToEnd clicks Approve, Pay and Deny in a real Chromium and
// checks what the CLI receives.
func TestBrowserEndToEnd(t *testing.T) {
	ctx := newChrome(t)
	shots := artefacts(t)
	te := newTestEnv(t, false)
	// Provisioning at a pace a page can follow (about 2 s): the waiting page
	// polls as soon as it loads, and the CLI then waits for it to see the
	// end. At the tests' usual 5 ms steps the run can be over before the
	// page has loaded, and the page would rightly say the CLI stopped waiting.
	te.serve(emulator.Options{StepDelay: 150 * time.Millisecond, Heartbeat: time.Second})
	te.person = nil

	run := func(name, button string, args ...string) (*chrome, int, string) {
		c := &chrome{t: t, ctx: ctx, button: button, shots: shots, name: name, site: te.url, final: button == "pay"}
		var out, errOut testkit.SyncBuffer
		f := &Factory{
			IO:          IOStreams{In: strings.NewReader(""), Out: &out, Err: &errOut},
			Getenv:      func(k string) string { return te.env[k] },
			Cwd:         te.dir,
			OpenBrowser: c.Open,
		}
		rctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		code := Run(rctx, f, args)
		if err := c.wait(); err != nil {
			t.Fatalf("%s: browser: %v\nCLI said: %s", name, err, errOut.String())
		}
		return c, code, errOut.String()
	}

	c, code, stderr := run("login-deny", "deny", "auth", "login", "--provider", "github")
	if code != ExitLoginNeeded || !strings.Contains(stderr, "access_denied") {
		t.Fatalf("deny: exit %d: %s", code, stderr)
	}
	c.checkFinished(t, "denied")

	c, code, stderr = run("login-approve", "approve", "auth", "login", "--provider", "github")
	if code != 0 {
		t.Fatalf("approve: exit %d: %s", code, stderr)
	}
	c.checkFinished(t, "logged in")

	c, code, stderr = run("checkout-pay", "pay", "tenant", "create", "--plan", "starter", "--region", "lhr")
	if code != 0 {
		t.Fatalf("pay: exit %d: %s", code, stderr)
	}
	c.checkFinished(t, "ready")
	t.Logf("screenshots in %s", shots)
}
