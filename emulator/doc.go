// Package emulator is a local, in-memory stand-in for the systemprompt.io
// Cloud API. It speaks the wire contract of spec/CONTRACT.md (paths, field
// names, envelopes, event streams), plays the two web pages a person sees
// (the OAuth consent page and the payment page), and provisions tenants over
// time, emitting the same events the real service emits.
//
// It is used by the tests of the other packages, by `spcloud emulator` (which
// serves it on a loopback port for other programs) and by `spcloud demo`.
//
// A *Server is an http.Handler:
//
//	emu := emulator.New(emulator.Options{StepDelay: 5 * time.Millisecond})
//	srv := httptest.NewServer(emu)
//	defer srv.Close()
//	defer emu.Close() // first: it ends open event streams, so srv.Close returns
//
// Absolute URLs in answers (authorize_url, checkout_url, secrets_url) are
// built from each request's Host, so the emulator works on any port.
//
// # Choices where the contract is silent
//
//   - Every login through the consent page is the demo user DemoUserEmail
//     ("Dana Developer"). IssueToken signs tokens for any other user.
//   - An unknown OAuth provider answers 404 with code "unknown_provider".
//   - An unknown path answers 404 "not_found", a known path with the wrong
//     method 405 "method_not_allowed" (with an Allow header), both in the
//     error envelope.
//   - The consent and payment pages are reached through unguessable ids and
//     can be used once; a second use answers 410 with an HTML page.
//   - A tenant's events form one log with ids 1, 2, 3, ... across all its
//     runs (provisioning, deploys, restarts). The checkout stream carries the
//     first run only and closes after its terminal event. The tenant stream
//     without Last-Event-ID starts at the beginning of the current run; both
//     close after a terminal event (tenant_ready or provisioning_failed)
//     unless another run is already queued behind it. A stream resumed with
//     a Last-Event-ID at or past that event, with nothing newer to send,
//     closes at once instead of sending heartbeats for ever.
//   - A deploy, restart or retry asked for while a run is in progress is
//     queued and starts when the current run ends; the tenant status already
//     reports the queued operation ("deploying", "restarting"). Only one
//     deploy may be running or queued at a time: another answers 409
//     "deploy_in_progress", so that each caller follows its own deploy.
//   - A custom domain's DNS record is a CNAME to the tenant's hostname, TTL
//     300, named relative to the domain's last two labels (app.acme.example
//     → "app", example.com → "@"); it stays unverified. A domain belongs to
//     one tenant at a time: another asking for it gets 409 "domain_in_use";
//     names under systemprompt.io are refused with 400.
//   - retry-provision is refused with 409 "tenant_not_failed" unless the
//     tenant's last run failed: a healthy tenant is not provisioned twice.
//   - FailFirst applies to GET calls under /api/ only, so a browser opening
//     the consent or payment page is not affected.
//   - The Starter plan allows MaxStarterTenants tenants per user; a checkout
//     beyond that answers 409 "plan_limit_reached", and so does a payment
//     that would go past it (checkouts opened at once all pass the first
//     check): the browser returns with error=plan_limit_reached and nothing
//     is bought.
//   - The tenant status is "ready" (with app_url and secrets_url) from the
//     moment infrastructure_ready is emitted. The secrets_url carries a
//     ticket; a wrong ticket answers 403 "invalid_ticket", a fetch before
//     the infrastructure is ready 409 "tenant_not_ready".
//   - TenantInfo.database_url (in /auth/me) is always the internal URL, as
//     in the auth_me fixture; external-db-access and rotate-credentials
//     answer the external URL while external access is on.
//   - Deploying an image whose reference contains "fail" ends its run with
//     provisioning_failed and the status "failed". Options.FailProvisioning
//     makes the first provisioning of new tenants fail the same way.
//   - Deleting a tenant or cancelling its subscription removes it at once:
//     later calls answer 404 and its open streams close.
//   - Registry tokens are signed by the emulator, valid for an hour (or
//     until the tenant ends) and for the tenant's repository only; each
//     names its own tag; their registry is the emulator's own
//     host. VerifyRegistryToken lets an OCI registry mounted through
//     Options.Registry (under /v2/) check them. This package implements no
//     registry itself, so that it needs nothing beyond the standard library:
//     spcloud's internal/oci.NewRegistry is the in-memory registry that
//     `spcloud emulator`, `spcloud demo` and the command tests mount, and it
//     accepts the username RegistryUsername with such a token and nothing
//     else.
package emulator
