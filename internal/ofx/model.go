package ofx

import (
	"github.com/bankfeed/bankfeed"
)

// Formats of an OFX document, as reported by Response.Format.
const (
	FormatSGML = "ofx-sgml" // OFX 1.x: SGML header, leaf elements often unclosed
	FormatXML  = "ofx-xml"  // OFX 2.x: XML declaration and <?OFX?> header
)

// Outcomes of reading a response, as reported by Response.Outcome.
const (
	OutcomeStatements    = "statements"     // at least one statement
	OutcomeErrorResponse = "error_response" // a non-zero STATUS left no statement
	OutcomeNoStatements  = "no_statements"  // profile, account list or empty response
)

// Status is an OFX STATUS aggregate. Set is false when the aggregate was absent.
type Status struct {
	Set      bool   `json:"-"`
	Code     int    `json:"code"`
	Severity string `json:"severity,omitempty"` // INFO, WARN, ERROR
	Message  string `json:"message,omitempty"`
}

// OK reports whether the status is absent or code 0 (success). Code 1 (client
// up-to-date) also counts as success.
func (s Status) OK() bool { return !s.Set || s.Code == 0 || s.Code == 1 }

// Header holds the fields of an OFX 1.x header or the XML declaration and
// <?OFX?> processing instruction of OFX 2.x. Missing fields are "".
type Header struct {
	OFXHeader   string `json:"ofxheader,omitempty"` // "100" or "200"
	Data        string `json:"data,omitempty"`      // OFXSGML
	Version     string `json:"version,omitempty"`   // 102, 103, 151, 160, 200, 211, …
	Security    string `json:"security,omitempty"`
	Encoding    string `json:"encoding,omitempty"` // USASCII, UTF-8, or the XML encoding
	Charset     string `json:"charset,omitempty"`  // 1252, ISO-8859-1, NONE
	Compression string `json:"compression,omitempty"`
	OldFileUID  string `json:"oldfileuid,omitempty"`
	NewFileUID  string `json:"newfileuid,omitempty"`
}

// Signon is the sign-on response (SONRS).
type Signon struct {
	Status     Status `json:"status"`
	DTServer   Date   `json:"dtserver"`
	Language   string `json:"language,omitempty"`
	Org        string `json:"org,omitempty"` // FI/ORG
	FID        string `json:"fid,omitempty"` // FI/FID
	IntuBID    string `json:"intu_bid,omitempty"`
	IntuUserID string `json:"intu_userid,omitempty"`
	SessCookie string `json:"sesscookie,omitempty"`
	AccessKey  string `json:"accesskey,omitempty"`
}

// AccountRef identifies an account: BANKACCTFROM, CCACCTFROM or INVACCTFROM.
type AccountRef struct {
	BankID   string `json:"bank_id,omitempty"`
	BranchID string `json:"branch_id,omitempty"`
	BrokerID string `json:"broker_id,omitempty"`
	AcctID   string `json:"acct_id"`
	AcctType string `json:"acct_type,omitempty"` // CHECKING, SAVINGS, MONEYMRKT, CREDITLINE, CD
	AcctKey  string `json:"acct_key,omitempty"`
}

// Balance is a LEDGERBAL or AVAILBAL, or a cash balance of an investment
// statement. Set is false when the bank did not send it or sent no usable
// amount.
type Balance struct {
	Set    bool             `json:"-"`
	Amount bankfeed.Decimal `json:"amount"`
	AsOf   Date             `json:"dtasof"`
}

// NamedBalance is a BAL of a BALLIST.
type NamedBalance struct {
	Name    string `json:"name"`
	Desc    string `json:"desc,omitempty"`
	BalType string `json:"baltype,omitempty"`
	Value   string `json:"value"`
	AsOf    Date   `json:"dtasof"`
}

// SecID is a SECID aggregate.
type SecID struct {
	UniqueID     string `json:"uniqueid,omitempty"`
	UniqueIDType string `json:"uniqueidtype,omitempty"`
}

// Transaction is one STMTTRN of a bank or card statement, or one investment
// transaction aggregate (BUYSTOCK, SELLMF, INCOME, INVBANKTRAN, …) of
// INVTRANLIST. Amount is TRNAMT for bank and card lines and for INVBANKTRAN,
// and TOTAL for other investment transactions; AmountSet is false when the bank
// sent none or an unusable one (a warning says which).
type Transaction struct {
	Kind          string           `json:"kind"` // STMTTRN, BUYSTOCK, INVBANKTRAN, …
	TrnType       string           `json:"trntype,omitempty"`
	FITID         string           `json:"fitid"`
	SrvrTID       string           `json:"srvrtid,omitempty"`
	CorrectFITID  string           `json:"correctfitid,omitempty"`
	CorrectAction string           `json:"correctaction,omitempty"`
	Posted        Date             `json:"dtposted"` // DTPOSTED, or DTTRADE for investments
	User          Date             `json:"dtuser"`
	Avail         Date             `json:"dtavail"`
	Settle        Date             `json:"dtsettle"`
	Amount        bankfeed.Decimal `json:"amount"`
	AmountSet     bool             `json:"-"`
	Name          string           `json:"name,omitempty"`
	Memo          string           `json:"memo,omitempty"`
	Payee         string           `json:"payee,omitempty"`
	CheckNum      string           `json:"checknum,omitempty"`
	RefNum        string           `json:"refnum,omitempty"`
	SIC           string           `json:"sic,omitempty"`
	PayeeID       string           `json:"payeeid,omitempty"`
	Currency      string           `json:"currency,omitempty"` // CURRENCY/CURSYM or ORIGCURRENCY/CURSYM
	// Investment fields.
	SecID      SecID  `json:"secid"`
	Units      string `json:"units,omitempty"`
	UnitPrice  string `json:"unitprice,omitempty"`
	Commission string `json:"commission,omitempty"`
	Fees       string `json:"fees,omitempty"`
	Subtype    string `json:"subtype,omitempty"` // BUYTYPE, SELLTYPE, INCOMETYPE, OPTACTION, …
	SubAcctSec string `json:"subacctsec,omitempty"`
	SubAcctFnd string `json:"subacctfund,omitempty"`
	// Line is the line of the file where the transaction starts.
	Line int `json:"line"`
}

// Position is one holding of INVPOSLIST (POSSTOCK, POSMF, POSDEBT, POSOPT,
// POSOTHER).
type Position struct {
	Kind        string `json:"kind"`
	SecID       SecID  `json:"secid"`
	HeldInAcct  string `json:"heldinacct,omitempty"`
	PosType     string `json:"postype,omitempty"`
	Units       string `json:"units"`
	UnitPrice   string `json:"unitprice"`
	MktVal      string `json:"mktval"`
	DTPriceAsOf Date   `json:"dtpriceasof"`
	Memo        string `json:"memo,omitempty"`
}

// Security is a SECINFO of SECLIST.
type Security struct {
	Kind   string `json:"kind"` // STOCKINFO, MFINFO, DEBTINFO, OPTINFO, OTHERINFO
	SecID  SecID  `json:"secid"`
	Name   string `json:"secname"`
	Ticker string `json:"ticker,omitempty"`
}

// Statement is one STMTRS, CCSTMTRS or INVSTMTRS. Count and Sum cover every
// transaction of the statement, usable or not; Transactions is filled only by
// Read (Stream hands transactions to its callback instead).
type Statement struct {
	Index     int                  `json:"index"`
	Kind      bankfeed.AccountKind `json:"kind"`
	TRNUID    string               `json:"trnuid,omitempty"`
	Status    Status               `json:"status"` // STATUS of the enclosing *TRNRS
	Currency  string               `json:"currency"`
	Account   AccountRef           `json:"account"`
	AsOf      Date                 `json:"dtasof"` // investment statements
	Start     Date                 `json:"dtstart"`
	End       Date                 `json:"dtend"`
	Ledger    Balance              `json:"ledgerbal"` // LEDGERBAL, or INVBAL/AVAILCASH
	Available Balance              `json:"availbal"`
	// Investment balances.
	MarginBalance Balance          `json:"marginbalance"`
	ShortBalance  Balance          `json:"shortbalance"`
	BuyPower      Balance          `json:"buypower"`
	Balances      []NamedBalance   `json:"ballist,omitempty"`
	Positions     []Position       `json:"positions,omitempty"`
	Count         int              `json:"count"`
	Sum           bankfeed.Decimal `json:"sum"`
	Transactions  []Transaction    `json:"transactions,omitempty"`
	// Line is the line of the file where the statement starts.
	Line int `json:"line"`
	// Signon is the response's sign-on, for the ORG, FID and INTU.BID that
	// identify the institution.
	Signon *Signon `json:"-"`
}

// AccountInfo is one ACCTINFO of an account-information response.
type AccountInfo struct {
	Kind      bankfeed.AccountKind `json:"kind"`
	Desc      string               `json:"desc,omitempty"`
	Phone     string               `json:"phone,omitempty"`
	Account   AccountRef           `json:"account"`
	SupTxDl   bool                 `json:"suptxdl"`
	XferSrc   bool                 `json:"xfersrc"`
	XferDest  bool                 `json:"xferdest"`
	SvcStatus string               `json:"svcstatus,omitempty"` // AVAIL, PEND, ACTIVE
}

// Profile is what a profile response (PROFRS) says of the institution.
type Profile struct {
	FIName      string   `json:"finame,omitempty"`
	URL         string   `json:"url,omitempty"`
	MessageSets []string `json:"message_sets,omitempty"` // SIGNONMSGSET, BANKMSGSET, …
	DTProfUp    Date     `json:"dtprofup"`
	// ClientUIDRequired is a SIGNONINFO's CLIENTUIDREQ: the institution wants
	// a CLIENTUID registered with it.
	ClientUIDRequired bool `json:"clientuid_required,omitempty"`
}

// TxStatus is the STATUS of one transaction wrapper (*TRNRS) of the response:
// STMTTRNRS, CCSTMTTRNRS, INVSTMTTRNRS, ACCTINFOTRNRS, PROFTRNRS, ….
type TxStatus struct {
	Wrapper string `json:"wrapper"`
	TRNUID  string `json:"trnuid,omitempty"`
	Status  Status `json:"status"`
}

// Response is everything read from one OFX document.
type Response struct {
	Format      string        `json:"format"`
	Version     string        `json:"version"`
	Header      Header        `json:"header"`
	Signon      Signon        `json:"signon"`
	Statements  []*Statement  `json:"statements"`
	AccountInfo []AccountInfo `json:"account_info,omitempty"`
	Profile     *Profile      `json:"profile,omitempty"`
	Securities  []Security    `json:"securities,omitempty"`
	TxStatuses  []TxStatus    `json:"tx_statuses,omitempty"`
	// Warnings name each field that could not be used ("line 12: <TRNAMT> …").
	Warnings []string `json:"warnings"`
	// WarningsDropped counts warnings beyond MaxWarnings, which are not kept.
	WarningsDropped int `json:"warnings_dropped,omitempty"`
}

// Outcome classifies the response: statements, error_response or
// no_statements.
func (r *Response) Outcome() string {
	if len(r.Statements) > 0 {
		return OutcomeStatements
	}
	if !r.Signon.Status.OK() {
		return OutcomeErrorResponse
	}
	for _, s := range r.TxStatuses {
		if !s.Status.OK() {
			return OutcomeErrorResponse
		}
	}
	return OutcomeNoStatements
}
