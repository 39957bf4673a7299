// Command fanout is the subscriber fleet of the "emulator: concurrent
// event-stream subscribers" row: it opens N event streams on one tenant of
// an emulator running as its own process, makes the tenant emit one event,
// and reports how long that event took to reach every subscriber, with the
// emulator's memory (VmRSS, VmHWM from /proc/PID/status).
//
//	fanout -url http://127.0.0.1:PORT -token TOKEN -pid EMULATOR_PID -n 10000
//
// The timed event is the second of a restart. The emulator emits a
// restart's first event inside the POST and the next one -step later (its
// --step-delay); the fleet opens in between, resuming after the first
// event (Last-Event-ID), so it waits for the second. A stream resumed after
// a run's last event closes at once, so subscribers must join mid-run.
// The clock for each subscriber is its arrival time minus (the moment just
// before the POST was sent + -step): the emulator starts its step timer
// after that moment, so each figure is an upper bound. Subscribers are raw
// HTTP/1.1 connections, read by one epoll loop (fleet_linux.go).
// Loopback only.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

var (
	baseURL  = flag.String("url", "", "emulator URL (http://127.0.0.1:PORT)")
	token    = flag.String("token", "", "API token")
	pid      = flag.Int("pid", 0, "emulator process id, for its memory")
	n        = flag.Int("n", 10000, "subscribers")
	trials   = flag.Int("trials", 3, "events to time (a fresh fleet each)")
	deadline = flag.Duration("timeout", 20*time.Second, "longest wait for the fleet to connect or for the event to arrive")
	step     = flag.Duration("step", 5*time.Second, "the emulator's --step-delay: the fleet must open within it")
)

func main() {
	flag.Parse()
	u, err := url.Parse(*baseURL)
	if err != nil || u.Scheme != "http" || !isLoopback(u.Hostname()) {
		fail(errors.New("-url must be an http URL on a loopback address"))
	}
	id, err := readyTenant()
	if err != nil {
		fail(err)
	}
	fmt.Printf("fanout: %d subscribers on tenant %s, %d trials\n", *n, id, *trials)
	rss0, _ := memory()
	var all []time.Duration
	var worstP99 time.Duration
	for trial := 1; trial <= *trials; trial++ {
		lat, open, missed, err := runTrial(u.Host, id)
		if err != nil {
			fail(err)
		}
		s := summarise(lat)
		fmt.Printf("  trial %d: %d/%d got the event; latency %s; emulator VmRSS with all open %s\n",
			trial, len(lat), *n, s, mib(open))
		if missed > 0 {
			fmt.Printf("  trial %d: %d subscribers did not get the event within %s\n", trial, missed, *deadline)
		}
		all = append(all, lat...)
		worstP99 = max(worstP99, s.p99)
	}
	_, hwm := memory()
	s := summarise(all)
	fmt.Printf("ROW fanout  %d subscribers x %d trials: latency %s (worst trial p99 %s); emulator VmRSS idle %s, peak (VmHWM) %s  (target: all %d open, p99 <= 100ms, <= 300 MiB)\n",
		*n, *trials, s, ms(worstP99), mib(rss0), mib(hwm), *n)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "fanout:", err)
	os.Exit(1)
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// api calls the emulator and decodes its JSON answer into out.
func api(method, path string, out any) error {
	req, _ := http.NewRequest(method, *baseURL+path, nil)
	req.Header.Set("Authorization", "Bearer "+*token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// readyTenant returns a ready tenant of the user, buying one (the emulator
// auto-approves payments) when there is none.
func readyTenant() (string, error) {
	var me struct {
		Tenants []struct {
			ID string `json:"id"`
		} `json:"tenants"`
	}
	if err := api("GET", "/api/v1/auth/me", &me); err != nil {
		return "", err
	}
	var id string
	if len(me.Tenants) > 0 {
		id = me.Tenants[0].ID
	} else {
		body := `{"price_id":"pri_01pro","region":"fra","redirect_uri":"http://127.0.0.1:9/callback"}`
		req, _ := http.NewRequest("POST", *baseURL+"/api/v1/checkout", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+*token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		var co struct {
			CheckoutURL string `json:"checkout_url"`
		}
		err = json.NewDecoder(resp.Body).Decode(&co)
		resp.Body.Close()
		if err != nil {
			return "", err
		}
		// The auto-approving payment page redirects to the callback: do
		// not follow it, paying is what counts.
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err = noFollow.Get(co.CheckoutURL)
		if err != nil {
			return "", err
		}
		resp.Body.Close()
		if err := api("GET", "/api/v1/auth/me", &me); err != nil {
			return "", err
		}
		if len(me.Tenants) == 0 {
			return "", errors.New("paying created no tenant")
		}
		id = me.Tenants[0].ID
	}
	return id, nil
}

// lastEventID reads the tenant's stream from the start of its current run
// to its end (the stream closes after the run's final event) and returns
// the last event id: subscribers resuming after it wait for the next event.
func lastEventID(id string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", *baseURL+"/api/v1/tenants/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+*token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	last := ""
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
			last = v
		}
	}
	if last == "" {
		return "", errors.New("the tenant has emitted no event")
	}
	return last, nil
}

// runTrial waits for the tenant's current run to end, starts a restart,
// opens the fleet after the restart's first event, and times the arrival
// of the second at each subscriber. It returns the latencies, the
// emulator's VmRSS with the fleet open, and how many subscribers missed
// the event.
func runTrial(host, id string) ([]time.Duration, int64, int, error) {
	last, err := lastEventID(id)
	if err != nil {
		return nil, 0, 0, err
	}
	n0, err := strconv.Atoi(last)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("event id %q is not a number", last)
	}
	t0 := time.Now()
	if err := api("POST", "/api/v1/tenants/"+id+"/restart", nil); err != nil {
		return nil, 0, 0, err
	}
	emitted := t0.Add(*step) // no earlier than this: an upper bound on each latency
	request := "GET /api/v1/tenants/" + id + "/events HTTP/1.1\r\nHost: " + host +
		"\r\nAuthorization: Bearer " + *token + "\r\nAccept: text/event-stream\r\nLast-Event-ID: " + strconv.Itoa(n0+1) + "\r\n\r\n"
	fl, err := openFleet(host, request, *n)
	if err != nil {
		return nil, 0, 0, err
	}
	defer fl.close()
	go fl.loop()
	if !until(*deadline, func() bool { return fl.ready.Load()+fl.dead.Load() >= int64(*n) }) || fl.dead.Load() > 0 {
		return nil, 0, 0, fmt.Errorf("the fleet did not connect within %s: %d ready, %d closed", *deadline, fl.ready.Load(), fl.dead.Load())
	}
	opened := time.Since(t0)
	fmt.Printf("  %d subscribers open %s after the restart\n", *n, opened.Round(time.Millisecond))
	if opened > *step-2*time.Second || fl.arrived.Load() > 0 {
		return nil, 0, 0, fmt.Errorf("the fleet took %s to open, too close to the %s step: raise -step and --step-delay together", opened.Round(time.Millisecond), *step)
	}
	time.Sleep(time.Second) // let the emulator settle before reading its memory
	open, _ := memory()
	until(*step+*deadline, func() bool { return fl.arrived.Load()+fl.dead.Load() >= int64(*n) })
	fl.stop.Store(true)
	var lat []time.Duration
	missed := 0
	for i := range fl.got {
		if t := atomic.LoadInt64(&fl.got[i]); t > 0 {
			lat = append(lat, time.Duration(t-emitted.UnixNano()))
		} else {
			missed++
		}
	}
	if len(lat) == 0 {
		return nil, 0, 0, errors.New("no subscriber got the event")
	}
	return lat, open, missed, nil
}

// until polls cond every millisecond for at most d.
func until(d time.Duration, cond func() bool) bool {
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// memory reads the emulator's VmRSS and VmHWM in bytes (0 without -pid).
func memory() (rss, hwm int64) {
	if *pid == 0 {
		return 0, 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(*pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			hwm = kb << 10
		}
	}
	return rss, hwm
}

func mib(b int64) string { return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20)) }

type stats struct{ p50, p90, p99, max, min time.Duration }

func summarise(d []time.Duration) stats {
	s := slices.Clone(d)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		return s[max(0, min(int(math.Ceil(p*float64(len(s))))-1, len(s)-1))]
	}
	return stats{rank(.5), rank(.9), rank(.99), s[len(s)-1], s[0]}
}

func (s stats) String() string {
	return fmt.Sprintf("median %s p90 %s p99 %s min %s max %s", ms(s.p50), ms(s.p90), ms(s.p99), ms(s.min), ms(s.max))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/1e6) }
