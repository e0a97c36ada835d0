package export

import (
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/bankfeed/bankfeed"
)

// nameMap gives each ledger account name the name a target tool accepts. It
// is built from every name of the books, not only those an export writes,
// so an account keeps its exported name whatever --account or dates select.
type nameMap map[string]string

// newNameMap sanitizes every name with clean and resolves collisions: names
// are taken in sorted order and a name whose clean form is already taken
// gets "-2", "-3", … on its last component. The result depends only on the
// set of names.
func newNameMap(names []string, clean func(string) string) nameMap {
	names = slices.Clone(names)
	slices.Sort(names)
	names = slices.Compact(names)
	m := make(nameMap, len(names))
	taken := make(map[string]bool, len(names))
	// Names already clean keep their form; collisions fall on the others.
	var dirty []string
	for _, n := range names {
		if c := clean(n); c == n {
			m[n], taken[n] = n, true
		} else {
			dirty = append(dirty, n)
		}
	}
	for _, n := range dirty {
		c := clean(n)
		out := c
		for i := 2; taken[out]; i++ {
			out = c + "-" + strconv.Itoa(i)
		}
		m[n], taken[out] = out, true
	}
	return m
}

// bookNames lists every account name of the books: the chart's and any a
// split names that the chart lacks.
func bookNames(b *Books) []string {
	var names []string
	for _, a := range b.Accounts {
		names = append(names, a.Name)
	}
	for _, e := range b.Entries {
		for _, s := range e.Splits {
			names = append(names, s.AccountName)
		}
	}
	return names
}

// journalAccount makes a name hledger and ledger both read as one real
// account: whitespace and control characters become single spaces (two
// spaces or a tab would end the name), ";" becomes "_" (it starts comments),
// components are trimmed and empty ones dropped, and a name that would start
// with "(" or "[" (a virtual posting) or "*" or "!" (a status mark) gets a
// leading "_". An empty name is "Unnamed".
func journalAccount(name string) string {
	parts := strings.Split(name, ":")
	out := parts[:0]
	for _, p := range parts {
		p = singleLine(p)
		p = strings.ReplaceAll(p, ";", "_")
		if p != "" {
			out = append(out, p)
		}
	}
	s := strings.Join(out, ":")
	switch {
	case s == "":
		return "Unnamed"
	case strings.ContainsRune("([*!", rune(s[0])):
		return "_" + s
	}
	return s
}

// beancountRoots maps the five roots, and the account types, to beancount's
// root names.
var beancountTypeRoots = map[bankfeed.LedgerAccountType]string{
	bankfeed.LedgerAsset: "Assets", bankfeed.LedgerLiability: "Liabilities", bankfeed.LedgerIncome: "Income",
	bankfeed.LedgerExpense: "Expenses", bankfeed.LedgerEquity: "Equity",
}

// beancountAccount makes a name beancount accepts: the first component one
// of Assets, Liabilities, Income, Expenses, Equity (a name under none is put
// under the root of its type, or Equity); every other component letters,
// digits and hyphens, starting with a capital or a digit. Accents are
// dropped (é→e), every other run of characters becomes one hyphen, a
// leading lower-case letter is capitalized and a component that still does
// not start with a capital or digit gets a leading "X". A name with no
// component under its root gets "Other".
func beancountAccount(name string, typ bankfeed.LedgerAccountType) string {
	parts := strings.Split(name, ":")
	root := parts[0]
	if _, ok := bankfeed.LedgerRoots[root]; ok {
		parts = parts[1:]
	} else if r, ok := beancountTypeRoots[typ]; ok {
		root = r
	} else if r, ok := beancountTypeRoots[bankfeed.LedgerAccountTypeOf(name)]; ok {
		root = r
	} else {
		root = "Equity"
	}
	out := []string{root}
	for _, p := range parts {
		if c := beancountComponent(p); c != "" {
			out = append(out, c)
		}
	}
	if len(out) == 1 {
		out = append(out, "Other")
	}
	return strings.Join(out, ":")
}

// beancountComponent cleans one component of a beancount account name; ""
// when nothing is left of it.
func beancountComponent(p string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range norm.NFD.String(p) {
		switch {
		case unicode.Is(unicode.Mn, r): // the accent of a decomposed letter
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
		default:
			hyphen = true
		}
	}
	s := norm.NFC.String(b.String())
	if s == "" {
		return ""
	}
	first := []rune(s)[0]
	if unicode.IsLower(first) && unicode.IsUpper(unicode.ToUpper(first)) {
		return string(unicode.ToUpper(first)) + s[len(string(first)):]
	}
	if !unicode.IsUpper(first) && !unicode.IsDigit(first) {
		return "X" + s
	}
	return s
}

// singleLine turns control characters and runs of white space into single
// spaces and trims the ends: every format keeps a value on one line.
func singleLine(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII without double spaces or
// spaces at its ends.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c >= 0x7f || c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' ') {
			return false
		}
	}
	return true
}
