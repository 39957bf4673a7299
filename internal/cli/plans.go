package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
)

func newPlansCmd(f *Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "plans",
		Short: "List the plans a tenant can be bought on",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, _, err := f.Client()
			if err != nil {
				return err
			}
			plans, err := client.Plans(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if plans == nil {
					plans = []api.Plan{}
				}
				return printJSON(f, plans)
			}
			tw := tabwriter.NewWriter(f.IO.Out, 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tMEMORY\tVOLUME\tPRICE ID")
			for _, p := range plans {
				fmt.Fprintf(tw, "%s\t%s\t%d MB\t%d GB\t%s\n", p.ID, p.Name, p.MemoryMBDefault, p.VolumeGB, p.PaddlePriceID)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (the API's field names)")
	return cmd
}

func newRegionsCmd(f *Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "regions",
		Short: "List the regions a tenant can run in",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON {
				return printJSON(f, spcloud.Regions)
			}
			tw := tabwriter.NewWriter(f.IO.Out, 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "CODE\tNAME")
			for _, r := range spcloud.Regions {
				def := ""
				if r.Code == spcloud.DefaultRegion {
					def = " (default)"
				}
				fmt.Fprintf(tw, "%s\t%s%s\n", r.Code, r.Name, def)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// findPlan matches a plan by id, name or price id, ignoring case.
func findPlan(plans []api.Plan, want string) (api.Plan, error) {
	for _, p := range plans {
		if strings.EqualFold(p.ID, want) || strings.EqualFold(p.Name, want) || strings.EqualFold(p.PaddlePriceID, want) {
			return p, nil
		}
	}
	var names []string
	for _, p := range plans {
		names = append(names, p.ID+" ("+p.Name+")")
	}
	return api.Plan{}, usageError("no plan %q; choose one of: %s", want, strings.Join(names, ", "))
}
