package emulator

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// claims is the payload of the tokens the emulator signs.
type claims struct {
	Sub   string `json:"sub"`
	Email string `json:"email,omitempty"`
	Iss   string `json:"iss,omitempty"`
	Aud   string `json:"aud,omitempty"`
	Repo  string `json:"repo,omitempty"` // registry tokens only
	Tid   string `json:"tid,omitempty"`  // registry tokens only: the tenant
	Iat   int64  `json:"iat"`
	Exp   int64  `json:"exp"`
}

const (
	issuer        = "systemprompt-cloud-emulator"
	audienceAPI   = "api"
	audienceOCI   = "registry"
	jwtHeaderJSON = `{"alg":"HS256","typ":"JWT"}`
)

var b64 = base64.RawURLEncoding

// sign makes an HS256 JWT of c with the instance key.
func (s *Server) sign(c claims) (string, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	unsigned := b64.EncodeToString([]byte(jwtHeaderJSON)) + "." + b64.EncodeToString(payload)
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(unsigned))
	return unsigned + "." + b64.EncodeToString(mac.Sum(nil)), nil
}

// verify checks an HS256 JWT's signature, algorithm, audience and expiry.
func (s *Server) verify(token, audience string, now time.Time) (claims, error) {
	var c claims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, errors.New("the token is not a JWT")
	}
	hb, err := b64.DecodeString(parts[0])
	if err != nil {
		return c, errors.New("the token header is not base64url")
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(hb, &hdr) != nil || hdr.Alg != "HS256" {
		return c, errors.New("the token header is invalid or not HS256")
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return c, errors.New("the token signature is not base64url")
	}
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return c, errors.New("the token signature is invalid")
	}
	pb, err := b64.DecodeString(parts[1])
	if err != nil || json.Unmarshal(pb, &c) != nil {
		return claims{}, errors.New("the token payload is invalid")
	}
	if c.Aud != audience || c.Sub == "" {
		return claims{}, errors.New("the token is not meant for this service")
	}
	if c.Exp <= now.Unix() {
		return claims{}, errors.New("the token has expired")
	}
	return c, nil
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// randomToken returns an unguessable URL-safe string of 32 random bytes.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return b64.EncodeToString(b)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
