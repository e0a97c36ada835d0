package importer

import (
	"github.com/bankfeed/bankfeed"
)

// Limits on the details a Result keeps; beyond them only counts grow.
const (
	maxSkips      = 1000
	maxCollisions = 1000
	maxWarnings   = 1000
)

// Result is what one file's import did.
type Result struct {
	File     string            `json:"file"`
	ImportID bankfeed.ImportID `json:"import_id"`
	SHA256   string            `json:"sha256"`
	Size     int64             `json:"size"`
	Format   string            `json:"format"`
	Version  string            `json:"version"`
	// Counts are the totals over the statements, plus the file's warnings.
	Counts     bankfeed.ImportCounts `json:"counts"`
	Statements []*StatementResult    `json:"statements"`
	// Skipped says why each skipped line was skipped (the first maxSkips).
	Skipped        []Skip `json:"skipped"`
	SkippedDropped int    `json:"skipped_dropped,omitempty"`
	// Collisions lists lines whose FITID the bank had given another line.
	Collisions        []Collision `json:"collisions"`
	CollisionsDropped int         `json:"collisions_dropped,omitempty"`
	Warnings          []string    `json:"warnings"`
	WarningsDropped   int         `json:"warnings_dropped,omitempty"`
	// AlreadyImported is the first earlier import of the same bytes.
	AlreadyImported *bankfeed.Import `json:"already_imported"`
}

// StatementResult is one statement of the file.
type StatementResult struct {
	Index          int                   `json:"index"`
	Kind           bankfeed.AccountKind  `json:"kind"`
	AccountID      *bankfeed.AccountID   `json:"account_id"` // nil: no account could be told
	AccountNumber  string                `json:"account_number"`
	AccountCreated bool                  `json:"account_created"`
	Currency       string                `json:"currency"`
	StartOn        string                `json:"start_on,omitempty"`
	EndOn          string                `json:"end_on,omitempty"`
	Ledger         *bankfeed.Balance     `json:"ledger_balance"`
	Available      *bankfeed.Balance     `json:"available_balance"`
	StatusCode     int                   `json:"status_code"`
	Transactions   int                   `json:"transactions"` // in the file, usable or not
	Counts         bankfeed.ImportCounts `json:"counts"`
}

// Skip is a line that was not imported, and why.
type Skip struct {
	Statement int    `json:"statement"`
	Line      int    `json:"line"` // in the file
	FITID     string `json:"fitid,omitempty"`
	Reason    string `json:"reason"`
}

// Collision is a line kept although its FITID was already taken by a line
// with a different amount (or, in the same file, a different date).
type Collision struct {
	Statement     int                `json:"statement"`
	Line          int                `json:"line"` // in the file
	AccountID     bankfeed.AccountID `json:"account_id"`
	FITID         string             `json:"fitid"`
	LineID        bankfeed.LineID    `json:"line_id"`
	Amount        bankfeed.Decimal   `json:"amount"`
	PostedOn      string             `json:"posted_on"`
	OtherLineID   bankfeed.LineID    `json:"other_line_id"`
	OtherAmount   bankfeed.Decimal   `json:"other_amount"`
	OtherPostedOn string             `json:"other_posted_on"`
	SameFile      bool               `json:"same_file"`
}

func (r *Result) skip(s Skip) {
	if len(r.Skipped) < maxSkips {
		r.Skipped = append(r.Skipped, s)
	} else {
		r.SkippedDropped++
	}
}

func (r *Result) collision(c Collision) {
	if len(r.Collisions) < maxCollisions {
		r.Collisions = append(r.Collisions, c)
	} else {
		r.CollisionsDropped++
	}
}

func (r *Result) warn(msg string) {
	if len(r.Warnings) < maxWarnings {
		r.Warnings = append(r.Warnings, msg)
	} else {
		r.WarningsDropped++
	}
}
