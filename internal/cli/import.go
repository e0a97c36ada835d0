package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/importer"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

func init() { extraCommands = append(extraCommands, newImportCmd) }

// importJSON is one line of `import --json`: the importer's result, and
// for a rejected file why and where.
type importJSON struct {
	Outcome  string          `json:"outcome"` // imported or rejected
	Error    string          `json:"error,omitempty"`
	Position *importPosition `json:"position,omitempty"` // where a rejected file went wrong
	*importer.Result
}

type importPosition struct {
	Line   int   `json:"line"`
	Offset int64 `json:"offset"`
}

// bigFile is the size above which a file gets a progress bar.
const bigFile = 5 << 20

// manyFiles is the number of files above which the files are counted on
// stderr as they go.
const manyFiles = 10

func newImportCmd(e *env) *cobra.Command {
	var asJSON bool
	var account string
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Import statement files (OFX, QFX, QBO) into the feed",
		Long: `Import reads each statement file and adds its lines to the feed of the
account each statement names, creating the account on first sight. Each
file is imported in one transaction: all of it or, if it is rejected (cut
short, not OFX), none of it; the other files are still imported.

Lines are deduplicated per account by the id the bank gave them (FITID):
re-importing a file adds nothing, and a file overlapping an earlier one adds
only what is new. A FITID the bank reused for a different amount (or, in one
file, a different date) is a collision: both lines are kept, flagged and
reported. Lines without a usable amount or date are skipped with a reason.

--account sends every statement to an existing account (its id, or its
number when only one account has it). With --json, one JSON object per file
is written per line, and nothing else. The exit status is 1 when any file
was rejected.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer db.Close()
			var opts importer.Options
			if account != "" {
				a, err := db.FindAccount(ctx, account)
				if err != nil {
					return fmt.Errorf("--account: %w", err)
				}
				opts.AccountID = a.ID
			}
			opts = reviewService(db).Options(opts)
			out := bufio.NewWriter(e.stdout)
			defer out.Flush()
			err = runImports(ctx, e, importer.New(db), args, opts, asJSON, out)
			if ferr := out.Flush(); err == nil {
				err = ferr
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per file, one per line")
	cmd.Flags().StringVar(&account, "account", "", "import every statement into this account (id or number)")
	return cmd
}

func runImports(ctx context.Context, e *env, im *importer.Importer, files []string, opts importer.Options, asJSON bool, out *bufio.Writer) error {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	term := isTerminal(e.stderr)
	var total bankfeed.ImportCounts
	rejected := 0
	var errs []error
	for i, path := range files {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var bar *progressBar
		if term {
			size := fileSize(path)
			if size > bigFile || len(files) > manyFiles {
				label := path
				if len(files) > 1 {
					label = fmt.Sprintf("[%d/%d] %s", i+1, len(files), path)
				}
				bar = newProgressBar(e.stderr, label)
				opts.Progress = bar.update
			}
		}
		res, err := im.ImportFile(ctx, path, opts)
		if bar != nil {
			bar.done()
			opts.Progress = nil
		}
		if err != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && bankfeed.ErrorCodeOf(err) != bankfeed.EInvalid {
			// Not the file's fault (a full disk, a damaged store): this
			// file's transaction was rolled back; stop here.
			if ferr := out.Flush(); ferr != nil {
				return ferr
			}
			return &exitError{code: exitInternal, err: err}
		}
		j := toImportJSON(path, res, err)
		if err != nil {
			rejected++
			errs = append(errs, err)
		} else {
			total.Add(res.Counts)
		}
		if asJSON {
			if err := enc.Encode(j); err != nil {
				return err
			}
		} else if err := printImport(out, j); err != nil {
			return err
		}
	}
	if !asJSON && len(files) > 1 {
		fmt.Fprintf(out, "total: %d %s", len(files), plural(len(files), "file", "files"))
		if rejected > 0 {
			fmt.Fprintf(out, " (%d rejected)", rejected)
		}
		fmt.Fprintf(out, ": %s\n", countsText(total))
	}
	if rejected > 0 {
		if err := out.Flush(); err != nil {
			return err
		}
		for _, err := range errs {
			fmt.Fprintln(e.stderr, "bankfeed:", err)
		}
		msg := fmt.Sprintf("%d of %d %s rejected", rejected, len(files), plural(len(files), "file", "files"))
		if rejected < len(files) {
			msg += "; the others were imported"
		}
		return &exitError{code: exitFailure, err: errors.New(msg)}
	}
	return nil
}

func toImportJSON(path string, res *importer.Result, err error) importJSON {
	if err == nil {
		return importJSON{Outcome: "imported", Result: res}
	}
	j := importJSON{Outcome: "rejected", Error: err.Error(), Result: &importer.Result{File: path, Size: fileSize(path),
		Statements: []*importer.StatementResult{}, Skipped: []importer.Skip{}, Collisions: []importer.Collision{}, Warnings: []string{}}}
	var se *ofx.SyntaxError
	if errors.As(err, &se) {
		j.Position = &importPosition{Line: se.Line, Offset: se.Offset}
	}
	return j
}

// detailLines is how many skips, collisions and warnings the readable
// summary shows of each; --json lists them all.
const detailLines = 10

func printImport(w io.Writer, j importJSON) error {
	if j.Outcome == "rejected" {
		_, err := fmt.Fprintf(w, "%s: rejected: %s\n", j.File, strings.TrimPrefix(j.Error, j.File+": "))
		return err
	}
	fmt.Fprintf(w, "%s: %s (import %d)\n", j.File, countsText(j.Counts), j.ImportID)
	if len(j.Statements) > 0 {
		var rows [][]string
		for _, s := range j.Statements {
			acct := "none"
			if s.AccountID != nil {
				acct = fmt.Sprintf("%d %s %s", *s.AccountID, s.Kind, s.AccountNumber)
				if s.AccountCreated {
					acct += " (new)"
				}
			}
			period := "-"
			if s.StartOn != "" || s.EndOn != "" {
				period = s.StartOn + ".." + s.EndOn
			}
			ledger := "-"
			if s.Ledger != nil {
				ledger = s.Ledger.Amount.String()
			}
			rows = append(rows, []string{fmt.Sprint(s.Index), acct, period, fmt.Sprint(s.Transactions),
				fmt.Sprint(s.Counts.New), fmt.Sprint(s.Counts.Duplicate), fmt.Sprint(s.Counts.Collisions),
				fmt.Sprint(s.Counts.Skipped), ledger, s.Currency})
		}
		head := []string{"#", "ACCOUNT", "PERIOD", "LINES", "NEW", "DUPLICATE", "COLLISIONS", "SKIPPED", "LEDGER", ""}
		if err := writeTable(w, "  ", head, rows, 0, 3, 4, 5, 6, 7, 8); err != nil {
			return err
		}
	}
	for i, c := range j.Collisions {
		if i == detailLines {
			fmt.Fprintf(w, "  … and %d more collisions (--json lists them)\n", len(j.Collisions)-i+j.CollisionsDropped)
			break
		}
		where := "an earlier import"
		if c.SameFile {
			where = "this file"
		}
		fmt.Fprintf(w, "  collision: line %d: FITID %s is %s on %s here, %s on %s in %s; both kept\n",
			c.Line, c.FITID, c.Amount, c.PostedOn, c.OtherAmount, c.OtherPostedOn, where)
	}
	for i, s := range j.Skipped {
		if i == detailLines {
			fmt.Fprintf(w, "  … and %d more skipped lines (--json lists them)\n", len(j.Skipped)-i+j.SkippedDropped)
			break
		}
		id := ""
		if s.FITID != "" {
			id = " FITID " + s.FITID
		}
		fmt.Fprintf(w, "  skipped: line %d%s: %s\n", s.Line, id, s.Reason)
	}
	for i, s := range j.Warnings {
		if i == detailLines {
			fmt.Fprintf(w, "  … and %d more warnings (--json lists them)\n", len(j.Warnings)-i+j.WarningsDropped)
			break
		}
		fmt.Fprintf(w, "  warning: %s\n", s)
	}
	if a := j.AlreadyImported; a != nil {
		fmt.Fprintf(w, "  already imported on %s (import %d): %d new\n", a.FinishedAt.UTC().Format("2006-01-02 15:04 UTC"), a.ID, j.Counts.New)
	}
	return nil
}

func countsText(c bankfeed.ImportCounts) string {
	return fmt.Sprintf("%d new, %d duplicate, %d %s, %d skipped, %d %s", c.New, c.Duplicate,
		c.Collisions, plural(c.Collisions, "collision", "collisions"), c.Skipped, c.Warnings, plural(c.Warnings, "warning", "warnings"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressBar draws "label [=====>    ] 45%  81/182 MB" on one terminal line,
// at most ten times a second.
type progressBar struct {
	w     io.Writer
	label string
	last  time.Time
	shown bool
}

func newProgressBar(w io.Writer, label string) *progressBar {
	return &progressBar{w: w, label: label}
}

// update is the importer's progress callback.
func (p *progressBar) update(read, total int64) {
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && read < total {
		return
	}
	p.last = now
	const width = 30
	frac := 0.0
	if total > 0 {
		frac = min(float64(read)/float64(total), 1)
	}
	fill := int(frac * width)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	fmt.Fprintf(p.w, "\r%s [%s] %3.0f%%  %d/%d MB\x1b[K", p.label, bar, frac*100, read>>20, total>>20)
	p.shown = true
}

// done clears the bar's line.
func (p *progressBar) done() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
