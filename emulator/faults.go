package emulator

import (
	"net/http"
	"strings"
)

// injectFailure answers the first Options.FailFirst GET calls to each exact
// path under /api/ with 503, Retry-After: 1 and the error envelope. It
// reports whether it answered.
func (s *Server) injectFailure(w http.ResponseWriter, r *http.Request) bool {
	n := s.opts.FailFirst
	if n <= 0 || r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/api/") {
		return false
	}
	s.mu.Lock()
	seen := s.getCounts[r.URL.Path]
	if seen < n {
		s.getCounts[r.URL.Path] = seen + 1
	}
	s.mu.Unlock()
	if seen >= n {
		return false
	}
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusServiceUnavailable, "service_unavailable",
		"The service is temporarily unavailable, retry in a second (injected fault)")
	return true
}
