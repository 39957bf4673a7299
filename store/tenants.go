package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
)

// TenantsFile is the tenants file's name.
const TenantsFile = "tenants.json"

// TenantType says where a tenant runs.
type TenantType string

// The tenant types.
const (
	TenantLocal TenantType = "local"
	TenantCloud TenantType = "cloud"
)

// StoredTenant is a tenant as tenants.json keeps it.
type StoredTenant struct {
	ID                  string     `json:"id"`
	Name                string     `json:"name"`
	AppID               string     `json:"app_id,omitempty"`
	Hostname            string     `json:"hostname,omitempty"`
	Region              string     `json:"region,omitempty"`
	DatabaseURL         string     `json:"database_url,omitempty"`
	InternalDatabaseURL string     `json:"internal_database_url,omitempty"`
	TenantType          TenantType `json:"tenant_type"`
	ExternalDBAccess    bool       `json:"external_db_access"`
	SyncToken           string     `json:"sync_token,omitempty"`
}

// UnmarshalJSON applies the defaults: tenant_type local.
func (t *StoredTenant) UnmarshalJSON(b []byte) error {
	type plain StoredTenant
	p := plain{TenantType: TenantLocal}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*t = StoredTenant(p)
	return nil
}

// Validate checks that id and name are set and the type is known.
func (t *StoredTenant) Validate() error {
	if strings.TrimSpace(t.ID) == "" {
		return errors.New("a tenant has an empty id")
	}
	if strings.TrimSpace(t.Name) == "" {
		return fmt.Errorf("tenant %s has an empty name", t.ID)
	}
	if t.TenantType != TenantLocal && t.TenantType != TenantCloud {
		return fmt.Errorf("tenant %s has tenant_type %q (want local or cloud)", t.ID, t.TenantType)
	}
	return nil
}

// IsCloud reports whether the tenant runs in the cloud.
func (t *StoredTenant) IsCloud() bool { return t.TenantType == TenantCloud }

// HasDatabaseURL reports whether the tenant knows its database: a cloud
// tenant by its internal URL, a local one by its URL.
func (t *StoredTenant) HasDatabaseURL() bool {
	if t.IsCloud() {
		return t.InternalDatabaseURL != ""
	}
	return t.DatabaseURL != ""
}

// TenantFromInfo makes a cloud tenant from the API's TenantInfo: the info's
// database_url becomes internal_database_url, and database_url stays empty.
func TenantFromInfo(info api.TenantInfo) StoredTenant {
	return StoredTenant{
		ID:                  info.ID,
		Name:                info.Name,
		AppID:               api.Str(info.AppID),
		Hostname:            api.Str(info.Hostname),
		Region:              api.Str(info.Region),
		InternalDatabaseURL: info.DatabaseURL,
		TenantType:          TenantCloud,
		ExternalDBAccess:    info.ExternalDBAccess,
	}
}

// TenantStore is tenants.json.
type TenantStore struct {
	Tenants  []StoredTenant `json:"tenants"`
	SyncedAt Timestamp      `json:"synced_at"`
}

// Validate checks every tenant and that ids are unique.
func (s *TenantStore) Validate() error {
	seen := map[string]bool{}
	for i := range s.Tenants {
		if err := s.Tenants[i].Validate(); err != nil {
			return err
		}
		if seen[s.Tenants[i].ID] {
			return fmt.Errorf("tenant %s appears twice", s.Tenants[i].ID)
		}
		seen[s.Tenants[i].ID] = true
	}
	return nil
}

// Find returns the tenant with id, or nil.
func (s *TenantStore) Find(id string) *StoredTenant {
	for i := range s.Tenants {
		if s.Tenants[i].ID == id {
			return &s.Tenants[i]
		}
	}
	return nil
}

// Put adds t, or replaces the tenant with its id.
func (s *TenantStore) Put(t StoredTenant) {
	if old := s.Find(t.ID); old != nil {
		*old = t
		return
	}
	s.Tenants = append(s.Tenants, t)
}

// Remove deletes the tenant with id and reports whether it was there.
func (s *TenantStore) Remove(id string) bool {
	for i := range s.Tenants {
		if s.Tenants[i].ID == id {
			s.Tenants = append(s.Tenants[:i], s.Tenants[i+1:]...)
			return true
		}
	}
	return false
}

// IsStale reports whether the store was synced longer than maxAge ago.
func (s *TenantStore) IsStale(maxAge time.Duration, now time.Time) bool {
	return now.Sub(s.SyncedAt.Time) > maxAge
}

// Sync replaces the cloud tenants with the API's list, keeping local tenants
// and what only the file knows of a cloud tenant (its sync token and external
// database URL), and stamps synced_at.
func (s *TenantStore) Sync(infos []api.TenantInfo, now time.Time) {
	var next []StoredTenant
	for _, t := range s.Tenants {
		if !t.IsCloud() {
			next = append(next, t)
		}
	}
	for _, info := range infos {
		t := TenantFromInfo(info)
		if old := s.Find(info.ID); old != nil && old.IsCloud() {
			t.SyncToken = old.SyncToken
			if t.ExternalDBAccess {
				t.DatabaseURL = old.DatabaseURL
			}
		}
		next = append(next, t)
	}
	if next == nil {
		next = []StoredTenant{}
	}
	s.Tenants = next
	s.SyncedAt = At(now)
}

// ParseTenants decodes and validates tenants.json content.
func ParseTenants(b []byte) (*TenantStore, error) {
	var s TenantStore
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON object")
	}
	if s.Tenants == nil {
		return nil, errors.New(`"tenants" is missing`)
	}
	if s.SyncedAt.IsZero() {
		return nil, errors.New(`"synced_at" is missing`)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// LoadTenants reads path. A missing file is ErrTenantsNotSynced; one that
// does not parse or validate is ErrTenantsCorrupted naming the file.
func LoadTenants(path string) (*TenantStore, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, spcloud.E(spcloud.ErrTenantsNotSynced, "no tenants file at "+path, nil)
	}
	if err != nil {
		return nil, spcloud.E(spcloud.ErrFileSystem, path, err)
	}
	s, err := ParseTenants(b)
	if err != nil {
		return nil, spcloud.E(spcloud.ErrTenantsCorrupted, path, err)
	}
	return s, nil
}

// MarshalTenants encodes the store as the reference client writes it.
func MarshalTenants(s *TenantStore) ([]byte, error) {
	if s.Tenants == nil {
		s.Tenants = []StoredTenant{}
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("refusing to save invalid tenants: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	return append(b, '\n'), err
}

// UpdateTenants changes tenants.json under the lock: it reads the current
// store (empty when missing), calls change, and writes the result. A broken
// file is kept aside as "<name>.corrupt-<timestamp>" (its path is returned)
// and change starts from an empty store. When change returns an error nothing
// is written.
func UpdateTenants(path string, change func(*TenantStore) error) (aside string, err error) {
	err = Update(path, func(current []byte) ([]byte, error) {
		s := &TenantStore{Tenants: []StoredTenant{}, SyncedAt: Now()}
		if current != nil {
			parsed, perr := ParseTenants(current)
			if perr != nil {
				a, serr := SetAside(path)
				if serr != nil {
					return nil, serr
				}
				aside = a
			} else {
				s = parsed
			}
		}
		if err := change(s); err != nil {
			return nil, err
		}
		return MarshalTenants(s)
	})
	return aside, err
}
