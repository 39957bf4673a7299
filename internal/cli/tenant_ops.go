package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/checkout"
	"github.com/spcloud/spcloud/store"
)

// opOptions are the flags shared by the tenant operations.
type opOptions struct {
	tenant  string
	yes     bool
	asJSON  bool
	noWait  bool
	reveal  bool
	timeout time.Duration
}

func (o *opOptions) addTenant(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.tenant, "tenant", "", tenantFlagUsage)
}

// takeArg lets the tenant be named as an argument too, as tenant show and
// status take it.
func (o *opOptions) takeArg(args []string) error {
	id, err := idArg(args, o.tenant)
	o.tenant = id
	return err
}

func (o *opOptions) addYes(cmd *cobra.Command) {
	cmd.Flags().BoolVarP(&o.yes, "yes", "y", false, "do not ask for confirmation (required without a terminal)")
}

func (o *opOptions) addJSON(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the result as JSON")
}

func (o *opOptions) addWait(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.noWait, "no-wait", false, "return at once instead of following the tenant's events until it is ready")
	cmd.Flags().DurationVar(&o.timeout, "timeout", checkout.DefaultWaitTimeout, "how long to wait for the tenant to be ready")
}

func (o *opOptions) addReveal(cmd *cobra.Command, what string) {
	cmd.Flags().BoolVar(&o.reveal, "reveal", false, "print the new "+what+" in full (it is saved to tenants.json either way)")
}

// opResult is the --json shape of restart and retry.
type opResult struct {
	TenantID string `json:"tenant_id"`
	Status   string `json:"status"`
	Message  string `json:"message,omitempty"`
	AppURL   string `json:"app_url,omitempty"`
}

// waitReady follows the tenant's events until it is ready or failed,
// printing one progress line per event to stderr.
func waitReady(ctx context.Context, f *Factory, t *target, timeout time.Duration) (*api.TenantStatus, error) {
	p := newProgress(f.IO.Err, f.now)
	st, err := checkout.WaitForTenant(ctx, t.client, t.id, checkout.WaitOptions{
		Timeout: timeout,
		OnEvent: func(ev api.ProvisioningEvent) { p.event(ev.EventType, api.Str(ev.Message)) },
		OnFallback: func(err error) {
			fmt.Fprintf(f.IO.Err, "  The event stream was lost (%s); polling the status instead.\n", api.RedactText(err.Error()))
		},
		OnStatus: func(st api.TenantStatus) {
			// While polling; the final "ready" is announced below.
			if st.Status != api.StatusReady {
				p.status(st.Status, api.Str(st.Message))
			}
		},
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(f.IO.Err, "Tenant %s is ready after %s.\n", t.label(), p.elapsed())
	return st, nil
}

func newTenantRestartCmd(f *Factory) *cobra.Command {
	o := &opOptions{}
	cmd := &cobra.Command{
		Use:   "restart [ID]",
		Short: "Restart a tenant's machine",
		Long: `Restart the tenant's machine and follow its events until it is ready again.
The app is unavailable while the machine restarts, so this asks for
confirmation on a terminal; without one, pass --yes.`,
		Example: `  spcloud tenant restart
  spcloud tenant restart --tenant f800de73-2bdf-4c44-8b65-7b2f2bbad456 --yes
  spcloud tenant restart --yes --no-wait --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.takeArg(args); err != nil {
				return err
			}
			ctx := cmd.Context()
			t, err := confirmedTarget(f, o.tenant, o.yes, "Restart tenant %s? Its app is unavailable while the machine restarts.")
			if err != nil {
				return err
			}
			res, err := t.client.RestartTenant(ctx, t.id)
			if err != nil {
				return fmt.Errorf("restart tenant %s: %w", t.id, err)
			}
			fmt.Fprintf(f.IO.Err, "Restarting tenant %s (status: %s).\n", t.label(), res.Status)
			return finishOp(ctx, f, t, o, res.Status, nil)
		},
	}
	o.addTenant(cmd)
	o.addYes(cmd)
	o.addJSON(cmd)
	o.addWait(cmd)
	return cmd
}

func newTenantRetryCmd(f *Factory) *cobra.Command {
	o := &opOptions{}
	cmd := &cobra.Command{
		Use:   "retry [ID]",
		Short: "Retry a tenant's failed provisioning",
		Long: `Start the provisioning of a tenant again, after it failed, and follow its
events until it is ready. When it is, the tenant's database URL and sync
token are fetched again and tenants.json is updated.

Asks for confirmation on a terminal; without one, pass --yes.`,
		Example: `  spcloud tenant retry
  spcloud tenant retry --tenant f800de73-2bdf-4c44-8b65-7b2f2bbad456 --yes`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.takeArg(args); err != nil {
				return err
			}
			ctx := cmd.Context()
			t, err := confirmedTarget(f, o.tenant, o.yes, "Retry provisioning tenant %s?")
			if err != nil {
				return err
			}
			res, err := t.client.RetryProvision(ctx, t.id)
			if err != nil {
				return fmt.Errorf("retry provisioning tenant %s: %w", t.id, err)
			}
			fmt.Fprintf(f.IO.Err, "Provisioning tenant %s again (status: %s).\n", t.label(), res.Status)
			return finishOp(ctx, f, t, o, res.Status, func(st *api.TenantStatus) error {
				return refreshStored(ctx, f, t, st)
			})
		},
	}
	o.addTenant(cmd)
	o.addYes(cmd)
	o.addJSON(cmd)
	o.addWait(cmd)
	return cmd
}

// finishOp waits for the tenant unless --no-wait, runs then on the ready
// status, and prints the result.
func finishOp(ctx context.Context, f *Factory, t *target, o *opOptions, status string, then func(*api.TenantStatus) error) error {
	out := opResult{TenantID: t.id, Status: status}
	if !o.noWait {
		st, err := waitReady(ctx, f, t, o.timeout)
		if err != nil {
			return err
		}
		out.Status, out.Message, out.AppURL = st.Status, api.Str(st.Message), api.Str(st.AppURL)
		if then != nil {
			if err := then(st); err != nil {
				return err
			}
		}
	}
	if o.asJSON {
		return printJSON(f, out)
	}
	fmt.Fprintln(f.IO.Out, out.Status)
	return nil
}

// refreshStored rereads a tenant that was provisioned again: its info from
// /auth/me and its secrets (database URL, sync token), into tenants.json.
func refreshStored(ctx context.Context, f *Factory, t *target, st *api.TenantStatus) error {
	var secrets *api.TenantSecrets
	if u := api.Str(st.SecretsURL); u != "" {
		s, err := t.client.FetchSecrets(ctx, u)
		if err != nil {
			fmt.Fprintf(f.IO.Err, "Warning: the tenant's secrets could not be fetched: %s\n", api.RedactText(err.Error()))
		} else {
			secrets = s
		}
	}
	info := meTenant(ctx, t)
	return updateStored(ctx, f, t, func(s *store.StoredTenant) {
		if info != nil {
			fresh := store.TenantFromInfo(*info)
			fresh.SyncToken = s.SyncToken
			if fresh.ExternalDBAccess {
				fresh.DatabaseURL = s.DatabaseURL
			}
			*s = fresh
		}
		if secrets != nil {
			if secrets.DatabaseURL != "" {
				s.InternalDatabaseURL = secrets.DatabaseURL
			}
			if tok := api.Str(secrets.SyncToken); tok != "" {
				s.SyncToken = tok
			}
		}
	})
}

// dbResult is the --json shape of rotate-credentials and external-db.
type dbResult struct {
	TenantID         string `json:"tenant_id"`
	Status           string `json:"status,omitempty"`
	Message          string `json:"message,omitempty"`
	ExternalDBAccess *bool  `json:"external_db_access,omitempty"`
	DatabaseURL      string `json:"database_url"`
}

// syncTokenResult is rotate-sync-token's --json output: the API's answer
// (RotateSyncTokenResponse) with the tenant, like the other operations.
type syncTokenResult struct {
	TenantID  string `json:"tenant_id"`
	Status    string `json:"status"`
	SyncToken string `json:"sync_token"`
}

// shown is a secret as a command prints it: in full with --reveal only.
func shown(secret string, reveal bool) string {
	if reveal {
		return secret
	}
	if strings.Contains(secret, "://") {
		return api.RedactText(secret)
	}
	if secret == "" {
		return ""
	}
	return api.Redacted
}

func newTenantRotateCredentialsCmd(f *Factory) *cobra.Command {
	o := &opOptions{}
	cmd := &cobra.Command{
		Use:   "rotate-credentials [ID]",
		Short: "Give a tenant's database a new password",
		Long: `Give the tenant's database a new password. Connections made with the old
password stop working, so this asks for confirmation on a terminal; without
one, pass --yes.

The new database URL is saved to tenants.json (internal_database_url, and
database_url while external access is on). It is printed with the password
hidden; --reveal prints it in full.`,
		Example: `  spcloud tenant rotate-credentials
  spcloud tenant rotate-credentials --tenant f800de73-2bdf-4c44-8b65-7b2f2bbad456 --yes
  spcloud tenant rotate-credentials --yes --reveal --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.takeArg(args); err != nil {
				return err
			}
			ctx := cmd.Context()
			t, err := confirmedTarget(f, o.tenant, o.yes, "Rotate the database password of tenant %s? Connections using the old password stop working.")
			if err != nil {
				return err
			}
			res, err := t.client.RotateCredentials(ctx, t.id)
			if err != nil {
				return fmt.Errorf("rotate the database credentials of tenant %s: %w", t.id, err)
			}
			// Learn the internal URL and the access flag, so that each URL
			// lands in its own field.
			info := meTenant(ctx, t)
			if err := updateStored(ctx, f, t, func(s *store.StoredTenant) {
				if info != nil {
					s.ExternalDBAccess = info.ExternalDBAccess
					if info.DatabaseURL != "" {
						s.InternalDatabaseURL = info.DatabaseURL
					}
				}
				switch {
				case res.DatabaseURL == "":
				case s.ExternalDBAccess && res.DatabaseURL != s.InternalDatabaseURL:
					s.DatabaseURL = res.DatabaseURL
				default:
					s.InternalDatabaseURL = res.DatabaseURL
				}
			}); err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Err, "Rotated the database password of tenant %s: %s. The new URL is saved to %s\n", t.label(), orDash(res.Message), t.files.Tenants)
			if o.asJSON {
				return printJSON(f, dbResult{TenantID: t.id, Status: res.Status, Message: res.Message, DatabaseURL: shown(res.DatabaseURL, o.reveal)})
			}
			fmt.Fprintln(f.IO.Out, shown(res.DatabaseURL, o.reveal))
			return nil
		},
	}
	o.addTenant(cmd)
	o.addYes(cmd)
	o.addJSON(cmd)
	o.addReveal(cmd, "database URL")
	return cmd
}

func newTenantRotateSyncTokenCmd(f *Factory) *cobra.Command {
	o := &opOptions{}
	cmd := &cobra.Command{
		Use:   "rotate-sync-token [ID]",
		Short: "Give a tenant a new sync token",
		Long: `Give the tenant a new sync token. Whatever uses the old token must be given
the new one, so this asks for confirmation on a terminal; without one, pass
--yes.

The new token is saved to tenants.json (sync_token) and not printed unless
--reveal is given.`,
		Example: `  spcloud tenant rotate-sync-token
  spcloud tenant rotate-sync-token --tenant f800de73-2bdf-4c44-8b65-7b2f2bbad456 --yes
  spcloud tenant rotate-sync-token --yes --reveal`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.takeArg(args); err != nil {
				return err
			}
			ctx := cmd.Context()
			t, err := confirmedTarget(f, o.tenant, o.yes, "Rotate the sync token of tenant %s? Anything using the old token must be given the new one.")
			if err != nil {
				return err
			}
			res, err := t.client.RotateSyncToken(ctx, t.id)
			if err != nil {
				return fmt.Errorf("rotate the sync token of tenant %s: %w", t.id, err)
			}
			if err := updateStored(ctx, f, t, func(s *store.StoredTenant) { s.SyncToken = res.SyncToken }); err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Err, "Rotated the sync token of tenant %s. The new token is saved to %s\n", t.label(), t.files.Tenants)
			if o.asJSON {
				return printJSON(f, syncTokenResult{TenantID: t.id, Status: res.Status, SyncToken: shown(res.SyncToken, o.reveal)})
			}
			if o.reveal {
				fmt.Fprintln(f.IO.Out, res.SyncToken)
			} else {
				fmt.Fprintln(f.IO.Out, res.Status)
			}
			return nil
		},
	}
	o.addTenant(cmd)
	o.addYes(cmd)
	o.addJSON(cmd)
	o.addReveal(cmd, "sync token")
	return cmd
}

func newTenantCancelCmd(f *Factory) *cobra.Command {
	o := &opOptions{}
	cmd := &cobra.Command{
		Use:   "cancel [ID]",
		Short: "Cancel a tenant's subscription",
		Long: `Cancel the tenant's subscription. The tenant stops being billed and is
removed: it is taken out of tenants.json (and of the selection). Asks for
confirmation on a terminal; without one, pass --yes.`,
		Example: `  spcloud tenant cancel
  spcloud tenant cancel --tenant f800de73-2bdf-4c44-8b65-7b2f2bbad456 --yes`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.takeArg(args); err != nil {
				return err
			}
			ctx := cmd.Context()
			t, err := confirmedTarget(f, o.tenant, o.yes, "Cancel the subscription of tenant %s? The tenant, its machine and its database are removed.")
			if err != nil {
				return err
			}
			if err := t.client.CancelSubscription(ctx, t.id); err != nil {
				return goneOnServer(f, t, fmt.Errorf("cancel the subscription of tenant %s: %w", t.id, err))
			}
			fmt.Fprintf(f.IO.Err, "Cancelled the subscription of tenant %s.\n", t.label())
			return forgetRemoved(f, t, o, api.SubscriptionCanceled)
		},
	}
	o.addTenant(cmd)
	o.addYes(cmd)
	o.addJSON(cmd)
	return cmd
}

// forgetRemoved finishes cancel and delete once the API removed the
// tenant: it takes the tenant out of tenants.json and prints its id, or with
// --json the id and status.
func forgetRemoved(f *Factory, t *target, o *opOptions, status string) error {
	if err := forgetTenant(f, t); err != nil {
		return err
	}
	if o.asJSON {
		return printJSON(f, opResult{TenantID: t.id, Status: status})
	}
	fmt.Fprintln(f.IO.Out, t.id)
	return nil
}

// goneOnServer returns err, the failure of a cancel or delete; when the API
// knows no such tenant, an entry for it in tenants.json is stale and is
// taken out first, so that the next command does not trip on it.
func goneOnServer(f *Factory, t *target, err error) error {
	if errors.Is(err, spcloud.ErrTenantNotFound) {
		if t.name != "" { // tenants.json has it
			fmt.Fprintf(f.IO.Err, "Tenant %s is not on the server any more.\n", t.label())
		}
		if ferr := forgetTenant(f, t); ferr != nil {
			return errors.Join(err, ferr)
		}
	}
	return err
}

func newTenantDeleteCmd(f *Factory) *cobra.Command {
	o := &opOptions{}
	cmd := &cobra.Command{
		Use:   "delete [ID]",
		Short: "Delete a tenant and everything in it",
		Long: `Delete the tenant: its machine, database and secrets are destroyed, and it
is taken out of tenants.json (and of the selection). This cannot be undone,
so it asks for confirmation on a terminal; without one, pass --yes.`,
		Example: `  spcloud tenant delete --tenant f800de73-2bdf-4c44-8b65-7b2f2bbad456
  spcloud tenant delete --tenant f800de73-2bdf-4c44-8b65-7b2f2bbad456 --yes`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.takeArg(args); err != nil {
				return err
			}
			ctx := cmd.Context()
			t, err := confirmedTarget(f, o.tenant, o.yes, "Delete tenant %s? Its machine, database and secrets are destroyed; this cannot be undone.")
			if err != nil {
				return err
			}
			if err := t.client.DeleteTenant(ctx, t.id); err != nil {
				return goneOnServer(f, t, fmt.Errorf("delete tenant %s: %w", t.id, err))
			}
			fmt.Fprintf(f.IO.Err, "Deleted tenant %s.\n", t.label())
			return forgetRemoved(f, t, o, "deleted")
		},
	}
	o.addTenant(cmd)
	o.addYes(cmd)
	o.addJSON(cmd)
	return cmd
}

func newTenantExternalDBCmd(f *Factory) *cobra.Command {
	o := &opOptions{}
	cmd := &cobra.Command{
		Use:   "external-db on|off",
		Short: "Open or close a tenant's database to connections from the internet",
		Long: `Turn external access to the tenant's database on or off. With it on, the
database can be reached from outside the cloud with the URL the API gives,
which is saved to tenants.json (database_url) and printed with the password
hidden (--reveal prints it in full). Turning it off forgets that URL.
Turning it on asks first on a terminal, and needs --yes without one.`,
		Example: `  spcloud tenant external-db on
  spcloud tenant external-db on --yes --reveal
  spcloud tenant external-db off --tenant f800de73-2bdf-4c44-8b65-7b2f2bbad456 --json`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"on", "off"},
		RunE: func(cmd *cobra.Command, args []string) error {
			var enabled bool
			switch strings.ToLower(args[0]) {
			case "on", "true", "enable", "enabled":
				enabled = true
			case "off", "false", "disable", "disabled":
			default:
				return usageError("external-db takes on or off, not %q", args[0])
			}
			ctx := cmd.Context()
			t, err := resolveTarget(f, o.tenant)
			if err != nil {
				return err
			}
			if enabled {
				if err := f.confirm(o.yes, fmt.Sprintf("Open the database of tenant %s to connections from the internet?", t.label())); err != nil {
					return err
				}
			}
			res, err := t.client.SetExternalDBAccess(ctx, t.id, enabled)
			if err != nil {
				return fmt.Errorf("set external database access of tenant %s: %w", t.id, err)
			}
			if err := updateStored(ctx, f, t, func(s *store.StoredTenant) {
				s.ExternalDBAccess = res.ExternalDBAccess
				if res.ExternalDBAccess {
					s.DatabaseURL = res.DatabaseURL
				} else {
					s.DatabaseURL = ""
					if res.DatabaseURL != "" {
						s.InternalDatabaseURL = res.DatabaseURL
					}
				}
			}); err != nil {
				return err
			}
			state := "off"
			if res.ExternalDBAccess {
				state = "on"
			}
			fmt.Fprintf(f.IO.Err, "External database access is %s for tenant %s. Saved to %s\n", state, t.label(), t.files.Tenants)
			if o.asJSON {
				return printJSON(f, dbResult{TenantID: res.TenantID, ExternalDBAccess: &res.ExternalDBAccess, DatabaseURL: shown(res.DatabaseURL, o.reveal)})
			}
			fmt.Fprintln(f.IO.Out, shown(res.DatabaseURL, o.reveal))
			return nil
		},
	}
	o.addTenant(cmd)
	o.addJSON(cmd)
	o.addReveal(cmd, "database URL")
	o.addYes(cmd)
	return cmd
}
