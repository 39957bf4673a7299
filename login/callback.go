package login

import (
	"net/url"
	"strings"
	"unicode"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/internal/loopback"
)

// maxToken bounds a token's length; JWTs of the service are far shorter.
const maxToken = 16 << 10

// outcome is what the callback said: a token or an error.
type outcome struct {
	token string
	err   error
}

// decide reads the callback query: an error wins over a token, and a
// callback with neither is an error too. It returns the page to answer with.
func decide(q url.Values) (outcome, loopback.Page) {
	if code := q.Get("error"); code != "" {
		e := &DeniedError{Code: loopback.CleanValue(code), Description: loopback.CleanValue(q.Get("error_description"))}
		if e.Code == "" {
			e.Code = "unknown_error" // the value was only control characters
		}
		detail := e.Code
		if e.Description != "" {
			detail += ": " + e.Description
		}
		return outcome{err: e}, loopback.ErrorPage(0, "Login failed",
			"systemprompt.io Cloud did not log you in. Return to the terminal and try again.", detail)
	}
	token := q.Get("access_token")
	if token == "" {
		return outcome{err: spcloud.E(spcloud.ErrNotAuthenticated, "", ErrNoToken)}, loopback.ErrorPage(0, "Login failed",
			"The browser came back without a login token. Return to the terminal and try again.", "")
	}
	if !plausibleToken(token) {
		return outcome{err: spcloud.E(spcloud.ErrNotAuthenticated, "", ErrMalformedToken)}, loopback.ErrorPage(0, "Login failed",
			"The browser came back with a token spcloud cannot use. Return to the terminal and try again.", "")
	}
	return outcome{token: token}, loopback.SuccessPage("You are logged in", "You can close this tab and return to the terminal.")
}

func plausibleToken(t string) bool {
	if len(t) > maxToken {
		return false
	}
	return !strings.ContainsFunc(t, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
}
