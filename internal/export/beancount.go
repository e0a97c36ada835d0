package export

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/bankfeed/bankfeed"
)

// beancountCurrency is beancount's syntax of a currency (commodity) name.
var beancountCurrency = regexp.MustCompile(`^[A-Z][A-Z0-9'._-]{0,22}[A-Z0-9]$|^[A-Z]$`)

// writeBeancount writes a beancount file:
//
//	option "operating_currency" "USD"
//
//	2026-01-05 open Assets:Bank:Checking USD
//
//	2026-01-05 * "Payee" "Memo"
//	  bankfeed_uid: "bf-12"
//	  check: "1234"
//	  Expenses:Food  12.50 USD
//	    memo: "split memo"
//	  Assets:Bank:Checking  -12.50 USD
//
// Each account used is opened on the day of its first entry in the file,
// limited to its currency when it uses only one. A transaction is flagged
// "*" when its bank side is confirmed (or it has none) and "!" when a bank
// split is not cleared yet.
func writeBeancount(w io.Writer, s *selection) error {
	types := map[string]bankfeed.LedgerAccountType{}
	for _, a := range s.books.Accounts {
		types[a.Name] = a.Type
	}
	names := newNameMap(bookNames(s.books), func(n string) string { return beancountAccount(n, types[n]) })

	// Currencies: each must be a beancount currency; the operating one is
	// the one most splits use (ties to the first in order).
	count := map[string]int{}
	accountCurrencies := map[string]map[string]bool{}
	for _, e := range s.entries {
		for _, sp := range e.Splits {
			cur := s.currency(sp)
			count[cur]++
			if accountCurrencies[sp.AccountName] == nil {
				accountCurrencies[sp.AccountName] = map[string]bool{}
			}
			accountCurrencies[sp.AccountName][cur] = true
		}
	}
	for _, a := range s.books.Accounts {
		if a.Currency != "" {
			count[a.Currency] += 0
		}
	}
	var bad []string
	for _, c := range sortedKeys(count) {
		if !beancountCurrency.MatchString(c) {
			bad = append(bad, fmt.Sprintf("%q", c))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("currency %s: beancount wants capitals, digits and '._- (USD)", strings.Join(bad, ", "))
	}

	bw := bufio.NewWriter(w)
	bw.WriteString("; bankfeed export (beancount): bankfeed_uid names each transaction, so a new export can be told from one already taken.\n")
	if len(count) > 0 {
		ops := sortedKeys(count)
		slices.SortStableFunc(ops, func(x, y string) int { return cmp.Compare(count[y], count[x]) })
		bw.WriteString(`option "operating_currency" "` + ops[0] + `"` + "\n")
	}
	used, first := s.usedAccounts()
	if len(used) > 0 {
		bw.WriteString("\n")
	}
	slices.SortStableFunc(used, func(x, y string) int {
		return cmp.Or(cmp.Compare(first[x], first[y]), cmp.Compare(names[x], names[y]))
	})
	for _, n := range used {
		bw.WriteString(first[n] + " open " + names[n])
		if curs := accountCurrencies[n]; len(curs) == 1 {
			bw.WriteString(" " + slices.Collect(maps.Keys(curs))[0])
		}
		bw.WriteString("\n")
	}
	for _, e := range s.entries {
		flag := "*"
		for _, sp := range e.Splits {
			if s.bankSide(sp) && sp.Status == bankfeed.SplitUncleared {
				flag = "!"
			}
		}
		bw.WriteString("\n" + e.Date + " " + flag)
		if p := singleLine(e.Payee); p != "" {
			bw.WriteString(" " + beancountString(p))
		}
		bw.WriteString(" " + beancountString(singleLine(e.Memo)) + "\n")
		bw.WriteString("  bankfeed_uid: " + beancountString(uid(e)) + "\n")
		if c := singleLine(e.CheckNum); c != "" {
			bw.WriteString("  check: " + beancountString(c) + "\n")
		}
		labels := make([]string, len(e.Splits))
		amounts := make([]string, len(e.Splits))
		for i, sp := range e.Splits {
			labels[i], amounts[i] = names[sp.AccountName], amount(sp.Amount, s.currency(sp))
		}
		pad := aligner(labels, amounts)
		for i, sp := range e.Splits {
			bw.WriteString("  " + labels[i] + pad(i) + amounts[i] + " " + s.currency(sp) + "\n")
			if m := singleLine(sp.Memo); m != "" {
				bw.WriteString("    memo: " + beancountString(m) + "\n")
			}
		}
	}
	return bw.Flush()
}

// beancountString quotes s as a beancount string.
func beancountString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
