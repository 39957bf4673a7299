package login

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/internal/loopback"
	"github.com/spcloud/spcloud/internal/testkit"
)

const jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJl"

var redirectRE = regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+/callback/[A-Za-z0-9_-]{43}$`)

func TestRunSuccess(t *testing.T) {
	f := newFakeAPI(t, "access_token="+jwt)
	b := &testkit.Browser{}
	var stderr testkit.SyncBuffer
	token, err := Run(withTimeout(t), Options{
		Client: api.New(f.URL, "stale-token"), Provider: spcloud.Google,
		Port: testkit.FreePort(t), Stderr: &stderr, Open: b.Open,
	})
	if err != nil {
		t.Fatal(err)
	}
	if token != jwt {
		t.Errorf("token = %q", token)
	}
	redirect, auth := f.received()
	if !redirectRE.MatchString(redirect) {
		t.Errorf("redirect_uri %q is not a secret loopback callback", redirect)
	}
	if auth != "" {
		t.Errorf("OAuth start sent Authorization %q", auth)
	}
	p := b.Last(t)
	if p.Status != 200 || !strings.Contains(p.Body, "You are logged in") || !strings.Contains(p.Body, "history.replaceState") {
		t.Errorf("final page %d:\n%.400s", p.Status, p.Body)
	}
	out := stderr.String()
	if !strings.Contains(out, "Opening "+b.URLs()[0]+" in your browser.") || !strings.Contains(out, "Google") {
		t.Errorf("stderr = %q", out)
	}
	testkit.AssertFreed(t, testkit.PortOf(t, redirect))
}

func TestRunDefaultPort(t *testing.T) {
	// Port 0 tries the reference port and falls back to any free port, so
	// this works whether or not 8765 is taken on this machine.
	f := newFakeAPI(t, "access_token="+jwt)
	token, err := Run(withTimeout(t), Options{Client: api.New(f.URL, ""), Open: (&testkit.Browser{}).Open})
	if err != nil || token != jwt {
		t.Fatalf("Run = %q, %v", token, err)
	}
}

func TestRunCallbackErrors(t *testing.T) {
	hostile := `<script>alert(1)</script>`
	tests := []struct {
		name     string
		callback string
		check    func(t *testing.T, err error)
		page     []string
	}{
		{"denied", "error=access_denied&error_description=" + url.QueryEscape("The user said no "+hostile),
			func(t *testing.T, err error) {
				var de *DeniedError
				if !errors.As(err, &de) || de.Code != "access_denied" || de.Description != "The user said no "+hostile {
					t.Errorf("err = %#v", err)
				}
			}, []string{"Login failed", "access_denied: The user said no &lt;script&gt;"}},
		{"error wins over token", "error=server_error&access_token=" + jwt,
			func(t *testing.T, err error) {
				var de *DeniedError
				if !errors.As(err, &de) || de.Code != "server_error" || de.Description != "" {
					t.Errorf("err = %#v", err)
				}
				if err.Error() != "login refused: server_error" {
					t.Errorf("message %q", err)
				}
			}, []string{"Login failed"}},
		{"terminal escapes cleaned", "error=denied&error_description=" + url.QueryEscape("a\x1b[2Jb"),
			func(t *testing.T, err error) {
				if strings.ContainsRune(err.Error(), 0x1b) {
					t.Errorf("escape kept in %q", err)
				}
			}, nil},
		{"error of control characters only", "error=%01%1b",
			func(t *testing.T, err error) {
				var de *DeniedError
				if !errors.As(err, &de) || de.Code != "unknown_error" {
					t.Errorf("err = %#v", err)
				}
			}, nil},
		{"neither", "state=st_abc",
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrNoToken) {
					t.Errorf("err = %v, want ErrNoToken", err)
				}
			}, []string{"without a login token"}},
		{"empty token", "access_token=",
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrNoToken) {
					t.Errorf("err = %v, want ErrNoToken", err)
				}
			}, nil},
		{"malformed token", "access_token=" + url.QueryEscape("abc def"),
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrMalformedToken) {
					t.Errorf("err = %v, want ErrMalformedToken", err)
				}
			}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, tt.callback)
			b := &testkit.Browser{}
			token, err := Run(withTimeout(t), Options{Client: api.New(f.URL, ""), Port: testkit.FreePort(t), Open: b.Open})
			if err == nil || token != "" {
				t.Fatalf("Run = %q, %v; want an error", token, err)
			}
			if !errors.Is(err, spcloud.ErrNotAuthenticated) || spcloud.KindOf(err) != spcloud.ErrNotAuthenticated {
				t.Errorf("err %v is not of kind ErrNotAuthenticated", err)
			}
			tt.check(t, err)
			p := b.Last(t)
			if strings.Contains(p.Body, "<script>alert") {
				t.Errorf("hostile value injected into the page")
			}
			for _, w := range tt.page {
				if !strings.Contains(p.Body, w) {
					t.Errorf("page lacks %q:\n%.600s", w, p.Body)
				}
			}
			redirect, _ := f.received()
			testkit.AssertFreed(t, testkit.PortOf(t, redirect))
		})
	}
}

func TestRunTimeout(t *testing.T) {
	f := newFakeAPI(t, "access_token="+jwt)
	start := time.Now()
	_, err := Run(withTimeout(t), Options{
		Client: api.New(f.URL, ""), Port: testkit.FreePort(t), Timeout: 200 * time.Millisecond,
		Open: func(context.Context, string) error { return nil }, // the person never comes back
	})
	if !errors.Is(err, loopback.ErrTimeout) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if want := "no answer from the browser within 200ms; run the command again and finish in the browser (the URL is printed above)"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timeout took %s", d)
	}
	redirect, _ := f.received()
	testkit.AssertFreed(t, testkit.PortOf(t, redirect))
}

func TestRunCancelled(t *testing.T) {
	f := newFakeAPI(t, "access_token="+jwt)
	ctx, cancel := context.WithCancel(withTimeout(t))
	done := make(chan struct{})
	var token string
	var err error
	go func() {
		defer close(done)
		token, err = Run(ctx, Options{
			Client: api.New(f.URL, ""), Port: testkit.FreePort(t),
			Open: func(context.Context, string) error { time.AfterFunc(50*time.Millisecond, cancel); return nil },
		})
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if !errors.Is(err, context.Canceled) || token != "" {
		t.Fatalf("Run = %q, %v; want context.Canceled", token, err)
	}
	redirect, _ := f.received()
	testkit.AssertFreed(t, testkit.PortOf(t, redirect))
}

func TestRunStartFails(t *testing.T) {
	f := newFakeAPI(t, "")
	f.startStatus = http.StatusBadRequest
	opened := false
	_, err := Run(withTimeout(t), Options{Client: api.New(f.URL, ""), Port: testkit.FreePort(t),
		Open: func(context.Context, string) error { opened = true; return nil }})
	var ae *spcloud.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || !strings.Contains(err.Error(), "start the GitHub login") {
		t.Fatalf("err = %v", err)
	}
	if opened {
		t.Error("the browser was opened after the start failed")
	}
	redirect, _ := f.received()
	testkit.AssertFreed(t, testkit.PortOf(t, redirect))
}

func TestRunRefusesNonWebAuthorizeURL(t *testing.T) {
	f := newFakeAPI(t, "")
	f.authorize = "file:///etc/passwd"
	opened := false
	_, err := Run(withTimeout(t), Options{Client: api.New(f.URL, ""), Port: testkit.FreePort(t),
		Open: func(context.Context, string) error { opened = true; return nil }})
	if err == nil || opened {
		t.Fatalf("Run = %v, opened %v", err, opened)
	}
}

func TestRunPinnedPortTaken(t *testing.T) {
	f := newFakeAPI(t, "access_token="+jwt)
	holder := newFakeAPI(t, "") // any listener holds a port
	port := testkit.PortOf(t, holder.URL)
	_, err := Run(withTimeout(t), Options{Client: api.New(f.URL, ""), Port: port, PinPort: true,
		Open: (&testkit.Browser{}).Open})
	if !errors.Is(err, loopback.ErrPortInUse) {
		t.Fatalf("err = %v, want ErrPortInUse", err)
	}
	// Not pinned: falls back to another port.
	token, err := Run(withTimeout(t), Options{Client: api.New(f.URL, ""), Port: port, Open: (&testkit.Browser{}).Open})
	if err != nil || token != jwt {
		t.Fatalf("fallback Run = %q, %v", token, err)
	}
	if redirect, _ := f.received(); testkit.PortOf(t, redirect) == port {
		t.Error("used the taken port")
	}
}

func TestRunNoBrowser(t *testing.T) {
	f := newFakeAPI(t, "access_token="+jwt)
	var stderr testkit.SyncBuffer
	// The person reads the URL from the terminal and opens it by hand.
	go func() {
		re := regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/authorize/github\S+`)
		for i := 0; i < 500; i++ {
			if u := re.FindString(stderr.String()); u != "" {
				testkit.Visit(context.Background(), u)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	token, err := Run(withTimeout(t), Options{
		Client: api.New(f.URL, ""), Port: testkit.FreePort(t), NoBrowser: true, Stderr: &stderr,
		Open: func(context.Context, string) error { t.Error("Open called in no-browser mode"); return nil },
	})
	if err != nil || token != jwt {
		t.Fatalf("Run = %q, %v", token, err)
	}
	if !strings.Contains(stderr.String(), "Open this URL in your browser") {
		t.Errorf("stderr = %q", stderr.String())
	}
}

func TestRunBrowserFailsToOpen(t *testing.T) {
	f := newFakeAPI(t, "access_token="+jwt)
	var stderr testkit.SyncBuffer
	token, err := Run(withTimeout(t), Options{
		Client: api.New(f.URL, ""), Port: testkit.FreePort(t), Stderr: &stderr,
		Open: func(_ context.Context, u string) error {
			go testkit.Visit(context.Background(), u) // the person opens the printed URL
			return errors.New("xdg-open: not found")
		},
	})
	if err != nil || token != jwt {
		t.Fatalf("Run = %q, %v", token, err)
	}
	if !strings.Contains(stderr.String(), "Could not open a browser (xdg-open: not found)") {
		t.Errorf("stderr = %q", stderr.String())
	}
}

func TestRunIgnoresForgedCallbacks(t *testing.T) {
	f := newFakeAPI(t, "access_token="+jwt)
	var replay testkit.Page
	hostile := func(ctx context.Context, authorize string) error {
		u, _ := url.Parse(authorize)
		real, _ := url.Parse(u.Query().Get("redirect_uri"))
		base := "http://" + real.Host
		for _, p := range []string{"/callback", "/callback/0000", "/", "/callback/" + strings.Repeat("A", 43)} {
			pg, err := testkit.Visit(ctx, base+p+"?access_token=forged."+"x.y")
			if err != nil || pg.Status != http.StatusNotFound {
				t.Errorf("forged %s = %d, %v; want 404", p, pg.Status, err)
			}
		}
		pg, err := testkit.Visit(ctx, authorize)
		if err != nil || pg.Status != 200 {
			t.Errorf("real callback = %d, %v", pg.Status, err)
		}
		// Replaying the real callback changes nothing.
		replay, _ = testkit.Visit(ctx, pg.URL)
		return nil
	}
	token, err := Run(withTimeout(t), Options{Client: api.New(f.URL, ""), Port: testkit.FreePort(t), Open: hostile})
	if err != nil || token != jwt {
		t.Fatalf("Run = %q, %v; want the real token", token, err)
	}
	if replay.Status != http.StatusGone {
		t.Errorf("replay = %d, want 410", replay.Status)
	}
}

func TestRunNeedsClient(t *testing.T) {
	if _, err := Run(context.Background(), Options{}); err == nil {
		t.Error("Run without a client succeeded")
	}
}
