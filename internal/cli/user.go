package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/auth"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/web"
)

func init() { extraCommands = append(extraCommands, newUserCmd) }

// cliActor names a change made from the command line in the audit log.
const cliActor = "bankfeed user (command line)"

func newUserCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage the people who use the web interface and the API",
		Long: `Users sign in to the web interface (bankfeed serve) and call the API. Each has a
role:
  viewer       reads everything, changes nothing
  bookkeeper   also reviews lines, edits rules and entries, reconciles,
               imports files and asks for a sync
  admin        also manages connections, users and settings

Passwords are kept as argon2id hashes. They are read from --password-file
(a file's first line, or - for standard input), else asked for on the
terminal without echo; never from a flag.`,
	}
	cmd.AddCommand(newUserAddCmd(e), newUserListCmd(e), newUserSetCmd(e), newUserPasswordCmd(e), newUserRemoveCmd(e), newUserTokenCmd(e))
	return cmd
}

func roleFlag(cmd *cobra.Command, v *string, def string) {
	cmd.Flags().StringVar(v, "role", def, "viewer, bookkeeper or admin")
}

func parseRole(s string) (bankfeed.Role, error) {
	r := bankfeed.Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		return "", &exitError{code: exitUsage, err: fmt.Errorf("--role %q: want viewer, bookkeeper or admin", s)}
	}
	return r, nil
}

// newPassword reads a new password and checks it.
func newPassword(ctx context.Context, e *env, file string) (string, error) {
	pw, err := readPassword(ctx, e, file, "New password: ")
	if err != nil {
		return "", err
	}
	if err := auth.CheckNewPassword(pw.Reveal()); err != nil {
		return "", err
	}
	return pw.Reveal(), nil
}

func newUserAddCmd(e *env) *cobra.Command {
	var role, file string
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Add a user",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			r, err := parseRole(role)
			if err != nil {
				return err
			}
			pw, err := newPassword(ctx, e, file)
			if err != nil {
				return err
			}
			hash, err := auth.HashPassword(pw)
			if err != nil {
				return err
			}
			u := &bankfeed.User{Name: args[0], Role: r}
			err = db.Update(ctx, func(tx *store.Tx) error {
				if err := tx.AddUser(ctx, u, hash); err != nil {
					return err
				}
				return tx.Audit(ctx, cliActor, "user.add", "user "+u.Name, `{"role":"`+string(r)+`"}`)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "user %s added, role %s\n", u.Name, u.Role)
			return nil
		}),
	}
	roleFlag(cmd, &role, "bookkeeper")
	cmd.Flags().StringVar(&file, "password-file", "", "read the password from this file's first line (- for standard input)")
	return cmd
}

func newUserListCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the users",
		Args:  cobra.NoArgs,
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			us, err := db.Users(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				if us == nil {
					us = []*bankfeed.User{}
				}
				return newJSONEncoder(e.stdout, true).Encode(us)
			}
			if len(us) == 0 {
				fmt.Fprintln(e.stdout, "No users. Add one: bankfeed user add NAME --role admin")
				return nil
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tSTATE\tADDED")
			for _, u := range us {
				state := "active"
				if u.Disabled {
					state = "disabled"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, state, u.CreatedAt.Local().Format("2006-01-02"))
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newUserSetCmd(e *env) *cobra.Command {
	var role string
	var disable, enable bool
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "Change a user's role, or disable or enable them",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			if disable && enable {
				return &exitError{code: exitUsage, err: fmt.Errorf("--disable and --enable: give one")}
			}
			u, _, err := db.UserByName(ctx, args[0])
			if err != nil {
				return err
			}
			if role != "" {
				if u.Role, err = parseRole(role); err != nil {
					return err
				}
			}
			if disable || enable {
				u.Disabled = disable
			}
			err = db.Update(ctx, func(tx *store.Tx) error {
				if err := tx.UpdateUser(ctx, u); err != nil {
					return err
				}
				return tx.Audit(ctx, cliActor, "user.update", "user "+u.Name, fmt.Sprintf(`{"role":%q,"disabled":%v}`, u.Role, u.Disabled))
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "user %s: role %s, %s\n", u.Name, u.Role, map[bool]string{true: "disabled", false: "active"}[u.Disabled])
			return nil
		}),
	}
	roleFlag(cmd, &role, "")
	cmd.Flags().BoolVar(&disable, "disable", false, "stop the user signing in (ends their sessions)")
	cmd.Flags().BoolVar(&enable, "enable", false, "let a disabled user sign in again")
	return cmd
}

func newUserPasswordCmd(e *env) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "password NAME",
		Short: "Set a user's password (ends their sessions)",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			u, _, err := db.UserByName(ctx, args[0])
			if err != nil {
				return err
			}
			pw, err := newPassword(ctx, e, file)
			if err != nil {
				return err
			}
			hash, err := auth.HashPassword(pw)
			if err != nil {
				return err
			}
			err = db.Update(ctx, func(tx *store.Tx) error {
				if err := tx.SetUserPassword(ctx, u.ID, hash); err != nil {
					return err
				}
				return tx.Audit(ctx, cliActor, "user.password", "user "+u.Name, "")
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "user %s: password set\n", u.Name)
			return nil
		}),
	}
	cmd.Flags().StringVar(&file, "password-file", "", "read the password from this file's first line (- for standard input)")
	return cmd
}

func newUserRemoveCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a user, their sessions and API tokens",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			u, _, err := db.UserByName(ctx, args[0])
			if err != nil {
				return err
			}
			err = db.Update(ctx, func(tx *store.Tx) error {
				if err := tx.RemoveUser(ctx, u.ID); err != nil {
					return err
				}
				return tx.Audit(ctx, cliActor, "user.remove", "user "+u.Name, "")
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "user %s removed\n", u.Name)
			return nil
		}),
	}
}

func newUserTokenCmd(e *env) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "token USER",
		Short: "Make an API token for a user, and print it once",
		Long: `Token makes an API token that acts as USER, with USER's role, and prints it.
It is shown only now (only its hash is kept). Send it on every API call:
  Authorization: Bearer TOKEN`,
		Args: cobra.ExactArgs(1),
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			u, _, err := db.UserByName(ctx, args[0])
			if err != nil {
				return err
			}
			if u.Disabled {
				return bankfeed.Errorf(bankfeed.EConflict, "user %s is disabled", u.Name)
			}
			_, tok, err := web.AddToken(ctx, db, u, name, cliActor)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, tok)
			return nil
		}),
	}
	cmd.Flags().StringVar(&name, "name", "command line", "what the token is for")
	return cmd
}
