package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

func init() { extraCommands = append(extraCommands, newAccountsCmd) }

func newAccountsCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "accounts",
		Short: "List the accounts whose feeds are stored",
		Long: `Accounts lists every account bankfeed holds lines for: its id (what
--account takes), institution, kind, type, number, currency, how many lines
are stored and the dates of the first and last. With --json, one JSON
object per account, one per line.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer db.Close()
			accts, err := db.Accounts(ctx, bankfeed.AccountFilter{})
			if err != nil {
				return err
			}
			out := bufio.NewWriter(e.stdout)
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetEscapeHTML(false)
				for _, a := range accts {
					if err := enc.Encode(a); err != nil {
						return err
					}
				}
				return out.Flush()
			}
			if len(accts) == 0 {
				fmt.Fprintln(out, "No accounts yet: bankfeed import FILE adds the accounts its statements name.")
				return out.Flush()
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tINSTITUTION\tKIND\tTYPE\tNUMBER\tCURRENCY\tLINES\tFIRST\tLAST")
			for _, a := range accts {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", a.ID, a.Institution, a.Kind, dash(a.Type),
					a.Number, dash(a.Currency), a.Lines, dash(a.FirstPosted), dash(a.LastPosted))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			return out.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per account, one per line")
	return cmd
}

// openStore opens the store in the configured data directory.
func openStore(ctx context.Context, e *env) (*store.DB, error) {
	return store.Open(ctx, e.cfg.DataDir, store.Options{})
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
