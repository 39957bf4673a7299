package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/spcloud/spcloud/emulator"
)

func newEmulatorCmd(f *Factory) *cobra.Command {
	var addr string
	o := emulator.Options{}
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Run a local systemprompt.io Cloud for offline development and tests",
		Long: `Run a local, in-memory systemprompt.io Cloud that follows the API contract:
OAuth with a consent page, plans, checkout with a payment page, provisioning
that emits events over time, tenant status and secrets, every tenant
operation, and an OCI registry under /v2/ that 'spcloud deploy --image-tar'
pushes to with the registry token.

Point spcloud (or any client) at it:

  export SYSTEMPROMPT_API_URL=http://127.0.0.1:8787

The fault flags make it misbehave on purpose, to test clients on bad
networks. Stop it with Ctrl-C.`,
		Example: `  spcloud emulator --addr 127.0.0.1:8787
  spcloud emulator --auto-approve --step-delay 20ms
  spcloud emulator --drop-stream-every 2 --fail-first 2`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("emulator cannot listen on %s: %w", addr, err)
			}
			if f.verbose {
				o.Logf = func(format string, args ...any) { fmt.Fprintf(f.IO.Err, format+"\n", args...) }
			}
			emu := newEmulator(o)
			defer emu.Close()
			srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
			url := "http://" + ln.Addr().String()
			fmt.Fprintf(f.IO.Err, "systemprompt.io Cloud emulator listening on %s\n", url)
			fmt.Fprintf(f.IO.Err, "Use it with: export SYSTEMPROMPT_API_URL=%s\n", url)
			fmt.Fprintln(f.IO.Out, url)
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-cmd.Context().Done():
			}
			emu.Close()
			shutdown, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			fmt.Fprintln(f.IO.Err, "Emulator stopped.")
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8787", "address to listen on (port 0 picks a free one)")
	fl.BoolVar(&o.AutoApprove, "auto-approve", false, "consent and payment pages redirect at once, as if approved and paid")
	fl.DurationVar(&o.StepDelay, "step-delay", 300*time.Millisecond, "delay between provisioning events")
	fl.DurationVar(&o.TokenTTL, "token-ttl", 24*time.Hour, "lifetime of the tokens it issues")
	fl.DurationVar(&o.Heartbeat, "heartbeat", 15*time.Second, "heartbeat interval on idle event streams")
	fl.IntVar(&o.DropStreamEvery, "drop-stream-every", 0, "fault: close each event stream after N events")
	fl.IntVar(&o.FailFirst, "fail-first", 0, "fault: answer the first N GET calls to each path with 503 and Retry-After: 1")
	fl.DurationVar(&o.Latency, "latency", 0, "fault: add this delay to every answer")
	fl.IntVar(&o.StallStreamAfter, "stall-stream-after", 0, "fault: stop sending on each event stream after N events, without closing it")
	return cmd
}
