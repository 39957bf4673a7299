package checkout

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/internal/loopback"
	"github.com/spcloud/spcloud/internal/testkit"
)

const pending = "status=pending&checkout_session_id=" + fixtureSession + "&transaction_id=" + fixtureTxn

var redirectRE = regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+/callback/[A-Za-z0-9_-]{43}$`)

func checkoutTypes(evs []api.CheckoutEvent) string {
	var s []string
	for _, e := range evs {
		s = append(s, e.EventType)
	}
	return strings.Join(s, ",")
}

func TestRunPendingInfrastructureReady(t *testing.T) {
	f := newFakeCloud(t, pending)
	b := &testkit.Browser{}
	var got events[api.CheckoutEvent]
	var stderr testkit.SyncBuffer
	res, err := Run(withTimeout(t), Options{
		Client: api.New(f.URL, "tok"), PriceID: "pri_starter", Port: testkit.FreePort(t),
		Stderr: &stderr, Open: b.Open, OnEvent: got.add,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &Result{TransactionID: fixtureTxn, TenantID: fixtureTenant, FlyAppName: "sp-acme-prod", NeedsDeploy: true}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("Result = %+v, want %+v", res, want)
	}
	if tt := checkoutTypes(got.all()); tt != "subscription_created,infrastructure_ready" {
		t.Errorf("events %s", tt)
	}
	req := f.checkoutRequest()
	if req.PriceID != "pri_starter" || req.Region != "iad" || !redirectRE.MatchString(req.RedirectURI) {
		t.Errorf("checkout request %+v", req)
	}
	p := b.Last(t)
	if p.Status != 200 || !strings.Contains(p.Body, `<body class="waiting">`) || !strings.Contains(p.Body, `var url = "/progress"`) {
		t.Errorf("waiting page %d:\n%.500s", p.Status, p.Body)
	}
	if !strings.Contains(stderr.String(), "Opening "+f.URL+"/pay/"+fixtureTxn+" in your browser.") {
		t.Errorf("stderr = %q", stderr.String())
	}
	testkit.AssertFreed(t, testkit.PortOf(t, req.RedirectURI))
}

func TestRunPendingVariants(t *testing.T) {
	ready := checkoutEvent(1, "tenant_created", "") +
		checkoutEvent(2, "vm_provisioning_progress", `,"message":"Machine 40% started"`) +
		checkoutEvent(3, "vm_provisioning_progress", `,"message":"Machine 80% started"`) +
		checkoutEvent(4, "tenant_ready", `,"app_url":"https://acme-prod.systemprompt.io","fly_app_name":"sp-acme-prod"`)
	tests := []struct {
		name     string
		callback string
		stream   string
		want     *Result
		events   string
	}{
		{"tenant ready: no deploy", pending, ready,
			&Result{TransactionID: fixtureTxn, TenantID: fixtureTenant, FlyAppName: "sp-acme-prod", AppURL: "https://acme-prod.systemprompt.io"},
			"tenant_created,vm_provisioning_progress,vm_provisioning_progress,tenant_ready"},
		{"transaction id defaults to the session id", "status=pending&checkout_session_id=" + fixtureSession, ready,
			&Result{TransactionID: fixtureSession, TenantID: fixtureTenant, FlyAppName: "sp-acme-prod", AppURL: "https://acme-prod.systemprompt.io"},
			"tenant_created,vm_provisioning_progress,vm_provisioning_progress,tenant_ready"},
		{"session id defaults to the created checkout's", "status=pending", checkoutEvent(1, "infrastructure_ready", ""),
			&Result{TransactionID: fixtureSession, TenantID: fixtureTenant, NeedsDeploy: true},
			"infrastructure_ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCloud(t, tt.callback)
			f.checkoutEvents = sseText(tt.stream)
			var got events[api.CheckoutEvent]
			res, err := Run(withTimeout(t), Options{Client: api.New(f.URL, "tok"), PriceID: "p", Region: "fra",
				Port: testkit.FreePort(t), Open: (&testkit.Browser{}).Open, OnEvent: got.add})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res, tt.want) {
				t.Errorf("Result = %+v, want %+v", res, tt.want)
			}
			if et := checkoutTypes(got.all()); et != tt.events {
				t.Errorf("events %s, want %s", et, tt.events)
			}
			if f.checkoutRequest().Region != "fra" {
				t.Errorf("region %q", f.checkoutRequest().Region)
			}
		})
	}
}

func TestRunProvisioningFailed(t *testing.T) {
	tests := []struct{ extra, want string }{
		{`,"message":"Region fra has no capacity"`, "Region fra has no capacity"},
		{"", UnknownError},
	}
	for _, tt := range tests {
		f := newFakeCloud(t, pending)
		f.checkoutEvents = sseText(checkoutEvent(1, "subscription_created", "") + checkoutEvent(2, "provisioning_failed", tt.extra))
		_, err := Run(withTimeout(t), Options{Client: api.New(f.URL, "tok"), PriceID: "p", Port: testkit.FreePort(t), Open: (&testkit.Browser{}).Open})
		var pe *ProvisioningError
		if !errors.As(err, &pe) || pe.Message != tt.want || pe.TenantID != fixtureTenant {
			t.Errorf("err = %v, want ProvisioningError %q", err, tt.want)
		}
	}
}

func TestRunCompleted(t *testing.T) {
	tests := []struct {
		name     string
		callback string
		message  string
		want     *Result
		page     string
	}{
		{"default page", "status=completed&transaction_id=txn_9&tenant_id=ten_1", "",
			&Result{TransactionID: "txn_9", TenantID: "ten_1"}, "Your tenant ten_1 has been created."},
		{"custom template, escaped", "status=completed&transaction_id=txn_9&tenant_id=" + url.QueryEscape("<b>x</b>"), "Tenant {{TENANT_ID}} is yours",
			&Result{TransactionID: "txn_9", TenantID: "<b>x</b>"}, "Tenant &lt;b&gt;x&lt;/b&gt; is yours"},
		{"transaction id defaults to the created checkout's", "status=completed&tenant_id=ten_1", "",
			&Result{TransactionID: fixtureTxn, TenantID: "ten_1"}, "Payment complete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCloud(t, tt.callback)
			b := &testkit.Browser{}
			res, err := Run(withTimeout(t), Options{Client: api.New(f.URL, "tok"), PriceID: "p", Port: testkit.FreePort(t),
				Open: b.Open, SuccessMessage: tt.message})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res, tt.want) {
				t.Errorf("Result = %+v, want %+v", res, tt.want)
			}
			p := b.Last(t)
			if !strings.Contains(p.Body, tt.page) || strings.Contains(p.Body, "<b>x") {
				t.Errorf("page lacks %q or injects HTML:\n%.800s", tt.page, p.Body)
			}
			if stream, _ := f.calls(); stream != 0 {
				t.Errorf("a completed checkout followed the stream")
			}
		})
	}
}

func TestRunCallbackFailures(t *testing.T) {
	tests := []struct {
		name, callback, reason, status string
	}{
		{"error", "error=" + url.QueryEscape(`card declined <script>alert(1)</script>`), `card declined <script>alert(1)</script>`, ""},
		{"error of control characters only", "error=%01%1b", UnknownError, ""},
		{"cancelled status", "status=canceled&transaction_id=t&tenant_id=x", `the checkout ended with status "canceled"`, "canceled"},
		{"missing status", "transaction_id=t&tenant_id=x", "the checkout came back without a status", ""},
		{"completed without tenant", "status=completed&transaction_id=t", "the checkout completed without a tenant id", "completed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCloud(t, tt.callback)
			b := &testkit.Browser{}
			_, err := Run(withTimeout(t), Options{Client: api.New(f.URL, "tok"), PriceID: "p", Port: testkit.FreePort(t), Open: b.Open})
			var ce *CheckoutError
			if !errors.As(err, &ce) || ce.Reason != tt.reason || ce.Status != tt.status {
				t.Fatalf("err = %#v, want reason %q status %q", err, tt.reason, tt.status)
			}
			p := b.Last(t)
			if !strings.Contains(p.Body, "Checkout failed") || strings.Contains(p.Body, "<script>alert") {
				t.Errorf("error page:\n%.800s", p.Body)
			}
			testkit.AssertFreed(t, testkit.PortOf(t, f.checkoutRequest().RedirectURI))
		})
	}
}

func TestRunStreamFallback(t *testing.T) {
	f := newFakeCloud(t, pending)
	var mu sync.Mutex
	conn := 0
	f.checkoutEvents = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conn++
		n := conn
		mu.Unlock()
		if n == 1 { // one event naming the tenant, then the stream breaks for good
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, checkoutEvent(1, "subscription_created", ""))
			return
		}
		unavailable(w, r)
	}
	f.statuses = []string{"tenant_status_provisioning.json", "tenant_status_ready.json"}
	var stderr testkit.SyncBuffer
	var statuses events[api.TenantStatus]
	res, err := Run(withTimeout(t), Options{
		Client: api.New(f.URL, "tok", api.WithRetry(api.NoRetry)), PriceID: "p", Port: testkit.FreePort(t),
		Open: (&testkit.Browser{}).Open, Follow: fastFollow, PollInterval: 10 * time.Millisecond,
		Stderr: &stderr, OnStatus: statuses.add,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &Result{TransactionID: fixtureTxn, TenantID: fixtureTenant, NeedsDeploy: true, AppURL: "https://acme-prod.systemprompt.io"}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("Result = %+v, want %+v", res, want)
	}
	if len(statuses.all()) != 2 || !strings.Contains(stderr.String(), "checking the tenant status instead") {
		t.Errorf("statuses %+v, stderr %q", statuses.all(), stderr.String())
	}

	// Without a tenant id there is nothing to poll: the paid checkout keeps
	// at the stream through an outage longer than MaxFailures...
	f2 := newFakeCloud(t, pending)
	outage := 0
	f2.checkoutEvents = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		outage++
		n := outage
		mu.Unlock()
		if n <= 3*fastFollow.MaxFailures {
			unavailable(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, checkoutEvent(1, "infrastructure_ready", ""))
	}
	var stderr2 testkit.SyncBuffer
	res, err = Run(withTimeout(t), Options{Client: api.New(f2.URL, "tok", api.WithRetry(api.NoRetry)), PriceID: "p", Port: testkit.FreePort(t),
		Open: (&testkit.Browser{}).Open, Follow: fastFollow, Stderr: &stderr2})
	if err != nil || res.TenantID != fixtureTenant || !res.NeedsDeploy || !strings.Contains(stderr2.String(), "trying again") {
		t.Errorf("through an outage: %+v, %v; stderr %q", res, err, stderr2.String())
	}

	// ... and one that never ends runs into the wait limit.
	f3 := newFakeCloud(t, pending)
	f3.checkoutEvents = unavailable
	_, err = Run(withTimeout(t), Options{Client: api.New(f3.URL, "tok", api.WithRetry(api.NoRetry)), PriceID: "p", Port: testkit.FreePort(t),
		Open: (&testkit.Browser{}).Open, Follow: fastFollow, WaitTimeout: 300 * time.Millisecond})
	if !errors.Is(err, ErrWaitTimeout) {
		t.Errorf("err = %v", err)
	}
}

func TestRunServesStatusAndProgress(t *testing.T) {
	f := newFakeCloud(t, pending)
	release := make(chan struct{})
	f.checkoutEvents = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, checkoutEvent(1, "subscription_created", `,"message":"Subscription active"`))
		http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, checkoutEvent(2, "infrastructure_ready", ""))
	}
	var checks sync.WaitGroup
	checks.Add(1)
	browse := func(ctx context.Context, u string) error {
		p, err := testkit.Visit(ctx, u)
		if err != nil {
			return err
		}
		base := "http://" + mustParse(t, p.URL).Host
		go func() {
			defer checks.Done()
			// As the waiting page does, poll /progress.
			var prog map[string]any
			for i := 0; i < 200; i++ {
				_, prog = getJSON(t, base+"/progress")
				if steps, _ := prog["steps"].([]any); len(steps) > 0 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if prog["state"] != "waiting" || prog["message"] != "Subscription active" {
				t.Errorf("progress %v", prog)
			}
			code, st := getJSON(t, base+"/status/"+fixtureTenant)
			if code != 200 || st["status"] != "ready" || st["message"] != "Tenant is ready" || st["app_url"] != "https://acme-prod.systemprompt.io" {
				t.Errorf("/status = %d %v", code, st)
			}
			if _, has := st["secrets_url"]; has {
				t.Error("/status leaks secrets_url")
			}
			code, st = getJSON(t, base+"/status/someone-else")
			if code != 404 || st["status"] != "error" || st["message"] == "" {
				t.Errorf("/status of another tenant = %d %v", code, st)
			}
			close(release)
			// The page sees the end before the server goes away.
			for i := 0; i < 200; i++ {
				_, prog = getJSON(t, base+"/progress")
				if prog["state"] != "waiting" {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if prog["state"] != "done" || !strings.Contains(prog["heading"].(string), "ready") {
				t.Errorf("final progress %v", prog)
			}
		}()
		return nil
	}
	res, err := Run(withTimeout(t), Options{Client: api.New(f.URL, "tok"), PriceID: "p", Port: testkit.FreePort(t), Open: browse})
	if err != nil {
		t.Fatal(err)
	}
	checks.Wait()
	if !res.NeedsDeploy || res.TenantID != fixtureTenant {
		t.Errorf("Result %+v", res)
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestRunTimeoutsAndCancel(t *testing.T) {
	t.Run("browser never returns", func(t *testing.T) {
		f := newFakeCloud(t, pending)
		_, err := Run(withTimeout(t), Options{Client: api.New(f.URL, "tok"), PriceID: "p", Port: testkit.FreePort(t),
			Timeout: 150 * time.Millisecond, Open: func(context.Context, string) error { return nil }})
		if !errors.Is(err, loopback.ErrTimeout) || !strings.Contains(err.Error(), "no answer from the browser within 150ms") {
			t.Fatalf("err = %v", err)
		}
		testkit.AssertFreed(t, testkit.PortOf(t, f.checkoutRequest().RedirectURI))
	})
	t.Run("provisioning too slow", func(t *testing.T) {
		f := newFakeCloud(t, pending)
		f.checkoutEvents = hang
		_, err := Run(withTimeout(t), Options{Client: api.New(f.URL, "tok"), PriceID: "p", Port: testkit.FreePort(t),
			WaitTimeout: 200 * time.Millisecond, Open: (&testkit.Browser{}).Open})
		if !errors.Is(err, ErrWaitTimeout) {
			t.Fatalf("err = %v", err)
		}
		testkit.AssertFreed(t, testkit.PortOf(t, f.checkoutRequest().RedirectURI))
	})
	t.Run("cancelled while following", func(t *testing.T) {
		f := newFakeCloud(t, pending)
		f.checkoutEvents = hang
		ctx, cancel := context.WithCancel(withTimeout(t))
		_, err := Run(ctx, Options{Client: api.New(f.URL, "tok"), PriceID: "p", Port: testkit.FreePort(t),
			Open: func(ctx context.Context, u string) error {
				time.AfterFunc(100*time.Millisecond, cancel)
				return (&testkit.Browser{}).Open(ctx, u)
			}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		testkit.AssertFreed(t, testkit.PortOf(t, f.checkoutRequest().RedirectURI))
	})
	t.Run("cancelled while waiting for the browser", func(t *testing.T) {
		f := newFakeCloud(t, pending)
		ctx, cancel := context.WithCancel(withTimeout(t))
		_, err := Run(ctx, Options{Client: api.New(f.URL, "tok"), PriceID: "p", Port: testkit.FreePort(t),
			Open: func(context.Context, string) error { time.AfterFunc(50*time.Millisecond, cancel); return nil }})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		testkit.AssertFreed(t, testkit.PortOf(t, f.checkoutRequest().RedirectURI))
	})
}

func TestRunCheckoutRefused(t *testing.T) {
	f := newFakeCloud(t, pending)
	f.checkoutFails = http.StatusConflict
	opened := false
	_, err := Run(withTimeout(t), Options{Client: api.New(f.URL, "tok"), PriceID: "p", Port: testkit.FreePort(t),
		Open: func(context.Context, string) error { opened = true; return nil }})
	if err == nil || !strings.Contains(err.Error(), "plan_limit_reached") || opened {
		t.Fatalf("err = %v, opened %v", err, opened)
	}
	f.checkoutFails = 0
	f.checkoutURL = "javascript:alert(1)"
	_, err = Run(withTimeout(t), Options{Client: api.New(f.URL, "tok"), PriceID: "p", Port: testkit.FreePort(t),
		Open: func(context.Context, string) error { opened = true; return nil }})
	if err == nil || opened {
		t.Fatalf("non-web checkout URL: err = %v, opened %v", err, opened)
	}
}

func TestRunPinnedPortTaken(t *testing.T) {
	f := newFakeCloud(t, pending)
	_, err := Run(withTimeout(t), Options{Client: api.New(f.URL, "tok"), PriceID: "p", Port: testkit.PortOf(t, f.URL), PinPort: true,
		Open: (&testkit.Browser{}).Open})
	if !errors.Is(err, loopback.ErrPortInUse) {
		t.Fatalf("err = %v", err)
	}
}

func TestRunArguments(t *testing.T) {
	if _, err := Run(context.Background(), Options{PriceID: "p"}); err == nil {
		t.Error("nil client accepted")
	}
	if _, err := Run(context.Background(), Options{Client: api.New("http://127.0.0.1:1", "")}); err == nil {
		t.Error("empty price id accepted")
	}
}

func TestEventLabel(t *testing.T) {
	tests := map[string]string{
		"infrastructure_ready": "Infrastructure ready",
		"some_new_event_kind":  "Some new event kind",
		"":                     "Working",
	}
	for in, want := range tests {
		if got := EventLabel(in); got != want {
			t.Errorf("EventLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
