package export

import (
	"bufio"
	"io"
	"strings"
	"unicode/utf8"
)

// journalDialect is what differs between hledger's and ledger's journals.
type journalDialect struct {
	name string
	// uidTag writes the entry's UID as a tag of its first line.
	uidTag func(uid string) string
	// directives follow the commodity declarations.
	directives []string
	// payee cleans a payee for the first line of an entry.
	payee func(string) string
}

var (
	// hledgerDialect: hledger ends a description at ";", so it becomes ",".
	hledgerDialect = journalDialect{
		name:   "hledger",
		uidTag: func(uid string) string { return "uid:" + uid },
		payee: func(p string) string {
			return strings.ReplaceAll(journalPayee(p), ";", ",")
		},
	}
	// ledgerDialect: metadata is "key: value"; `tag uid` declares it, so
	// ledger --pedantic accepts it too.
	ledgerDialect = journalDialect{
		name:       "ledger",
		uidTag:     func(uid string) string { return "uid: " + uid },
		directives: []string{"tag uid"},
		payee:      journalPayee,
	}
)

// journalPayee keeps a payee on its line and from being read as a status
// mark or a code: a leading "*", "!" or "(" gets a "_" before it.
func journalPayee(p string) string {
	p = singleLine(p)
	if p != "" && strings.ContainsRune("*!(", rune(p[0])) {
		p = "_" + p
	}
	return p
}

// writeJournal writes a journal hledger and ledger read alike but for the
// dialect's differences:
//
//	commodity USD
//	account Assets:Bank:Checking
//
//	2026-01-05 * (1234) Payee  ; uid:bf-12
//	    ; entry memo
//	    Expenses:Food           12.50 USD  ; split memo
//	    Assets:Bank:Checking   -12.50 USD
//
// Amounts carry their currency code after the number, which both read. An
// entry without a payee has its uid on the line after its date.
// An entry whose bank side is all cleared or reconciled is marked "*"; one
// only partly confirmed is marked "!" with its confirmed postings marked "*".
func writeJournal(w io.Writer, s *selection, d journalDialect) error {
	bw := bufio.NewWriter(w)
	names := newNameMap(bookNames(s.books), journalAccount)
	currencies := map[string]bool{}
	for _, e := range s.entries {
		for _, sp := range e.Splits {
			currencies[s.currency(sp)] = true
		}
	}
	for _, a := range s.books.Accounts {
		if a.Currency != "" {
			currencies[a.Currency] = true
		}
	}
	bw.WriteString("; bankfeed export (" + d.name + "): the uid tag names each entry, so a new export can be told from one already taken.\n")
	for _, c := range sortedKeys(currencies) {
		bw.WriteString("commodity " + journalCommodity(c) + "\n")
	}
	for _, dir := range d.directives {
		bw.WriteString(dir + "\n")
	}
	declared := map[string]bool{}
	for _, n := range bookNames(s.books) {
		declared[names[n]] = true
	}
	for _, n := range sortedKeys(declared) {
		bw.WriteString("account " + n + "\n")
	}
	for _, e := range s.entries {
		bw.WriteString("\n" + e.Date)
		status := s.entryStatus(e)
		switch status {
		case statusCleared:
			bw.WriteString(" *")
		case statusPending:
			bw.WriteString(" !")
		}
		if code := journalCode(e.CheckNum); code != "" {
			bw.WriteString(" (" + code + ")")
		}
		// Without a payee, ledger would read a comment on the first line as
		// the payee: the uid goes on a line of its own.
		if p := d.payee(e.Payee); p != "" {
			bw.WriteString(" " + p + "  ; " + d.uidTag(uid(e)) + "\n")
		} else {
			bw.WriteString("\n    ; " + d.uidTag(uid(e)) + "\n")
		}
		if m := singleLine(e.Memo); m != "" {
			bw.WriteString("    ; " + m + "\n")
		}
		labels := make([]string, len(e.Splits))
		amounts := make([]string, len(e.Splits))
		for i, sp := range e.Splits {
			labels[i] = names[sp.AccountName]
			if status != statusCleared && sp.Status != "" {
				labels[i] = "* " + labels[i]
			}
			amounts[i] = amount(sp.Amount, s.currency(sp))
		}
		pad := aligner(labels, amounts)
		for i, sp := range e.Splits {
			bw.WriteString("    " + labels[i] + pad(i) + amounts[i] + " " + journalCommodity(s.currency(sp)))
			if m := singleLine(sp.Memo); m != "" {
				bw.WriteString("  ; " + m)
			}
			bw.WriteString("\n")
		}
	}
	return bw.Flush()
}

// aligner returns the spaces to put between the i-th label and amount so
// that the amounts of a transaction end in one column, two spaces at least
// after the longest label.
func aligner(labels, amounts []string) func(i int) string {
	width := 0
	for i := range labels {
		width = max(width, utf8.RuneCountInString(labels[i])+len(amounts[i]))
	}
	return func(i int) string {
		return strings.Repeat(" ", width-utf8.RuneCountInString(labels[i])-len(amounts[i])+2)
	}
}

// journalCommodity writes a currency code as a commodity: bare when it is
// letters only (USD), else in double quotes, which both tools read.
func journalCommodity(c string) string {
	for i := 0; i < len(c); i++ {
		if !(c[i] >= 'A' && c[i] <= 'Z' || c[i] >= 'a' && c[i] <= 'z') {
			return `"` + strings.ReplaceAll(singleLine(c), `"`, "") + `"`
		}
	}
	return c
}

// journalCode cleans a check number for "(code)": one line, no ")".
func journalCode(c string) string {
	return singleLine(strings.NewReplacer("(", "", ")", "").Replace(c))
}
