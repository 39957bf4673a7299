package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/cloudctx"
	"github.com/spcloud/spcloud/login"
	"github.com/spcloud/spcloud/store"
	"github.com/spcloud/spcloud/token"
)

func newAuthCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: "Log in, log out, and show who is logged in",
	}
	cmd.AddCommand(newLoginCmd(f), newLogoutCmd(f), newWhoamiCmd(f))
	return cmd
}

type loginOptions struct {
	provider     string
	callbackPort int
	noBrowser    bool
	withToken    bool
	timeout      time.Duration
}

func newLoginCmd(f *Factory) *cobra.Command {
	o := &loginOptions{}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in through your browser",
		Long: `Log in to systemprompt.io Cloud through your browser.

spcloud starts a small server on 127.0.0.1 that only the browser's return
can reach (its path holds a fresh secret), prints the login URL and opens it
with $SPCLOUD_BROWSER, $BROWSER or the system's browser. When the browser
cannot be opened (SSH, containers), open the printed URL yourself.

The token is checked with the API and saved in .systemprompt/credentials.json
(mode 0600), with your tenants in tenants.json. A broken credentials file is
kept aside, not lost.`,
		Example: `  spcloud auth login --provider github
  spcloud auth login --no-browser
  echo "$TOKEN" | spcloud auth login --with-token`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLogin(cmd.Context(), f, o) },
	}
	cmd.Flags().StringVar(&o.provider, "provider", "", "identity provider: github or google (default github; asked on a terminal)")
	cmd.Flags().IntVar(&o.callbackPort, "callback-port", 0, "pin the local callback port (default 8765 when free, else any free port)")
	cmd.Flags().BoolVar(&o.noBrowser, "no-browser", false, "print the login URL instead of opening a browser")
	cmd.Flags().BoolVar(&o.withToken, "with-token", false, "read a token from standard input instead of using the browser")
	cmd.Flags().DurationVar(&o.timeout, "timeout", spcloud.CallbackTimeout, "how long to wait for the browser")
	return cmd
}

func runLogin(ctx context.Context, f *Factory, o *loginOptions) error {
	// The login goes on (the file may be meant for later), but the person
	// should know why their commands will not use it.
	switch {
	case f.Getenv(spcloud.EnvFlyAppName) != "":
		fmt.Fprintf(f.IO.Err, "Note: %s is set, so spcloud reads its credentials from %s, not from the file this login writes.\n", spcloud.EnvFlyAppName, spcloud.EnvAPIToken)
	case f.Getenv(spcloud.EnvAPIToken) != "":
		fmt.Fprintf(f.IO.Err, "Note: %s is set and overrides the file this login writes; unset it to use this login.\n", spcloud.EnvAPIToken)
	}
	base := f.APIURL()
	anon := f.NewClient(base, "")
	var tok string
	if o.withToken {
		b, err := io.ReadAll(io.LimitReader(f.IO.In, 64<<10))
		if err != nil {
			return fmt.Errorf("read token from standard input: %w", err)
		}
		tok = strings.TrimSpace(string(b))
		if tok == "" {
			return usageError("--with-token: standard input held no token")
		}
	} else {
		provider, err := chooseProvider(f, o.provider)
		if err != nil {
			return err
		}
		fmt.Fprintf(f.IO.Err, "Logging in to %s with %s.\n", base, provider.DisplayName())
		tok, err = login.Run(ctx, login.Options{
			Client:    anon,
			Provider:  provider,
			Port:      o.callbackPort,
			PinPort:   o.callbackPort != 0,
			NoBrowser: o.noBrowser,
			Stderr:    f.IO.Err,
			Timeout:   o.timeout,
			Open:      f.browserOpen(),
		})
		if err != nil {
			return err
		}
	}
	if token.IsExpired(tok, f.now()) {
		return spcloud.E(spcloud.ErrNotAuthenticated, "the token is not a valid, unexpired JWT; nothing was saved", nil)
	}
	me, err := anon.WithToken(tok).Me(ctx)
	if err != nil {
		var ae *spcloud.APIError
		if errors.As(err, &ae) && ae.Status == 401 {
			return spcloud.E(spcloud.ErrNotAuthenticated, "the API refused the token; nothing was saved", nil)
		}
		return err
	}
	files, err := f.Files()
	if err != nil {
		return err
	}
	creds := &store.Credentials{APIToken: tok, APIURL: base, AuthenticatedAt: store.At(f.now())}
	if a, err := mail.ParseAddress(me.User.Email); err == nil && a.Address == me.User.Email {
		creds.UserEmail = me.User.Email
	}
	aside, err := store.SaveCredentials(files.Credentials, creds)
	if err != nil {
		return err
	}
	if aside != "" {
		fmt.Fprintf(f.IO.Err, "The old credentials file was broken; it is kept as %s\n", aside)
	}
	aside, err = store.UpdateTenants(files.Tenants, func(s *store.TenantStore) error {
		s.Sync(me.Tenants, f.now())
		return nil
	})
	if err != nil {
		return err
	}
	if aside != "" {
		fmt.Fprintf(f.IO.Err, "The old tenants file was broken; it is kept as %s\n", aside)
	}
	who := me.User.Email
	if n := api.Str(me.User.Name); n != "" {
		who = n + " <" + me.User.Email + ">"
	}
	fmt.Fprintf(f.IO.Err, "Logged in as %s (%d tenant%s). Credentials saved to %s\n", who, len(me.Tenants), plural(len(me.Tenants)), files.Credentials)
	return nil
}

func chooseProvider(f *Factory, flag string) (spcloud.OAuthProvider, error) {
	if flag != "" {
		return spcloud.ParseOAuthProvider(flag)
	}
	if !f.IO.Interactive {
		return spcloud.GitHub, nil
	}
	i, err := f.choose("Log in with", []string{"GitHub", "Google"}, 0)
	if err != nil {
		return "", err
	}
	return []spcloud.OAuthProvider{spcloud.GitHub, spcloud.Google}[i], nil
}

func newLogoutCmd(f *Factory) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Remove the saved credentials",
		Long:  "Remove .systemprompt/credentials.json. The tenants file is kept.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.Getenv(spcloud.EnvAPIToken) != "" {
				return fmt.Errorf("the token comes from %s; unset it to log out", spcloud.EnvAPIToken)
			}
			files, err := f.Files()
			if err != nil {
				return err
			}
			if _, err := os.Stat(files.Credentials); errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(f.IO.Err, "Not logged in here (no %s); nothing to remove.\n", files.Credentials)
				return nil
			}
			if err := f.confirm(yes, "Log out and remove "+files.Credentials+"?"); err != nil {
				return err
			}
			if err := store.RemoveCredentials(files.Credentials); err != nil {
				return err
			}
			fmt.Fprintln(f.IO.Err, "Logged out.")
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// whoami is the --json shape of auth whoami.
type whoami struct {
	UserEmail       string      `json:"user_email,omitempty"`
	APIURL          string      `json:"api_url"`
	AuthenticatedAt string      `json:"authenticated_at,omitempty"`
	TokenState      token.State `json:"token_state"`
	ExpiresAt       string      `json:"expires_at,omitempty"`
	Source          string      `json:"source"`
	CredentialsPath string      `json:"credentials_path,omitempty"`
}

func newWhoamiCmd(f *Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show who is logged in (offline, from the credentials)",
		Long: `Show the logged-in user, the API URL and the token's state (valid, expires
soon, expired), read from the credentials file or from SYSTEMPROMPT_API_TOKEN.
It makes no network call. Exits with 4 when logging in is needed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files, err := f.Files()
			if err != nil {
				return err
			}
			c, err := cloudctx.LoadCredentials(files, f.Getenv, f.APIURL())
			if err != nil {
				return err
			}
			if c.Warning != "" {
				fmt.Fprintln(f.IO.Err, "Warning: "+c.Warning)
			}
			w := whoami{UserEmail: c.UserEmail, APIURL: c.APIURL, TokenState: c.TokenState(f.now()), Source: string(c.Source), CredentialsPath: c.Path}
			if c.Source == cloudctx.FromFile {
				w.AuthenticatedAt = c.AuthenticatedAt.String()
			}
			claims, derr := token.Decode(c.APIToken)
			if derr == nil {
				w.ExpiresAt = time.Unix(claims.Expiry, 0).UTC().Format(time.RFC3339)
				if w.UserEmail == "" {
					w.UserEmail = claims.Email
				}
			}
			if asJSON {
				if err := printJSON(f, w); err != nil {
					return err
				}
			} else {
				out := f.IO.Out
				fmt.Fprintf(out, "User:     %s\n", orDash(w.UserEmail))
				fmt.Fprintf(out, "API:      %s\n", w.APIURL)
				switch {
				case derr != nil:
					fmt.Fprint(out, "Token:    unreadable: not a JWT, so it counts as expired")
				case w.TokenState == token.Expired:
					fmt.Fprintf(out, "Token:    expired at %s", w.ExpiresAt)
				default:
					fmt.Fprintf(out, "Token:    %s (expires %s)", strings.ReplaceAll(string(w.TokenState), "_", " "), w.ExpiresAt)
				}
				fmt.Fprintln(out)
				switch c.Source {
				case cloudctx.FromFile:
					fmt.Fprintf(out, "Source:   %s\n", c.Path)
				case cloudctx.FromEnv:
					fmt.Fprintf(out, "Source:   %s (overrides the credentials file)\n", spcloud.EnvAPIToken)
				case cloudctx.FromContainer:
					fmt.Fprintf(out, "Source:   cloud container environment (%s)\n", spcloud.EnvAPIToken)
				}
			}
			switch w.TokenState {
			case token.Expired:
				if derr != nil {
					return spcloud.E(spcloud.ErrTokenExpired, "the token is not a readable JWT", nil)
				}
				return spcloud.E(spcloud.ErrTokenExpired, "", nil)
			case token.ExpiresSoon:
				fmt.Fprintln(f.IO.Err, "Warning: the token expires within an hour; run 'spcloud auth login' soon.")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// confirm asks a yes/no question on a terminal; without one, yes must be given.
func (f *Factory) confirm(yes bool, question string) error {
	if yes {
		return nil
	}
	if !f.IO.Interactive {
		return usageError("%s Pass --yes to confirm (no terminal to ask on)", question)
	}
	fmt.Fprintf(f.IO.Err, "%s [y/N] ", question)
	line, err := f.readLine()
	if err != nil && line == "" {
		return spcloud.ErrCancelled
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return spcloud.ErrCancelled
}

// readLine reads one answer from standard input through one shared buffer,
// so consecutive prompts do not lose typed-ahead lines.
func (f *Factory) readLine() (string, error) {
	if f.stdin == nil {
		f.stdin = bufio.NewReader(f.IO.In)
	}
	return f.stdin.ReadString('\n')
}

// choose asks the person to pick one of options by number.
func (f *Factory) choose(question string, options []string, def int) (int, error) {
	fmt.Fprintf(f.IO.Err, "%s:\n", question)
	for i, o := range options {
		fmt.Fprintf(f.IO.Err, "  %d) %s\n", i+1, o)
	}
	for attempt := 1; ; attempt++ {
		fmt.Fprintf(f.IO.Err, "Choose [%d]: ", def+1)
		line, err := f.readLine()
		if err != nil && line == "" {
			return 0, spcloud.ErrCancelled
		}
		line = strings.TrimSpace(line)
		if line == "" {
			return def, nil
		}
		var n int
		if _, err := fmt.Sscanf(line, "%d", &n); err == nil && n >= 1 && n <= len(options) {
			return n - 1, nil
		}
		if attempt == 3 {
			return 0, usageError("%q is not one of 1-%d", line, len(options))
		}
		fmt.Fprintf(f.IO.Err, "%q is not one of 1-%d; try again.\n", line, len(options))
	}
}
