// Package checkout runs the purchase of a tenant in the user's browser and
// waits for the tenant to be provisioned (CONTRACT §5 and §6).
//
// Run starts a callback server on 127.0.0.1 (the reference port 8766 when it
// is free, else any free port) whose redirect URI holds a fresh secret,
// creates the checkout with that redirect URI, prints and opens the payment
// page, and reads where the browser comes back:
//
//   - error=<text>: an error page, and a *CheckoutError;
//   - status=completed with transaction_id and tenant_id: a success page
//     (its text may hold {{TENANT_ID}}), and the Result;
//   - status=pending with checkout_session_id: a waiting page at once, which
//     shows the progress live, then the checkout event stream is followed
//     until infrastructure_ready (a deploy is needed), tenant_ready (no
//     deploy needed) or provisioning_failed (a *ProvisioningError);
//   - any other status, or none: an error page and a *CheckoutError.
//
// While it waits, the same server answers GET /status/{tenant_id} with
// {"status","message","app_url"} from the tenant status endpoint (or
// {"status":"error","message":...}), and GET /progress for the waiting page.
//
// WaitForTenant is the provisioning wait on its own: it follows a tenant's
// event stream, reconnecting as needed, and falls back to polling the status
// when the stream cannot be had.
//
// # Choices where the contract is silent
//
//   - A pending callback without checkout_session_id follows the session id
//     the checkout was created with; a missing transaction_id defaults to the
//     checkout session id (pending) or the created checkout's transaction id
//     (completed). A completed callback without tenant_id fails.
//   - GET /status/{tenant_id} answers only for the tenant of this checkout,
//     once an event has named it; other ids get 404 and the error shape.
//   - When the checkout stream fails and the tenant is known, its status is
//     polled (as the reference client does); polling cannot tell
//     infrastructure_ready from tenant_ready, so a ready tenant found by
//     polling is reported with NeedsDeploy set.
//   - The provisioning wait is bounded by 15 minutes by default, polling
//     starts at 100 ms and backs off to the reference interval of 2 s.
package checkout
