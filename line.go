package bankfeed

import "time"

// LineID identifies a Line in the store.
type LineID int64

// Line is one record of a feed: a bank, card or investment transaction as the
// bank delivered it. Lines are immutable once committed; review decisions live
// elsewhere.
type Line struct {
	ID        LineID     `json:"id"`
	AccountID AccountID  `json:"account_id"`
	ImportID  *ImportID  `json:"import_id,omitempty"`
	SyncRunID *SyncRunID `json:"sync_run_id,omitempty"`
	// FITID is the bank's id for the line; Aliases lists every id the bank
	// gave it (FITID, SRVRTID, ids of later deliveries).
	FITID   string   `json:"fitid"`
	Aliases []string `json:"aliases,omitempty"`
	// PostedOn is the posting date in the bank's own calendar (YYYY-MM-DD);
	// PostedAt the full instant when the bank gave one.
	PostedOn string    `json:"posted_on"`
	PostedAt time.Time `json:"posted_at,omitzero"`
	UserOn   string    `json:"user_on,omitempty"`
	Amount   Decimal   `json:"amount"`
	Currency string    `json:"currency"`
	Type     string    `json:"type"` // TRNTYPE, or the investment aggregate (BUYSTOCK, …)
	Name     string    `json:"name,omitempty"`
	Memo     string    `json:"memo,omitempty"`
	CheckNum string    `json:"check_num,omitempty"`
	RefNum   string    `json:"ref_num,omitempty"`
	// Investment lines: the security and quantities.
	SecurityID string `json:"security_id,omitempty"`
	Units      string `json:"units,omitempty"`
	UnitPrice  string `json:"unit_price,omitempty"`
	// Collision is set when the bank reused this FITID for a different amount
	// or date; both lines are kept.
	Collision bool      `json:"collision,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// LineFilter selects lines for listing.
type LineFilter struct {
	AccountID AccountID
	Since     string // YYYY-MM-DD, inclusive; "" for all
	Limit     int    // 0 for no limit
}
