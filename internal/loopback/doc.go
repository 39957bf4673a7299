// Package loopback is the small HTTP server both browser flows (login and
// checkout) run on the loopback interface to receive the browser's callback,
// following the advice of RFC 8252 for native apps:
//
//   - It listens on 127.0.0.1 only: on the preferred (reference) port when it
//     is free, else on any free port, since the port travels inside the
//     redirect URI. A pinned port that is taken is an error.
//   - The callback path carries a fresh unguessable secret,
//     /callback/<32 random bytes, base64url>, compared in constant time. Any
//     other path, or a wrong secret, gets a 404 page and leaves the flow
//     undisturbed; the real callback completes the flow once, and a replay
//     gets a refusal page and changes nothing.
//   - Requests whose Host is not the server's own loopback address are
//     refused (DNS rebinding), every answer is marked no-store and
//     no-referrer, and pages carry a strict Content-Security-Policy.
//   - Shutdown always frees the port: Close, a timeout of Wait, or the end
//     of the context given to Listen.
//
// Pages are built with html/template, so values from the query are escaped.
// The secret is never logged.
package loopback
