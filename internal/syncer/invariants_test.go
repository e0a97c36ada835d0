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
	windows map[bankfeed.SyncRunID]map[string]bool
}

func newLedger(e *env) *ledger {
	return &ledger{e: e, windows: map[bankfeed.SyncRunID]map[string]bool{}}
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

// requestDay is the bank's day a window's time names (fakebank reads a
// midnight UTC as a bare date).
func requestDay(t time.Time, loc *time.Location) fakebank.Day {
	if t.Location() == time.UTC && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return fakebank.DayOf(t, time.UTC)
	}
	return fakebank.DayOf(t, loc)
}

// served returns the FITIDs the book has for a run's window.
func (l *ledger) served(run *bankfeed.SyncRun, in *fakebank.Institution, a *fakebank.Account) map[string]bool {
	if w, ok := l.windows[run.ID]; ok {
		return w
	}
	loc := l.e.bank.Scenario().Location()
	from, to := requestDay(run.WindowStart, loc), requestDay(run.WindowEnd, loc)
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

// check returns every breach found.
func (l *ledger) check() []error {
	e := l.e
	ctx := e.t.Context()
	var errs []error
	accts, err := e.db.Accounts(ctx, bankfeed.AccountFilter{})
	if err != nil {
		return []error{err}
	}
	byRun := e.linesByRun()
	for _, acct := range accts {
		in, ba := l.bankAccount(acct.Number)
		if ba == nil {
			errs = append(errs, fmt.Errorf("feed account %d: number %s is no bank account", acct.ID, acct.Number))
			continue
		}
		book := map[string]bankfeed.Decimal{}
		for _, tx := range e.bank.Book().Transactions(in, ba, e.bank.Scenario().Start, fakebank.DayOf(e.clock.Now(), time.UTC).AddDays(1)) {
			book[tx.FITID] = tx.Amount
		}
		want := map[string]bool{}
		runs, err := e.db.FindSyncRuns(ctx, store.SyncRunFilter{AccountID: acct.ID})
		if err != nil {
			return append(errs, err)
		}
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
		lines, err := e.db.Lines(ctx, bankfeed.LineFilter{AccountID: acct.ID})
		if err != nil {
			return append(errs, err)
		}
		have := map[string]int{}
		for _, ln := range lines {
			have[ln.FITID]++
			if have[ln.FITID] == 2 {
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
	}
	return errs
}
