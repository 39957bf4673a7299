package loopback

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
)

// SecretBytes is the number of random bytes in the callback path's secret.
const SecretBytes = 32

// newSecret returns SecretBytes random bytes, base64url without padding.
func newSecret() (string, error) {
	b := make([]byte, SecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// sameSecret compares two secrets in constant time.
func sameSecret(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
