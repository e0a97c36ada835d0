package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed/internal/ofx"
)

// inspectResult is one line of `inspect --json`.
type inspectResult struct {
	File         string             `json:"file"`
	Format       *string            `json:"format"`
	Version      *string            `json:"version"`
	Outcome      string             `json:"outcome"`
	Error        string             `json:"error,omitempty"`
	SignonStatus *int               `json:"signon_status"`
	Statements   []inspectStatement `json:"statements"`
	Warnings     []string           `json:"warnings"`
}

type inspectStatement struct {
	Kind          string  `json:"kind"`
	AccountID     string  `json:"account_id"`
	Currency      string  `json:"currency"`
	Transactions  int     `json:"transactions"`
	Sum           string  `json:"sum"`
	LedgerBalance *string `json:"ledger_balance"`
	Status        *int    `json:"status"`
}

func newInspectCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect FILE...",
		Short: "Read statement files (OFX, QFX, QBO) and report what they hold; writes nothing",
		Long: `Inspect reads each statement file and reports its format, outcome, sign-on
status and, per statement, the account, currency, number of transactions,
their exact sum, the ledger balance and the statement's status, with every
warning about fields that could not be used. It writes nothing.

A file cut short or that is not OFX is rejected; the exit status is then 1.
"-" reads standard input.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := bufio.NewWriter(e.stdout)
			defer out.Flush()
			enc := json.NewEncoder(out)
			enc.SetEscapeHTML(false)
			failed := 0
			for _, path := range args {
				res := inspectFile(e, path)
				if res.Outcome == "reject" {
					failed++
				}
				var err error
				if asJSON {
					err = enc.Encode(res)
				} else {
					err = printInspect(out, res)
				}
				if err != nil {
					return err
				}
			}
			if err := out.Flush(); err != nil {
				return err
			}
			if failed > 0 {
				return &exitError{code: exitFailure, err: fmt.Errorf("%d of %d files rejected", failed, len(args))}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per file, one per line")
	return cmd
}

func inspectFile(e *env, path string) inspectResult {
	res := inspectResult{File: path, Statements: []inspectStatement{}, Warnings: []string{}}
	var r io.Reader
	if path == "-" {
		r = e.stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			res.Outcome, res.Error = "reject", err.Error()
			return res
		}
		defer f.Close()
		r = f
	}
	resp, err := ofx.Stream(bufio.NewReaderSize(r, 256<<10), ofx.Options{}, ofx.Handler{})
	if err != nil {
		res.Outcome, res.Error = "reject", fmt.Sprintf("%s: %v", path, err)
		return res
	}
	res.Format, res.Version = &resp.Format, &resp.Version
	res.Outcome = resp.Outcome()
	if resp.Signon.Status.Set {
		res.SignonStatus = &resp.Signon.Status.Code
	}
	for _, st := range resp.Statements {
		is := inspectStatement{
			Kind:         string(st.Kind),
			AccountID:    st.Account.AcctID,
			Currency:     st.Currency,
			Transactions: st.Count,
			Sum:          st.Sum.String(),
		}
		if st.Ledger.Set {
			s := st.Ledger.Amount.String()
			is.LedgerBalance = &s
		}
		if st.Status.Set {
			is.Status = &st.Status.Code
		}
		res.Statements = append(res.Statements, is)
	}
	res.Warnings = append(res.Warnings, resp.Warnings...)
	if resp.WarningsDropped > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("… and %d more warnings", resp.WarningsDropped))
	}
	return res
}

func printInspect(w io.Writer, r inspectResult) error {
	fmt.Fprintf(w, "%s\n", r.File)
	if r.Outcome == "reject" {
		fmt.Fprintf(w, "  rejected: %s\n\n", r.Error)
		return nil
	}
	so := "none"
	if r.SignonStatus != nil {
		so = strconv.Itoa(*r.SignonStatus)
	}
	version := *r.Version
	if version == "" {
		version = "no header"
	}
	fmt.Fprintf(w, "  %s, version %s: %s (sign-on status %s)\n", *r.Format, version, outcomeWords[r.Outcome], so)
	if len(r.Statements) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  #\tKIND\tACCOUNT\tCURRENCY\tTRANSACTIONS\tSUM\tLEDGER BALANCE\tSTATUS")
		for i, st := range r.Statements {
			ledger, status := "-", "-"
			if st.LedgerBalance != nil {
				ledger = *st.LedgerBalance
			}
			if st.Status != nil {
				status = strconv.Itoa(*st.Status)
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", i, st.Kind, st.AccountID, st.Currency, st.Transactions, st.Sum, ledger, status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintf(w, "  %d warnings:\n", len(r.Warnings))
		for _, msg := range r.Warnings {
			fmt.Fprintf(w, "    %s\n", msg)
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}

var outcomeWords = map[string]string{
	ofx.OutcomeStatements:    "statements",
	ofx.OutcomeErrorResponse: "an error response, no statement",
	ofx.OutcomeNoStatements:  "no statements (profile, account list or empty response)",
}
