// Package cli is the spcloud command tree. Each command group lives in its
// own file; commands get their streams, environment, files and API client
// from a Factory, so tests and the demo run the real tree without a process.
package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/cloudctx"
	"github.com/spcloud/spcloud/internal/browser"
	"github.com/spcloud/spcloud/paths"
)

// IOStreams are a command's standard streams.
type IOStreams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// Interactive tells whether a person is at a terminal to answer prompts.
	Interactive bool
}

// Factory hands commands what they need, built lazily so that --version and
// --help touch no file and no network.
type Factory struct {
	IO IOStreams
	// Getenv and Cwd replace the process environment and working directory.
	Getenv func(string) string
	Cwd    string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// OpenBrowser opens a URL for a person; nil uses the platform's browser.
	OpenBrowser func(ctx context.Context, url string) error
	// ClientOptions are added to every API client (tests).
	ClientOptions []api.Option

	// Flags of the root command.
	apiURLFlag string
	envFlag    string
	verbose    bool

	stdin *bufio.Reader

	filesOnce sync.Once
	files     *paths.Resolved
	filesErr  error
}

// NewFactory returns a factory for the real process.
func NewFactory() *Factory {
	cwd, _ := os.Getwd()
	return &Factory{
		IO:     IOStreams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Interactive: isTerminal(os.Stdin) && isTerminal(os.Stderr)},
		Getenv: os.Getenv,
		Cwd:    cwd,
	}
}

func (f *Factory) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// Files resolves the project's files once.
func (f *Factory) Files() (*paths.Resolved, error) {
	f.filesOnce.Do(func() { f.files, f.filesErr = paths.ResolveFiles(f.Cwd, f.Getenv) })
	return f.files, f.filesErr
}

// APIURL is the API base URL: --api-url, then SYSTEMPROMPT_API_URL, then
// the --env environment's URL.
func (f *Factory) APIURL() string {
	env, err := spcloud.ParseEnvironment(f.envFlag)
	if err != nil {
		env = spcloud.Production
	}
	u := f.apiURLFlag
	if u == "" {
		u = f.Getenv(spcloud.EnvAPIURL)
	}
	return spcloud.ResolveAPIURL(u, env)
}

func (f *Factory) logger() *slog.Logger {
	if !f.verbose {
		return nil
	}
	return slog.New(slog.NewTextHandler(f.IO.Err, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// NewClient returns an API client for baseURL with token ("" for none).
func (f *Factory) NewClient(baseURL, token string) *api.Client {
	opts := []api.Option{api.WithLogger(f.logger())}
	opts = append(opts, f.ClientOptions...)
	return api.New(baseURL, token, opts...)
}

// browserOpen is how commands open URLs: OpenBrowser when set, else the
// browser named by SPCLOUD_BROWSER, BROWSER or the platform, read through
// the factory's environment.
func (f *Factory) browserOpen() func(context.Context, string) error {
	if f.OpenBrowser != nil {
		return f.OpenBrowser
	}
	return (&browser.Opener{Getenv: f.Getenv}).Launch
}

// Credentials resolves valid (unexpired) credentials.
func (f *Factory) Credentials() (*cloudctx.Credentials, error) {
	files, err := f.Files()
	if err != nil {
		return nil, err
	}
	c, err := cloudctx.RequireValid(files, f.Getenv, f.APIURL(), f.now())
	if err == nil && c.Warning != "" {
		fmt.Fprintln(f.IO.Err, "Warning: "+c.Warning)
	}
	return c, err
}

// Client returns an authenticated API client. The API URL is the flag or
// SYSTEMPROMPT_API_URL when given, else the one the credentials were saved with.
func (f *Factory) Client() (*api.Client, *cloudctx.Credentials, error) {
	creds, err := f.Credentials()
	if err != nil {
		return nil, nil, err
	}
	base := creds.APIURL
	if f.apiURLFlag != "" || f.Getenv(spcloud.EnvAPIURL) != "" || base == "" {
		base = f.APIURL()
	}
	return f.NewClient(base, creds.APIToken), creds, nil
}
