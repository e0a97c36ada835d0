package bankfeed

import "time"

// ImportID identifies an Import in the store.
type ImportID int64

// Import records one statement file committed to the store.
type Import struct {
	ID         ImportID  `json:"id"`
	FileName   string    `json:"file_name"`
	FileSHA256 string    `json:"file_sha256"`
	FileSize   int64     `json:"file_size"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	ImportCounts
}

// ImportCounts are the figures of an import, per file and per statement.
type ImportCounts struct {
	New        int `json:"new"`
	Duplicate  int `json:"duplicate"`
	Collisions int `json:"collisions"`
	Skipped    int `json:"skipped"`
	Warnings   int `json:"warnings"`
}

// Add sums counts.
func (c *ImportCounts) Add(o ImportCounts) {
	c.New += o.New
	c.Duplicate += o.Duplicate
	c.Collisions += o.Collisions
	c.Skipped += o.Skipped
	c.Warnings += o.Warnings
}

// ImportStatement records one statement of an imported file: the account it
// went to, the period and balances the bank stated, and its counts.
// Reconciliation reads it.
type ImportStatement struct {
	ImportID     ImportID    `json:"import_id"`
	Index        int         `json:"index"`
	AccountID    *AccountID  `json:"account_id"` // nil: the statement named no account
	Kind         AccountKind `json:"kind"`
	Currency     string      `json:"currency"`
	StatusCode   int         `json:"status_code"`
	StartOn      string      `json:"start_on,omitempty"` // DTSTART, YYYY-MM-DD
	EndOn        string      `json:"end_on,omitempty"`   // DTEND
	Ledger       *Balance    `json:"ledger_balance"`
	Available    *Balance    `json:"available_balance"`
	Transactions int         `json:"transactions"` // in the file, usable or not
	ImportCounts
}

// Balance is an amount the bank stated as of a moment.
type Balance struct {
	Amount Decimal   `json:"amount"`
	AsOf   time.Time `json:"as_of"`
}
