package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/emulator"
	"github.com/spcloud/spcloud/internal/person"
)

func newDemoCmd(f *Factory) *cobra.Command {
	var keep bool
	var stepDelay time.Duration
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole story offline: log in, buy a tenant, watch it come up",
		Long: `Run the main job of spcloud end to end against an in-process emulator of
systemprompt.io Cloud, in a new temporary project folder, with a scripted
person who approves the login and pays on the payment page over real HTTP.

Nothing is needed: no account, no network, no setup. It prints what a user
would see, and exits 0 when every step worked.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDemo(cmd.Context(), f, stepDelay, keep) },
	}
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the temporary project folder to look at its files")
	cmd.Flags().DurationVar(&stepDelay, "step-delay", 150*time.Millisecond, "the emulator's delay between provisioning events")
	return cmd
}

func runDemo(ctx context.Context, f *Factory, stepDelay time.Duration, keep bool) error {
	out := f.IO.Out
	dir, err := os.MkdirTemp("", "spcloud-demo-")
	if err != nil {
		return err
	}
	if keep {
		defer fmt.Fprintf(out, "\nThe project folder is kept at %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	emu := newEmulator(emulator.Options{StepDelay: stepDelay})
	defer emu.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	apiURL := "http://" + ln.Addr().String()

	fmt.Fprintf(out, "spcloud demo: a local systemprompt.io Cloud emulator runs at %s\n", apiURL)
	fmt.Fprintf(out, "A new project folder: %s\n", dir)
	fmt.Fprintln(out, "A scripted person approves the login and pays when the browser opens.")

	p := &person.Person{Clicks: []string{"approve", "pay"}, Log: out}
	env := map[string]string{spcloud.EnvAPIURL: apiURL}
	sub := func() *Factory {
		return &Factory{
			IO: IOStreams{In: strings.NewReader(""), Out: out, Err: out},
			Getenv: func(k string) string {
				if v, ok := env[k]; ok {
					return v
				}
				switch k {
				case spcloud.EnvAPIToken, spcloud.EnvProfile, spcloud.EnvFlyAppName, "SPCLOUD_BROWSER", "BROWSER":
					return "" // the demo's project is self-contained
				}
				return f.Getenv(k)
			},
			Cwd:         dir,
			Now:         f.Now,
			OpenBrowser: p.Open,
		}
	}
	steps := [][]string{
		{"auth", "login", "--provider", "github"},
		{"auth", "whoami"},
		{"plans"},
		{"tenant", "create", "--plan", "pro", "--region", "fra"},
		{"tenant", "list"},
		{"tenant", "status"},
	}
	for _, args := range steps {
		fmt.Fprintf(out, "\n$ spcloud %s\n", strings.Join(args, " "))
		if code := Run(ctx, sub(), args); code != ExitOK {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("demo step 'spcloud %s' failed (exit %d)", strings.Join(args, " "), code)
		}
		if err := p.Wait(); err != nil {
			return fmt.Errorf("the scripted person's browser failed: %w", err)
		}
	}
	fmt.Fprintln(out, "\nFiles written, in the reference client's formats:")
	listFiles(out, filepath.Join(dir, ".systemprompt"))
	fmt.Fprintln(out, "\nDemo complete. Against the real cloud, run 'spcloud auth login'.")
	return nil
}

func listFiles(w io.Writer, dir string) {
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(filepath.Dir(dir), path)
		if info.IsDir() {
			fmt.Fprintf(w, "  %s %s/\n", info.Mode(), rel)
		} else {
			fmt.Fprintf(w, "  %s %s (%d bytes)\n", info.Mode().Perm(), rel, info.Size())
		}
		return nil
	})
}
