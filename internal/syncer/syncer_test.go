package syncer

import (
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
)

// TestSyncSmoke connects a login with three accounts and syncs it twice, a
// day apart: the second sync's overlap finds the lines it has already.
func TestSyncSmoke(t *testing.T) {
	e := newEnv(t, Options{})
	cr := e.connect("alice", "sgml", "alice")
	if cr.Err != nil {
		t.Fatal(cr.Err)
	}
	if len(cr.Connection.Accounts) != 3 {
		t.Fatalf("accounts: %d", len(cr.Connection.Accounts))
	}
	for i, manual := range []bool{true, false} {
		before := e.lineCount()
		res := e.sync("alice", manual)
		var added, dups int
		for _, a := range res.Accounts {
			if a.Run == nil || a.Run.Outcome != bankfeed.OutcomeOK || a.State != bankfeed.ConnOK {
				t.Fatalf("sync %d, account %s: run %+v skipped %q state %s", i, a.Account.Number, a.Run, a.Skipped, a.State)
			}
			added, dups = added+a.Run.New, dups+a.Run.Duplicate
		}
		if got := e.lineCount() - before; got != int64(added) || added == 0 {
			t.Errorf("sync %d: %d lines added, runs counted %d new", i, got, added)
		}
		if i == 1 && dups == 0 {
			t.Error("the overlap found no line already there")
		}
		if c := e.conn("alice"); c.State != bankfeed.ConnOK || !c.NextAttemptAt.After(e.clock.Now()) {
			t.Errorf("sync %d: %s next %v", i, c.State, c.NextAttemptAt)
		}
		t.Logf("sync %d: %d new, %d already there", i, added, dups)
		e.clock.Add(25 * time.Hour)
	}
	checkLines(t, e)
}
