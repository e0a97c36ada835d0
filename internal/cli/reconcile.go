package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/reconcile"
	"github.com/bankfeed/bankfeed/internal/store"
)

const reconcileLong = `Reconcile checks the books against the bank, two ways.

Without a subcommand it compares, for every account of the books that has a
feed (or only --account's), the bank's latest ledger balance with the books'
cleared balance on that day: the splits cleared or reconciled dated on or
before it. When they agree it says so and gives the command that locks the
balance. When they differ it gives the difference (the bank's balance less
the books') and the likely causes, each checked by arithmetic, the most
explanatory first: lines still For Review, a missing opening balance (with
the entry that books it), pending lines, a suspected duplicate, lines
excluded from the books, days no statement covered. docs/reconcile.md says
what each means and what to do.

The subcommands reconcile a statement, as on paper: start one with the
statement's date and ending balance, tick the splits the statement shows
until the difference is zero, then finish to lock them. Reconciled splits
cannot be changed until the reconciliation is undone.

--account takes a ledger account's full name (Assets:Bank:Checking) or a
feed account's id or number (see bankfeed accounts). With --json, one JSON
object per account, one per line; amounts are exact decimal strings.`

func newReconcileCmd(e *env) *cobra.Command {
	var account string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "reconcile [--account ACCOUNT] [--json]",
		Short: "Check the books against the bank's balance, and reconcile statements",
		Long:  reconcileLong,
		Example: `  bankfeed reconcile
  bankfeed reconcile start --account Assets:Bank:Checking --date 2026-01-31 --balance 1450.00
  bankfeed reconcile show 1
  bankfeed reconcile tick 1 12 14
  bankfeed reconcile finish 1`,
		Args: cobra.NoArgs,
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			var only bankfeed.LedgerAccountID
			if account != "" {
				a, err := ledgerAccountRef(ctx, db, account)
				if err != nil {
					return err
				}
				only = a.ID
			}
			ins, err := db.BalanceChecks(ctx, only)
			if bankfeed.ErrorCodeOf(err) == bankfeed.EInvalid {
				return usage("--account: %v", err)
			}
			if err != nil {
				return err
			}
			w := bufio.NewWriter(e.stdout)
			if asJSON {
				enc := newJSONEncoder(w, false)
				for _, in := range ins {
					if err := enc.Encode(reconcile.Check(in)); err != nil {
						return err
					}
				}
				return w.Flush()
			}
			if len(ins) == 0 {
				fmt.Fprintln(w, "No account of the books has a feed yet: review a feed's lines to start its account in the books.")
			}
			for i, in := range ins {
				if i > 0 {
					fmt.Fprintln(w)
				}
				printCheck(w, reconcile.Check(in))
			}
			return w.Flush()
		}),
	}
	cmd.Flags().StringVar(&account, "account", "", "only this account: a ledger account's name, or a feed account's id or number")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per account, one per line")
	cmd.AddCommand(newReconcileStartCmd(e), newReconcileShowCmd(e), newReconcileTickCmd(e, true), newReconcileTickCmd(e, false),
		newReconcileFinishCmd(e), newReconcileUndoCmd(e))
	return cmd
}

// usage is a bad-input error: exit status 2.
func usage(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// asUsage makes an invalid-input error from the store exit with status 2;
// other errors pass unchanged.
func asUsage(err error) error {
	if bankfeed.ErrorCodeOf(err) == bankfeed.EInvalid {
		return &exitError{code: exitUsage, err: err}
	}
	return err
}

// ledgerAccountRef finds the ledger account ref names: a full account name,
// or a feed account's id or number whose account is in the books.
func ledgerAccountRef(ctx context.Context, db *store.DB, ref string) (*bankfeed.LedgerAccount, error) {
	ref = strings.TrimSpace(ref)
	accts, err := db.LedgerAccounts(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range accts {
		if a.Name == ref {
			return a, nil
		}
	}
	if strings.Contains(ref, ":") {
		return nil, usage("--account: no account %q in the chart of accounts", ref)
	}
	feed, err := db.FindAccount(ctx, ref)
	if code := bankfeed.ErrorCodeOf(err); code == bankfeed.ENotFound || code == bankfeed.EInvalid {
		return nil, usage("--account: %v", err)
	} else if err != nil {
		return nil, err
	}
	for _, a := range accts {
		if a.FeedAccountID != nil && *a.FeedAccountID == feed.ID {
			return a, nil
		}
	}
	return nil, usage("--account: feed account %d (%s) has no account in the books yet: review its lines first", feed.ID, feed.Number)
}

// printCheck writes one account's bank-balance check.
func printCheck(w io.Writer, r reconcile.Report) {
	head := fmt.Sprintf("%s (feed account %d)", r.Account, r.FeedAccountID)
	switch {
	case !r.HasBalance:
		fmt.Fprintf(w, "%s: no balance from the bank yet. Import a statement that has a ledger balance, or sync the feed.\n", head)
		return
	case r.Balanced:
		fmt.Fprintf(w, "%s: the books agree with the bank: %s on %s.\n", head, r.Bank, r.AsOf)
		fmt.Fprintf(w, "  Lock it with a statement reconciliation:\n    %s\n", r.Command)
		return
	}
	fmt.Fprintf(w, "%s: the books differ from the bank by %s on %s.\n", head, r.Difference, r.AsOf)
	writeBalances(w, [][2]string{
		{"bank (ledger balance)", r.Bank.String()},
		{"books (cleared)", r.Books.String()},
		{"difference", r.Difference.String()},
	})
	if len(r.Causes) == 0 {
		fmt.Fprintln(w, "  No likely cause found: compare the bank's statement with the books line by line (bankfeed reconcile start).")
		return
	}
	fmt.Fprintln(w, "  Likely causes, the most explanatory first:")
	for i, c := range r.Causes {
		fmt.Fprintf(w, "  %d. %s\n", i+1, c.Message)
		var rows [][]string
		for _, l := range c.Lines {
			rows = append(rows, []string{"line " + strconv.FormatInt(int64(l.ID), 10), l.Date, l.Amount.String(), l.Name})
		}
		for _, s := range c.Splits {
			rows = append(rows, []string{"split " + strconv.FormatInt(s.ID, 10), s.Date, s.Amount.String(), s.Payee})
		}
		if rows != nil {
			_ = writeTable(w, "       ", []string{"", "DATE", "AMOUNT", "NAME"}, rows, 2)
		}
		if c.Command != "" {
			fmt.Fprintf(w, "     %s\n", c.Command)
		}
	}
	switch u := r.Unexplained; {
	case u == nil:
	case u.IsZero():
		fmt.Fprintln(w, "  Together these account for the whole difference.")
	default:
		fmt.Fprintf(w, "  %s of the difference is left unexplained: compare the bank's statement with the books line by line (bankfeed reconcile start).\n", u)
	}
}

// writeBalances writes labelled amounts, the amounts right-aligned.
func writeBalances(w io.Writer, rows [][2]string) {
	var lw, aw int
	for _, r := range rows {
		lw, aw = max(lw, len(r[0])), max(aw, len(r[1]))
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-*s  %*s\n", lw, r[0], aw, r[1])
	}
}

func newReconcileStartCmd(e *env) *cobra.Command {
	var account, date, balance string
	var noAuto bool
	cmd := &cobra.Command{
		Use:   "start --account ACCOUNT --date YYYY-MM-DD --balance AMOUNT [--no-auto]",
		Short: "Start reconciling a statement: its date and ending balance",
		Long: `Start opens a statement reconciliation of an account: the statement's date
and the ending balance it shows. An account has one open at a time, and a
statement may not be dated before the last one locked. The splits already
cleared (a feed line stands for each) dated on or before the statement are
ticked, unless --no-auto.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var problems []error
			if account == "" {
				problems = append(problems, errors.New("--account is required"))
			}
			if _, err := time.Parse(time.DateOnly, date); err != nil {
				problems = append(problems, fmt.Errorf("--date %q: want a date as YYYY-MM-DD", date))
			}
			amount, err := bankfeed.ParseDecimal(strings.TrimSpace(balance))
			if err != nil {
				problems = append(problems, fmt.Errorf("--balance %q: want an amount such as 1450.00 or -20.5", balance))
			}
			if problems != nil {
				return &exitError{code: exitUsage, err: errors.Join(problems...)}
			}
			ctx := cmd.Context()
			db, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer db.Close()
			a, err := ledgerAccountRef(ctx, db, account)
			if err != nil {
				return err
			}
			id, err := db.StartReconciliation(ctx, a.ID, date, amount, !noAuto, actor())
			if err != nil {
				return asUsage(err)
			}
			s, err := db.Reconciliation(ctx, id)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(e.stdout)
			fmt.Fprintf(w, "Started reconciliation %d of %s, statement of %s.\n", id, a.Name, date)
			printStatement(w, s)
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&account, "account", "", "the account: a ledger account's name, or a feed account's id or number")
	cmd.Flags().StringVar(&date, "date", "", "the statement's date (YYYY-MM-DD)")
	cmd.Flags().StringVar(&balance, "balance", "", "the statement's ending balance, exactly as printed")
	cmd.Flags().BoolVar(&noAuto, "no-auto", false, "tick nothing: tick every split by hand")
	return cmd
}

// statementJSON is a reconciliation as reconcile show --json prints it.
type statementJSON struct {
	*reconcile.Statement
	Cleared    bankfeed.Decimal `json:"cleared_balance"`
	Difference bankfeed.Decimal `json:"difference"`
}

func newReconcileShowCmd(e *env) *cobra.Command {
	var account string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show [ID] [--account ACCOUNT] [--json]",
		Short: "Show a statement reconciliation: balances, difference, splits not ticked",
		Long: `Show shows a statement reconciliation: the statement's balance, the opening
balance (the last locked one's ending balance, 0 for the first), the total
ticked, the difference, and the splits not ticked yet dated on or before the
statement. Without ID it shows the open ones (of --account only, when
given). With --json, one JSON object per reconciliation, one per line.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var id int64
			if len(args) == 1 {
				var err error
				if id, err = reconciliationID(args[0]); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			db, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer db.Close()
			var ss []*reconcile.Statement
			if id != 0 {
				s, err := db.Reconciliation(ctx, id)
				if err != nil {
					return err
				}
				ss = append(ss, s)
			} else {
				var acct bankfeed.LedgerAccountID
				if account != "" {
					a, err := ledgerAccountRef(ctx, db, account)
					if err != nil {
						return err
					}
					acct = a.ID
				}
				if ss, err = db.Reconciliations(ctx, acct, true); err != nil {
					return err
				}
			}
			w := bufio.NewWriter(e.stdout)
			if asJSON {
				enc := newJSONEncoder(w, false)
				for _, s := range ss {
					if err := enc.Encode(statementJSON{s, s.Cleared(), s.Difference()}); err != nil {
						return err
					}
				}
				return w.Flush()
			}
			if len(ss) == 0 {
				fmt.Fprintln(w, "No reconciliation is open: bankfeed reconcile start --account ACCOUNT --date YYYY-MM-DD --balance AMOUNT opens one.")
			}
			for i, s := range ss {
				if i > 0 {
					fmt.Fprintln(w)
				}
				fmt.Fprintf(w, "Reconciliation %d of %s, statement of %s: %s.\n", s.ID, s.Account, s.StatementOn, s.State)
				printStatement(w, s)
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&account, "account", "", "without ID: only this account's open reconciliation")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per reconciliation, one per line")
	return cmd
}

// printStatement writes a reconciliation's balances and, while it is open,
// the splits not ticked and what to do next.
func printStatement(w io.Writer, s *reconcile.Statement) {
	writeBalances(w, [][2]string{
		{"statement balance", s.Balance.String()},
		{"opening balance", s.Opening.String()},
		{fmt.Sprintf("ticked (%d)", s.TickedCount), s.Ticked.String()},
		{"cleared balance", s.Cleared().String()},
		{"difference", s.Difference().String()},
	})
	if s.State != reconcile.StateOpen {
		fmt.Fprintf(w, "  Locked on %s. If it is the account's newest, bankfeed reconcile undo %d reopens it.\n", s.LockedAt.Format(time.DateOnly), s.ID)
		return
	}
	if len(s.Candidates) > 0 {
		fmt.Fprintln(w, "  Not ticked:")
		rows := make([][]string, 0, len(s.Candidates))
		for _, c := range s.Candidates {
			status := string(c.Status)
			if status == "" {
				status = "uncleared"
			}
			rows = append(rows, []string{strconv.FormatInt(c.ID, 10), c.Date, c.Payee, c.Amount.String(), status})
		}
		_ = writeTable(w, "    ", []string{"SPLIT", "DATE", "PAYEE", "AMOUNT", "STATUS"}, rows, 0, 3)
	}
	if d := s.Difference(); d.IsZero() {
		fmt.Fprintf(w, "  The difference is zero: bankfeed reconcile finish %d locks it.\n", s.ID)
	} else {
		fmt.Fprintf(w, "  Tick the splits the statement shows until the difference is zero: bankfeed reconcile tick %d SPLIT...\n", s.ID)
	}
}

// reconciliationID reads a reconciliation id argument.
func reconciliationID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usage("ID %q: want a reconciliation's number (see bankfeed reconcile show)", s)
	}
	return id, nil
}

func newReconcileTickCmd(e *env, tick bool) *cobra.Command {
	verb, short := "tick", "Tick splits the statement shows"
	if !tick {
		verb, short = "untick", "Untick splits"
	}
	return &cobra.Command{
		Use:   verb + " ID SPLIT...",
		Short: short,
		Long: short + ` in an open reconciliation. A split must be in its account, not
reconciled yet, and dated on or before the statement; every problem is
named and nothing is changed then.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := reconciliationID(args[0])
			if err != nil {
				return err
			}
			var splits []int64
			var problems []error
			for _, a := range args[1:] {
				n, err := strconv.ParseInt(a, 10, 64)
				if err != nil || n <= 0 {
					problems = append(problems, fmt.Errorf("SPLIT %q: want a split's number (see bankfeed reconcile show %d)", a, id))
					continue
				}
				splits = append(splits, n)
			}
			if problems != nil {
				return &exitError{code: exitUsage, err: errors.Join(problems...)}
			}
			ctx := cmd.Context()
			db, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.TickSplits(ctx, id, splits, tick, actor()); err != nil {
				return asUsage(err)
			}
			s, err := db.Reconciliation(ctx, id)
			if err != nil {
				return err
			}
			past := "Ticked"
			if !tick {
				past = "Unticked"
			}
			d := s.Difference()
			next := fmt.Sprintf("bankfeed reconcile show %d lists what is left", id)
			if d.IsZero() {
				next = fmt.Sprintf("bankfeed reconcile finish %d locks it", id)
			}
			_, err = fmt.Fprintf(e.stdout, "%s %d %s; the difference is %s: %s.\n", past, len(splits), plural(len(splits), "split", "splits"), d, next)
			return err
		},
	}
}

func newReconcileFinishCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "finish ID",
		Short: "Lock a reconciliation whose difference is zero",
		Long: `Finish locks a reconciliation when its difference is exactly zero: its
ticked splits become reconciled and cannot be changed until it is undone.
Any other difference is refused, saying by how much it is off.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := reconciliationID(args[0])
			if err != nil {
				return err
			}
			return withStore(e, func(ctx context.Context, db *store.DB, _ []string) error {
				s, err := db.FinishReconciliation(ctx, id, actor())
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(e.stdout, "Reconciliation %d locked: %d %s of %s reconciled at %s on %s.\n",
					id, s.TickedCount, plural(s.TickedCount, "split", "splits"), s.Account, s.Balance, s.StatementOn)
				return err
			})(cmd, args)
		},
	}
}

func newReconcileUndoCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "undo ID",
		Short: "Reopen an account's newest locked reconciliation, or discard an open one",
		Long: `Undo reopens a locked reconciliation, which must be its account's newest:
its splits are cleared again (still ticked) and can be changed. An open
reconciliation is discarded instead.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := reconciliationID(args[0])
			if err != nil {
				return err
			}
			return withStore(e, func(ctx context.Context, db *store.DB, _ []string) error {
				reopened, err := db.UndoReconciliation(ctx, id, actor())
				if err != nil {
					return err
				}
				if reopened {
					_, err = fmt.Fprintf(e.stdout, "Reconciliation %d reopened: its splits are cleared again and still ticked.\n", id)
				} else {
					_, err = fmt.Fprintf(e.stdout, "Reconciliation %d discarded.\n", id)
				}
				return err
			})(cmd, args)
		},
	}
}
