package spcloud

import (
	"errors"
	"fmt"
	"time"
)

// Kind is a class of failure a user can act on. Each kind carries a one-line
// message and a recovery hint (CONTRACT §9). Kinds are sentinel errors:
// errors.Is(err, spcloud.ErrTokenExpired) tells whether err is of that kind.
type Kind struct {
	name    string
	message string
	hint    string
	// loginNeeded marks kinds that logging in again fixes (exit code 4).
	loginNeeded bool
}

// Error is the kind's one-line user message.
func (k *Kind) Error() string { return k.message }

// Message is the kind's one-line message for a user.
func (k *Kind) Message() string { return k.message }

// Hint is what the user should do next.
func (k *Kind) Hint() string { return k.hint }

// Name is a stable identifier of the kind, used in --json error output.
func (k *Kind) Name() string { return k.name }

// LoginNeeded reports whether logging in again fixes errors of this kind.
func (k *Kind) LoginNeeded() bool { return k.loginNeeded }

const loginHint = "Run 'spcloud auth login' to log in."

// The error kinds a user sees.
var (
	ErrNotAuthenticated     = &Kind{"not_authenticated", "Not logged in to systemprompt.io Cloud", loginHint, true}
	ErrTokenExpired         = &Kind{"token_expired", "Your login has expired", loginHint, true}
	ErrCredentialsCorrupted = &Kind{"credentials_corrupted", "The credentials file is corrupted", "Run 'spcloud auth login' to log in again; it keeps the broken file aside.", true}
	ErrNoTenant             = &Kind{"no_tenant", "No tenant is configured", "Create one with 'spcloud tenant create' or choose one with 'spcloud tenant select ID'.", false}
	ErrNoApp                = &Kind{"no_app", "No app is configured for this tenant", "Deploy your app with 'spcloud deploy'.", false}
	ErrProfileRequired      = &Kind{"profile_required", "A profile is required", "Point SYSTEMPROMPT_PROFILE at an existing profile.yaml, or unset it to use the project's .systemprompt/ folder.", false}
	ErrProfileField         = &Kind{"missing_profile_field", "The profile is missing a field", "Add the field to the profile's cloud: section.", false}
	ErrTenantsNotSynced     = &Kind{"tenants_not_synced", "The tenant list has not been synced", loginHint + " That syncs the tenant list.", true}
	ErrTenantsCorrupted     = &Kind{"tenants_corrupted", "The tenants file is corrupted or invalid", "Run 'spcloud auth login' to resync the tenant list; it keeps the broken file aside.", true}
	ErrTenantNotFound       = &Kind{"tenant_not_found", "Tenant not found", "List your tenants with 'spcloud tenant list' and use one of their ids.", false}
	ErrTenantAmbiguous      = &Kind{"tenant_ambiguous", "Several tenants could be meant", "Pass --tenant ID, or choose a default with 'spcloud tenant select ID'.", false}
	ErrInvalidRequest       = &Kind{"invalid_request", "The API refused the request", "Check the values you passed (see the command's --help).", false}
	ErrConflict             = &Kind{"conflict", "The request conflicts with the current state", "The reason is above; 'spcloud tenant status' shows what the tenant is doing. Try again once that allows it.", false}
	ErrAPI                  = &Kind{"api_error", "The systemprompt.io Cloud API returned an error", "Try again; if it persists, check the service status.", false}
	ErrNetwork              = &Kind{"network_error", "Could not reach the systemprompt.io Cloud API", "Check your network connection and the API URL (SYSTEMPROMPT_API_URL), then try again.", false}
	ErrFileSystem           = &Kind{"file_system_error", "A file could not be read or written", "Check the file's permissions and free disk space.", false}
	ErrSessionsCorrupted    = &Kind{"sessions_corrupted", "The session file is corrupted", "Fix the file named above, or delete it to start over; spcloud never overwrites it.", false}
	ErrSessionVersion       = &Kind{"session_version", "The session file has an unsupported version", "Once it is deleted, run the command again: spcloud starts a new session file.", false}
	ErrCancelled            = &Kind{"cancelled", "Cancelled", "", false}
)

// Error is a failure of a known kind with details: what was involved and the
// underlying cause. Its message starts with the kind's message.
type Error struct {
	Kind   *Kind
	Detail string // what was involved, e.g. a file path; may be empty
	Err    error  // the cause; may be nil
	// Hint, when set, replaces the kind's recovery hint where the usual
	// next step would not help (a login inside a cloud container, say).
	Hint string
}

// HintOf returns the recovery hint for err: the *Error's own, else its
// kind's; "" when err has none.
func HintOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Hint != "" {
		return e.Hint
	}
	if k := KindOf(err); k != nil {
		return k.Hint()
	}
	return ""
}

// E builds an *Error of kind k.
func E(k *Kind, detail string, cause error) *Error {
	return &Error{Kind: k, Detail: detail, Err: cause}
}

// Error is the user message, then the detail and the cause when there are any.
func (e *Error) Error() string {
	msg := e.Kind.message
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, kind) true for an *Error of that kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(*Kind)
	return ok && k == e.Kind
}

// KindOf returns the kind of err, or nil when err has none.
func KindOf(err error) *Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Kind()
	}
	var k *Kind
	if errors.As(err, &k) {
		return k
	}
	return nil
}

// Hint returns the recovery hint for err, or "" when there is none.
func Hint(err error) string {
	if k := KindOf(err); k != nil {
		return k.hint
	}
	return ""
}

// APIError is a non-2xx answer from the API. It keeps the HTTP status and,
// when the body is the error envelope, its code and message; otherwise Body
// holds at most the first 500 characters of the body.
type APIError struct {
	Status  int
	Code    string
	Message string
	Body    string
	Method  string
	Path    string
	// RetryAfter is the wait the server asked for (Retry-After), or 0.
	RetryAfter time.Duration
}

// MaxErrorBody is how much of a non-envelope error body is kept.
const MaxErrorBody = 500

// Error reads "code: message" from the envelope, else the status and the
// start of the body (CONTRACT §2).
func (e *APIError) Error() string {
	if e.Code != "" || e.Message != "" {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	if e.Body != "" {
		return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body)
	}
	return fmt.Sprintf("HTTP %d", e.Status)
}

// Kind maps the answer to a user-facing kind: 401 means logging in again,
// 404 an unknown tenant, 409 a tenant busy or in the wrong state, 400 and
// 422 a refused request, anything else an API error.
func (e *APIError) Kind() *Kind {
	switch e.Status {
	case 401:
		return ErrTokenExpired
	case 404:
		if e.Code == "" || e.Code == "tenant_not_found" || e.Code == "not_found" {
			return ErrTenantNotFound
		}
	case 409:
		return ErrConflict
	case 400, 422:
		return ErrInvalidRequest
	}
	return ErrAPI
}

// Is lets errors.Is(err, ErrTokenExpired) match a 401, and so on.
func (e *APIError) Is(target error) bool {
	k, ok := target.(*Kind)
	return ok && k == e.Kind()
}
