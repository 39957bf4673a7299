// Package browser opens a URL in the user's web browser, the way both browser
// flows (login and checkout) need it: the URL is always printed first, so a
// person can open it by hand, and a browser that cannot be started is a note
// on stderr, never a failure of the flow.
//
// The command is taken from SPCLOUD_BROWSER, then BROWSER, then the platform
// default: xdg-open on Linux and other Unix systems, open on macOS and
// "rundll32 url.dll,FileProtocolHandler" on Windows. The value may carry
// arguments, separated by spaces; "%s" in an argument is replaced by the URL,
// otherwise the URL is appended:
//
//	SPCLOUD_BROWSER="firefox --new-window"       firefox --new-window <url>
//	SPCLOUD_BROWSER="chromium --app=%s"          chromium --app=<url>
//
// The launcher is not waited for: if it exits non-zero within a short settle
// time (one second) the launch counts as failed; if it is still running then,
// it is assumed to work and is reaped in the background when it exits.
package browser
