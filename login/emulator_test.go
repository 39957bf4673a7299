package login_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/emulator"
	"github.com/spcloud/spcloud/internal/testkit"
	"github.com/spcloud/spcloud/login"
)

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestEmulatorLogin(t *testing.T) {
	srv := testkit.Serve(t, emulator.New(emulator.Options{AutoApprove: true, StepDelay: 5 * time.Millisecond}))
	client := api.New(srv.URL, "")
	var last string
	token, err := login.Run(ctxFor(t), login.Options{Client: client, Provider: spcloud.GitHub,
		Open: func(ctx context.Context, u string) error {
			_, body, err := testkit.Follow(ctx, u)
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
	srv := testkit.Serve(t, emulator.New(emulator.Options{StepDelay: 5 * time.Millisecond}))
	client := api.New(srv.URL, "")
	token, err := login.Run(ctxFor(t), login.Options{Client: client, Provider: spcloud.Google, Open: testkit.Clicker(t, "approve")})
	if err != nil || token == "" {
		t.Fatalf("approve: %q, %v", token, err)
	}
	_, err = login.Run(ctxFor(t), login.Options{Client: client, Open: testkit.Clicker(t, "deny")})
	var de *login.DeniedError
	if !errors.As(err, &de) || de.Code != "access_denied" || !errors.Is(err, spcloud.ErrNotAuthenticated) {
		t.Fatalf("deny: %v", err)
	}
}

func TestEmulatorLoginHostileBrowser(t *testing.T) {
	srv := testkit.Serve(t, emulator.New(emulator.Options{AutoApprove: true, StepDelay: 5 * time.Millisecond}))
	client := api.New(srv.URL, "")
	forged := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5IiwiZXhwIjo0MTAyNDQ0ODAwfQ.Zm9yZ2Vk"
	// The attacker knows the port (it is no secret) but not the callback path.
	port := testkit.FreePort(t)
	hostile := func(ctx context.Context, authorize string) error {
		base := "http://127.0.0.1:" + strconv.Itoa(port)
		for _, p := range []string{"/callback", "/callback/", "/callback/0000", "/", "/callback/" + strings.Repeat("x", 43)} {
			resp, _, err := testkit.Follow(ctx, base+p+"?access_token="+forged)
			if err != nil {
				t.Errorf("forged %s: %v", p, err)
				continue
			}
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("forged %s answered %d", p, resp.StatusCode)
			}
		}
		_, _, err := testkit.Follow(ctx, authorize)
		return err
	}
	token, err := login.Run(ctxFor(t), login.Options{Client: client, Port: port, PinPort: true, Open: hostile})
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
