package bench

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/spcloud/spcloud/internal/cli"
)

// The in-process part of `spcloud --version` and `spcloud --help`: building
// the command tree and running it, without the process start. For pprof:
//
//	go test ./bench -run XXX -bench Startup -cpuprofile cpu.prof -memprofile mem.prof
func benchArgs(b *testing.B, args ...string) {
	ctx := context.Background()
	for b.Loop() {
		f := &cli.Factory{
			IO:     cli.IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard},
			Getenv: func(string) string { return "" },
			Cwd:    "/nonexistent",
		}
		if code := cli.Run(ctx, f, args); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

func BenchmarkStartupVersion(b *testing.B) { benchArgs(b, "--version") }
func BenchmarkStartupHelp(b *testing.B)    { benchArgs(b, "--help") }
