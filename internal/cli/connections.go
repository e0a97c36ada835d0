package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

func init() {
	extraCommands = append(extraCommands, newConnectionsCmd, newConnectionCmd)
}

// noConnections is what the commands say when there is no connection.
const noConnections = "No connections yet: bankfeed connect NAME --url URL --org ORG --fid FID --user USERID sets one up."

func newConnectionsCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "connections",
		Short: "List the bank connections",
		Long: `Connections lists every connection: its id and name (what the connection
commands take), institution, user ID, state, next automatic attempt and
accounts. With --json, one JSON object per connection, one per line; the
password is never part of it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer db.Close()
			conns, err := db.Connections(ctx, store.ConnectionFilter{})
			if err != nil {
				return err
			}
			w := bufio.NewWriter(e.stdout)
			if asJSON {
				enc := newJSONEncoder(w, false)
				for _, c := range conns {
					if err := enc.Encode(c); err != nil {
						return err
					}
				}
				return w.Flush()
			}
			if err := printConnections(ctx, w, db, conns, time.Now()); err != nil {
				return err
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per connection, one per line")
	return cmd
}

func printConnections(ctx context.Context, w io.Writer, db *store.DB, conns []*bankfeed.Connection, now time.Time) error {
	if len(conns) == 0 {
		_, err := fmt.Fprintln(w, noConnections)
		return err
	}
	insts, err := db.Institutions(ctx)
	if err != nil {
		return err
	}
	names := map[bankfeed.InstitutionID]string{}
	for _, in := range insts {
		names[in.ID] = in.Name
	}
	rows := make([][]string, 0, len(conns))
	for _, c := range conns {
		state := c.State
		if c.Disabled {
			state = bankfeed.ConnDisabled
		}
		accts := "none listed yet"
		if n := len(c.Accounts); n > 0 {
			accts = ""
			for i, a := range c.Accounts {
				if i > 0 {
					accts += ", "
				}
				accts += a.Number
			}
		}
		rows = append(rows, []string{fmt.Sprint(c.ID), c.Name, names[c.InstitutionID], c.UserID, stateLabel(state),
			nextText(state, c.NextAttemptAt, now), accts})
	}
	return writeTable(w, "", []string{"ID", "NAME", "INSTITUTION", "USER", "STATE", "NEXT ATTEMPT", "ACCOUNTS"}, rows, 0)
}

func newConnectionCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "connection",
		Short: "Change a connection: password, resume, reset, disable, enable, remove",
		Long: `The connection commands act on one connection, named by its name or id
(bankfeed connections lists them):

  password NAME   set a new password, after the bank rejected the old one
  resume NAME     you did what the bank asked (accepted its terms, approved
                  this application, had the login unlocked): sync again
  reset NAME      deactivate online services and set up again
  disable NAME    stop syncing it; enable NAME starts again
  remove NAME     forget the connection; its feed accounts and lines stay`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newConnectionPasswordCmd(e), newConnectionResumeCmd(e), newConnectionResetCmd(e),
		newConnectionToggleCmd(e, true), newConnectionToggleCmd(e, false), newConnectionRemoveCmd(e))
	return cmd
}

// withConnection opens the store, finds the connection named ref, and runs
// fn with a syncer; key is loaded only when needKey.
func withConnection(ctx context.Context, e *env, ref string, needKey bool,
	fn func(db *store.DB, s *syncer.Syncer, c *bankfeed.Connection) error) error {
	db, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	c, err := db.FindConnection(ctx, ref)
	if err != nil {
		return err
	}
	var key *secret.Key
	if needKey {
		if key, err = loadKey(); err != nil {
			return err
		}
	}
	return fn(db, syncer.New(db, key, syncer.Options{}), c)
}

func newConnectionPasswordCmd(e *env) *cobra.Command {
	var file, trap string
	cmd := &cobra.Command{
		Use:   "password NAME",
		Short: "Set a connection's password, after the bank rejected the old one",
		Long: `Password replaces a connection's saved password: after the bank rejected the
old one, or after you changed it at the bank. It is read like connect reads
it: --password-file FILE (- for standard input), or asked for without echo.
A connection that waited for you is due again at once; the new password is
tried on one account first, so a mistyped one is sent once.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := refusePasswordFlag(cmd); err != nil {
				return err
			}
			ctx := cmd.Context()
			return withConnection(ctx, e, args[0], true, func(db *store.DB, s *syncer.Syncer, c *bankfeed.Connection) error {
				pw, err := readPassword(ctx, e, file, fmt.Sprintf("New password for %s at %s: ", c.UserID, hostOf(c.Profile.URL)))
				if err != nil {
					return err
				}
				if err := s.SetPassword(ctx, c.ID, pw); err != nil {
					return err
				}
				_, err = fmt.Fprintf(e.stdout, "New password saved for %s (sealed). bankfeed sync --connection %s tries it now.\n",
					c.Name, c.Name)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&file, "password-file", "", "read the password from the first line of FILE (- for standard input)")
	addPasswordTrap(cmd, &trap)
	return cmd
}

func newConnectionResumeCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "resume NAME",
		Short: "Say you did what the bank asked (accepted terms, approved, unlocked)",
		Long: `Resume tells bankfeed you did what the bank asked: accepted its new terms,
approved this application, called to have the login unlocked. A connection
that waits for you is never retried by itself; after resume it is due at
once, and the next bankfeed sync tries it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withConnection(ctx, e, args[0], false, func(db *store.DB, s *syncer.Syncer, c *bankfeed.Connection) error {
				if err := s.Resume(ctx, c.ID); err != nil {
					return err
				}
				if c.State != bankfeed.ConnNeedsAction {
					fmt.Fprintf(e.stdout, "%s was not waiting for you (%s); it is due now all the same.\n", c.Name, stateLabel(c.State))
				}
				_, err := fmt.Fprintf(e.stdout, "Resumed %s: bankfeed sync --connection %s tries it now, or the next sync will.\n",
					c.Name, c.Name)
				return err
			})
		},
	}
}

func newConnectionResetCmd(e *env) *cobra.Command {
	var file, trap string
	cmd := &cobra.Command{
		Use:   "reset NAME",
		Short: "Deactivate online services and set up again, keeping the history",
		Long: `Reset is "deactivate online services and set up again", what banks and
bookkeeping programs advise when a feed is stuck: the connection forgets
its accounts and how far each was synced. The next sync lists the accounts
again and continues the same feeds, asking for the first sync's 90 days;
lines already stored are recognised, so they are never duplicated. The
history of runs stays. --password-file sets a new password with it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := refusePasswordFlag(cmd); err != nil {
				return err
			}
			ctx := cmd.Context()
			return withConnection(ctx, e, args[0], file != "", func(db *store.DB, s *syncer.Syncer, c *bankfeed.Connection) error {
				var pw secret.String
				if file != "" {
					var err error
					if pw, err = readPassword(ctx, e, file, ""); err != nil {
						return err
					}
				}
				if err := s.Reset(ctx, c.ID, pw); err != nil {
					return err
				}
				_, err := fmt.Fprintf(e.stdout, "Reset %s: the next sync lists its accounts again and continues the same %d %s; "+
					"no line is duplicated.\n", c.Name, len(c.Accounts), plural(len(c.Accounts), "feed", "feeds"))
				return err
			})
		},
	}
	cmd.Flags().StringVar(&file, "password-file", "", "also set a new password, from the first line of FILE (- for standard input)")
	addPasswordTrap(cmd, &trap)
	return cmd
}

func newConnectionToggleCmd(e *env, disable bool) *cobra.Command {
	use, short := "enable NAME", "Sync a disabled connection again"
	if disable {
		use, short = "disable NAME", "Stop syncing a connection, keeping everything"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withConnection(ctx, e, args[0], false, func(db *store.DB, s *syncer.Syncer, c *bankfeed.Connection) error {
				if err := s.SetDisabled(ctx, c.ID, disable); err != nil {
					return err
				}
				msg := fmt.Sprintf("Disabled %s: no sync until bankfeed connection enable %s.", c.Name, c.Name)
				if !disable {
					msg = fmt.Sprintf("Enabled %s: due now; the next sync tries it.", c.Name)
				}
				_, err := fmt.Fprintln(e.stdout, msg)
				return err
			})
		},
	}
}

func newConnectionRemoveCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Forget a connection; its feed accounts and lines stay",
		Long: `Remove forgets a connection and its saved password, without asking. Its
feed accounts, their lines and the history of runs stay: bankfeed accounts
and bankfeed lines still show them, and connecting the same login again
continues the same feeds.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withConnection(ctx, e, args[0], false, func(db *store.DB, s *syncer.Syncer, c *bankfeed.Connection) error {
				if err := s.Remove(ctx, c.ID); err != nil {
					return err
				}
				_, err := fmt.Fprintf(e.stdout, "Removed %s. Its %d feed %s and their lines stay (bankfeed accounts lists them).\n",
					c.Name, len(c.Accounts), plural(len(c.Accounts), "account", "accounts"))
				return err
			})
		},
	}
}
