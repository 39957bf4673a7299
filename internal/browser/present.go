package browser

import (
	"context"
	"io"
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
