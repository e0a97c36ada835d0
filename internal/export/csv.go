package export

import (
	"encoding/csv"
	"io"
	"strings"
)

// csvHeader names the columns of a CSV export.
var csvHeader = []string{"uid", "date", "payee", "memo", "check", "account", "amount", "currency", "status"}

// writeCSV writes one RFC 4180 row per split: the entry's uid, date, payee
// and check number, the split's memo (else the entry's), its account's full
// name, amount, currency and status (empty, cleared or reconciled). Text a
// spreadsheet would take for a formula (starting with =, +, -, @, a tab or
// a carriage return) is prefixed with "'". Values are otherwise as stored;
// encoding/csv quotes what needs it, line breaks included.
func writeCSV(w io.Writer, s *selection) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, e := range s.entries {
		for _, sp := range e.Splits {
			memo := sp.Memo
			if memo == "" {
				memo = e.Memo
			}
			cur := s.currency(sp)
			row := []string{uid(e), e.Date, csvText(e.Payee), csvText(memo), csvText(e.CheckNum),
				csvText(sp.AccountName), amount(sp.Amount, cur), cur, string(sp.Status)}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvText keeps a value from being run as a spreadsheet formula.
func csvText(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
