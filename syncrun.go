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
	ImportCounts
}
