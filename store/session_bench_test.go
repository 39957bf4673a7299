package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkUpdateSessions measures one locked read-modify-write of a store
// holding 400 sessions (parse, change, marshal, write, fsync, rename).
func BenchmarkUpdateSessions(b *testing.B) {
	path := filepath.Join(b.TempDir(), "index.json")
	now := time.Now()
	UpdateSessions(path, func(s *SessionStore) error {
		for i := 0; i < 400; i++ {
			k := TenantKey(fmt.Sprintf("t%03d", i))
			s.Upsert(k, NewSession(k, "p", "tok", "sid", "cid", now))
		}
		return nil
	})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := UpdateSessions(path, func(s *SessionStore) error { s.ActiveKey = fmt.Sprintf("tenant_t%03d", i%400); return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateTenants is the same for a tenants.json of 400 tenants.
func BenchmarkUpdateTenants(b *testing.B) {
	path := filepath.Join(b.TempDir(), "tenants.json")
	UpdateTenants(path, func(s *TenantStore) error {
		for i := 0; i < 400; i++ {
			s.Put(StoredTenant{ID: fmt.Sprintf("t%03d", i), Name: "n", TenantType: TenantCloud, Region: "iad"})
		}
		return nil
	})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := UpdateTenants(path, func(s *TenantStore) error { s.Tenants[0].Name = fmt.Sprint(i); return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSessionStore is the parse alone.
func BenchmarkParseSessionStore(b *testing.B) {
	now := time.Now()
	s := NewSessionStore(now)
	for i := 0; i < 400; i++ {
		k := TenantKey(fmt.Sprintf("t%03d", i))
		s.Upsert(k, NewSession(k, "p", "tok", "sid", "cid", now))
	}
	data, _ := MarshalSessionStore(s)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ParseSessionStore(data); err != nil {
			b.Fatal(err)
		}
	}
}
