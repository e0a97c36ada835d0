package bankfeed

import "time"

// ConnectionID identifies a Connection in the store.
type ConnectionID int64

// ConnectionState is where a connection stands, as the status board shows it.
type ConnectionState string

// Connection states.
const (
	ConnOK             ConnectionState = "ok"               // the latest sync worked
	ConnRetrying       ConnectionState = "retrying"         // a sync failed; retrying by itself
	ConnWaitingForBank ConnectionState = "waiting_for_bank" // the bank is down or said when to come back
	ConnNeedsAction    ConnectionState = "needs_action"     // no automatic retry until the user acts
	ConnEscalate       ConnectionState = "escalate"         // failing too long: contact the bank or an expert
	ConnDisabled       ConnectionState = "disabled"         // switched off by the user
	ConnNew            ConnectionState = "new"              // never synced
)

// Profile is how to reach an institution's OFX server: what a client must
// send, and where the bank's web site is for diagnosis.
type Profile struct {
	URL               string `json:"url"`
	Org               string `json:"org"`
	FID               string `json:"fid"`
	BankID            string `json:"bank_id,omitempty"`
	Version           string `json:"version,omitempty"` // OFX version sent: 102, 103, 151, 160, 200–220
	AppID             string `json:"app_id,omitempty"`
	AppVer            string `json:"app_ver,omitempty"`
	UserAgent         string `json:"user_agent,omitempty"`
	ClientUIDRequired bool   `json:"clientuid_required,omitempty"`
	// CAFile names a PEM file of extra roots to trust for this bank (a
	// private CA, fakebank's); empty trusts the system's roots.
	CAFile string `json:"ca_file,omitempty"`
	// PortalURL is the bank's web site, which diagnosis probes and where
	// the user goes to accept terms or unlock.
	PortalURL string `json:"portal_url,omitempty"`
}

// Connection is one login at one institution, and the accounts it feeds.
// The password is kept sealed; it is never part of a Connection value.
type Connection struct {
	ID            ConnectionID    `json:"id"`
	Name          string          `json:"name"`
	InstitutionID InstitutionID   `json:"institution_id"`
	Profile       Profile         `json:"profile"`
	UserID        string          `json:"user_id"`
	ClientUID     string          `json:"clientuid,omitempty"`
	State         ConnectionState `json:"state"`
	// Reason says why the connection is in its state, in plain words.
	Reason string `json:"reason,omitempty"`
	// NextAttemptAt is when the next automatic sync is due; zero for none.
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	// Verified is true once a sign-on with the current password worked.
	Verified bool `json:"verified"`
	// ActionGen counts the passwords set: what a sync learns is about
	// the generation it started with.
	ActionGen int64     `json:"-"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	// Accounts are the feed accounts the connection fills.
	Accounts []*ConnectionAccount `json:"accounts"`
}

// ConnectionAccount links an account the bank lists for a login to the feed
// account its lines go to. A relinked connection keeps filling the same
// feed account, so its history continues without duplicates.
type ConnectionAccount struct {
	ConnectionID ConnectionID `json:"connection_id"`
	AccountID    AccountID    `json:"account_id"`
	Kind         AccountKind  `json:"kind"`
	BankID       string       `json:"bank_id,omitempty"`
	Number       string       `json:"number"` // ACCTID the bank knows it by
	Type         string       `json:"type,omitempty"`
	Desc         string       `json:"desc,omitempty"`
	Enabled      bool         `json:"enabled"`
}

// SyncCursor is how far an account's feed has been synced: the end of the
// last statement committed, from which the next sync's window starts (less
// an overlap).
type SyncCursor struct {
	AccountID    AccountID `json:"account_id"`
	StatementEnd time.Time `json:"statement_end"`
	LastSuccess  time.Time `json:"last_success"`
	SyncRunID    SyncRunID `json:"sync_run_id"`
}
