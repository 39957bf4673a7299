package cli

import (
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/store"
)

// Tenant output hides database passwords and sync tokens unless the person
// asks for them with --reveal: a list printed to a terminal or a CI log
// must not leak credentials.

func maskInfo(t api.TenantInfo) api.TenantInfo {
	t.DatabaseURL = api.RedactText(t.DatabaseURL)
	return t
}

func maskStored(t store.StoredTenant) store.StoredTenant {
	t.DatabaseURL = api.RedactText(t.DatabaseURL)
	t.InternalDatabaseURL = api.RedactText(t.InternalDatabaseURL)
	if t.SyncToken != "" {
		t.SyncToken = api.Redacted
	}
	return t
}

func maskInfos(ts []api.TenantInfo, show bool) []api.TenantInfo {
	out := make([]api.TenantInfo, len(ts))
	for i, t := range ts {
		if !show {
			t = maskInfo(t)
		}
		out[i] = t
	}
	return out
}

func maskStoreds(ts []store.StoredTenant, show bool) []store.StoredTenant {
	out := make([]store.StoredTenant, len(ts))
	for i, t := range ts {
		if !show {
			t = maskStored(t)
		}
		out[i] = t
	}
	return out
}
