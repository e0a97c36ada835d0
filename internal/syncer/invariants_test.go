package syncer

import (
	"fmt"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/store"
)

// ledger checks the store's lines against fakebank's book: no account holds
// a FITID twice; the lines of each account are exactly the book's
// transactions of the windows its successful runs asked for; each
// successful run wrote as many lines as it counted new, and a failed run
// none.
type ledger struct {
	e *env
	// windows caches each successful run's FITIDs, from the book.
	windows  map[bankfeed.SyncRunID]map[string]bool
	books    map[string]map[string]bankfeed.Decimal
	accounts map[bankfeed.AccountID]*bankfeed.Account
	// lines, runs and okRuns are the store's at the last check.
	lines        int64
	runs, okRuns int
	// seen is each account's runs and lines at the last check.
	seen map[bankfeed.AccountID][2]int64
	// duplicates counts the FITIDs found twice in an account, over every
	// check.
	duplicates int
}

func newLedger(e *env) *ledger {
	return &ledger{e: e, windows: map[bankfeed.SyncRunID]map[string]bool{}, books: map[string]map[string]bankfeed.Decimal{},
		accounts: map[bankfeed.AccountID]*bankfeed.Account{}, seen: map[bankfeed.AccountID][2]int64{}}
}

// checkLines checks the store once.
func checkLines(t *testing.T, e *env) {
	t.Helper()
	for _, err := range newLedger(e).check() {
		t.Error(err)
	}
}

// bankAccount finds a bank account of the scenario by number.
func (l *ledger) bankAccount(number string) (*fakebank.Institution, *fakebank.Account) {
	for _, in := range l.e.bank.Scenario().Institutions {
		if u, a := in.Account(number); u != nil {
			return in, a
		}
	}
	return nil, nil
}

// served returns the FITIDs the book has for a run's window.
func (l *ledger) served(run *bankfeed.SyncRun, in *fakebank.Institution, a *fakebank.Account) map[string]bool {
	if w, ok := l.windows[run.ID]; ok {
		return w
	}
	loc := l.e.bank.Scenario().Location()
	// The client sends times with a zone: the bank reads them in its own.
	from, to := fakebank.DayOf(run.WindowStart, loc), fakebank.DayOf(run.WindowEnd, loc)
	if today := fakebank.DayOf(run.StartedAt, loc); to.After(today) {
		to = today
	}
	w := map[string]bool{}
	for _, tx := range l.e.bank.Book().Transactions(in, a, from, to) {
		w[tx.FITID] = true
	}
	l.windows[run.ID] = w
	return w
}

// book returns a bank account's transactions, to a day no test's clock
// reaches, by FITID.
func (l *ledger) book(in *fakebank.Institution, a *fakebank.Account) map[string]bankfeed.Decimal {
	if b := l.books[a.ID]; b != nil {
		return b
	}
	b := map[string]bankfeed.Decimal{}
	for _, tx := range l.e.bank.Book().Transactions(in, a, l.e.bank.Scenario().Start, fakebank.DayOf(testStart, time.UTC).AddDays(400)) {
		b[tx.FITID] = tx.Amount
	}
	l.books[a.ID] = b
	return b
}

// account returns a feed account, which never changes once made.
func (l *ledger) account(id bankfeed.AccountID) (*bankfeed.Account, error) {
	if a := l.accounts[id]; a != nil {
		return a, nil
	}
	a, err := l.e.db.Account(l.e.t.Context(), id)
	if err != nil {
		return nil, err
	}
	l.accounts[id] = a
	return a, nil
}

// check returns every breach found. An account with as many runs and lines
// as at the last check is as that check found it (runs and lines are never
// deleted), and is not read again.
func (l *ledger) check() []error {
	e := l.e
	ctx := e.t.Context()
	counts, err := e.db.LineCounts(ctx)
	if err != nil {
		return []error{err}
	}
	allRuns, err := e.db.FindSyncRuns(ctx, store.SyncRunFilter{})
	if err != nil {
		return []error{err}
	}
	runsOf := map[bankfeed.AccountID][]*bankfeed.SyncRun{}
	l.lines, l.runs, l.okRuns = 0, len(allRuns), 0
	for _, r := range allRuns {
		runsOf[r.AccountID] = append(runsOf[r.AccountID], r)
		if r.Outcome == bankfeed.OutcomeOK {
			l.okRuns++
		}
	}
	for _, n := range counts {
		l.lines += n
	}
	ids := map[bankfeed.AccountID]bool{}
	for id := range counts {
		ids[id] = true
	}
	for id := range runsOf {
		ids[id] = true
	}
	var errs []error
	for id := range ids {
		seen := [2]int64{int64(len(runsOf[id])), counts[id]}
		if l.seen[id] == seen {
			continue
		}
		l.seen[id] = seen
		lines, err := e.db.Lines(ctx, bankfeed.LineFilter{AccountID: id})
		if err != nil {
			return append(errs, err)
		}
		errs = append(errs, l.checkAccount(id, runsOf[id], lines)...)
	}
	return errs
}

// checkAccount checks one account's lines against its runs and the book.
func (l *ledger) checkAccount(id bankfeed.AccountID, runs []*bankfeed.SyncRun, lines []*bankfeed.Line) []error {
	acct, err := l.account(id)
	if err != nil {
		return []error{err}
	}
	in, ba := l.bankAccount(acct.Number)
	if ba == nil {
		return []error{fmt.Errorf("feed account %d: number %s is no bank account", acct.ID, acct.Number)}
	}
	var errs []error
	byRun := map[bankfeed.SyncRunID]int{}
	for _, ln := range lines {
		if ln.SyncRunID != nil {
			byRun[*ln.SyncRunID]++
		}
	}
	book := l.book(in, ba)
	want := map[string]bool{}
	okRuns := map[bankfeed.SyncRunID]bool{}
	for _, r := range runs {
		switch r.Outcome {
		case bankfeed.OutcomeOK:
			okRuns[r.ID] = true
			for id := range l.served(r, in, ba) {
				want[id] = true
			}
			if byRun[r.ID] != r.New {
				errs = append(errs, fmt.Errorf("account %s: run %d counted %d new lines, stored %d", acct.Number, r.ID, r.New, byRun[r.ID]))
			}
		case bankfeed.OutcomeFailed:
			if byRun[r.ID] != 0 {
				errs = append(errs, fmt.Errorf("account %s: failed run %d (%s) wrote %d lines", acct.Number, r.ID, r.FailureClass, byRun[r.ID]))
			}
		default:
			errs = append(errs, fmt.Errorf("account %s: run %d outcome %q", acct.Number, r.ID, r.Outcome))
		}
	}
	have := map[string]int{}
	for _, ln := range lines {
		have[ln.FITID]++
		if have[ln.FITID] == 2 {
			l.duplicates++
			errs = append(errs, fmt.Errorf("account %s: FITID %s stored twice", acct.Number, ln.FITID))
		}
		amt, ok := book[ln.FITID]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("account %s: line %s is not in the bank's book", acct.Number, ln.FITID))
		case amt.Cmp(ln.Amount) != 0:
			errs = append(errs, fmt.Errorf("account %s: line %s amount %s, the book's %s", acct.Number, ln.FITID, ln.Amount, amt))
		case !want[ln.FITID]:
			errs = append(errs, fmt.Errorf("account %s: line %s outside every successful run's window", acct.Number, ln.FITID))
		}
		if ln.SyncRunID == nil || !okRuns[*ln.SyncRunID] {
			errs = append(errs, fmt.Errorf("account %s: line %s not from a successful run of its account (%v)", acct.Number, ln.FITID, ln.SyncRunID))
		}
	}
	for id := range want {
		if have[id] == 0 {
			errs = append(errs, fmt.Errorf("account %s: the book's %s, in a successful run's window, is missing", acct.Number, id))
		}
	}
	return errs
}
