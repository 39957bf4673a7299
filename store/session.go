package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spcloud/spcloud"
)

// Session file names: the legacy single session and the session store.
const (
	LegacySessionFile = "session.json"
	SessionsDir       = "sessions"
	SessionsIndexFile = "index.json"
)

// Versions of the session formats.
const (
	// SessionVersion is the CliSession version spcloud writes. Versions 3
	// and 4 are read (as 4); any other is refused.
	SessionVersion = 4
	// SessionStoreVersion is the version of sessions/index.json.
	SessionStoreVersion = 1
)

// SessionLifetime is how long a new session lasts: expires_at = created_at + 24 h.
const SessionLifetime = 24 * time.Hour

// Defaults of a CliSession's user fields.
const (
	DefaultSessionUserID    = "system"
	DefaultSessionUserEmail = "system@local.invalid"
)

// UserType is the kind of user a session belongs to, written in lowercase.
type UserType string

// The user types; admin is the default.
const (
	UserAdmin   UserType = "admin"
	UserUser    UserType = "user"
	UserA2A     UserType = "a2a"
	UserMCP     UserType = "mcp"
	UserService UserType = "service"
	UserAnon    UserType = "anon"
	UserUnknown UserType = "unknown"
)

// Valid reports whether t is one of the known user types.
func (t UserType) Valid() bool {
	switch t {
	case UserAdmin, UserUser, UserA2A, UserMCP, UserService, UserAnon, UserUnknown:
		return true
	}
	return false
}

// ErrSessionsCorrupted marks a session file that does not parse (other than
// an unsupported version, which is spcloud.ErrSessionVersion). Test for it
// with errors.Is; the error's text names the file.
var ErrSessionsCorrupted = spcloud.ErrSessionsCorrupted

// ---------------------------------------------------------------------------
// Session keys

// SessionKey names a session in the store: the local key, or a tenant's.
// The zero value is the local key.
type SessionKey struct {
	tenant string
}

// LocalKey is the key of the local session.
func LocalKey() SessionKey { return SessionKey{} }

// TenantKey is the key of tenant id's session. An empty id is the local key.
func TenantKey(id string) SessionKey { return SessionKey{tenant: id} }

// KeyForTenant maps a session's tenant_key field to its key: absent ("")
// or "local" is the local key, anything else the tenant's.
func KeyForTenant(tenantKey string) SessionKey {
	if tenantKey == "" || tenantKey == "local" {
		return LocalKey()
	}
	return TenantKey(tenantKey)
}

// IsLocal reports whether k is the local key.
func (k SessionKey) IsLocal() bool { return k.tenant == "" }

// TenantID is the tenant of a tenant key, "" for the local key.
func (k SessionKey) TenantID() string { return k.tenant }

// StorageKey is the key as sessions/index.json stores it: "local" or
// "tenant_<id>".
func (k SessionKey) StorageKey() string {
	if k.IsLocal() {
		return "local"
	}
	return "tenant_" + k.tenant
}

// String is the key as shown to people: "local" or "tenant:<id>".
func (k SessionKey) String() string {
	if k.IsLocal() {
		return "local"
	}
	return "tenant:" + k.tenant
}

// ParseSessionKey reads a key in its display form ("local", "tenant:<id>")
// or its storage form ("tenant_<id>").
func ParseSessionKey(s string) (SessionKey, error) {
	switch {
	case s == "local":
		return LocalKey(), nil
	case strings.HasPrefix(s, "tenant:") && len(s) > len("tenant:"):
		return TenantKey(s[len("tenant:"):]), nil
	case strings.HasPrefix(s, "tenant_") && len(s) > len("tenant_"):
		return TenantKey(s[len("tenant_"):]), nil
	}
	return SessionKey{}, fmt.Errorf("%q is not a session key (want local, tenant:<id> or tenant_<id>)", s)
}

type sessionKeyJSON struct {
	Type  string  `json:"type"`
	Value *string `json:"value,omitempty"`
}

// MarshalJSON writes {"type":"Local"} or {"type":"Tenant","value":"<id>"}.
func (k SessionKey) MarshalJSON() ([]byte, error) {
	if k.IsLocal() {
		return json.Marshal(sessionKeyJSON{Type: "Local"})
	}
	id := k.tenant
	return json.Marshal(sessionKeyJSON{Type: "Tenant", Value: &id})
}

// UnmarshalJSON reads {"type":"Local"} or {"type":"Tenant","value":"<id>"}.
func (k *SessionKey) UnmarshalJSON(b []byte) error {
	var j sessionKeyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	switch j.Type {
	case "Local":
		*k = LocalKey()
	case "Tenant":
		if j.Value == nil || *j.Value == "" {
			return errors.New(`session key of type "Tenant" has no value`)
		}
		*k = TenantKey(*j.Value)
	default:
		return fmt.Errorf("session key type %q (want Local or Tenant)", j.Type)
	}
	return nil
}

// ---------------------------------------------------------------------------
// CliSession

// CliSession is one CLI session, as the reference client writes it (the
// legacy session.json, and each entry of sessions/index.json).
type CliSession struct {
	Version int `json:"version"`
	// TenantKey is a tenant id, or "local"; absent ("") means local.
	TenantKey    string    `json:"tenant_key,omitempty"`
	ProfileName  string    `json:"profile_name"`
	ProfilePath  string    `json:"profile_path,omitempty"`
	SessionToken string    `json:"session_token"`
	SessionID    string    `json:"session_id"`
	ContextID    string    `json:"context_id"`
	UserID       string    `json:"user_id"`
	UserEmail    string    `json:"user_email"`
	UserType     UserType  `json:"user_type"`
	CreatedAt    Timestamp `json:"created_at"`
	ExpiresAt    Timestamp `json:"expires_at"`
	LastUsed     Timestamp `json:"last_used"`
}

// NewSession returns a current-version session for key, created at now and
// expiring SessionLifetime later, with the default user fields.
func NewSession(key SessionKey, profileName, sessionToken, sessionID, contextID string, now time.Time) CliSession {
	tk := "local"
	if !key.IsLocal() {
		tk = key.TenantID()
	}
	return CliSession{
		Version:      SessionVersion,
		TenantKey:    tk,
		ProfileName:  profileName,
		SessionToken: sessionToken,
		SessionID:    sessionID,
		ContextID:    contextID,
		UserID:       DefaultSessionUserID,
		UserEmail:    DefaultSessionUserEmail,
		UserType:     UserAdmin,
		CreatedAt:    At(now),
		ExpiresAt:    At(now.Add(SessionLifetime)),
		LastUsed:     At(now),
	}
}

// Key is the store key the session belongs under (from its tenant_key).
func (s *CliSession) Key() SessionKey { return KeyForTenant(s.TenantKey) }

// IsExpired reports whether the session has expired at now.
func (s *CliSession) IsExpired(now time.Time) bool { return !now.Before(s.ExpiresAt.Time) }

// IsValidFor reports whether the session may be used for key at now: it has
// not expired, its token is non-empty, and its tenant_key matches key
// (absent or "local" matches the local key).
func (s *CliSession) IsValidFor(key SessionKey, now time.Time) bool {
	return !s.IsExpired(now) && s.SessionToken != "" && s.Key() == key
}

// Touch records a use of the session at now.
func (s *CliSession) Touch(now time.Time) { s.LastUsed = At(now) }

// sessionVersionError builds the error for an unsupported version; detail
// names the file (or is empty when parsing bytes).
func sessionVersionError(detail string, cause error) error {
	return spcloud.E(spcloud.ErrSessionVersion, detail, cause)
}

// sessionWire is a CliSession as decoded: pointers tell absent fields, and
// the version stays raw so that any version is read (and reported) as such.
type sessionWire struct {
	Version      json.RawMessage `json:"version"`
	TenantKey    *string         `json:"tenant_key"`
	ProfileName  *string         `json:"profile_name"`
	ProfilePath  *string         `json:"profile_path"`
	SessionToken *string         `json:"session_token"`
	SessionID    *string         `json:"session_id"`
	ContextID    *string         `json:"context_id"`
	UserID       *string         `json:"user_id"`
	UserEmail    *string         `json:"user_email"`
	UserType     *UserType       `json:"user_type"`
	// Timestamps are read as text and parsed by session (cheaper than
	// Timestamp's own UnmarshalJSON, which matters in a big store).
	CreatedAt *string `json:"created_at"`
	ExpiresAt *string `json:"expires_at"`
	LastUsed  *string `json:"last_used"`
}

// versionWire is just a document's version, for telling a format of another
// version from a broken one.
type versionWire struct {
	Version json.RawMessage `json:"version"`
}

// checkSessionVersion accepts versions 3 and 4; anything else is an error of
// kind spcloud.ErrSessionVersion.
func checkSessionVersion(v json.RawMessage) error {
	if len(v) == 0 || string(v) == "null" {
		return sessionVersionError("", errors.New("the session has no version (spcloud reads versions 3 and 4)"))
	}
	var version int
	if err := json.Unmarshal(v, &version); err != nil {
		return sessionVersionError("", fmt.Errorf("the session's version is %s (spcloud reads versions 3 and 4)", v))
	}
	if version != 3 && version != 4 {
		return sessionVersionError("", fmt.Errorf("the session has version %d (spcloud reads versions 3 and 4)", version))
	}
	return nil
}

// session checks the version and the required fields and applies the
// defaults (user_id, user_email, user_type). The result is version 4.
func (w *sessionWire) session() (CliSession, error) {
	if err := checkSessionVersion(w.Version); err != nil {
		return CliSession{}, err
	}
	var missing []string
	str := func(name string, p *string, dst *string) {
		if p == nil {
			missing = append(missing, name)
			return
		}
		*dst = *p
	}
	var bad error
	ts := func(name string, p *string, dst *Timestamp) {
		if p == nil {
			missing = append(missing, name)
			return
		}
		t, err := time.Parse(time.RFC3339Nano, *p)
		if err != nil && bad == nil {
			bad = fmt.Errorf("%s: %w", name, err)
		}
		*dst = Timestamp{Time: t.UTC(), raw: *p}
	}
	out := CliSession{Version: SessionVersion, UserID: DefaultSessionUserID, UserEmail: DefaultSessionUserEmail, UserType: UserAdmin}
	str("profile_name", w.ProfileName, &out.ProfileName)
	str("session_token", w.SessionToken, &out.SessionToken)
	str("session_id", w.SessionID, &out.SessionID)
	str("context_id", w.ContextID, &out.ContextID)
	ts("created_at", w.CreatedAt, &out.CreatedAt)
	ts("expires_at", w.ExpiresAt, &out.ExpiresAt)
	ts("last_used", w.LastUsed, &out.LastUsed)
	if len(missing) > 0 {
		return CliSession{}, fmt.Errorf("the session lacks %s", strings.Join(missing, ", "))
	}
	if bad != nil {
		return CliSession{}, bad
	}
	if w.TenantKey != nil {
		out.TenantKey = *w.TenantKey
	}
	if w.ProfilePath != nil {
		out.ProfilePath = *w.ProfilePath
	}
	if w.UserID != nil {
		out.UserID = *w.UserID
	}
	if w.UserEmail != nil {
		out.UserEmail = *w.UserEmail
	}
	if w.UserType != nil {
		if !w.UserType.Valid() {
			return CliSession{}, fmt.Errorf("the session has user_type %q (want admin, user, a2a, mcp, service, anon or unknown)", *w.UserType)
		}
		out.UserType = *w.UserType
	}
	return out, nil
}

// UnmarshalJSON reads a session: version 3 or 4 (read as 4; another version
// is an error of kind spcloud.ErrSessionVersion, even when other fields do
// not decode), required fields present, and the defaults applied.
func (s *CliSession) UnmarshalJSON(b []byte) error {
	var w sessionWire
	if err := json.Unmarshal(b, &w); err != nil {
		var v versionWire
		if json.Unmarshal(b, &v) == nil {
			if verr := checkSessionVersion(v.Version); verr != nil {
				return verr
			}
		}
		return err
	}
	out, err := w.session()
	if err != nil {
		return err
	}
	*s = out
	return nil
}

// decodeStrict decodes one JSON value from b into v; data after the value
// is refused.
func decodeStrict(b []byte, v any) error { return json.Unmarshal(b, v) }

// ParseSession decodes one CliSession (the legacy session.json). An
// unsupported version is an error of kind spcloud.ErrSessionVersion.
func ParseSession(b []byte) (*CliSession, error) {
	var s CliSession
	if err := decodeStrict(b, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// fileError wraps a parse error of the session file at path: an
// unsupported version keeps its kind and names the file to delete; anything
// else is ErrSessionsCorrupted naming the file.
func fileError(path string, err error) error {
	var se *spcloud.Error
	if errors.As(err, &se) && se.Kind == spcloud.ErrSessionVersion {
		return sessionVersionError(path+" (delete this file; spcloud will create a new one)", se.Err)
	}
	return spcloud.E(spcloud.ErrSessionsCorrupted, path, err)
}

// LoadSession reads a single-session file (the legacy session.json). A
// missing file is an error satisfying errors.Is(err, fs.ErrNotExist).
func LoadSession(path string) (*CliSession, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, spcloud.E(spcloud.ErrFileSystem, path, err)
	}
	s, err := ParseSession(b)
	if err != nil {
		return nil, fileError(path, err)
	}
	return s, nil
}

// ---------------------------------------------------------------------------
// SessionStore

// SessionStore is sessions/index.json: the sessions by storage key, the
// active one, and when it last changed.
type SessionStore struct {
	Version int
	// Sessions maps storage keys ("local", "tenant_<id>") to sessions.
	Sessions map[string]CliSession
	// ActiveKey is the active session's storage key, "" for none (null in
	// the file).
	ActiveKey string
	UpdatedAt Timestamp
}

// KeyedSession is a session with its key.
type KeyedSession struct {
	Key     SessionKey `json:"key"`
	Session CliSession `json:"session"`
}

// NewSessionStore returns an empty store stamped now.
func NewSessionStore(now time.Time) *SessionStore {
	return &SessionStore{Version: SessionStoreVersion, Sessions: map[string]CliSession{}, UpdatedAt: At(now)}
}

type sessionStoreJSON struct {
	Version   int                   `json:"version"`
	Sessions  map[string]CliSession `json:"sessions"`
	ActiveKey *string               `json:"active_key"`
	UpdatedAt Timestamp             `json:"updated_at"`
}

// MarshalJSON writes the store in the reference client's shape.
func (s SessionStore) MarshalJSON() ([]byte, error) {
	j := sessionStoreJSON{Version: s.Version, Sessions: s.Sessions, UpdatedAt: s.UpdatedAt}
	if j.Sessions == nil {
		j.Sessions = map[string]CliSession{}
	}
	if s.ActiveKey != "" {
		k := s.ActiveKey
		j.ActiveKey = &k
	}
	return json.Marshal(j)
}

// Get returns the session stored under key.
func (s *SessionStore) Get(key SessionKey) (CliSession, bool) {
	v, ok := s.Sessions[key.StorageKey()]
	return v, ok
}

// Upsert stores sess under key, replacing any session there.
func (s *SessionStore) Upsert(key SessionKey, sess CliSession) {
	if s.Sessions == nil {
		s.Sessions = map[string]CliSession{}
	}
	s.Sessions[key.StorageKey()] = sess
}

// Remove deletes the session under key and reports whether it was there.
// Removing the active session clears the active key.
func (s *SessionStore) Remove(key SessionKey) bool {
	sk := key.StorageKey()
	_, ok := s.Sessions[sk]
	delete(s.Sessions, sk)
	if s.ActiveKey == sk {
		s.ActiveKey = ""
	}
	return ok
}

// SetActive makes the session under key the active one. It fails, listing
// the known keys, when there is no such session.
func (s *SessionStore) SetActive(key SessionKey) error {
	sk := key.StorageKey()
	if _, ok := s.Sessions[sk]; !ok {
		var known []string
		for _, ks := range s.List() {
			known = append(known, ks.Key.String())
		}
		if len(known) == 0 {
			return fmt.Errorf("no session %s: there are no sessions", key)
		}
		return fmt.Errorf("no session %s; the sessions are: %s", key, strings.Join(known, ", "))
	}
	s.ActiveKey = sk
	return nil
}

// ClearActive leaves the store with no active session.
func (s *SessionStore) ClearActive() { s.ActiveKey = "" }

// Active returns the active session and its key; ok is false when there is
// none (or the active key names no stored session).
func (s *SessionStore) Active() (key SessionKey, sess CliSession, ok bool) {
	if s.ActiveKey == "" {
		return SessionKey{}, CliSession{}, false
	}
	k, err := ParseSessionKey(s.ActiveKey)
	if err != nil {
		return SessionKey{}, CliSession{}, false
	}
	sess, ok = s.Sessions[s.ActiveKey]
	return k, sess, ok
}

// IsActive reports whether key is the active key.
func (s *SessionStore) IsActive(key SessionKey) bool {
	return s.ActiveKey != "" && s.ActiveKey == key.StorageKey()
}

// List returns the sessions sorted by key (local first, then tenants by id).
func (s *SessionStore) List() []KeyedSession {
	out := make([]KeyedSession, 0, len(s.Sessions))
	for sk, sess := range s.Sessions {
		k, err := ParseSessionKey(sk)
		if err != nil {
			continue // ParseSessionStore refuses such keys
		}
		out = append(out, KeyedSession{Key: k, Session: sess})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Key, out[j].Key
		if a.IsLocal() != b.IsLocal() {
			return a.IsLocal()
		}
		return a.tenant < b.tenant
	})
	return out
}

// Prune removes the sessions expired at now and returns them, sorted by
// key. Pruning the active session clears the active key.
func (s *SessionStore) Prune(now time.Time) []KeyedSession {
	var removed []KeyedSession
	for _, ks := range s.List() {
		if ks.Session.IsExpired(now) {
			s.Remove(ks.Key)
			removed = append(removed, ks)
		}
	}
	return removed
}

// ParseSessionStore decodes sessions/index.json content. A store version
// other than 1, or a session of an unsupported version, is an error of
// kind spcloud.ErrSessionVersion.
func ParseSessionStore(b []byte) (*SessionStore, error) {
	var raw struct {
		Version   json.RawMessage        `json:"version"`
		Sessions  map[string]sessionWire `json:"sessions"`
		ActiveKey *string                `json:"active_key"`
		UpdatedAt *Timestamp             `json:"updated_at"`
	}
	if err := decodeStrict(b, &raw); err != nil {
		// A document of another version may differ in shape: say so
		// rather than report the first field that does not decode.
		if verr := storeVersionOf(b); verr != nil {
			return nil, verr
		}
		return nil, err
	}
	if err := checkStoreVersion(raw.Version); err != nil {
		return nil, err
	}
	if raw.Sessions == nil {
		return nil, errors.New(`"sessions" is missing`)
	}
	if raw.UpdatedAt == nil {
		return nil, errors.New(`"updated_at" is missing`)
	}
	s := &SessionStore{Version: SessionStoreVersion, Sessions: make(map[string]CliSession, len(raw.Sessions)), UpdatedAt: *raw.UpdatedAt}
	for sk, w := range raw.Sessions {
		if _, err := ParseSessionKey(sk); err != nil || strings.HasPrefix(sk, "tenant:") {
			return nil, fmt.Errorf("session key %q is not a storage key (want local or tenant_<id>)", sk)
		}
		sess, err := w.session()
		if err != nil {
			var se *spcloud.Error
			if errors.As(err, &se) {
				return nil, sessionVersionError("", fmt.Errorf("session %q: %w", sk, se.Err))
			}
			return nil, fmt.Errorf("session %q: %w", sk, err)
		}
		s.Sessions[sk] = sess
	}
	if raw.ActiveKey != nil {
		s.ActiveKey = *raw.ActiveKey
	}
	return s, nil
}

func checkStoreVersion(v json.RawMessage) error {
	if len(v) == 0 || string(v) == "null" {
		return errors.New(`"version" is missing`)
	}
	var version int
	if err := json.Unmarshal(v, &version); err != nil || version != SessionStoreVersion {
		return sessionVersionError("", fmt.Errorf("the session store has version %s (spcloud reads version %d)", v, SessionStoreVersion))
	}
	return nil
}

// storeVersionOf reports an unsupported version of the store or of one of
// its sessions in b, or nil.
func storeVersionOf(b []byte) error {
	var raw struct {
		Version  json.RawMessage        `json:"version"`
		Sessions map[string]versionWire `json:"sessions"`
	}
	if json.Unmarshal(b, &raw) != nil {
		return nil
	}
	if len(raw.Version) > 0 && string(raw.Version) != "null" {
		if err := checkStoreVersion(raw.Version); err != nil {
			return err
		}
	}
	for sk, w := range raw.Sessions {
		if err := checkSessionVersion(w.Version); err != nil {
			var se *spcloud.Error
			errors.As(err, &se)
			return sessionVersionError("", fmt.Errorf("session %q: %w", sk, se.Err))
		}
	}
	return nil
}

// MarshalSessionStore encodes the store as the reference client writes it:
// indented JSON with a final newline.
func MarshalSessionStore(s *SessionStore) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// LoadSessions reads sessions/index.json. A missing file is an empty store
// (and no error). A file that does not parse is an error naming it: of kind
// spcloud.ErrSessionVersion for an unsupported version, else
// ErrSessionsCorrupted. Reading never changes the file.
func LoadSessions(path string) (*SessionStore, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return NewSessionStore(time.Now()), nil
	}
	if err != nil {
		return nil, spcloud.E(spcloud.ErrFileSystem, path, err)
	}
	s, err := ParseSessionStore(b)
	if err != nil {
		return nil, fileError(path, err)
	}
	return s, nil
}

// UpdateSessions changes sessions/index.json under the lock: it reads the
// current store (empty when missing), calls change, and writes the result
// atomically (0600, folder 0700 with a ".gitignore"). When change leaves the
// store as it was, nothing is written; when it changes the store without
// setting UpdatedAt, UpdatedAt is stamped now. A file that does not parse is
// never overwritten: the error names it (see LoadSessions). When change
// returns an error nothing is written.
func UpdateSessions(path string, change func(*SessionStore) error) error {
	return Update(path, func(current []byte) ([]byte, error) {
		var s *SessionStore
		if current == nil {
			s = NewSessionStore(time.Now())
		} else {
			parsed, err := ParseSessionStore(current)
			if err != nil {
				return nil, fileError(path, err)
			}
			s = parsed
		}
		before := s.clone()
		if err := change(s); err != nil {
			return nil, err
		}
		s.Version = SessionStoreVersion
		if s.equal(before) {
			return nil, nil
		}
		if s.UpdatedAt == before.UpdatedAt {
			s.UpdatedAt = Now()
		}
		return MarshalSessionStore(s)
	})
}

// clone copies the store (sessions hold only values, so this is deep).
func (s *SessionStore) clone() *SessionStore {
	c := *s
	c.Sessions = make(map[string]CliSession, len(s.Sessions))
	for k, v := range s.Sessions {
		c.Sessions[k] = v
	}
	return &c
}

// equal reports whether s and o hold the same content.
func (s *SessionStore) equal(o *SessionStore) bool {
	if s.Version != o.Version || s.ActiveKey != o.ActiveKey || s.UpdatedAt != o.UpdatedAt || len(s.Sessions) != len(o.Sessions) {
		return false
	}
	for k, v := range s.Sessions {
		if w, ok := o.Sessions[k]; !ok || v != w {
			return false
		}
	}
	return true
}

// MigrateLegacySession moves the legacy single-session file into the store
// at indexPath: the session goes under its key (tenant_key → tenant_<id>,
// else local) unless the store already holds a session there that was used
// more recently, it becomes active when none is, the store is written
// (atomically, under the lock), and only then is the legacy file removed.
// It returns the key migrated and whether there was anything to migrate.
// A legacy file that does not parse is left in place and reported.
func MigrateLegacySession(legacyPath, indexPath string) (key SessionKey, migrated bool, err error) {
	// A legacy file that cannot be migrated is reported before the store's
	// folder, lock and .gitignore are made for nothing.
	if _, err := LoadSession(legacyPath); errors.Is(err, fs.ErrNotExist) {
		return SessionKey{}, false, nil
	} else if err != nil {
		return SessionKey{}, false, err
	}
	err = UpdateSessions(indexPath, func(s *SessionStore) error {
		// Read under the store's lock, so that concurrent migrations see
		// one another's result.
		legacy, err := LoadSession(legacyPath)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // another process migrated it meanwhile
		}
		if err != nil {
			return err
		}
		key = legacy.Key()
		if old, ok := s.Get(key); !ok || !old.LastUsed.After(legacy.LastUsed.Time) {
			s.Upsert(key, *legacy)
		}
		if s.ActiveKey == "" {
			s.ActiveKey = key.StorageKey()
		}
		migrated = true
		return nil
	})
	if err != nil || !migrated {
		return key, false, err
	}
	if err := os.Remove(legacyPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return key, true, spcloud.E(spcloud.ErrFileSystem, legacyPath, err)
	}
	syncDir(filepath.Dir(legacyPath))
	return key, true, nil
}
