package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/advice"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

func init() { extraCommands = append(extraCommands, newStatusCmd) }

const statusLong = `Status shows where every feed stands, per institution and account: its state,
why, the last sync that worked and how long ago, how many lines wait for
review, and when the next attempt is.

States:
  ok                 the latest sync worked; the next is on the daily round
  new                connected, not synced yet
  retrying           a sync failed; bankfeed retries by itself
  waiting for bank   the bank is down or said when to come back; bankfeed waits
  needs your action  the bank wants something only you can do; no retry until you act
  escalate           failing for two business days: contact the bank
  disabled           switched off (bankfeed connection enable NAME)

An institution whose server is failing for everyone has its circuit open:
its connections wait together, and one probe tells when it is back. Below
the board, each feed that is not fine is explained: what happened, that its
lines are safe, what to do, and when bankfeed tries again. With --json, the
board as one JSON object.`

func newStatusCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show where each bank feed stands and what to do about it",
		Long:  statusLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer db.Close()
			board, err := statusBoard(ctx, db)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(e.stdout)
			if asJSON {
				enc := newJSONEncoder(w, true)
				err = enc.Encode(board)
			} else {
				var more *boardMore
				if more, err = moreOf(ctx, db); err == nil {
					err = printBoard(w, board, more)
				}
			}
			if ferr := w.Flush(); err == nil {
				err = ferr
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the board as one JSON object")
	return cmd
}

// stateLabel is a state in words.
func stateLabel(s bankfeed.ConnectionState) string {
	switch s {
	case bankfeed.ConnWaitingForBank:
		return "waiting for bank"
	case bankfeed.ConnNeedsAction:
		return "needs your action"
	case "":
		return "-"
	}
	return string(s)
}

// boardMore is what the board's explanations need beyond the board.
type boardMore = advice.Facts

func moreOf(ctx context.Context, db *store.DB) (*boardMore, error) { return advice.LoadFacts(ctx, db) }

// printBoard writes the status board, then an explanation of each feed
// that is not fine.
func printBoard(w io.Writer, b *syncer.Board, more *boardMore) error {
	now := b.At
	if len(b.Institutions) == 0 {
		_, err := fmt.Fprintln(w, noConnections)
		return err
	}
	var trouble []trouble
	for i, is := range b.Institutions {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, institutionLine(is, now))
		for _, cs := range is.Connections {
			fmt.Fprintf(w, "  %s (user %s): %s\n", cs.Name, cs.UserID, stateLabel(cs.State))
			if len(cs.Accounts) == 0 {
				fmt.Fprintf(w, "    no accounts listed yet; next attempt %s\n", nextText(cs.State, cs.Next, now))
			} else {
				rows := make([][]string, 0, len(cs.Accounts))
				for _, a := range cs.Accounts {
					rows = append(rows, []string{accountLabel(a.Number, a.Name), stateLabel(a.State), agoText(a.LastSuccess, now),
						fmt.Sprint(a.Unreviewed), nextText(a.State, a.Next, now)})
				}
				head := []string{"ACCOUNT", "STATE", "LAST SUCCESS", "UNREVIEWED", "NEXT ATTEMPT"}
				if err := writeTable(w, "    ", head, rows, 3); err != nil {
					return err
				}
			}
			if t := troubleOf(is, cs, more); t != nil {
				trouble = append(trouble, *t)
			}
		}
	}
	for _, t := range trouble {
		fmt.Fprintln(w)
		if err := t.print(w, now); err != nil {
			return err
		}
	}
	return nil
}

// institutionLine names an institution, and says when its circuit is open.
func institutionLine(is *syncer.InstitutionStatus, now time.Time) string {
	in := is.Institution
	s := in.Name
	if in.FID != "" {
		s += " (FID " + in.FID + ")"
	}
	if c := is.Circuit; c != nil && c.Open {
		s += fmt.Sprintf(": circuit open since %s (%s): its connections all wait; one probe %s tells whether it is back",
			clockText(c.OpenedAt, now), c.Class, nextText(bankfeed.ConnWaitingForBank, c.NextProbeAt, now))
	}
	return s
}

func accountLabel(number, name string) string {
	if name == "" {
		return number
	}
	return number + " " + name
}

// trouble is a connection that is not fine, with what to tell its user.
type trouble struct{ card *advice.Card }

// troubleOf returns the connection's trouble, or nil when it is fine.
func troubleOf(is *syncer.InstitutionStatus, cs *syncer.ConnectionStatus, more *boardMore) *trouble {
	c := advice.CardFor(is, cs, more, advice.CLI)
	if c == nil {
		return nil
	}
	return &trouble{card: c}
}

// stateRank orders states by how much they need saying; 0 and below are
// fine.
func stateRank(s bankfeed.ConnectionState) int { return advice.StateRank(s) }

// print explains the trouble: what happened, that the data is safe, what to
// do, and when bankfeed tries again.
func (t *trouble) print(w io.Writer, now time.Time) error {
	c := t.card
	fmt.Fprintf(w, "%s at %s: %s\n", c.Connection, c.Institution, stateLabel(c.State))
	fmt.Fprintf(w, "  What happened: %s.\n", c.What)
	if c.RunID != 0 {
		if c.BankSaid != "" {
			fmt.Fprintf(w, "  The bank said: \"%s\"\n", c.BankSaid)
		} else if c.Error != "" {
			fmt.Fprintf(w, "  Error: %s\n", c.Error)
		}
		fmt.Fprintf(w, "  Details: bankfeed runs show %d\n", c.RunID)
	}
	fmt.Fprintln(w, "  "+c.DataSafe)
	fmt.Fprintf(w, "  What to do: %s.\n", c.Todo)
	when := nextText(c.State, c.Next, now)
	if c.AtBankTime {
		when += ", when the bank said it would be back"
	}
	if c.WaitsForYou {
		when = "not by itself: it waits for you"
	}
	if _, err := fmt.Fprintf(w, "  Next attempt: %s.\n", when); err != nil {
		return err
	}
	if d := c.Diagnosis; d != nil {
		fmt.Fprintf(w, "  Diagnosis (%s): %s [%s, %.0f%% likely, %d findings]; bankfeed diagnose %s says more.\n",
			d.CheckedAt.Local().Format("Mon 15:04"), d.Title, d.Code, d.Likelihood*100, d.Findings, c.Connection)
		if d.Escalate {
			fmt.Fprintf(w, "  Time to call the bank or an expert: %s.\n", d.EscalateWhy)
		}
	}
	return nil
}

// cliAdvice is a class's advice in the CLI's words.
type cliAdvice struct {
	what string
	a    advice.Advice
}

// adviceFor returns the advice for a class; an unknown class gets general
// words.
func adviceFor(c bankfeed.FailureClass) cliAdvice {
	a := advice.For(c)
	return cliAdvice{what: a.What, a: a}
}

// todo returns what to do, for the connection name and the bank's web site.
func (a cliAdvice) todo(name, portal string) string { return a.a.Todo(advice.CLI, name, portal) }

// nextText says when the next attempt is, in words: "in 14 min (05:02)",
// "when you act", "none" for a disabled feed.
func nextText(state bankfeed.ConnectionState, next, now time.Time) string {
	switch {
	case state == bankfeed.ConnDisabled:
		return "none (disabled)"
	case state == bankfeed.ConnNeedsAction:
		return "when you act"
	case next.IsZero():
		return "none scheduled"
	case !next.After(now.Add(30 * time.Second)):
		return "now"
	}
	return "in " + durationText(next.Sub(now)) + " (" + clockText(next, now) + ")"
}

// agoText says how long ago t was: "just now", "2 h ago", "never".
func agoText(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	if d < time.Minute {
		return "just now"
	}
	return durationText(d) + " ago"
}

// durationText writes d roughly: "45 s", "14 min", "2 h 30 min", "3 days".
func durationText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", max(int(d.Round(time.Second)/time.Second), 1))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	case d < 48*time.Hour:
		d = d.Round(time.Minute)
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 || h >= 10 {
			return fmt.Sprintf("%d h", int(d.Round(time.Hour)/time.Hour))
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	return fmt.Sprintf("%d days", int(d.Round(24*time.Hour)/(24*time.Hour)))
}

// clockText writes a time in the local zone: the time of day when it is
// today, else the day too.
func clockText(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04")
	}
	if t.Sub(now).Abs() < 6*24*time.Hour {
		return t.Format("Mon 15:04")
	}
	return t.Format("2 Jan 15:04")
}

// writeJSONLines writes one JSON object per item, one per line, and
// flushes w.
func writeJSONLines[T any](w *bufio.Writer, items []T) error {
	enc := newJSONEncoder(w, false)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	return w.Flush()
}

// newJSONEncoder returns an encoder that leaves <, > and & as they are,
// indenting when asked.
func newJSONEncoder(w io.Writer, indent bool) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	return enc
}

// statusBoard builds the board. It needs no key: it opens no password.
func statusBoard(ctx context.Context, db *store.DB) (*syncer.Board, error) {
	return syncer.New(db, nil, syncer.Options{}).Status(ctx)
}
