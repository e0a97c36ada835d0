package syncer

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/store"
)

// windows returns the statement windows fakebank served user after since,
// by account: "FIRST LAST" in the bank's days.
func (e *env) windows(user string, since int64) map[string][]string {
	out := map[string][]string{}
	for _, r := range e.bank.Requests(fakebank.Filter{User: user, Since: since}) {
		for _, w := range r.Windows {
			acct, days, _ := strings.Cut(w, " ")
			out[acct] = append(out[acct], days)
		}
	}
	return out
}

func (e *env) cursor(number string) *bankfeed.SyncCursor {
	e.t.Helper()
	cs, err := e.db.Cursors(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return cs[e.accountID(number)]
}

// TestWindows follows alice's windows: the first sync asks FirstWindow
// back, the next ones from the last statement's end less Overlap, a failed
// sync moves nothing, a connection removed and set up again continues its
// feed accounts' cursors, and a reset asks the first window again. Every
// success commits its lines and the cursor that points at it, and leaves no
// lease.
func TestWindows(t *testing.T) {
	const day = 24 * time.Hour
	for _, tc := range []struct {
		name           string
		opts           Options
		first, overlap time.Duration
	}{
		{"defaults", Options{}, 90 * day, 7 * day},
		{"30 days back, 2 days overlap", Options{FirstWindow: 30 * day, Overlap: 2 * day}, 30 * day, 2 * day},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.opts)
			loc := e.bank.Scenario().Location()
			days := func(from, to time.Time) string {
				return fakebank.DayOf(from, loc).String() + " " + fakebank.DayOf(to, loc).String()
			}
			// step syncs alice and checks each account asked from, and
			// the bank served those days.
			step := func(what string, manual bool, from time.Time) {
				t.Helper()
				since := e.lastSeq()
				now := e.clock.Now()
				res := e.sync("alice", manual)
				served := e.windows("alice", since)
				byRun := e.linesByRun()
				for _, ar := range res.Accounts {
					n := ar.Account.Number
					r := ar.Run
					if r == nil || r.Outcome != bankfeed.OutcomeOK {
						t.Fatalf("%s: account %s: %+v %q", what, n, r, ar.Skipped)
					}
					if !r.WindowStart.Equal(from) || !r.WindowEnd.Equal(now) {
						t.Errorf("%s: account %s asked %v to %v, want %v to %v", what, n, r.WindowStart, r.WindowEnd, from, now)
					}
					if want := days(from, now); !slices.Equal(served[n], []string{want}) {
						t.Errorf("%s: account %s served %q, want %q", what, n, served[n], want)
					}
					if cur := e.cursor(n); cur == nil || cur.SyncRunID != r.ID || !cur.StatementEnd.Equal(now) || !cur.LastSuccess.Equal(now) {
						t.Errorf("%s: account %s cursor %+v, want run %d ending %v", what, n, cur, r.ID, now)
					}
					if byRun[r.ID] != r.New {
						t.Errorf("%s: account %s: run %d counted %d new, stored %d", what, n, r.ID, r.New, byRun[r.ID])
					}
				}
				e.noLeases()
			}

			e.connect("alice", "sgml", "alice")
			t0 := e.clock.Now()
			step("first sync", false, t0.Add(-tc.first))

			// A failed sync commits its run and nothing else.
			e.clock.Add(3*day + 5*time.Hour)
			e.fault(fakebank.FaultSpec{Kind: fakebank.FaultTruncated, Institution: "sgml", User: "alice"})
			lines := e.lineCount()
			e.sync("alice", true)
			if n := e.lineCount(); n != lines {
				t.Errorf("a failed sync changed the lines from %d to %d", lines, n)
			}
			if cur := e.cursor("111"); !cur.StatementEnd.Equal(t0) {
				t.Errorf("a failed sync moved the cursor to %v", cur.StatementEnd)
			}
			e.noLeases()
			e.bank.ClearFaults()

			e.clock.Add(time.Hour)
			t1 := e.clock.Now()
			step("next sync", true, t0.Add(-tc.overlap))

			// Set up again: the same feed accounts, their cursors kept.
			if err := e.s.Remove(t.Context(), e.conn("alice").ID); err != nil {
				t.Fatal(err)
			}
			e.clock.Add(2 * day)
			e.connect("alice", "sgml", "alice")
			step("after removing and connecting again", false, t1.Add(-tc.overlap))

			// Reset: the first window again.
			e.clock.Add(day)
			if err := e.s.Reset(t.Context(), e.conn("alice").ID, ""); err != nil {
				t.Fatal(err)
			}
			if e.cursor("111") != nil {
				t.Error("cursor kept by a reset")
			}
			step("after a reset", false, e.clock.Now().Add(-tc.first))
			checkLines(t, e)
		})
	}
}

// TestCancelledSync stops a sync while its requests are at a slow bank:
// nothing is recorded (no run, no line, no cursor), no lease is left, and
// the next sync runs as if the stopped one never had.
func TestCancelledSync(t *testing.T) {
	e := newEnv(t, Options{})
	e.connect("alice", "sgml", "alice")
	e.fault(fakebank.FaultSpec{Kind: fakebank.FaultLatency, Institution: "sgml", Params: map[string]string{"delay": "2s"}})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := e.s.Sync(ctx, e.conn("alice").ID, false)
	t.Logf("stopped after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if res != nil {
		for _, ar := range res.Accounts {
			if ar.Run != nil {
				t.Errorf("account %s: a run recorded by a stopped sync: %+v", ar.Account.Number, ar.Run)
			}
		}
	}
	e.noLeases()
	if runs, err := e.db.FindSyncRuns(t.Context(), store.SyncRunFilter{}); err != nil || len(runs) != 0 {
		t.Errorf("runs %d, %v", len(runs), err)
	}
	if n := e.lineCount(); n != 0 {
		t.Errorf("%d lines", n)
	}
	if c := e.conn("alice"); c.State != bankfeed.ConnNew || c.NextAttemptAt.After(e.clock.Now()) {
		t.Errorf("%s next %v", c.State, c.NextAttemptAt)
	}
	e.bank.ClearFaults()
	res = e.sync("alice", false)
	for _, ar := range res.Accounts {
		if ar.Run == nil || ar.Run.Outcome != bankfeed.OutcomeOK {
			t.Errorf("account %s after the stop: %+v %q", ar.Account.Number, ar.Run, ar.Skipped)
		}
	}
	checkLines(t, e)
}
