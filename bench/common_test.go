package bench

import (
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/spcloud/spcloud/emulator"
)

// needBench skips the test unless SPCLOUD_BENCH is set: the rows take tens
// of seconds and want a quiet machine.
func needBench(t *testing.T) {
	t.Helper()
	if os.Getenv("SPCLOUD_BENCH") == "" {
		t.Skip("set SPCLOUD_BENCH=1 to run the benchmark rows (make bench)")
	}
}

// startEmulator serves an in-process emulator on a loopback port.
func startEmulator(t testing.TB, opts emulator.Options) (*emulator.Server, *httptest.Server) {
	t.Helper()
	emu := emulator.New(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		emu.Close() // first: it ends open streams
		srv.Close()
	})
	return emu, srv
}

// stats summarises a sample of durations.
type stats struct {
	n                       int
	min, p50, p90, p99, max time.Duration
}

// summarise sorts d and reads its order statistics (nearest rank).
func summarise(d []time.Duration) stats {
	s := slices.Clone(d)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return stats{n: len(s), min: s[0], p50: rank(0.50), p90: rank(0.90), p99: rank(0.99), max: s[len(s)-1]}
}

func (s stats) String() string {
	return fmt.Sprintf("n=%d median=%s p90=%s p99=%s min=%s max=%s", s.n, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.min), ms(s.max))
}

// ms prints a duration in milliseconds with three decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d)/1e6) }

// row prints one line of results, in the shape bench/run.sh collects.
func row(t *testing.T, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf(format, args...)
	t.Log(line)
	fmt.Println("ROW " + line)
}
