package ofx

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"time"

	"github.com/bankfeed/bankfeed"
)

// msgSet is a message set, numbered in the order OFX requires them.
type msgSet int

const (
	setSignon msgSet = iota
	setSignup
	setBank
	setCreditCard
	setProfile
)

// responseSetNames and requestSetNames name each message set's aggregate.
var (
	responseSetNames = [...]string{"SIGNONMSGSRSV1", "SIGNUPMSGSRSV1", "BANKMSGSRSV1", "CREDITCARDMSGSRSV1", "PROFMSGSRSV1"}
	requestSetNames  = [...]string{"SIGNONMSGSRQV1", "SIGNUPMSGSRQV1", "BANKMSGSRQV1", "CREDITCARDMSGSRQV1", "PROFMSGSRQV1"}
)

// statementForm is how one kind of statement is spelled.
type statementForm struct {
	set                    msgSet
	trnrs, rs, trnrq, rq   string
	acctFrom, acctInfoName string
}

var statementForms = map[bankfeed.AccountKind]statementForm{
	bankfeed.KindBank: {set: setBank, trnrs: "STMTTRNRS", rs: "STMTRS", trnrq: "STMTTRNRQ", rq: "STMTRQ",
		acctFrom: "BANKACCTFROM", acctInfoName: "BANKACCTINFO"},
	bankfeed.KindCreditCard: {set: setCreditCard, trnrs: "CCSTMTTRNRS", rs: "CCSTMTRS", trnrq: "CCSTMTTRNRQ", rq: "CCSTMTRQ",
		acctFrom: "CCACCTFROM", acctInfoName: "CCACCTINFO"},
}

// writtenKinds are the statement kinds the writer knows, in message-set order.
var writtenKinds = []bankfeed.AccountKind{bankfeed.KindBank, bankfeed.KindCreditCard}

// formOf returns the spelling of a bank or credit-card statement.
func formOf(kind bankfeed.AccountKind) (statementForm, error) {
	f, ok := statementForms[kind]
	if !ok {
		return f, fmt.Errorf("kind %q: only bank and creditcard are written", kind)
	}
	return f, nil
}

// ResponseWriter writes an OFX response document piece by piece, so a
// statement of any size streams through a bufio.Writer without being held.
// Call Signon first, then the message sets in OFX order (AccountInfo,
// statements of bank accounts, of cards, Profile), then Close. A call that
// fails before writing anything leaves the document as it was; a failure
// after (a bad transaction in mid-stream, an I/O error) is returned by every
// later call, and what was written must be thrown away.
type ResponseWriter struct {
	d          *docWriter
	set        msgSet // the open message set, once signed on
	signedOn   bool
	closed     bool
	statements int
	err        error
}

// NewResponseWriter writes the header of a response document to w.
func NewResponseWriter(w io.Writer, opts WriteOptions) (*ResponseWriter, error) {
	return newResponseWriter(w, opts, "")
}

func newResponseWriter(w io.Writer, opts WriteOptions, docVersion string) (*ResponseWriter, error) {
	d, err := newDocWriter(w, opts, docVersion)
	if err != nil {
		return nil, err
	}
	return &ResponseWriter{d: d}, nil
}

// ready checks that a message may be written now.
func (w *ResponseWriter) ready() error {
	switch {
	case w.err != nil:
		return w.err
	case w.closed:
		return fmt.Errorf("write response: %w: already closed", ErrWriteOrder)
	case !w.signedOn:
		return fmt.Errorf("write response: %w: Signon comes first", ErrWriteOrder)
	}
	return nil
}

// enter opens message set s, closing the one before it.
func (w *ResponseWriter) enter(s msgSet) error {
	if s < w.set {
		return fmt.Errorf("write response: %w: %s after %s", ErrWriteOrder, responseSetNames[s], responseSetNames[w.set])
	}
	if s > w.set {
		w.d.close(responseSetNames[w.set])
		w.d.open(responseSetNames[s])
		w.set = s
	}
	return nil
}

// written returns the writer's error after output, keeping it.
func (w *ResponseWriter) written(err error) error {
	if err == nil {
		err = w.d.err
	}
	if err != nil {
		w.err = err
	}
	return err
}

// Signon writes <OFX> and the sign-on response. DTServer is required;
// Language defaults to ENG.
func (w *ResponseWriter) Signon(s Signon) error {
	if w.err != nil {
		return w.err
	}
	if w.signedOn {
		return fmt.Errorf("write signon: %w: already written", ErrWriteOrder)
	}
	var errs []error
	if !s.DTServer.Valid {
		errs = append(errs, errors.New("no DTSERVER"))
	}
	if err := checkFI(s.Org, s.FID); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("write signon: %w", err)
	}
	d := w.d
	d.open("OFX")
	d.open(responseSetNames[setSignon])
	w.set, w.signedOn = setSignon, true
	d.open("SONRS")
	d.status(s.Status)
	d.date("DTSERVER", s.DTServer)
	d.leaf("LANGUAGE", orDefault(s.Language, "ENG"))
	writeFI(d, s.Org, s.FID)
	d.opt("SESSCOOKIE", s.SessCookie)
	d.opt("ACCESSKEY", s.AccessKey)
	// Intuit's extensions go last, where Quicken and QuickBooks expect them.
	d.opt("INTU.BID", s.IntuBID)
	d.opt("INTU.USERID", s.IntuUserID)
	d.close("SONRS")
	return w.written(nil)
}

// AccountInfoResponse is an account-information response (ACCTINFOTRNRS).
// When Status is not a success, no ACCTINFORS is written.
type AccountInfoResponse struct {
	TRNUID   string // "0" when empty
	Status   Status
	DTAcctUp time.Time
	Accounts []AccountInfo // bank and credit-card accounts
}

// AccountInfo writes an account-information response. Each account needs
// its kind and account id (and bank id and type for a bank account);
// SvcStatus defaults to ACTIVE.
func (w *ResponseWriter) AccountInfo(a AccountInfoResponse) error {
	if err := w.ready(); err != nil {
		return err
	}
	body := a.Status.OK()
	var errs []error
	if body && a.DTAcctUp.IsZero() {
		errs = append(errs, errors.New("no DTACCTUP"))
	}
	for i, ai := range a.Accounts {
		if _, err := formOf(ai.Kind); err != nil {
			errs = append(errs, fmt.Errorf("account %d: %w", i+1, err))
			continue
		}
		if err := checkAccount(ai.Kind, ai.Account); err != nil {
			errs = append(errs, fmt.Errorf("account %d: %w", i+1, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("write account info: %w", err)
	}
	if err := w.enter(setSignup); err != nil {
		return err
	}
	d := w.d
	d.openTRNRS("ACCTINFOTRNRS", a.TRNUID, a.Status)
	if body {
		d.open("ACCTINFORS")
		d.instant("DTACCTUP", a.DTAcctUp)
		for _, ai := range a.Accounts {
			form, _ := formOf(ai.Kind)
			d.open("ACCTINFO")
			d.opt("DESC", ai.Desc)
			d.opt("PHONE", ai.Phone)
			d.open(form.acctInfoName)
			writeAccount(d, form.acctFrom, ai.Account)
			d.flag("SUPTXDL", ai.SupTxDl)
			d.flag("XFERSRC", ai.XferSrc)
			d.flag("XFERDEST", ai.XferDest)
			d.leaf("SVCSTATUS", orDefault(ai.SvcStatus, "ACTIVE"))
			d.close(form.acctInfoName)
			d.close("ACCTINFO")
		}
		d.close("ACCTINFORS")
	}
	d.close("ACCTINFOTRNRS")
	return w.written(nil)
}

// Statement writes a bank or credit-card statement (STMTTRNRS/STMTRS or
// CCSTMTTRNRS/CCSTMTRS) with st.Status as the STATUS of its wrapper. The
// transactions come from txns, read once and never held, or from
// st.Transactions when txns is nil. CURDEF, the account, LEDGERBAL and, when
// there is a transaction list, DTSTART and DTEND are required. Each
// transaction needs TRNTYPE, DTPOSTED, TRNAMT and FITID; a transaction
// without them stops the document with an error naming it.
//
// A transaction's Currency is not written: OFX requires an exchange rate
// with it, which the model does not keep, and a made-up rate would be wrong
// data.
func (w *ResponseWriter) Statement(st *Statement, txns iter.Seq[Transaction]) error {
	if err := w.ready(); err != nil {
		return err
	}
	w.statements++
	form, err := formOf(st.Kind)
	if err == nil {
		err = checkStatement(st, txns != nil)
	}
	if err != nil {
		return fmt.Errorf("write statement %d: %w", w.statements, err)
	}
	if err := w.enter(form.set); err != nil {
		return err
	}
	d := w.d
	d.openTRNRS(form.trnrs, st.TRNUID, st.Status)
	d.open(form.rs)
	d.leaf("CURDEF", st.Currency)
	writeAccount(d, form.acctFrom, st.Account)
	if hasTranList(st, txns != nil) {
		if txns == nil {
			txns = slices.Values(st.Transactions)
		}
		d.open("BANKTRANLIST")
		d.date("DTSTART", st.Start)
		d.date("DTEND", st.End)
		n := 0
		for t := range txns {
			n++
			if err := checkTransaction(&t); err != nil {
				return w.written(fmt.Errorf("write statement %d: transaction %d (FITID %q): %w", w.statements, n, t.FITID, err))
			}
			writeTransaction(d, &t)
			if d.err != nil {
				break
			}
		}
		d.close("BANKTRANLIST")
	}
	writeBalance(d, "LEDGERBAL", st.Ledger)
	if st.Available.Set {
		writeBalance(d, "AVAILBAL", st.Available)
	}
	d.close(form.rs)
	d.close(form.trnrs)
	return w.written(nil)
}

// StatementError writes a statement wrapper (STMTTRNRS or CCSTMTTRNRS) that
// carries only a STATUS: how a bank answers a statement request it cannot
// serve (2000 general error, 2003 account not found, 15500 bad password, …).
func (w *ResponseWriter) StatementError(kind bankfeed.AccountKind, trnuid string, s Status) error {
	if err := w.ready(); err != nil {
		return err
	}
	form, err := formOf(kind)
	if err != nil {
		return fmt.Errorf("write statement error: %w", err)
	}
	if err := w.enter(form.set); err != nil {
		return err
	}
	w.d.openTRNRS(form.trnrs, trnuid, s)
	w.d.close(form.trnrs)
	return w.written(nil)
}

// Close ends the open message set and the document, and flushes.
func (w *ResponseWriter) Close() error {
	if err := w.ready(); err != nil {
		return err
	}
	w.d.close(responseSetNames[w.set])
	w.d.close("OFX")
	w.closed = true
	return w.written(w.d.flush())
}

// hasTranList reports whether a statement gets a BANKTRANLIST.
func hasTranList(st *Statement, streamed bool) bool {
	return streamed || len(st.Transactions) > 0 || st.Start.Valid || st.End.Valid
}

// checkStatement gathers what a statement lacks.
func checkStatement(st *Statement, streamed bool) error {
	var errs []error
	if blankValue(st.Currency) {
		errs = append(errs, errors.New("no CURDEF"))
	}
	if err := checkAccount(st.Kind, st.Account); err != nil {
		errs = append(errs, err)
	}
	if hasTranList(st, streamed) && !(st.Start.Valid && st.End.Valid) {
		errs = append(errs, errors.New("a transaction list needs DTSTART and DTEND"))
	}
	if !st.Ledger.Set || !st.Ledger.AsOf.Valid {
		errs = append(errs, errors.New("no LEDGERBAL with BALAMT and DTASOF"))
	}
	if st.Available.Set && !st.Available.AsOf.Valid {
		errs = append(errs, errors.New("AVAILBAL without DTASOF"))
	}
	return errors.Join(errs...)
}

// checkAccount gathers what an account reference lacks.
func checkAccount(kind bankfeed.AccountKind, a AccountRef) error {
	var errs []error
	if blankValue(a.AcctID) {
		errs = append(errs, errors.New("no ACCTID"))
	}
	if kind == bankfeed.KindBank {
		if blankValue(a.BankID) {
			errs = append(errs, errors.New("no BANKID"))
		}
		if blankValue(a.AcctType) {
			errs = append(errs, errors.New("no ACCTTYPE"))
		}
	}
	return errors.Join(errs...)
}

// checkTransaction gathers what a STMTTRN lacks.
func checkTransaction(t *Transaction) error {
	var errs []error
	if t.Kind != "" && t.Kind != "STMTTRN" {
		errs = append(errs, fmt.Errorf("kind %s: only STMTTRN is written", t.Kind))
	}
	if blankValue(t.TrnType) {
		errs = append(errs, errors.New("no TRNTYPE"))
	}
	if !t.Posted.Valid {
		errs = append(errs, errors.New("no DTPOSTED"))
	}
	if !t.AmountSet {
		errs = append(errs, errors.New("no TRNAMT"))
	}
	if blankValue(t.FITID) {
		errs = append(errs, errors.New("no FITID"))
	}
	if blankValue(t.CorrectFITID) != blankValue(t.CorrectAction) {
		errs = append(errs, errors.New("CORRECTFITID and CORRECTACTION go together"))
	}
	return errors.Join(errs...)
}

// openTRNRS opens a transaction wrapper and writes its TRNUID ("0" when
// empty) and STATUS.
func (d *docWriter) openTRNRS(name, trnuid string, s Status) {
	d.open(name)
	d.leaf("TRNUID", orDefault(trnuid, "0"))
	d.status(s)
}

// writeFI writes the FI aggregate of a sign-on, when there is an ORG.
func writeFI(d *docWriter, org, fid string) {
	if !blankValue(org) {
		d.open("FI")
		d.leaf("ORG", org)
		d.opt("FID", fid)
		d.close("FI")
	}
}

// checkFI reports an FI that would lack its required ORG.
func checkFI(org, fid string) error {
	if blankValue(org) && !blankValue(fid) {
		return errors.New("FID without ORG")
	}
	return nil
}

// writeAccount writes BANKACCTFROM or CCACCTFROM.
func writeAccount(d *docWriter, name string, a AccountRef) {
	d.open(name)
	if name == "BANKACCTFROM" {
		d.leaf("BANKID", a.BankID)
		d.opt("BRANCHID", a.BranchID)
		d.leaf("ACCTID", a.AcctID)
		d.leaf("ACCTTYPE", a.AcctType)
	} else {
		d.leaf("ACCTID", a.AcctID)
	}
	d.opt("ACCTKEY", a.AcctKey)
	d.close(name)
}

// writeTransaction writes a STMTTRN in the order of the OFX 2.1.1 schema.
func writeTransaction(d *docWriter, t *Transaction) {
	d.open("STMTTRN")
	d.leaf("TRNTYPE", t.TrnType)
	d.date("DTPOSTED", t.Posted)
	d.optDate("DTUSER", t.User)
	d.optDate("DTAVAIL", t.Avail)
	d.leaf("TRNAMT", t.Amount.String())
	d.leaf("FITID", t.FITID)
	d.opt("CORRECTFITID", t.CorrectFITID)
	d.opt("CORRECTACTION", t.CorrectAction)
	d.opt("SRVRTID", t.SrvrTID)
	d.opt("CHECKNUM", t.CheckNum)
	d.opt("REFNUM", t.RefNum)
	d.opt("SIC", t.SIC)
	d.opt("PAYEEID", t.PayeeID)
	d.opt("NAME", t.Name)
	d.opt("MEMO", t.Memo)
	d.close("STMTTRN")
}

// writeBalance writes LEDGERBAL or AVAILBAL.
func writeBalance(d *docWriter, name string, b Balance) {
	d.open(name)
	d.leaf("BALAMT", b.Amount.String())
	d.date("DTASOF", b.AsOf)
	d.close(name)
}

// orDefault returns s, or def when s is blank.
func orDefault(s, def string) string {
	if blankValue(s) {
		return def
	}
	return s
}

// WriteResponse writes r in full: its sign-on, account information,
// statements with their transactions, and the bare wrappers of its failed
// statement and profile requests (a TxStatus that no statement answers).
// The version is opts.Version, else r.Version, else 102. DTACCTUP is the
// sign-on's DTSERVER, as the model keeps no other. A profile cannot be
// written from a Response, which lacks the address OFX requires; use
// ResponseWriter.Profile.
func WriteResponse(w io.Writer, r *Response, opts WriteOptions) error {
	if r.Profile != nil {
		return errors.New("write response: a profile needs an address the Response lacks: use ResponseWriter.Profile")
	}
	for i, st := range r.Statements {
		if _, err := formOf(st.Kind); err != nil {
			return fmt.Errorf("write response: statement %d: %w", i+1, err)
		}
	}
	rw, err := newResponseWriter(w, opts, r.Version)
	if err != nil {
		return err
	}
	if err := rw.Signon(r.Signon); err != nil {
		return err
	}
	acct := AccountInfoResponse{DTAcctUp: r.Signon.DTServer.Time, Accounts: r.AccountInfo}
	hasAcct := len(r.AccountInfo) > 0
	for _, ts := range r.TxStatuses {
		if ts.Wrapper == "ACCTINFOTRNRS" {
			acct.TRNUID, acct.Status, hasAcct = ts.TRNUID, ts.Status, true
			break
		}
	}
	if hasAcct {
		if err := rw.AccountInfo(acct); err != nil {
			return err
		}
	}
	for _, kind := range writtenKinds {
		if err := writeStatements(rw, r, kind); err != nil {
			return err
		}
	}
	for _, ts := range r.TxStatuses {
		if ts.Wrapper == "PROFTRNRS" {
			if err := rw.Profile(ProfileResponse{TRNUID: ts.TRNUID, Status: ts.Status}); err != nil {
				return err
			}
		}
	}
	return rw.Close()
}

// writeStatements writes r's statements of one kind in the order of its
// TxStatuses: each wrapper is the next statement with its TRNUID, or a bare
// status when none is left; statements no TxStatus names follow.
func writeStatements(rw *ResponseWriter, r *Response, kind bankfeed.AccountKind) error {
	form := statementForms[kind]
	var stmts []*Statement
	for _, st := range r.Statements {
		if st.Kind == kind {
			stmts = append(stmts, st)
		}
	}
	used := make([]bool, len(stmts))
	for _, ts := range r.TxStatuses {
		if ts.Wrapper != form.trnrs {
			continue
		}
		i := -1
		for k, st := range stmts {
			if !used[k] && st.TRNUID == ts.TRNUID {
				i = k
				break
			}
		}
		if i < 0 {
			if err := rw.StatementError(kind, ts.TRNUID, ts.Status); err != nil {
				return err
			}
			continue
		}
		used[i] = true
		if err := rw.Statement(stmts[i], nil); err != nil {
			return err
		}
	}
	for i, st := range stmts {
		if !used[i] {
			if err := rw.Statement(st, nil); err != nil {
				return err
			}
		}
	}
	return nil
}
