package emulator

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// syncRecorder is a ResponseWriter that many handler goroutines can write
// to while the test reads it after they end.
type syncRecorder struct {
	hdr    http.Header
	body   bytes.Buffer
	status int
}

func (r *syncRecorder) Header() http.Header         { return r.hdr }
func (r *syncRecorder) WriteHeader(code int)        { r.status = code }
func (r *syncRecorder) Write(p []byte) (int, error) { return r.body.Write(p) }
func (r *syncRecorder) Flush()                      {}

// TestFanOut attaches 10,000 subscribers to one tenant while it provisions;
// each gets every event once, in order.
func TestFanOut(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	emu := New(Options{StepDelay: 20 * time.Millisecond})
	defer emu.Close()
	srv := httptest.NewServer(emu)
	defer srv.Close()
	e := &env{t: t, emu: emu, srv: srv, client: srv.Client()}
	e.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	tok := e.token(DemoUserEmail)
	id, _ := e.newTenant(tok)

	recs := make([]*syncRecorder, n)
	var wg sync.WaitGroup
	for i := range recs {
		recs[i] = &syncRecorder{hdr: http.Header{}}
		req := httptest.NewRequest("GET", "/api/v1/tenants/"+id+"/events", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Last-Event-ID", "0")
		wg.Add(1)
		go func(rec *syncRecorder) {
			defer wg.Done()
			emu.ServeHTTP(rec, req)
		}(recs[i])
	}
	wg.Wait()
	want := recs[0].body.String()
	if bytes.Count(recs[0].body.Bytes(), []byte("event: provisioning")) != len(healthyRun) {
		t.Fatalf("first subscriber got:\n%s", want)
	}
	for i, r := range recs {
		if r.status != 200 || r.body.String() != want {
			t.Fatalf("subscriber %d differs (status %d):\n%s", i, r.status, r.body.String())
		}
	}
}
