package emulator

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spcloud/spcloud/api"
)

// The golden files of the contract, shared with the client's tests.
const fixtures = "../../shared/spec/fixtures/api"

func loadFixture(t *testing.T, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return v
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// sameShape checks that got has every key of want (recursively) with the
// same JSON kind. Keys in optional may be absent; a null in the fixture
// accepts anything. Arrays compare each element of got with want's first.
func sameShape(t *testing.T, where string, want, got any, optional map[string]bool) {
	t.Helper()
	if want == nil {
		return
	}
	if kind(want) != kind(got) {
		t.Errorf("%s: kind %s, fixture has %s", where, kind(got), kind(want))
		return
	}
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				if !optional[k] && w[k] != nil {
					t.Errorf("%s: missing key %q", where, k)
				}
				continue
			}
			sameShape(t, where+"."+k, w[k], gv, optional)
		}
	case []any:
		g := got.([]any)
		if len(w) == 0 {
			return
		}
		if len(g) == 0 {
			t.Errorf("%s: empty array, fixture has elements", where)
		}
		for i, gv := range g {
			sameShape(t, fmt.Sprintf("%s[%d]", where, i), w[0], gv, optional)
		}
	}
}

func checkFixture(t *testing.T, name string, r reply, optional ...string) {
	t.Helper()
	var got any
	r.json(t, &got)
	opt := map[string]bool{}
	for _, o := range optional {
		opt[o] = true
	}
	sameShape(t, name, loadFixture(t, name), got, opt)
}

// TestContractShapes checks each answer of the emulator against the golden
// file of the same call.
func TestContractShapes(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token(DemoUserEmail)

	checkFixture(t, "oauth_start.json",
		e.must(200, "GET", "/api/v1/auth/oauth/google?redirect_uri="+url.QueryEscape("http://127.0.0.1:8765/callback"), "", nil))
	checkFixture(t, "plans.json", e.must(200, "GET", "/api/v1/checkout/plans", tok, nil), "max_tenants")
	co := e.checkout(tok, "pri_01pro", "fra", "http://127.0.0.1:8766/callback")
	b, _ := json.Marshal(co)
	checkFixture(t, "checkout_response.json", reply{status: 200, body: b})

	// The request body of the fixture is accepted as is.
	req, _ := os.ReadFile(filepath.Join(fixtures, "checkout_request.json"))
	e.must(200, "POST", "/api/v1/checkout", tok, string(req))

	// A tenant stuck at its first event is "provisioning".
	slow := newEnv(t, Options{StepDelay: 1 << 40})
	stok := slow.token(DemoUserEmail)
	sid, _ := slow.newTenant(stok)
	checkFixture(t, "tenant_status_provisioning.json", slow.must(200, "GET", "/api/v1/tenants/"+sid+"/status", stok, nil))

	id, _ := e.newTenant(tok)
	st := e.waitStatus(tok, id, "ready")
	checkFixture(t, "tenant_status_ready.json", e.must(200, "GET", "/api/v1/tenants/"+id+"/status", tok, nil))
	checkFixture(t, "tenant_secrets.json", e.must(200, "GET", *st.SecretsURL, tok, nil))
	checkFixture(t, "auth_me.json", e.must(200, "GET", "/api/v1/auth/me", tok, nil), "some_future_field")
	checkFixture(t, "tenants_list.json", e.must(200, "GET", "/api/v1/tenants", tok, nil))
	checkFixture(t, "error_envelope.json", e.must(404, "GET", "/api/v1/tenants/nope/status", tok, nil))

	// Phase 2.
	tp := "/api/v1/tenants/" + id
	checkFixture(t, "registry_token.json", e.must(200, "GET", tp+"/registry-token", tok, nil))
	checkFixture(t, "deploy_response.json", e.must(200, "POST", tp+"/deploy", tok, api.DeployRequest{Image: "registry/app:1"}))
	checkFixture(t, "status_response.json", e.must(200, "POST", tp+"/restart", tok, nil))
	e.must(204, "PUT", tp+"/secrets", tok, api.SetSecretsRequest{Secrets: map[string]string{"OPENAI_API_KEY": "sk-1"}})
	checkFixture(t, "list_secrets.json", e.must(200, "GET", tp+"/secrets", tok, nil))
	checkFixture(t, "external_db_access.json", e.must(200, "PUT", tp+"/external-db-access", tok, api.ExternalDBAccessRequest{Enabled: true}))
	checkFixture(t, "rotate_credentials.json", e.must(200, "POST", tp+"/rotate-credentials", tok, nil))
	checkFixture(t, "rotate_sync_token.json", e.must(200, "POST", tp+"/rotate-sync-token", tok, nil))
	checkFixture(t, "custom_domain.json", e.must(200, "POST", tp+"/custom-domain", tok, api.CustomDomainRequest{Domain: "app.acme.example"}))
	checkFixture(t, "custom_domain.json", e.must(200, "GET", tp+"/custom-domain", tok, nil))
}

// sseFixtureEvents reads the JSON data of the provisioning events of an
// .sse golden file, keyed by event_type.
func sseFixtureEvents(t *testing.T, name string) map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]any{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		d, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var v map[string]any
		if json.Unmarshal([]byte(d), &v) == nil {
			if et, ok := v["event_type"].(string); ok {
				out[et] = v
			}
		}
	}
	return out
}

// TestContractStreamShapes checks the events of both streams against the
// golden .sse files.
func TestContractStreamShapes(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.token(DemoUserEmail)
	id, co := e.newTenant(tok)
	evs, _ := readAll(t, e.openStream(t.Context(), "/api/v1/checkout/"+co.CheckoutSessionID+"/events", tok, ""))
	want := sseFixtureEvents(t, "checkout_events_infra_ready.sse")
	seen := 0
	for _, ev := range evs {
		var got map[string]any
		if err := json.Unmarshal([]byte(ev.data), &got); err != nil {
			t.Fatal(err)
		}
		if w, ok := want[got["event_type"].(string)]; ok {
			sameShape(t, "checkout "+got["event_type"].(string), w, got, nil)
			seen++
		}
	}
	if seen != len(want) {
		t.Errorf("compared %d checkout events with the fixture, want %d", seen, len(want))
	}

	tevs, _ := readAll(t, e.openStream(t.Context(), "/api/v1/tenants/"+id+"/events", tok, ""))
	tw := sseFixtureEvents(t, "tenant_events_ready.sse")
	for _, ev := range tevs {
		var got map[string]any
		json.Unmarshal([]byte(ev.data), &got)
		if w, ok := tw[got["event_type"].(string)]; ok {
			sameShape(t, "tenant "+got["event_type"].(string), w, got, nil)
		}
	}
	// tenant_ready carries app_url and fly_app_name, like the fixture's.
	var last map[string]any
	json.Unmarshal([]byte(tevs[len(tevs)-1].data), &last)
	var fixtureReady map[string]any
	b, _ := os.ReadFile(filepath.Join(fixtures, "tenant_events_ready.sse"))
	for _, chunk := range strings.Split(string(b), "\n\n") {
		if strings.Contains(chunk, `"tenant_ready"`) {
			var data []string
			for _, l := range strings.Split(chunk, "\n") {
				if d, ok := strings.CutPrefix(l, "data: "); ok {
					data = append(data, d)
				}
			}
			json.Unmarshal([]byte(strings.Join(data, "\n")), &fixtureReady)
		}
	}
	if fixtureReady == nil {
		t.Fatal("fixture has no tenant_ready event")
	}
	sameShape(t, "tenant_ready", fixtureReady, last, nil)
}
