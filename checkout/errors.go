package checkout

import (
	"errors"
	"fmt"
)

// CheckoutError is a checkout the browser came back from without success:
// an error=<text> callback, a status other than completed or pending, or a
// callback missing what the contract requires.
type CheckoutError struct {
	// Reason says what went wrong, e.g. the error=<text> value.
	Reason string
	// Status is the callback's status value, when there was one.
	Status string
}

// Error says the checkout failed, and why.
func (e *CheckoutError) Error() string { return "checkout failed: " + e.Reason }

// ProvisioningError is a tenant whose provisioning failed: a
// provisioning_failed event, or a status of "failed".
type ProvisioningError struct {
	// TenantID is the tenant, when known.
	TenantID string
	// Message is the event's or status's message; "Unknown error" when it
	// had none.
	Message string
}

// Error says provisioning failed, with the service's message.
func (e *ProvisioningError) Error() string {
	if e.TenantID == "" {
		return "provisioning failed: " + e.Message
	}
	return fmt.Sprintf("provisioning of tenant %s failed: %s", e.TenantID, e.Message)
}

// UnknownError is the message of a failure that came without one.
const UnknownError = "Unknown error"

// ErrWaitTimeout is wrapped by the error of a provisioning wait that ran
// past its limit.
var ErrWaitTimeout = errors.New("provisioning wait timed out")

func waitTimeout(tenantID string, after fmt.Stringer) error {
	if tenantID == "" {
		return fmt.Errorf("the tenant was not ready within %s (%w); it may still finish, check its status later", after, ErrWaitTimeout)
	}
	return fmt.Errorf("tenant %s was not ready within %s (%w); it may still finish, check its status later", tenantID, after, ErrWaitTimeout)
}

func messageOr(p *string) string {
	if p == nil || *p == "" {
		return UnknownError
	}
	return *p
}
