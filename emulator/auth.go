package emulator

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
)

// The demo user: everyone who logs in through the consent page is this user.
const (
	DemoUserEmail = "dev@example.com"
	DemoUserName  = "Dana Developer"
)

// consentTTL bounds how long an OAuth authorization waits for the person.
const consentTTL = 10 * time.Minute

type user struct {
	id         string
	email      string
	name       string // may be empty
	customerID string
}

// consent is a pending OAuth authorization, kept server-side under an
// unguessable id; the redirect_uri never travels through the page's form.
type consent struct {
	id          string
	provider    string
	redirectURI string
	created     time.Time
}

// userFor returns the user with that e-mail, creating it. s.mu must be held.
func (s *Server) userFor(email, name string) *user {
	key := strings.ToLower(email)
	if u := s.byEmail[key]; u != nil {
		return u
	}
	u := &user{id: "usr_" + randomHex(6), email: email, name: name, customerID: "ctm_" + randomHex(6)}
	s.users[u.id] = u
	s.byEmail[key] = u
	return u
}

// IssueToken signs a valid API token for the user with that e-mail, creating
// the user when new, as if they had logged in. Tests use it to skip the
// browser flow.
func (s *Server) IssueToken(userEmail string) (string, error) {
	userEmail = strings.TrimSpace(userEmail)
	at := strings.Index(userEmail, "@")
	if at < 1 || at == len(userEmail)-1 || strings.ContainsAny(userEmail, " \t\r\n") {
		return "", errors.New("emulator: not an e-mail address: " + userEmail)
	}
	s.mu.Lock()
	name := ""
	if strings.EqualFold(userEmail, DemoUserEmail) {
		name = DemoUserName
	}
	u := s.userFor(userEmail, name)
	s.mu.Unlock()
	return s.tokenFor(u)
}

func (s *Server) tokenFor(u *user) (string, error) {
	now := time.Now()
	return s.sign(claims{
		Sub: u.id, Email: u.email, Iss: issuer, Aud: audienceAPI,
		Iat: now.Unix(), Exp: now.Add(s.opts.TokenTTL).Unix(),
	})
}

// authenticate returns the caller of r, or nil and why not.
func (s *Server) authenticate(r *http.Request) (*user, string) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, "Missing Authorization header; log in first"
	}
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, "The Authorization header must be 'Bearer <token>'"
	}
	c, err := s.verify(tok, audienceAPI, time.Now())
	if err != nil {
		return nil, "Invalid token: " + err.Error()
	}
	s.mu.Lock()
	u := s.users[c.Sub]
	s.mu.Unlock()
	if u == nil {
		return nil, "Invalid token: unknown user"
	}
	return u, ""
}

// checkLoopbackURI accepts only http URLs on a loopback host, any port and
// path, as the browser flows of CONTRACT §6 use.
func checkLoopbackURI(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("redirect_uri is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("redirect_uri is not a URL")
	}
	if u.Scheme != "http" {
		return nil, errors.New("redirect_uri must be an http:// URL")
	}
	if u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return nil, errors.New("redirect_uri must not carry user info or a fragment")
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case host == "localhost", host == "127.0.0.1":
	case host == "::1" && strings.HasPrefix(u.Host, "[::1]"):
	default:
		return nil, errors.New("redirect_uri must point to a loopback address (127.0.0.1, [::1] or localhost)")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 || strings.TrimLeft(p, "0123456789") != "" {
			return nil, errors.New("redirect_uri has an invalid port")
		}
	}
	return u, nil
}

// withQuery returns u with the given parameters added to its query.
func withQuery(u *url.URL, kv ...string) string {
	c := *u
	q := c.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	c.RawQuery = q.Encode()
	return c.String()
}

func (s *Server) handleOAuthStart(w http.ResponseWriter, r *http.Request, c *call) {
	provider := c.param("provider")
	if p, err := spcloud.ParseOAuthProvider(provider); err != nil || string(p) != provider {
		writeError(w, http.StatusNotFound, "unknown_provider",
			"Unknown OAuth provider '"+provider+"' (use github or google)")
		return
	}
	ru := r.URL.Query().Get("redirect_uri")
	if _, err := checkLoopbackURI(ru); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_redirect_uri", err.Error())
		return
	}
	cs := &consent{id: randomToken(), provider: provider, redirectURI: ru, created: time.Now()}
	s.mu.Lock()
	s.pruneConsents(cs.created)
	s.consents[cs.id] = cs
	s.mu.Unlock()
	q := url.Values{"id": {cs.id}}
	writeJSON(w, http.StatusOK, api.OAuthStartResponse{
		AuthorizeURL: baseURL(r) + "/oauth/consent?" + q.Encode(),
	})
}

// pruneConsents forgets authorizations nobody finished. s.mu must be held.
func (s *Server) pruneConsents(now time.Time) {
	for id, c := range s.consents {
		if now.Sub(c.created) > consentTTL {
			delete(s.consents, id)
		}
	}
}

// lookupConsent finds a pending authorization; take removes it (one use).
func (s *Server) lookupConsent(id string, take bool) *consent {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.consents[id]
	if c == nil || time.Since(c.created) > consentTTL {
		delete(s.consents, id)
		return nil
	}
	if take {
		delete(s.consents, id)
	}
	return c
}

func (s *Server) handleConsentPage(w http.ResponseWriter, r *http.Request, c *call) {
	id := r.URL.Query().Get("id")
	cs := s.lookupConsent(id, s.opts.AutoApprove)
	if cs == nil {
		renderMessage(w, http.StatusGone, "Authorization expired",
			"This authorization request is unknown, expired or was already used.",
			"Start the login again from spcloud.")
		return
	}
	if s.opts.AutoApprove {
		s.finishConsent(w, r, cs, true)
		return
	}
	s.mu.Lock()
	u := s.byEmail[strings.ToLower(DemoUserEmail)]
	s.mu.Unlock()
	ru, _ := url.Parse(cs.redirectURI)
	renderPage(w, http.StatusOK, consentTmpl(), consentView{
		ID:           cs.id,
		Provider:     spcloud.OAuthProvider(cs.provider).DisplayName(),
		UserName:     u.name,
		UserEmail:    u.email,
		Initials:     initials(u.name),
		RedirectHost: ru.Host,
	})
}

func (s *Server) handleConsentPost(w http.ResponseWriter, r *http.Request, c *call) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		renderMessage(w, http.StatusBadRequest, "Bad request", "The form could not be read.", "")
		return
	}
	action := r.PostForm.Get("action")
	if action != "approve" && action != "deny" {
		renderMessage(w, http.StatusBadRequest, "Bad request", "Choose Approve or Deny.", "")
		return
	}
	cs := s.lookupConsent(r.PostForm.Get("id"), true)
	if cs == nil {
		renderMessage(w, http.StatusGone, "Authorization expired",
			"This authorization request is unknown, expired or was already used.",
			"Start the login again from spcloud.")
		return
	}
	s.finishConsent(w, r, cs, action == "approve")
}

// finishConsent sends the browser back to the client's loopback server.
func (s *Server) finishConsent(w http.ResponseWriter, r *http.Request, cs *consent, approved bool) {
	ru, err := url.Parse(cs.redirectURI)
	if err != nil {
		renderMessage(w, http.StatusBadRequest, "Bad request", "The redirect address is invalid.", "")
		return
	}
	if !approved {
		http.Redirect(w, r, withQuery(ru, "error", "access_denied", "error_description", "The user denied access"), http.StatusSeeOther)
		return
	}
	s.mu.Lock()
	u := s.userFor(DemoUserEmail, DemoUserName)
	s.mu.Unlock()
	tok, err := s.tokenFor(u)
	if err != nil {
		http.Redirect(w, r, withQuery(ru, "error", "server_error", "error_description", "Could not sign a token"), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, withQuery(ru, "access_token", tok), http.StatusSeeOther)
}

func initials(name string) string {
	out := ""
	for _, f := range strings.Fields(name) {
		out += strings.ToUpper(f[:1])
		if len(out) == 2 {
			break
		}
	}
	if out == "" {
		return "?"
	}
	return out
}
