// Package spcloud holds what every part of the systemprompt.io Cloud client
// shares: the environments and their base URLs, OAuth providers, regions,
// ports and other constants of the contract, and the error kinds a user sees.
//
// The other packages build on it: api (the HTTP client), store (files on
// disk), paths (project discovery), login and checkout (the browser flows),
// cloudctx (who am I, which tenant) and emulator (a local cloud).
package spcloud

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Version is the client's version, reported by --version and in User-Agent.
// Release builds override it with -ldflags "-X github.com/spcloud/spcloud.Version=...".
var Version = "0.1.0-dev"

// Environment is one of the systemprompt.io Cloud deployments.
type Environment string

const (
	// Production is the default environment.
	Production Environment = "production"
	// Sandbox is the test environment of the service.
	Sandbox Environment = "sandbox"
)

// EnvAPIURL names the variable that overrides the API base URL.
const EnvAPIURL = "SYSTEMPROMPT_API_URL"

// BaseURL returns the environment's API base URL, never ending in "/".
func (e Environment) BaseURL() string {
	if e == Sandbox {
		return "https://api-sandbox.systemprompt.io"
	}
	return "https://api.systemprompt.io"
}

// ParseEnvironment reads "production" or "sandbox".
func ParseEnvironment(s string) (Environment, error) {
	switch Environment(strings.ToLower(strings.TrimSpace(s))) {
	case Production, "":
		return Production, nil
	case Sandbox:
		return Sandbox, nil
	}
	return "", fmt.Errorf("unknown environment %q (want production or sandbox)", s)
}

// ResolveAPIURL picks the API base URL: an explicit flag value wins, then
// SYSTEMPROMPT_API_URL, then the environment's URL. A trailing "/" is removed.
func ResolveAPIURL(flag string, env Environment) string {
	u := flag
	if u == "" {
		u = os.Getenv(EnvAPIURL)
	}
	if u == "" {
		u = env.BaseURL()
	}
	return strings.TrimRight(u, "/")
}

// OAuthProvider is an identity provider the service logs people in with.
type OAuthProvider string

const (
	// GitHub logs in with a GitHub account.
	GitHub OAuthProvider = "github"
	// Google logs in with a Google account.
	Google OAuthProvider = "google"
)

// DisplayName is the provider's name as people write it.
func (p OAuthProvider) DisplayName() string {
	switch p {
	case GitHub:
		return "GitHub"
	case Google:
		return "Google"
	}
	return string(p)
}

// ParseOAuthProvider reads "github" or "google".
func ParseOAuthProvider(s string) (OAuthProvider, error) {
	switch OAuthProvider(strings.ToLower(strings.TrimSpace(s))) {
	case GitHub:
		return GitHub, nil
	case Google:
		return Google, nil
	}
	return "", fmt.Errorf("unknown provider %q (want github or google)", s)
}

// Region is a place where a tenant can run.
type Region struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Regions lists the regions of the service, the default first.
var Regions = []Region{
	{"iad", "US East (Virginia)"},
	{"lhr", "Europe (London)"},
	{"fra", "Europe (Frankfurt)"},
	{"ams", "Europe (Amsterdam)"},
	{"sin", "Asia (Singapore)"},
	{"nrt", "Asia (Tokyo)"},
	{"syd", "Australia (Sydney)"},
	{"gru", "South America (São Paulo)"},
}

// DefaultRegion is the region used when none is chosen.
const DefaultRegion = "iad"

// LookupRegion finds a region by its code.
func LookupRegion(code string) (Region, bool) {
	for _, r := range Regions {
		if r.Code == strings.ToLower(code) {
			return r, true
		}
	}
	return Region{}, false
}

// Constants of the contract (CONTRACT §9).
const (
	// OAuthCallbackPort is the reference client's login callback port.
	OAuthCallbackPort = 8765
	// CheckoutCallbackPort is the reference client's checkout callback port.
	CheckoutCallbackPort = 8766
	// CallbackTimeout bounds the wait for the browser to come back.
	CallbackTimeout = 300 * time.Second
	// ProvisioningPollInterval is the reference client's status polling interval.
	ProvisioningPollInterval = 2000 * time.Millisecond
	// ProvisioningPollAttempts is how often the reference client polls.
	ProvisioningPollAttempts = 60
	// DefaultCloudURL is the web address of the cloud console.
	DefaultCloudURL = "https://cloud.systemprompt.io"
	// LocalPostgresContainerPrefix is followed by the environment name.
	LocalPostgresContainerPrefix = "systemprompt-postgres-"
	// AccessTokenLifetime is a profile's default access token lifetime.
	AccessTokenLifetime = 2592000 * time.Second
	// RefreshTokenLifetime is a profile's default refresh token lifetime.
	RefreshTokenLifetime = 15552000 * time.Second
	// TokenExpiryWarning is how close to expiry a token earns a warning.
	TokenExpiryWarning = time.Hour
)

// Variables of a cloud container (CONTRACT §7).
const (
	EnvFlyAppName = "FLY_APP_NAME"
	EnvAPIToken   = "SYSTEMPROMPT_API_TOKEN"
	EnvUserEmail  = "SYSTEMPROMPT_USER_EMAIL"
	EnvProfile    = "SYSTEMPROMPT_PROFILE"
)

// ManagedVariables are set by the platform; a user must never set them as secrets.
var ManagedVariables = []string{
	"DATABASE_URL", "JWT_SECRET", "SYSTEMPROMPT_API_URL",
	"FLY_APP_NAME", "FLY_MACHINE_ID", "APP_URL", "API_EXTERNAL_URL",
}

// IsManagedVariable reports whether name is platform-managed, ignoring case.
func IsManagedVariable(name string) bool {
	for _, m := range ManagedVariables {
		if strings.EqualFold(m, name) {
			return true
		}
	}
	return false
}
