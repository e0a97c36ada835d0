package scheduler

import (
	"slices"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
)

func fixed(r float64) func() float64 { return func() float64 { return r } }

func ok(at time.Time) Attempt { return Attempt{At: at} }

func fail(at time.Time, c bankfeed.FailureClass) Attempt { return Attempt{At: at, Class: c} }

// failures returns n failures of class c, a minute apart, the last at end.
func failures(n int, c bankfeed.FailureClass, end time.Time) []Attempt {
	var h []Attempt
	for i := n - 1; i >= 0; i-- {
		h = append(h, fail(end.Add(-time.Duration(i)*time.Minute), c))
	}
	return h
}

func with(h []Attempt, more ...Attempt) []Attempt { return append(slices.Clone(h), more...) }

func sameDecision(got, want Decision) bool {
	return got.State == want.State && got.Next.Equal(want.Next) && got.Reason == want.Reason
}

func TestDecide(t *testing.T) {
	ny := newYork(t)
	p := DefaultPolicy(ny)
	now := time.Date(2026, 3, 3, 10, 0, 0, 0, ny) // a Tuesday
	half := fixed(0.5)                            // a jitter factor of exactly 1
	const (
		maint = "the bank is down for maintenance: "
		limit = "the bank's rate limit was reached: "
	)
	retryAfter := func(a Attempt, t time.Time) Attempt { a.RetryAfter = t; return a }
	// 48 business hours before now: Monday 23 Feb 10:00 (7h), Tuesday to
	// Friday (32h), Monday 2 Mar (8h), Tuesday 09:00-10:00 (1h).
	escalateFrom := time.Date(2026, 2, 23, 10, 0, 0, 0, ny)
	longRun := []Attempt{fail(escalateFrom, bankfeed.FailMaintenance)}
	for d := 1; d <= 7; d++ {
		longRun = append(longRun, fail(escalateFrom.AddDate(0, 0, d), bankfeed.FailMaintenance))
	}
	escalateReason := "failing for 48 business hours: contact the bank or an expert ("

	tests := []struct {
		name    string
		policy  *Policy // nil: p
		history []Attempt
		now     time.Time
		rnd     func() float64
		want    Decision
	}{
		{"empty history", nil, nil, now, half, Decision{StateOK, now, "never synced: syncing now"}},
		{"success", nil, []Attempt{ok(now)}, now, half, Decision{StateOK, now.Add(24 * time.Hour), "synced; next sync in 24h"}},
		{"success after failures", nil, with(failures(5, bankfeed.FailMaintenance, now.Add(-time.Hour)), ok(now)), now, half,
			Decision{StateOK, now.Add(24 * time.Hour), "synced; next sync in 24h"}},

		// Quick retries, then backoff.
		{"first failure", nil, failures(1, bankfeed.FailMaintenance, now), now, fixed(0), Decision{StateRetrying, now.Add(time.Minute), maint + "quick retry 1 of 3"}},
		{"quick retries have no jitter", nil, failures(2, bankfeed.FailMaintenance, now), now, fixed(0.999), Decision{StateRetrying, now.Add(time.Minute), maint + "quick retry 2 of 3"}},
		{"last quick retry", nil, failures(3, bankfeed.FailMaintenance, now), now, half, Decision{StateRetrying, now.Add(time.Minute), maint + "quick retry 3 of 3"}},
		{"first backoff", nil, failures(4, bankfeed.FailMaintenance, now), now, half, Decision{StateWaitingForBank, now.Add(15 * time.Minute), maint + "backing off 15m after 4 failures"}},
		{"second backoff", nil, failures(5, bankfeed.FailMaintenance, now), now, half, Decision{StateWaitingForBank, now.Add(time.Hour), maint + "backing off 1h after 5 failures"}},
		{"third backoff", nil, failures(6, bankfeed.FailMaintenance, now), now, half, Decision{StateWaitingForBank, now.Add(4 * time.Hour), maint + "backing off 4h after 6 failures"}},
		{"backoff capped", nil, failures(12, bankfeed.FailMaintenance, now), now, half, Decision{StateWaitingForBank, now.Add(4 * time.Hour), maint + "backing off 4h after 12 failures"}},
		{"a success starts a new run", nil, with(failures(5, bankfeed.FailServerError, now.Add(-time.Hour)), ok(now.Add(-time.Minute)), fail(now, bankfeed.FailServerError)), now, half,
			Decision{StateRetrying, now.Add(time.Minute), "the bank's server returned an error: quick retry 1 of 3"}},
		{"a run mixes classes", nil, with(failures(3, bankfeed.FailUnreachable, now.Add(-time.Minute)), fail(now, bankfeed.FailMaintenance)), now, half,
			Decision{StateWaitingForBank, now.Add(15 * time.Minute), maint + "backing off 15m after 4 failures"}},
		{"a needs_action failure starts a new run", nil, with(failures(5, bankfeed.FailMaintenance, now.Add(-time.Hour)), fail(now.Add(-time.Minute), bankfeed.FailInvalidCredentials), fail(now, bankfeed.FailMaintenance)), now, half,
			Decision{StateRetrying, now.Add(time.Minute), maint + "quick retry 1 of 3"}},
		{"offline backs off retrying, not waiting for the bank", nil, failures(4, bankfeed.FailOffline, now), now, half,
			Decision{StateRetrying, now.Add(15 * time.Minute), "this computer is offline: backing off 15m after 4 failures"}},
		{"incomplete data", nil, failures(1, bankfeed.FailDataIncomplete, now), now, half,
			Decision{StateRetrying, now.Add(time.Minute), "the bank sent incomplete data; nothing was kept: quick retry 1 of 3"}},

		// Jitter.
		{"jitter low end", nil, failures(4, bankfeed.FailMaintenance, now), now, fixed(0), Decision{StateWaitingForBank, now.Add(12 * time.Minute), maint + "backing off 15m after 4 failures"}},
		{"jitter high end", nil, failures(4, bankfeed.FailMaintenance, now), now, fixed(0.999), Decision{StateWaitingForBank, now.Add(18 * time.Minute), maint + "backing off 15m after 4 failures"}},
		{"jitter on the cap", nil, failures(9, bankfeed.FailMaintenance, now), now, fixed(0), Decision{StateWaitingForBank, now.Add(192 * time.Minute), maint + "backing off 4h after 9 failures"}},
		{"nil rnd: no jitter", nil, failures(4, bankfeed.FailMaintenance, now), now, nil, Decision{StateWaitingForBank, now.Add(15 * time.Minute), maint + "backing off 15m after 4 failures"}},
		{"rnd out of range: no jitter", nil, failures(4, bankfeed.FailMaintenance, now), now, fixed(1.5), Decision{StateWaitingForBank, now.Add(15 * time.Minute), maint + "backing off 15m after 4 failures"}},

		// Rate limits and classes with no quick retries.
		{"rate limited, no reset", nil, failures(1, bankfeed.FailRateLimited, now), now, half, Decision{StateWaitingForBank, now.Add(15 * time.Minute), limit + "backing off 15m after 1 failure"}},
		{"rate limited twice, no reset", nil, failures(2, bankfeed.FailRateLimited, now), now, half, Decision{StateWaitingForBank, now.Add(time.Hour), limit + "backing off 1h after 2 failures"}},
		{"internal error", nil, failures(1, bankfeed.FailInternal, now), now, half,
			Decision{StateRetrying, now.Add(15 * time.Minute), "an error inside bankfeed, not at the bank: backing off 15m after 1 failure"}},
		{"unknown class", nil, failures(2, "bank.something_new", now), now, half,
			Decision{StateRetrying, now.Add(time.Hour), "the sync failed (bank.something_new): backing off 1h after 2 failures"}},

		// Retry-After.
		{"rate limit reset honoured exactly", nil, []Attempt{retryAfter(fail(now, bankfeed.FailRateLimited), now.Add(37*time.Minute+13*time.Second))}, now, fixed(0),
			Decision{StateWaitingForBank, now.Add(37*time.Minute + 13*time.Second), limit + "the bank asked to wait until 10:37"}},
		{"Retry-After beats a quick retry", nil, []Attempt{retryAfter(fail(now, bankfeed.FailMaintenance), now.Add(2*time.Hour))}, now, fixed(0.999),
			Decision{StateWaitingForBank, now.Add(2 * time.Hour), maint + "the bank asked to wait until 12:00"}},
		{"Retry-After shorter than the backoff", nil, with(failures(5, bankfeed.FailMaintenance, now.Add(-time.Minute)), retryAfter(fail(now, bankfeed.FailMaintenance), now.Add(5*time.Minute))), now, fixed(0),
			Decision{StateWaitingForBank, now.Add(5 * time.Minute), maint + "the bank asked to wait until 10:05"}},
		{"Retry-After sooner than a quick retry", nil, []Attempt{retryAfter(fail(now, bankfeed.FailMaintenance), now.Add(10*time.Second))}, now, half,
			Decision{StateWaitingForBank, now.Add(time.Minute), maint + "the bank asked to wait until 10:00"}},
		{"Retry-After in the past is ignored", nil, []Attempt{retryAfter(fail(now, bankfeed.FailMaintenance), now.Add(-time.Minute))}, now, half,
			Decision{StateRetrying, now.Add(time.Minute), maint + "quick retry 1 of 3"}},
		{"an earlier Retry-After in the run still counts", nil, []Attempt{retryAfter(fail(now.Add(-time.Minute), bankfeed.FailRateLimited), now.Add(3*time.Hour)), fail(now, bankfeed.FailUnreachable)}, now, half,
			Decision{StateWaitingForBank, now.Add(3 * time.Hour), "the bank's server does not answer: the bank asked to wait until 13:00"}},
		{"a reset tomorrow", nil, []Attempt{retryAfter(fail(now, bankfeed.FailRateLimited), time.Date(2026, 3, 4, 0, 0, 0, 0, ny))}, now, half,
			Decision{StateWaitingForBank, time.Date(2026, 3, 4, 0, 0, 0, 0, ny), limit + "the bank asked to wait until Wed 4 Mar 00:00"}},

		// Needs the user.
		{"invalid credentials", nil, failures(1, bankfeed.FailInvalidCredentials, now), now, half,
			Decision{StateNeedsAction, time.Time{}, "needs your action: the bank rejected the user ID or password; check the password at the bank's site, then enter it here"}},
		{"locked", nil, failures(1, bankfeed.FailLocked, now), now, half,
			Decision{StateNeedsAction, time.Time{}, "needs your action: the bank locked the login; call the bank to unlock it, then retry"}},
		{"MFA", nil, failures(1, bankfeed.FailMFARequired, now), now, half,
			Decision{StateNeedsAction, time.Time{}, "needs your action: the bank wants a one-time code; run the sync yourself to answer the bank's code"}},
		{"action required", nil, failures(1, bankfeed.FailActionRequired, now), now, half,
			Decision{StateNeedsAction, time.Time{}, "needs your action: the bank wants something done on its web site; log in at the bank's web site and do what it asks, then retry"}},
		{"consent expired", nil, failures(1, bankfeed.FailConsentExpired, now), now, half,
			Decision{StateNeedsAction, time.Time{}, "needs your action: permission to read this bank expired or was revoked; reconnect"}},
		{"account not found", nil, failures(1, bankfeed.FailAccountNotFound, now), now, half,
			Decision{StateNeedsAction, time.Time{}, "needs your action: the bank no longer lists this account (closed, or a new number?); relink it to the existing ledger account"}},
		{"untrusted certificate", nil, failures(1, bankfeed.FailTLSUntrusted, now), now, half,
			Decision{StateNeedsAction, time.Time{}, "needs your action: the bank's connection is not trusted; check this computer's clock, antivirus HTTPS scanning or proxy, then retry"}},
		{"blocked client", nil, failures(1, bankfeed.FailBlockedClient, now), now, half,
			Decision{StateNeedsAction, time.Time{}, "needs your action: the bank's firewall rejected this app; import a file from the bank's site instead, and tell the bank"}},
		{"needs action ignores Retry-After", nil, []Attempt{retryAfter(fail(now, bankfeed.FailMFARequired), now.Add(time.Hour))}, now, half,
			Decision{StateNeedsAction, time.Time{}, "needs your action: the bank wants a one-time code; run the sync yourself to answer the bank's code"}},

		// Escalation.
		{"escalate at exactly 48 business hours", nil, longRun, now, half,
			Decision{StateEscalate, now.Add(4 * time.Hour), escalateReason + maint + "backing off 4h after 8 failures)"}},
		{"one second short of 48 business hours", nil, longRun, now.Add(-time.Second), half,
			Decision{StateWaitingForBank, now.Add(4*time.Hour - time.Second), maint + "backing off 4h after 8 failures"}},
		{"escalation keeps the bank's time", nil, with(longRun[:7], retryAfter(fail(now, bankfeed.FailMaintenance), now.Add(90*time.Minute))), now, half,
			Decision{StateEscalate, now.Add(90 * time.Minute), escalateReason + maint + "the bank asked to wait until 11:30)"}},
		{"needs action does not escalate", nil, with(longRun[:7], fail(now, bankfeed.FailInvalidCredentials)), now, half,
			Decision{StateNeedsAction, time.Time{}, "needs your action: the bank rejected the user ID or password; check the password at the bank's site, then enter it here"}},
		{"failing since Friday 16:00 is 2 business hours on Monday", &Policy{QuickRetries: 3, QuickInterval: time.Minute, Escalate: 2 * time.Hour, Hours: p.Hours},
			[]Attempt{fail(time.Date(2026, 2, 27, 16, 0, 0, 0, ny), bankfeed.FailMaintenance), fail(time.Date(2026, 3, 2, 9, 59, 0, 0, ny), bankfeed.FailMaintenance)}, time.Date(2026, 3, 2, 10, 0, 0, 0, ny), half,
			Decision{StateEscalate, time.Date(2026, 3, 2, 10, 1, 0, 0, ny), "failing for 2 business hours: contact the bank or an expert (" + maint + "quick retry 2 of 3)"}},
		{"a weekend does not count", &Policy{QuickRetries: 3, QuickInterval: time.Minute, Escalate: 2 * time.Hour, Hours: p.Hours},
			[]Attempt{fail(time.Date(2026, 2, 27, 16, 0, 0, 0, ny), bankfeed.FailMaintenance), fail(time.Date(2026, 3, 2, 9, 59, 0, 0, ny), bankfeed.FailMaintenance)}, time.Date(2026, 3, 2, 9, 59, 0, 0, ny), half,
			Decision{StateRetrying, time.Date(2026, 3, 2, 10, 0, 0, 0, ny), maint + "quick retry 2 of 3"}},
		{"escalation off", &Policy{QuickRetries: 3, QuickInterval: time.Minute, Backoff: []time.Duration{time.Hour}, Hours: p.Hours}, longRun, now, half,
			Decision{StateWaitingForBank, now.Add(time.Hour), maint + "backing off 1h after 8 failures"}},

		// Odd input.
		{"unsorted history", nil, []Attempt{fail(now, bankfeed.FailMaintenance), fail(now.Add(-2*time.Minute), bankfeed.FailMaintenance), ok(now.Add(-time.Hour)), fail(now.Add(-time.Minute), bankfeed.FailMaintenance)}, now, half,
			Decision{StateRetrying, now.Add(time.Minute), maint + "quick retry 3 of 3"}},
		{"an attempt in the future", nil, []Attempt{fail(now.Add(-time.Minute), bankfeed.FailMaintenance), fail(now.Add(time.Hour), bankfeed.FailMaintenance)}, now, half,
			Decision{StateRetrying, now.Add(time.Minute), maint + "quick retry 2 of 3"}},
		{"attempts with no time", nil, []Attempt{{Class: bankfeed.FailMaintenance}, {Class: bankfeed.FailMaintenance}}, now, half,
			Decision{StateRetrying, now.Add(time.Minute), maint + "quick retry 2 of 3"}},
		{"no backoff steps", &Policy{QuickRetries: 1, QuickInterval: 30 * time.Second}, failures(3, bankfeed.FailMaintenance, now), now, half,
			Decision{StateWaitingForBank, now.Add(30 * time.Second), maint + "backing off 30s after 3 failures"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := p
			if tt.policy != nil {
				pol = *tt.policy
			}
			got := pol.Decide(tt.history, tt.now, tt.rnd)
			if !sameDecision(got, tt.want) {
				t.Errorf("Decide =\n  %+v\nwant\n  %+v", got, tt.want)
			}
		})
	}
}

// TestDecideEveryClass checks every failure class at every step of a run:
// a valid State, a Reason, no automatic retry for what needs the user, and a
// Next within the policy's bounds for the rest.
func TestDecideEveryClass(t *testing.T) {
	ny := newYork(t)
	p := DefaultPolicy(ny)
	now := time.Date(2026, 3, 3, 10, 0, 0, 0, ny)
	valid := []State{StateOK, StateRetrying, StateWaitingForBank, StateNeedsAction, StateEscalate}
	latest := now.Add(4*time.Hour + 48*time.Minute) // the cap, 4h, with +20% jitter
	for _, c := range bankfeed.FailureClasses {
		if _, ok := classes[c]; !ok {
			t.Errorf("%s: no entry in the policy's class table", c)
		}
		for n := 1; n <= 8; n++ {
			for _, r := range []float64{0, 0.5, 0.999} {
				d := p.Decide(failures(n, c, now), now, fixed(r))
				if !slices.Contains(valid, d.State) || d.State == StateOK {
					t.Errorf("%s, %d failures: state %q", c, n, d.State)
				}
				if d.Reason == "" {
					t.Errorf("%s, %d failures: no reason", c, n)
				}
				if d.State == StateNeedsAction {
					if !d.Next.IsZero() {
						t.Errorf("%s: needs_action with a next attempt at %v", c, d.Next)
					}
					continue
				}
				if c.NeedsUser() {
					t.Errorf("%s, %d failures: state %q, want needs_action", c, n, d.State)
				}
				if !d.Next.After(now) || d.Next.After(latest) {
					t.Errorf("%s, %d failures, rnd %v: next %v, want in (now, now+4h48m]", c, n, r, d.Next.Sub(now))
				}
			}
		}
	}
}

func TestManualSync(t *testing.T) {
	ny := newYork(t)
	p := DefaultPolicy(ny)
	now := time.Date(2026, 3, 3, 10, 0, 0, 0, ny)
	tests := []struct {
		name    string
		history []Attempt
		want    string
	}{
		{"never synced", nil, ""},
		{"after a success", []Attempt{ok(now.Add(-time.Hour))}, ""},
		{"during backoff", failures(6, bankfeed.FailMaintenance, now), ""},
		{"after MFA: the user answers the code", failures(1, bankfeed.FailMFARequired, now), ""},
		{"after the terms: the user accepted them", failures(1, bankfeed.FailActionRequired, now), ""},
		{"after a lockout", failures(1, bankfeed.FailLocked, now), "the bank locked the login; syncing again will not unlock it: call the bank first"},
		{"after a rejected password", failures(1, bankfeed.FailInvalidCredentials, now),
			"the bank rejected the password; unless you changed it here, syncing again counts as another failed login"},
		{"before a rate limit's reset", []Attempt{{At: now, Class: bankfeed.FailRateLimited, RetryAfter: now.Add(2 * time.Hour)}},
			"the bank asked to wait until 12:00; it may refuse a sync before then"},
		{"after a rate limit's reset", []Attempt{{At: now.Add(-3 * time.Hour), Class: bankfeed.FailRateLimited, RetryAfter: now.Add(-time.Hour)}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allowed, warning := p.ManualSync(tt.history, now)
			if !allowed {
				t.Error("ManualSync refused: a sync the user starts is always allowed")
			}
			if warning != tt.want {
				t.Errorf("warning %q, want %q", warning, tt.want)
			}
		})
	}
}

func TestDecideDoesNotChangeHistory(t *testing.T) {
	now := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	h := []Attempt{fail(now, bankfeed.FailMaintenance), fail(now.Add(-time.Minute), bankfeed.FailMaintenance)}
	before := slices.Clone(h)
	DefaultPolicy(time.UTC).Decide(h, now, fixed(0.3))
	if !slices.Equal(h, before) {
		t.Errorf("history changed: %v, want %v", h, before)
	}
}

func TestShort(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Minute: "1m", 15 * time.Minute: "15m", time.Hour: "1h", 4 * time.Hour: "4h", 24 * time.Hour: "24h",
		90 * time.Minute: "1h30m", 90 * time.Second: "1m30s", 30 * time.Second: "30s",
	} {
		if got := short(d); got != want {
			t.Errorf("short(%v) = %q, want %q", d, got, want)
		}
	}
}
