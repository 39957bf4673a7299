package checkout_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/checkout"
	"github.com/spcloud/spcloud/emulator"
	"github.com/spcloud/spcloud/internal/testkit"
	"github.com/spcloud/spcloud/login"
)

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// open is a browser that opens the URL and follows redirects.
func open(ctx context.Context, u string) error {
	_, _, err := testkit.Follow(ctx, u)
	return err
}

// canonical is the order a healthy provisioning emits its events in.
var canonical = []string{
	api.EventSubscriptionCreated, api.EventTenantCreated, api.EventDatabaseCreated, api.EventSecretsStored,
	api.EventVMProvisioningStarted, api.EventVMProvisioningProgress, api.EventVMProvisioned,
	api.EventSecretsConfigured, api.EventInfrastructureReady, api.EventTenantReady,
}

type recorder struct {
	mu  sync.Mutex
	evs []api.CheckoutEvent
}

func (r *recorder) add(ev api.CheckoutEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
}

func (r *recorder) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []string
	for _, e := range r.evs {
		s = append(s, e.EventType)
	}
	return s
}

// buy logs in through the emulator's consent page, then runs a checkout.
func buy(t *testing.T, srv *httptest.Server, opts checkout.Options) (*checkout.Result, []string, *api.Client) {
	t.Helper()
	ctx := ctxFor(t)
	token, err := login.Run(ctx, login.Options{Client: api.New(srv.URL, ""), Open: open})
	if err != nil {
		t.Fatal(err)
	}
	client := api.New(srv.URL, token)
	plans, err := client.Plans(ctx)
	if err != nil || len(plans) == 0 {
		t.Fatalf("Plans = %v, %v", plans, err)
	}
	rec := &recorder{}
	opts.Client, opts.PriceID, opts.OnEvent = client, plans[0].PaddlePriceID, rec.add
	if opts.Open == nil {
		opts.Open = open
	}
	res, err := checkout.Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res, rec.types(), client
}

func checkOrder(t *testing.T, types []string) {
	t.Helper()
	if len(types) < 2 || types[0] != api.EventSubscriptionCreated || types[len(types)-1] != api.EventInfrastructureReady {
		t.Fatalf("events %v", types)
	}
	last := -1
	for _, ty := range types {
		i := slices.Index(canonical, ty)
		if i < last || (i == last && ty != api.EventVMProvisioningProgress) {
			t.Fatalf("events out of order or repeated: %v", types)
		}
		last = i
	}
}

func TestEmulatorCheckout(t *testing.T) {
	srv := testkit.Serve(t, emulator.New(emulator.Options{AutoApprove: true, StepDelay: 5 * time.Millisecond}))
	res, types, client := buy(t, srv, checkout.Options{Region: "fra"})
	if !res.NeedsDeploy || res.TenantID == "" || res.TransactionID == "" || res.FlyAppName == "" {
		t.Errorf("Result %+v", res)
	}
	checkOrder(t, types)
	// Right after the wait, the status is ready and the secrets can be read.
	st, err := client.TenantStatus(ctxFor(t), res.TenantID)
	if err != nil || st.Status != api.StatusReady || api.Str(st.SecretsURL) == "" {
		t.Fatalf("status %+v, %v", st, err)
	}
	if _, err := client.FetchSecrets(ctxFor(t), api.Str(st.SecretsURL)); err != nil {
		t.Fatalf("FetchSecrets: %v", err)
	}
	// A deploy ends with tenant_ready, which WaitForTenant waits for.
	if _, err := client.Deploy(ctxFor(t), res.TenantID, "registry.example/acme:1"); err != nil {
		t.Fatal(err)
	}
	var seen []string
	st, err = checkout.WaitForTenant(ctxFor(t), client, res.TenantID, checkout.WaitOptions{
		OnEvent: func(ev api.ProvisioningEvent) { seen = append(seen, ev.EventType) },
	})
	if err != nil || st.Status != api.StatusReady || len(seen) == 0 || seen[len(seen)-1] != api.EventTenantReady {
		t.Fatalf("WaitForTenant = %+v, %v; events %v", st, err, seen)
	}
}

func TestEmulatorCheckoutSurvivesDroppedStreams(t *testing.T) {
	calm := testkit.Serve(t, emulator.New(emulator.Options{AutoApprove: true, StepDelay: 5 * time.Millisecond}))
	_, want, _ := buy(t, calm, checkout.Options{})
	rough := testkit.Serve(t, emulator.New(emulator.Options{AutoApprove: true, StepDelay: 5 * time.Millisecond, DropStreamEvery: 2}))
	res, got, _ := buy(t, rough, checkout.Options{Follow: api.FollowOptions{Backoff: time.Millisecond}})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("with drops the events were\n%v\nwithout\n%v", got, want)
	}
	if !res.NeedsDeploy {
		t.Errorf("Result %+v", res)
	}
}

func TestEmulatorCheckoutClickingThePaymentPage(t *testing.T) {
	srv := testkit.Serve(t, emulator.New(emulator.Options{StepDelay: 5 * time.Millisecond}))
	ctx := ctxFor(t)
	token, err := login.Run(ctx, login.Options{Client: api.New(srv.URL, ""), Open: testkit.Clicker(t, "approve")})
	if err != nil {
		t.Fatal(err)
	}
	client := api.New(srv.URL, token)
	plans, err := client.Plans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = checkout.Run(ctx, checkout.Options{Client: client, PriceID: plans[0].PaddlePriceID, Open: testkit.Clicker(t, "cancel")})
	var ce *checkout.CheckoutError
	if !errors.As(err, &ce) {
		t.Fatalf("cancel: %v", err)
	}
	rec := &recorder{}
	res, err := checkout.Run(ctx, checkout.Options{Client: client, PriceID: plans[0].PaddlePriceID, Open: testkit.Clicker(t, "pay"), OnEvent: rec.add})
	if err != nil {
		t.Fatal(err)
	}
	checkOrder(t, rec.types())
	if !res.NeedsDeploy {
		t.Errorf("Result %+v", res)
	}
}

func TestEmulatorProvisioningFailure(t *testing.T) {
	srv := testkit.Serve(t, emulator.New(emulator.Options{AutoApprove: true, StepDelay: 5 * time.Millisecond, FailProvisioning: "Region fra has no capacity"}))
	ctx := ctxFor(t)
	token, err := login.Run(ctx, login.Options{Client: api.New(srv.URL, ""), Open: open})
	if err != nil {
		t.Fatal(err)
	}
	client := api.New(srv.URL, token)
	plans, _ := client.Plans(ctx)
	_, err = checkout.Run(ctx, checkout.Options{Client: client, PriceID: plans[0].PaddlePriceID, Open: open})
	var pe *checkout.ProvisioningError
	if !errors.As(err, &pe) || pe.Message != "Region fra has no capacity" || pe.TenantID == "" {
		t.Fatalf("err = %v", err)
	}
	// The tenant stream tells the same story to WaitForTenant.
	_, err = checkout.WaitForTenant(ctx, client, pe.TenantID, checkout.WaitOptions{Timeout: 5 * time.Second})
	if !errors.As(err, &pe) || pe.Message != "Region fra has no capacity" {
		t.Fatalf("WaitForTenant err = %v", err)
	}
}
