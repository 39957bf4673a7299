package emulator

import (
	"fmt"
	"net/http"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
)

// validSecretKey accepts environment variable names: a letter or _, then
// letters, digits and _.
func validSecretKey(k string) bool {
	if k == "" || len(k) > 256 {
		return false
	}
	for i, ch := range k {
		switch {
		case ch == '_', ch >= 'A' && ch <= 'Z', ch >= 'a' && ch <= 'z':
		case ch >= '0' && ch <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func (s *Server) handleListSecrets(w http.ResponseWriter, r *http.Request, c *call) {
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	keys := t.secretKeys()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, api.SecretKeys{Keys: keys})
}

func (s *Server) handleSetSecrets(w http.ResponseWriter, r *http.Request, c *call) {
	var req api.SetSecretsRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if len(req.Secrets) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_request", "secrets must hold at least one KEY: value pair")
		return
	}
	for k := range req.Secrets {
		if !validSecretKey(k) {
			writeError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("'%s' is not a valid secret name (letters, digits and _, not starting with a digit)", k))
			return
		}
		if spcloud.IsManagedVariable(k) {
			writeError(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("%s is managed by the platform and cannot be set", k))
			return
		}
	}
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	for k, v := range req.Secrets {
		t.secrets[k] = v
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleUnsetSecret(w http.ResponseWriter, r *http.Request, c *call) {
	t := s.tenantOf(w, c)
	if t == nil {
		return
	}
	key := c.param("key")
	_, ok := t.secrets[key]
	delete(t.secrets, key)
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "secret_not_found", fmt.Sprintf("No secret named '%s'", key))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
