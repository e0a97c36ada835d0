// Package scheduler decides when each connection syncs: the retry policy
// after a failure, as a pure function of the attempts so far and the time.
package scheduler

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
)

// State is where a connection stands after its latest sync attempt.
type State string

// States, as shown to the user.
const (
	StateOK             State = "ok"               // the latest sync worked; next one on the daily round
	StateRetrying       State = "retrying"         // retrying by itself
	StateWaitingForBank State = "waiting_for_bank" // the bank is down or said when to come back
	StateNeedsAction    State = "needs_action"     // no automatic retry until the user acts
	StateEscalate       State = "escalate"         // still retrying, but failing too long: contact the bank or an expert
)

// Attempt is one sync attempt of a connection.
type Attempt struct {
	At    time.Time
	Class bankfeed.FailureClass // why it failed; "" when it succeeded
	// RetryAfter is when the bank said to come back (Retry-After, a rate
	// limit's reset); zero if it said nothing.
	RetryAfter time.Time
}

// Policy is the retry policy. DefaultPolicy gives the product's defaults.
type Policy struct {
	QuickRetries  int             // quick retries after the first failure of a run
	QuickInterval time.Duration   // between quick retries, without jitter
	Backoff       []time.Duration // delays after the quick retries; the last repeats
	Jitter        float64         // each backoff delay is scaled by a factor in [1-Jitter, 1+Jitter]
	Escalate      time.Duration   // business time of failure after which to escalate; 0 never
	Hours         BusinessHours   // the hours that count toward Escalate
	Daily         time.Duration   // from a success to the next sync
}

// DefaultPolicy returns the seed's advice: retry three times a minute apart,
// then wait 15 minutes, an hour, then every 4 hours (maintenance usually
// clears in 2-4 hours), and escalate after 48 business hours of weekdays
// 09:00-17:00 in loc.
func DefaultPolicy(loc *time.Location) Policy {
	return Policy{
		QuickRetries:  3,
		QuickInterval: time.Minute,
		Backoff:       []time.Duration{15 * time.Minute, time.Hour, 4 * time.Hour},
		Jitter:        0.2,
		Escalate:      48 * time.Hour,
		Hours:         BusinessHours{Location: loc, Start: 9 * time.Hour, End: 17 * time.Hour},
		Daily:         24 * time.Hour,
	}
}

// Decision is what to do after the latest attempt.
type Decision struct {
	State  State
	Next   time.Time // the next automatic attempt; zero when there is none
	Reason string    // in plain words, for the user
}

// mode is how a class is retried.
type mode int

const (
	quickThenBackoff mode = iota // quick retries, then backoff
	backoffOnly                  // straight to backoff
	userAction                   // no automatic retry: needs_action
)

// rule is how a class is retried, and what the Reason says (for
// userAction, what the user must do).
type rule struct {
	mode  mode
	words string
}

// classes holds the rule of each failure class of the catalogue: the mode
// from its card's Retry, the words from its card's Reason.
var classes = func() map[bankfeed.FailureClass]rule {
	m := make(map[bankfeed.FailureClass]rule, len(bankfeed.FailureClasses))
	for _, ci := range bankfeed.Catalog() {
		m[ci.Class] = rule{modeOf(ci.Retry), ci.Reason}
	}
	return m
}()

// modeOf maps a card's retry mode to the policy's. A mode this package
// does not know is retried slowly: a slow retry never locks anyone out.
func modeOf(r bankfeed.RetryMode) mode {
	switch r {
	case bankfeed.RetryQuickThenBackoff:
		return quickThenBackoff
	case bankfeed.RetryNever:
		return userAction
	}
	return backoffOnly
}

// classMode returns how c is retried. A class the catalogue does not know
// gets its generic card: retried like engine.internal, since a slow retry
// never locks anyone out, and escalation tells the user if it goes on.
func classMode(c bankfeed.FailureClass) (mode, string) {
	if r, ok := classes[c]; ok {
		return r.mode, r.words
	}
	ci := c.Info()
	return modeOf(ci.Retry), ci.Reason
}

// Decide says what to do after the latest attempt. history is oldest first
// and ends with the attempt just made; it is sorted by time (stably) in
// case it is not. rnd returns a number in [0, 1) for jitter; nil means none.
//
// A success is followed by the next daily sync. A failure belongs to a run:
// the failures since the last success, or since the last needs_action
// failure (the attempt after one is the user acting, so counting starts
// afresh). The run decides the step and when to escalate.
//
// Per class (the mode and the Reason's words come from the class's card in
// bankfeed.Catalog; quick: whether the run starts with QuickRetries quick
// retries; state: for quick retries, then for backoff; next: the delays,
// where 15m, 1h, 4h has jitter and the last step repeats):
//
//	class                     quick  state                       next
//	net.offline               yes    retrying                    60s x3, then 15m, 1h, 4h, 4h, ...
//	net.dns                   yes    retrying, waiting_for_bank  60s x3, then 15m, 1h, 4h, 4h, ...
//	net.unreachable           yes    retrying, waiting_for_bank  60s x3, then 15m, 1h, 4h, 4h, ...
//	bank.maintenance          yes    retrying, waiting_for_bank  60s x3, then 15m, 1h, 4h, 4h, ...
//	bank.server_error         yes    retrying, waiting_for_bank  60s x3, then 15m, 1h, 4h, 4h, ...
//	data.incomplete           yes    retrying                    60s x3, then 15m, 1h, 4h, 4h, ...
//	rate_limited              no     waiting_for_bank            15m, 1h, 4h, ... (hammering a limit extends it)
//	engine.internal           no     retrying                    15m, 1h, 4h, ... (a full disk, a locked database clear)
//	auth.invalid_credentials  -      needs_action                none: retrying a rejected password locks the login
//	auth.locked               -      needs_action                none: call the bank
//	auth.mfa_required         -      needs_action                none: a code needs the user there
//	bank.action_required      -      needs_action                none: terms, a new password, at the bank's site
//	consent.expired           -      needs_action                none: reconnect
//	tls.untrusted             -      needs_action                none: check the clock, antivirus, proxy
//	tls.incompatible          -      needs_action                none: import a file instead
//	bank.blocked_client       -      needs_action                none: import a file instead, tell the bank
//	account.not_found         -      needs_action                none: relink to the same ledger account
//	provider.unsupported      -      needs_action                none: fix the settings
//	any other class           no     retrying                    15m, 1h, 4h, ... (its generic card, BF-000)
//
// net.dns and bank.server_error follow the same steps as the other
// transient classes rather than the taxonomy's "3 tries in 24 h, then stop":
// a 4-hour retry costs the bank nothing, and escalation tells the user.
//
// When the bank said when to come back (a RetryAfter in the run still in the
// future), Next is exactly that time, with no jitter, whatever the step and
// even if the backoff would be later: the bank knows when it is back, and a
// rate limit's reset means "not before". The one floor is QuickInterval, so
// a bank that says "now" is not hammered. The state is waiting_for_bank.
//
// Once the run has lasted Escalate in business time (Hours.Between from its
// first failure to now), the state is escalate: a flag for the user, not a
// stop, so Next stays as computed. needs_action failures do not escalate:
// they already wait on the user, and no retry can make them worse.
func (p Policy) Decide(history []Attempt, now time.Time, rnd func() float64) Decision {
	if len(history) == 0 {
		return Decision{State: StateOK, Next: now, Reason: "never synced: syncing now"}
	}
	h := sorted(history)
	last := h[len(h)-1]
	if last.Class == "" {
		return Decision{State: StateOK, Next: now.Add(p.Daily), Reason: "synced; next sync in " + short(p.Daily)}
	}
	m, words := classMode(last.Class)
	if m == userAction {
		return Decision{State: StateNeedsAction, Reason: "needs your action: " + words}
	}

	run := failureRun(h)
	n := len(run)
	quick := p.QuickRetries
	if m == backoffOnly {
		quick = 0
	}
	var d Decision
	if n <= quick {
		d = Decision{State: StateRetrying, Next: now.Add(p.QuickInterval),
			Reason: fmt.Sprintf("quick retry %d of %d", n, quick)}
	} else {
		step := p.step(n - quick - 1)
		d = Decision{State: StateRetrying, Next: now.Add(p.jitter(step, rnd)),
			Reason: fmt.Sprintf("backing off %s after %s", short(step), plural(n, "failure"))}
		if last.Class.BankSide() || last.Class == bankfeed.FailRateLimited {
			d.State = StateWaitingForBank
		}
	}
	if until := retryAfter(run, now); !until.IsZero() {
		d = Decision{State: StateWaitingForBank, Next: laterOf(until, now.Add(p.QuickInterval)),
			Reason: "the bank asked to wait until " + p.clock(until, now)}
	}
	d.Reason = words + ": " + d.Reason
	if p.Escalate > 0 && p.Hours.Between(runStart(run, now), now) >= p.Escalate {
		d.State = StateEscalate
		d.Reason = fmt.Sprintf("failing for %s business hours: contact the bank or an expert (%s)",
			strconv.FormatFloat(p.Escalate.Hours(), 'f', -1, 64), d.Reason)
	}
	return d
}

// ManualSync says whether a sync the user started may run now, and what to
// warn them of. It is always allowed, whatever the backoff and even after a
// needs_action failure: a manual sync is the user acting (a new password,
// "I accepted the terms", answering a code), and an error state must never
// block it. The warning is for when it will likely fail again or do harm.
func (p Policy) ManualSync(history []Attempt, now time.Time) (allowed bool, warning string) {
	if len(history) == 0 {
		return true, ""
	}
	h := sorted(history)
	switch h[len(h)-1].Class {
	case bankfeed.FailLocked:
		return true, "the bank locked the login; syncing again will not unlock it: call the bank first"
	case bankfeed.FailInvalidCredentials:
		return true, "the bank rejected the password; unless you changed it here, syncing again counts as another failed login"
	}
	if until := retryAfter(failureRun(h), now); !until.IsZero() {
		return true, "the bank asked to wait until " + p.clock(until, now) + "; it may refuse a sync before then"
	}
	return true, ""
}

// sorted returns a copy of history in time order, keeping the given order
// for equal times.
func sorted(history []Attempt) []Attempt {
	h := slices.Clone(history)
	slices.SortStableFunc(h, func(a, b Attempt) int { return a.At.Compare(b.At) })
	return h
}

// failureRun returns the failures at the end of h that follow its last
// success or its last needs_action failure before the final attempt.
func failureRun(h []Attempt) []Attempt {
	i := len(h) - 1
	for i > 0 {
		prev := h[i-1].Class
		if m, _ := classMode(prev); prev == "" || m == userAction {
			break
		}
		i--
	}
	return h[i:]
}

// runStart returns when the run began: its first attempt with a time set.
func runStart(run []Attempt, now time.Time) time.Time {
	for _, a := range run {
		if !a.At.IsZero() {
			return a.At
		}
	}
	return now
}

// retryAfter returns the latest time in the run the bank said to come back,
// if it is after now, or zero.
func retryAfter(run []Attempt, now time.Time) time.Time {
	var until time.Time
	for _, a := range run {
		if a.RetryAfter.After(now) && a.RetryAfter.After(until) {
			until = a.RetryAfter
		}
	}
	return until
}

// step returns backoff step k (from 0), capped at the last.
func (p Policy) step(k int) time.Duration {
	if len(p.Backoff) == 0 {
		return p.QuickInterval
	}
	return p.Backoff[min(max(k, 0), len(p.Backoff)-1)]
}

// jitter scales d by a factor in [1-Jitter, 1+Jitter] chosen by rnd, and
// rounds to the second. A nil rnd, or one out of range, means no jitter.
func (p Policy) jitter(d time.Duration, rnd func() float64) time.Duration {
	j := min(max(p.Jitter, 0), 1)
	if rnd == nil || j == 0 {
		return d
	}
	r := rnd()
	if math.IsNaN(r) || r < 0 || r >= 1 {
		return d
	}
	return time.Duration(float64(d) * (1 + j*(2*r-1))).Round(time.Second)
}

// clock formats t for a Reason in the hours' location: the time of day if
// it is on now's date, else the date too.
func (p Policy) clock(t, now time.Time) string {
	loc := p.Hours.Location
	if loc == nil {
		loc = time.UTC
	}
	t, now = t.In(loc), now.In(loc)
	if dateOf(t) == dateOf(now) {
		return t.Format("15:04")
	}
	return t.Format("Mon 2 Jan 15:04")
}

// short formats d without zero units: 1h, 15m, 1h30m, 90s → 1m30s.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
