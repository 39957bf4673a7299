package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/checkout"
	"github.com/spcloud/spcloud/emulator"
	"github.com/spcloud/spcloud/internal/cli"
)

// Rows "time from the emulator emitting the terminal event to the wait
// returning", healthy and with the stream dropped just before that event.
//
// The emulator runs in-process; its OnEmit hook stamps each event the
// instant before any stream can see it, and the clock stops when the
// library call (checkout.WaitForTenant, checkout.Run) or the whole
// in-process command (`spcloud tenant create`) returns. WaitForTenant ends
// on tenant_ready; a checkout ends on infrastructure_ready (CONTRACT §5:
// the tenant is usable and its secrets can be fetched from then on), so
// that is the terminal event of Run and of tenant create.

const (
	waitRuns  = 100
	stepDelay = 10 * time.Millisecond
)

// emitClock remembers when each tenant last emitted each event type.
type emitClock struct {
	mu   sync.Mutex
	at   map[string]time.Time // tenant id + "/" + event type
	cond *sync.Cond
}

func newEmitClock() *emitClock {
	c := &emitClock{at: map[string]time.Time{}}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *emitClock) onEmit(tenantID string, ev api.ProvisioningEvent) {
	now := time.Now()
	c.mu.Lock()
	c.at[tenantID+"/"+ev.EventType] = now
	c.mu.Unlock()
	c.cond.Broadcast()
}

// when is the last emission of event by tenant, zero when none.
func (c *emitClock) when(tenantID, event string) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at[tenantID+"/"+event]
}

// await blocks until tenant emitted event after t.
func (c *emitClock) await(tenantID, event string, after time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for !c.at[tenantID+"/"+event].After(after) {
		c.cond.Wait()
	}
}

// waitEnv is an in-process emulator with its clock, seen directly or
// through a proxy that drops each event stream just before its terminal
// event.
type waitEnv struct {
	emu   *emulator.Server
	clock *emitClock
	url   string // the emulator's URL, or the dropping proxy's
	proxy *dropProxy
	users atomic.Int64
}

func newWaitEnv(t *testing.T, drop bool) *waitEnv {
	clock := newEmitClock()
	emu, srv := startEmulator(t, emulator.Options{StepDelay: stepDelay, AutoApprove: true, OnEmit: clock.onEmit})
	e := &waitEnv{emu: emu, clock: clock, url: srv.URL}
	if drop {
		e.proxy = newDropProxy(srv.URL)
		ps := httptest.NewServer(e.proxy)
		t.Cleanup(ps.Close)
		e.url = ps.URL
	}
	return e
}

// newUser signs a token for a fresh user (the Starter plan limits tenants
// per user, and every run buys one).
func (e *waitEnv) newUser(t testing.TB) string {
	tok, err := e.emu.IssueToken(fmt.Sprintf("bench-%d@example.com", e.users.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// browser plays the person's browser with an auto-approving emulator: it
// opens the payment page and follows its redirect to the callback.
func browser(ctx context.Context, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// readyTenant buys a tenant for a fresh user and waits until its
// provisioning ended; it returns a client of that user and the tenant id.
func (e *waitEnv) readyTenant(t testing.TB) (*api.Client, string) {
	client := api.New(e.url, e.newUser(t))
	start := time.Now()
	res, err := checkout.Run(context.Background(), checkout.Options{Client: client, PriceID: "pri_01pro", Region: "fra", Open: browser})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.await(res.TenantID, api.EventTenantReady, start)
	return client, res.TenantID
}

// waitForTenant times one restart: from tenant_ready's emission to
// WaitForTenant returning.
func (e *waitEnv) waitForTenant(t testing.TB, client *api.Client, id string, wait func(context.Context, *api.Client, string) error) time.Duration {
	ctx := context.Background()
	before := time.Now()
	if _, err := client.RestartTenant(ctx, id); err != nil {
		t.Error(err) // not Fatal: the reference lanes run this off the test goroutine
		return 0
	}
	if err := wait(ctx, client, id); err != nil {
		t.Error(err)
		return 0
	}
	done := time.Now()
	emitted := e.clock.when(id, api.EventTenantReady)
	if !emitted.After(before) {
		t.Error("the wait returned before tenant_ready was emitted")
		return 0
	}
	return done.Sub(emitted)
}

func spcloudWait(ctx context.Context, client *api.Client, id string) error {
	_, err := checkout.WaitForTenant(ctx, client, id, checkout.WaitOptions{})
	return err
}

// checkoutRun times one checkout.Run for a fresh user: from
// infrastructure_ready's emission to Run returning.
func (e *waitEnv) checkoutRun(t testing.TB) time.Duration {
	client := api.New(e.url, e.newUser(t))
	res, err := checkout.Run(context.Background(), checkout.Options{Client: client, PriceID: "pri_01pro", Region: "fra", Open: browser})
	done := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	emitted := e.clock.when(res.TenantID, api.EventInfrastructureReady)
	if emitted.IsZero() {
		t.Fatal("Run returned before infrastructure_ready was emitted")
	}
	return done.Sub(emitted)
}

// tenantCreate times one `spcloud tenant create --json` run through the
// real command tree in-process, in a fresh project logged in as a fresh
// user: from infrastructure_ready's emission to the command returning
// (status, secrets, /auth/me, tenants.json written, result printed).
func (e *waitEnv) tenantCreate(t *testing.T) time.Duration {
	dir := t.TempDir()
	env := map[string]string{spcloud.EnvAPIURL: e.url}
	var out, errOut bytes.Buffer
	f := &cli.Factory{
		IO:          cli.IOStreams{In: strings.NewReader(e.newUser(t)), Out: &out, Err: &errOut},
		Getenv:      func(k string) string { return env[k] },
		Cwd:         dir,
		OpenBrowser: browser,
	}
	ctx := context.Background()
	if code := cli.Run(ctx, f, []string{"auth", "login", "--with-token"}); code != 0 {
		t.Fatalf("login: %d\n%s", code, errOut.String())
	}
	out.Reset()
	f = &cli.Factory{
		IO:          cli.IOStreams{In: strings.NewReader(""), Out: &out, Err: &errOut},
		Getenv:      func(k string) string { return env[k] },
		Cwd:         dir,
		OpenBrowser: browser,
	}
	code := cli.Run(ctx, f, []string{"tenant", "create", "--plan", "pro", "--region", "fra", "--json"})
	done := time.Now()
	if code != 0 {
		t.Fatalf("tenant create: %d\n%s", code, errOut.String())
	}
	var res struct {
		TenantID string `json:"tenant_id"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.TenantID == "" {
		t.Fatalf("no tenant id in %s (%v)", out.String(), err)
	}
	emitted := e.clock.when(res.TenantID, api.EventInfrastructureReady)
	if emitted.IsZero() {
		t.Fatal("tenant create returned before infrastructure_ready was emitted")
	}
	return done.Sub(emitted)
}

// referenceWait is the reference client's design, simulated: follow the
// tenant stream once; when it breaks before tenant_ready, poll the status
// every 2 s, up to 60 times (CONTRACT §5).
func referenceWait(ctx context.Context, client *api.Client, id string) error {
	if s, err := client.TenantEvents(ctx, id, ""); err == nil {
		for {
			ev, err := s.Next()
			if err != nil {
				break
			}
			if strings.Contains(ev.Data, `"event_type":"`+api.EventTenantReady+`"`) {
				s.Close()
				return nil
			}
		}
		s.Close()
	}
	for range 60 {
		time.Sleep(spcloud.ProvisioningPollInterval)
		st, err := client.TenantStatus(ctx, id)
		if err == nil && st.Status == api.StatusReady {
			return nil
		}
	}
	return errors.New("reference wait: not ready after 60 polls")
}

// dropProxy forwards to the emulator, and cuts each event stream (without
// a clean end) just before it would pass on a terminal event, once per
// stream and event id, so the client's reconnection gets it.
type dropProxy struct {
	upstream string
	client   *http.Client
	mu       sync.Mutex
	dropped  map[string]bool // stream path + "#" + event id
	drops    atomic.Int64
}

func newDropProxy(upstream string) *dropProxy {
	return &dropProxy{
		upstream: upstream,
		client: &http.Client{
			Transport:     &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		dropped: map[string]bool{},
	}
}

// terminal is the event that ends a wait on a stream of that path.
func terminal(path string) string {
	if strings.HasPrefix(path, "/api/v1/checkout/") {
		return api.EventInfrastructureReady
	}
	return api.EventTenantReady
}

func (p *dropProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.upstream+r.URL.RequestURI(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := p.client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		io.Copy(w, resp.Body)
		return
	}
	rc := http.NewResponseController(w)
	rc.Flush()
	want := `"event_type":"` + terminal(r.URL.Path) + `"`
	br := bufio.NewReader(resp.Body)
	var frame []byte
	for {
		line, err := br.ReadBytes('\n')
		frame = append(frame, line...)
		if err != nil {
			return
		}
		if len(bytes.TrimRight(line, "\r\n")) != 0 {
			continue
		}
		if bytes.Contains(frame, []byte(want)) {
			key := r.URL.Path + "#" + frameID(frame)
			p.mu.Lock()
			first := !p.dropped[key]
			p.dropped[key] = true
			p.mu.Unlock()
			if first {
				p.drops.Add(1)
				panic(http.ErrAbortHandler) // the connection is cut, not ended
			}
		}
		if _, err := w.Write(frame); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
		frame = frame[:0]
	}
}

func frameID(frame []byte) string {
	for l := range strings.SplitSeq(string(frame), "\n") {
		if id, ok := strings.CutPrefix(l, "id: "); ok {
			return id
		}
	}
	return ""
}

// measure runs n timed runs of one and summarises them.
func measure(n int, one func() time.Duration) stats {
	d := make([]time.Duration, n)
	for i := range d {
		d[i] = one()
	}
	return summarise(d)
}

// TestWaitLatency: the healthy rows.
func TestWaitLatency(t *testing.T) {
	needBench(t)
	e := newWaitEnv(t, false)
	client, id := e.readyTenant(t)
	s := measure(waitRuns, func() time.Duration { return e.waitForTenant(t, client, id, spcloudWait) })
	row(t, "wait-latency  WaitForTenant   tenant_ready→return         %s  (target p99 <= 5ms)", s)
	s = measure(waitRuns, func() time.Duration { return e.checkoutRun(t) })
	row(t, "wait-latency  checkout.Run    infrastructure_ready→return %s  (target p99 <= 5ms)", s)
	s = measure(waitRuns, func() time.Duration { return e.tenantCreate(t) })
	row(t, "wait-latency  tenant create   infrastructure_ready→return %s  (target p99 <= 5ms)", s)
}

// TestWaitLatencyDropped: the stream is cut just before the terminal
// event; spcloud side by side with the reference design's 2 s polling.
func TestWaitLatencyDropped(t *testing.T) {
	needBench(t)
	e := newWaitEnv(t, true)
	client, id := e.readyTenant(t)
	base := e.proxy.drops.Load()
	sw := measure(waitRuns, func() time.Duration { return e.waitForTenant(t, client, id, spcloudWait) })
	if got := e.proxy.drops.Load() - base; got != waitRuns {
		t.Fatalf("the proxy cut %d streams in %d runs", got, waitRuns)
	}
	row(t, "wait-dropped  WaitForTenant   tenant_ready→return         %s  (target p99 <= 300ms)", sw)
	base = e.proxy.drops.Load()
	s := measure(waitRuns, func() time.Duration { return e.checkoutRun(t) })
	if got := e.proxy.drops.Load() - base; got != waitRuns {
		t.Fatalf("the proxy cut %d streams in %d runs", got, waitRuns)
	}
	row(t, "wait-dropped  checkout.Run    infrastructure_ready→return %s  (target p99 <= 300ms)", s)
	base = e.proxy.drops.Load()
	s = measure(waitRuns, func() time.Duration { return e.tenantCreate(t) })
	if got := e.proxy.drops.Load() - base; got != waitRuns {
		t.Fatalf("the proxy cut %d streams in %d runs", got, waitRuns)
	}
	row(t, "wait-dropped  tenant create   infrastructure_ready→return %s  (target p99 <= 300ms)", s)

	// The reference design: 2 s a run, so its runs go in 10 lanes at once
	// (each its own user and tenant), 10 runs each.
	const lanes = 10
	var mu sync.Mutex
	var ref []time.Duration
	var wg sync.WaitGroup
	type lane struct {
		client *api.Client
		id     string
	}
	var ls []lane
	for range lanes {
		c, tid := e.readyTenant(t)
		ls = append(ls, lane{c, tid})
	}
	base = e.proxy.drops.Load()
	for _, l := range ls {
		wg.Go(func() {
			for range waitRuns / lanes {
				d := e.waitForTenant(t, l.client, l.id, referenceWait)
				mu.Lock()
				ref = append(ref, d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if got := e.proxy.drops.Load() - base; got != waitRuns {
		t.Fatalf("the proxy cut %d streams in %d reference runs", got, waitRuns)
	}
	sr := summarise(ref)
	row(t, "wait-dropped  reference design (2 s polling fallback)     %s", sr)
	row(t, "wait-dropped  WaitForTenant vs reference: p99 %s vs %s, ratio %.4f; median ratio %.4f",
		ms(sw.p99), ms(sr.p99), float64(sw.p99)/float64(sr.p99), float64(sw.p50)/float64(sr.p50))
}
