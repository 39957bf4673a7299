package checkout

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/spcloud/spcloud/internal/loopback"
)

// TenantIDMarker in a success message is replaced by the tenant id.
const TenantIDMarker = "{{TENANT_ID}}"

// DefaultSuccessMessage is the text of the success page of a completed
// checkout.
const DefaultSuccessMessage = "Your tenant " + TenantIDMarker + " has been created. You can close this tab and return to the terminal."

// ProgressPath is the path the waiting page polls.
const ProgressPath = "/progress"

type callbackKind int

const (
	callbackFailed callbackKind = iota
	callbackCompleted
	callbackPending
)

// callback is what the browser came back with.
type callback struct {
	kind          callbackKind
	transactionID string // may be empty: defaulted by Run
	tenantID      string
	sessionID     string // pending only; may be empty: defaulted by Run
	err           error
}

// decide reads the callback query (CONTRACT §6) and returns the page to
// answer with.
func decide(q url.Values, successMessage string) (callback, loopback.Page) {
	fail := func(reason, status, message string) (callback, loopback.Page) {
		return callback{kind: callbackFailed, err: &CheckoutError{Reason: reason, Status: status}},
			loopback.ErrorPage(0, "Checkout failed", message, reason)
	}
	if e := q.Get("error"); e != "" {
		reason := loopback.CleanValue(e)
		if reason == "" {
			reason = UnknownError // the value was only control characters
		}
		if d := loopback.CleanValue(q.Get("error_description")); d != "" {
			reason += ": " + d
		}
		return fail(reason, "", "The checkout did not go through. Return to the terminal for details.")
	}
	status := loopback.CleanValue(q.Get("status"))
	cb := callback{
		transactionID: loopback.CleanValue(q.Get("transaction_id")),
		tenantID:      loopback.CleanValue(q.Get("tenant_id")),
		sessionID:     loopback.CleanValue(q.Get("checkout_session_id")),
	}
	switch status {
	case "completed":
		if cb.tenantID == "" {
			return fail("the checkout completed without a tenant id", status, "The checkout came back without a tenant id. Return to the terminal for details.")
		}
		cb.kind = callbackCompleted
		if successMessage == "" {
			successMessage = DefaultSuccessMessage
		}
		return cb, loopback.SuccessPage("Payment complete", strings.ReplaceAll(successMessage, TenantIDMarker, cb.tenantID))
	case "pending":
		cb.kind = callbackPending
		return cb, loopback.WaitingPage("Setting up your tenant",
			"Payment received. Your tenant is being set up; this page follows along, and so does your terminal.", ProgressPath)
	case "":
		return fail("the checkout came back without a status", "", "The checkout came back without a status. Return to the terminal for details.")
	default:
		return fail(fmt.Sprintf("the checkout ended with status %q", status), status, "The checkout did not complete. Return to the terminal for details.")
	}
}
