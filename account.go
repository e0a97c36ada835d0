package bankfeed

import "time"

// InstitutionID identifies an Institution in the store.
type InstitutionID int64

// AccountID identifies an Account in the store.
type AccountID int64

// Institution is a bank, card issuer or broker, identified in its files by the
// ORG and FID of the sign-on and Intuit's INTU.BID. Files that name none of
// these share the institution whose Key is "" (unknown).
type Institution struct {
	ID        InstitutionID `json:"id"`
	Key       string        `json:"key"` // InstitutionKey: "org=…;fid=…", or "intu_bid=…"
	Org       string        `json:"org,omitempty"`
	FID       string        `json:"fid,omitempty"`
	IntuBID   string        `json:"intu_bid,omitempty"`
	Name      string        `json:"name"`
	CreatedAt time.Time     `json:"created_at"`
}

// InstitutionKey is the canonical identity of an institution. ORG and FID
// name the bank in every OFX file; Intuit's INTU.BID appears only in files
// made for Quicken and QuickBooks, so it identifies the bank only when ORG and
// FID are missing. That way a bank's .qfx and .ofx downloads land on the same
// accounts.
func InstitutionKey(org, fid, intuBID string) string {
	switch {
	case org != "" || fid != "":
		return "org=" + org + ";fid=" + fid
	case intuBID != "":
		return "intu_bid=" + intuBID
	}
	return ""
}

// AccountKind is what a statement is about.
type AccountKind string

// Account kinds, as in statements.
const (
	KindBank       AccountKind = "bank"
	KindCreditCard AccountKind = "creditcard"
	KindInvestment AccountKind = "investment"
)

// Account is one feed: the lines one bank account, card or brokerage account
// delivers. It is keyed by its institution, kind, BANKID (or BROKERID) and the
// bank's account id.
type Account struct {
	ID            AccountID     `json:"id"`
	InstitutionID InstitutionID `json:"institution_id"`
	Kind          AccountKind   `json:"kind"`
	Type          string        `json:"type,omitempty"`    // ACCTTYPE: CHECKING, SAVINGS, …
	BankID        string        `json:"bank_id,omitempty"` // BANKID or BROKERID
	BranchID      string        `json:"branch_id,omitempty"`
	Number        string        `json:"number"` // ACCTID as the bank gives it
	Currency      string        `json:"currency"`
	Name          string        `json:"name"`
	CreatedAt     time.Time     `json:"created_at"`
}

// AccountFilter selects accounts for listing.
type AccountFilter struct {
	ID            *AccountID
	InstitutionID *InstitutionID
}
