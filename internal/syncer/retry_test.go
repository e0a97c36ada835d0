package syncer

import (
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
)

// TestRetryBackoff fails alice's statements (data.incomplete, which opens
// no circuit) again and again: an automatic sync a second before the
// policy's next attempt sends nothing, one at that time retries every
// account, and the delays are the policy's, jitter included.
func TestRetryBackoff(t *testing.T) {
	for _, tc := range []struct {
		name string
		rnd  float64
		want []time.Duration
	}{
		// 1 + 0.2*(2r-1): no jitter at 0.5, 0.84 of the step at 0.1.
		{"no jitter", 0.5, []time.Duration{time.Minute, time.Minute, time.Minute, 15 * time.Minute, time.Hour, 4 * time.Hour}},
		{"early jitter", 0.1, []time.Duration{time.Minute, time.Minute, time.Minute, 756 * time.Second, 3024 * time.Second, 12096 * time.Second}},
		{"late jitter", 0.9, []time.Duration{time.Minute, time.Minute, time.Minute, 1044 * time.Second, 4176 * time.Second, 16704 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{Rand: func() float64 { return tc.rnd }})
			e.connect("alice", "sgml", "alice")
			e.sync("alice", false)
			e.clock.Add(e.conn("alice").NextAttemptAt.Sub(e.clock.Now())) // the daily round, jittered
			e.fault(fakebank.FaultSpec{Kind: fakebank.FaultTruncated, Institution: "sgml", User: "alice"})
			var got []time.Duration
			for i := range len(tc.want) {
				since := e.lastSeq()
				res := e.sync("alice", false)
				if n := e.requests("sgml", since); n != 3 {
					t.Fatalf("attempt %d: %d requests, want 3: %+v", i, n, res.Accounts)
				}
				c := e.conn("alice")
				if c.State != bankfeed.ConnRetrying {
					t.Errorf("attempt %d: %s", i, c.State)
				}
				wait := c.NextAttemptAt.Sub(e.clock.Now())
				got = append(got, wait)
				// A second early: nothing.
				e.clock.Add(wait - time.Second)
				since = e.lastSeq()
				res = e.sync("alice", false)
				if n := e.requests("sgml", since); n != 0 || !strings.HasPrefix(res.Skipped, "not due") {
					t.Fatalf("attempt %d, a second early: %d requests, skipped %q", i, n, res.Skipped)
				}
				e.clock.Add(time.Second)
			}
			t.Logf("delays %v", got)
			for i := range tc.want {
				if got[i] != tc.want[i] {
					t.Errorf("delays %v, want %v", got, tc.want)
					break
				}
			}
			checkLines(t, e)
		})
	}
}

// TestRetryAfter has the bank say when to come back: the run records it,
// and the connection and the circuit wait exactly until then, with no
// jitter; a second before, automatic syncs send nothing.
func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		kind   string
		params map[string]string
		wait   time.Duration
	}{
		{fakebank.FaultMaintenance503, map[string]string{"retry_after": "37m"}, 37 * time.Minute},
		{fakebank.FaultRateLimit429, map[string]string{"reset": "2h"}, 2 * time.Hour},
		{fakebank.FaultRateLimitOFX, map[string]string{"reset": "90m"}, 90 * time.Minute},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{Rand: func() float64 { return 0.99 }})
			e.connect("alice", "sgml", "alice")
			e.connect("dave", "sgml", "dave")
			e.fault(fakebank.FaultSpec{Kind: tc.kind, Institution: "sgml", User: "alice", Params: tc.params})
			res := e.sync("alice", false)
			back := e.clock.Now().Add(tc.wait)
			var run *bankfeed.SyncRun
			for _, ar := range res.Accounts {
				if ar.Run != nil {
					run = ar.Run
				}
			}
			if run == nil || !run.RetryAt.Equal(back) {
				t.Fatalf("run %+v: want RetryAt %v", run, back)
			}
			c := e.conn("alice")
			cir := e.circuitOf(c)
			if !c.NextAttemptAt.Equal(back) || cir == nil || !cir.NextProbeAt.Equal(back) {
				t.Fatalf("alice next %v, circuit %+v: want both at %v", c.NextAttemptAt, cir, back)
			}
			if d := e.conn("dave"); d.NextAttemptAt.Before(back) {
				// dave was due before alice failed; his next sync waits.
				e.sync("dave", false)
			}
			e.clock.Add(tc.wait - time.Second)
			since := e.lastSeq()
			e.sync("alice", false)
			e.sync("dave", false)
			if n := e.requests("sgml", since); n != 0 {
				t.Errorf("%d requests before the bank's time", n)
			}
			if d := e.conn("dave"); !d.NextAttemptAt.Equal(back) {
				t.Errorf("dave next %v, want %v", d.NextAttemptAt, back)
			}
			e.bank.ClearFaults()
			e.clock.Add(time.Second)
			res = e.sync("alice", false)
			if !res.Probe || e.requests("sgml", since) != 3 {
				t.Errorf("at the bank's time: probe %v, %d requests, want the probe and 3", res.Probe, e.requests("sgml", since))
			}
		})
	}
}

// TestManualSyncBypassesBackoff: a sync the user starts goes out at once,
// whatever the backoff or the circuit says, and the bank's failure is
// recorded as usual.
func TestManualSyncBypassesBackoff(t *testing.T) {
	for _, tc := range []struct {
		kind  string
		probe bool
	}{
		{fakebank.FaultTruncated, false},
		{fakebank.FaultMaintenance503, true},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{})
			e.connect("alice", "sgml", "alice")
			e.fault(fakebank.FaultSpec{Kind: tc.kind, Institution: "sgml", User: "alice"})
			e.sync("alice", false)
			for i := range 3 {
				since := e.lastSeq()
				if res := e.sync("alice", false); res.Skipped == "" {
					t.Fatalf("automatic sync %d ran: %+v", i, res.Accounts)
				}
				res := e.sync("alice", true)
				if n := e.requests("sgml", since); n == 0 {
					t.Fatalf("manual sync %d sent nothing: %q", i, res.Skipped)
				}
				if res.Probe != tc.probe {
					t.Errorf("manual sync %d: probe %v", i, res.Probe)
				}
				for _, ar := range res.Accounts {
					if ar.Run != nil && ar.Run.Trigger != bankfeed.TriggerManual && ar.Run.Trigger != bankfeed.TriggerProbe {
						t.Errorf("trigger %s", ar.Run.Trigger)
					}
				}
				e.clock.Add(10 * time.Second)
			}
			e.bank.ClearFaults()
			res := e.sync("alice", true)
			for _, ar := range res.Accounts {
				if ar.Run == nil || ar.Run.Outcome != bankfeed.OutcomeOK {
					t.Errorf("%s: %+v %q", ar.Account.Number, ar.Run, ar.Skipped)
				}
			}
			if c := e.conn("alice"); c.State != bankfeed.ConnOK {
				t.Errorf("%s (%s)", c.State, c.Reason)
			}
			checkLines(t, e)
		})
	}
}

// TestRetryAfterOutlivesWake: a circuit closed early by another login's
// success wakes alice, but her account the bank told to come back at a
// time is not asked before it.
func TestRetryAfterOutlivesWake(t *testing.T) {
	e := newEnv(t, Options{})
	e.connect("alice", "sgml", "alice")
	e.connect("dave", "sgml", "dave")
	e.fault(fakebank.FaultSpec{Kind: fakebank.FaultMaintenance503, Institution: "sgml", User: "alice",
		Params: map[string]string{"retry_after": "1h"}})
	res := e.sync("alice", false)
	back := e.clock.Now().Add(time.Hour)
	told := map[string]bool{}
	for _, ar := range res.Accounts {
		if ar.Run != nil && ar.Run.RetryAt.Equal(back) {
			told[ar.Account.Number] = true
		}
	}
	if len(told) == 0 {
		t.Fatalf("no run told to wait: %+v", res.Accounts)
	}
	e.bank.ClearFaults()
	e.clock.Add(50 * time.Minute)
	e.sync("dave", true) // the user; it closes the circuit and wakes alice
	if a := e.conn("alice"); a.NextAttemptAt.After(e.clock.Now()) {
		t.Fatalf("alice not woken: next %v", a.NextAttemptAt)
	}
	for _, at := range []time.Duration{50 * time.Minute, 55 * time.Minute, time.Hour - time.Second} {
		e.clock.Add(testStart.Add(at).Sub(e.clock.Now()))
		since := e.lastSeq()
		e.sync("alice", false)
		for _, r := range e.bank.Requests(fakebank.Filter{User: "alice", Since: since}) {
			for _, asked := range r.Asked {
				if n, ok := strings.CutPrefix(asked, "stmt:"); ok && told[n] {
					t.Errorf("+%v: account %s asked before the bank's time %v", at, n, back)
				}
			}
		}
	}
	e.clock.Add(time.Second)
	e.sync("alice", false)
	for n := range told {
		if runs := e.runs(e.accountID(n)); runs[0].Outcome != bankfeed.OutcomeOK || !runs[0].StartedAt.Equal(back) {
			t.Errorf("account %s at the bank's time: %+v", n, runs[0])
		}
	}
}
