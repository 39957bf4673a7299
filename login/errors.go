package login

import (
	"errors"

	"github.com/spcloud/spcloud"
)

// DeniedError is the browser coming back with error=<code> (and maybe
// error_description=<text>): the provider or the person refused the login.
// errors.Is(err, spcloud.ErrNotAuthenticated) is true for it.
type DeniedError struct {
	// Code is the error query value, e.g. "access_denied".
	Code string
	// Description is the error_description query value; may be empty.
	Description string
}

// Error says the login was refused, with the code and description.
func (e *DeniedError) Error() string {
	msg := "login refused: " + e.Code
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// Unwrap makes the error of kind spcloud.ErrNotAuthenticated.
func (e *DeniedError) Unwrap() error { return spcloud.ErrNotAuthenticated }

// Errors of a callback that is neither a token nor an error. Both are
// wrapped in an error of kind spcloud.ErrNotAuthenticated.
var (
	// ErrNoToken: the browser came back with neither a token nor an error.
	ErrNoToken = errors.New("the browser came back with neither a token nor an error")
	// ErrMalformedToken: the token holds spaces or control characters, or
	// is too long to be a token.
	ErrMalformedToken = errors.New("the browser came back with a malformed token")
)
