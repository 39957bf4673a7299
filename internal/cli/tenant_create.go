package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/checkout"
	"github.com/spcloud/spcloud/store"
)

type createOptions struct {
	plan, region string
	callbackPort int
	noBrowser    bool
	asJSON       bool
	timeout      time.Duration
}

// createResult is the --json shape of tenant create.
type createResult struct {
	TenantID      string `json:"tenant_id"`
	TenantName    string `json:"tenant_name"`
	TransactionID string `json:"transaction_id"`
	PlanID        string `json:"plan_id"`
	Region        string `json:"region"`
	FlyAppName    string `json:"fly_app_name,omitempty"`
	AppURL        string `json:"app_url,omitempty"`
	NeedsDeploy   bool   `json:"needs_deploy"`
}

func newTenantCreateCmd(f *Factory) *cobra.Command {
	o := &createOptions{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Buy a tenant and watch it come up",
		Long: `Buy a tenant: pick a plan and a region, pay in your browser, then watch the
provisioning events live on stderr until the tenant is ready. The tenant's
secrets are fetched and the tenant is stored in tenants.json.

On a terminal, a missing --plan or --region is asked for; without one,
--plan is required and the region defaults to iad.`,
		Example: `  spcloud tenant create --plan pro --region fra
  spcloud tenant create --plan plan_starter --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCreate(cmd.Context(), f, o) },
	}
	fl := cmd.Flags()
	fl.StringVar(&o.plan, "plan", "", "plan id or name (see 'spcloud plans')")
	fl.StringVar(&o.region, "region", "", "region code (see 'spcloud regions'; default iad)")
	fl.IntVar(&o.callbackPort, "callback-port", 0, "pin the local callback port (default 8766 when free, else any free port)")
	fl.BoolVar(&o.noBrowser, "no-browser", false, "print the payment URL instead of opening a browser")
	fl.BoolVar(&o.asJSON, "json", false, "print the result as JSON")
	fl.DurationVar(&o.timeout, "timeout", spcloud.CallbackTimeout, "how long to wait for the browser")
	return cmd
}

func runCreate(ctx context.Context, f *Factory, o *createOptions) (err error) {
	client, _, err := f.Client()
	if err != nil {
		return err
	}
	files, err := f.Files()
	if err != nil {
		return err
	}
	plans, err := client.Plans(ctx)
	if err != nil {
		return err
	}
	if len(plans) == 0 {
		return fmt.Errorf("the API offers no plans")
	}
	plan, err := pickPlan(f, plans, o.plan)
	if err != nil {
		return err
	}
	region, err := pickRegion(f, o.region)
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Err, "Buying a %s tenant in %s, %s.\n", plan.Name, region.Code, region.Name)
	progress := newProgress(f.IO.Err, f.now)
	// Once an event names the tenant it is paid for and exists: a command
	// cut short after that (Ctrl-C, a lost network) says how to pick it up.
	paid, saved := "", false
	defer func() {
		if err != nil && paid != "" && !saved {
			fmt.Fprintf(f.IO.Err, "The payment went through: tenant %s exists and may still be coming up.\n"+
				"Follow it with 'spcloud tenant status %s'; 'spcloud tenant list' saves it to %s.\n", paid, paid, files.Tenants)
		}
	}()
	res, err := checkout.Run(ctx, checkout.Options{
		Client:    client,
		PriceID:   plan.PaddlePriceID,
		Region:    region.Code,
		Port:      o.callbackPort,
		PinPort:   o.callbackPort != 0,
		NoBrowser: o.noBrowser,
		Stderr:    f.IO.Err,
		Timeout:   o.timeout,
		Open:      f.browserOpen(),
		OnEvent: func(ev api.CheckoutEvent) {
			if paid == "" {
				paid = ev.TenantID
			}
			progress.event(ev.EventType, api.Str(ev.Message))
		},
	})
	if err != nil {
		return err
	}
	paid = res.TenantID
	// The tenant's secrets are ready from infrastructure_ready on (CONTRACT §5).
	// A checkout that came back "completed" skipped the event stream, so the
	// tenant may still be coming up: wait for it then.
	st, err := client.TenantStatus(ctx, res.TenantID)
	if err == nil && st.Status != api.StatusReady {
		st, err = checkout.WaitForTenant(ctx, client, res.TenantID, checkout.WaitOptions{
			OnEvent: func(ev api.ProvisioningEvent) { progress.event(ev.EventType, api.Str(ev.Message)) },
		})
	}
	if err != nil {
		return fmt.Errorf("tenant %s was bought, but it is not ready: %w", res.TenantID, err)
	}
	var secrets *api.TenantSecrets
	if u := api.Str(st.SecretsURL); u != "" {
		if secrets, err = client.FetchSecrets(ctx, u); err != nil {
			return fmt.Errorf("tenant %s is provisioned, but its secrets could not be fetched: %w", res.TenantID, err)
		}
	}
	me, err := client.Me(ctx)
	if err != nil {
		return err
	}
	info := tenantInfo(me.Tenants, res.TenantID)
	if info == nil {
		return spcloud.E(spcloud.ErrTenantNotFound, "the new tenant "+res.TenantID+" is not in your account yet", nil)
	}
	stored := store.TenantFromInfo(*info)
	if secrets != nil {
		if secrets.DatabaseURL != "" {
			stored.InternalDatabaseURL = secrets.DatabaseURL
		}
		stored.SyncToken = api.Str(secrets.SyncToken)
	}
	aside, err := store.UpdateTenants(files.Tenants, func(s *store.TenantStore) error {
		s.Put(stored)
		return nil
	})
	if err != nil {
		return err
	}
	saved = true
	if aside != "" {
		fmt.Fprintf(f.IO.Err, "The old tenants file was broken; it is kept as %s\n", aside)
	}
	appURL := res.AppURL
	if appURL == "" {
		appURL = api.Str(st.AppURL)
	}
	out := createResult{TenantID: res.TenantID, TenantName: info.Name, TransactionID: res.TransactionID, PlanID: plan.ID,
		Region: region.Code, FlyAppName: res.FlyAppName, AppURL: appURL, NeedsDeploy: res.NeedsDeploy}
	if res.NeedsDeploy {
		fmt.Fprintf(f.IO.Err, "Tenant %s (%s): its infrastructure is ready after %s, waiting for your app. Saved to %s\n", info.Name, res.TenantID, progress.elapsed(), files.Tenants)
		fmt.Fprintln(f.IO.Err, "Next: deploy your app with 'spcloud deploy'.")
	} else {
		fmt.Fprintf(f.IO.Err, "Tenant %s (%s) is ready after %s. Saved to %s\n", info.Name, res.TenantID, progress.elapsed(), files.Tenants)
		if appURL != "" {
			fmt.Fprintf(f.IO.Err, "Your app runs at %s\n", appURL)
		}
	}
	if o.asJSON {
		return printJSON(f, out)
	}
	fmt.Fprintf(f.IO.Out, "%s\n", res.TenantID)
	return nil
}

func pickPlan(f *Factory, plans []api.Plan, flag string) (api.Plan, error) {
	if flag != "" {
		return findPlan(plans, flag)
	}
	if !f.IO.Interactive {
		return api.Plan{}, usageError("--plan is required when there is no terminal to ask on (see 'spcloud plans')")
	}
	var names []string
	for _, p := range plans {
		names = append(names, fmt.Sprintf("%s (%d MB, %d GB)", p.Name, p.MemoryMBDefault, p.VolumeGB))
	}
	i, err := f.choose("Plan", names, 0)
	if err != nil {
		return api.Plan{}, err
	}
	return plans[i], nil
}

func pickRegion(f *Factory, flag string) (spcloud.Region, error) {
	if flag == "" && f.IO.Interactive {
		var names []string
		for _, r := range spcloud.Regions {
			names = append(names, r.Code+"  "+r.Name)
		}
		i, err := f.choose("Region", names, 0)
		if err != nil {
			return spcloud.Region{}, err
		}
		return spcloud.Regions[i], nil
	}
	if flag == "" {
		flag = spcloud.DefaultRegion
	}
	r, ok := spcloud.LookupRegion(flag)
	if !ok {
		return spcloud.Region{}, usageError("unknown region %q (see 'spcloud regions')", flag)
	}
	return r, nil
}
