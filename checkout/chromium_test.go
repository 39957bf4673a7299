package checkout

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/internal/testkit"
)

// chromium finds a headless-capable Chromium, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	for _, name := range []string{os.Getenv("SPCLOUD_TEST_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found")
	return ""
}

// TestWaitingPageInChromium runs the waiting page in a real browser: its
// script must pass the Content-Security-Policy, poll /progress, list the
// steps and end on the final state.
func TestWaitingPageInChromium(t *testing.T) {
	bin := chromium(t)
	f := newFakeCloud(t, pending)
	f.checkoutEvents = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, checkoutEvent(1, "subscription_created", `,"message":"Subscription active"`))
		http.NewResponseController(w).Flush()
		select {
		case <-time.After(700 * time.Millisecond): // the page polls meanwhile
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, checkoutEvent(2, "infrastructure_ready", `,"message":"Infrastructure ready, deploy your code"`))
	}
	dom := make(chan string, 1)
	open := func(ctx context.Context, u string) error {
		go func() {
			cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
				"--user-data-dir="+t.TempDir(), "--virtual-time-budget=100000000", "--dump-dom", u)
			out, err := cmd.Output()
			if err != nil {
				t.Logf("chromium: %v", err)
			}
			dom <- string(out)
		}()
		return nil
	}
	res, err := Run(withTimeout(t), Options{Client: api.New(f.URL, "tok"), PriceID: "p", Port: testkit.FreePort(t), Open: open})
	if err != nil {
		t.Fatal(err)
	}
	if !res.NeedsDeploy {
		t.Errorf("Result %+v", res)
	}
	var page string
	select {
	case page = <-dom:
	case <-time.After(20 * time.Second):
		t.Fatal("chromium did not finish")
	}
	for _, want := range []string{`<body class="success">`, "Your tenant is ready for your app", "<li>Subscription active</li>", "<li>Infrastructure ready, deploy your code</li>"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(page)
	}
}
