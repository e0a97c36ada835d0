package syncer

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/secret"
)

// TestWrongPassword sets a wrong password on a login with three accounts:
// it is sent once, not once per account; the connection then waits for its
// user, and no automatic sync signs on until they enter the right one,
// which the next automatic sync uses.
func TestWrongPassword(t *testing.T) {
	for _, tc := range []struct {
		name   string
		manual bool
	}{
		{"automatic sync", false},
		{"manual sync", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			e.connect("alice", "sgml", "alice")
			e.sync("alice", false)
			id := e.conn("alice").ID
			if err := e.s.SetPassword(t.Context(), id, secret.String("not-"+pwAlice)); err != nil {
				t.Fatal(err)
			}
			if !tc.manual {
				e.clock.Add(25 * time.Hour)
			}
			since := e.lastSeq()
			res := e.sync("alice", tc.manual)
			if n := e.signons("alice", since); n != 1 {
				t.Errorf("%d sign-ons with a wrong password, want 1", n)
			}
			var failed, skipped int
			for _, ar := range res.Accounts {
				switch {
				case ar.Run != nil && ar.Run.FailureClass == string(bankfeed.FailInvalidCredentials):
					failed++
				case ar.Run == nil && strings.HasPrefix(ar.Skipped, "not tried"):
					skipped++
				default:
					t.Errorf("account %s: run %+v skipped %q", ar.Account.Number, ar.Run, ar.Skipped)
				}
			}
			if failed != 1 || skipped != 2 {
				t.Errorf("%d failed, %d not tried: want 1 and 2", failed, skipped)
			}
			c := e.conn("alice")
			if c.State != bankfeed.ConnNeedsAction || !c.NextAttemptAt.IsZero() || c.Verified {
				t.Errorf("%s next %v verified %v: want needs_action, no next attempt, unverified", c.State, c.NextAttemptAt, c.Verified)
			}
			after := e.lastSeq()
			for range 5 {
				e.clock.Add(7 * time.Hour)
				e.sync("alice", false)
			}
			if n := e.signons("alice", after); n != 0 {
				t.Errorf("%d automatic sign-ons while the password waits for its user", n)
			}

			// The user enters the right password: due at once.
			if err := e.s.SetPassword(t.Context(), id, secret.String(pwAlice)); err != nil {
				t.Fatal(err)
			}
			if c := e.conn("alice"); c.NextAttemptAt.IsZero() || c.NextAttemptAt.After(e.clock.Now()) {
				t.Fatalf("after a new password: next %v", c.NextAttemptAt)
			}
			res = e.sync("alice", false)
			for _, ar := range res.Accounts {
				if ar.Run == nil || ar.Run.Outcome != bankfeed.OutcomeOK {
					t.Errorf("account %s after the new password: run %+v skipped %q", ar.Account.Number, ar.Run, ar.Skipped)
				}
			}
			if c := e.conn("alice"); c.State != bankfeed.ConnOK || !c.Verified {
				t.Errorf("after the new password: %s verified %v (%s)", c.State, c.Verified, c.Reason)
			}
		})
	}
}

// TestRejectedVerifiedLogin rejects a verified login's sign-on while its
// accounts sync side by side: the accounts that signed on before the
// rejection was known fail, the one still waiting for a slot never signs
// on.
func TestRejectedVerifiedLogin(t *testing.T) {
	e := newEnv(t, Options{})
	e.connect("alice", "sgml", "alice")
	e.fault(fakebank.FaultSpec{Kind: fakebank.FaultLatency, Institution: "sgml", User: "alice",
		Params: map[string]string{"delay": "200ms"}})
	e.fault(fakebank.FaultSpec{Kind: fakebank.FaultBadCredentials, Institution: "sgml", User: "alice"})
	since := e.lastSeq()
	res := e.sync("alice", false)
	if n := e.signons("alice", since); n != DefaultInstitutionLimit {
		t.Errorf("%d sign-ons, want %d (one per slot)", n, DefaultInstitutionLimit)
	}
	var tried int
	for _, ar := range res.Accounts {
		if ar.Run != nil {
			tried++
			if ar.Run.FailureClass != string(bankfeed.FailInvalidCredentials) {
				t.Errorf("account %s: %s", ar.Account.Number, ar.Run.FailureClass)
			}
		} else if !strings.HasPrefix(ar.Skipped, "not tried") {
			t.Errorf("account %s skipped %q", ar.Account.Number, ar.Skipped)
		}
	}
	if tried != DefaultInstitutionLimit {
		t.Errorf("%d accounts tried, want %d", tried, DefaultInstitutionLimit)
	}
	if c := e.conn("alice"); c.State != bankfeed.ConnNeedsAction || !c.NextAttemptAt.IsZero() {
		t.Errorf("%s next %v", c.State, c.NextAttemptAt)
	}
}

// TestRejectedLoginTwoWorkers syncs a verified login on two workers at
// once when the bank starts refusing its password: once one worker's run
// is refused, the other worker's accounts, still waiting for a slot, do not
// sign on.
func TestRejectedLoginTwoWorkers(t *testing.T) {
	e := newEnv(t, Options{})
	e.connect("alice", "sgml", "alice")
	other := e.newSyncer(Options{})
	e.fault(fakebank.FaultSpec{Kind: fakebank.FaultLatency, Institution: "sgml", User: "alice",
		Params: map[string]string{"delay": "100ms"}})
	e.fault(fakebank.FaultSpec{Kind: fakebank.FaultBadCredentials, Institution: "sgml", User: "alice"})
	since := e.lastSeq()
	id := e.conn("alice").ID
	var wg sync.WaitGroup
	for i, w := range []*Syncer{e.s, other} {
		wg.Go(func() {
			if _, err := w.Sync(t.Context(), id, i == 1); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := e.signons("alice", since); n > DefaultInstitutionLimit {
		t.Errorf("%d sign-ons with a refused password, want at most %d (one per slot)", n, DefaultInstitutionLimit)
	}
	if c := e.conn("alice"); c.State != bankfeed.ConnNeedsAction || !c.NextAttemptAt.IsZero() {
		t.Errorf("%s next %v", c.State, c.NextAttemptAt)
	}
}

// TestUserActsDuringSync has the user act on a connection while a sync of
// it waits for the bank's answer. What the sync learns about the password
// it started with is not recorded over the user's action: a refusal of the
// old password does not mark the new one refused (nor stop the next sync),
// a success of the old one does not mark the new one verified (the next
// sync tries it on one account first), and a "done" the user said after
// the bank asked for action is kept.
func TestUserActsDuringSync(t *testing.T) {
	for _, tc := range []struct {
		name string
		// before sets the stored password (and faults) the sync starts
		// with; during is the user's action while it waits.
		before, during func(e *env, id bankfeed.ConnectionID)
		check          func(t *testing.T, e *env, c *bankfeed.Connection)
	}{{
		name: "new password after a refusal",
		before: func(e *env, id bankfeed.ConnectionID) {
			e.setPassword(id, "not-"+pwAlice)
		},
		during: func(e *env, id bankfeed.ConnectionID) { e.setPassword(id, pwAlice) },
		check: func(t *testing.T, e *env, c *bankfeed.Connection) {
			if c.State == bankfeed.ConnNeedsAction || c.NextAttemptAt.IsZero() {
				t.Errorf("%s next %v (%s): the old password's refusal stopped the new one", c.State, c.NextAttemptAt, c.Reason)
			}
			res := e.sync("alice", true)
			for _, ar := range res.Accounts {
				if ar.Run == nil || ar.Run.Outcome != bankfeed.OutcomeOK {
					t.Errorf("account %s with the new password: run %+v skipped %q", ar.Account.Number, ar.Run, ar.Skipped)
				}
			}
		},
	}, {
		name:   "wrong password after a success",
		before: func(e *env, id bankfeed.ConnectionID) {},
		during: func(e *env, id bankfeed.ConnectionID) { e.setPassword(id, "not-"+pwAlice) },
		check: func(t *testing.T, e *env, c *bankfeed.Connection) {
			if c.Verified {
				t.Errorf("the new password is marked verified by the old one's success")
			}
			since := e.lastSeq()
			e.sync("alice", true)
			if n := e.signons("alice", since); n != 1 {
				t.Errorf("%d sign-ons with the new, wrong password, want 1", n)
			}
		},
	}, {
		name: "resume after the bank asked for action",
		before: func(e *env, id bankfeed.ConnectionID) {
			e.fault(fakebank.FaultSpec{Kind: fakebank.FaultAcceptTerms, Institution: "sgml", User: "alice", Count: 1})
		},
		during: func(e *env, id bankfeed.ConnectionID) {
			if err := e.s.Resume(e.t.Context(), id); err != nil {
				e.t.Fatal(err)
			}
		},
		check: func(t *testing.T, e *env, c *bankfeed.Connection) {
			if c.State != bankfeed.ConnNew || c.NextAttemptAt.IsZero() {
				t.Errorf("%s next %v (%s): the user's resume was undone", c.State, c.NextAttemptAt, c.Reason)
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fetching := make(chan struct{}, 16)
			e := newEnv(t, Options{Progress: func(ev Event) {
				if ev.Step == "fetching" {
					fetching <- struct{}{}
				}
			}})
			e.connect("alice", "sgml", "alice")
			e.sync("alice", true)
			id := e.conn("alice").ID
			tc.before(e, id)
			e.fault(fakebank.FaultSpec{Kind: fakebank.FaultLatency, Institution: "sgml", User: "alice",
				Params: map[string]string{"delay": "300ms"}})
			for len(fetching) > 0 {
				<-fetching
			}
			done := make(chan error, 1)
			go func() {
				_, err := e.s.Sync(t.Context(), id, true)
				done <- err
			}()
			select {
			case <-fetching:
			case <-time.After(5 * time.Second):
				t.Fatal("the sync sent nothing")
			}
			tc.during(e, id)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			e.bank.ClearFaults()
			tc.check(t, e, e.conn("alice"))
		})
	}
}

func (e *env) setPassword(id bankfeed.ConnectionID, pw string) {
	e.t.Helper()
	if err := e.s.SetPassword(e.t.Context(), id, secret.String(pw)); err != nil {
		e.t.Fatal(err)
	}
}
