package bankfeed

import (
	"strings"
	"time"
)

// LedgerAccountID identifies an account of the chart of accounts.
type LedgerAccountID int64

// LedgerAccountType is the kind of account in the books. Its name's first
// component says it too: "Assets:Bank:Checking", "Expenses:Office".
type LedgerAccountType string

// Ledger account types, with the top-level name each one's name starts with.
const (
	LedgerAsset     LedgerAccountType = "asset"     // Assets:
	LedgerLiability LedgerAccountType = "liability" // Liabilities:
	LedgerIncome    LedgerAccountType = "income"    // Income:
	LedgerExpense   LedgerAccountType = "expense"   // Expenses:
	LedgerEquity    LedgerAccountType = "equity"    // Equity:
)

// LedgerRoots maps a top-level account name to its type.
var LedgerRoots = map[string]LedgerAccountType{
	"Assets": LedgerAsset, "Liabilities": LedgerLiability, "Income": LedgerIncome,
	"Expenses": LedgerExpense, "Equity": LedgerEquity,
}

// LedgerAccountTypeOf returns the type a full account name implies, or "" if
// its first component is not one of the five roots.
func LedgerAccountTypeOf(name string) LedgerAccountType {
	root, _, _ := strings.Cut(name, ":")
	return LedgerRoots[root]
}

// LedgerAccount is one account of the chart of accounts. A bank account or
// card that has a feed is an asset or liability linked to that feed's
// Account; categories are income and expense accounts.
type LedgerAccount struct {
	ID       LedgerAccountID   `json:"id"`
	Name     string            `json:"name"` // full, colon-separated: "Expenses:Office:Supplies"
	Type     LedgerAccountType `json:"type"`
	Currency string            `json:"currency"`
	// FeedAccountID is the feed whose lines are this account's bank side.
	FeedAccountID *AccountID `json:"feed_account_id,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

// EntryID identifies an Entry of the ledger.
type EntryID int64

// Entry origins: who made it.
const (
	OriginUser     = "user"     // typed by a person
	OriginFeed     = "feed"     // added from a feed line in review
	OriginTransfer = "transfer" // a transfer between two own accounts, from both sides' lines
	OriginRule     = "rule"     // added by a bank rule's auto-add
)

// Entry is one transaction of the books: a date, a payee and splits that sum
// to zero in each currency. Exports name it by UID, so exporting again does
// not duplicate it in the target.
type Entry struct {
	ID        EntryID   `json:"id"`
	UID       string    `json:"uid"`  // stable: "bf-" + id; kept across edits
	Date      string    `json:"date"` // YYYY-MM-DD
	Payee     string    `json:"payee,omitempty"`
	Memo      string    `json:"memo,omitempty"`
	CheckNum  string    `json:"check_num,omitempty"`
	Origin    string    `json:"origin"`
	Splits    []Split   `json:"splits"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// SplitStatus is how far a split is confirmed against the bank.
type SplitStatus string

// Split statuses.
const (
	SplitUncleared  SplitStatus = ""           // entered, not seen at the bank
	SplitCleared    SplitStatus = "cleared"    // a feed line confirms it
	SplitReconciled SplitStatus = "reconciled" // locked by a statement reconciliation
)

// Split is one leg of an entry: an amount to one ledger account.
type Split struct {
	ID          int64           `json:"id"`
	AccountID   LedgerAccountID `json:"account_id"`
	AccountName string          `json:"account"`
	Amount      Decimal         `json:"amount"`
	Currency    string          `json:"currency"`
	Memo        string          `json:"memo,omitempty"`
	Status      SplitStatus     `json:"status,omitempty"`
	// Lines are the feed lines this split was matched to or added from.
	Lines []LineID `json:"lines,omitempty"`
}

// EntryFilter selects entries for listing and export.
type EntryFilter struct {
	AccountID LedgerAccountID // entries with a split in this account; 0 for all
	From, To  string          // YYYY-MM-DD, inclusive; "" for open
}
