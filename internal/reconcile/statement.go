package reconcile

import (
	"time"

	"github.com/bankfeed/bankfeed"
)

// State is where a statement reconciliation stands.
type State string

// States: open while splits are ticked, locked once finished.
const (
	StateOpen   State = "open"
	StateLocked State = "locked"
)

// Candidate is a split a statement reconciliation may tick: in the account,
// not reconciled, dated on or before the statement.
type Candidate struct {
	ID      int64                `json:"id"`
	EntryID bankfeed.EntryID     `json:"entry_id"`
	Date    string               `json:"date"`
	Payee   string               `json:"payee,omitempty"`
	Amount  bankfeed.Decimal     `json:"amount"`
	Status  bankfeed.SplitStatus `json:"status"`
}

// Statement is one statement reconciliation of a ledger account: the
// balance the bank's statement gives on its date, the balance the last
// locked reconciliation ended at, and the splits ticked as on the
// statement. It may be locked only when they agree to the cent.
type Statement struct {
	ID          int64                    `json:"id"`
	AccountID   bankfeed.LedgerAccountID `json:"ledger_account_id"`
	Account     string                   `json:"account"`
	Currency    string                   `json:"currency,omitempty"`
	StatementOn string                   `json:"statement_on"`
	Balance     bankfeed.Decimal         `json:"statement_balance"`
	State       State                    `json:"state"`
	// Opening is the ending balance of the account's last locked
	// reconciliation before this one; 0 for the first.
	Opening bankfeed.Decimal `json:"opening_balance"`
	// Ticked is the sum of the ticked splits (of the reconciled ones once
	// locked), TickedCount their number.
	Ticked      bankfeed.Decimal `json:"ticked_total"`
	TickedCount int              `json:"ticked"`
	// Candidates are the splits not ticked yet; empty once locked.
	Candidates []Candidate `json:"candidates"`
	CreatedBy  string      `json:"created_by"`
	CreatedAt  time.Time   `json:"created_at"`
	LockedAt   time.Time   `json:"locked_at,omitzero"`
}

// Difference is the statement's balance less the opening balance and the
// ticked splits: zero when the statement reconciles.
func (s *Statement) Difference() bankfeed.Decimal {
	return s.Balance.Sub(s.Opening).Sub(s.Ticked).Canonical(bankfeed.CurrencyPlaces(s.Currency))
}

// Cleared is the balance the ticked splits bring the account to: the
// opening balance plus the ticked total.
func (s *Statement) Cleared() bankfeed.Decimal {
	return s.Opening.Add(s.Ticked).Canonical(bankfeed.CurrencyPlaces(s.Currency))
}
