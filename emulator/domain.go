package emulator

import (
	"net/http"
	"strings"
	"time"

	"github.com/spcloud/spcloud/api"
)

// normalizeDomain lowercases a host name and checks it is a plausible
// domain of at least two labels.
func normalizeDomain(d string) (string, bool) {
	d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
	if len(d) == 0 || len(d) > 253 {
		return "", false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", false
		}
		for _, ch := range l {
			if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-') {
				return "", false
			}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" { // an IP address, not a name
		return "", false
	}
	return d, true
}

// recordHost is the name of the DNS record relative to the domain's zone,
// taken to be its last two labels (as in app.acme.example → app): "@" for
// the apex itself, "api.eu" for api.eu.example.com.
func recordHost(domain string) string {
	labels := strings.Split(domain, ".")
	if len(labels) <= 2 {
		return "@"
	}
	return strings.Join(labels[:len(labels)-2], ".")
}

func (s *Server) handleSetDomain(w http.ResponseWriter, r *http.Request, c *call) {
	var req api.CustomDomainRequest
	if !decodeBody(w, r, &req) {
		return
	}
	domain, ok := normalizeDomain(req.Domain)
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request", "'"+req.Domain+"' is not a valid domain name (like app.example.com)")
		return
	}
	if domain == "systemprompt.io" || strings.HasSuffix(domain, ".systemprompt.io") {
		writeError(w, http.StatusBadRequest, "invalid_request", "'"+domain+"' is under the platform's own domain; use a domain of yours")
		return
	}
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	for _, other := range s.tenants {
		if other != t && !other.gone && other.domain != nil && other.domain.Domain == domain {
			s.mu.Unlock()
			writeError(w, http.StatusConflict, "domain_in_use", "'"+domain+"' is already the custom domain of another tenant")
			return
		}
	}
	host := recordHost(domain)
	t.domain = &api.CustomDomainResponse{
		Domain: domain, Status: "pending_verification", Verified: false, DNSTarget: t.hostname,
		DNSInstructions: api.DNSInstructions{RecordType: "CNAME", Host: host, Value: t.hostname, TTL: 300},
		CreatedAt:       api.Ptr(time.Now().UTC().Format(time.RFC3339)),
	}
	resp := *t.domain
	s.mu.Unlock()
	writeData(w, http.StatusOK, resp)
}

func (s *Server) handleGetDomain(w http.ResponseWriter, r *http.Request, c *call) {
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	d := t.domain
	var resp api.CustomDomainResponse
	if d != nil {
		resp = *d
	}
	s.mu.Unlock()
	if d == nil {
		writeError(w, http.StatusNotFound, "custom_domain_not_found", "No custom domain is set for tenant '"+c.param("id")+"'")
		return
	}
	writeData(w, http.StatusOK, resp)
}

func (s *Server) handleDeleteDomain(w http.ResponseWriter, r *http.Request, c *call) {
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	had := t.domain != nil
	t.domain = nil
	s.mu.Unlock()
	if !had {
		writeError(w, http.StatusNotFound, "custom_domain_not_found", "No custom domain is set for tenant '"+c.param("id")+"'")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
