package syncer

import (
	"sync"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
)

// circuitOf returns an institution's circuit, nil when it never opened.
func (e *env) circuitOf(c *bankfeed.Connection) *bankfeed.Circuit {
	e.t.Helper()
	cirs, err := e.db.Circuits(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return cirs[c.InstitutionID]
}

// TestCircuit fails the bank under alice's automatic sync: the
// institution's circuit opens, and dave, at the same bank, sends nothing
// until the probe time, when exactly one request goes out, from one of the
// workers racing for it. Once a probe gets through the circuit closes and
// alice is due at once.
func TestCircuit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fault   fakebank.FaultSpec
		workers int
	}{
		{"maintenance-503, one worker", fakebank.FaultSpec{Kind: fakebank.FaultMaintenance503, Params: map[string]string{"retry_after": "45m"}}, 1},
		{"maintenance-503, two workers", fakebank.FaultSpec{Kind: fakebank.FaultMaintenance503}, 2},
		{"http-500, two workers", fakebank.FaultSpec{Kind: fakebank.FaultHTTP500}, 2},
		{"rate-limit-429, one worker", fakebank.FaultSpec{Kind: fakebank.FaultRateLimit429, Params: map[string]string{"reset": "2h"}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			e.connect("alice", "sgml", "alice")
			e.connect("dave", "sgml", "dave")
			e.sync("alice", false)
			e.sync("dave", false)
			workers := []*Syncer{e.s}
			for len(workers) < tc.workers {
				workers = append(workers, e.newSyncer(Options{}))
			}
			e.clock.Add(25 * time.Hour)
			tc.fault.Institution = "sgml"
			e.fault(tc.fault)

			since := e.lastSeq()
			e.sync("alice", false)
			opened := e.requests("sgml", since)
			cir := e.circuitOf(e.conn("alice"))
			if cir == nil || !cir.Open || !cir.NextProbeAt.After(e.clock.Now()) {
				t.Fatalf("circuit %+v: want open with a probe ahead", cir)
			}
			probeAt := cir.NextProbeAt
			t.Logf("circuit open after %d requests: %s; probe at +%v", opened, cir.Reason, probeAt.Sub(e.clock.Now()))

			// Until the probe, automatic syncs send nothing.
			since = e.lastSeq()
			now := e.clock.Now()
			for _, at := range []time.Time{now, now.Add(probeAt.Sub(now) / 2), probeAt.Add(-time.Second)} {
				e.clock.Add(at.Sub(e.clock.Now()))
				for _, name := range []string{"dave", "alice"} {
					for _, w := range workers {
						if _, err := w.Sync(t.Context(), e.conn(name).ID, false); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			if n := e.requests("sgml", since); n != 0 {
				t.Errorf("%d requests to sgml before the probe", n)
			}
			if d := e.conn("dave"); d.State != bankfeed.ConnWaitingForBank || !d.NextAttemptAt.Equal(probeAt) {
				t.Errorf("dave %s next %v, want waiting_for_bank until %v", d.State, d.NextAttemptAt, probeAt)
			}

			// At the probe time, with the bank still down: one request in all.
			e.clock.Add(probeAt.Sub(e.clock.Now()))
			since = e.lastSeq()
			var wg sync.WaitGroup
			for _, name := range []string{"dave", "alice", "dave", "alice"} {
				for _, w := range workers {
					id := e.conn(name).ID
					wg.Go(func() {
						if _, err := w.Sync(t.Context(), id, false); err != nil {
							t.Error(err)
						}
					})
				}
			}
			wg.Wait()
			if n := e.requests("sgml", since); n != 1 {
				t.Errorf("%d requests at the probe time, want 1", n)
			}
			cir = e.circuitOf(e.conn("alice"))
			if !cir.Open || !cir.NextProbeAt.After(e.clock.Now()) {
				t.Fatalf("after a failed probe: circuit %+v", cir)
			}
			e.noLeases()
			// A sync that found another testing the bank left its
			// connection as it was; the next records the wait.
			e.sync("alice", false)
			if a := e.conn("alice"); !a.NextAttemptAt.Equal(cir.NextProbeAt) {
				t.Errorf("alice next %v, want the probe at %v", a.NextAttemptAt, cir.NextProbeAt)
			}

			// The bank is back: the next probe closes the circuit and wakes
			// the other connection.
			e.bank.ClearFaults()
			e.clock.Add(cir.NextProbeAt.Sub(e.clock.Now()) - time.Second)
			if a := e.conn("alice"); !a.NextAttemptAt.After(e.clock.Now()) {
				t.Fatalf("alice next %v", a.NextAttemptAt)
			}
			since = e.lastSeq()
			res := e.sync("dave", true) // the user, a second early: the probe
			if !res.Probe || len(res.Accounts) != 1 || res.Accounts[0].Run == nil || res.Accounts[0].Run.Trigger != bankfeed.TriggerProbe ||
				res.Accounts[0].Run.Outcome != bankfeed.OutcomeOK {
				t.Fatalf("probe: %+v %+v", res, res.Accounts)
			}
			if cir := e.circuitOf(e.conn("alice")); cir.Open {
				t.Errorf("circuit still open after a good probe: %+v", cir)
			}
			if a := e.conn("alice"); !a.NextAttemptAt.Equal(e.clock.Now()) {
				t.Errorf("alice next %v, want now %v", a.NextAttemptAt, e.clock.Now())
			}
			// A time the bank gave alice's account still holds.
			e.clock.Add(time.Second)
			res = e.sync("alice", false)
			for _, ar := range res.Accounts {
				if ar.Run == nil || ar.Run.Outcome != bankfeed.OutcomeOK {
					t.Errorf("alice %s after the circuit closed: %+v %q", ar.Account.Number, ar.Run, ar.Skipped)
				}
			}
			if n := e.requests("sgml", since); n != 4 {
				t.Errorf("%d requests once the bank is back, want 4", n)
			}
			checkLines(t, e)
		})
	}
}

// TestCredentialFailureKeepsCircuitClosed rejects alice's password: that is
// hers, not the bank's, and dave at the same bank still syncs.
func TestCredentialFailureKeepsCircuitClosed(t *testing.T) {
	e := newEnv(t, Options{})
	e.connect("alice", "sgml", "alice")
	e.connect("dave", "sgml", "dave")
	e.fault(fakebank.FaultSpec{Kind: fakebank.FaultBadCredentials, Institution: "sgml", User: "alice"})
	e.sync("alice", false)
	if c := e.conn("alice"); c.State != bankfeed.ConnNeedsAction {
		t.Fatalf("alice %s", c.State)
	}
	if cir := e.circuitOf(e.conn("alice")); cir != nil && cir.Open {
		t.Fatalf("circuit open after a credential failure: %+v", cir)
	}
	since := e.lastSeq()
	res := e.sync("dave", false)
	if res.Skipped != "" || res.Accounts[0].Run == nil || res.Accounts[0].Run.Outcome != bankfeed.OutcomeOK {
		t.Errorf("dave: %q %+v", res.Skipped, res.Accounts[0])
	}
	if n := e.requests("sgml", since); n != 1 {
		t.Errorf("%d requests for dave, want 1", n)
	}
}

// TestCircuitOpensMidSync starts dave's sync while alice's first request
// is at a failing bank, with one slot at the institution: dave's account,
// which gets the slot only once the circuit is open, sends nothing.
func TestCircuitOpensMidSync(t *testing.T) {
	waiting := make(chan string, 16)
	e := newEnv(t, Options{InstitutionLimit: 1, Progress: func(ev Event) {
		if ev.Step == "waiting" {
			waiting <- ev.Connection.Name
		}
	}})
	e.connect("alice", "sgml", "alice")
	e.connect("dave", "sgml", "dave")
	e.fault(fakebank.FaultSpec{Kind: fakebank.FaultMaintenance503, Institution: "sgml"})
	e.fault(fakebank.FaultSpec{Kind: fakebank.FaultLatency, Institution: "sgml", Params: map[string]string{"delay": "100ms"}})
	f := countInflight(e)
	since := e.lastSeq()
	var wg sync.WaitGroup
	wg.Go(func() { e.s.Sync(t.Context(), e.conn("alice").ID, false) })
	// Once alice's first request is out, dave's sync starts and waits for
	// the slot.
	for deadline := time.Now().Add(5 * time.Second); ; {
		f.mu.Lock()
		n := f.seen
		f.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("alice sent nothing")
		}
		time.Sleep(time.Millisecond)
	}
	wg.Go(func() { e.s.Sync(t.Context(), e.conn("dave").ID, false) })
	for name := ""; name != "dave"; {
		select {
		case name = <-waiting:
		case <-time.After(5 * time.Second):
			t.Fatal("dave never waited for a slot")
		}
	}
	wg.Wait()
	if n := e.requests("sgml", since); n != 1 {
		t.Errorf("%d requests to a bank whose circuit opened after the first, want 1", n)
	}
	if d := e.conn("dave"); d.State != bankfeed.ConnWaitingForBank {
		t.Errorf("dave %s (%s)", d.State, d.Reason)
	}
	e.noLeases()
}

// TestAccountListFailureBacksOff fails the bank while a reset connection
// lists its accounts again, and runs the scheduler's rounds for four hours:
// the failure opens the circuit and the retries back off as a statement's
// would, instead of asking every minute. The list that gets through closes
// the circuit, and the accounts sync from the first window.
func TestAccountListFailureBacksOff(t *testing.T) {
	e := newEnv(t, Options{})
	e.connect("alice", "sgml", "alice")
	e.sync("alice", false)
	if err := e.s.Reset(t.Context(), e.conn("alice").ID, ""); err != nil {
		t.Fatal(err)
	}
	e.fault(fakebank.FaultSpec{Kind: fakebank.FaultHTTP500, Institution: "sgml"})
	since := e.lastSeq()
	for range 4 * 60 {
		due, err := e.s.Due(t.Context(), e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range due {
			if _, err := e.s.Sync(t.Context(), id, false); err != nil {
				t.Fatal(err)
			}
		}
		e.clock.Add(time.Minute)
	}
	c := e.conn("alice")
	cir := e.circuitOf(c)
	n := e.requests("sgml", since)
	t.Logf("%d requests in 4 hours; %s: %s", n, c.State, c.Reason)
	// 3 quick retries, then 15m and 1h: 6 requests.
	if n > 6 {
		t.Errorf("%d requests in 4 hours to a bank failing to list the accounts", n)
	}
	if cir == nil || !cir.Open || !c.NextAttemptAt.Equal(cir.NextProbeAt) || c.State != bankfeed.ConnWaitingForBank {
		t.Errorf("alice %s next %v, circuit %+v", c.State, c.NextAttemptAt, cir)
	}

	e.bank.ClearFaults()
	e.clock.Add(cir.NextProbeAt.Sub(e.clock.Now()))
	res := e.sync("alice", false)
	if !res.Probe || len(res.Accounts) != 3 {
		t.Fatalf("probe: %+v", res)
	}
	// The bank answered the list: the reset's sync asks the first window.
	for _, ar := range res.Accounts {
		if ar.Run == nil || ar.Run.Outcome != bankfeed.OutcomeOK || !ar.Run.WindowStart.Equal(e.clock.Now().Add(-DefaultFirstWindow)) {
			t.Errorf("%s: %+v %q", ar.Account.Number, ar.Run, ar.Skipped)
		}
	}
	if cir := e.circuitOf(c); cir.Open {
		t.Errorf("circuit open after the bank answered: %+v", cir)
	}
	checkLines(t, e)
}
