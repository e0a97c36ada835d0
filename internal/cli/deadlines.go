package cli

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed/internal/store"
)

func init() { extraCommands = append(extraCommands, newDeadlinesCmd) }

const deadlinesLong = `Deadlines are the dates your books must be current by: payroll on the 15th
of every month, a quarterly tax filing, a year's close. A feed that is stale
when one nears is urgent: bankfeed diagnose rates it high within 3 days of
a deadline and critical on the day before and the day itself.

Without a subcommand, deadlines lists them with the next time each falls
due. A deadline that repeats on a day a month lacks (the 31st) falls on
that month's last day. With --json, one JSON object per deadline, one per
line.`

// deadlineDay is how a due date is shown: Friday 15 March 2026.
const deadlineDay = "Monday 2 January 2006"

func newDeadlinesCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "deadlines",
		Short: "List the deadlines that make a stale feed urgent",
		Long:  deadlinesLong,
		Example: `  bankfeed deadlines add Payroll 2026-01-15 --every month
  bankfeed deadlines add "VAT return" 2026-04-30 --every quarter
  bankfeed deadlines
  bankfeed deadlines remove Payroll`,
		Args: cobra.NoArgs,
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			ds, err := db.Deadlines(ctx)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(e.stdout)
			if err := printDeadlines(w, ds, time.Now(), asJSON); err != nil {
				return err
			}
			return w.Flush()
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per deadline, one per line")
	cmd.AddCommand(newDeadlineAddCmd(e), newDeadlineRemoveCmd(e))
	return cmd
}

func newDeadlineAddCmd(e *env) *cobra.Command {
	var every string
	cmd := &cobra.Command{
		Use:   "add NAME YYYY-MM-DD",
		Short: "Add a deadline, once or repeating",
		Long: `Add adds a deadline named NAME, due on YYYY-MM-DD. With --every it repeats
from that date: every week, month, quarter or year.`,
		Args: cobra.ExactArgs(2),
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			d := store.Deadline{Name: args[0], DueOn: args[1], Every: strings.ToLower(strings.TrimSpace(every))}
			if err := db.AddDeadline(ctx, &d); err != nil {
				return err
			}
			next, ok := d.Next(time.Now())
			var err error
			switch {
			case d.Every != "":
				_, err = fmt.Fprintf(e.stdout, "Added %s: due every %s, next on %s.\n", d.Name, d.Every, next.Format(deadlineDay))
			case ok:
				_, err = fmt.Fprintf(e.stdout, "Added %s: due on %s.\n", d.Name, next.Format(deadlineDay))
			default:
				_, err = fmt.Fprintf(e.stdout, "Added %s: due on %s, which has passed.\n", d.Name, d.DueOn)
			}
			return err
		}),
	}
	cmd.Flags().StringVar(&every, "every", "", "repeat: "+strings.Join(store.Repeats, ", "))
	return cmd
}

func newDeadlineRemoveCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a deadline",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			if err := db.RemoveDeadline(ctx, args[0]); err != nil {
				return err
			}
			_, err := fmt.Fprintf(e.stdout, "Removed %s.\n", strings.TrimSpace(args[0]))
			return err
		}),
	}
}

// withStore is a command's RunE that opens the store for fn.
func withStore(e *env, fn func(ctx context.Context, db *store.DB, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		db, err := openStore(ctx, e)
		if err != nil {
			return err
		}
		defer db.Close()
		return fn(ctx, db, args)
	}
}

// deadlineJSON is a deadline as deadlines --json prints it.
type deadlineJSON struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	DueOn string `json:"due_on"`
	Every string `json:"every"`
	// Next is the next due date, YYYY-MM-DD; "" when a one-off has passed.
	Next string `json:"next"`
}

// printDeadlines lists ds by their next due date after now, those that
// have passed last.
func printDeadlines(w io.Writer, ds []store.Deadline, now time.Time, asJSON bool) error {
	type row struct {
		d    store.Deadline
		next time.Time
		ok   bool
	}
	rows := make([]row, 0, len(ds))
	for _, d := range ds {
		next, ok := d.Next(now)
		rows = append(rows, row{d, next, ok})
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		if a.ok != b.ok {
			if a.ok {
				return -1
			}
			return 1
		}
		return cmp.Or(a.next.Compare(b.next), strings.Compare(a.d.Name, b.d.Name))
	})
	if asJSON {
		enc := newJSONEncoder(w, false)
		for _, r := range rows {
			j := deadlineJSON{ID: r.d.ID, Name: r.d.Name, DueOn: r.d.DueOn, Every: r.d.Every}
			if r.ok {
				j.Next = r.next.Format(store.DateLayout)
			}
			if err := enc.Encode(j); err != nil {
				return err
			}
		}
		return nil
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "No deadlines yet: bankfeed deadlines add NAME YYYY-MM-DD [--every month] adds one.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tNEXT DUE\tIN\tREPEATS\tFROM")
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	for _, r := range rows {
		next, in := "passed", "-"
		if r.ok {
			next = r.next.Format(deadlineDay)
			in = inDays(int(r.next.Sub(today).Round(24*time.Hour) / (24 * time.Hour)))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.d.Name, next, in, cmp.Or(r.d.Every, "once"), r.d.DueOn)
	}
	return tw.Flush()
}

// inDays says how far a due date is: today, tomorrow, 3 days.
func inDays(n int) string {
	switch n {
	case 0:
		return "today"
	case 1:
		return "tomorrow"
	}
	return fmt.Sprintf("%d days", n)
}
