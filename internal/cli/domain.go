package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
)

func newDomainCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "domain",
		Short: "Serve a tenant's app on your own domain",
		Long: `Point a domain of yours at the tenant's app. 'set' and 'show' print the DNS
record to create at your DNS provider; the domain is verified once the
record is in place.`,
	}
	cmd.AddCommand(newDomainSetCmd(f), newDomainShowCmd(f), newDomainDeleteCmd(f))
	return cmd
}

// printDomain writes the domain, its state and the DNS record to create.
func printDomain(f *Factory, d *api.CustomDomainResponse) {
	out := f.IO.Out
	verified := "not verified yet"
	if d.Verified {
		verified = "verified"
		if v := api.Str(d.VerifiedAt); v != "" {
			verified += " " + v
		}
	}
	fmt.Fprintf(out, "Domain:  %s\nStatus:  %s (%s)\n", d.Domain, d.Status, verified)
	fmt.Fprintf(out, "Target:  %s\n\n", d.DNSTarget)
	if d.Verified {
		fmt.Fprintln(out, "DNS record (keep it in place):")
	} else {
		fmt.Fprintln(out, "Create this DNS record at your DNS provider:")
	}
	tw := tabwriter.NewWriter(out, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "  TYPE\tHOST\tVALUE\tTTL")
	in := d.DNSInstructions
	fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", in.RecordType, orDash(in.Host), in.Value, strconv.Itoa(in.TTL))
	tw.Flush()
	// HOST is relative to the zone the API assumed; providers differ in how
	// they want it written, so give the full name too.
	fmt.Fprintf(out, "\nThe record is for the full name %s (some DNS providers want only the part before your zone's name).\n", d.Domain)
	if in.RecordType == "CNAME" && strings.Count(d.Domain, ".") == 1 {
		fmt.Fprintln(out, "A CNAME cannot sit at the top of a zone: if your provider refuses it, use its ALIAS/ANAME record, or a subdomain such as www.")
	}
	if !d.Verified {
		fmt.Fprintln(f.IO.Err, "The domain is verified once the record resolves; 'spcloud domain show' reports its state.")
	}
}

// noDomain turns the API's "no custom domain" answer into a plain message.
func noDomain(err error, tenantID string) error {
	var ae *spcloud.APIError
	if errors.As(err, &ae) && ae.Status == 404 && ae.Code == "custom_domain_not_found" {
		return fmt.Errorf("tenant %s has no custom domain; set one with 'spcloud domain set DOMAIN'", tenantID)
	}
	return err
}

// domainOptions are the flags of set and show, which share one flow:
// resolve the tenant, get its domain from the API, print it.
type domainOptions struct {
	tenant string
	asJSON bool
}

func (o *domainOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.tenant, "tenant", "", tenantFlagUsage)
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the API's CustomDomainResponse as JSON")
}

// run resolves the tenant, gets its domain from get and prints it: as the
// API's JSON with --json, else with the DNS record to create.
func (o *domainOptions) run(ctx context.Context, f *Factory, get func(context.Context, *target) (*api.CustomDomainResponse, error)) error {
	t, err := resolveTarget(f, o.tenant)
	if err != nil {
		return err
	}
	d, err := get(ctx, t)
	if err != nil {
		return err
	}
	if o.asJSON {
		return printJSON(f, d)
	}
	printDomain(f, d)
	return nil
}

func newDomainSetCmd(f *Factory) *cobra.Command {
	o := &domainOptions{}
	cmd := &cobra.Command{
		Use:   "set DOMAIN",
		Short: "Point a domain of yours at a tenant",
		Long: `Point DOMAIN (like app.example.com) at the tenant's app, replacing any domain
it had, and print the DNS record to create at your DNS provider.`,
		Example: `  spcloud domain set app.example.com
  spcloud domain set app.example.com --tenant f800de73-2bdf-4c44-8b65-7b2f2bbad456 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			domain := strings.TrimSpace(args[0])
			if strings.Contains(domain, "://") || strings.Contains(domain, "/") {
				return usageError("give a domain name like app.example.com, not a URL (%q)", domain)
			}
			return o.run(cmd.Context(), f, func(ctx context.Context, t *target) (*api.CustomDomainResponse, error) {
				d, err := t.client.SetCustomDomain(ctx, t.id, domain)
				if err != nil {
					return nil, fmt.Errorf("set the custom domain of tenant %s: %w", t.id, err)
				}
				fmt.Fprintf(f.IO.Err, "Custom domain %s set for tenant %s.\n", d.Domain, t.label())
				return d, nil
			})
		},
	}
	o.addFlags(cmd)
	return cmd
}

func newDomainShowCmd(f *Factory) *cobra.Command {
	o := &domainOptions{}
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Show a tenant's custom domain and its DNS record",
		Long:  `Show the tenant's custom domain, whether it is verified, and the DNS record it needs.`,
		Example: `  spcloud domain show
  spcloud domain show --tenant f800de73-2bdf-4c44-8b65-7b2f2bbad456 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), f, func(ctx context.Context, t *target) (*api.CustomDomainResponse, error) {
				d, err := t.client.CustomDomain(ctx, t.id)
				if err != nil {
					return nil, noDomain(fmt.Errorf("read the custom domain of tenant %s: %w", t.id, err), t.id)
				}
				return d, nil
			})
		},
	}
	o.addFlags(cmd)
	return cmd
}

func newDomainDeleteCmd(f *Factory) *cobra.Command {
	var tenant string
	var yes bool
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Stop serving a tenant on its custom domain",
		Long: `Remove the tenant's custom domain. The app stops answering on it (its
platform hostname keeps working). Asks for confirmation on a terminal;
without one, pass --yes.`,
		Example: `  spcloud domain delete
  spcloud domain delete --tenant f800de73-2bdf-4c44-8b65-7b2f2bbad456 --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := confirmedTarget(f, tenant, yes, "Remove the custom domain of tenant %s? The app stops answering on it.")
			if err != nil {
				return err
			}
			if err := t.client.DeleteCustomDomain(cmd.Context(), t.id); err != nil {
				return noDomain(fmt.Errorf("delete the custom domain of tenant %s: %w", t.id, err), t.id)
			}
			fmt.Fprintf(f.IO.Err, "Removed the custom domain of tenant %s. You may delete its DNS record now.\n", t.label())
			return nil
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", tenantFlagUsage)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation (required without a terminal)")
	return cmd
}
