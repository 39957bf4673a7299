package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/spcloud/spcloud/api"
)

func TestDomain(t *testing.T) {
	te, id := withTenant(t)
	host := te.state(id).Hostname

	out, _ := te.mustRun("domain", "set", "App.Example.com")
	if got := te.state(id).CustomDomain; got != "app.example.com" {
		t.Fatalf("emulator domain = %q", got)
	}
	for _, want := range []string{"app.example.com", "CNAME", "app", host, "300", "Create this DNS record"} {
		if !strings.Contains(out, want) {
			t.Errorf("set output lacks %q:\n%s", want, out)
		}
	}
	out, _ = te.mustRun("domain", "show", "--json")
	var d api.CustomDomainResponse
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.Domain != "app.example.com" || d.DNSInstructions.Value != host || d.DNSInstructions.RecordType != "CNAME" || d.Verified {
		t.Fatalf("show --json: %v %s", err, out)
	}
	out, _ = te.mustRun("domain", "show")
	if !strings.Contains(out, "CNAME") || !strings.Contains(out, host) {
		t.Errorf("show: %s", out)
	}

	if code, _, stderr := te.run("domain", "set", "https://app.example.com/"); code != ExitError || !strings.Contains(stderr, "not a URL") {
		t.Errorf("set URL: exit %d: %s", code, stderr)
	}
	if code, _, stderr := te.run("domain", "delete"); code != ExitError || !strings.Contains(stderr, "--yes") {
		t.Errorf("delete without --yes: exit %d: %s", code, stderr)
	}
	if te.state(id).CustomDomain == "" {
		t.Fatal("a refused delete removed the domain")
	}
	te.mustRun("domain", "delete", "--yes")
	if got := te.state(id).CustomDomain; got != "" {
		t.Fatalf("after delete: %q", got)
	}
	code, _, stderr := te.run("domain", "show")
	if code != ExitError || !strings.Contains(stderr, "has no custom domain") || strings.Contains(stderr, "Hint: Try again") {
		t.Errorf("show without a domain: exit %d: %s", code, stderr)
	}
	if code, _, stderr := te.run("domain", "delete", "--yes"); code != ExitError || !strings.Contains(stderr, "has no custom domain") {
		t.Errorf("delete without a domain: exit %d: %s", code, stderr)
	}
}
