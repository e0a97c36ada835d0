package syncer

import (
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
)

// syncFault is what a sync meets under one fakebank fault kind: the class
// ofxdirect gives it, or "" for a fault the sync gets through.
type syncFault struct {
	class bankfeed.FailureClass
	// account narrows the fault to one account.
	account string
	params  map[string]string
	// short gives the client a 500 ms timeout.
	short bool
}

// syncFaults has a row for every fakebank fault kind, with the class the
// ofxdirect faults test expects of it.
var syncFaults = map[string]syncFault{
	fakebank.FaultMaintenance503:   {class: bankfeed.FailMaintenance},
	fakebank.FaultMaintenancePage:  {class: bankfeed.FailMaintenance},
	fakebank.FaultMaintenanceOFX:   {class: bankfeed.FailMaintenance},
	fakebank.FaultHTTP500:          {class: bankfeed.FailServerError},
	fakebank.FaultOFX2000:          {class: bankfeed.FailServerError},
	fakebank.FaultEmptyBody:        {class: bankfeed.FailServerError},
	fakebank.FaultTruncated:        {class: bankfeed.FailDataIncomplete},
	fakebank.FaultMalformed:        {class: bankfeed.FailServerError},
	fakebank.FaultWrongContentType: {},
	fakebank.FaultWAF:              {class: bankfeed.FailBlockedClient},
	fakebank.FaultRejectUserAgent:  {class: bankfeed.FailBlockedClient},
	fakebank.FaultRejectAppVer:     {class: bankfeed.FailBlockedClient},
	fakebank.FaultChangePassword:   {class: bankfeed.FailActionRequired},
	fakebank.FaultClientUID:        {class: bankfeed.FailActionRequired},
	fakebank.FaultAcceptTerms:      {class: bankfeed.FailActionRequired},
	fakebank.FaultBadCredentials:   {class: bankfeed.FailInvalidCredentials},
	fakebank.FaultLockout:          {class: bankfeed.FailLocked},
	fakebank.FaultMFA:              {class: bankfeed.FailMFARequired},
	fakebank.FaultAccountNotFound:  {class: bankfeed.FailAccountNotFound, account: "111"},
	fakebank.FaultRateLimitOFX:     {class: bankfeed.FailRateLimited},
	fakebank.FaultRateLimit429:     {class: bankfeed.FailRateLimited},
	fakebank.FaultLatency:          {params: map[string]string{"delay": "300ms"}},
	fakebank.FaultTrickle:          {params: map[string]string{"chunk": "512", "interval": "2ms"}},
	fakebank.FaultHang:             {class: bankfeed.FailUnreachable, short: true},
	fakebank.FaultReset:            {class: bankfeed.FailUnreachable},
	fakebank.FaultTLSExpired:       {class: bankfeed.FailTLSUntrusted},
	fakebank.FaultTLSWrongHost:     {class: bankfeed.FailTLSUntrusted},
	fakebank.FaultTLSUntrusted:     {class: bankfeed.FailTLSUntrusted},
	fakebank.FaultFITIDRekey:       {},
	fakebank.FaultPending:          {},
	fakebank.FaultDuplicateFITID:   {},
	fakebank.FaultBalanceMismatch:  {},
}

// TestSyncFaultKindsCovered guards the table: every fault kind has a row.
func TestSyncFaultKindsCovered(t *testing.T) {
	known := map[string]bool{}
	for _, k := range fakebank.Kinds {
		known[k.Name] = true
		if _, ok := syncFaults[k.Name]; !ok {
			t.Errorf("fault kind %q has no row in syncFaults", k.Name)
		}
	}
	for name := range syncFaults {
		if !known[name] {
			t.Errorf("syncFaults row %q is no fault kind", name)
		}
	}
}

// TestSyncFaults syncs a verified connection (alice, three accounts) under
// each fault kind. A failing kind fails the runs it reaches with its class
// and writes no line; a login that needs its user waits for them with no
// next attempt, and no automatic sync signs on again; a bank that fails
// pauses its institution. A kind that spoils nothing syncs every account.
func TestSyncFaults(t *testing.T) {
	var covered int
	t.Cleanup(func() { t.Logf("fault kinds covered: %d/%d", covered, len(fakebank.Kinds)) })
	for _, k := range fakebank.Kinds {
		tc, ok := syncFaults[k.Name]
		if !ok {
			continue // TestSyncFaultKindsCovered fails
		}
		covered++
		t.Run(k.Name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			if cr := e.connect("alice", "sgml", "alice"); cr.Err != nil {
				t.Fatal(cr.Err)
			}
			if cr := e.connect("dave", "sgml", "dave"); cr.Err != nil {
				t.Fatal(cr.Err)
			}
			spec := fakebank.FaultSpec{Kind: k.Name, Institution: "sgml", User: "alice", Account: tc.account, Params: tc.params}
			if k.Layer == "tls" {
				spec.User = "" // a handshake knows no user: dave meets it too
			}
			e.fault(spec)
			if tc.short {
				e.http.HTTP.Timeout = 500 * time.Millisecond
			}
			e.http.HTTP.CloseIdleConnections() // TLS faults act on a new handshake
			since := e.lastSeq()
			res := e.sync("alice", false)
			byRun := e.linesByRun()
			e.noLeases()

			var failed, ok int
			for _, ar := range res.Accounts {
				if ar.Run == nil {
					if tc.class == "" {
						t.Errorf("account %s not tried: %s", ar.Account.Number, ar.Skipped)
					}
					continue
				}
				stored, err := e.db.SyncRun(t.Context(), ar.Run.ID)
				if err != nil {
					t.Fatal(err)
				}
				switch stored.Outcome {
				case bankfeed.OutcomeOK:
					ok++
					if byRun[stored.ID] != stored.New {
						t.Errorf("run %d: %d lines stored, %d new", stored.ID, byRun[stored.ID], stored.New)
					}
				case bankfeed.OutcomeFailed:
					failed++
					if byRun[stored.ID] != 0 {
						t.Errorf("failed run %d wrote %d lines", stored.ID, byRun[stored.ID])
					}
					if stored.FailureClass != string(tc.class) {
						t.Errorf("account %s: class %q, want %q (%s)", ar.Account.Number, stored.FailureClass, tc.class, stored.Error)
					}
					if stored.Transcript == "" {
						t.Errorf("failed run %d has no transcript", stored.ID)
					}
				default:
					t.Errorf("run %d outcome %q", stored.ID, stored.Outcome)
				}
			}
			c := e.conn("alice")
			t.Logf("runs ok %d failed %d; alice %s next %v: %s", ok, failed, c.State, c.NextAttemptAt, c.Reason)
			if tc.class == "" {
				if failed > 0 || ok != 3 {
					t.Fatalf("%d runs ok, %d failed: want 3 ok", ok, failed)
				}
				if c.State != bankfeed.ConnOK {
					t.Errorf("state %s, want ok", c.State)
				}
				return
			}
			if failed == 0 {
				t.Fatal("no run failed")
			}
			if tc.account != "" {
				// One account's failure: the others sync.
				if failed != 1 || ok != 2 {
					t.Errorf("%d runs ok, %d failed: want 2 and 1", ok, failed)
				}
				return
			}
			if ok > 0 {
				t.Errorf("%d runs ok under a fault of the whole login", ok)
			}

			switch {
			case tc.class.NeedsUser():
				// The failure is known before a slot frees: at most one
				// sign-on per slot, and the third account never signs on.
				if n := e.signons("alice", since); n > DefaultInstitutionLimit || n != failed {
					t.Errorf("%d sign-ons for %d failed runs", n, failed)
				}
				if c.State != bankfeed.ConnNeedsAction || !c.NextAttemptAt.IsZero() || c.Verified {
					t.Errorf("alice %s next %v verified %v: want needs_action, no next attempt, unverified",
						c.State, c.NextAttemptAt, c.Verified)
				}
				after := e.lastSeq()
				for range 3 {
					e.clock.Add(25 * time.Hour)
					if res := e.sync("alice", false); res.Skipped == "" {
						t.Errorf("automatic sync of a login waiting for its user ran: %+v", res.Accounts)
					}
				}
				if ids, err := e.s.Due(t.Context(), e.clock.Now()); err != nil {
					t.Fatal(err)
				} else {
					for _, id := range ids {
						if id == c.ID {
							t.Error("alice is due")
						}
					}
				}
				if n := e.signons("alice", after); n != 0 {
					t.Errorf("%d sign-ons after the credential failure", n)
				}
			case tc.class.BankSide() && !tc.class.Transient():
				// Only the user can clear it (a proxy, a firewall): the
				// login waits for them, and the bank's circuit stays
				// closed for the other logins.
				if failed > DefaultInstitutionLimit {
					t.Errorf("%d accounts tried against a failing bank, want at most %d", failed, DefaultInstitutionLimit)
				}
				if c.State != bankfeed.ConnNeedsAction || !c.NextAttemptAt.IsZero() {
					t.Errorf("alice %s next %v: want needs_action, no next attempt", c.State, c.NextAttemptAt)
				}
				if cir := e.circuitOf(c); cir != nil && cir.Open {
					t.Errorf("circuit opened for %s", tc.class)
				}
				after := e.lastSeq()
				e.clock.Add(25 * time.Hour)
				if res := e.sync("alice", false); res.Skipped == "" {
					t.Errorf("automatic sync of a login waiting for its user ran: %+v", res.Accounts)
				}
				if n := e.requests("sgml", after); n != 0 {
					t.Errorf("%d requests after a failure only the user can clear", n)
				}
			case opensCircuit(tc.class):
				cirs, err := e.db.Circuits(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				cir := cirs[c.InstitutionID]
				if cir == nil || !cir.Open {
					t.Fatalf("circuit %+v: want open", cir)
				}
				// Accounts that found no slot free before the failure was
				// known are not tried.
				if failed > DefaultInstitutionLimit {
					t.Errorf("%d accounts tried against a failing bank, want at most %d", failed, DefaultInstitutionLimit)
				}
				if tc.class.BankSide() && !tc.class.Transient() {
					// Only the user can tell the bank is fixed (a proxy, a
					// firewall): no probe until they sync.
					if c.State != bankfeed.ConnNeedsAction || !c.NextAttemptAt.IsZero() || !cir.NextProbeAt.IsZero() {
						t.Errorf("alice %s next %v, probe at %v: want needs_action, no next attempt, no probe",
							c.State, c.NextAttemptAt, cir.NextProbeAt)
					}
				} else if c.State != bankfeed.ConnWaitingForBank || c.NextAttemptAt.IsZero() || !c.NextAttemptAt.Equal(cir.NextProbeAt) {
					t.Errorf("alice %s next %v: want waiting_for_bank until the probe at %v", c.State, c.NextAttemptAt, cir.NextProbeAt)
				}
				// dave's automatic sync waits for the probe.
				after := e.lastSeq()
				if res := e.sync("dave", false); res.Skipped == "" {
					t.Errorf("dave synced with the circuit open: %+v", res.Accounts)
				}
				if n := e.requests("sgml", after); n != 0 {
					t.Errorf("%d requests to sgml with its circuit open", n)
				}
				if d := e.conn("dave"); d.State != bankfeed.ConnWaitingForBank || !d.NextAttemptAt.Equal(cir.NextProbeAt) {
					t.Errorf("dave %s next %v: want waiting_for_bank until %v", d.State, d.NextAttemptAt, cir.NextProbeAt)
				}
			default:
				if c.State != bankfeed.ConnRetrying || !c.NextAttemptAt.After(e.clock.Now()) {
					t.Errorf("alice %s next %v: want retrying later", c.State, c.NextAttemptAt)
				}
			}
		})
	}
}
