package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/source/ofxdirect"
	"github.com/bankfeed/bankfeed/internal/store"
)

func init() { extraCommands = append(extraCommands, newRunsCmd) }

func newRunsCmd(e *env) *cobra.Command {
	var conn, acct string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List sync runs: when, which account, how each ended",
		Long: `Runs lists sync runs, newest first: one per account per sync, with what
started it (manual, schedule, or the probe that tests whether a failing bank
is back), the outcome, the lines it added, and for a failure its class, the
HTTP status and the bank's OFX status. bankfeed runs show ID prints one run
with its exchange with the bank, password redacted. With --json, one JSON
object per run, one per line.`,
		Example: `  bankfeed runs --connection checking --limit 5
  bankfeed runs show 12`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 0 {
				return usageError("--limit %d: want 0 (all) or more", limit)
			}
			ctx := cmd.Context()
			db, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer db.Close()
			f := store.SyncRunFilter{Limit: limit}
			if conn != "" {
				c, err := db.FindConnection(ctx, conn)
				if err != nil {
					return err
				}
				f.ConnectionID = c.ID
			}
			if acct != "" {
				a, err := db.FindAccount(ctx, acct)
				if err != nil {
					return fmt.Errorf("--account: %w", err)
				}
				f.AccountID = a.ID
			}
			runs, err := db.FindSyncRuns(ctx, f)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(e.stdout)
			if asJSON {
				enc := newJSONEncoder(w, false)
				for _, r := range runs {
					if err := enc.Encode(r); err != nil {
						return err
					}
				}
			} else if err := printRuns(ctx, w, db, runs); err != nil {
				return err
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&conn, "connection", "", "only this connection's runs (name or id)")
	cmd.Flags().StringVar(&acct, "account", "", "only this feed account's runs (id or number)")
	cmd.Flags().IntVar(&limit, "limit", 20, "at most this many runs; 0 for all")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per run, one per line")
	cmd.AddCommand(newRunsShowCmd(e))
	return cmd
}

// connectionNames maps connection ids to names.
func connectionNames(ctx context.Context, db *store.DB) (map[bankfeed.ConnectionID]string, error) {
	conns, err := db.Connections(ctx, store.ConnectionFilter{})
	if err != nil {
		return nil, err
	}
	names := make(map[bankfeed.ConnectionID]string, len(conns))
	for _, c := range conns {
		names[c.ID] = c.Name
	}
	return names, nil
}

func printRuns(ctx context.Context, w io.Writer, db *store.DB, runs []*bankfeed.SyncRun) error {
	if len(runs) == 0 {
		_, err := fmt.Fprintln(w, "No sync runs yet.")
		return err
	}
	names, err := connectionNames(ctx, db)
	if err != nil {
		return err
	}
	accts, err := db.Accounts(ctx, bankfeed.AccountFilter{})
	if err != nil {
		return err
	}
	numbers := make(map[bankfeed.AccountID]string, len(accts))
	for _, a := range accts {
		numbers[a.ID] = a.Number
	}
	rows := make([][]string, 0, len(runs))
	for _, r := range runs {
		failure := dash(r.FailureClass)
		if r.HTTPStatus != 0 {
			failure += " HTTP " + strconv.Itoa(r.HTTPStatus)
		}
		if r.OFXStatus != "" {
			code, _, _ := strings.Cut(r.OFXStatus, " ")
			failure += " OFX " + code
		}
		rows = append(rows, []string{fmt.Sprint(r.ID), r.StartedAt.Local().Format("2006-01-02 15:04:05"),
			connectionName(names, r.ConnectionID), fmt.Sprintf("%d %s", r.AccountID, numbers[r.AccountID]), dash(r.Trigger), r.Outcome,
			countOrDash(r, r.New), countOrDash(r, r.Duplicate), failure, tookText(r)})
	}
	head := []string{"ID", "STARTED", "CONNECTION", "ACCOUNT", "TRIGGER", "OUTCOME", "NEW", "DUPLICATES", "FAILURE", "TOOK"}
	return writeTable(w, "", head, rows, 0, 6, 7, 9)
}

func connectionName(names map[bankfeed.ConnectionID]string, id bankfeed.ConnectionID) string {
	if id == 0 {
		return "-"
	}
	if n, ok := names[id]; ok {
		return n
	}
	return fmt.Sprintf("%d (removed)", id)
}

func countOrDash(r *bankfeed.SyncRun, n int) string {
	if r.Outcome != bankfeed.OutcomeOK {
		return "-"
	}
	return strconv.Itoa(n)
}

func tookText(r *bankfeed.SyncRun) string {
	if r.FinishedAt == nil {
		return "-"
	}
	return r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
}

// runShowJSON is what runs show --json prints.
type runShowJSON struct {
	*bankfeed.SyncRun
	Connection    string                `json:"connection,omitempty"`
	AccountNumber string                `json:"account_number,omitempty"`
	Transcript    []*ofxdirect.Exchange `json:"transcript"`
}

func newRunsShowCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a sync run and its exchange with the bank",
		Long: `Show prints a sync run: when and why it ran, the window asked for, how it
ended, and the transcript of its exchange with the bank: each request and
answer, headers and bodies, with timings. The password is redacted in the
stored transcript itself (its USERPASS and anywhere else it appears), as
are cookies. With --json, one JSON object.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return usageError("run id %q: want a number (bankfeed runs lists them)", args[0])
			}
			ctx := cmd.Context()
			db, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer db.Close()
			r, err := db.SyncRun(ctx, bankfeed.SyncRunID(id))
			if err != nil {
				return err
			}
			names, err := connectionNames(ctx, db)
			if err != nil {
				return err
			}
			j := runShowJSON{SyncRun: r, Transcript: []*ofxdirect.Exchange{}}
			if r.ConnectionID != 0 {
				j.Connection = connectionName(names, r.ConnectionID)
			}
			if a, err := db.Account(ctx, r.AccountID); err == nil {
				j.AccountNumber = a.Number
			}
			if r.Transcript != "" {
				if err := json.Unmarshal([]byte(r.Transcript), &j.Transcript); err != nil {
					return bankfeed.Errorf(bankfeed.EInternal, "run %d: read its transcript: %v", r.ID, err)
				}
			}
			w := bufio.NewWriter(e.stdout)
			if asJSON {
				enc := newJSONEncoder(w, true)
				err = enc.Encode(j)
			} else {
				err = printRun(w, j)
			}
			if ferr := w.Flush(); err == nil {
				err = ferr
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the run and its transcript as one JSON object")
	return cmd
}

func printRun(w io.Writer, j runShowJSON) error {
	r := j.SyncRun
	timeText := func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05 MST") }
	fmt.Fprintf(w, "Run %d: %s\n", r.ID, r.Outcome)
	fmt.Fprintf(w, "  connection   %s\n", dash(j.Connection))
	fmt.Fprintf(w, "  account      %d %s\n", r.AccountID, j.AccountNumber)
	fmt.Fprintf(w, "  trigger      %s\n", dash(r.Trigger))
	fmt.Fprintf(w, "  started      %s (took %s)\n", timeText(r.StartedAt), tookText(r))
	if !r.WindowStart.IsZero() {
		fmt.Fprintf(w, "  window       %s to %s\n", r.WindowStart.Local().Format("2006-01-02 15:04"), r.WindowEnd.Local().Format("2006-01-02 15:04"))
	}
	if r.Outcome == bankfeed.OutcomeOK {
		fmt.Fprintf(w, "  lines        %s\n", countsText(r.ImportCounts))
	} else {
		fmt.Fprintf(w, "  failure      %s: %s\n", r.FailureClass, adviceFor(bankfeed.FailureClass(r.FailureClass)).what)
		if r.HTTPStatus != 0 {
			fmt.Fprintf(w, "  HTTP status  %d\n", r.HTTPStatus)
		}
		if r.OFXStatus != "" {
			fmt.Fprintf(w, "  OFX status   %s\n", r.OFXStatus)
		}
		if !r.RetryAt.IsZero() {
			fmt.Fprintf(w, "  bank said    come back at %s\n", timeText(r.RetryAt))
		}
		fmt.Fprintf(w, "  error        %s\n", r.Error)
	}
	if len(j.Transcript) == 0 {
		_, err := fmt.Fprintln(w, "\nNo exchange with the bank was recorded.")
		return err
	}
	for i, x := range j.Transcript {
		fmt.Fprintf(w, "\n=== Exchange %d of %d: %s %s\n", i+1, len(j.Transcript), x.Method, x.URL)
		fmt.Fprintf(w, "sent %s; took %s (connect %s, TLS %s, first byte %s)\n", timeText(x.Started),
			x.Duration.Round(time.Millisecond), x.Timings.Connect.Round(time.Millisecond),
			x.Timings.TLS.Round(time.Millisecond), x.Timings.FirstByte.Round(time.Millisecond))
		fmt.Fprintln(w, "\n--- request")
		writeHeader(w, x.RequestHeader)
		fmt.Fprintln(w)
		writeBody(w, x.RequestBody)
		if x.Status == 0 {
			fmt.Fprintf(w, "\n--- no answer: %s\n", dash(x.Error))
		} else {
			fmt.Fprintf(w, "\n--- answer: HTTP %d %s, %d bytes\n", x.Status, http.StatusText(x.Status), x.ResponseSize)
			writeHeader(w, x.ResponseHeader)
			fmt.Fprintln(w)
			if x.ResponseBody == "" && x.ResponseSize > 0 {
				// A good answer's body is not kept: it is the run's lines.
				fmt.Fprintln(w, "(not kept: the answer was imported; its lines are this run's)")
			} else {
				writeBody(w, x.ResponseBody)
			}
			if x.BodyCut {
				fmt.Fprintln(w, "[… the rest of the answer was not kept]")
			}
		}
		for _, n := range x.Notes {
			fmt.Fprintf(w, "note: %s\n", n)
		}
	}
	return nil
}

func writeHeader(w io.Writer, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
}

// writeBody writes a body with its line ends made plain, ending in one.
func writeBody(w io.Writer, body string) {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	if body == "" {
		fmt.Fprintln(w, "(empty)")
		return
	}
	fmt.Fprint(w, body)
	if !strings.HasSuffix(body, "\n") {
		fmt.Fprintln(w)
	}
}
