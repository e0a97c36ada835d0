package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed/internal/export"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

func init() { extraCommands = append(extraCommands, newConvertCmd) }

const convertLong = `Convert reads a bank's statement file (OFX, QFX or QBO, read as tolerantly
as bankfeed import reads it) and writes it again as a QBO file QuickBooks
imports (Web Connect), or as plain OFX 1.02: the same accounts,
transactions, FITIDs, dates, amounts and balances. It is for a day your
QuickBooks bank feed is down but the bank still lets you download a file
QuickBooks will not take. Nothing is stored.

The QBO carries an INTU.BID, the bank QuickBooks files it under: --intu-bid,
else the file's own, else 3000. What QuickBooks cannot take is left out
(investment statements, transactions without a date or amount) or filled
in (a missing FITID, DTSTART, DTEND or LEDGERBAL), each with a warning on
standard error. "-" reads standard input; without -o the file is written to
standard output, with -o to a temporary file renamed into place.`

func newConvertCmd(e *env) *cobra.Command {
	var to, output, intuBID string
	cmd := &cobra.Command{
		Use:   "convert FILE --to qbo|ofx",
		Short: "Rewrite a bank's statement file as a QBO that QuickBooks imports, or as OFX",
		Long:  convertLong,
		Example: `  bankfeed convert download.qfx --to qbo -o download.qbo
  bankfeed convert statement.ofx --to qbo --intu-bid 10898 -o statement.qbo`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := export.ConvertOptions{IntuBID: intuBID, Now: time.Now()}
			switch to {
			case "qbo":
				opts.QBO = true
			case "ofx":
			case "":
				return usageError("--to is required: qbo or ofx")
			default:
				return usageError("--to %q: want qbo or ofx", to)
			}
			if cmd.Flags().Changed("intu-bid") {
				if err := export.CheckIntuBID(intuBID); err != nil {
					return usageError("--intu-bid: %v", err)
				}
			}
			path := args[0]
			resp, err := readStatementFile(e, path)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			var res *export.ConvertResult
			write := func(w io.Writer) error {
				res, err = export.Convert(w, resp, opts)
				return err
			}
			if output == "" || output == "-" {
				out := bufio.NewWriter(e.stdout)
				err = write(out)
				if ferr := out.Flush(); err == nil {
					err = ferr
				}
			} else {
				err = writeFileAtomic(output, write)
			}
			if res != nil {
				for _, w := range res.Warnings {
					fmt.Fprintf(e.stderr, "bankfeed: warning: %s: %s\n", path, w)
				}
			}
			if err != nil {
				return &exitError{code: exitFailure, err: fmt.Errorf("%s: %w", path, err)}
			}
			if output != "" && output != "-" {
				fmt.Fprintf(e.stderr, "%s: %d %s, %d %s written to %s\n", path, res.Statements,
					plural(res.Statements, "statement", "statements"), res.Transactions,
					plural(res.Transactions, "transaction", "transactions"), output)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the format to write: qbo or ofx")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file (replaced whole) rather than standard output")
	cmd.Flags().StringVar(&intuBID, "intu-bid", "", "the INTU.BID of the QBO: the bank QuickBooks files it under (default: the file's, else 3000)")
	return cmd
}

// readStatementFile reads a whole statement file, or standard input for "-".
func readStatementFile(e *env, path string) (*ofx.Response, error) {
	r := e.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	resp, err := ofx.Read(bufio.NewReaderSize(r, 256<<10))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return resp, nil
}
