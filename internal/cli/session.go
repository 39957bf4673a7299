package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/spcloud/spcloud/api"
	"github.com/spcloud/spcloud/store"
)

// newSessionCmd is `spcloud session`: the CLI sessions of the project, kept
// in .systemprompt/sessions/index.json.
func newSessionCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "session",
		Short: "List, switch, remove and prune CLI sessions",
		Long: `Manage the CLI sessions of the project, kept in
.systemprompt/sessions/index.json (the reference client's session store):
one session for local work and one per tenant, of which one is active.

A legacy .systemprompt/session.json is moved into the store the first time
any of these commands runs (the store is written safely first, then the old
file is removed).

KEY is "local" or a tenant's key, written "tenant:<id>" or "tenant_<id>".`,
	}
	cmd.AddCommand(newSessionListCmd(f), newSessionSwitchCmd(f), newSessionRemoveCmd(f), newSessionPruneCmd(f))
	return cmd
}

// sessionsIndex resolves the project's session store, migrating a legacy
// session.json into it first.
func sessionsIndex(f *Factory) (string, error) {
	files, err := f.Files()
	if err != nil {
		return "", err
	}
	index := files.Layout.SessionsIndex()
	key, migrated, err := store.MigrateLegacySession(files.Layout.LegacySession(), index)
	if err != nil {
		return "", err
	}
	if migrated {
		fmt.Fprintf(f.IO.Err, "Moved the legacy %s into %s (session %s).\n", files.Layout.LegacySession(), index, key)
	}
	return index, nil
}

// sessionEntry is the --json shape of one session.
type sessionEntry struct {
	Key        store.SessionKey `json:"key"`
	StorageKey string           `json:"storage_key"`
	DisplayKey string           `json:"display_key"`
	Active     bool             `json:"active"`
	// State is "valid", "expired", or "invalid" (no token, or a tenant_key
	// that does not match the key it is stored under).
	State   string           `json:"state"`
	Session store.CliSession `json:"session"`
}

func sessionState(f *Factory, ks store.KeyedSession) string {
	now := f.now()
	switch {
	case ks.Session.IsExpired(now):
		return "expired"
	case ks.Session.IsValidFor(ks.Key, now):
		return "valid"
	}
	return "invalid"
}

func sessionEntries(f *Factory, s *store.SessionStore, list []store.KeyedSession) []sessionEntry {
	out := make([]sessionEntry, 0, len(list))
	for _, ks := range list {
		out = append(out, sessionEntry{
			Key: ks.Key, StorageKey: ks.Key.StorageKey(), DisplayKey: ks.Key.String(),
			Active: s != nil && s.IsActive(ks.Key), State: sessionState(f, ks), Session: ks.Session,
		})
	}
	return out
}

func printSessionTable(f *Factory, entries []sessionEntry) error {
	tw := tabwriter.NewWriter(f.IO.Out, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTIVE\tKEY\tPROFILE\tUSER\tEXPIRES\tSTATE")
	for _, e := range entries {
		mark := ""
		if e.Active {
			mark = "*"
		}
		user := e.Session.UserEmail
		if e.Session.UserType != "" && e.Session.UserType != store.UserAdmin {
			user += " (" + string(e.Session.UserType) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", mark, e.DisplayKey, orDash(e.Session.ProfileName), orDash(user), e.Session.ExpiresAt, e.State)
	}
	return tw.Flush()
}

func newSessionListCmd(f *Factory) *cobra.Command {
	var asJSON, reveal bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the sessions (the active one is marked *)",
		Long: `List the sessions: key, profile, user, expiry, and whether each is valid
(unexpired, with a token, stored under the key its tenant_key names) or
expired. The active session is marked with *.

--json prints an array of {key, storage_key, display_key, active, state,
session}, where key is {"type":"Local"} or {"type":"Tenant","value":"<id>"}
and session has the store's field names; session_token shows as
[REDACTED] unless --reveal is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			index, err := sessionsIndex(f)
			if err != nil {
				return err
			}
			s, err := store.LoadSessions(index)
			if err != nil {
				return err
			}
			entries := sessionEntries(f, s, s.List())
			if asJSON {
				if !reveal {
					for i := range entries {
						if entries[i].Session.SessionToken != "" {
							entries[i].Session.SessionToken = api.Redacted
						}
					}
				}
				return printJSON(f, entries)
			}
			if len(entries) == 0 {
				fmt.Fprintf(f.IO.Err, "No sessions in %s.\n", index)
				return nil
			}
			return printSessionTable(f, entries)
		},
	}
	cmd.Flags().BoolVar(&reveal, "reveal", false, "show session tokens in full in --json output")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// sessionKeyAndIndex parses a KEY argument and finds the sessions index it is
// to be looked up in.
func sessionKeyAndIndex(f *Factory, arg string) (store.SessionKey, string, error) {
	k, err := store.ParseSessionKey(arg)
	if err != nil {
		return store.SessionKey{}, "", usageError("%v", err)
	}
	index, err := sessionsIndex(f)
	if err != nil {
		return store.SessionKey{}, "", err
	}
	return k, index, nil
}

func newSessionSwitchCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "switch KEY",
		Short: "Make a session the active one",
		Example: `  spcloud session switch local
  spcloud session switch tenant:f800de73-2bdf-4c44-8b65-7b2f2bbad456`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, index, err := sessionKeyAndIndex(f, args[0])
			if err != nil {
				return err
			}
			var sess store.CliSession
			err = store.UpdateSessions(index, func(s *store.SessionStore) error {
				if err := s.SetActive(key); err != nil {
					return err
				}
				sess, _ = s.Get(key)
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Err, "The active session is now %s.\n", key)
			if st := sessionState(f, store.KeyedSession{Key: key, Session: sess}); st != "valid" {
				fmt.Fprintf(f.IO.Err, "Warning: that session is %s; the next command that needs it will start a new one.\n", st)
			}
			return nil
		},
	}
}

func newSessionRemoveCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "remove KEY",
		Aliases: []string{"rm"},
		Short:   "Remove a session (removing the active one leaves none active)",
		Example: `  spcloud session remove local`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, index, err := sessionKeyAndIndex(f, args[0])
			if err != nil {
				return err
			}
			wasActive := false
			err = store.UpdateSessions(index, func(s *store.SessionStore) error {
				wasActive = s.IsActive(key)
				if !s.Remove(key) {
					// SetActive's error lists the sessions there are.
					return s.SetActive(key)
				}
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Err, "Removed session %s.\n", key)
			if wasActive {
				fmt.Fprintln(f.IO.Err, "It was the active session; no session is active now.")
			}
			return nil
		},
	}
}

func newSessionPruneCmd(f *Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove the expired sessions",
		Long: `Remove the expired sessions and print what was removed (--json: an array
shaped like 'session list --json'). Pruning the active session leaves none
active.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			index, err := sessionsIndex(f)
			if err != nil {
				return err
			}
			var removed []store.KeyedSession
			wasActive := false
			err = store.UpdateSessions(index, func(s *store.SessionStore) error {
				active := s.ActiveKey
				removed = s.Prune(f.now())
				wasActive = active != "" && s.ActiveKey == ""
				return nil
			})
			if err != nil {
				return err
			}
			entries := sessionEntries(f, nil, removed)
			if asJSON {
				return printJSON(f, entries)
			}
			if len(entries) == 0 {
				fmt.Fprintln(f.IO.Err, "No expired sessions.")
				return nil
			}
			if err := printSessionTable(f, entries); err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Err, "Pruned %d expired session%s.\n", len(entries), plural(len(entries)))
			if wasActive {
				fmt.Fprintln(f.IO.Err, "The active session was among them; no session is active now.")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
