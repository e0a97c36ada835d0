package diagnose

import (
	"time"

	"github.com/bankfeed/bankfeed"
)

// ClassOK is a verdict's class when nothing is wrong: the latest sync of
// every account went through and the probes found nothing.
const ClassOK = "ok"

// Verdict is the outcome of a diagnosis, as `bankfeed diagnose --json`
// prints it; docs/diagnose.md documents every field, and they are stable.
type Verdict struct {
	Connection   string                `json:"connection"`
	ConnectionID bankfeed.ConnectionID `json:"connection_id"`
	Institution  string                `json:"institution"`
	// Class is the most likely failure class (a bankfeed.FailureClass), or
	// ClassOK.
	Class     string `json:"class"`
	Code      string `json:"code"`
	Title     string `json:"title"`
	Transient bool   `json:"transient"`
	// DataAtRisk is always false: a failed sync writes nothing. DataRisk
	// says so in words.
	DataAtRisk bool   `json:"data_at_risk"`
	DataRisk   string `json:"data_risk"`
	// BankMessage is the bank's own words (a STATUS message, a page's
	// text), sanitized; "" when it gave none.
	BankMessage string       `json:"bank_message"`
	Evidence    []Evidence   `json:"evidence"`
	RuledOut    []RuledOut   `json:"ruled_out"`
	Likelihoods []Likelihood `json:"likelihoods"`
	Steps       []string     `json:"steps"`
	// NextRetryAt is the next automatic attempt; null when there is none
	// (the user must act, or the connection is switched off).
	NextRetryAt *time.Time `json:"next_retry_at"`
	// Escalate says it is time to call the bank or an expert; EscalateWhy
	// says why.
	Escalate    bool   `json:"escalate"`
	EscalateWhy string `json:"escalate_why,omitempty"`
	// FailingSince is the first failure of the current run of failures.
	FailingSince *time.Time `json:"failing_since,omitempty"`
	// FailedImmediately says the last failure came at once (refused,
	// rejected) rather than after a wait (a timeout).
	FailedImmediately bool      `json:"failed_immediately,omitempty"`
	Severity          Severity  `json:"severity"`
	Probes            []Probe   `json:"probes"`
	CheckedAt         time.Time `json:"checked_at"`
	TookMS            int64     `json:"took_ms"`
}

// Evidence is one finding the verdict rests on.
type Evidence struct {
	// Source is where it was found: last_sync, history, dns, connect, tls,
	// clock, portal, profile, signon, other_connections, internet, proxy.
	Source  string `json:"source"`
	Finding string `json:"finding"`
	// PointsTo is the class the finding supports, if one.
	PointsTo string `json:"points_to,omitempty"`
}

// RuledOut is a class the evidence makes unlikely, and why.
type RuledOut struct {
	Class string `json:"class"`
	Why   string `json:"why"`
}

// Likelihood is a class's probability after the evidence.
type Likelihood struct {
	Class string  `json:"class"`
	P     float64 `json:"p"`
}

// Probe is one check of the decision path.
type Probe struct {
	Name string `json:"name"` // dns, connect, tls, clock, portal, profile, signon, internet, proxy
	// Status is ok, failed, or skipped.
	Status string `json:"status"`
	// Class is what a failed probe points to.
	Class  string `json:"class,omitempty"`
	Detail string `json:"detail"`
	// Signal is what the probe read beyond ok or failed: maintenance,
	// notice or blocked (a page), skew (the clock), retry_after.
	Signal string `json:"signal,omitempty"`
	// Message is the bank's own words the probe met, sanitized.
	Message string `json:"message,omitempty"`
	TookMS  int64  `json:"took_ms"`
}

// Probe statuses.
const (
	ProbeOK      = "ok"
	ProbeFailed  = "failed"
	ProbeSkipped = "skipped"
)

// Severity is how urgent the connection is, knowing the calendar.
type Severity struct {
	// Level is low, medium, high or critical.
	Level string `json:"level"`
	Why   string `json:"why"`
	// StaleSince is the last time the books were up to date with the bank
	// (the last successful sync of the connection's accounts).
	StaleSince *time.Time `json:"stale_since,omitempty"`
	// Cost says what staleness means now and at the end of the week.
	Cost string `json:"cost,omitempty"`
	// Deadline is the nearest configured deadline that raised the level.
	Deadline *DeadlineRef `json:"deadline,omitempty"`
}

// DeadlineRef names a deadline in a severity.
type DeadlineRef struct {
	Name string    `json:"name"`
	Due  time.Time `json:"due"`
}

// NeedsHuman reports whether the verdict asks a person to act: a class
// that is never retried by itself (credentials, a lockout, a code, the
// bank's notice, a certificate, an account gone), or time to escalate.
func (v *Verdict) NeedsHuman() bool {
	return v.Escalate || v.Class != ClassOK && bankfeed.FailureClass(v.Class).Info().Retry == bankfeed.RetryNever
}
