package browser

import (
	"context"
	"io"
	"net/url"
)

// Present is what a browser flow does with the URL the person must visit:
// it prints url to w, then, unless noBrowser is set, opens it with open (the
// default launcher when nil). A failed launch is reported on w and is not an
// error; Present returns an error only when ctx ends.
func Present(ctx context.Context, w io.Writer, url string, noBrowser bool, open func(context.Context, string) error) error {
	if w == nil {
		w = io.Discard
	}
	Announce(w, url, noBrowser)
	if noBrowser {
		return nil
	}
	if open == nil {
		open = (&Opener{}).Launch
	}
	if err := open(ctx, url); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ReportFailure(w, err)
	}
	return nil
}

// IsWebURL reports whether s is an absolute http(s) URL with a host: what a
// browser flow accepts from the API as the page to send the person to.
func IsWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
