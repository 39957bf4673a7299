package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spcloud/spcloud"
	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/paths"
	"github.com/spcloud/spcloud/store"
)

// selectionPath is .systemprompt/spcloud.json of the project.
func selectionPath(files *paths.Resolved) string {
	return filepath.Join(files.Layout.Dir, store.SelectionFile)
}

// selectedTenant reads the tenant chosen with 'spcloud tenant select'; a
// broken file is reported on stderr and ignored.
func (f *Factory) selectedTenant(files *paths.Resolved) string {
	id, err := store.LoadSelection(selectionPath(files))
	if err != nil {
		fmt.Fprintf(f.IO.Err, "Warning: ignoring the tenant selection: %v\n", err)
		return ""
	}
	return id
}

func newTenantSelectCmd(f *Factory) *cobra.Command {
	var clear bool
	cmd := &cobra.Command{
		Use:   "select [ID]",
		Short: "Choose the tenant that commands act on by default",
		Long: `Choose the tenant that commands act on when no --tenant is given.

A command that acts on a tenant uses, in order: --tenant ID; the active
profile's cloud.tenant_id; the tenant chosen here; the only cloud tenant of
tenants.json. Otherwise it stops and lists the choices.

ID may be a tenant id or a tenant's exact name; it must be one of your
tenants (tenants.json, refreshed from the API when it is not found there).
The choice is kept in .systemprompt/spcloud.json, spcloud's own file: the
reference client ignores it. Without ID, the current choice is printed;
--clear forgets it.`,
		Example: `  spcloud tenant select f800de73-2bdf-4c44-8b65-7b2f2bbad456
  spcloud tenant select acme-prod
  spcloud tenant select          # print the selected tenant
  spcloud tenant select --clear`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := f.Files()
			if err != nil {
				return err
			}
			path := selectionPath(files)
			switch {
			case clear:
				if len(args) > 0 {
					return usageError("pass an ID or --clear, not both")
				}
				if err := store.SaveSelection(path, ""); err != nil {
					return err
				}
				fmt.Fprintln(f.IO.Err, "No tenant is selected now.")
				return nil
			case len(args) == 0:
				id, err := store.LoadSelection(path)
				if err != nil {
					return err
				}
				if id == "" {
					fmt.Fprintln(f.IO.Err, "No tenant is selected. Choose one with 'spcloud tenant select ID'.")
					return nil
				}
				fmt.Fprintln(f.IO.Out, id)
				if files.TenantID != "" && files.TenantID != id {
					fmt.Fprintf(f.IO.Err, "Note: the active profile's tenant %s takes precedence over the selection.\n", files.TenantID)
				}
				return nil
			}
			t, err := findTenant(cmd.Context(), f, files, args[0])
			if err != nil {
				return err
			}
			if err := store.SaveSelection(path, t.ID); err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Err, "Selected tenant %s (%s). Saved to %s\n", t.Name, t.ID, path)
			if files.TenantID != "" && files.TenantID != t.ID {
				fmt.Fprintf(f.IO.Err, "Note: the active profile's tenant %s takes precedence over the selection.\n", files.TenantID)
			}
			fmt.Fprintln(f.IO.Out, t.ID)
			return nil
		},
	}
	cmd.Flags().BoolVar(&clear, "clear", false, "forget the selected tenant")
	return cmd
}

// findTenant looks a tenant up by id or exact name in tenants.json, and
// when it is not there, in the API's list (which refreshes tenants.json).
func findTenant(ctx context.Context, f *Factory, files *paths.Resolved, idOrName string) (*store.StoredTenant, error) {
	if s, err := store.LoadTenants(files.Tenants); err == nil {
		if t := matchTenant(s.Tenants, idOrName); t != nil {
			return t, nil
		}
	}
	infos, err := syncTenants(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("%s is not in tenants.json, and the API could not be asked: %w", idOrName, err)
	}
	var ts []store.StoredTenant
	for _, info := range infos {
		ts = append(ts, store.TenantFromInfo(info))
	}
	if t := matchTenant(ts, idOrName); t != nil {
		return t, nil
	}
	var b strings.Builder
	for _, t := range ts {
		fmt.Fprintf(&b, "\n  %s  %s", t.ID, t.Name)
	}
	if b.Len() == 0 {
		return nil, spcloud.E(spcloud.ErrTenantNotFound, idOrName+" (you have no tenants)", nil)
	}
	return nil, spcloud.E(spcloud.ErrTenantNotFound, idOrName+" is not one of your tenants:"+b.String(), nil)
}

func matchTenant(ts []store.StoredTenant, idOrName string) *store.StoredTenant {
	for i := range ts {
		if ts[i].ID == idOrName {
			return &ts[i]
		}
	}
	var found *store.StoredTenant
	for i := range ts {
		if ts[i].Name == idOrName {
			if found != nil {
				return nil // ambiguous: names are not unique
			}
			found = &ts[i]
		}
	}
	return found
}

// tenantFlagUsage is the help of every --tenant flag.
const tenantFlagUsage = "tenant id or name (default: the profile's tenant_id, else the one chosen with 'spcloud tenant select', else the only cloud tenant)"

// target is the tenant a command acts on, and what it needs to act.
type target struct {
	id     string
	name   string // from tenants.json; "" when it does not know the tenant
	client *api.Client
	files  *paths.Resolved
}

// label names the tenant for people: "name (id)", or the id.
func (t *target) label() string {
	if t.name != "" && t.name != t.id {
		return t.name + " (" + t.id + ")"
	}
	return t.id
}

// resolveTarget resolves the tenant of --tenant (or the default) and an
// authenticated client.
func resolveTarget(f *Factory, flag string) (*target, error) {
	id, err := tenantArg(f, flag)
	if err != nil {
		return nil, err
	}
	files, err := f.Files()
	if err != nil {
		return nil, err
	}
	client, _, err := f.Client()
	if err != nil {
		return nil, err
	}
	t := &target{id: id, client: client, files: files}
	if s, err := store.LoadTenants(files.Tenants); err == nil {
		if st := s.Find(id); st != nil {
			t.name = st.Name
		}
	}
	return t, nil
}

// confirmedTarget resolves the tenant like resolveTarget, then asks the
// question (a format whose one %s is the tenant's label) unless yes is set.
func confirmedTarget(f *Factory, flag string, yes bool, question string) (*target, error) {
	t, err := resolveTarget(f, flag)
	if err != nil {
		return nil, err
	}
	if err := f.confirm(yes, fmt.Sprintf(question, t.label())); err != nil {
		return nil, err
	}
	return t, nil
}

// tenantInfo returns the tenant with the id among tenants, or nil.
func tenantInfo(tenants []api.TenantInfo, id string) *api.TenantInfo {
	for i := len(tenants) - 1; i >= 0; i-- {
		if tenants[i].ID == id {
			return &tenants[i]
		}
	}
	return nil
}

// meTenant returns the target's entry of the API's /auth/me, or nil when
// the account does not list it or the API cannot be asked.
func meTenant(ctx context.Context, t *target) *api.TenantInfo {
	me, err := t.client.Me(ctx)
	if err != nil {
		return nil
	}
	return tenantInfo(me.Tenants, t.id)
}

// updateStored changes the tenant's entry of tenants.json under the lock,
// so that the file stays true after the API changed the tenant. A tenant
// the file does not know is added from the API's /auth/me first.
func updateStored(ctx context.Context, f *Factory, t *target, change func(*store.StoredTenant)) error {
	var fromAPI *store.StoredTenant
	if s, err := store.LoadTenants(t.files.Tenants); err != nil || s.Find(t.id) == nil {
		if info := meTenant(ctx, t); info != nil {
			st := store.TenantFromInfo(*info)
			fromAPI = &st
		}
	}
	aside, err := store.UpdateTenants(t.files.Tenants, func(s *store.TenantStore) error {
		st := s.Find(t.id)
		if st == nil {
			if fromAPI == nil {
				return errNoChange
			}
			s.Put(*fromAPI)
			st = s.Find(t.id)
		}
		change(st)
		return nil
	})
	if err == errNoChange {
		fmt.Fprintf(f.IO.Err, "Note: tenant %s is not in %s; run 'spcloud tenant list' to sync it.\n", t.id, t.files.Tenants)
		return nil
	}
	if err != nil {
		return fmt.Errorf("the change was made, but %s could not be updated: %w", t.files.Tenants, err)
	}
	if aside != "" {
		fmt.Fprintf(f.IO.Err, "The old tenants file was broken; it is kept as %s\n", aside)
	}
	return nil
}

// errNoChange ends a tenants.json update without writing.
var errNoChange = fmt.Errorf("no change")

// forgetTenant removes a deleted or cancelled tenant from tenants.json and
// from the selection.
func forgetTenant(f *Factory, t *target) error {
	removed := false
	aside, err := store.UpdateTenants(t.files.Tenants, func(s *store.TenantStore) error {
		if !s.Remove(t.id) {
			return errNoChange
		}
		removed = true
		return nil
	})
	if err != nil && err != errNoChange {
		return fmt.Errorf("tenant %s is gone, but %s could not be updated: %w", t.id, t.files.Tenants, err)
	}
	if aside != "" {
		fmt.Fprintf(f.IO.Err, "The old tenants file was broken; it is kept as %s\n", aside)
	}
	if removed {
		fmt.Fprintf(f.IO.Err, "Removed it from %s\n", t.files.Tenants)
	}
	if cleared, err := store.ClearSelection(selectionPath(t.files), t.id); err != nil {
		return err
	} else if cleared {
		fmt.Fprintln(f.IO.Err, "It was the selected tenant; no tenant is selected now.")
	}
	return nil
}
