package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/cloudctx"
	"github.com/spcloud/spcloud/paths"
	"github.com/spcloud/spcloud/store"
	"github.com/spcloud/spcloud/token"
)

// doctorReport is what `spcloud doctor --json` prints.
type doctorReport struct {
	// OK is true when no problem was found (warnings allowed).
	OK       bool           `json:"ok"`
	Project  doctorProject  `json:"project"`
	Paths    []doctorPath   `json:"paths"`
	Folders  []doctorFolder `json:"folders"`
	Profile  *doctorProfile `json:"profile"`
	Tenant   *doctorTenant  `json:"tenant"`
	Session  *doctorSession `json:"session"`
	Token    doctorToken    `json:"token"`
	API      doctorAPI      `json:"api"`
	Problems []string       `json:"problems"`
	Warnings []string       `json:"warnings"`
}

type doctorProject struct {
	Root       string `json:"root"`
	Discovered bool   `json:"discovered"`
	Cwd        string `json:"cwd"`
}

// doctorPath is one file of the client.
type doctorPath struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Exists bool   `json:"exists"`
	// Parses is set for files that exist.
	Parses *bool  `json:"parses,omitempty"`
	Mode   string `json:"mode,omitempty"`
	Error  string `json:"error,omitempty"`
}

// doctorFolder is a folder the client writes into.
type doctorFolder struct {
	Path      string `json:"path"`
	Exists    bool   `json:"exists"`
	Mode      string `json:"mode,omitempty"`
	Gitignore bool   `json:"gitignore"`
}

type doctorProfile struct {
	Name       string `json:"name"`
	Path       string `json:"path"`
	TenantID   string `json:"tenant_id,omitempty"`
	Validation string `json:"validation,omitempty"`
	Error      string `json:"error,omitempty"`
}

type doctorTenant struct {
	ID string `json:"id,omitempty"`
	// Source is "profile", "selection" or "only cloud tenant".
	Source string `json:"source,omitempty"`
	Name   string `json:"name,omitempty"`
	Type   string `json:"tenant_type,omitempty"`
	// Known tells whether tenants.json holds the tenant.
	Known bool   `json:"known"`
	Note  string `json:"note,omitempty"`
}

type doctorSession struct {
	Key       store.SessionKey `json:"key"`
	Display   string           `json:"display_key"`
	State     string           `json:"state"`
	ExpiresAt string           `json:"expires_at"`
}

type doctorToken struct {
	// State is valid, expires_soon, expired, missing or corrupted.
	State     string `json:"state"`
	Source    string `json:"source,omitempty"`
	Path      string `json:"path,omitempty"`
	UserEmail string `json:"user_email,omitempty"`
	ExpiresAt string `json:"expires_at,omitempty"`
	Error     string `json:"error,omitempty"`
}

type doctorAPI struct {
	URL     string `json:"url"`
	Checked bool   `json:"checked"`
	// Reachable tells whether the API answered at all.
	Reachable bool   `json:"reachable"`
	Endpoint  string `json:"endpoint,omitempty"`
	Status    int    `json:"status,omitempty"`
	LatencyMS int64  `json:"latency_ms,omitempty"`
	// TokenAccepted is set when the token was tried on /api/v1/auth/me.
	TokenAccepted *bool  `json:"token_accepted,omitempty"`
	Error         string `json:"error,omitempty"`
}

func (r *doctorReport) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

func (r *doctorReport) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

type doctorOptions struct {
	asJSON  bool
	offline bool
	timeout time.Duration
}

// newDoctorCmd is `spcloud doctor`: a read-only check of the project's
// files, modes, login and the API.
func newDoctorCmd(f *Factory) *cobra.Command {
	o := &doctorOptions{}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the project's files, login and the API connection",
		Long: `Check everything spcloud depends on, and change nothing:

  - the project root (found by walking up to a .systemprompt/ folder);
  - each file: credentials, tenants, sessions index, legacy session, and
    the active profile (SYSTEMPROMPT_PROFILE): whether it exists and parses;
  - modes: files should be 0600 and each folder should hold a .gitignore so
    secrets are never committed (a folder more open than 0700 is a warning);
  - the active profile and tenant, and the active session;
  - the token: valid, expiring within an hour, expired, missing or corrupted;
  - whether the API answers (GET /healthz, else /api/v1/auth/me), and how fast.

Exits 0 when all is well (warnings allowed) and 1 when a problem was found.
--json prints the whole report.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r := runDoctor(cmd.Context(), f, o)
			if o.asJSON {
				if err := printJSON(f, r); err != nil {
					return err
				}
			} else {
				printDoctor(f, r)
			}
			if !r.OK {
				return fmt.Errorf("doctor found %d problem%s", len(r.Problems), plural(len(r.Problems)))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&o.offline, "offline", false, "do not contact the API")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 5*time.Second, "how long to wait for the API")
	return cmd
}

func runDoctor(ctx context.Context, f *Factory, o *doctorOptions) *doctorReport {
	r := &doctorReport{Problems: []string{}, Warnings: []string{}, Paths: []doctorPath{}, Folders: []doctorFolder{}}
	now := f.now()

	files, ferr := f.Files()
	if ferr != nil {
		// The profile is broken: report it and check the rest without it.
		pp := f.Getenv("SYSTEMPROMPT_PROFILE")
		r.Profile = &doctorProfile{Path: pp, Error: api.RedactText(ferr.Error())}
		r.problem("the active profile (SYSTEMPROMPT_PROFILE=%s) cannot be used: %v", pp, api.RedactText(ferr.Error()))
		noProfile := func(k string) string {
			if k == "SYSTEMPROMPT_PROFILE" {
				return ""
			}
			return f.Getenv(k)
		}
		var err error
		if files, err = paths.ResolveFiles(f.Cwd, noProfile); err != nil {
			r.problem("cannot resolve the project's files: %v", err)
			r.OK = false
			return r
		}
	}
	r.Project = doctorProject{Root: files.Layout.Root, Discovered: files.Found, Cwd: f.Cwd}
	if !files.Found {
		r.warn("no .systemprompt/ folder found from %s upwards; using %s", f.Cwd, files.Layout.Dir)
	}

	// The profile.
	if files.Profile != nil {
		p := files.Profile
		r.Profile = &doctorProfile{Name: p.Name, Path: p.Path, TenantID: p.Cloud.TenantID, Validation: string(p.Cloud.Validation)}
		r.Paths = append(r.Paths, fileCheck(r, "profile", p.Path, func(string) error { return nil }))
		if !p.HasCloud {
			r.warn("the profile %s has no cloud: section; the default paths are used", p.Path)
		}
	}

	// The token (before the credentials file: a token from the environment
	// makes a missing file fine).
	creds, cerr := cloudctx.LoadCredentials(files, f.Getenv, f.APIURL())
	switch {
	case cerr != nil:
		r.Token = doctorToken{State: "missing", Path: files.Credentials, Error: api.RedactText(cerr.Error())}
		if errors.Is(cerr, spcloud.ErrCredentialsCorrupted) {
			r.Token.State = "corrupted"
		}
		switch {
		case errors.Is(cerr, spcloud.ErrNotAuthenticated):
			r.problem("not logged in (%s); run 'spcloud auth login'", r.Token.Error)
		case errors.Is(cerr, spcloud.ErrCredentialsCorrupted):
			// Reported with the file below.
		default:
			r.problem("the credentials cannot be used: %s", r.Token.Error)
		}
	default:
		r.Token = doctorToken{State: string(creds.TokenState(now)), Source: string(creds.Source), Path: creds.Path, UserEmail: creds.UserEmail}
		if exp, err := token.ExpiresAt(creds.APIToken); err == nil {
			r.Token.ExpiresAt = exp.UTC().Format(time.RFC3339)
		}
		switch token.State(r.Token.State) {
		case token.Expired:
			r.problem("the token has expired; run 'spcloud auth login'")
		case token.ExpiresSoon:
			r.warn("the token expires within an hour (%s); run 'spcloud auth login' soon", r.Token.ExpiresAt)
		}
	}
	// The files.
	r.Paths = append(r.Paths, fileCheck(r, "credentials", files.Credentials, func(p string) error {
		_, err := store.LoadCredentials(p)
		return err
	}))
	var tenants *store.TenantStore
	r.Paths = append(r.Paths, fileCheck(r, "tenants", files.Tenants, func(p string) error {
		var err error
		tenants, err = store.LoadTenants(p)
		return err
	}))
	if tenants == nil && r.Paths[len(r.Paths)-1].Parses == nil {
		r.warn("no tenants file at %s; 'spcloud auth login' or 'spcloud tenant list' syncs it", files.Tenants)
	}
	index := files.Layout.SessionsIndex()
	var sessions *store.SessionStore
	r.Paths = append(r.Paths, fileCheck(r, "sessions_index", index, func(p string) error {
		var err error
		sessions, err = store.LoadSessions(p)
		return err
	}))
	legacy := fileCheck(r, "legacy_session", files.Layout.LegacySession(), func(p string) error {
		_, err := store.LoadSession(p)
		return err
	})
	r.Paths = append(r.Paths, legacy)
	if legacy.Parses != nil && *legacy.Parses {
		r.warn("a legacy %s is waiting to be moved into %s; any 'spcloud session' command moves it", legacy.Path, index)
	}

	// The folders written into.
	seen := map[string]bool{}
	for _, dir := range []string{files.Layout.Dir, filepath.Dir(files.Credentials), filepath.Dir(files.Tenants), files.Layout.SessionsDir()} {
		if seen[dir] {
			continue
		}
		seen[dir] = true
		if fc, ok := folderCheck(r, dir); ok {
			r.Folders = append(r.Folders, fc)
		}
	}

	// The tenant commands act on.
	selected, serr := store.LoadSelection(filepath.Join(files.Layout.Dir, store.SelectionFile))
	if serr != nil {
		r.warn("the tenant selection cannot be read: %v", serr)
	}
	if id, err := cloudctx.ResolveTenant("", files, selected, tenants); err == nil {
		t := &doctorTenant{ID: id, Source: "only cloud tenant"}
		switch {
		case files.TenantID != "":
			t.Source = "profile"
		case selected != "":
			t.Source = "selection"
		}
		if tenants != nil {
			if st := tenants.Find(id); st != nil {
				t.Known, t.Name, t.Type = true, st.Name, string(st.TenantType)
			} else {
				r.problem("the tenant %s (from the %s) is not in %s; run 'spcloud tenant list' to resync, or choose another", id, t.Source, files.Tenants)
			}
		}
		r.Tenant = t
	} else {
		r.Tenant = &doctorTenant{Note: firstLine(err)}
	}

	// The active session.
	if sessions != nil {
		if key, sess, ok := sessions.Active(); ok {
			r.Session = &doctorSession{Key: key, Display: key.String(), State: sessionState(f, store.KeyedSession{Key: key, Session: sess}), ExpiresAt: sess.ExpiresAt.String()}
		} else if sessions.ActiveKey != "" {
			r.warn("active_key %q in %s names no stored session", sessions.ActiveKey, index)
		}
	}

	// The API.
	base := f.APIURL()
	if creds != nil && creds.APIURL != "" && f.apiURLFlag == "" && f.Getenv(spcloud.EnvAPIURL) == "" {
		base = creds.APIURL
	}
	r.API.URL = base
	if !o.offline {
		tok := ""
		if creds != nil && r.Token.State != string(token.Expired) {
			tok = creds.APIToken
		}
		probeAPI(ctx, r, base, tok, o.timeout)
	}
	r.OK = len(r.Problems) == 0
	return r
}

func firstLine(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// fileCheck looks at one file: exists, mode (0600, except for the
// profile, which the user writes), parses. A missing file is not a problem
// here: what it means is reported by the caller.
func fileCheck(r *doctorReport, name, path string, parse func(string) error) doctorPath {
	d := doctorPath{Name: name, Path: path}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return d
	}
	if err != nil {
		d.Error = err.Error()
		r.problem("%s: %s cannot be read: %v", name, path, err)
		return d
	}
	d.Exists = true
	if st.IsDir() {
		d.Error = "is a folder"
		r.problem("%s: %s is a folder, not a file", name, path)
		return d
	}
	d.Mode = fmt.Sprintf("%04o", st.Mode().Perm())
	if name != "profile" && st.Mode().Perm() != store.FileMode {
		r.problem("%s: %s has mode %s, want 0600 (chmod 600 %s)", name, path, d.Mode, path)
	}
	ok := true
	if err := parse(path); err != nil {
		ok = false
		d.Error = api.RedactText(err.Error())
		r.problem("%s: %s", name, d.Error)
	}
	d.Parses = &ok
	return d
}

// folderCheck looks at a folder the client writes into: with a .gitignore
// (a problem without one), and best no more open than 0700 (a warning
// only: the files inside are 0600, so an open folder shows their names, not
// their contents, and the contract asks nothing of folder modes). A
// missing folder is skipped.
func folderCheck(r *doctorReport, dir string) (doctorFolder, bool) {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return doctorFolder{}, false
	}
	d := doctorFolder{Path: dir, Exists: true, Mode: fmt.Sprintf("%04o", st.Mode().Perm())}
	if st.Mode().Perm()&0o077 != 0 {
		r.warn("the folder %s has mode %s, more open than 0700 (chmod 700 %s)", dir, d.Mode, dir)
	}
	gi, err := os.ReadFile(filepath.Join(dir, ".gitignore"))
	switch {
	case err != nil:
		r.problem("the folder %s has no .gitignore; its files could be committed (write one holding *)", dir)
	case !gitignoresAll(string(gi)):
		d.Gitignore = true
		r.warn("%s does not ignore everything (the reference client writes *)", filepath.Join(dir, ".gitignore"))
	default:
		d.Gitignore = true
	}
	return d, true
}

func gitignoresAll(s string) bool {
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) == "*" {
			return true
		}
	}
	return false
}

// probeAPI asks GET /healthz (and, where the service has none, GET
// /api/v1/auth/me) and, with a token, whether /api/v1/auth/me accepts it.
// A network failure is recorded as a problem.
func probeAPI(ctx context.Context, r *doctorReport, base, tok string, timeout time.Duration) {
	r.API.Checked = true
	client := &http.Client{Timeout: timeout}
	get := func(path string, bearer string) (int, time.Duration, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+path, nil)
		if err != nil {
			return 0, 0, err
		}
		req.Header.Set("User-Agent", "spcloud/"+spcloud.Version+" doctor")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		start := time.Now()
		resp, err := client.Do(req)
		took := time.Since(start)
		if err != nil {
			return 0, took, err
		}
		resp.Body.Close()
		return resp.StatusCode, took, nil
	}
	status, took, err := get("/healthz", "")
	endpoint := "/healthz"
	if err == nil && (status == http.StatusNotFound || status == http.StatusMethodNotAllowed) {
		endpoint = "/api/v1/auth/me"
		status, took, err = get(endpoint, tok)
	}
	r.API.Endpoint = endpoint
	if err != nil {
		r.API.Error = api.RedactText(err.Error())
		r.problem("the API at %s does not answer: %s", base, r.API.Error)
		return
	}
	r.API.Reachable, r.API.Status, r.API.LatencyMS = true, status, took.Milliseconds()
	if status >= 500 {
		r.problem("the API at %s answered GET %s with HTTP %d", base, endpoint, status)
		return
	}
	if tok == "" {
		return
	}
	if endpoint != "/api/v1/auth/me" {
		status, _, err = get("/api/v1/auth/me", tok)
		if err != nil {
			r.warn("could not check the token with the API: %s", api.RedactText(err.Error()))
			return
		}
	}
	accepted := status >= 200 && status < 300
	switch {
	case accepted:
		r.API.TokenAccepted = &accepted
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		r.API.TokenAccepted = &accepted
		r.problem("the API refused the token (HTTP %d); run 'spcloud auth login'", status)
	default:
		r.warn("checking the token with the API gave HTTP %d", status)
	}
}

func printDoctor(f *Factory, r *doctorReport) {
	out := f.IO.Out
	if r.Project.Discovered {
		fmt.Fprintf(out, "Project:  %s (found from %s)\n", r.Project.Root, r.Project.Cwd)
	} else {
		fmt.Fprintf(out, "Project:  none found; using %s\n", r.Project.Root)
	}
	switch {
	case r.Profile == nil:
		fmt.Fprintln(out, "Profile:  none (SYSTEMPROMPT_PROFILE is not set)")
	case r.Profile.Error != "":
		fmt.Fprintf(out, "Profile:  %s (cannot be used)\n", r.Profile.Path)
	default:
		fmt.Fprintf(out, "Profile:  %s  %s (validation %s)\n", r.Profile.Name, r.Profile.Path, r.Profile.Validation)
	}
	switch {
	case r.Tenant == nil || r.Tenant.ID == "":
		note := ""
		if r.Tenant != nil {
			note = " (" + r.Tenant.Note + ")"
		}
		fmt.Fprintf(out, "Tenant:   none%s\n", note)
	default:
		from := map[string]string{"profile": "from the profile", "selection": "selected with 'spcloud tenant select'"}[r.Tenant.Source]
		if from == "" {
			from = "the only cloud tenant"
		}
		if r.Tenant.Known {
			fmt.Fprintf(out, "Tenant:   %s %s, %s (%s)\n", r.Tenant.ID, r.Tenant.Name, r.Tenant.Type, from)
		} else {
			fmt.Fprintf(out, "Tenant:   %s (%s; not in tenants.json)\n", r.Tenant.ID, from)
		}
	}
	if r.Session != nil {
		fmt.Fprintf(out, "Session:  %s, %s (expires %s)\n", r.Session.Display, r.Session.State, r.Session.ExpiresAt)
	} else {
		fmt.Fprintln(out, "Session:  none active")
	}
	tok := strings.ReplaceAll(r.Token.State, "_", " ")
	switch {
	case r.Token.ExpiresAt != "" && r.Token.State == string(token.Expired):
		tok += " at " + r.Token.ExpiresAt
	case r.Token.ExpiresAt != "":
		tok += ", expires " + r.Token.ExpiresAt
	}
	if r.Token.UserEmail != "" {
		tok += ", " + r.Token.UserEmail
	}
	if r.Token.Source != "" {
		tok += ", from " + r.Token.Source
	}
	fmt.Fprintf(out, "Token:    %s\n", tok)
	switch {
	case !r.API.Checked:
		fmt.Fprintf(out, "API:      %s (not checked: --offline)\n", r.API.URL)
	case !r.API.Reachable:
		fmt.Fprintf(out, "API:      %s does not answer\n", r.API.URL)
	default:
		fmt.Fprintf(out, "API:      %s answered GET %s with %d in %d ms", r.API.URL, r.API.Endpoint, r.API.Status, r.API.LatencyMS)
		if r.API.TokenAccepted != nil {
			if *r.API.TokenAccepted {
				fmt.Fprint(out, "; token accepted")
			} else {
				fmt.Fprint(out, "; token refused")
			}
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintln(out, "\nFiles:")
	tw := tabwriter.NewWriter(out, 0, 2, 2, ' ', 0)
	for _, p := range r.Paths {
		state := "absent"
		switch {
		case p.Parses != nil && *p.Parses:
			state = "ok"
		case p.Exists:
			state = "BROKEN"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", strings.ReplaceAll(p.Name, "_", " "), state, orDash(p.Mode), p.Path)
	}
	tw.Flush()
	if len(r.Folders) > 0 {
		fmt.Fprintln(out, "\nFolders:")
		tw = tabwriter.NewWriter(out, 0, 2, 2, ' ', 0)
		for _, d := range r.Folders {
			gi := ".gitignore"
			if !d.Gitignore {
				gi = "no .gitignore"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", d.Mode, gi, d.Path)
		}
		tw.Flush()
	}
	if len(r.Problems) > 0 {
		fmt.Fprintln(out, "\nProblems:")
		for _, p := range r.Problems {
			fmt.Fprintf(out, "  - %s\n", p)
		}
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintln(out, "\nWarnings:")
		for _, w := range r.Warnings {
			fmt.Fprintf(out, "  - %s\n", w)
		}
	}
	if r.OK {
		fmt.Fprintln(out, "\nAll is well.")
	}
}
