package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/token"
)

// CredentialsFile is the credentials file's name.
const CredentialsFile = "credentials.json"

// Credentials is credentials.json: the API token and where it is valid.
type Credentials struct {
	APIToken        string    `json:"api_token"`
	APIURL          string    `json:"api_url"`
	AuthenticatedAt Timestamp `json:"authenticated_at"`
	UserEmail       string    `json:"user_email,omitempty"`
}

// Validate checks the rules of the reference client: a non-empty token, an
// absolute URL, and an e-mail address when one is given.
func (c *Credentials) Validate() error {
	if strings.TrimSpace(c.APIToken) == "" {
		return errors.New("api_token is empty")
	}
	u, err := url.Parse(c.APIURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("api_url %q is not a URL", c.APIURL)
	}
	if c.UserEmail != "" {
		if a, err := mail.ParseAddress(c.UserEmail); err != nil || a.Address != c.UserEmail {
			return fmt.Errorf("user_email %q is not an e-mail address", c.UserEmail)
		}
	}
	return nil
}

// TokenState tells whether the token is valid, expires within an hour, or has expired.
func (c *Credentials) TokenState(now time.Time) token.State {
	return token.StateOf(c.APIToken, spcloud.TokenExpiryWarning, now)
}

// CheckToken returns an ErrTokenExpired error when the token has expired or
// cannot be read.
// The error's Detail says which: "has expired" or "is not a readable JWT".
func (c *Credentials) CheckToken(now time.Time) error {
	exp, err := token.ExpiresAt(c.APIToken)
	if err != nil {
		return spcloud.E(spcloud.ErrTokenExpired, "is not a readable JWT, so it counts as expired", nil)
	}
	if !now.Before(exp) {
		return spcloud.E(spcloud.ErrTokenExpired, "has expired", nil)
	}
	return nil
}

// ParseCredentials decodes and validates credentials.json content.
func ParseCredentials(b []byte) (*Credentials, error) {
	c, err := decodeCredentials(b)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadCredentialsUnvalidated reads path like LoadCredentials, but accepts a
// file that parses and fails only validation (a profile with validation
// "warn" or "skip"); that failure is returned as problem. A token is still
// required, since no call can be made without one.
func LoadCredentialsUnvalidated(path string) (c *Credentials, problem error, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, spcloud.E(spcloud.ErrNotAuthenticated, "no credentials at "+path, nil)
	}
	if err != nil {
		return nil, nil, spcloud.E(spcloud.ErrFileSystem, path, err)
	}
	c, err = decodeCredentials(b)
	if err == nil && strings.TrimSpace(c.APIToken) == "" {
		err = errors.New("api_token is empty")
	}
	if err != nil {
		return nil, nil, spcloud.E(spcloud.ErrCredentialsCorrupted, path, err)
	}
	return c, c.Validate(), nil
}

func decodeCredentials(b []byte) (*Credentials, error) {
	var c Credentials
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON object")
	}
	return &c, nil
}

// LoadCredentials reads path. A missing file is ErrNotAuthenticated; one that
// does not parse or validate is ErrCredentialsCorrupted naming the file. The
// token's expiry is not checked here (see CheckToken).
func LoadCredentials(path string) (*Credentials, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, spcloud.E(spcloud.ErrNotAuthenticated, "no credentials at "+path, nil)
	}
	if err != nil {
		return nil, spcloud.E(spcloud.ErrFileSystem, path, err)
	}
	c, err := ParseCredentials(b)
	if err != nil {
		return nil, spcloud.E(spcloud.ErrCredentialsCorrupted, path, err)
	}
	return c, nil
}

// SaveCredentials writes c to path (0600, atomically, under the lock). A
// broken file already at path is kept aside as "<name>.corrupt-<timestamp>"
// instead of being lost. It returns the path of that copy, or "".
func SaveCredentials(path string, c *Credentials) (aside string, err error) {
	if err := c.Validate(); err != nil {
		return "", fmt.Errorf("refusing to save invalid credentials: %w", err)
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", err
	}
	err = Update(path, func(current []byte) ([]byte, error) {
		if current != nil {
			if _, perr := ParseCredentials(current); perr != nil {
				a, serr := SetAside(path)
				if serr != nil {
					return nil, serr
				}
				aside = a
			}
		}
		return append(data, '\n'), nil
	})
	return aside, err
}

// RemoveCredentials deletes the credentials file; a missing one is fine.
func RemoveCredentials(path string) error {
	return Update(path, func(current []byte) ([]byte, error) {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, spcloud.E(spcloud.ErrFileSystem, path, err)
		}
		return nil, nil
	})
}
