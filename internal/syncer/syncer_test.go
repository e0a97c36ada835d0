package syncer

import (
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/store"
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

// TestConnectBadLinks: a link to an account the bank does not list, or two
// accounts sent to one feed, is refused and nothing is stored.
func TestConnectBadLinks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		links map[string]bankfeed.AccountID
		want  string
	}{
		{"unlisted account", map[string]bankfeed.AccountID{"999": 1}, "the bank lists no account 999"},
		{"one feed twice", map[string]bankfeed.AccountID{"111": 1, "222": 1}, "both go to feed account 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			u := e.bank.Scenario().Institution("sgml").User("alice")
			_, err := e.s.Connect(t.Context(), ConnectRequest{Name: "alice", Profile: e.profile("sgml"), UserID: "alice",
				Password: secret.String(u.Password), Links: tc.links})
			if bankfeed.ErrorCodeOf(err) != bankfeed.EInvalid || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want invalid naming %q", err, tc.want)
			}
			if cs, _ := e.db.Connections(t.Context(), store.ConnectionFilter{}); len(cs) != 0 {
				t.Errorf("%d connections stored", len(cs))
			}
		})
	}
}
