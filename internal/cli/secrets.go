package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spcloud/spcloud"
)

func newSecretsCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "List, set and unset a tenant's secrets (environment variables)",
		Long: `Manage the secrets of a tenant: environment variables its app receives.

Only names are ever shown; values go to the cloud and nowhere else. Values
can come from a .env file or standard input, so they need not sit in your
shell history. The variables the platform manages (` + strings.Join(spcloud.ManagedVariables, ", ") + `)
cannot be set or unset.`,
	}
	cmd.AddCommand(newSecretsListCmd(f), newSecretsSetCmd(f), newSecretsUnsetCmd(f))
	return cmd
}

// secretKeysResult is the --json shape of secrets list.
type secretKeysResult struct {
	TenantID string   `json:"tenant_id"`
	Keys     []string `json:"keys"`
}

func newSecretsListCmd(f *Factory) *cobra.Command {
	var tenant string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the names of a tenant's secrets",
		Long:  `List the names of the tenant's secrets, one per line. Values are never shown.`,
		Example: `  spcloud secrets list
  spcloud secrets list --tenant f800de73-2bdf-4c44-8b65-7b2f2bbad456 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := resolveTarget(f, tenant)
			if err != nil {
				return err
			}
			keys, err := t.client.ListSecrets(cmd.Context(), t.id)
			if err != nil {
				return fmt.Errorf("list the secrets of tenant %s: %w", t.id, err)
			}
			if asJSON {
				return printJSON(f, secretKeysResult{TenantID: t.id, Keys: keys})
			}
			if len(keys) == 0 {
				fmt.Fprintf(f.IO.Err, "Tenant %s has no secrets. Set one with 'spcloud secrets set KEY'.\n", t.label())
			}
			for _, k := range keys {
				fmt.Fprintln(f.IO.Out, k)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", tenantFlagUsage)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: {\"tenant_id\", \"keys\"}")
	return cmd
}

// checkSecretName refuses names that are not variable names and the
// platform-managed ones.
func checkSecretName(k string) error {
	if !validSecretName(k) {
		return usageError("%q is not a valid secret name (letters, digits and _, not starting with a digit)", k)
	}
	if spcloud.IsManagedVariable(k) {
		return usageError("%s is managed by the platform and cannot be set or unset as a secret (managed: %s)", k, strings.Join(spcloud.ManagedVariables, ", "))
	}
	return nil
}

func newSecretsSetCmd(f *Factory) *cobra.Command {
	var tenant, fromFile string
	cmd := &cobra.Command{
		Use:   "set [KEY=VALUE | KEY]...",
		Short: "Set secrets of a tenant",
		Long: `Set (add or replace) secrets of the tenant.

Values can be given three ways:
  KEY=VALUE        on the command line (it stays in your shell history);
  KEY              alone: the value is read from standard input, typed
                   without echo on a terminal, or piped (all of it, less one
                   trailing newline, so multi-line values work);
  --from-file FILE a .env file: KEY=VALUE lines, blank lines and # comments,
                   an optional 'export ' prefix, 'single' or "double" quoted
                   values (double quotes understand \n and may span lines).
                   --from-file - reads the file from standard input.

Arguments win over the file for the same name. All names are checked before
anything is sent; the platform-managed variables are refused. Only names are
printed.`,
		Example: `  spcloud secrets set --from-file .env.production
  spcloud secrets set ANTHROPIC_API_KEY            # type the value, unseen
  printf %s "$KEY" | spcloud secrets set OPENAI_API_KEY
  spcloud secrets set LOG_LEVEL=debug FEATURE_X=on --tenant f800de73-2bdf-4c44-8b65-7b2f2bbad456`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && fromFile == "" {
				return usageError("give KEY=VALUE, KEY (value from standard input) or --from-file FILE")
			}
			secrets := map[string]string{}
			var order []string
			put := func(k, v string) {
				if _, ok := secrets[k]; !ok {
					order = append(order, k)
				}
				secrets[k] = v
			}
			var fromStdin []string
			var inline []string
			for _, a := range args {
				k, _, hasValue := strings.Cut(a, "=")
				if err := checkSecretName(k); err != nil {
					return err
				}
				if hasValue {
					inline = append(inline, k)
					continue
				}
				fromStdin = append(fromStdin, k)
			}
			if len(fromStdin) > 1 {
				return usageError("only one KEY can read its value from standard input (got %s); use --from-file for several", strings.Join(fromStdin, ", "))
			}
			if len(fromStdin) == 1 && fromFile == "-" {
				return usageError("standard input cannot hold both the value of %s and --from-file -", fromStdin[0])
			}
			if fromFile != "" {
				pairs, err := readDotenv(f, fromFile)
				if err != nil {
					return err
				}
				for _, p := range pairs {
					if err := checkSecretName(p.Key); err != nil {
						return fmt.Errorf("%s line %d: %w", fromFile, p.Line, err)
					}
					put(p.Key, p.Value)
				}
			}
			for _, a := range args {
				if k, v, ok := strings.Cut(a, "="); ok {
					put(k, v)
				}
			}
			t, err := resolveTarget(f, tenant)
			if err != nil {
				return err
			}
			if len(fromStdin) == 1 {
				v, err := readSecretValue(cmd.Context(), f, fromStdin[0])
				if err != nil {
					return err
				}
				put(fromStdin[0], v)
			}
			if len(secrets) == 0 {
				return usageError("%s holds no KEY=VALUE lines; nothing to set", fromFile)
			}
			if len(inline) > 0 && f.IO.Interactive {
				fmt.Fprintf(f.IO.Err, "Note: values given as KEY=VALUE stay in your shell history; 'spcloud secrets set %s' reads one unseen.\n", inline[0])
			}
			if err := t.client.SetSecrets(cmd.Context(), t.id, secrets); err != nil {
				return fmt.Errorf("set secrets on tenant %s: %w", t.id, err)
			}
			fmt.Fprintf(f.IO.Err, "Set %d secret%s on tenant %s: %s\n", len(order), plural(len(order)), t.label(), strings.Join(order, ", "))
			return nil
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", tenantFlagUsage)
	cmd.Flags().StringVar(&fromFile, "from-file", "", "read KEY=VALUE lines from a .env file (- for standard input)")
	return cmd
}

// readDotenv reads and parses a .env file, or standard input for "-".
func readDotenv(f *Factory, path string) ([]envPair, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(io.LimitReader(f.IO.In, 4<<20))
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	pairs, err := parseDotenv(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pairs, nil
}

// readSecretValue reads one value from standard input: one line typed
// without echo on a terminal, else everything piped in less one trailing
// newline.
func readSecretValue(ctx context.Context, f *Factory, key string) (string, error) {
	type answer struct {
		v   string
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		if f.IO.Interactive {
			fmt.Fprintf(f.IO.Err, "Value for %s: ", key)
			v, _, err := withoutEcho(f.IO.In, f.readLine)
			if err != nil && v == "" {
				ch <- answer{err: spcloud.ErrCancelled}
				return
			}
			ch <- answer{v: strings.TrimRight(v, "\r\n")}
			return
		}
		b, err := io.ReadAll(io.LimitReader(f.IO.In, 1<<20+1))
		if err != nil {
			ch <- answer{err: fmt.Errorf("read the value of %s from standard input: %w", key, err)}
			return
		}
		if len(b) > 1<<20 {
			ch <- answer{err: usageError("the value of %s on standard input is larger than 1 MiB", key)}
			return
		}
		v := strings.TrimSuffix(string(b), "\n")
		v = strings.TrimSuffix(v, "\r")
		ch <- answer{v: v}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case a := <-ch:
		if a.err != nil {
			return "", a.err
		}
		if a.v == "" {
			return "", usageError("standard input held no value for %s (pipe it in, e.g. printf %%s \"$VALUE\" | spcloud secrets set %s)", key, key)
		}
		return a.v, nil
	}
}

func newSecretsUnsetCmd(f *Factory) *cobra.Command {
	var tenant string
	cmd := &cobra.Command{
		Use:   "unset KEY...",
		Short: "Remove secrets of a tenant",
		Long: `Remove secrets of the tenant by name. A name the tenant does not have is an
error that names it; the names before it are removed.`,
		Example: `  spcloud secrets unset FEATURE_X
  spcloud secrets unset OLD_KEY OTHER_KEY --tenant f800de73-2bdf-4c44-8b65-7b2f2bbad456`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			keys := unique(args)
			for _, k := range keys {
				if err := checkSecretName(k); err != nil {
					return err
				}
			}
			t, err := resolveTarget(f, tenant)
			if err != nil {
				return err
			}
			// Check every name first, so a typo removes nothing.
			have, err := t.client.ListSecrets(cmd.Context(), t.id)
			if err != nil {
				return err
			}
			var missing []string
			for _, k := range keys {
				if !slices.Contains(have, k) {
					missing = append(missing, k)
				}
			}
			if len(missing) > 0 {
				return fmt.Errorf("tenant %s has no secret named %s; nothing was removed (see 'spcloud secrets list')", t.id, strings.Join(missing, ", "))
			}
			var done []string
			for _, k := range keys {
				if err := t.client.UnsetSecret(cmd.Context(), t.id, k); err != nil {
					if len(done) > 0 {
						fmt.Fprintf(f.IO.Err, "Removed %s from tenant %s.\n", strings.Join(done, ", "), t.label())
					}
					var ae *spcloud.APIError
					if errors.As(err, &ae) && ae.Status == 404 && ae.Code == "secret_not_found" {
						return fmt.Errorf("tenant %s has no secret named %s (see 'spcloud secrets list')", t.id, k)
					}
					return fmt.Errorf("unset %s on tenant %s: %w", k, t.id, err)
				}
				done = append(done, k)
			}
			fmt.Fprintf(f.IO.Err, "Removed %d secret%s from tenant %s: %s\n", len(done), plural(len(done)), t.label(), strings.Join(done, ", "))
			return nil
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", tenantFlagUsage)
	return cmd
}

func unique(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
