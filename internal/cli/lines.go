package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
)

func init() { extraCommands = append(extraCommands, newLinesCmd) }

func newLinesCmd(e *env) *cobra.Command {
	var asJSON bool
	var account string
	var f bankfeed.LineFilter
	cmd := &cobra.Command{
		Use:   "lines --account ACCOUNT [--since YYYY-MM-DD] [--limit N]",
		Short: "List the stored lines of an account",
		Long: `Lines lists an account's feed lines by posting date: date, exact amount,
currency, type, name and memo, the bank's id (FITID), and "collision" when
the bank gave that id to another line too. --account takes the account's id
(see bankfeed accounts) or its number when only one account has it. With
--json, one JSON object per line; amounts are exact decimal strings.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if account == "" {
				return &exitError{code: exitUsage, err: fmt.Errorf("--account is required (see bankfeed accounts)")}
			}
			if f.Since != "" {
				if _, err := time.Parse(time.DateOnly, f.Since); err != nil {
					return &exitError{code: exitUsage, err: fmt.Errorf("--since %q: want a date as YYYY-MM-DD", f.Since)}
				}
			}
			if f.Limit < 0 {
				return &exitError{code: exitUsage, err: fmt.Errorf("--limit %d: want 0 (all) or more", f.Limit)}
			}
			ctx := cmd.Context()
			db, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer db.Close()
			a, err := db.FindAccount(ctx, account)
			if err != nil {
				return err
			}
			f.AccountID = a.ID
			out := bufio.NewWriter(e.stdout)
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetEscapeHTML(false)
				err = db.EachLine(ctx, f, func(l *bankfeed.Line) error { return enc.Encode(l) })
			} else {
				var lines []*bankfeed.Line
				if lines, err = db.Lines(ctx, f); err == nil {
					err = printLines(out, lines)
				}
			}
			if err != nil {
				return err
			}
			return out.Flush()
		},
	}
	cmd.Flags().StringVar(&account, "account", "", "the account: its id, or its number")
	cmd.Flags().StringVar(&f.Since, "since", "", "only lines posted on or after this date (YYYY-MM-DD)")
	cmd.Flags().IntVar(&f.Limit, "limit", 0, "at most this many lines, the earliest first (0: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	return cmd
}

// printLines writes a table with the amounts right-aligned, exactly as
// stored.
func printLines(w io.Writer, lines []*bankfeed.Line) error {
	if len(lines) == 0 {
		_, err := fmt.Fprintln(w, "No lines.")
		return err
	}
	rows := make([][]string, 0, len(lines))
	for _, l := range lines {
		flag := ""
		if l.Collision {
			flag = "collision"
		}
		rows = append(rows, []string{fmt.Sprint(l.ID), l.PostedOn, l.Amount.String(), l.Currency, l.Type,
			l.Name, l.Memo, l.FITID, flag})
	}
	return writeTable(w, "", []string{"ID", "DATE", "AMOUNT", "CUR", "TYPE", "NAME", "MEMO", "FITID", ""}, rows, 0, 2)
}

// writeTable writes rows under head in columns two spaces apart, each line
// after indent; the columns numbered in right are right-aligned (numbers,
// amounts), the others left-aligned.
func writeTable(w io.Writer, indent string, head []string, rows [][]string, right ...int) error {
	width := make([]int, len(head))
	all := append([][]string{head}, rows...)
	for _, r := range all {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	isRight := make([]bool, len(head))
	for _, i := range right {
		isRight[i] = true
	}
	var b strings.Builder
	for _, r := range all {
		b.Reset()
		b.WriteString(indent)
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if isRight[i] {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
			if i < len(r)-1 {
				b.WriteString("  ")
			}
		}
		if _, err := fmt.Fprintln(w, strings.TrimRight(b.String(), " ")); err != nil {
			return err
		}
	}
	return nil
}
