package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/emulator"
)

// meBench is the pair of loops of the client-rate row.
type meBench struct {
	client *api.Client
	raw    *http.Client
	url    string
	tok    string
}

func newMeBench(t testing.TB) *meBench {
	emu, srv := startEmulator(t, emulator.Options{})
	tok, err := emu.IssueToken(emulator.DemoUserEmail)
	if err != nil {
		t.Fatal(err)
	}
	return &meBench{
		client: api.New(srv.URL, tok),
		raw:    &http.Client{Transport: &http.Transport{}},
		url:    srv.URL + "/api/v1/auth/me",
		tok:    tok,
	}
}

// spcloud calls GET /auth/me through api.Client.
func (m *meBench) spcloud(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		me, err := m.client.Me(ctx)
		if err != nil || me.User.Email == "" {
			b.Fatal(err)
		}
	}
}

// bare does the same work with net/http alone: bearer header, read the
// body, check the status, decode the same struct.
func (m *meBench) bare(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+m.tok)
		resp, err := m.raw.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatal(resp.StatusCode, err)
		}
		var me api.UserMeResponse
		if err := json.Unmarshal(body, &me); err != nil || me.User.Email == "" {
			b.Fatal(err)
		}
	}
}

// go test ./bench -bench Me -cpuprofile cpu.prof: either loop alone, for pprof.
func BenchmarkMeSpcloud(b *testing.B) { newMeBench(b).spcloud(b) }
func BenchmarkMeNetHTTP(b *testing.B) { newMeBench(b).bare(b) }

// Row "API client: sequential calls on one connection": api.Client.Me
// against a bare net/http loop doing the same work, same in-process
// emulator, one keep-alive connection each, in alternating rounds.
func TestClientRate(t *testing.T) {
	needBench(t)
	m := newMeBench(t)
	const rounds = 9
	var rs, rb []float64 // calls per second
	for range rounds {
		rb = append(rb, rate(testing.Benchmark(m.bare)))
		rs = append(rs, rate(testing.Benchmark(m.spcloud)))
	}
	mb, msp := median(rb), median(rs)
	row(t, "client-rate  net/http %s  spcloud api.Client %s  ratio %.3f (target >= 0.9)",
		rateStr(rb), rateStr(rs), msp/mb)
	if msp/mb < 0.9 {
		t.Logf("target missed: ratio %.3f < 0.9", msp/mb)
	}
}

func rate(r testing.BenchmarkResult) float64 {
	return float64(r.N) / r.T.Seconds()
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func rateStr(v []float64) string {
	s := slices.Clone(v)
	slices.Sort(s)
	return fmt.Sprintf("median %.0f/s (min %.0f, max %.0f)", s[len(s)/2], s[0], s[len(s)-1])
}
