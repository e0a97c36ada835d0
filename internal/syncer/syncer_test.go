package syncer

import (
	"testing"
	"time"
)

func TestSyncSmoke(t *testing.T) {
	e := newEnv(t, Options{})
	cr := e.connect("alice", "sgml", "alice")
	if cr.Err != nil {
		t.Fatal(cr.Err)
	}
	if len(cr.Connection.Accounts) != 3 {
		t.Fatalf("accounts: %d", len(cr.Connection.Accounts))
	}
	res := e.sync("alice", true)
	for _, a := range res.Accounts {
		t.Logf("%s: skipped=%q run=%+v state=%s next=%s", a.Account.Number, a.Skipped, a.Run, a.State, a.Next)
	}
	n1 := e.lineCount()
	e.clock.Add(25 * time.Hour)
	res = e.sync("alice", false)
	for _, a := range res.Accounts {
		t.Logf("%s: skipped=%q new=%d dup=%d state=%s", a.Account.Number, a.Skipped, a.Run.New, a.Run.Duplicate, a.State)
	}
	t.Logf("lines %d then %d; conn %s %s next %s", n1, e.lineCount(), res.Connection.State, res.Connection.Reason, res.Connection.NextAttemptAt)
}
