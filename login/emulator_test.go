package login_test

import (
	"context"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/emulator"
	"github.com/spcloud/spcloud/login"
)

// startEmulator serves an emulated cloud on loopback.
func startEmulator(t *testing.T, opts emulator.Options) *httptest.Server {
	t.Helper()
	emu := emulator.New(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		emu.Close() // first: it ends open streams
		srv.Close()
	})
	return srv
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// follow is a browser that opens the URL and follows redirects.
func follow(ctx context.Context, u string) (*http.Response, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

var (
	formRE   = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// clicker is a person who opens the page and presses the button with the
// given value (approve, deny, pay, cancel).
func clicker(t *testing.T, button string) func(context.Context, string) error {
	return func(ctx context.Context, u string) error {
		resp, body, err := follow(ctx, u)
		if err != nil {
			return err
		}
		m := formRE.FindStringSubmatch(body)
		if m == nil || !strings.Contains(body, `id="`+button+`"`) {
			t.Errorf("no form with button %q on %s:\n%.500s", button, resp.Request.URL, body)
			return nil
		}
		action, err := resp.Request.URL.Parse(html.UnescapeString(m[1]))
		if err != nil {
			return err
		}
		form := url.Values{"action": {button}}
		for _, h := range hiddenRE.FindAllStringSubmatch(body, -1) {
			form.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		r.Body.Close()
		return nil
	}
}

func TestEmulatorLogin(t *testing.T) {
	srv := startEmulator(t, emulator.Options{AutoApprove: true, StepDelay: 5 * time.Millisecond})
	client := api.New(srv.URL, "")
	var last string
	token, err := login.Run(ctxFor(t), login.Options{Client: client, Provider: spcloud.GitHub,
		Open: func(ctx context.Context, u string) error {
			_, body, err := follow(ctx, u)
			last = body
			return err
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(last, "You are logged in") {
		t.Errorf("final page:\n%.400s", last)
	}
	me, err := client.WithToken(token).Me(ctxFor(t))
	if err != nil || me.User.Email != emulator.DemoUserEmail {
		t.Fatalf("Me = %+v, %v", me, err)
	}
}

func TestEmulatorLoginClickingTheConsentPage(t *testing.T) {
	srv := startEmulator(t, emulator.Options{StepDelay: 5 * time.Millisecond})
	client := api.New(srv.URL, "")
	token, err := login.Run(ctxFor(t), login.Options{Client: client, Provider: spcloud.Google, Open: clicker(t, "approve")})
	if err != nil || token == "" {
		t.Fatalf("approve: %q, %v", token, err)
	}
	_, err = login.Run(ctxFor(t), login.Options{Client: client, Open: clicker(t, "deny")})
	var de *login.DeniedError
	if !errors.As(err, &de) || de.Code != "access_denied" || !errors.Is(err, spcloud.ErrNotAuthenticated) {
		t.Fatalf("deny: %v", err)
	}
}

func TestEmulatorLoginHostileBrowser(t *testing.T) {
	srv := startEmulator(t, emulator.Options{AutoApprove: true, StepDelay: 5 * time.Millisecond})
	client := api.New(srv.URL, "")
	forged := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5IiwiZXhwIjo0MTAyNDQ0ODAwfQ.Zm9yZ2Vk"
	// The attacker knows the port (it is no secret) but not the callback path.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	hostile := func(ctx context.Context, authorize string) error {
		base := "http://127.0.0.1:" + port
		for _, p := range []string{"/callback", "/callback/", "/callback/0000", "/", "/callback/" + strings.Repeat("x", 43)} {
			resp, _, err := follow(ctx, base+p+"?access_token="+forged)
			if err != nil {
				t.Errorf("forged %s: %v", p, err)
				continue
			}
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("forged %s answered %d", p, resp.StatusCode)
			}
		}
		_, _, err := follow(ctx, authorize)
		return err
	}
	token, err := login.Run(ctxFor(t), login.Options{Client: client, Port: atoi(port), PinPort: true, Open: hostile})
	if err != nil {
		t.Fatal(err)
	}
	if token == forged {
		t.Fatal("the forged token won")
	}
	if _, err := client.WithToken(token).Me(ctxFor(t)); err != nil {
		t.Fatalf("the token Run returned does not work: %v", err)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
