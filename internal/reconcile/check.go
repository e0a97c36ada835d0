// Package reconcile holds reconciliation's arithmetic, pure and in memory:
// the check of the books against the bank's own balance, with the likely
// causes of a difference (Check), and the state of a statement
// reconciliation (Statement). The store reads the facts; the command line
// and the web show what comes out. Money is bankfeed.Decimal, exact.
package reconcile

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
)

// DuplicateDays is how far apart two splits of the same amount may be dated
// and still be suspected of being one bank transaction counted twice.
const DuplicateDays = 3

// maxListed bounds the lines or splits a cause names one by one.
const maxListed = 10

// OpeningAccount is the equity account an opening balance is booked against.
const OpeningAccount = "Equity:Opening-Balances"

// Line is a feed line as the check sees it.
type Line struct {
	ID     bankfeed.LineID  `json:"id"`
	Date   string           `json:"date"`
	Amount bankfeed.Decimal `json:"amount"`
	Name   string           `json:"name,omitempty"`
}

// Split is a bank-side split of the books as the check sees it.
type Split struct {
	ID         int64            `json:"id"`
	EntryID    bankfeed.EntryID `json:"entry_id"`
	Date       string           `json:"date"`
	Amount     bankfeed.Decimal `json:"amount"`
	Payee      string           `json:"payee,omitempty"`
	Reconciled bool             `json:"reconciled,omitempty"`
}

// Window is a span of days, both ends included (YYYY-MM-DD).
type Window struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Input is what the check needs to know of one feed-linked ledger account.
type Input struct {
	Account       string                   // the ledger account's full name
	AccountID     bankfeed.LedgerAccountID // the ledger account
	FeedAccountID bankfeed.AccountID
	Currency      string

	// HasBalance is false when no statement of the feed gave a ledger
	// balance; nothing else is then needed.
	HasBalance bool
	Bank       bankfeed.Decimal // the bank's latest ledger balance
	AsOf       string           // its date

	// Cleared is the books' cleared balance at AsOf: the account's splits
	// cleared or reconciled dated on or before it, and those dated before
	// the feed's first line (the opening balance, which no line clears).
	Cleared bankfeed.Decimal
	// Splits are the account's cleared and reconciled splits that may hold
	// a duplicate: those dated from DuplicateDays before the first one not
	// yet reconciled up to AsOf.
	Splits []Split

	// Review are the posted lines still For Review dated on or before AsOf.
	Review []Line
	// Pending are the pending lines still in review; PendingInBooks the
	// pending lines dated on or before AsOf that the books already hold.
	Pending, PendingInBooks []Line
	// Excluded are the lines kept out of the books dated on or before AsOf.
	Excluded []Line

	// FirstLineOn is the date of the feed's first posted line ("" for none),
	// FeedSum the sum of its posted lines up to AsOf (lines merged into
	// another or voided left out), and BooksBefore whether the account has
	// any split dated before FirstLineOn.
	FirstLineOn string
	FeedSum     bankfeed.Decimal
	BooksBefore bool

	// Covered are the [start, end] windows the feed's statements covered.
	Covered []Window
}

// Cause kinds, in the order a reader meets them when none is exact.
const (
	CauseReview     = "review"
	CauseOpening    = "opening_balance"
	CausePending    = "pending"
	CauseDuplicate  = "duplicate"
	CauseExcluded   = "excluded"
	CauseGap        = "gap"
	CauseDuplicates = "possible_duplicates"
)

// Cause is one likely reason for a difference.
type Cause struct {
	Kind string `json:"kind"`
	// Exact is true when the cause accounts for the whole difference.
	Exact bool `json:"exact"`
	// Explains is how much of the difference the cause accounts for, when
	// arithmetic can tell; nil for a cause that can only be flagged.
	Explains *bankfeed.Decimal `json:"explains,omitempty"`
	// Message says what was found and what to do, in one or two sentences.
	Message string   `json:"message"`
	Lines   []Line   `json:"lines,omitempty"`
	Splits  []Split  `json:"splits,omitempty"`
	Gaps    []Window `json:"gaps,omitempty"`
	// Command is a command line that fixes it, when there is one.
	Command string `json:"command,omitempty"`
}

// Report is the check of one account against its bank's balance.
type Report struct {
	Account       string                   `json:"account"`
	AccountID     bankfeed.LedgerAccountID `json:"ledger_account_id"`
	FeedAccountID bankfeed.AccountID       `json:"feed_account_id"`
	Currency      string                   `json:"currency,omitempty"`
	HasBalance    bool                     `json:"has_balance"`
	AsOf          string                   `json:"as_of,omitempty"`
	Bank          bankfeed.Decimal         `json:"bank_balance"`
	Books         bankfeed.Decimal         `json:"books_balance"`
	// Difference is the bank's balance less the books': what the books
	// lack (negative: what they hold too much of).
	Difference bankfeed.Decimal `json:"difference"`
	Balanced   bool             `json:"balanced"`
	Causes     []Cause          `json:"causes,omitempty"`
	// Unexplained is what the causes measured by arithmetic leave of the
	// difference, taken together; nil when none is.
	Unexplained *bankfeed.Decimal `json:"unexplained,omitempty"`
	// Command locks the balance when the books agree: a statement
	// reconciliation at the bank's balance.
	Command string `json:"command,omitempty"`
}

// Check compares the books with the bank's balance and, when they differ,
// finds the likely causes, each checked by arithmetic, those that explain
// the most first.
func Check(in Input) Report {
	places := bankfeed.CurrencyPlaces(in.Currency)
	r := Report{Account: in.Account, AccountID: in.AccountID, FeedAccountID: in.FeedAccountID, Currency: in.Currency,
		HasBalance: in.HasBalance}
	if !in.HasBalance {
		return r
	}
	r.AsOf = in.AsOf
	r.Bank = in.Bank.Canonical(places)
	r.Books = in.Cleared.Canonical(places)
	r.Difference = in.Bank.Sub(in.Cleared).Canonical(places)
	r.Balanced = r.Difference.IsZero()
	if r.Balanced {
		r.Command = fmt.Sprintf("bankfeed reconcile start --account %s --date %s --balance %s",
			shellQuote(in.Account), in.AsOf, r.Bank)
		return r
	}
	c := checker{in: in, diff: r.Difference, places: places}
	// The causes that certainly apply: lines For Review, a missing opening
	// balance, pending lines in the books. The others are also tried
	// against what those leave.
	c.certain = sum(in.Review).Sub(sum(in.PendingInBooks))
	if open, ok := c.openingBalance(); ok {
		c.certain = c.certain.Add(open)
	}
	c.rest = c.diff.Sub(c.certain)
	r.Causes = c.causes()
	// What the certain causes leave, unless another cause closes the whole
	// difference alone (they then overlap it).
	alone := false
	for _, x := range r.Causes {
		alone = alone || x.Exact
	}
	if !c.certain.IsZero() && (c.rest.IsZero() || !alone) {
		left := c.rest.Sub(c.restExplained).Canonical(places)
		r.Unexplained = &left
	}
	return r
}

type checker struct {
	in     Input
	diff   bankfeed.Decimal
	places int32
	// certain is what the causes that certainly apply account for, rest
	// what they leave of the difference, restExplained the part of rest
	// another cause accounts for exactly.
	certain, rest, restExplained bankfeed.Decimal
}

// closesRest reports whether x is exactly what the certain causes leave
// (and they do not close the difference by themselves); the first such
// cause is counted as explaining it.
func (c *checker) closesRest(x bankfeed.Decimal) bool {
	if c.certain.IsZero() || c.rest.IsZero() || !x.Equal(c.rest) || !c.restExplained.IsZero() {
		return false
	}
	c.restExplained = x
	return true
}

// openingBalance is what the bank's account held before the feed's first
// line, when the books hold nothing before it; ok is false otherwise.
func (c *checker) openingBalance() (bankfeed.Decimal, bool) {
	if c.in.BooksBefore || c.in.FirstLineOn == "" {
		return bankfeed.Decimal{}, false
	}
	open := c.in.Bank.Sub(c.in.FeedSum)
	return open, !open.IsZero()
}

// money formats an amount in the account's currency's places.
func (c *checker) money(d bankfeed.Decimal) string { return d.Canonical(c.places).String() }

// plausible reports whether an amount moves the difference toward zero
// without passing it: the same sign, and no larger.
func (c *checker) plausible(explains bankfeed.Decimal) bool {
	if explains.IsZero() || explains.Sign() != c.diff.Sign() {
		return false
	}
	if c.diff.Sign() > 0 {
		return explains.Cmp(c.diff) <= 0
	}
	return explains.Cmp(c.diff) >= 0
}

// remaining says what is left of the difference once explains is accounted
// for.
func (c *checker) remaining(explains bankfeed.Decimal) string {
	return c.money(c.diff.Sub(explains))
}

func (c *checker) causes() []Cause {
	var out []Cause
	for _, f := range []func() []Cause{c.review, c.opening, c.pending, c.duplicates, c.excluded, c.gaps} {
		out = append(out, f()...)
	}
	// Most explanatory first: exact causes, then those arithmetic measures by
	// what they leave over, then those only flagged, each group in the
	// order found.
	rank := func(x Cause) (int, bankfeed.Decimal) {
		switch {
		case x.Exact:
			return 0, bankfeed.Decimal{}
		case x.Explains != nil:
			left := c.diff.Sub(*x.Explains)
			if left.Sign() < 0 {
				left = left.Neg()
			}
			return 1, left
		}
		return 2, bankfeed.Decimal{}
	}
	slices.SortStableFunc(out, func(a, b Cause) int {
		ga, la := rank(a)
		gb, lb := rank(b)
		return cmp.Or(cmp.Compare(ga, gb), la.Cmp(lb))
	})
	return out
}

func sum(lines []Line) bankfeed.Decimal {
	var s bankfeed.Decimal
	for _, l := range lines {
		s = s.Add(l.Amount)
	}
	return s
}

func firstLines(lines []Line) []Line {
	if len(lines) > maxListed {
		return lines[:maxListed]
	}
	return lines
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// review: posted lines the bank counted that the books do not hold yet.
func (c *checker) review() []Cause {
	if len(c.in.Review) == 0 {
		return nil
	}
	s := sum(c.in.Review)
	x := Cause{Kind: CauseReview, Explains: &s, Lines: firstLines(c.in.Review)}
	n := plural(len(c.in.Review), "line", "lines")
	switch {
	case s.Equal(c.diff):
		x.Exact = true
		x.Message = fmt.Sprintf("%s dated on or before %s still For Review sum to %s: exactly the difference. Add or match them (bankfeed review).",
			n, c.in.AsOf, c.money(s))
	default:
		x.Message = fmt.Sprintf("%s dated on or before %s still For Review sum to %s; with them in the books %s would remain.",
			n, c.in.AsOf, c.money(s), c.remaining(s))
	}
	return []Cause{x}
}

// opening: the books start with the feed's first line, but the bank's
// account held money before it.
func (c *checker) opening() []Cause {
	open, ok := c.openingBalance()
	if !ok {
		return nil
	}
	first, err := time.Parse(time.DateOnly, c.in.FirstLineOn)
	if err != nil {
		return nil
	}
	on := first.AddDate(0, 0, -1).Format(time.DateOnly)
	x := Cause{Kind: CauseOpening, Explains: &open, Command: OpeningCommand(c.in.Account, on, open.Canonical(c.places))}
	review := sum(c.in.Review)
	switch {
	case open.Equal(c.diff):
		x.Exact = true
		x.Message = fmt.Sprintf("No opening balance: the books hold nothing before the feed's first line (%s), and the bank's balance then was %s: exactly the difference.",
			c.in.FirstLineOn, c.money(open))
	case len(c.in.Review) > 0 && open.Add(review).Equal(c.diff):
		x.Message = fmt.Sprintf("No opening balance: the books hold nothing before the feed's first line (%s), and the bank's balance then was %s; with the lines For Review that is exactly the difference.",
			c.in.FirstLineOn, c.money(open))
	default:
		x.Message = fmt.Sprintf("No opening balance: the books hold nothing before the feed's first line (%s), and the bank's balance then was %s; with it %s would remain.",
			c.in.FirstLineOn, c.money(open), c.remaining(open))
	}
	x.Message += " Book it against " + OpeningAccount + " (bankfeed chart add " + OpeningAccount + " first if the chart lacks it):"
	return []Cause{x}
}

// OpeningCommand is the command line that books an opening balance of
// amount in account on the date, against Equity:Opening-Balances.
func OpeningCommand(account, on string, amount bankfeed.Decimal) string {
	return fmt.Sprintf("bankfeed entry add --date %s --payee %s --account %s --amount %s --category %s",
		on, shellQuote("Opening balance"), shellQuote(account), amount, OpeningAccount)
}

// pending: the bank's ledger balance leaves pending lines out.
func (c *checker) pending() []Cause {
	var out []Cause
	if len(c.in.PendingInBooks) > 0 {
		s := sum(c.in.PendingInBooks)
		ex := s.Neg()
		x := Cause{Kind: CausePending, Explains: &ex, Lines: firstLines(c.in.PendingInBooks), Exact: ex.Equal(c.diff)}
		n := plural(len(c.in.PendingInBooks), "pending line", "pending lines")
		if x.Exact {
			x.Message = fmt.Sprintf("%s already in the books sum to %s: exactly the difference. The bank's ledger balance counts a line only once it posts.", n, c.money(s))
		} else {
			x.Message = fmt.Sprintf("%s already in the books sum to %s, which the bank's ledger balance leaves out until they post; without them %s would remain.", n, c.money(s), c.remaining(ex))
		}
		if !s.IsZero() {
			out = append(out, x)
		}
	}
	if len(c.in.Pending) > 0 {
		s := sum(c.in.Pending)
		x := Cause{Kind: CausePending, Explains: &s, Lines: firstLines(c.in.Pending), Exact: s.Equal(c.diff)}
		n := plural(len(c.in.Pending), "pending line", "pending lines")
		switch {
		case x.Exact:
			x.Message = fmt.Sprintf("%s still in review sum to %s: exactly the difference. This bank counts pending lines in its ledger balance; they will settle when they post.", n, c.money(s))
			out = append(out, x)
		case c.closesRest(s):
			x.Message = fmt.Sprintf("%s still in review sum to %s: with the other causes listed, exactly the difference, if the bank counts pending lines in its ledger balance.", n, c.money(s))
			out = append(out, x)
		case c.plausible(s):
			x.Message = fmt.Sprintf("%s still in review sum to %s; if the bank counts them in its ledger balance, %s would remain once they post.", n, c.money(s), c.remaining(s))
			out = append(out, x)
		}
	}
	return out
}

// duplicates: two splits of one amount a few days apart, one perhaps the
// same bank transaction counted again. A pair whose removal closes the
// difference is a suspect; other pairs are flagged when removing one would
// bring the difference toward zero.
func (c *checker) duplicates() []Cause {
	splits := slices.Clone(c.in.Splits)
	slices.SortStableFunc(splits, func(a, b Split) int {
		return cmp.Or(a.Amount.Cmp(b.Amount), strings.Compare(a.Date, b.Date), cmp.Compare(a.ID, b.ID))
	})
	var exact []Cause
	var flagged []Split
	for i := range splits {
		for j := i + 1; j < len(splits) && splits[j].Amount.Equal(splits[i].Amount); j++ {
			a, b := splits[i], splits[j]
			if a.EntryID == b.EntryID || (a.Reconciled && b.Reconciled) || daysApart(a.Date, b.Date) > DuplicateDays {
				continue
			}
			ex := a.Amount.Neg()
			switch {
			case ex.Equal(c.diff):
				exact = append(exact, Cause{Kind: CauseDuplicate, Exact: true, Explains: &ex, Splits: []Split{a, b},
					Message: fmt.Sprintf("Suspected duplicate: splits %d (%s, %s) and %d (%s, %s) are both %s; removing one closes the difference exactly. If they are one bank transaction, remove the extra entry (bankfeed entry remove %d, or %d).",
						a.ID, a.Date, payee(a), b.ID, b.Date, payee(b), c.money(a.Amount), a.EntryID, b.EntryID)})
			case c.closesRest(ex):
				exact = append(exact, Cause{Kind: CauseDuplicate, Explains: &ex, Splits: []Split{a, b},
					Message: fmt.Sprintf("Suspected duplicate: splits %d (%s, %s) and %d (%s, %s) are both %s; removing one, with the other causes listed, closes the difference exactly. If they are one bank transaction, remove the extra entry (bankfeed entry remove %d, or %d).",
						a.ID, a.Date, payee(a), b.ID, b.Date, payee(b), c.money(a.Amount), a.EntryID, b.EntryID)})
			case c.plausible(ex) && len(flagged) < 2*maxListed:
				flagged = append(flagged, a, b)
			}
		}
	}
	if len(exact) > 0 || len(flagged) == 0 {
		return exact
	}
	return []Cause{{Kind: CauseDuplicates, Splits: flagged,
		Message: fmt.Sprintf("%s of the same amount within %d days; if one of a pair is the same bank transaction counted twice, removing it narrows the difference.",
			plural(len(flagged)/2, "pair of splits", "pairs of splits"), DuplicateDays)}}
}

func payee(s Split) string {
	if s.Payee == "" {
		return "no payee"
	}
	return s.Payee
}

// daysApart is the number of days between two dates; a date that does not
// parse is far from everything.
func daysApart(a, b string) int {
	ta, err1 := time.Parse(time.DateOnly, a)
	tb, err2 := time.Parse(time.DateOnly, b)
	if err1 != nil || err2 != nil {
		return 1 << 30
	}
	d := int(tb.Sub(ta).Hours() / 24)
	if d < 0 {
		d = -d
	}
	return d
}

// excluded: lines kept out of the books that the bank's balance counts.
func (c *checker) excluded() []Cause {
	if len(c.in.Excluded) == 0 {
		return nil
	}
	for _, l := range c.in.Excluded {
		if l.Amount.Equal(c.diff) {
			ex := l.Amount
			return []Cause{{Kind: CauseExcluded, Exact: true, Explains: &ex, Lines: []Line{l},
				Message: fmt.Sprintf("Line %d (%s, %s) was excluded from the books and its amount is exactly the difference. If it was real, undo the exclusion (bankfeed review undo %d) and add it.",
					l.ID, l.Date, c.money(l.Amount), l.ID)}}
		}
	}
	s := sum(c.in.Excluded)
	if s.Equal(c.diff) {
		return []Cause{{Kind: CauseExcluded, Exact: true, Explains: &s, Lines: firstLines(c.in.Excluded),
			Message: fmt.Sprintf("%s excluded from the books sum to %s: exactly the difference. If they were real, undo the exclusion (bankfeed review undo LINE...) and add them.",
				plural(len(c.in.Excluded), "line", "lines"), c.money(s))}}
	}
	for _, l := range c.in.Excluded {
		if c.closesRest(l.Amount) {
			ex := l.Amount
			return []Cause{{Kind: CauseExcluded, Explains: &ex, Lines: []Line{l},
				Message: fmt.Sprintf("Line %d (%s, %s) was excluded from the books and with the other causes listed its amount closes the difference exactly. If it was real, undo the exclusion (bankfeed review undo %d) and add it.",
					l.ID, l.Date, c.money(l.Amount), l.ID)}}
		}
	}
	if c.closesRest(s) {
		return []Cause{{Kind: CauseExcluded, Explains: &s, Lines: firstLines(c.in.Excluded),
			Message: fmt.Sprintf("%s excluded from the books sum to %s: with the other causes listed, exactly the difference. If they were real, undo the exclusion (bankfeed review undo LINE...) and add them.",
				plural(len(c.in.Excluded), "line", "lines"), c.money(s))}}
	}
	return nil
}

// gaps: days between the feed's statements that no statement covered, up to
// the balance's date. Lines of those days may never have been delivered.
func (c *checker) gaps() []Cause {
	g := Gaps(c.in.Covered, c.in.AsOf)
	if len(g) == 0 {
		return nil
	}
	var days []string
	for _, w := range g {
		if w.From == w.To {
			days = append(days, w.From)
		} else {
			days = append(days, w.From+" to "+w.To)
		}
	}
	return []Cause{{Kind: CauseGap, Gaps: g,
		Message: fmt.Sprintf("No statement covered %s: lines of those days may never have reached bankfeed. Import a statement that covers them, or sync with an earlier start date.",
			strings.Join(days, ", "))}}
}

// Gaps returns the days between the windows that none of them covers, up to
// and including until ("" for no bound), in date order. Windows whose dates
// do not parse, or that end before they start, are ignored.
func Gaps(windows []Window, until string) []Window {
	type span struct{ from, to time.Time }
	var spans []span
	for _, w := range windows {
		f, err1 := time.Parse(time.DateOnly, w.From)
		t, err2 := time.Parse(time.DateOnly, w.To)
		if err1 != nil || err2 != nil || t.Before(f) {
			continue
		}
		spans = append(spans, span{f, t})
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Or(a.from.Compare(b.from), a.to.Compare(b.to)) })
	limit, haveLimit := time.Time{}, false
	if until != "" {
		if t, err := time.Parse(time.DateOnly, until); err == nil {
			limit, haveLimit = t, true
		}
	}
	var out []Window
	for i := 0; i < len(spans); i++ {
		end := spans[i].to
		for i+1 < len(spans) && !spans[i+1].from.After(end.AddDate(0, 0, 1)) {
			i++
			if spans[i].to.After(end) {
				end = spans[i].to
			}
		}
		if i+1 == len(spans) {
			break
		}
		from, to := end.AddDate(0, 0, 1), spans[i+1].from.AddDate(0, 0, -1)
		if haveLimit {
			if from.After(limit) {
				break
			}
			if to.After(limit) {
				to = limit
			}
		}
		out = append(out, Window{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly)})
	}
	return out
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.,:/=+@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
