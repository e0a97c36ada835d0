package cli

import (
	"bufio"
	"context"
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

func init() { extraCommands = append(extraCommands, newReviewCmd, newAuditCmd) }

const reviewLong = `Review lists the feed lines waiting For Review, with what bankfeed
proposes for each: an entry of your books to match (with its score), a
transfer with a line of another of your accounts, or a new entry with the
payee and category your bank rules and past decisions give.

Lines bankfeed is sure of never wait here: a line that matches one entry
clearly, a line a rule adds or excludes, a transfer seen from both sides,
and a line that is a line already in the feed under a new id.

Decide with the subcommands: add, match, transfer, exclude; undo puts a
decided line back. Every decision is in the audit log (bankfeed audit).`

func newReviewCmd(e *env) *cobra.Command {
	var account string
	var all, asJSON bool
	cmd := &cobra.Command{
		Use:   "review",
		Short: "List the lines waiting For Review, with proposals",
		Long:  reviewLong,
		Example: `  bankfeed review
  bankfeed review add 12 --category Expenses:Office
  bankfeed review match 13 42
  bankfeed review transfer 14
  bankfeed review exclude 15
  bankfeed review undo 12`,
		Args: cobra.NoArgs,
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			f := store.ReviewFilter{States: []bankfeed.ReviewState{bankfeed.ReviewPending}}
			if all {
				f.States = nil
			}
			if account != "" {
				a, err := db.FindAccount(ctx, account)
				if err != nil {
					return &exitError{code: exitUsage, err: fmt.Errorf("--account: %w", err)}
				}
				f.AccountID = a.ID
			}
			items, err := db.Reviews(ctx, f)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(e.stdout)
			if asJSON {
				return writeJSONLines(w, items)
			}
			if len(items) == 0 {
				fmt.Fprintln(w, "Nothing waits For Review.")
				return w.Flush()
			}
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "LINE\tDATE\tACCOUNT\tAMOUNT\tDESCRIPTION\tSTATE\tPROPOSAL")
			for _, it := range items {
				fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\n", it.LineID, it.Line.PostedOn, it.AccountID, it.Line.Amount,
					clip(strings.TrimSpace(it.Line.Name+" "+it.Line.Memo), 40), it.State, proposal(&it.Review))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if !all {
				fmt.Fprintf(w, "\n%d %s For Review.\n", len(items), plural(len(items), "line", "lines"))
			}
			return w.Flush()
		}),
	}
	cmd.Flags().StringVar(&account, "account", "", "only this feed account (id or number)")
	cmd.Flags().BoolVar(&all, "all", false, "every line with a review record, decided or not")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line: the review record and its line")
	cmd.AddCommand(newReviewAddCmd(e), newReviewMatchCmd(e), newReviewTransferCmd(e), newReviewExcludeCmd(e), newReviewUndoCmd(e))
	return cmd
}

// proposal says in words what review proposes for a line.
func proposal(r *bankfeed.Review) string {
	var parts []string
	switch {
	case r.EntryID != nil:
		parts = append(parts, fmt.Sprintf("entry %d", *r.EntryID))
	case r.SameAs != nil:
		parts = append(parts, fmt.Sprintf("same as line %d", *r.SameAs))
	case r.TransferWith != nil:
		parts = append(parts, fmt.Sprintf("transfer with line %d", *r.TransferWith))
	case review.PossibleDuplicate(r):
		parts = append(parts, fmt.Sprintf("possible duplicate of entry %d, typed after bankfeed added this line: match it, or add the line again (score %.1f)", *r.Suggestion, r.Score))
	case r.Suggestion != nil:
		parts = append(parts, fmt.Sprintf("match entry %d (score %.1f)", *r.Suggestion, r.Score))
	}
	if r.Payee != "" && r.EntryID == nil {
		parts = append(parts, "payee "+r.Payee)
	}
	if r.Category != "" && r.EntryID == nil && r.Suggestion == nil {
		by := r.SetBy["category"]
		if by != "" {
			by = " (" + by + ")"
		}
		parts = append(parts, "add to "+r.Category+by)
	}
	if len(parts) == 0 {
		return "add: needs a category"
	}
	return strings.Join(parts, "; ")
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// lineArgs parses line ids, naming the bad one.
func lineArgs(args []string) ([]bankfeed.LineID, error) {
	out := make([]bankfeed.LineID, len(args))
	for i, a := range args {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n <= 0 {
			return nil, &exitError{code: exitUsage, err: fmt.Errorf("line %q: not a line id (see bankfeed review)", a)}
		}
		out[i] = bankfeed.LineID(n)
	}
	return out, nil
}

// withReview runs fn with the review service over the store.
func withReview(e *env, fn func(ctx context.Context, s *review.Service, db *store.DB, args []string) error) func(*cobra.Command, []string) error {
	return withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
		return fn(ctx, reviewService(db), db, args)
	})
}

// parseSplits reads --split ACCOUNT=AMOUNT flags.
func parseSplits(flag string, vals []string) ([]review.CategorySplit, error) {
	var out []review.CategorySplit
	var problems []error
	for _, v := range vals {
		acct, amt, ok := strings.Cut(v, "=")
		if !ok || strings.TrimSpace(acct) == "" {
			problems = append(problems, fmt.Errorf("%s %q: want ACCOUNT=AMOUNT", flag, v))
			continue
		}
		d, err := bankfeed.ParseDecimal(strings.TrimSpace(amt))
		if err != nil {
			problems = append(problems, fmt.Errorf("%s %q: amount %q is not a number", flag, v, amt))
			continue
		}
		out = append(out, review.CategorySplit{Account: strings.TrimSpace(acct), Amount: d})
	}
	if problems != nil {
		return nil, &exitError{code: exitUsage, err: errors.Join(problems...)}
	}
	return out, nil
}

func newReviewAddCmd(e *env) *cobra.Command {
	var d review.Decision
	var splits []string
	cmd := &cobra.Command{
		Use:   "add LINE...",
		Short: "Add lines to the books as new entries",
		Long: `Add makes a new entry of each line: its bank side in the line's account,
and the category you give (--category), or split across several (--split
ACCOUNT=AMOUNT, amounts as they go to each category, summing to the line's
amount with the opposite sign). Without either, the category review
proposes. A category not yet in the chart of accounts is added to it. The
payee you give is remembered for the bank's descriptor.`,
		Args: cobra.MinimumNArgs(1),
		RunE: withReview(e, func(ctx context.Context, s *review.Service, db *store.DB, args []string) error {
			ids, err := lineArgs(args)
			if err != nil {
				return err
			}
			if d.Splits, err = parseSplits("--split", splits); err != nil {
				return err
			}
			for _, id := range ids {
				d.Line = id
				en, err := s.Add(ctx, actor(), d)
				if err != nil {
					return flagHint(err)
				}
				fmt.Fprintf(e.stdout, "Line %d added as entry %d (%s).\n", id, en.ID, en.Splits[1].AccountName)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&d.Category, "category", "", "the category account, as Expenses:Office")
	cmd.Flags().StringArrayVar(&splits, "split", nil, "ACCOUNT=AMOUNT, repeated, instead of --category")
	cmd.Flags().StringVar(&d.Payee, "payee", "", "the payee (default: review's proposal, else the bank's name)")
	cmd.Flags().StringVar(&d.Memo, "memo", "", "a memo for the entry")
	return cmd
}

func newReviewMatchCmd(e *env) *cobra.Command {
	var payee string
	return withPayee(&payee, &cobra.Command{
		Use:   "match LINE [ENTRY]",
		Short: "Match a line to an entry already in the books",
		Long: `Match says a line is the bank's record of an entry you already have (typed
by hand, or the other side of a transfer): the entry's split in the line's
account is linked to it and cleared. Without ENTRY, the entry review
proposes. The amounts must agree.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: withReview(e, func(ctx context.Context, s *review.Service, db *store.DB, args []string) error {
			ids, err := lineArgs(args[:1])
			if err != nil {
				return err
			}
			d := review.Decision{Line: ids[0], Payee: payee}
			if len(args) == 2 {
				n, err := strconv.ParseInt(args[1], 10, 64)
				if err != nil || n <= 0 {
					return &exitError{code: exitUsage, err: fmt.Errorf("entry %q: not an entry id (see bankfeed entry list)", args[1])}
				}
				d.Entry = bankfeed.EntryID(n)
			}
			en, err := s.Match(ctx, actor(), d)
			if err != nil {
				return flagHint(err)
			}
			_, err = fmt.Fprintf(e.stdout, "Line %d matched to entry %d (%s %s).\n", d.Line, en.ID, en.Date, en.Payee)
			return err
		}),
	})
}

// flagHint adds to a decision's missing-field error the flag or argument
// that gives it on the command line.
func flagHint(err error) error {
	switch {
	case errors.Is(err, review.ErrNoCategory):
		return fmt.Errorf("%w; give --category ACCOUNT or --split ACCOUNT=AMOUNT", err)
	case errors.Is(err, review.ErrNoEntry):
		return fmt.Errorf("%w; give the entry: bankfeed review match LINE ENTRY (bankfeed entry list shows them)", err)
	case errors.Is(err, review.ErrNoOtherSide):
		return fmt.Errorf("%w; give the other side: bankfeed review transfer LINE OTHER", err)
	}
	return err
}

func withPayee(p *string, cmd *cobra.Command) *cobra.Command {
	cmd.Flags().StringVar(p, "payee", "", "remember this payee for the bank's descriptor")
	return cmd
}

func newReviewTransferCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "transfer LINE [OTHER]",
		Short: "Make one transfer entry of a line and its other side",
		Long: `Transfer books money moved between two of your own accounts as one entry,
not an expense and an income: LINE and OTHER are the two sides (money out of
one, the same amount into the other). Without OTHER, the line review
proposes.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: withReview(e, func(ctx context.Context, s *review.Service, db *store.DB, args []string) error {
			ids, err := lineArgs(args)
			if err != nil {
				return err
			}
			d := review.Decision{Line: ids[0]}
			if len(ids) == 2 {
				d.With = ids[1]
			}
			en, err := s.Transfer(ctx, actor(), d)
			if err != nil {
				return flagHint(err)
			}
			_, err = fmt.Fprintf(e.stdout, "Transfer entry %d: %s %s → %s.\n", en.ID, en.Splits[1].Amount, en.Splits[0].AccountName, en.Splits[1].AccountName)
			return err
		}),
	}
}

func newReviewExcludeCmd(e *env) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "exclude LINE...",
		Short: "Keep lines out of the books",
		Args:  cobra.MinimumNArgs(1),
		RunE: withReview(e, func(ctx context.Context, s *review.Service, db *store.DB, args []string) error {
			ids, err := lineArgs(args)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if err := s.Exclude(ctx, actor(), id, reason); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Line %d excluded.\n", id)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the audit log")
	return cmd
}

func newReviewUndoCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "undo LINE...",
		Short: "Put decided lines back For Review",
		Long: `Undo puts a line back For Review: an entry made from it is removed (an entry
you typed only loses the link), a line merged as the same as another is its
own line again, an excluded line is back. Then review proposes again.`,
		Args: cobra.MinimumNArgs(1),
		RunE: withReview(e, func(ctx context.Context, s *review.Service, db *store.DB, args []string) error {
			ids, err := lineArgs(args)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if err := s.Undo(ctx, actor(), id); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Line %d is For Review again.\n", id)
			}
			return nil
		}),
	}
}

func newAuditCmd(e *env) *cobra.Command {
	var f store.AuditFilter
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show the audit log: who decided what, and when",
		Long: `Audit shows the audit log, newest first: every review decision (a person's
or bankfeed's own), every entry added or removed, every rule change and
reconciliation, with who made it and when.`,
		Args: cobra.NoArgs,
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			as, err := db.AuditLog(ctx, f)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(e.stdout)
			if asJSON {
				return writeJSONLines(w, as)
			}
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "WHEN\tWHO\tWHAT\tON\tDETAIL")
			for _, a := range as {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.At.Local().Format("2006-01-02 15:04:05"), a.Actor, a.Action, a.Subject, clip(a.Detail, 60))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			return w.Flush()
		}),
	}
	cmd.Flags().StringVar(&f.Subject, "subject", "", `only this subject, as "line 12" or "rule 3"`)
	cmd.Flags().StringVar(&f.Action, "action", "", `only actions starting so, as "review." or "rule."`)
	cmd.Flags().IntVar(&f.Limit, "limit", 50, "at most this many, newest first (0 for all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per entry")
	return cmd
}
