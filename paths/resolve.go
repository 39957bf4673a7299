package paths

import (
	"os"
)

// Resolved is where the client's files are for one invocation.
type Resolved struct {
	// Layout is the project's (or the working directory's) .systemprompt.
	Layout Layout
	// Found tells whether a project was discovered by walking up.
	Found bool
	// Profile is the active profile, or nil.
	Profile *Profile
	// Credentials and Tenants are the resolved file paths.
	Credentials string
	Tenants     string
	// TenantID is the profile's tenant, or "".
	TenantID string
}

// Getenv reads a variable; os.Getenv in production, a map in tests.
type Getenv func(string) string

// ResolveFiles works out the files for a command run in cwd: with an active
// profile (SYSTEMPROMPT_PROFILE, a path to its profile.yaml) its paths win;
// otherwise the discovered project's .systemprompt; otherwise cwd's.
func ResolveFiles(cwd string, getenv Getenv) (*Resolved, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	root, found := Discover(cwd)
	r := &Resolved{Layout: NewLayout(root), Found: found}
	r.Credentials = r.Layout.Credentials()
	r.Tenants = r.Layout.Tenants()
	if pp := getenv("SYSTEMPROMPT_PROFILE"); pp != "" {
		pp, err := Resolve(cwd, pp)
		if err != nil {
			return nil, err
		}
		prof, err := LoadProfile(pp)
		if err != nil {
			return nil, err
		}
		r.Profile = prof
		if r.Credentials, err = prof.CredentialsPath(); err != nil {
			return nil, err
		}
		if r.Tenants, err = prof.TenantsPath(); err != nil {
			return nil, err
		}
		r.TenantID = prof.Cloud.TenantID
	}
	return r, nil
}
