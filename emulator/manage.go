package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spcloud/spcloud/api"
)

// registryTokenTTL is the lifetime of registry push tokens.
const registryTokenTTL = time.Hour

// RegistryUsername is the username of every registry token, as on the real
// service; the token is the password.
const RegistryUsername = "x"

func (s *Server) handleRegistryToken(w http.ResponseWriter, r *http.Request, c *call) {
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	repo := t.appID
	s.mu.Unlock()
	now := time.Now()
	tok, err := s.sign(claims{Sub: c.user.id, Iss: issuer, Aud: audienceOCI, Repo: repo, Tid: t.id,
		Iat: now.Unix(), Exp: now.Add(registryTokenTTL).Unix()})
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "Could not sign a registry token")
		return
	}
	writeData(w, http.StatusOK, api.RegistryToken{
		Registry: r.Host, Username: RegistryUsername, Token: tok, Repository: repo,
		// A random suffix: two pushes in the same second get their own tags.
		Tag: "deployment-" + now.UTC().Format("20060102-150405") + "-" + randomHex(3),
	})
}

// VerifyRegistryToken checks a token from the registry-token endpoint and
// returns the repository it may push to. It is meant for the OCI registry
// mounted through Options.Registry. The token dies with its tenant: once the
// tenant is deleted or cancelled, it is refused.
func (s *Server) VerifyRegistryToken(token string) (repository string, ok bool) {
	c, err := s.verify(token, audienceOCI, time.Now())
	if err != nil || c.Repo == "" {
		return "", false
	}
	s.mu.Lock()
	t := s.tenants[c.Tid]
	alive := t != nil && !t.gone && t.appID == c.Repo
	s.mu.Unlock()
	if !alive {
		return "", false
	}
	return c.Repo, true
}

func (s *Server) handleDeploy(w http.ResponseWriter, r *http.Request, c *call) {
	var req api.DeployRequest
	if !decodeBody(w, r, &req) {
		return
	}
	req.Image = strings.TrimSpace(req.Image)
	if req.Image == "" {
		writeError(w, http.StatusBadRequest, "invalid_request", "image is required")
		return
	}
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	if !t.provisioned && t.running == nil {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "tenant_not_ready", "The tenant's infrastructure is not ready; retry provisioning first")
		return
	}
	// One deploy at a time, as on the service: a second one queued behind
	// the first would leave its caller following the first one's events.
	if t.deploying() {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "deploy_in_progress",
			fmt.Sprintf("A deploy to tenant '%s' is already under way; wait for it to finish, then deploy again", t.id))
		return
	}
	t.images = append(t.images, req.Image)
	s.startRun(t, &run{kind: runDeploy, steps: deploySteps(req.Image)})
	appURL := t.appURL()
	s.mu.Unlock()
	writeData(w, http.StatusOK, api.DeployResponse{Status: "deploying", AppURL: api.Ptr(appURL)})
}

// endTenant removes a tenant: its runs stop and its streams close.
// s.mu must be held.
func (s *Server) endTenant(t *tenant) {
	t.gone = true
	t.running, t.pending = nil, nil
	close(t.stop)
	t.log.end()
	delete(s.tenants, t.id)
}

func (s *Server) handleDeleteTenant(w http.ResponseWriter, r *http.Request, c *call) {
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	s.endTenant(t)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleCancelSubscription(w http.ResponseWriter, r *http.Request, c *call) {
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	s.endTenant(t)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, api.StatusResponse{Status: api.SubscriptionCanceled})
}

func (s *Server) handleRestart(w http.ResponseWriter, r *http.Request, c *call) {
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	if !t.provisioned {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "tenant_not_ready", "The tenant has no machine to restart yet")
		return
	}
	s.startRun(t, &run{kind: runRestart, steps: restartSteps()})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, api.StatusResponse{Status: "restarting"})
}

func (s *Server) handleRetryProvision(w http.ResponseWriter, r *http.Request, c *call) {
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	// Like the service, only a failed provisioning (or deploy) is retried:
	// a healthy tenant is not provisioned a second time.
	if st := t.status(); st != "failed" {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "tenant_not_failed", fmt.Sprintf("Tenant '%s' is %s; only a failed provisioning can be retried", t.id, st))
		return
	}
	s.startRun(t, &run{kind: runProvision, steps: provisionSteps("")})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, api.StatusResponse{Status: "provisioning"})
}

func (s *Server) handleExternalDB(w http.ResponseWriter, r *http.Request, c *call) {
	var req struct {
		Enabled *bool `json:"enabled"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Enabled == nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "enabled (true or false) is required")
		return
	}
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	t.externalDB = *req.Enabled
	resp := api.ExternalDBAccessResponse{TenantID: t.id, ExternalDBAccess: t.externalDB, DatabaseURL: t.currentDatabaseURL()}
	s.mu.Unlock()
	writeData(w, http.StatusOK, resp)
}

func (s *Server) handleRotateCredentials(w http.ResponseWriter, r *http.Request, c *call) {
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	t.dbPass = randomHex(12)
	resp := api.RotateCredentialsResponse{Status: "rotated", Message: "Database password rotated", DatabaseURL: t.currentDatabaseURL()}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleRotateSyncToken(w http.ResponseWriter, r *http.Request, c *call) {
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	t.syncToken = "syt_" + randomHex(10)
	resp := api.RotateSyncTokenResponse{Status: "rotated", SyncToken: t.syncToken}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}
