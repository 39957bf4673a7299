package api

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// Redacted replaces a secret wherever one would be shown.
const Redacted = "[REDACTED]"

// sensitiveKey tells whether a JSON key or query parameter names a secret.
func sensitiveKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"token", "secret", "password", "database_url", "api_key", "authorization", "ticket", "jwt"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// redactors are compiled on first use, not at start-up: most commands never
// redact anything (only errors and --verbose do).
var redactors = sync.OnceValue(func() *redactRegexps {
	return &redactRegexps{
		urlPassword:    regexp.MustCompile(`(://[^:/@\s"]+):[^@/\s"]+@`),
		jwtLike:        regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`),
		bearer:         regexp.MustCompile(`(?i)(bearer\s+)[^\s"]+`),
		queryPair:      regexp.MustCompile(`([?&](?:access_token|token|ticket|secret|code|state)=)[^&\s"]*`),
		callbackSecret: regexp.MustCompile(`((?:/|%2[Ff])callback(?:/|%2[Ff]))[A-Za-z0-9_-]{8,}`),
	}
})

type redactRegexps struct {
	// user:password@ in URLs, e.g. database URLs.
	urlPassword *regexp.Regexp
	// anything shaped like a JWT.
	jwtLike *regexp.Regexp
	// Bearer credentials.
	bearer *regexp.Regexp
	// key=value pairs of query strings whose key names a secret.
	queryPair *regexp.Regexp
	// /callback/<secret> paths of the login and checkout servers, also
	// URL-encoded inside a redirect_uri (as Go's own errors quote it).
	callbackSecret *regexp.Regexp
}

// RedactText removes secrets from free text: passwords in URLs, JWTs, bearer
// tokens, secret query parameters and callback secrets.
func RedactText(s string) string {
	re := redactors()
	s = re.urlPassword.ReplaceAllString(s, "$1:"+Redacted+"@")
	s = re.jwtLike.ReplaceAllString(s, Redacted)
	s = re.bearer.ReplaceAllString(s, "${1}"+Redacted)
	s = re.queryPair.ReplaceAllString(s, "${1}"+Redacted)
	s = re.callbackSecret.ReplaceAllString(s, "${1}"+Redacted)
	return s
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.RawQuery == "" {
		return RedactText(s)
	}
	q := u.Query()
	for k, vs := range q {
		for i := range vs {
			if sensitiveKey(k) {
				vs[i] = Redacted
			} else {
				vs[i] = RedactText(vs[i]) // e.g. a redirect_uri holding a callback secret
			}
		}
	}
	u.RawQuery = q.Encode()
	return RedactText(u.String())
}

// RedactBody returns a JSON body fit for a log line: values under keys that
// name secrets are replaced, and free text is passed through RedactText.
func RedactBody(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		s := string(b)
		if len(s) > 2000 {
			s = s[:2000] + "…"
		}
		return RedactText(s)
	}
	out, _ := json.Marshal(redactValue(v))
	return RedactText(string(out))
}

func redactValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if sensitiveKey(k) {
				if _, isBool := val.(bool); !isBool && val != nil {
					t[k] = Redacted
					continue
				}
			}
			// values of "secrets": {"K": "V"} are secret whatever their key.
			if strings.EqualFold(k, "secrets") {
				if m, ok := val.(map[string]any); ok {
					for sk := range m {
						m[sk] = Redacted
					}
					continue
				}
			}
			t[k] = redactValue(val)
		}
		return t
	case []any:
		for i := range t {
			t[i] = redactValue(t[i])
		}
		return t
	}
	return v
}
