// Package cloudctx answers "who am I and which tenant": it resolves the
// credentials (from the environment inside a cloud container, from
// SYSTEMPROMPT_API_TOKEN anywhere, else from the credentials file), the
// active profile's cloud section, and the tenant a command acts on.
//
// The reference crate keeps this in a global bootstrap; here it is a value
// the caller builds once and passes on.
package cloudctx

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/paths"
	"github.com/spcloud/spcloud/store"
)

// Source says where credentials came from.
type Source string

// The credential sources.
const (
	// FromFile is credentials.json.
	FromFile Source = "file"
	// FromEnv is SYSTEMPROMPT_API_TOKEN overriding the file.
	FromEnv Source = "env"
	// FromContainer is a cloud container's environment (FLY_APP_NAME set).
	FromContainer Source = "container"
)

// Credentials are the resolved credentials and where they came from.
type Credentials struct {
	store.Credentials
	Source Source
	// Path is the file they were read from, when Source is FromFile.
	Path string
	// Warning, when set, is for the user: the file failed validation but
	// the profile's "validation: warn" let it be used.
	Warning string
}

// LoadCredentials resolves the credentials. Inside a cloud container
// (FLY_APP_NAME set) they come from SYSTEMPROMPT_API_TOKEN, _API_URL and
// _USER_EMAIL; elsewhere a non-empty SYSTEMPROMPT_API_TOKEN overrides the
// file (like GH_TOKEN), with the API URL from apiURL; otherwise the file at
// files.Credentials is read. The token's expiry is not checked here.
func LoadCredentials(files *paths.Resolved, getenv paths.Getenv, apiURL string) (*Credentials, error) {
	if getenv(spcloud.EnvFlyAppName) != "" {
		tok := getenv(spcloud.EnvAPIToken)
		if tok == "" {
			e := spcloud.E(spcloud.ErrNotAuthenticated, "running in a cloud container ("+spcloud.EnvFlyAppName+" is set) without "+spcloud.EnvAPIToken, nil)
			// A login here writes a file that a container does not read.
			e.Hint = "Set " + spcloud.EnvAPIToken + " in the container's environment; with " + spcloud.EnvFlyAppName + " set, credentials come from there, not from a file."
			return nil, e
		}
		u := getenv(spcloud.EnvAPIURL)
		if u == "" {
			u = spcloud.Production.BaseURL()
		}
		return &Credentials{Credentials: store.Credentials{APIToken: tok, APIURL: strings.TrimRight(u, "/"), UserEmail: getenv(spcloud.EnvUserEmail), AuthenticatedAt: store.Now()}, Source: FromContainer}, nil
	}
	if tok := getenv(spcloud.EnvAPIToken); tok != "" {
		return &Credentials{Credentials: store.Credentials{APIToken: tok, APIURL: apiURL, UserEmail: getenv(spcloud.EnvUserEmail), AuthenticatedAt: store.Now()}, Source: FromEnv}, nil
	}
	if files.Profile != nil && files.Profile.Cloud.Validation != paths.ValidationStrict {
		// The profile asks for leniency: a file that fails only validation is used.
		c, problem, err := store.LoadCredentialsUnvalidated(files.Credentials)
		if err != nil {
			return nil, err
		}
		out := &Credentials{Credentials: *c, Source: FromFile, Path: files.Credentials}
		if problem != nil && files.Profile.Cloud.Validation == paths.ValidationWarn {
			out.Warning = fmt.Sprintf("%s does not validate (%v); used anyway, as profile %s sets validation: warn", files.Credentials, problem, files.Profile.Name)
		}
		return out, nil
	}
	c, err := store.LoadCredentials(files.Credentials)
	if err != nil {
		return nil, err
	}
	return &Credentials{Credentials: *c, Source: FromFile, Path: files.Credentials}, nil
}

// RequireValid loads the credentials and refuses an expired token.
func RequireValid(files *paths.Resolved, getenv paths.Getenv, apiURL string, now time.Time) (*Credentials, error) {
	c, err := LoadCredentials(files, getenv, apiURL)
	if err != nil {
		return nil, err
	}
	if err := c.CheckToken(now); err != nil {
		if c.Source != FromFile {
			// Logging in cannot help: the variable overrides the file.
			return nil, spcloud.E(spcloud.ErrTokenExpired, spcloud.EnvAPIToken+" holds a token that is expired or not a JWT; set a fresh one, or unset it to use the credentials file", nil)
		}
		why := "has expired"
		var se *spcloud.Error
		if errors.As(err, &se) && se.Detail != "" {
			why = se.Detail
		}
		return nil, spcloud.E(spcloud.ErrTokenExpired, "the token in "+c.Path+" "+why, nil)
	}
	return c, nil
}

// ResolveTenant picks the tenant a command acts on: the flag, else the
// active profile's tenant_id, else the selected one, else the only cloud
// tenant of the store. Otherwise it fails with an error listing the choices.
func ResolveTenant(flag string, files *paths.Resolved, selected string, tenants *store.TenantStore) (string, error) {
	switch {
	case flag != "":
		return flag, nil
	case files != nil && files.TenantID != "":
		return files.TenantID, nil
	case selected != "":
		return selected, nil
	}
	var cloud []store.StoredTenant
	if tenants != nil {
		for _, t := range tenants.Tenants {
			if t.IsCloud() {
				cloud = append(cloud, t)
			}
		}
	}
	if len(cloud) == 1 {
		return cloud[0].ID, nil
	}
	if len(cloud) == 0 {
		return "", spcloud.E(spcloud.ErrNoTenant, "no cloud tenant is known here", nil)
	}
	sort.Slice(cloud, func(i, j int) bool { return cloud[i].Name < cloud[j].Name })
	var b strings.Builder
	for _, t := range cloud {
		fmt.Fprintf(&b, "\n  %s  %s", t.ID, t.Name)
	}
	return "", spcloud.E(spcloud.ErrTenantAmbiguous, "pass --tenant ID with one of:"+b.String(), nil)
}
