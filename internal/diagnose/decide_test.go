package diagnose

import (
	"slices"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
)

func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	conn := &bankfeed.Connection{ID: 1, Name: "acme", NextAttemptAt: now.Add(15 * time.Minute)}
	run := func(class bankfeed.FailureClass, ago time.Duration) *bankfeed.SyncRun {
		start := now.Add(-ago)
		end := start.Add(300 * time.Millisecond)
		r := &bankfeed.SyncRun{ID: 9, AccountID: 1, StartedAt: start, FinishedAt: &end, Outcome: bankfeed.OutcomeOK}
		if class != "" {
			r.Outcome, r.FailureClass = bankfeed.OutcomeFailed, string(class)
		}
		return r
	}
	ok := func(name string) Probe { return Probe{Name: name, Status: ProbeOK, Detail: name + " ok"} }
	failed := func(name string, class bankfeed.FailureClass) Probe {
		return Probe{Name: name, Status: ProbeFailed, Class: string(class), Detail: name + " failed"}
	}
	allOK := []Probe{ok("dns"), ok("connect"), ok("tls"), ok("clock"), ok("portal"), ok("profile"), ok("signon"), ok("internet")}
	with := func(ps ...Probe) []Probe {
		out := slices.Clone(allOK)
		for _, p := range ps {
			for i := range out {
				if out[i].Name == p.Name {
					out[i] = p
				}
			}
		}
		return out
	}
	tests := []struct {
		name     string
		facts    Facts
		want     string
		ruledOut []string // classes that must be ruled out
		escalate bool
	}{
		{name: "all well", facts: Facts{Runs: []*bankfeed.SyncRun{run("", time.Hour)}, Probes: allOK}, want: ClassOK},
		{name: "never synced, probes fine", facts: Facts{Probes: allOK}, want: ClassOK},
		{name: "the last sync went through, but the bank does not answer now",
			facts: Facts{Runs: []*bankfeed.SyncRun{run("", time.Hour)},
				Probes: with(failed("profile", bankfeed.FailUnreachable), Probe{Name: "signon", Status: ProbeSkipped})},
			want: string(bankfeed.FailUnreachable)},
		{name: "the bank's name no longer resolves, the rest of the internet works",
			facts: Facts{Runs: []*bankfeed.SyncRun{run(bankfeed.FailUnreachable, time.Minute)},
				Probes: with(failed("dns", bankfeed.FailDNS), Probe{Name: "connect", Status: ProbeSkipped}, Probe{Name: "tls", Status: ProbeSkipped},
					failed("portal", ""), failed("profile", bankfeed.FailDNS), failed("signon", bankfeed.FailDNS), ok("internet"))},
			want: string(bankfeed.FailDNS), ruledOut: []string{string(bankfeed.FailOffline)}},
		{name: "nothing resolves and the second host is down too: offline",
			facts: Facts{Runs: []*bankfeed.SyncRun{run(bankfeed.FailDNS, time.Minute)},
				Probes: with(failed("dns", bankfeed.FailDNS), failed("internet", bankfeed.FailOffline),
					failed("portal", ""), failed("profile", bankfeed.FailDNS))},
			want: string(bankfeed.FailOffline)},
		{name: "an OFX 2000 whose bank's site asks to act, sign-on not tried",
			facts: Facts{Runs: []*bankfeed.SyncRun{run(bankfeed.FailActionRequired, time.Minute)},
				Probes: with(Probe{Name: "portal", Status: ProbeOK, Signal: "notice"}, Probe{Name: "signon", Status: ProbeSkipped})},
			want: string(bankfeed.FailActionRequired), ruledOut: []string{string(bankfeed.FailTLSUntrusted), string(bankfeed.FailDNS)}},
		{name: "a 500 now, portal announces maintenance, every other login fails too",
			facts: Facts{Runs: []*bankfeed.SyncRun{run(bankfeed.FailMaintenance, time.Minute)},
				Probes:   with(Probe{Name: "portal", Status: ProbeOK, Signal: "maintenance"}, failed("profile", bankfeed.FailMaintenance), failed("signon", bankfeed.FailMaintenance)),
				Siblings: []Sibling{{Name: "b", Class: bankfeed.FailMaintenance, Synced: true}, {Name: "c", Class: bankfeed.FailServerError, Synced: true}}},
			want: string(bankfeed.FailMaintenance)},
		{name: "a certificate error in the sync that the handshake no longer shows stays the verdict",
			facts: Facts{Runs: []*bankfeed.SyncRun{run(bankfeed.FailTLSUntrusted, time.Minute)}, Probes: allOK},
			want:  string(bankfeed.FailTLSUntrusted)},
		{name: "the handshake fails now after an unreadable answer",
			facts: Facts{Runs: []*bankfeed.SyncRun{run(bankfeed.FailServerError, time.Minute)},
				Probes: with(failed("tls", bankfeed.FailTLSUntrusted), Probe{Name: "profile", Status: ProbeSkipped}, Probe{Name: "signon", Status: ProbeSkipped})},
			want: string(bankfeed.FailTLSUntrusted)},
		{name: "a server error for 3 business days escalates",
			facts: Facts{Runs: []*bankfeed.SyncRun{run(bankfeed.FailServerError, time.Minute), run(bankfeed.FailServerError, 72*time.Hour)},
				Probes: allOK, FailingSince: now.Add(-72 * time.Hour), BusinessFailing: 24 * time.Hour, EscalateAfter: 16 * time.Hour},
			want: string(bankfeed.FailServerError), escalate: true},
		{name: "one account not found while a sign-on works",
			facts: Facts{Runs: []*bankfeed.SyncRun{run(bankfeed.FailAccountNotFound, time.Minute)}, Probes: allOK,
				Siblings: []Sibling{{Name: "b", Synced: true}}},
			want: string(bankfeed.FailAccountNotFound), ruledOut: []string{string(bankfeed.FailInvalidCredentials)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.facts
			f.Now, f.Connection = now, conn
			v := Decide(&f)
			if v.Class != tt.want {
				t.Fatalf("class %s (%v), want %s", v.Class, v.Likelihoods, tt.want)
			}
			if v.DataAtRisk || v.DataRisk == "" {
				t.Errorf("data at risk %v %q", v.DataAtRisk, v.DataRisk)
			}
			if v.Escalate != tt.escalate {
				t.Errorf("escalate %v (%s), want %v", v.Escalate, v.EscalateWhy, tt.escalate)
			}
			if v.NextRetryAt == nil || !v.NextRetryAt.Equal(conn.NextAttemptAt) {
				t.Errorf("next retry %v, want %v", v.NextRetryAt, conn.NextAttemptAt)
			}
			sum := 0.0
			for i, l := range v.Likelihoods {
				sum += l.P
				if i > 0 && l.P > v.Likelihoods[i-1].P {
					t.Errorf("likelihoods out of order: %v", v.Likelihoods)
				}
			}
			if sum < 0.98 || sum > 1.02 || v.Likelihoods[0].Class != v.Class {
				t.Errorf("likelihoods %v (sum %.3f)", v.Likelihoods, sum)
			}
			for _, c := range tt.ruledOut {
				if !slices.ContainsFunc(v.RuledOut, func(r RuledOut) bool { return r.Class == c && r.Why != "" }) {
					t.Errorf("%s not ruled out: %+v", c, v.RuledOut)
				}
			}
			if v.Class != ClassOK && (len(v.Steps) == 0 || v.Code == "" || v.Title == "") {
				t.Errorf("no steps, code or title: %+v", v)
			}
			if tt.escalate && !slices.ContainsFunc(v.Steps, func(s string) bool { return len(s) > 0 && s[:4] == "Call" }) {
				t.Errorf("escalation without a step to call: %v", v.Steps)
			}
		})
	}
}
