package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/review"
	"github.com/bankfeed/bankfeed/internal/store"
)

func init() { extraCommands = append(extraCommands, newEntryCmd, newChartCmd) }

func newEntryCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "entry",
		Short: "Entries of the built-in ledger: add, list, show, remove",
		Long: `The built-in ledger holds entries: a date, a payee and splits that sum to
zero, each to an account of the chart of accounts (bankfeed chart). Entries
come from review (a feed line added) or are typed here; a typed entry in a
bank account waits for its bank line, which review matches to it.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newEntryAddCmd(e), newEntryListCmd(e), newEntryShowCmd(e), newEntryRemoveCmd(e))
	return cmd
}

func newEntryAddCmd(e *env) *cobra.Command {
	var date, payee, memo, check, account, amount, category string
	var splits []string
	cmd := &cobra.Command{
		Use:   "add --date D --account A --amount X (--category C | --split ACCOUNT=AMOUNT...)",
		Short: "Add an entry typed by hand",
		Long: `Add adds an entry: --amount goes to --account (a ledger account name such as
Assets:Bank:Checking, or a feed account's id or number), negative for money
out; the other side goes to --category, or is split with --split
ACCOUNT=AMOUNT (amounts as they go to each account). Every problem is named
and nothing is written until all are fixed. A line already waiting For
Review that this entry stands for is matched to it at once.`,
		Example: `  bankfeed entry add --date 2026-03-02 --payee Staples --account Assets:Bank:Checking --amount -42.10 --category Expenses:Office
  bankfeed entry add --date 2026-03-05 --payee "Check 1001" --check 1001 --account 3 --amount -250 --category Expenses:Rent`,
		Args: cobra.NoArgs,
		RunE: withReview(e, func(ctx context.Context, s *review.Service, db *store.DB, args []string) error {
			var problems []error
			amt, err := bankfeed.ParseDecimal(strings.TrimSpace(amount))
			if err != nil {
				problems = append(problems, fmt.Errorf("--amount %q: not a number", amount))
			}
			if account == "" {
				problems = append(problems, errors.New("--account: required"))
			}
			parts, err := parseSplits("--split", splits)
			if err != nil {
				problems = append(problems, err)
			}
			switch {
			case category == "" && len(parts) == 0:
				problems = append(problems, errors.New("--category or --split: one is required"))
			case category != "" && len(parts) > 0:
				problems = append(problems, errors.New("--category and --split: give one, not both"))
			}
			bank, err := resolveLedgerAccount(ctx, db, account)
			if err != nil && account != "" {
				problems = append(problems, fmt.Errorf("--account: %w", err))
			}
			if problems != nil {
				return &exitError{code: exitUsage, err: errors.Join(problems...)}
			}
			en := &bankfeed.Entry{Date: date, Payee: payee, Memo: memo, CheckNum: check, Origin: bankfeed.OriginUser,
				Splits: []bankfeed.Split{{AccountName: bank, Amount: amt}}}
			if category != "" {
				en.Splits = append(en.Splits, bankfeed.Split{AccountName: category, Amount: amt.Neg()})
			}
			for _, p := range parts {
				en.Splits = append(en.Splits, bankfeed.Split{AccountName: p.Account, Amount: p.Amount})
			}
			if err := s.AddEntry(ctx, actor(), en); err != nil {
				if bankfeed.ErrorCodeOf(err) == bankfeed.EInvalid {
					return &exitError{code: exitUsage, err: err}
				}
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "Added entry %d (%s).\n", en.ID, en.UID)
			return err
		}),
	}
	cmd.Flags().StringVar(&date, "date", "", "the date, YYYY-MM-DD")
	cmd.Flags().StringVar(&payee, "payee", "", "who was paid or paid you")
	cmd.Flags().StringVar(&memo, "memo", "", "a memo")
	cmd.Flags().StringVar(&check, "check", "", "the check number")
	cmd.Flags().StringVar(&account, "account", "", "the bank side: a ledger account name, or a feed account's id or number")
	cmd.Flags().StringVar(&amount, "amount", "", "the amount in --account, negative for money out")
	cmd.Flags().StringVar(&category, "category", "", "the other side, as Expenses:Office")
	cmd.Flags().StringArrayVar(&splits, "split", nil, "ACCOUNT=AMOUNT, repeated, instead of --category")
	return cmd
}

// resolveLedgerAccount turns what a user typed into a ledger account name:
// a name of the chart, or a feed account (its ledger account, made on first
// use).
func resolveLedgerAccount(ctx context.Context, db *store.DB, ref string) (string, error) {
	if bankfeed.LedgerAccountTypeOf(ref) != "" {
		return ref, nil
	}
	a, err := db.FindAccount(ctx, ref)
	if err != nil {
		return "", err
	}
	var name string
	err = db.Update(ctx, func(tx *store.Tx) error {
		la, err := tx.FeedLedgerAccount(ctx, a.ID)
		if err == nil {
			name = la.Name
		}
		return err
	})
	return name, err
}

func newEntryListCmd(e *env) *cobra.Command {
	var f bankfeed.EntryFilter
	var account string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List entries, by date",
		Args:  cobra.NoArgs,
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			if account != "" {
				name, err := resolveLedgerAccount(ctx, db, account)
				if err != nil {
					return &exitError{code: exitUsage, err: fmt.Errorf("--account: %w", err)}
				}
				as, err := db.LedgerAccounts(ctx)
				if err != nil {
					return err
				}
				for _, a := range as {
					if a.Name == name {
						f.AccountID = a.ID
					}
				}
				if f.AccountID == 0 {
					return &exitError{code: exitUsage, err: fmt.Errorf("--account: no account %q in the chart of accounts", name)}
				}
			}
			es, err := db.Entries(ctx, f)
			if err != nil {
				return err
			}
			return printEntries(e, es, asJSON)
		}),
	}
	cmd.Flags().StringVar(&account, "account", "", "only entries with a split in this account")
	cmd.Flags().StringVar(&f.From, "from", "", "from this date, YYYY-MM-DD")
	cmd.Flags().StringVar(&f.To, "to", "", "to this date, YYYY-MM-DD")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per entry")
	return cmd
}

func printEntries(e *env, es []*bankfeed.Entry, asJSON bool) error {
	w := bufio.NewWriter(e.stdout)
	if asJSON {
		return writeJSONLines(w, es)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ENTRY\tDATE\tPAYEE\tACCOUNT\tAMOUNT\tSTATUS\tLINES")
	for _, en := range es {
		for i, s := range en.Splits {
			id, date, payee := "", "", ""
			if i == 0 {
				id, date, payee = strconv.FormatInt(int64(en.ID), 10), en.Date, clip(en.Payee, 30)
			}
			lines := make([]string, len(s.Lines))
			for k, l := range s.Lines {
				lines[k] = strconv.FormatInt(int64(l), 10)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s %s\t%s\t%s\n", id, date, payee, s.AccountName, s.Amount, s.Currency, s.Status, strings.Join(lines, ","))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return w.Flush()
}

func entryArg(s string) (bankfeed.EntryID, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, &exitError{code: exitUsage, err: fmt.Errorf("entry %q: not an entry id (see bankfeed entry list)", s)}
	}
	return bankfeed.EntryID(n), nil
}

func newEntryShowCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ENTRY",
		Short: "Show one entry with its splits and lines",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			id, err := entryArg(args[0])
			if err != nil {
				return err
			}
			en, err := db.Entry(ctx, id)
			if err != nil {
				return err
			}
			return printEntries(e, []*bankfeed.Entry{en}, asJSON)
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "as JSON")
	return cmd
}

func newEntryRemoveCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "remove ENTRY",
		Short: "Remove an entry; its lines go back For Review",
		Args:  cobra.ExactArgs(1),
		RunE: withReview(e, func(ctx context.Context, s *review.Service, db *store.DB, args []string) error {
			id, err := entryArg(args[0])
			if err != nil {
				return err
			}
			if err := s.RemoveEntry(ctx, actor(), id); err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "Removed entry %d.\n", id)
			return err
		}),
	}
}

func newChartCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "chart",
		Short: "The chart of accounts: list, add",
		Long: `The chart of accounts names every account of the books, as
Root:Part:Part, the root one of Assets, Liabilities, Income, Expenses and
Equity. A feed's bank account or card gets its account on first use
(Assets:Bank:… or Liabilities:Card:…); categories are added when first used
or with chart add.`,
		Args: cobra.NoArgs,
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			as, err := db.LedgerAccounts(ctx)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(e.stdout)
			if asJSON {
				return writeJSONLines(w, as)
			}
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ACCOUNT\tTYPE\tCURRENCY\tFEED")
			for _, a := range as {
				feed := ""
				if a.FeedAccountID != nil {
					feed = strconv.FormatInt(int64(*a.FeedAccountID), 10)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Name, a.Type, a.Currency, feed)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			return w.Flush()
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per account")
	var currency string
	add := &cobra.Command{
		Use:   "add NAME",
		Short: "Add an account to the chart",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			a := &bankfeed.LedgerAccount{Name: args[0], Currency: strings.ToUpper(currency)}
			err := db.Update(ctx, func(tx *store.Tx) error {
				if err := tx.AddLedgerAccount(ctx, a); err != nil {
					return err
				}
				b, _ := json.Marshal(a)
				return tx.Audit(ctx, actor(), "chart.add", "account "+a.Name, string(b))
			})
			if bankfeed.ErrorCodeOf(err) == bankfeed.EInvalid {
				return &exitError{code: exitUsage, err: err}
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "Added %s (%s).\n", a.Name, a.Type)
			return err
		}),
	}
	add.Flags().StringVar(&currency, "currency", "", "its currency, as USD")
	cmd.AddCommand(add)
	return cmd
}
