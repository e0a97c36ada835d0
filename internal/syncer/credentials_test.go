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
