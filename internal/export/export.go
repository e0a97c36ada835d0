// Package export writes the books (the chart of accounts and the entries)
// in the formats other tools read: hledger and ledger journals, beancount,
// CSV, and QBO or OFX statements of the bank and card accounts for
// QuickBooks and other clients that import Web Connect files.
//
// Every format names each entry by its UID (and, in QBO and OFX, each
// transaction by the bank's FITID where there is one), so importing an
// export again is recognised rather than duplicated. Output depends only on
// the books and the options: the same books export to the same bytes.
package export

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
)

// Books is what an export reads: the chart of accounts, the entries with
// their splits, and for QBO and OFX the feed accounts behind bank ledger
// accounts (for BANKID and ACCTID) and the feed lines splits are linked to
// (to reuse the bank's FITID).
type Books struct {
	Accounts []*bankfeed.LedgerAccount
	Entries  []*bankfeed.Entry
	Feeds    map[bankfeed.AccountID]*bankfeed.Account
	Lines    map[bankfeed.LineID]*bankfeed.Line
}

// Options select what is written.
type Options struct {
	// Account is the full name of one ledger account: only entries with a
	// split in it are written (in QBO and OFX, only its statement). "" for
	// all.
	Account string
	// From and To select entries by date, YYYY-MM-DD, inclusive; "" for
	// open. QBO and OFX balances count every entry up to To.
	From, To string
	// IntuBID is the INTU.BID of a QBO file, the bank QuickBooks takes the
	// file for; "3000" when empty. An OFX export carries it only when set.
	IntuBID string
	// Now is the time of a QBO or OFX response (DTSERVER); the current time
	// when zero. The other formats do not use it.
	Now time.Time
}

// Formats are the formats Write knows.
var Formats = []string{"hledger", "ledger", "beancount", "csv", "qbo", "ofx"}

// DefaultIntuBID is the INTU.BID of a QBO export when none is given: a bank
// every QuickBooks edition accepts Web Connect files from.
const DefaultIntuBID = "3000"

// Write writes the books in format to w.
func Write(w io.Writer, format string, b *Books, opts Options) error {
	if !slices.Contains(Formats, format) {
		return fmt.Errorf("export: unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
	s, err := newSelection(b, opts)
	if err != nil {
		return fmt.Errorf("export %s: %w", format, err)
	}
	switch format {
	case "hledger":
		err = writeJournal(w, s, hledgerDialect)
	case "ledger":
		err = writeJournal(w, s, ledgerDialect)
	case "beancount":
		err = writeBeancount(w, s)
	case "csv":
		err = writeCSV(w, s)
	case "qbo":
		err = writeStatements(w, s, true)
	case "ofx":
		err = writeStatements(w, s, false)
	}
	if err != nil {
		return fmt.Errorf("export %s: %w", format, err)
	}
	return nil
}

// CheckIntuBID reports whether v can be an INTU.BID: digits only.
func CheckIntuBID(v string) error {
	if v == "" || len(v) > 10 || strings.TrimLeft(v, "0123456789") != "" {
		return fmt.Errorf("INTU.BID %q: want up to 10 digits", v)
	}
	return nil
}

// CheckDate reports whether v is a date YYYY-MM-DD.
func CheckDate(v string) error {
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return fmt.Errorf("%q: want a date YYYY-MM-DD", v)
	}
	return nil
}

// selection is the books checked and the entries chosen by the options.
type selection struct {
	books    *Books
	opts     Options
	accounts map[string]*bankfeed.LedgerAccount // by name
	all      []*bankfeed.Entry                  // every entry, by date then id
	entries  []*bankfeed.Entry                  // those selected
}

func newSelection(b *Books, opts Options) (*selection, error) {
	var errs []error
	if opts.From != "" {
		if err := CheckDate(opts.From); err != nil {
			errs = append(errs, fmt.Errorf("from %w", err))
		}
	}
	if opts.To != "" {
		if err := CheckDate(opts.To); err != nil {
			errs = append(errs, fmt.Errorf("to %w", err))
		}
	}
	if opts.From != "" && opts.To != "" && opts.From > opts.To {
		errs = append(errs, fmt.Errorf("from %s is after to %s", opts.From, opts.To))
	}
	if opts.IntuBID != "" {
		if err := CheckIntuBID(opts.IntuBID); err != nil {
			errs = append(errs, err)
		}
	}
	s := &selection{books: b, opts: opts, accounts: make(map[string]*bankfeed.LedgerAccount, len(b.Accounts))}
	for _, a := range b.Accounts {
		s.accounts[a.Name] = a
	}
	if opts.Account != "" && s.accounts[opts.Account] == nil {
		errs = append(errs, fmt.Errorf("no ledger account named %q", opts.Account))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s.all = slices.Clone(b.Entries)
	slices.SortStableFunc(s.all, func(x, y *bankfeed.Entry) int {
		return cmp.Or(cmp.Compare(x.Date, y.Date), cmp.Compare(x.ID, y.ID))
	})
	for _, e := range s.all {
		if err := s.check(e); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, e := range s.all {
		if s.inRange(e.Date) && (opts.Account == "" || hasSplitIn(e, opts.Account)) {
			s.entries = append(s.entries, e)
		}
	}
	return s, nil
}

// check reports an entry no tool would take: a bad date, a split without a
// currency, or splits that do not sum to zero in each currency.
func (s *selection) check(e *bankfeed.Entry) error {
	var errs []error
	if err := CheckDate(e.Date); err != nil {
		errs = append(errs, fmt.Errorf("date %w", err))
	}
	sums := map[string]bankfeed.Decimal{}
	for _, sp := range e.Splits {
		cur := s.currency(sp)
		if cur == "" {
			errs = append(errs, fmt.Errorf("split of %s has no currency", sp.AccountName))
			continue
		}
		sums[cur] = sums[cur].Add(sp.Amount)
	}
	for _, cur := range sortedKeys(sums) {
		if !sums[cur].IsZero() {
			errs = append(errs, fmt.Errorf("splits sum to %s %s, not zero", sums[cur], cur))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("entry %s: %w", uid(e), err)
	}
	return nil
}

func (s *selection) inRange(date string) bool {
	return (s.opts.From == "" || date >= s.opts.From) && (s.opts.To == "" || date <= s.opts.To)
}

// currency is a split's currency, else its account's.
func (s *selection) currency(sp bankfeed.Split) string {
	if sp.Currency != "" {
		return sp.Currency
	}
	if a := s.accounts[sp.AccountName]; a != nil {
		return a.Currency
	}
	return ""
}

// bankSide reports whether a split is the bank's side of an entry: in an
// account with a feed, linked to feed lines, or confirmed by one.
func (s *selection) bankSide(sp bankfeed.Split) bool {
	if a := s.accounts[sp.AccountName]; a != nil && a.FeedAccountID != nil {
		return true
	}
	return len(sp.Lines) > 0 || sp.Status != bankfeed.SplitUncleared
}

// entryStatus is how far an entry is confirmed: cleared when it has a bank
// side and all of it is cleared or reconciled, pending when only part of
// it is, and "" otherwise.
func (s *selection) entryStatus(e *bankfeed.Entry) string {
	bank, confirmed := 0, 0
	for _, sp := range e.Splits {
		if s.bankSide(sp) {
			bank++
			if sp.Status != bankfeed.SplitUncleared {
				confirmed++
			}
		}
	}
	switch {
	case bank > 0 && confirmed == bank:
		return statusCleared
	case confirmed > 0:
		return statusPending
	}
	return ""
}

const (
	statusCleared = "cleared"
	statusPending = "pending"
)

// usedAccounts returns the names the selected entries post to, sorted, with
// the date each is first used.
func (s *selection) usedAccounts() ([]string, map[string]string) {
	first := map[string]string{}
	for _, e := range s.entries {
		for _, sp := range e.Splits {
			if d, ok := first[sp.AccountName]; !ok || e.Date < d {
				first[sp.AccountName] = e.Date
			}
		}
	}
	return sortedKeys(first), first
}

// amount formats a split's amount with at least its currency's places.
func amount(d bankfeed.Decimal, currency string) string {
	return d.Canonical(bankfeed.CurrencyPlaces(currency)).String()
}

func hasSplitIn(e *bankfeed.Entry, account string) bool {
	for _, sp := range e.Splits {
		if sp.AccountName == account {
			return true
		}
	}
	return false
}

// uid is an entry's UID, or the one the store would give it.
func uid(e *bankfeed.Entry) string {
	if e.UID != "" {
		return e.UID
	}
	return "bf-" + strconv.FormatInt(int64(e.ID), 10)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
