package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
)

// Exit codes of the command.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitCancelled   = 2
	ExitLoginNeeded = 4
)

// NewRootCmd builds the whole command tree on f.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "spcloud",
		Short: "The systemprompt.io Cloud client",
		Long: `spcloud logs you in to systemprompt.io Cloud, buys and watches tenants, and
manages them. It reads and writes the same .systemprompt/ files as the
reference client, so it works in existing projects.

Try it offline, with no account: spcloud demo`,
		Version:       spcloud.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("spcloud {{.Version}}\n")
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.Err)
	pf := root.PersistentFlags()
	pf.StringVar(&f.apiURLFlag, "api-url", "", "API base URL (default: $SYSTEMPROMPT_API_URL, else the --env URL)")
	pf.StringVar(&f.envFlag, "env", "production", "environment: production or sandbox")
	pf.BoolVarP(&f.verbose, "verbose", "v", false, "log requests and answers to stderr (secrets redacted)")

	root.AddGroup(&cobra.Group{ID: "main", Title: "Main commands:"}, &cobra.Group{ID: "local", Title: "Local files and diagnosis:"}, &cobra.Group{ID: "dev", Title: "Offline development:"})
	for _, c := range []*cobra.Command{newAuthCmd(f), newPlansCmd(f), newRegionsCmd(f), newTenantCmd(f), newSecretsCmd(f), newDomainCmd(f), newDeployCmd(f)} {
		c.GroupID = "main"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newSessionCmd(f), newDoctorCmd(f)} {
		c.GroupID = "local"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newEmulatorCmd(f), newDemoCmd(f)} {
		c.GroupID = "dev"
		root.AddCommand(c)
	}
	for _, c := range root.Commands() {
		strictGroup(c)
	}
	return root
}

// strictGroup makes a command group (one with subcommands and nothing to
// run itself) refuse an unknown subcommand with an error, as the root does:
// cobra would print the group's help and succeed, and a script with a typo
// would carry on as if it had worked. Alone, the group still shows its help.
func strictGroup(c *cobra.Command) {
	if !c.HasSubCommands() || c.Runnable() {
		return
	}
	c.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageError("unknown command %q for %q; see '%s --help'", args[0], cmd.CommandPath(), cmd.CommandPath())
		}
		return nil
	}
	c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
}

// Main runs the command line args in this process and returns the exit code.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f := NewFactory()
	return Run(ctx, f, args)
}

// Run runs args on the tree built on f and returns the exit code. Errors are
// printed to f.IO.Err with their recovery hint.
func Run(ctx context.Context, f *Factory, args []string) int {
	root := NewRootCmd(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	return reportError(f, err)
}

// reportError prints err for a person and picks the exit code.
func reportError(f *Factory, err error) int {
	if errors.Is(err, context.Canceled) || errors.Is(err, spcloud.ErrCancelled) {
		fmt.Fprintln(f.IO.Err, "Cancelled.")
		return ExitCancelled
	}
	msg := api.RedactText(err.Error())
	fmt.Fprintf(f.IO.Err, "Error: %s\n", msg)
	kind := spcloud.KindOf(err)
	if hint := spcloud.HintOf(err); hint != "" {
		fmt.Fprintf(f.IO.Err, "Hint: %s\n", hint)
	}
	if kind != nil && kind.LoginNeeded() {
		return ExitLoginNeeded
	}
	return ExitError
}

// usageError is an error in how the command was called.
func usageError(format string, args ...any) error { return fmt.Errorf(format, args...) }

// printJSON writes v to out as indented JSON.
func printJSON(f *Factory, v any) error {
	enc := json.NewEncoder(f.IO.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
