package bankfeed

import "time"

// SyncRunID identifies a SyncRun in the store.
type SyncRunID int64

// SyncRun records one attempt to fetch an account's new lines from its bank:
// when, how it ended, and why it failed. A failed run commits only this record.
type SyncRun struct {
	ID           SyncRunID  `json:"id"`
	AccountID    AccountID  `json:"account_id"`
	StartedAt    time.Time  `json:"started_at"`
	FinishedAt   *time.Time `json:"finished_at,omitempty"`
	Outcome      string     `json:"outcome"` // ok, failed, running
	FailureClass string     `json:"failure_class,omitempty"`
	HTTPStatus   int        `json:"http_status,omitempty"`
	OFXStatus    string     `json:"ofx_status,omitempty"` // codes and messages
	Error        string     `json:"error,omitempty"`
	// BankMessage is the bank's own words about the failure (a STATUS
	// message, a page's text), sanitized; "" when it gave none.
	BankMessage string `json:"bank_message,omitempty"`
	ImportCounts
	// ConnectionID is the connection that ran it; 0 for none (removed).
	ConnectionID ConnectionID `json:"connection_id,omitempty"`
	// Trigger is what started it: schedule, manual, probe.
	Trigger string `json:"trigger,omitempty"`
	// WindowStart and WindowEnd are the statement window asked for.
	WindowStart time.Time `json:"window_start,omitzero"`
	WindowEnd   time.Time `json:"window_end,omitzero"`
	// RetryAt is when the bank said to come back (Retry-After, a rate
	// limit's reset, a time in its message); zero when it did not.
	RetryAt time.Time `json:"retry_at,omitzero"`
	// Transcript is the exchange with the bank, as JSON, secrets removed.
	Transcript string `json:"-"`
}

// Sync run triggers.
const (
	TriggerSchedule = "schedule" // the periodic round or an automatic retry
	TriggerManual   = "manual"   // the user asked
	TriggerProbe    = "probe"    // the one request that tests an open circuit
)

// Sync run outcomes.
const (
	OutcomeOK     = "ok"
	OutcomeFailed = "failed"
)

// Circuit is an institution's circuit breaker. While it is open the
// institution is down for everyone: its connections wait, and one probe at
// NextProbeAt decides whether it is back.
type Circuit struct {
	InstitutionID InstitutionID `json:"institution_id"`
	Open          bool          `json:"open"`
	Class         FailureClass  `json:"failure_class,omitempty"`
	Reason        string        `json:"reason,omitempty"`
	Failures      int           `json:"failures"`
	OpenedAt      time.Time     `json:"opened_at,omitzero"`
	NextProbeAt   time.Time     `json:"next_probe_at,omitzero"`
	UpdatedAt     time.Time     `json:"updated_at"`
}
