package login

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/internal/browser"
	"github.com/spcloud/spcloud/internal/loopback"
)

// Options configure Run.
type Options struct {
	// Client calls the API; its token is not used (the OAuth start needs none).
	Client *api.Client
	// Provider is the identity provider; spcloud.GitHub when empty.
	Provider spcloud.OAuthProvider
	// Port is the callback port; 0 tries spcloud.OAuthCallbackPort, then any
	// free port.
	Port int
	// PinPort makes the port mandatory (--callback-port): when it is taken,
	// Run fails instead of choosing another.
	PinPort bool
	// NoBrowser only prints the URL to visit.
	NoBrowser bool
	// Stderr receives the URL and progress lines; nil discards them.
	Stderr io.Writer
	// Timeout bounds the wait for the browser; spcloud.CallbackTimeout when 0.
	Timeout time.Duration
	// Open opens a URL in the browser; the default launcher of package
	// internal/browser when nil. An error it returns is reported and the
	// wait goes on. Tests use it to play the browser.
	Open func(ctx context.Context, url string) error
	// Logger receives debug lines of the callback server; nil logs nothing.
	Logger *slog.Logger
}

// Run logs in through the browser and returns the access token. It returns
// ctx.Err() when ctx ends first (Ctrl-C), a *DeniedError when the browser
// comes back with an error, an error wrapping loopback.ErrTimeout when it
// does not come back in time, and an error of kind
// spcloud.ErrNotAuthenticated when it comes back with neither token nor
// error. The callback server is always shut down before Run returns.
func Run(ctx context.Context, opts Options) (string, error) {
	if opts.Client == nil {
		return "", errors.New("login: Options.Client is required")
	}
	provider := opts.Provider
	if provider == "" {
		provider = spcloud.GitHub
	}
	stderr := opts.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	port := opts.Port
	if port == 0 {
		port = spcloud.OAuthCallbackPort
	}

	var result outcome
	srv, err := loopback.Listen(ctx, loopback.Config{
		Port:    port,
		Pin:     opts.PinPort,
		Timeout: opts.Timeout,
		Logger:  opts.Logger,
		OnCallback: func(q url.Values) loopback.Page {
			o, page := decide(q)
			result = o           // read after Wait, which the callback's completion orders
			page.ClearURL = true // the one-use secret path and any token leave the address bar
			return page
		},
	})
	if err != nil {
		return "", fmt.Errorf("start the login callback server: %w", err)
	}
	defer srv.Close()

	authorizeURL, err := opts.Client.OAuthStart(ctx, provider, srv.RedirectURI())
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("start the %s login: %w", provider.DisplayName(), err)
	}
	if !browser.IsWebURL(authorizeURL) {
		return "", fmt.Errorf("start the %s login: the API answered an authorize URL that is not an http(s) URL", provider.DisplayName())
	}
	if err := browser.Present(ctx, stderr, authorizeURL, opts.NoBrowser, opts.Open); err != nil {
		return "", err
	}
	fmt.Fprintf(stderr, "Waiting for you to log in with %s in the browser (Ctrl-C to cancel)...\n", provider.DisplayName())
	if _, err := srv.Wait(ctx); err != nil {
		return "", err
	}
	return result.token, result.err
}
