package checkout

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzCallbackQuery feeds arbitrary callback queries to the checkout's
// decision: it never panics, a failure always carries an error, a success a
// tenant id, and the page never carries the query's markup unescaped.
func FuzzCallbackQuery(f *testing.F) {
	f.Add("status=pending&checkout_session_id=cs_1&transaction_id=txn_1")
	f.Add("status=completed&tenant_id=t1&transaction_id=txn_1")
	f.Add("error=Payment+cancelled")
	f.Add("status=completed&tenant_id=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
	f.Add("status=%00")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		cb, page := decide(q, "")
		switch cb.kind {
		case callbackFailed:
			if cb.err == nil {
				t.Fatalf("query %q: failed without an error", raw)
			}
		case callbackCompleted:
			if cb.tenantID == "" {
				t.Fatalf("query %q: completed without a tenant id", raw)
			}
		}
		rec := httptest.NewRecorder()
		page.Render(rec)
		if strings.Contains(rec.Body.String(), "<script>alert") {
			t.Fatalf("query %q: markup reached the page", raw)
		}
	})
}
