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
//	defer emu.Close()
//	srv := httptest.NewServer(emu)
//	defer srv.Close()
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
//     unless another run is already queued behind it.
//   - A deploy, restart or retry asked for while a run is in progress is
//     queued and starts when the current run ends; the tenant status already
//     reports the queued operation ("deploying", "restarting").
//   - FailFirst applies to GET calls under /api/ only, so a browser opening
//     the consent or payment page is not affected.
//   - The Starter plan allows MaxStarterTenants tenants per user; a checkout
//     beyond that answers 409 "plan_limit_reached".
//   - Registry tokens are signed by the emulator; VerifyRegistryToken lets an
//     OCI registry mounted through Options.Registry check them.
package emulator
