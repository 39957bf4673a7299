// Package token reads the expiry of the JWTs the systemprompt.io Cloud issues.
// It does not verify signatures: the service does that. It only decodes the
// payload's "exp" claim so the client can tell a user to log in again before
// a call fails.
package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// ErrMalformed is returned for a token whose expiry cannot be read.
var ErrMalformed = errors.New("token is not a JWT with an exp claim")

// Claims are the payload fields the client reads.
type Claims struct {
	Subject string `json:"sub,omitempty"`
	Email   string `json:"email,omitempty"`
	// Expiry and IssuedAt are seconds since the epoch.
	Expiry   int64 `json:"exp"`
	IssuedAt int64 `json:"iat,omitempty"`
}

// Decode reads the claims of a JWT without verifying its signature.
func Decode(jwt string) (Claims, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return Claims{}, ErrMalformed
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return Claims{}, ErrMalformed
	}
	// exp may be written as a float by some issuers; read it as a number.
	var raw struct {
		Subject  string      `json:"sub"`
		Email    string      `json:"email"`
		Expiry   json.Number `json:"exp"`
		IssuedAt json.Number `json:"iat"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil || raw.Expiry == "" {
		return Claims{}, ErrMalformed
	}
	exp, err := numberSeconds(raw.Expiry)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	iat, _ := numberSeconds(raw.IssuedAt)
	return Claims{Subject: raw.Subject, Email: raw.Email, Expiry: exp, IssuedAt: iat}, nil
}

func numberSeconds(n json.Number) (int64, error) {
	if n == "" {
		return 0, nil
	}
	if i, err := n.Int64(); err == nil {
		return i, nil
	}
	f, err := n.Float64()
	if err != nil || f != f || f > 1e15 || f < -1e15 {
		return 0, ErrMalformed
	}
	return int64(f), nil
}

// ExpiresAt returns the token's expiry time.
func ExpiresAt(jwt string) (time.Time, error) {
	c, err := Decode(jwt)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(c.Expiry, 0), nil
}

// IsExpired reports whether the token has expired at now. A token that cannot
// be decoded counts as expired.
func IsExpired(jwt string, now time.Time) bool {
	exp, err := ExpiresAt(jwt)
	return err != nil || !now.Before(exp)
}

// ExpiresWithin reports whether the token expires (or has expired) within d
// of now. A token that cannot be decoded counts as expired.
func ExpiresWithin(jwt string, d time.Duration, now time.Time) bool {
	exp, err := ExpiresAt(jwt)
	return err != nil || !now.Add(d).Before(exp)
}

// State is a token's condition as the CLI reports it.
type State string

// The states of a token.
const (
	Valid       State = "valid"
	ExpiresSoon State = "expires_soon"
	Expired     State = "expired"
)

// StateOf classifies a token at now: expired, expiring within warn, or valid.
func StateOf(jwt string, warn time.Duration, now time.Time) State {
	switch {
	case IsExpired(jwt, now):
		return Expired
	case ExpiresWithin(jwt, warn, now):
		return ExpiresSoon
	}
	return Valid
}
