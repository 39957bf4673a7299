package cli

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/cloudctx"
	"github.com/spcloud/spcloud/store"
)

func newTenantCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tenant",
		Short: "Create, list and inspect tenants",
	}
	cmd.AddCommand(newTenantListCmd(f), newTenantShowCmd(f), newTenantStatusCmd(f), newTenantCreateCmd(f),
		newTenantSelectCmd(f), newTenantRestartCmd(f), newTenantRetryCmd(f), newTenantRotateCredentialsCmd(f),
		newTenantRotateSyncTokenCmd(f), newTenantCancelCmd(f), newTenantDeleteCmd(f), newTenantExternalDBCmd(f))
	return cmd
}

func newTenantListCmd(f *Factory) *cobra.Command {
	var asJSON, offline, showSecrets bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List your tenants",
		Long: `List your tenants. Online (the default) it asks the API and updates
tenants.json; with --offline it reads tenants.json only.

--json prints the API's TenantInfo objects online, and the file's
StoredTenant objects offline, with the contract's field names. Database
passwords and sync tokens show as [REDACTED] unless --reveal is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if offline {
				s, err := loadTenantsOffline(f)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(f, maskStoreds(s.Tenants, showSecrets))
				}
				printStoredTenants(f, s.Tenants)
				return nil
			}
			infos, err := syncTenants(cmd.Context(), f)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(f, maskInfos(infos, showSecrets))
			}
			tw := tabwriter.NewWriter(f.IO.Out, 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tREGION\tSTATUS\tHOSTNAME")
			for _, t := range infos {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, orDash(api.Str(t.Region)), orDash(api.Str(t.Status)), orDash(api.Str(t.Hostname)))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&offline, "offline", false, "read tenants.json only; make no network call")
	cmd.Flags().BoolVar(&showSecrets, "reveal", false, "show database passwords and sync tokens in full in --json output")
	return cmd
}

// syncTenants fetches the user's tenants and writes them to tenants.json.
func syncTenants(ctx context.Context, f *Factory) ([]api.TenantInfo, error) {
	client, _, err := f.Client()
	if err != nil {
		return nil, err
	}
	me, err := client.Me(ctx)
	if err != nil {
		return nil, err
	}
	files, err := f.Files()
	if err != nil {
		return nil, err
	}
	aside, err := store.UpdateTenants(files.Tenants, func(s *store.TenantStore) error {
		s.Sync(me.Tenants, f.now())
		return nil
	})
	if err != nil {
		return nil, err
	}
	if aside != "" {
		fmt.Fprintf(f.IO.Err, "The old tenants file was broken; it is kept as %s\n", aside)
	}
	return me.Tenants, nil
}

func loadTenantsOffline(f *Factory) (*store.TenantStore, error) {
	files, err := f.Files()
	if err != nil {
		return nil, err
	}
	return store.LoadTenants(files.Tenants)
}

func printStoredTenants(f *Factory, ts []store.StoredTenant) {
	tw := tabwriter.NewWriter(f.IO.Out, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tTYPE\tREGION\tHOSTNAME")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.TenantType, orDash(t.Region), orDash(t.Hostname))
	}
	tw.Flush()
}

// tenantArg resolves the tenant a command acts on: the argument or flag,
// else the profile's, else the one chosen with 'spcloud tenant select',
// else the only cloud tenant of tenants.json.
func tenantArg(f *Factory, given string) (string, error) {
	files, err := f.Files()
	if err != nil {
		return "", err
	}
	// A missing or broken file only matters when it was needed for a default.
	s, loadErr := store.LoadTenants(files.Tenants)
	if given != "" {
		return idOfName(s, given), nil
	}
	selected := ""
	if files.TenantID == "" {
		selected = f.selectedTenant(files)
	}
	id, err := cloudctx.ResolveTenant("", files, selected, s)
	if errors.Is(err, spcloud.ErrNoTenant) {
		// A broken tenants.json is why no tenant is known: logging in again
		// resyncs it, where creating a tenant would buy one more.
		if errors.Is(loadErr, spcloud.ErrTenantsCorrupted) {
			return "", loadErr
		}
		// Knowing no tenant may just mean not being logged in yet: say so.
		if _, cerr := f.Credentials(); cerr != nil {
			if k := spcloud.KindOf(cerr); k != nil && k.LoginNeeded() {
				return "", cerr
			}
		}
	}
	return id, err
}

// idOfName lets people name a tenant: an id is kept as it is, a name that
// tenants.json knows for exactly one tenant becomes that tenant's id.
func idOfName(s *store.TenantStore, given string) string {
	if s == nil || s.Find(given) != nil {
		return given
	}
	id := ""
	for _, t := range s.Tenants {
		if t.Name == given {
			if id != "" {
				return given // ambiguous: let the API say it knows no such id
			}
			id = t.ID
		}
	}
	if id == "" {
		return given
	}
	return id
}

func newTenantShowCmd(f *Factory) *cobra.Command {
	var asJSON, offline, showSecrets bool
	var flag string
	cmd := &cobra.Command{
		Use:   "show [ID]",
		Short: "Show one tenant",
		Long: `Show one tenant: the ID (or name) given, else the active profile's tenant,
else the one chosen with 'spcloud tenant select', else the only cloud tenant.
Online it asks the API; --offline reads tenants.json.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			given, err := idArg(args, flag)
			if err != nil {
				return err
			}
			id, err := tenantArg(f, given)
			if err != nil {
				return err
			}
			if offline {
				s, err := loadTenantsOffline(f)
				if err != nil {
					return err
				}
				t := s.Find(id)
				if t == nil {
					return spcloud.E(spcloud.ErrTenantNotFound, id+" is not in tenants.json", nil)
				}
				if asJSON {
					return printJSON(f, maskStoreds([]store.StoredTenant{*t}, showSecrets)[0])
				}
				printStoredTenant(f, t)
				return nil
			}
			infos, err := syncTenants(cmd.Context(), f)
			if err != nil {
				return err
			}
			for _, t := range infos {
				if t.ID == id {
					if asJSON {
						return printJSON(f, maskInfos([]api.TenantInfo{t}, showSecrets)[0])
					}
					printTenantInfo(f, &t)
					return nil
				}
			}
			return spcloud.E(spcloud.ErrTenantNotFound, id, nil)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&offline, "offline", false, "read tenants.json only; make no network call")
	cmd.Flags().BoolVar(&showSecrets, "reveal", false, "show database passwords and sync tokens in full in --json output")
	cmd.Flags().StringVar(&flag, "tenant", "", "the tenant, like the ID argument")
	return cmd
}

// idArg is the tenant named by the ID argument or by --tenant (either, so
// that every tenant command takes --tenant); "" when neither is given.
func idArg(args []string, flag string) (string, error) {
	if len(args) == 0 {
		return flag, nil
	}
	if flag != "" && flag != args[0] {
		return "", usageError("the tenant is named twice (%s and --tenant %s); give one", args[0], flag)
	}
	return args[0], nil
}

func printStoredTenant(f *Factory, t *store.StoredTenant) {
	out := f.IO.Out
	fmt.Fprintf(out, "ID:        %s\nName:      %s\nType:      %s\n", t.ID, t.Name, t.TenantType)
	fmt.Fprintf(out, "Region:    %s\nHostname:  %s\nApp:       %s\n", orDash(t.Region), orDash(t.Hostname), orDash(t.AppID))
	fmt.Fprintf(out, "External database access: %v\n", t.ExternalDBAccess)
	fmt.Fprintf(out, "Database URL known: %v\n", t.HasDatabaseURL())
}

func printTenantInfo(f *Factory, t *api.TenantInfo) {
	out := f.IO.Out
	fmt.Fprintf(out, "ID:        %s\nName:      %s\nStatus:    %s\n", t.ID, t.Name, orDash(api.Str(t.Status)))
	fmt.Fprintf(out, "Region:    %s\nHostname:  %s\nApp:       %s\n", orDash(api.Str(t.Region)), orDash(api.Str(t.Hostname)), orDash(api.Str(t.AppID)))
	if t.Plan != nil {
		fmt.Fprintf(out, "Plan:      %s (%d MB, %d GB)\n", t.Plan.Name, t.Plan.MemoryMB, t.Plan.VolumeGB)
	}
	fmt.Fprintf(out, "Subscription: %s\n", orDash(api.Str(t.SubscriptionStatus)))
	fmt.Fprintf(out, "External database access: %v\n", t.ExternalDBAccess)
}

func newTenantStatusCmd(f *Factory) *cobra.Command {
	var asJSON, reveal bool
	var flag string
	cmd := &cobra.Command{
		Use:   "status [ID]",
		Short: "Show a tenant's provisioning status",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			given, err := idArg(args, flag)
			if err != nil {
				return err
			}
			id, err := tenantArg(f, given)
			if err != nil {
				return err
			}
			client, _, err := f.Client()
			if err != nil {
				return err
			}
			st, err := client.TenantStatus(cmd.Context(), id)
			if err != nil {
				return err
			}
			if asJSON {
				// The secrets URL's ticket fetches the tenant's secrets:
				// shown like the other secrets, in full with --reveal only.
				if u := api.Str(st.SecretsURL); u != "" && !reveal {
					st.SecretsURL = api.Ptr(api.RedactText(u))
				}
				return printJSON(f, st)
			}
			fmt.Fprintf(f.IO.Out, "Status:   %s\n", st.Status)
			if m := api.Str(st.Message); m != "" {
				fmt.Fprintf(f.IO.Out, "Message:  %s\n", m)
			}
			if u := api.Str(st.AppURL); u != "" {
				fmt.Fprintf(f.IO.Out, "App URL:  %s\n", u)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&reveal, "reveal", false, "show the secrets URL's ticket in full in --json output")
	cmd.Flags().StringVar(&flag, "tenant", "", "the tenant, like the ID argument")
	return cmd
}
