package emulator

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
)

// TestWithAPIClient drives the emulator with the project's own API client on
// a bad network (first GETs fail, streams drop every two events, latency):
// the client's retries and reconnections and the emulator's ids and
// Last-Event-ID must together deliver every event once.
func TestWithAPIClient(t *testing.T) {
	e := newEnv(t, Options{FailFirst: 1, DropStreamEvery: 2, Latency: time.Millisecond})
	ctx := t.Context()
	c := api.New(e.srv.URL, "", api.WithRetry(api.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond, MaxElapsed: 5 * time.Second}))

	authURL, err := c.OAuthStart(ctx, spcloud.GitHub, "http://127.0.0.1:8765/callback")
	if err != nil {
		t.Fatal(err)
	}
	page := e.must(200, "GET", authURL, "", nil)
	res := e.form("/oauth/consent", url.Values{"id": {string(hiddenID.FindSubmatch(page.body)[1])}, "action": {"approve"}})
	loc, _ := url.Parse(res.header.Get("Location"))
	c = c.WithToken(loc.Query().Get("access_token"))

	me, err := c.Me(ctx)
	if err != nil || me.User.Email != DemoUserEmail {
		t.Fatalf("Me: %+v %v", me, err)
	}
	plans, err := c.Plans(ctx)
	if err != nil || len(plans) < 2 {
		t.Fatalf("Plans: %v %v", plans, err)
	}
	co, err := c.CreateCheckout(ctx, api.CheckoutRequest{PriceID: plans[1].PaddlePriceID, Region: "lhr", RedirectURI: "http://127.0.0.1:8766/callback"})
	if err != nil {
		t.Fatal(err)
	}
	e.pay(*co, "pay")

	var types []string
	var tenantID string
	err = c.FollowCheckoutEvents(ctx, co.CheckoutSessionID, api.FollowOptions{Backoff: time.Millisecond}, nil,
		func(ev api.CheckoutEvent) (bool, error) {
			types = append(types, ev.EventType)
			tenantID = ev.TenantID
			return ev.EventType == api.EventTenantReady, nil
		})
	if err != nil || !slices.Equal(types, healthyRun) {
		t.Fatalf("checkout events %v, %v", types, err)
	}
	st, err := c.TenantStatus(ctx, tenantID)
	if err != nil || st.Status != api.StatusReady {
		t.Fatalf("status %+v %v", st, err)
	}
	sec, err := c.FetchSecrets(ctx, api.Str(st.SecretsURL))
	if err != nil || sec.JWTSecret == "" {
		t.Fatalf("secrets %+v %v", sec, err)
	}

	if _, err := c.Deploy(ctx, tenantID, "app:2"); err != nil {
		t.Fatal(err)
	}
	types = nil
	err = c.FollowTenantEvents(ctx, tenantID, api.FollowOptions{Backoff: time.Millisecond}, nil,
		func(ev api.ProvisioningEvent) (bool, error) {
			types = append(types, ev.EventType)
			return ev.EventType == api.EventTenantReady || ev.EventType == api.EventProvisioningFailed, nil
		})
	if err != nil || !slices.Equal(types, deployRun) {
		t.Fatalf("deploy events %v, %v", types, err)
	}

	if err := c.SetSecrets(ctx, tenantID, map[string]string{"K": "v"}); err != nil {
		t.Fatal(err)
	}
	if keys, err := c.ListSecrets(ctx, tenantID); err != nil || !slices.Equal(keys, []string{"K"}) {
		t.Fatalf("keys %v %v", keys, err)
	}
	if _, err := c.SetCustomDomain(ctx, tenantID, "app.example.com"); err != nil {
		t.Fatal(err)
	}
	if d, err := c.CustomDomain(ctx, tenantID); err != nil || d.Domain != "app.example.com" {
		t.Fatalf("domain %+v %v", d, err)
	}
	if err := c.DeleteTenant(ctx, tenantID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TenantStatus(ctx, tenantID); !api.IsNotFound(err) {
		t.Fatalf("status after delete: %v", err)
	}
}
