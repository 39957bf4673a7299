package emulator

import (
	"net/http"
	"sort"
	"strings"
)

// call is what a handler gets besides the writer and the request: the path
// parameters and, on authenticated routes, the caller.
type call struct {
	params map[string]string
	user   *user
}

func (c *call) param(name string) string { return c.params[name] }

type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call)

// route is one method and path pattern; segments written {name} match any
// one non-empty segment.
type route struct {
	method   string
	segments []string
	auth     bool
	h        handlerFunc
}

func (s *Server) buildRoutes() []route {
	pub := func(method, pattern string, h handlerFunc) route {
		return route{method: method, segments: split(pattern), h: h}
	}
	auth := func(method, pattern string, h handlerFunc) route {
		return route{method: method, segments: split(pattern), auth: true, h: h}
	}
	const t = "/api/v1/tenants/{id}"
	return []route{
		pub("GET", "/healthz", s.handleHealth),
		// Pages a browser opens.
		pub("GET", "/oauth/consent", s.handleConsentPage),
		pub("POST", "/oauth/consent", s.handleConsentPost),
		pub("GET", "/checkout/{txn}", s.handlePaymentPage),
		pub("POST", "/checkout/{txn}", s.handlePaymentPost),
		// Phase 1: login, checkout, provisioning.
		pub("GET", "/api/v1/auth/oauth/{provider}", s.handleOAuthStart),
		auth("GET", "/api/v1/auth/me", s.handleMe),
		auth("GET", "/api/v1/tenants", s.handleListTenants),
		auth("GET", "/api/v1/checkout/plans", s.handlePlans),
		auth("POST", "/api/v1/checkout", s.handleCreateCheckout),
		auth("GET", "/api/v1/checkout/{cs}/events", s.handleCheckoutEvents),
		auth("GET", t+"/status", s.handleTenantStatus),
		auth("GET", t+"/events", s.handleTenantEvents),
		auth("GET", t+"/secrets/bootstrap", s.handleSecretsBootstrap),
		// Phase 2: managing a tenant.
		auth("GET", t+"/registry-token", s.handleRegistryToken),
		auth("POST", t+"/deploy", s.handleDeploy),
		auth("DELETE", t, s.handleDeleteTenant),
		auth("POST", t+"/restart", s.handleRestart),
		auth("POST", t+"/retry-provision", s.handleRetryProvision),
		auth("GET", t+"/secrets", s.handleListSecrets),
		auth("PUT", t+"/secrets", s.handleSetSecrets),
		auth("DELETE", t+"/secrets/{key}", s.handleUnsetSecret),
		auth("PUT", t+"/external-db-access", s.handleExternalDB),
		auth("POST", t+"/rotate-credentials", s.handleRotateCredentials),
		auth("POST", t+"/rotate-sync-token", s.handleRotateSyncToken),
		auth("POST", t+"/custom-domain", s.handleSetDomain),
		auth("GET", t+"/custom-domain", s.handleGetDomain),
		auth("DELETE", t+"/custom-domain", s.handleDeleteDomain),
		auth("POST", t+"/subscription/cancel", s.handleCancelSubscription),
	}
}

func split(path string) []string {
	return strings.Split(strings.Trim(path, "/"), "/")
}

// match reports whether path segments fit the pattern and fills params.
func (rt *route) match(segs []string) (map[string]string, bool) {
	if len(segs) != len(rt.segments) {
		return nil, false
	}
	var params map[string]string
	for i, p := range rt.segments {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if segs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[p[1:len(p)-1]] = segs[i]
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return params, true
}

// route dispatches a request: 404 for an unknown path, 405 for a known path
// with another method, 401 for an authenticated route without a good token.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	segs := split(r.URL.Path)
	var allowed []string
	for i := range s.routes {
		rt := &s.routes[i]
		params, ok := rt.match(segs)
		if !ok {
			continue
		}
		if rt.method != r.Method && !(rt.method == "GET" && r.Method == "HEAD") {
			allowed = append(allowed, rt.method)
			continue
		}
		c := &call{params: params}
		if rt.auth {
			u, msg := s.authenticate(r)
			if u == nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="systemprompt.io"`)
				writeError(w, http.StatusUnauthorized, "unauthorized", msg)
				return
			}
			c.user = u
		}
		rt.h(w, r, c)
		return
	}
	if len(allowed) > 0 {
		sort.Strings(allowed)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed",
			"Method "+r.Method+" is not allowed on "+r.URL.Path)
		return
	}
	writeError(w, http.StatusNotFound, "not_found", "No such endpoint: "+r.Method+" "+r.URL.Path)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request, c *call) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
