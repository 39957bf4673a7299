package oci

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/registry"
)

// RegistryOptions configure NewRegistry.
type RegistryOptions struct {
	// Username is the only user name accepted with Basic authentication
	// (the username of the registry-token answer).
	Username string
	// Verify checks a token (the Basic password, or a Bearer token) and
	// returns the one repository it grants. Required.
	Verify func(token string) (repository string, ok bool)
	// Realm names the registry in WWW-Authenticate challenges.
	Realm string
	// Logf, when set, receives one line per refused request (never a token).
	Logf func(format string, args ...any)
}

// NewRegistry returns an in-memory OCI distribution registry (blobs and
// manifests kept in memory, lost when the process ends) that answers only
// requests carrying valid credentials: Basic authentication with
// o.Username and a token, or a Bearer token, where o.Verify accepts the
// token. A token grants push and pull on its own repository only; the
// catalog of all repositories is refused. Requests without credentials
// receive 401 with a Basic challenge, as the distribution spec asks, so
// that standard clients (docker, crane, go-containerregistry) send them.
//
// Mount it at the root of a server, or under /v2/ of one (it only answers
// /v2 paths).
func NewRegistry(o RegistryOptions) http.Handler {
	if o.Realm == "" {
		o.Realm = "registry"
	}
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	return &authRegistry{o: o, inner: inner}
}

type authRegistry struct {
	o     RegistryOptions
	inner http.Handler
}

func (a *authRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if r.URL.Path != "/v2" && !strings.HasPrefix(r.URL.Path, "/v2/") {
		writeRegistryError(w, http.StatusNotFound, "NAME_UNKNOWN", "not a registry path")
		return
	}
	tok, ok := a.credentials(r)
	if !ok {
		a.challenge(w, r, "authentication required: use the username and token of the registry-token endpoint")
		return
	}
	granted, ok := a.o.Verify(tok)
	if !ok {
		a.challenge(w, r, "the registry token is invalid or expired; ask for a new one")
		return
	}
	repo, kind := repository(r.URL.Path)
	switch kind {
	case pathBase:
	case pathCatalog:
		a.logf("registry: %s %s refused: catalog", r.Method, r.URL.Path)
		writeRegistryError(w, http.StatusForbidden, "DENIED", "listing repositories is not allowed")
		return
	case pathRepo:
		if repo != granted {
			a.logf("registry: %s %s refused: token is for another repository", r.Method, r.URL.Path)
			writeRegistryError(w, http.StatusForbidden, "DENIED", "requested access to the resource is denied: the token is for repository "+granted)
			return
		}
		if from := r.URL.Query().Get("from"); from != "" && from != granted {
			// A cross-repository mount would read another repository's blob.
			a.logf("registry: %s %s refused: mount from another repository", r.Method, r.URL.Path)
			writeRegistryError(w, http.StatusForbidden, "DENIED", "mounting from another repository is not allowed")
			return
		}
	default:
		writeRegistryError(w, http.StatusNotFound, "NAME_UNKNOWN", "unknown registry path")
		return
	}
	a.inner.ServeHTTP(w, r)
}

func (a *authRegistry) logf(format string, args ...any) {
	if a.o.Logf != nil {
		a.o.Logf(format, args...)
	}
}

// credentials reads the token of a Basic (with the right username) or
// Bearer Authorization header.
func (a *authRegistry) credentials(r *http.Request) (string, bool) {
	if user, pass, ok := r.BasicAuth(); ok {
		if user != a.o.Username || pass == "" {
			return "", false
		}
		return pass, true
	}
	h := r.Header.Get("Authorization")
	if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		tok = strings.TrimSpace(tok)
		return tok, tok != ""
	}
	return "", false
}

func (a *authRegistry) challenge(w http.ResponseWriter, r *http.Request, msg string) {
	if r.Header.Get("Authorization") != "" {
		a.logf("registry: %s %s refused: bad credentials", r.Method, r.URL.Path)
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="`+a.o.Realm+`"`)
	writeRegistryError(w, http.StatusUnauthorized, "UNAUTHORIZED", msg)
}

// writeRegistryError answers the error body of the distribution spec.
func writeRegistryError(w http.ResponseWriter, status int, code, msg string) {
	body, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": code, "message": msg}}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

type pathKind int

const (
	pathUnknown pathKind = iota
	pathBase             // /v2/
	pathCatalog          // /v2/_catalog
	pathRepo             // /v2/<name>/(blobs|manifests|tags|referrers)/...
)

// repository finds the repository name in a distribution API path.
func repository(p string) (string, pathKind) {
	rest := strings.TrimPrefix(strings.TrimPrefix(p, "/v2"), "/")
	if rest == "" {
		return "", pathBase
	}
	if rest == "_catalog" {
		return "", pathCatalog
	}
	segs := strings.Split(rest, "/")
	n := len(segs)
	// <name>/blobs/uploads/ and <name>/blobs/uploads/<id>
	if n >= 4 && segs[n-3] == "blobs" && segs[n-2] == "uploads" {
		return validRepo(segs[:n-3])
	}
	if n >= 3 {
		switch segs[n-2] {
		case "blobs", "manifests", "tags", "referrers":
			return validRepo(segs[:n-2])
		}
	}
	return "", pathUnknown
}

func validRepo(segs []string) (string, pathKind) {
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return "", pathUnknown
		}
	}
	return strings.Join(segs, "/"), pathRepo
}
