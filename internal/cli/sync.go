package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/diagnose"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

func init() { extraCommands = append(extraCommands, newSyncCmd) }

const syncLong = `Sync fetches new lines from the banks now: every enabled connection, or the
one --connection names, all at once across banks (at most two at a time per
bank). Each account's run is atomic: its new lines, how far it got and the
run's record are committed together, or, when the bank fails, only the
record of the failure. Lines are deduplicated, so syncing again never
doubles one.

A sync you start is always allowed, whatever the backoff. Connections that
wait for you (the bank rejected the password, wants its terms accepted,
locked the login) are left out of a plain sync and listed with what to do;
--connection NAME runs one anyway, as you acting, after a warning when it
will likely fail again.

On a terminal each account's progress is drawn in place; otherwise each
step is a line on stderr. Then a table says, per account, the outcome, new
and duplicate lines, the failure class and when bankfeed tries again, and
each failure is explained. With --json, one JSON object per connection,
one per line, and no progress.

Exit status: 0 when every account synced, 1 when any failed or a
connection could not list its accounts (those left waiting for you do not
count), 3 for an error inside bankfeed.`

func newSyncCmd(e *env) *cobra.Command {
	var conn string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Fetch new lines from the banks now",
		Long:  syncLong,
		Example: `  bankfeed sync
  bankfeed sync --connection checking
  bankfeed sync --json | jq '.accounts[].run.new'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSync(cmd.Context(), e, conn, asJSON)
		},
	}
	cmd.Flags().StringVar(&conn, "connection", "", "sync only this connection (name or id), even one that waits for you")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per connection, one per line; no progress")
	return cmd
}

// syncPlan is which connections a sync runs, and which it leaves out.
type syncPlan struct {
	run      []*bankfeed.Connection
	waiting  []*bankfeed.Connection // needs_action, left for the user
	disabled []*bankfeed.Connection
}

func planSync(ctx context.Context, db *store.DB, ref string) (*syncPlan, error) {
	p := &syncPlan{}
	if ref != "" {
		c, err := db.FindConnection(ctx, ref)
		if err != nil {
			return nil, err
		}
		if c.Disabled {
			return nil, bankfeed.Errorf(bankfeed.EInvalid, "%s is disabled: bankfeed connection enable %s first", c.Name, c.Name)
		}
		p.run = []*bankfeed.Connection{c}
		return p, nil
	}
	conns, err := db.Connections(ctx, store.ConnectionFilter{})
	if err != nil {
		return nil, err
	}
	for _, c := range conns {
		switch {
		case c.Disabled:
			p.disabled = append(p.disabled, c)
		case c.State == bankfeed.ConnNeedsAction:
			p.waiting = append(p.waiting, c)
		default:
			p.run = append(p.run, c)
		}
	}
	return p, nil
}

func runSync(ctx context.Context, e *env, ref string, asJSON bool) error {
	db, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	plan, err := planSync(ctx, db, ref)
	if err != nil {
		return err
	}
	if len(plan.run)+len(plan.waiting)+len(plan.disabled) == 0 {
		if asJSON {
			return nil
		}
		_, err := fmt.Fprintln(e.stdout, noConnections)
		return err
	}
	var prog *syncProgress
	if !asJSON {
		prog = newSyncProgress(e.stderr, isTerminal(e.stderr))
	}
	if ref != "" && !asJSON {
		// Said before the sync signs on, not after: a locked login or a
		// rejected password is the user's call to make.
		key, err := loadKey()
		if err != nil {
			return err
		}
		s := syncer.New(db, key, syncer.Options{})
		for _, c := range plan.run {
			w, err := s.ManualWarning(ctx, c.ID)
			if err != nil {
				return err
			}
			if w != "" {
				fmt.Fprintf(e.stderr, "Warning, %s: %s.\n", c.Name, w)
			}
		}
	}
	results, err := syncAll(ctx, db, plan.run, prog)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return &exitError{code: exitFailure, err: errors.New("interrupted: the runs that finished are recorded; " +
			"the accounts still under way were left as they were")}
	}
	w := bufio.NewWriter(e.stdout)
	failed := 0
	var errs []error
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, fmt.Errorf("sync %s: %w", r.conn.Name, r.err))
		}
		if r.failed() {
			failed++
		}
	}
	if asJSON {
		err = writeSyncJSON(w, results, plan)
	} else {
		err = printSync(ctx, w, db, results, plan, time.Now())
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		// The banks' failures are in the results: these are bankfeed's own.
		return &exitError{code: exitInternal, err: errors.Join(errs...)}
	}
	if failed > 0 {
		return &exitError{code: exitFailure, err: fmt.Errorf("%d of %d %s did not sync fully", failed, len(results),
			plural(len(results), "connection", "connections"))}
	}
	return nil
}

// syncResult is one connection's sync.
type syncResult struct {
	conn *bankfeed.Connection
	res  *syncer.Result
	err  error // the engine's own failure
	// verdict is the diagnosis of a sync that failed.
	verdict *diagnose.Verdict
}

// failed reports whether an account failed or the connection could not be
// synced at all.
func (r *syncResult) failed() bool {
	if r.err != nil || r.res == nil {
		return true
	}
	for _, a := range r.res.Accounts {
		if a.Run != nil && a.Run.Outcome == bankfeed.OutcomeFailed {
			return true
		}
	}
	return r.res.Skipped != "" && len(r.res.Accounts) == 0 && stateRank(r.res.Connection.State) > 0
}

// syncAll syncs the connections at once, as the user asking, and returns
// their results in the same order. The syncer bounds the runs per bank.
func syncAll(ctx context.Context, db *store.DB, conns []*bankfeed.Connection, prog *syncProgress) ([]*syncResult, error) {
	if len(conns) == 0 {
		return nil, nil
	}
	key, err := loadKey()
	if err != nil {
		return nil, err
	}
	return syncWith(ctx, db, key, syncer.Options{}, conns, prog), nil
}

// syncWith syncs the connections with key and opts.
func syncWith(ctx context.Context, db *store.DB, key *secret.Key, opts syncer.Options, conns []*bankfeed.Connection,
	prog *syncProgress) []*syncResult {
	if prog != nil {
		opts.Progress = prog.event
	}
	if opts.Review == nil {
		opts.Review = reviewService(db).Ingest
	}
	s := syncer.New(db, key, opts)
	// A sync that fails is diagnosed at once, and the user told (once per
	// change) when a webhook is set.
	w := newWatcher(db, s, nil)
	out := make([]*syncResult, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		out[i] = &syncResult{conn: c}
		wg.Go(func() {
			out[i].res, out[i].err = s.Sync(ctx, c.ID, true)
			if out[i].err == nil {
				out[i].verdict = w.After(ctx, out[i].res)
			}
		})
	}
	wg.Wait()
	if prog != nil {
		prog.finish()
	}
	return out
}

// syncJSON is one line of sync --json.
type syncJSON struct {
	Connection  string                `json:"connection"`
	ID          bankfeed.ConnectionID `json:"connection_id"`
	Institution string                `json:"institution"`
	// Synced is false for a connection left out: one that waits for you,
	// or a disabled one.
	Synced  bool   `json:"synced"`
	Skipped string `json:"skipped,omitempty"`
	Warning string `json:"warning,omitempty"`
	Error   string `json:"error,omitempty"` // the engine's own failure
	// Probe is true when this sync tested whether a failing bank is back.
	Probe    bool                     `json:"probe,omitempty"`
	State    bankfeed.ConnectionState `json:"state"`
	Reason   string                   `json:"reason,omitempty"`
	Next     time.Time                `json:"next_attempt_at,omitzero"`
	Accounts []syncAccountJSON        `json:"accounts"`
}

type syncAccountJSON struct {
	AccountID bankfeed.AccountID `json:"account_id"`
	Number    string             `json:"number"`
	Desc      string             `json:"desc,omitempty"`
	// Outcome is ok, failed or skipped.
	Outcome string                   `json:"outcome"`
	Skipped string                   `json:"skipped,omitempty"`
	Run     *bankfeed.SyncRun        `json:"run,omitempty"`
	State   bankfeed.ConnectionState `json:"state,omitempty"`
	Next    time.Time                `json:"next_attempt_at,omitzero"`
	Reason  string                   `json:"reason,omitempty"`
}

func toSyncJSON(r *syncResult) syncJSON {
	c := r.conn
	j := syncJSON{Connection: c.Name, ID: c.ID, Institution: institutionLabel(c.Profile), Synced: true,
		State: c.State, Reason: c.Reason, Next: c.NextAttemptAt, Accounts: []syncAccountJSON{}}
	if r.err != nil {
		j.Error = r.err.Error()
	}
	if r.res == nil {
		return j
	}
	res := r.res
	c = res.Connection
	j.Skipped, j.Warning, j.Probe = res.Skipped, res.Warning, res.Probe
	j.State, j.Reason, j.Next = c.State, c.Reason, c.NextAttemptAt
	for _, a := range res.Accounts {
		aj := syncAccountJSON{AccountID: a.Account.AccountID, Number: a.Account.Number, Desc: a.Account.Desc,
			Outcome: "skipped", Skipped: a.Skipped, Run: a.Run, State: a.State, Next: a.Next, Reason: a.Reason}
		if a.Run != nil {
			aj.Outcome = a.Run.Outcome
		}
		j.Accounts = append(j.Accounts, aj)
	}
	return j
}

func leftOutJSON(c *bankfeed.Connection, why string) syncJSON {
	state := c.State
	if c.Disabled {
		state = bankfeed.ConnDisabled
	}
	return syncJSON{Connection: c.Name, ID: c.ID, Institution: institutionLabel(c.Profile), Skipped: why,
		State: state, Reason: c.Reason, Next: c.NextAttemptAt, Accounts: []syncAccountJSON{}}
}

func writeSyncJSON(w io.Writer, results []*syncResult, plan *syncPlan) error {
	enc := newJSONEncoder(w, false)
	for _, r := range results {
		if err := enc.Encode(toSyncJSON(r)); err != nil {
			return err
		}
	}
	for _, c := range plan.waiting {
		if err := enc.Encode(leftOutJSON(c, "waiting for you: "+c.Reason)); err != nil {
			return err
		}
	}
	for _, c := range plan.disabled {
		if err := enc.Encode(leftOutJSON(c, "disabled")); err != nil {
			return err
		}
	}
	return nil
}

// printSync writes the warnings, the summary table, what the connections
// that were left out wait for, and an explanation of each failure.
func printSync(ctx context.Context, w io.Writer, db *store.DB, results []*syncResult, plan *syncPlan, now time.Time) error {
	for _, r := range results {
		if r.res != nil && r.res.Warning != "" {
			fmt.Fprintf(w, "Warning, %s: %s.\n", r.conn.Name, r.res.Warning)
		}
	}
	if len(results) > 0 {
		if err := writeTable(w, "", syncHead, syncRows(results, now), 3, 4); err != nil {
			return err
		}
	}
	failed := map[bankfeed.ConnectionID]bool{}
	for _, r := range results {
		if r.err != nil {
			fmt.Fprintf(w, "%s: not synced: %v\n", r.conn.Name, r.err)
		} else if r.failed() {
			failed[r.conn.ID] = true
		}
	}
	if len(plan.waiting) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Waiting for you, so not synced (bankfeed sync --connection NAME runs one anyway):")
		for _, c := range plan.waiting {
			what, todo := waitingAdvice(ctx, db, c)
			fmt.Fprintf(w, "  %s: %s.\n", c.Name, what)
			fmt.Fprintf(w, "    What to do: %s.\n", todo)
		}
	}
	if n := len(plan.disabled); n > 0 {
		fmt.Fprintf(w, "\n%d disabled %s not synced (bankfeed connection enable NAME).\n", n, plural(n, "connection", "connections"))
	}
	if len(failed) == 0 {
		return nil
	}
	return printTroubles(ctx, w, db, func(id bankfeed.ConnectionID) bool { return failed[id] })
}

var syncHead = []string{"CONNECTION", "ACCOUNT", "OUTCOME", "NEW", "DUPLICATES", "FAILURE", "NEXT ATTEMPT"}

func syncRows(results []*syncResult, now time.Time) [][]string {
	var rows [][]string
	for _, r := range results {
		if r.res == nil {
			rows = append(rows, []string{r.conn.Name, "-", "not synced", "", "", "engine", "-"})
			continue
		}
		c := r.res.Connection
		if len(r.res.Accounts) == 0 {
			why := r.res.Skipped
			if stateRank(c.State) > 0 && c.Reason != "" {
				why = c.Reason // the explanation below says the rest
			}
			rows = append(rows, []string{c.Name, "-", "not synced: " + why, "", "", "", nextText(c.State, c.NextAttemptAt, now)})
			continue
		}
		for _, a := range r.res.Accounts {
			next := a.Next
			if a.State == bankfeed.ConnOK && !c.NextAttemptAt.IsZero() {
				next = c.NextAttemptAt // the daily round, with the connection's jitter
			}
			row := []string{c.Name, accountLabel(a.Account.Number, a.Account.Desc), "", "", "", "", nextText(a.State, next, now)}
			switch {
			case a.Run == nil:
				row[2] = "not tried: " + strings.TrimPrefix(a.Skipped, "not tried: ")
			case a.Run.Outcome == bankfeed.OutcomeOK:
				row[2], row[3], row[4] = "ok", fmt.Sprint(a.Run.New), fmt.Sprint(a.Run.Duplicate)
			default:
				row[2], row[5] = "failed", a.Run.FailureClass
			}
			if !a.Account.Enabled {
				row[6] = "-"
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// waitingAdvice says what a connection that waits for its user waits for,
// and what to do: from its last failed run's class, else from its reason.
func waitingAdvice(ctx context.Context, db *store.DB, c *bankfeed.Connection) (what, todo string) {
	runs, err := db.FindSyncRuns(ctx, store.SyncRunFilter{ConnectionID: c.ID, Limit: 1})
	if err == nil && len(runs) > 0 && runs[0].Outcome == bankfeed.OutcomeFailed {
		a := adviceFor(bankfeed.FailureClass(runs[0].FailureClass))
		return a.what, a.todo(c.Name, c.Profile.PortalURL)
	}
	return strings.TrimPrefix(c.Reason, "needs your action: "), "do what the bank asks, then: bankfeed connection resume " + c.Name
}

// printTroubles explains, from the status board, each connection that is
// not fine and that want selects.
func printTroubles(ctx context.Context, w io.Writer, db *store.DB, want func(bankfeed.ConnectionID) bool) error {
	board, err := statusBoard(ctx, db)
	if err != nil {
		return err
	}
	more, err := moreOf(ctx, db)
	if err != nil {
		return err
	}
	for _, is := range board.Institutions {
		for _, cs := range is.Connections {
			if !want(cs.ID) {
				continue
			}
			if t := troubleOf(is, cs, more); t != nil {
				fmt.Fprintln(w)
				if err := t.print(w, board.At); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// syncProgress shows each account's progress: on a terminal, a line per
// account redrawn in place; otherwise a line per step.
type syncProgress struct {
	w    io.Writer
	term bool

	mu    sync.Mutex
	rows  []*progressRow
	index map[string]*progressRow
	drawn int // lines drawn so far, on a terminal
}

type progressRow struct {
	conn, acct string
	step, text string
}

func newSyncProgress(w io.Writer, term bool) *syncProgress {
	return &syncProgress{w: w, term: term, index: map[string]*progressRow{}}
}

// stepText says a step in words.
func stepText(ev syncer.Event) string {
	switch ev.Step {
	case "waiting":
		return "waiting for a turn at the bank"
	case "fetching":
		return "asking the bank"
	case "importing":
		return "importing"
	case "done":
		if r := ev.Run; r != nil {
			return fmt.Sprintf("done: %d new, %d %s", r.New, r.Duplicate, plural(r.Duplicate, "duplicate", "duplicates"))
		}
		return "done"
	case "failed":
		if r := ev.Run; r != nil {
			return "failed: " + r.FailureClass
		}
		return "failed"
	case "skipped":
		return "skipped: " + ev.Why
	}
	return ev.Step
}

// event is the syncer's progress callback.
func (p *syncProgress) event(ev syncer.Event) {
	conn, acct := "-", "-"
	if ev.Connection != nil {
		conn = ev.Connection.Name
	}
	if ev.Account != nil {
		acct = ev.Account.Number
	}
	text := stepText(ev)
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.term {
		fmt.Fprintf(p.w, "%s %s: %s\n", conn, acct, text)
		return
	}
	key := conn + "\x00" + acct
	row := p.index[key]
	if row == nil {
		row = &progressRow{conn: conn, acct: acct}
		p.index[key] = row
		p.rows = append(p.rows, row)
	}
	row.step, row.text = ev.Step, text
	p.redraw()
}

// redraw draws every row again, over the previous drawing; p.mu is held.
func (p *syncProgress) redraw() {
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dF", p.drawn) // to the start of the first row
	}
	wc, wa := 0, 0
	for _, r := range p.rows {
		wc, wa = max(wc, len(r.conn)), max(wa, len(r.acct))
	}
	for _, r := range p.rows {
		line := fmt.Sprintf("%-*s  %-*s  %s  %s", wc, r.conn, wa, r.acct, stepBar(r.step), r.text)
		// A row that wraps would throw the redrawing off.
		if rs := []rune(line); len(rs) > progressWidth {
			line = string(rs[:progressWidth-1]) + "…"
		}
		b.WriteString("\x1b[2K" + line + "\n")
	}
	p.drawn = len(p.rows)
	_, _ = io.WriteString(p.w, b.String())
}

// progressWidth bounds a progress row, to fit a terminal of 80 columns.
const progressWidth = 79

// stepBar is a bar of how far an account's sync has gone.
func stepBar(step string) string {
	const width = 12
	n := 0
	fill := "="
	switch step {
	case "waiting":
		n = 2
	case "fetching":
		n = 6
	case "importing":
		n = 10
	case "done":
		n = width
	case "failed":
		n, fill = width, "x"
	}
	return "[" + strings.Repeat(fill, n) + strings.Repeat(" ", width-n) + "]"
}

// finish ends the drawing: the rows stay, showing how each account ended.
func (p *syncProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.term && p.drawn > 0 {
		fmt.Fprintln(p.w)
	}
}
