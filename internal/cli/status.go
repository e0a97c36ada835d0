package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/diagnose"
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
type boardMore struct {
	lines   map[bankfeed.AccountID]int64     // lines per feed account
	portals map[bankfeed.ConnectionID]string // the bank's web site per connection
	// verdicts are the latest diagnoses of connections whose last one
	// found a problem.
	verdicts map[bankfeed.ConnectionID]*diagnose.Verdict
}

func moreOf(ctx context.Context, db *store.DB) (*boardMore, error) {
	lines, err := accountLines(ctx, db)
	if err != nil {
		return nil, err
	}
	conns, err := db.Connections(ctx, store.ConnectionFilter{})
	if err != nil {
		return nil, err
	}
	m := &boardMore{lines: lines, portals: map[bankfeed.ConnectionID]string{},
		verdicts: map[bankfeed.ConnectionID]*diagnose.Verdict{}}
	for _, c := range conns {
		m.portals[c.ID] = c.Profile.PortalURL
		d, err := db.LatestDiagnosis(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		var v diagnose.Verdict
		if d != nil && d.Class != diagnose.ClassOK && json.Unmarshal(d.Verdict, &v) == nil {
			m.verdicts[c.ID] = &v
		}
	}
	return m, nil
}

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
type trouble struct {
	inst   *syncer.InstitutionStatus
	conn   *syncer.ConnectionStatus
	acct   *syncer.AccountStatus // the worst account; nil when none
	lines  int64                 // lines its feeds hold
	portal string
	// verdict is the connection's latest diagnosis, if it found a problem.
	verdict *diagnose.Verdict
}

// troubleOf returns the connection's trouble, or nil when it is fine.
func troubleOf(is *syncer.InstitutionStatus, cs *syncer.ConnectionStatus, more *boardMore) *trouble {
	t := &trouble{inst: is, conn: cs, portal: more.portals[cs.ID], verdict: more.verdicts[cs.ID]}
	worst := -1
	for _, a := range cs.Accounts {
		t.lines += more.lines[a.AccountID]
		r := stateRank(a.State)
		// Of two accounts as bad, the one whose last run failed tells
		// more: the other may not have been tried.
		if r > 0 && (r > worst || r == worst && failedRun(a.LastRun) && !failedRun(t.acct.LastRun)) {
			worst, t.acct = r, a
		}
	}
	if t.acct == nil && stateRank(cs.State) <= 0 {
		return nil
	}
	return t
}

func failedRun(r *bankfeed.SyncRun) bool { return r != nil && r.Outcome == bankfeed.OutcomeFailed }

// stateRank orders states by how much they need saying; 0 and below are
// fine.
func stateRank(s bankfeed.ConnectionState) int {
	switch s {
	case bankfeed.ConnRetrying:
		return 1
	case bankfeed.ConnWaitingForBank:
		return 2
	case bankfeed.ConnEscalate:
		return 3
	case bankfeed.ConnNeedsAction:
		return 4
	}
	return 0
}

// print explains the trouble: what happened, that the data is safe, what to
// do, and when bankfeed tries again.
func (t *trouble) print(w io.Writer, now time.Time) error {
	cs := t.conn
	state, reason, next := cs.State, cs.Reason, cs.Next
	var run *bankfeed.SyncRun
	if a := t.acct; a != nil {
		state, reason, next, run = a.State, a.Reason, a.Next, a.LastRun
	}
	var class bankfeed.FailureClass
	if failedRun(run) {
		class = bankfeed.FailureClass(run.FailureClass)
	} else if c := t.inst.Circuit; c != nil && c.Open {
		class = c.Class
	}
	adv := adviceFor(class)
	fmt.Fprintf(w, "%s at %s: %s\n", cs.Name, t.inst.Institution.Name, stateLabel(state))
	what := reason
	if class != "" {
		what = adv.what + " (" + string(class) + ")"
	}
	fmt.Fprintf(w, "  What happened: %s.\n", what)
	if failedRun(run) {
		if said := bankWords(run); said != "" && (run.HTTPStatus != 0 || run.OFXStatus != "") {
			fmt.Fprintf(w, "  The bank said: \"%s\"\n", said)
		} else if said != "" {
			fmt.Fprintf(w, "  Error: %s\n", said)
		}
		fmt.Fprintf(w, "  Details: bankfeed runs show %d\n", run.ID)
	}
	switch {
	case len(cs.Accounts) == 0:
		fmt.Fprintln(w, "  Your data is safe: the connection is kept, and the first sync that gets through lists its accounts.")
	case t.lines == 0:
		fmt.Fprintln(w, "  Your data is safe: a failed sync writes no line.")
	default:
		fmt.Fprintf(w, "  Your data is safe: %s %s stay as they are; a failed sync writes no line.\n",
			countText(t.lines, "line", "lines"), theirFeeds(len(cs.Accounts)))
	}
	todo := "nothing: bankfeed retries by itself"
	if class != "" {
		todo = adv.todo(cs.Name, t.portal)
	} else if state == bankfeed.ConnNeedsAction {
		todo = "do what the bank asks, then: bankfeed connection resume " + cs.Name
	}
	fmt.Fprintf(w, "  What to do: %s.\n", todo)
	when := nextText(state, next, now)
	if run != nil && !run.RetryAt.IsZero() && !next.IsZero() && next.Sub(run.RetryAt).Abs() < 2*time.Minute {
		when += ", when the bank said it would be back"
	}
	if state == bankfeed.ConnNeedsAction {
		when = "not by itself: it waits for you"
	}
	if _, err := fmt.Fprintf(w, "  Next attempt: %s.\n", when); err != nil {
		return err
	}
	if v := t.verdict; v != nil && len(v.Likelihoods) > 0 {
		fmt.Fprintf(w, "  Diagnosis (%s): %s [%s, %.0f%% likely, %d findings]; bankfeed diagnose %s says more.\n",
			v.CheckedAt.Local().Format("Mon 15:04"), v.Title, v.Code, v.Likelihoods[0].P*100, len(v.Evidence), cs.Name)
		if v.Escalate {
			fmt.Fprintf(w, "  Time to call the bank or an expert: %s.\n", v.EscalateWhy)
		}
	}
	return nil
}

func theirFeeds(n int) string {
	if n == 1 {
		return "in its feed"
	}
	return "in its feeds"
}

func countText(n int64, one, many string) string {
	return fmt.Sprintf("%d %s", n, plural(int(n), one, many))
}

// bankWords returns the bank's own words in a failed run's error: what
// follows the class and the codes.
func bankWords(r *bankfeed.SyncRun) string {
	msg := r.Error
	if !strings.HasPrefix(msg, r.FailureClass+": ") {
		return ""
	}
	msg = strings.TrimPrefix(msg, r.FailureClass+": ")
	// "HTTP 503, retry after 2026-11-24T07:13:00Z: words" or "OFX 2000: words"
	if strings.HasPrefix(msg, "HTTP ") || strings.HasPrefix(msg, "OFX ") {
		if _, rest, ok := strings.Cut(msg, ": "); ok {
			return rest
		}
		return ""
	}
	return msg
}

// advice is what a failure class means and what to do about it.
type advice struct {
	what string
	// do says what to do; NAME stands for the connection, PORTAL for the
	// bank's web site.
	do string
}

var advices = map[bankfeed.FailureClass]advice{
	bankfeed.FailOffline:     {"this computer is offline", "nothing: bankfeed retries by itself once the network is back"},
	bankfeed.FailDNS:         {"the bank's server name does not resolve", "nothing if it clears; if it goes on, check the connection's URL with the bank"},
	bankfeed.FailUnreachable: {"the bank's server does not answer", "nothing: bankfeed retries by itself"},
	bankfeed.FailTLSUntrusted: {"the bank's connection is not trusted: its certificate expired, names another server, or comes from an unknown issuer",
		"check this computer's clock and any antivirus HTTPS scanning or proxy; a bank with its own CA needs --ca-file (remove the connection and connect again); then: bankfeed connection resume NAME"},
	bankfeed.FailTLSIncompatible: {"the bank's server uses security that bankfeed does not accept",
		"download a statement file from the bank's web site and bankfeed import it"},
	bankfeed.FailMaintenance: {"the bank is down for maintenance", "nothing: bankfeed waits and tries again"},
	bankfeed.FailServerError: {"the bank's server answered with an error", "nothing: bankfeed retries by itself; if it goes on for days, tell the bank"},
	bankfeed.FailBlockedClient: {"the bank refused this software: a firewall, or an application version it no longer accepts",
		"download a statement file from the bank's web site and bankfeed import it, and tell the bank; connecting again with another --app-ver or --user-agent may help"},
	bankfeed.FailInvalidCredentials: {"the bank rejected the user ID or password",
		"check them at the bank's web site, then: bankfeed connection password NAME"},
	bankfeed.FailLocked: {"the bank locked the login", "call the bank to unlock it, then: bankfeed connection resume NAME"},
	bankfeed.FailMFARequired: {"the bank wants a one-time code",
		"bankfeed cannot answer codes yet: download a statement file from the bank's web site and bankfeed import it"},
	bankfeed.FailActionRequired: {"the bank wants something done on its web site, such as accepting new terms, choosing a new password or approving this application",
		"log in at PORTAL, do what it asks, then: bankfeed connection resume NAME"},
	bankfeed.FailConsentExpired: {"permission to read this bank expired or was revoked", "set it up again: bankfeed connection reset NAME"},
	bankfeed.FailRateLimited:    {"the bank's rate limit was reached", "nothing: bankfeed waits until the limit resets"},
	bankfeed.FailAccountNotFound: {"the bank no longer lists an account: closed, or renumbered",
		"bankfeed connection reset NAME lists the accounts again; for a renumbered account, connect again with --link NEWNUMBER=FEEDACCOUNT"},
	bankfeed.FailUnsupported: {"this connection cannot work as set up, likely for a wrong ORG, FID, URL or OFX version",
		"check the bank's settings, remove the connection and connect again, or import statement files instead"},
	bankfeed.FailDataIncomplete: {"the bank's answer was cut short or did not add up, so none of it was kept", "nothing: bankfeed retries by itself"},
	bankfeed.FailInternal:       {"an error inside bankfeed, not at the bank", "nothing: bankfeed retries by itself; bankfeed runs show ID has the details"},
}

// adviceFor returns the advice for a class; an unknown class gets general
// words.
func adviceFor(c bankfeed.FailureClass) advice {
	if a, ok := advices[c]; ok {
		return a
	}
	if c.NeedsUser() {
		return advice{"the sync failed (" + string(c) + ")", "fix what the bank asks, then: bankfeed connection resume NAME"}
	}
	return advice{"the sync failed (" + string(c) + ")", "nothing: bankfeed retries by itself"}
}

// todo returns what to do, for the connection name and the bank's web site.
func (a advice) todo(name, portal string) string {
	if portal == "" {
		portal = "the bank's web site"
	}
	return strings.NewReplacer("NAME", name, "PORTAL", portal).Replace(a.do)
}

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
