package ofx

import (
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/secret"
)

// Request is an OFX request document: a sign-on and the requests it carries.
// Direct Connect writes it (WriteRequest); the fakebank simulator reads it
// (ReadRequest).
type Request struct {
	// Format, Version and Header are what ReadRequest found. WriteRequest
	// writes Version when its options name none.
	Format  string `json:"format,omitempty"`
	Version string `json:"version,omitempty"`
	Header  Header `json:"header"`

	Signon      SignonRequest       `json:"signon"`
	AccountInfo *AccountInfoRequest `json:"account_info,omitempty"` // ACCTINFOTRNRQ
	Statements  []StatementRequest  `json:"statements,omitempty"`   // STMTTRNRQ, CCSTMTTRNRQ
	Profile     *ProfileRequest     `json:"profile,omitempty"`      // PROFTRNRQ

	// Warnings name each field ReadRequest could not use.
	Warnings []string `json:"warnings,omitempty"`
}

// SignonRequest is the sign-on request (SONRQ).
type SignonRequest struct {
	DTClient   time.Time `json:"dtclient"`
	UserID     string    `json:"userid"`
	UserPass   Password  `json:"userpass"`
	Language   string    `json:"language,omitempty"` // ENG when empty
	Org        string    `json:"org,omitempty"`      // FI/ORG
	FID        string    `json:"fid,omitempty"`      // FI/FID
	SessCookie string    `json:"sesscookie,omitempty"`
	AppID      string    `json:"appid"`  // QWIN, QBW, …
	AppVer     string    `json:"appver"` // 1400, 2500, …
	ClientUID  string    `json:"clientuid,omitempty"`
}

// AccountInfoRequest asks for the list of accounts (ACCTINFOTRNRQ/ACCTINFORQ).
type AccountInfoRequest struct {
	TRNUID string `json:"trnuid"`
	// DTAcctUp is the time of the client's last list; zero is written as
	// 19700101 ("send everything").
	DTAcctUp time.Time `json:"dtacctup"`
}

// StatementRequest asks for a bank (STMTTRNRQ/STMTRQ) or credit-card
// (CCSTMTTRNRQ/CCSTMTRQ) statement.
type StatementRequest struct {
	TRNUID  string               `json:"trnuid"`
	Kind    bankfeed.AccountKind `json:"kind"` // bank or creditcard
	Account AccountRef           `json:"account"`
	// Start and End bound the transactions asked for; zero means omitted.
	Start time.Time `json:"dtstart"`
	End   time.Time `json:"dtend"`
	// Include asks for transactions (INCTRAN/INCLUDE Y). INCTRAN is written
	// when Include is set or a bound is given, so a request with neither asks
	// for balances only.
	Include bool `json:"include"`
}

// ProfileRequest asks for the institution's profile (PROFTRNRQ/PROFRQ).
type ProfileRequest struct {
	TRNUID        string `json:"trnuid"`
	ClientRouting string `json:"clientrouting,omitempty"` // NONE, SERVICE, MSGSET; NONE when empty
	// DTProfUp is the time of the client's last profile; zero is written as
	// 19700101.
	DTProfUp time.Time `json:"dtprofup"`
}

// Password is a secret that never prints itself (fmt, log/slog,
// encoding/json and text encoders all see "[redacted]"); Reveal returns it,
// for the one place that must send it.
type Password = secret.String
