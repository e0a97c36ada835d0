package cli

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/books"
	"github.com/bankfeed/bankfeed/internal/export"
)

func init() { extraCommands = append(extraCommands, newExportCmd) }

const exportLong = `Export writes the books (the chart of accounts and every entry with its
splits) in a format another tool reads:

  hledger, ledger  a journal; each entry carries its uid as a tag
  beancount        a beancount file; each transaction carries bankfeed_uid
  csv              one row per split: uid, date, payee, memo, check,
                   account, amount, currency, status
  qbo              QuickBooks Web Connect: one statement per bank or card
                   account with a feed; each transaction keeps the bank's
                   FITID, so QuickBooks does not take it twice
  ofx              the same as OFX 1.02, for other clients

--account keeps the entries with a split in one ledger account (its full
name); in qbo and ofx, only that account's statement. --from and --to keep
entries dated within them; qbo and ofx balances still count every entry up
to --to. Without -o the export goes to standard output; with -o it is
written to a temporary file renamed into place, so the file is never
half-written. See docs/export.md.`

func newExportCmd(e *env) *cobra.Command {
	var format, account, from, to, output, intuBID string
	cmd := &cobra.Command{
		Use:   "export --format FORMAT",
		Short: "Write the books as hledger, ledger, beancount, CSV, QBO or OFX",
		Long:  exportLong,
		Example: `  bankfeed export --format hledger -o books.journal
  bankfeed export --format beancount --from 2026-01-01 --to 2026-03-31
  bankfeed export --format qbo --account Assets:Bank:Checking -o checking.qbo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case format == "":
				return usageError("--format is required: one of %s", strings.Join(export.Formats, ", "))
			case !slices.Contains(export.Formats, format):
				return usageError("--format %q: want one of %s", format, strings.Join(export.Formats, ", "))
			}
			for _, f := range []struct{ name, value string }{{"from", from}, {"to", to}} {
				if f.value != "" {
					if err := export.CheckDate(f.value); err != nil {
						return usageError("--%s %v", f.name, err)
					}
				}
			}
			if from != "" && to != "" && from > to {
				return usageError("--from %s is after --to %s", from, to)
			}
			if cmd.Flags().Changed("intu-bid") {
				if err := export.CheckIntuBID(intuBID); err != nil {
					return usageError("--intu-bid: %v", err)
				}
			}
			ctx := cmd.Context()
			db, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer db.Close()
			b, err := books.ExportBooks(ctx, db, format, account, to)
			if bankfeed.ErrorCodeOf(err) == bankfeed.EInvalid {
				return usageError("--%v", err)
			}
			if err != nil {
				return err
			}
			opts := export.Options{Account: account, From: from, To: to, IntuBID: intuBID, Now: time.Now()}
			write := func(w io.Writer) error { return export.Write(w, format, b, opts) }
			if output == "" || output == "-" {
				out := bufio.NewWriter(e.stdout)
				if err := write(out); err != nil {
					return err
				}
				return out.Flush()
			}
			return writeFileAtomic(output, write)
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "hledger, ledger, beancount, csv, qbo or ofx")
	f.StringVar(&account, "account", "", "only entries with a split in this ledger account (full name); in qbo and ofx, only its statement")
	f.StringVar(&from, "from", "", "only entries on or after this date, YYYY-MM-DD")
	f.StringVar(&to, "to", "", "only entries on or before this date, YYYY-MM-DD")
	f.StringVarP(&output, "output", "o", "", "write to this file (replaced whole) rather than standard output")
	f.StringVar(&intuBID, "intu-bid", "", "qbo: the INTU.BID, the bank QuickBooks files the download under (default 3000)")
	return cmd
}

// writeFileAtomic writes path through write into a temporary file beside it
// and renames that into place, so path is either as it was or complete.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriter(f)
	if err := write(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
