package emulator

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/spcloud/spcloud/api"
)

// tenant is the emulator's record of one tenant. All fields are guarded by
// Server.mu.
type tenant struct {
	id, name, owner string // owner is a user id
	order           int    // creation order, for stable listings
	created         time.Time
	region          string
	plan            planDef
	subscriptionID  string
	checkoutID      string
	appID, hostname string

	dbUser, dbPass, dbName string
	externalDB             bool
	jwtSecret, syncToken   string
	ticket                 string // secrets_url ticket
	secrets                map[string]string
	images                 []string // deployed images, oldest first
	domain                 *api.CustomDomainResponse

	log *eventLog

	// Lifecycle.
	provisioned  bool   // infrastructure has been ready at least once
	phase        string // what the status endpoint says: provisioning, deploying, restarting, ready, failed
	message      string // the latest event's message
	running      *run   // the run emitting events, nil when idle
	pending      []*run // queued behind running, first to run first
	runs         int    // runs started so far
	runnerActive bool
	stop         chan struct{}
	gone         bool // deleted or subscription cancelled
}

func (t *tenant) appURL() string { return "https://" + t.hostname }

func (t *tenant) internalDatabaseURL() string {
	return t.databaseURL(t.appID+"-db.flycast:5432", "disable")
}

func (t *tenant) externalDatabaseURL() string {
	return t.databaseURL("db.systemprompt.io:5432", "require")
}

func (t *tenant) databaseURL(hostport, sslmode string) string {
	u := url.URL{
		Scheme: "postgres", User: url.UserPassword(t.dbUser, t.dbPass), Host: hostport,
		Path: "/" + t.dbName, RawQuery: "sslmode=" + sslmode,
	}
	return u.String()
}

// currentDatabaseURL is what external-db-access and rotate-credentials
// report: the external URL while external access is on. /auth/me always
// reports the internal one (see the auth_me fixture).
func (t *tenant) currentDatabaseURL() string {
	if t.externalDB {
		return t.externalDatabaseURL()
	}
	return t.internalDatabaseURL()
}

// status is the value of the tenant status endpoint.
func (t *tenant) status() string {
	if len(t.pending) > 0 {
		return t.pending[0].kind.phase()
	}
	return t.phase
}

// infoStatus is the TenantInfo status of /auth/me.
func (t *tenant) infoStatus() string {
	if t.provisioned {
		return api.TenantActive
	}
	return api.TenantPending
}

func (t *tenant) info() api.TenantInfo {
	return api.TenantInfo{
		ID:                 t.id,
		Name:               t.name,
		SubscriptionID:     api.Ptr(t.subscriptionID),
		SubscriptionStatus: api.Ptr(api.SubscriptionActive),
		AppID:              api.Ptr(t.appID),
		Hostname:           api.Ptr(t.hostname),
		Region:             api.Ptr(t.region),
		Status:             api.Ptr(t.infoStatus()),
		Plan: &api.TenantPlan{
			ID: api.Ptr(t.plan.ID), Name: t.plan.Name,
			MemoryMB: t.plan.MemoryMBDefault, VolumeGB: t.plan.VolumeGB,
		},
		ExternalDBAccess: t.externalDB,
		DatabaseURL:      t.internalDatabaseURL(),
	}
}

func (t *tenant) listItem() api.Tenant {
	return api.Tenant{
		ID: t.id, Name: t.name,
		FlyAppName:  api.Ptr(t.appID),
		FlyHostname: api.Ptr(t.appID + ".fly.dev"),
		Hostname:    api.Ptr(t.hostname),
	}
}

func (t *tenant) secretKeys() []string {
	keys := make([]string, 0, len(t.secrets))
	for k := range t.secrets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TenantState is a snapshot of a tenant, for tests that look inside the
// emulator. Changing it changes nothing in the emulator.
type TenantState struct {
	ID     string
	Name   string
	Owner  string // the owner's e-mail
	Region string
	PlanID string
	// Status is what GET .../status answers: provisioning, deploying,
	// restarting, ready or failed.
	Status string
	// InfoStatus is the TenantInfo status of /auth/me: pending or active.
	InfoStatus string
	// Ready is Status == "ready".
	Ready       bool
	Message     string
	AppID       string
	Hostname    string
	AppURL      string
	DatabaseURL string // the internal URL, as /auth/me reports it
	// ExternalDatabaseURL is the URL from outside; "" unless external
	// access is enabled.
	ExternalDatabaseURL string
	ExternalDBAccess    bool
	JWTSecret           string
	SyncToken           string
	SecretKeys          []string          // sorted
	Secrets             map[string]string // key → value
	Images              []string          // deployed images, oldest first
	CustomDomain        string            // "" when none
	Events              int               // events emitted so far
}

// Tenant returns a snapshot of the tenant with that id, and whether it
// exists (deleted and cancelled tenants do not).
func (s *Server) Tenant(id string) (TenantState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[id]
	if t == nil || t.gone {
		return TenantState{}, false
	}
	return s.snapshot(t), true
}

// Tenants returns snapshots of the tenants of the user with that e-mail,
// oldest first.
func (s *Server) Tenants(userEmail string) []TenantState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []TenantState
	for _, t := range s.userTenants(s.userByEmail(userEmail)) {
		out = append(out, s.snapshot(t))
	}
	return out
}

func (s *Server) snapshot(t *tenant) TenantState {
	st := TenantState{
		ID: t.id, Name: t.name, Region: t.region, PlanID: t.plan.ID,
		Status: t.status(), InfoStatus: t.infoStatus(), Ready: t.status() == api.StatusReady,
		Message: t.message, AppID: t.appID, Hostname: t.hostname, AppURL: t.appURL(),
		DatabaseURL: t.internalDatabaseURL(), ExternalDBAccess: t.externalDB,
		JWTSecret: t.jwtSecret, SyncToken: t.syncToken,
		SecretKeys: t.secretKeys(), Secrets: map[string]string{},
		Images: append([]string(nil), t.images...),
		Events: t.log.count(),
	}
	if u := s.users[t.owner]; u != nil {
		st.Owner = u.email
	}
	for k, v := range t.secrets {
		st.Secrets[k] = v
	}
	if t.externalDB {
		st.ExternalDatabaseURL = t.externalDatabaseURL()
	}
	if t.domain != nil {
		st.CustomDomain = t.domain.Domain
	}
	return st
}

func (s *Server) userByEmail(email string) *user {
	return s.byEmail[strings.ToLower(strings.TrimSpace(email))]
}

// userTenants lists a user's live tenants, oldest first. s.mu must be held.
func (s *Server) userTenants(u *user) []*tenant {
	if u == nil {
		return nil
	}
	var out []*tenant
	for _, t := range s.tenants {
		if t.owner == u.id && !t.gone {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].order < out[j].order })
	return out
}

// tenantOf finds the caller's tenant named in the path, or answers 404.
// It returns with s.mu held when it finds one; the caller must unlock.
func (s *Server) tenantOf(w http.ResponseWriter, c *call) *tenant {
	id := c.param("id")
	s.mu.Lock()
	t := s.tenants[id]
	if t == nil || t.gone || t.owner != c.user.id {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "tenant_not_found", "No tenant with id '"+id+"'")
		return nil
	}
	return t
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	u := c.user
	resp := api.UserMeResponse{
		User:     api.User{ID: u.id, Email: u.email},
		Customer: &api.Customer{ID: u.customerID, Status: api.Ptr("active")},
		Tenants:  []api.TenantInfo{},
	}
	if u.name != "" {
		resp.User.Name = api.Ptr(u.name)
	}
	for _, t := range s.userTenants(u) {
		resp.Tenants = append(resp.Tenants, t.info())
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleListTenants(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	list := []api.Tenant{}
	for _, t := range s.userTenants(c.user) {
		list = append(list, t.listItem())
	}
	s.mu.Unlock()
	writeData(w, http.StatusOK, list)
}

func (s *Server) handleTenantStatus(w http.ResponseWriter, r *http.Request, c *call) {
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	st := api.TenantStatus{Status: t.status()}
	if t.message != "" {
		st.Message = api.Ptr(t.message)
	}
	if len(t.pending) > 0 {
		st.Message = api.Ptr(t.pending[0].queuedMessage())
	}
	if st.Status == api.StatusReady {
		st.AppURL = api.Ptr(t.appURL())
		q := url.Values{"ticket": {t.ticket}}
		st.SecretsURL = api.Ptr(baseURL(r) + "/api/v1/tenants/" + t.id + "/secrets/bootstrap?" + q.Encode())
	}
	s.mu.Unlock()
	writeData(w, http.StatusOK, st)
}

func (s *Server) handleSecretsBootstrap(w http.ResponseWriter, r *http.Request, c *call) {
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	if !t.provisioned {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "tenant_not_ready", "The tenant's secrets are available once its infrastructure is ready")
		return
	}
	if r.URL.Query().Get("ticket") != t.ticket {
		s.mu.Unlock()
		writeError(w, http.StatusForbidden, "invalid_ticket", "The secrets ticket is missing or invalid; read secrets_url from the tenant status again")
		return
	}
	sec := api.TenantSecrets{
		JWTSecret:   t.jwtSecret,
		DatabaseURL: t.internalDatabaseURL(),
		AppURL:      t.appURL(),
		SyncToken:   api.Ptr(t.syncToken),
	}
	if v, ok := t.secrets["ANTHROPIC_API_KEY"]; ok {
		sec.AnthropicAPIKey = api.Ptr(v)
	}
	if v, ok := t.secrets["OPENAI_API_KEY"]; ok {
		sec.OpenAIAPIKey = api.Ptr(v)
	}
	if v, ok := t.secrets["GEMINI_API_KEY"]; ok {
		sec.GeminiAPIKey = api.Ptr(v)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, sec)
}
