package login

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzCallbackQuery feeds arbitrary callback queries to the login's decision:
// it never panics, ends with exactly one of a token or an error, and the page
// it renders never carries the query's markup unescaped.
func FuzzCallbackQuery(f *testing.F) {
	f.Add("access_token=eyJ.eyJ.sig")
	f.Add("error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
	f.Add("access_token=a%20b&error=")
	f.Add("")
	f.Add("error=%00%1b[31m&access_token=x")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		out, page := decide(q)
		if (out.token == "") == (out.err == nil) {
			t.Fatalf("query %q: token %q and error %v", raw, out.token, out.err)
		}
		rec := httptest.NewRecorder()
		page.Render(rec)
		if strings.Contains(rec.Body.String(), "<script>alert") {
			t.Fatalf("query %q: markup reached the page", raw)
		}
	})
}
