package ofx

import (
	"io"
	"slices"
	"strings"

	"github.com/bankfeed/bankfeed"
)

// Handler receives a response while it is read.
type Handler struct {
	// Transaction is called as each transaction closes. t is reused once the
	// call returns: copy what you keep. st is the statement as read so far:
	// its account, currency and Signon are set when the bank sent them before
	// the transaction list, as the specification orders; in out-of-order
	// files they are complete only at StatementEnd.
	Transaction func(st *Statement, t *Transaction) error
	// StatementEnd is called when a statement closes, every field read.
	StatementEnd func(st *Statement) error
}

// Read reads a whole response and keeps each statement's transactions.
func Read(r io.Reader) (*Response, error) { return read(r, Options{}, Handler{}, true) }

// Stream reads a response, handing each transaction to h instead of keeping
// it, so memory stays bounded however large the file. An error returned by h
// stops reading and is returned. A document cut short or hostile returns a
// *SyntaxError: callers must use nothing of it.
func Stream(r io.Reader, opts Options, h Handler) (*Response, error) {
	return read(r, opts, h, false)
}

func read(r io.Reader, opts Options, h Handler, keep bool) (*Response, error) {
	opts = opts.withDefaults()
	w := &warnings{max: opts.MaxWarnings}
	sc := newScanner(r, opts, responseAggregateNames, w)
	p := &respParser{sc: sc, w: w, h: h, keep: keep, opts: opts, resp: &Response{}}
	p.lean = h.Transaction == nil && !keep
	sc.raw = true // values are decoded in leaf, once we know they are wanted
	sc.items = responseListItems
	sc.owners = responseOwners
	hdr, format, err := sc.walk(p)
	if err != nil {
		return nil, err
	}
	p.resp.Header = hdr
	p.resp.Format = format
	p.resp.Version = hdr.Version
	p.resp.Warnings = w.list
	if p.resp.Warnings == nil {
		p.resp.Warnings = []string{}
	}
	p.resp.WarningsDropped = w.dropped
	return p.resp, nil
}

// responseListItems maps each aggregate that repeats in a list to its list,
// so that an item whose end tag was left out ends where the next item of the
// same list begins.
var responseListItems = func() map[string]string {
	m := map[string]string{"STMTTRN": "BANKTRANLIST", "BAL": "BALLIST", "ACCTINFO": "ACCTINFORS"}
	for k := range invTxnKinds {
		m[k] = "INVTRANLIST"
	}
	for k := range positionKinds {
		m[k] = "INVPOSLIST"
	}
	for k := range securityKinds {
		m[k] = "SECLIST"
	}
	return m
}()

// responseOwners maps the parts of a statement that follow its transaction
// list to the aggregates they belong directly under.
var responseOwners = func() map[string][]string {
	stmt := []string{"STMTRS", "CCSTMTRS", "INVSTMTRS"}
	m := map[string][]string{"BALLIST": append(slices.Clone(stmt), "INVBAL")}
	for _, n := range []string{"LEDGERBAL", "AVAILBAL", "INVBAL", "INVPOSLIST", "INV401KBAL", "INVOOLIST", "MKTGINFO"} {
		m[n] = stmt
	}
	return m
}()

// trnrs is an open transaction wrapper (STMTTRNRS, ACCTINFOTRNRS, …).
type trnrs struct {
	wrapper string
	trnuid  string
	status  Status
	stmts   []*Statement
	depth   int
}

// respParser builds a Response from element events. It keeps its own stack of
// known aggregates and one open object of each kind; depths say which
// aggregate closes which object.
type respParser struct {
	sc   *scanner
	w    *warnings
	h    Handler
	keep bool
	// lean: nobody sees transactions, so their text fields are not made
	// into strings; only what counts, sums and warnings need is read.
	lean  bool
	fitid []byte // the current transaction's FITID, for warnings
	opts  Options
	resp  *Response

	stack    []string
	inSonrs  bool
	status   *Status
	scratch  Status
	trnrs    *trnrs
	stmt     *Statement
	stmtAt   int
	txn      Transaction
	txnAt    int
	txnFlags uint8
	pos      Position
	posAt    int
	bal      NamedBalance
	balAt    int
	sec      Security
	secAt    int
	info     AccountInfo
	infoAt   int
	items    int
}

const (
	flagAmountBad uint8 = 1 << iota // an amount was sent but unusable (warned)
	flagDateBad                     // a date was sent but unusable (warned)
)

func (p *respParser) top() string {
	if n := len(p.stack); n > 0 {
		return p.stack[n-1]
	}
	return ""
}

func (p *respParser) countItem() error {
	p.items++
	if p.items > p.opts.MaxItems {
		return p.sc.errorf(p.sc.pos, "more than %d positions, securities or accounts; refused", p.opts.MaxItems)
	}
	return nil
}

func (p *respParser) open(name []byte) error {
	a := responseAggregateNames[string(name)]
	n := a.s
	parent := p.top()
	p.stack = append(p.stack, n)
	depth := len(p.stack)
	switch {
	case n == "STATUS":
		switch {
		case parent == "SONRS":
			p.status = &p.resp.Signon.Status
		case p.trnrs != nil && parent == p.trnrs.wrapper:
			p.status = &p.trnrs.status
		default:
			p.status = &p.scratch
		}
		*p.status = Status{Set: true}
	case n == "SONRS":
		p.inSonrs = true
	case strings.HasSuffix(n, "TRNRS"):
		p.trnrs = &trnrs{wrapper: n, depth: depth}
	case n == "STMTRS" || n == "CCSTMTRS" || n == "INVSTMTRS":
		if p.stmt != nil {
			if err := p.endStatement(); err != nil {
				return err
			}
		}
		if len(p.resp.Statements) >= p.opts.MaxStatements {
			return p.sc.errorf(p.sc.pos, "more than %d statements; refused", p.opts.MaxStatements)
		}
		st := &Statement{Index: len(p.resp.Statements), Kind: bankfeed.KindBank, Signon: &p.resp.Signon, Line: p.sc.tagLine()}
		switch n {
		case "CCSTMTRS":
			st.Kind = bankfeed.KindCreditCard
		case "INVSTMTRS":
			st.Kind = bankfeed.KindInvestment
		}
		if p.trnrs != nil {
			st.TRNUID, st.Status = p.trnrs.trnuid, p.trnrs.status
			p.trnrs.stmts = append(p.trnrs.stmts, st)
		}
		p.resp.Statements = append(p.resp.Statements, st)
		p.stmt, p.stmtAt = st, depth
	case p.stmt != nil && p.txnAt == 0 && (n == "STMTTRN" || invTxnKinds[n] && parent == "INVTRANLIST"):
		p.txn = Transaction{Kind: n, Line: p.sc.tagLine()}
		p.txnAt, p.txnFlags, p.fitid = depth, 0, p.fitid[:0]
	case p.stmt != nil && p.txnAt == 0 && positionKinds[n]:
		p.pos, p.posAt = Position{Kind: n}, depth
	case p.stmt != nil && p.txnAt == 0 && n == "BAL":
		p.bal, p.balAt = NamedBalance{}, depth
	case securityKinds[n]:
		p.sec, p.secAt = Security{Kind: n}, depth
	case n == "ACCTINFO":
		p.info, p.infoAt = AccountInfo{}, depth
	case p.infoAt > 0 && (n == "BANKACCTINFO" || n == "CCACCTINFO" || n == "INVACCTINFO"):
		p.info.Kind = map[string]bankfeed.AccountKind{"BANKACCTINFO": bankfeed.KindBank,
			"CCACCTINFO": bankfeed.KindCreditCard, "INVACCTINFO": bankfeed.KindInvestment}[n]
	case n == "PROFRS":
		p.resp.Profile = &Profile{}
	case parent == "MSGSETLIST" && p.resp.Profile != nil:
		p.resp.Profile.MessageSets = append(p.resp.Profile.MessageSets, n)
	}
	return nil
}

func (p *respParser) close(name []byte) error {
	depth := len(p.stack)
	n := p.top()
	var err error
	switch {
	case depth == p.txnAt:
		err = p.endTransaction()
	case depth == p.posAt:
		p.posAt = 0
		if err = p.countItem(); err == nil {
			p.stmt.Positions = append(p.stmt.Positions, p.pos)
		}
	case depth == p.balAt:
		p.balAt = 0
		if err = p.countItem(); err == nil {
			p.stmt.Balances = append(p.stmt.Balances, p.bal)
		}
	case depth == p.secAt:
		p.secAt = 0
		if err = p.countItem(); err == nil {
			p.resp.Securities = append(p.resp.Securities, p.sec)
		}
	case depth == p.infoAt:
		p.infoAt = 0
		if err = p.countItem(); err == nil {
			p.resp.AccountInfo = append(p.resp.AccountInfo, p.info)
		}
	case depth == p.stmtAt:
		err = p.endStatement()
	case p.trnrs != nil && depth == p.trnrs.depth:
		t := p.trnrs
		for _, st := range t.stmts {
			st.TRNUID, st.Status = t.trnuid, t.status
		}
		p.resp.TxStatuses = append(p.resp.TxStatuses, TxStatus{Wrapper: t.wrapper, TRNUID: t.trnuid, Status: t.status})
		p.trnrs = nil
	case n == "STATUS":
		p.status = nil
	case n == "SONRS":
		p.inSonrs = false
	}
	p.stack = p.stack[:depth-1]
	return err
}

var (
	stmttrnTag  = []byte("<STMTTRN>")
	tranListEnd = []byte("</BANKTRANLIST>")
)

func (p *respParser) endTransaction() error {
	t, st := &p.txn, p.stmt
	p.txnAt = 0
	if noCashKinds[t.Kind] && !t.AmountSet {
		t.Amount, t.AmountSet = bankfeed.Decimal{}, true
	}
	if !t.AmountSet && p.txnFlags&flagAmountBad == 0 {
		field := "TRNAMT"
		if t.Kind != "STMTTRN" && t.Kind != "INVBANKTRAN" {
			field = "TOTAL"
		}
		p.w.add(t.Line, "<%s> %s has no %s: no usable amount", t.Kind, p.describe(), field)
	}
	if !t.Posted.Valid && p.txnFlags&flagDateBad == 0 {
		p.w.add(t.Line, "<%s> %s has no posting date: no usable date", t.Kind, p.describe())
	}
	if len(p.fitid) == 0 {
		p.w.add(t.Line, "<%s> has no FITID", t.Kind)
	}
	st.Count++
	if t.AmountSet {
		st.Sum = st.Sum.Add(t.Amount)
	}
	if p.h.Transaction != nil {
		if err := p.h.Transaction(st, t); err != nil {
			return err
		}
	}
	if p.keep {
		if st.Transactions == nil && t.Kind == "STMTTRN" {
			// The list's length, when the rest of the input is at hand,
			// so that it is not grown one doubling at a time.
			st.Transactions = make([]Transaction, 0, 1+p.sc.countAhead(stmttrnTag, tranListEnd))
		}
		st.Transactions = append(st.Transactions, *t)
	}
	return nil
}

func (p *respParser) describe() string {
	if len(p.fitid) > 0 {
		return "FITID " + string(p.fitid)
	}
	return "without FITID"
}

func (p *respParser) endStatement() error {
	st := p.stmt
	// Whatever of the statement is still open ends with it (a statement
	// nested inside another, in a broken file, ends the outer one).
	p.stmt, p.stmtAt, p.txnAt, p.posAt, p.balAt = nil, 0, 0, 0, 0
	if st.Account.AcctID == "" {
		p.w.add(st.Line, "statement %d has no account id (ACCTID)", st.Index)
	}
	if p.h.StatementEnd != nil {
		return p.h.StatementEnd(st)
	}
	return nil
}

func (p *respParser) leaf(name, value []byte) error {
	if p.txnAt > 0 && p.lean {
		switch string(name) {
		case "DTPOSTED", "DTTRADE", "DTUSER", "DTAVAIL", "DTSETTLE", "TRNAMT", "TOTAL", "FITID":
			// what counts and sums need, and every field that can warn
		default:
			p.sc.text.note(value) // same charset warnings as a full read
			return nil
		}
	}
	value = p.sc.text.decode(value)
	if p.status != nil && p.top() == "STATUS" {
		switch string(name) {
		case "CODE":
			code, ok := atoi(value)
			if !ok {
				p.w.add(p.sc.tagLine(), "<CODE> %q is not a status code", value)
			}
			p.status.Code = code
		case "SEVERITY":
			p.status.Severity = string(value)
		case "MESSAGE":
			p.status.Message = string(value)
		}
		return nil
	}
	switch {
	case p.txnAt > 0:
		p.txnLeaf(name, value)
	case p.posAt > 0:
		p.posLeaf(name, value)
	case p.balAt > 0:
		p.balLeaf(name, value)
	case p.secAt > 0:
		p.secLeaf(name, value)
	case p.infoAt > 0:
		p.infoLeaf(name, value)
	case p.stmt != nil:
		p.stmtLeaf(name, value)
	case p.inSonrs:
		p.signonLeaf(name, value)
	case p.trnrs != nil && string(name) == "TRNUID":
		p.trnrs.trnuid = string(value)
	case p.resp.Profile != nil:
		switch string(name) {
		case "FINAME":
			p.resp.Profile.FIName = string(value)
		case "URL":
			if p.resp.Profile.URL == "" {
				p.resp.Profile.URL = string(value)
			}
		case "DTPROFUP":
			p.resp.Profile.DTProfUp = p.date(name, value)
		case "CLIENTUIDREQ":
			if len(value) > 0 && (value[0] == 'Y' || value[0] == 'y') {
				p.resp.Profile.ClientUIDRequired = true
			}
		}
	}
	if string(name) == "INTU.BID" && p.resp.Signon.IntuBID == "" {
		p.resp.Signon.IntuBID = string(value)
	}
	return nil
}

func atoi(b []byte) (int, bool) {
	n, neg := 0, false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg, b = b[0] == '-', b[1:]
	}
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// date parses a date leaf, warning when it is unusable.
func (p *respParser) date(name, value []byte) Date {
	d, err := parseDateBytes(value)
	switch {
	case err != nil && d.Valid: // only the zone was unusable
		p.w.add(p.sc.tagLine(), "<%s> %v", name, err)
	case err != nil:
		p.w.add(p.sc.tagLine(), "<%s> %v; the date is not used", name, err)
	}
	return d
}

// amount parses an amount leaf, warning when it is unusable.
func (p *respParser) amount(name, value []byte) (bankfeed.Decimal, bool) {
	if d, err := bankfeed.ParseDecimalBytes(value); err == nil {
		return d, true
	}
	d, err := ParseAmount(string(value))
	if err != nil {
		p.w.add(p.sc.tagLine(), "<%s> %v; the amount is not used", name, err)
		return d, false
	}
	return d, true
}

func (p *respParser) txnLeaf(name, value []byte) {
	t := &p.txn
	switch string(name) {
	case "TRNTYPE":
		t.TrnType = internTrnType(value)
	case "DTPOSTED", "DTTRADE":
		if !t.Posted.Valid {
			t.Posted = p.date(name, value)
			if !t.Posted.Valid {
				p.txnFlags |= flagDateBad
			}
		}
	case "DTUSER":
		t.User = p.date(name, value)
	case "DTAVAIL":
		t.Avail = p.date(name, value)
	case "DTSETTLE":
		t.Settle = p.date(name, value)
	case "TRNAMT", "TOTAL":
		isCash := t.Kind == "STMTTRN" || t.Kind == "INVBANKTRAN"
		if (string(name) == "TRNAMT") != isCash {
			return
		}
		if d, ok := p.amount(name, value); ok {
			t.Amount, t.AmountSet = d, true
		} else {
			p.txnFlags |= flagAmountBad
		}
	case "FITID":
		if len(p.fitid) == 0 {
			p.fitid = append(p.fitid, value...)
			if !p.lean {
				t.FITID = string(value)
			}
		}
	case "SRVRTID":
		t.SrvrTID = string(value)
	case "CORRECTFITID":
		t.CorrectFITID = string(value)
	case "CORRECTACTION":
		t.CorrectAction = string(value)
	case "NAME":
		if p.top() == "PAYEE" {
			t.Payee = string(value)
		} else {
			t.Name = string(value)
		}
	case "PAYEE":
		t.Payee = string(value)
	case "MEMO":
		t.Memo = string(value)
	case "CHECKNUM":
		t.CheckNum = string(value)
	case "REFNUM":
		t.RefNum = string(value)
	case "SIC":
		t.SIC = string(value)
	case "PAYEEID":
		t.PayeeID = string(value)
	case "CURSYM":
		t.Currency = string(value)
	case "UNIQUEID":
		t.SecID.UniqueID = string(value)
	case "UNIQUEIDTYPE":
		t.SecID.UniqueIDType = string(value)
	case "UNITS":
		t.Units = string(value)
	case "UNITPRICE":
		t.UnitPrice = string(value)
	case "COMMISSION":
		t.Commission = string(value)
	case "FEES":
		t.Fees = string(value)
	case "BUYTYPE", "SELLTYPE", "INCOMETYPE", "OPTBUYTYPE", "OPTSELLTYPE", "OPTACTION", "TFERACTION", "RELTYPE":
		t.Subtype = string(value)
	case "SUBACCTSEC":
		t.SubAcctSec = string(value)
	case "SUBACCTFUND":
		t.SubAcctFnd = string(value)
	}
}

// internTrnType returns the usual TRNTYPE values without allocating.
func internTrnType(v []byte) string {
	switch string(v) {
	case "CREDIT":
		return "CREDIT"
	case "DEBIT":
		return "DEBIT"
	case "POS":
		return "POS"
	case "CHECK":
		return "CHECK"
	case "PAYMENT":
		return "PAYMENT"
	case "XFER":
		return "XFER"
	case "FEE":
		return "FEE"
	case "INT":
		return "INT"
	case "DEP":
		return "DEP"
	case "ATM":
		return "ATM"
	case "DIRECTDEBIT":
		return "DIRECTDEBIT"
	case "DIRECTDEP":
		return "DIRECTDEP"
	case "OTHER":
		return "OTHER"
	}
	return string(v)
}

func (p *respParser) posLeaf(name, value []byte) {
	ps := &p.pos
	switch string(name) {
	case "UNIQUEID":
		ps.SecID.UniqueID = string(value)
	case "UNIQUEIDTYPE":
		ps.SecID.UniqueIDType = string(value)
	case "HELDINACCT":
		ps.HeldInAcct = string(value)
	case "POSTYPE":
		ps.PosType = string(value)
	case "UNITS":
		ps.Units = string(value)
	case "UNITPRICE":
		ps.UnitPrice = string(value)
	case "MKTVAL":
		ps.MktVal = string(value)
	case "DTPRICEASOF":
		ps.DTPriceAsOf = p.date(name, value)
	case "MEMO":
		ps.Memo = string(value)
	}
}

func (p *respParser) balLeaf(name, value []byte) {
	b := &p.bal
	switch string(name) {
	case "NAME":
		b.Name = string(value)
	case "DESC":
		b.Desc = string(value)
	case "BALTYPE":
		b.BalType = string(value)
	case "VALUE":
		b.Value = string(value)
	case "DTASOF":
		b.AsOf = p.date(name, value)
	}
}

func (p *respParser) secLeaf(name, value []byte) {
	switch string(name) {
	case "UNIQUEID":
		p.sec.SecID.UniqueID = string(value)
	case "UNIQUEIDTYPE":
		p.sec.SecID.UniqueIDType = string(value)
	case "SECNAME":
		p.sec.Name = string(value)
	case "TICKER":
		p.sec.Ticker = string(value)
	}
}

func (p *respParser) infoLeaf(name, value []byte) {
	in := &p.info
	if accountLeaf(&in.Account, name, value) {
		return
	}
	switch string(name) {
	case "DESC":
		in.Desc = string(value)
	case "PHONE":
		in.Phone = string(value)
	case "SUPTXDL":
		in.SupTxDl = yes(value)
	case "XFERSRC":
		in.XferSrc = yes(value)
	case "XFERDEST":
		in.XferDest = yes(value)
	case "SVCSTATUS":
		in.SvcStatus = string(value)
	}
}

func yes(v []byte) bool { return len(v) > 0 && (v[0] == 'Y' || v[0] == 'y') }

// accountLeaf sets a field of an account aggregate and reports whether name
// was one.
func accountLeaf(a *AccountRef, name, value []byte) bool {
	switch string(name) {
	case "BANKID":
		a.BankID = string(value)
	case "BRANCHID":
		a.BranchID = string(value)
	case "BROKERID":
		a.BrokerID = string(value)
	case "ACCTID":
		a.AcctID = string(value)
	case "ACCTTYPE":
		a.AcctType = string(value)
	case "ACCTKEY":
		a.AcctKey = string(value)
	default:
		return false
	}
	return true
}

func (p *respParser) stmtLeaf(name, value []byte) {
	st := p.stmt
	switch top := p.top(); top {
	case "BANKACCTFROM", "CCACCTFROM", "INVACCTFROM":
		accountLeaf(&st.Account, name, value)
	case "BANKACCTTO", "CCACCTTO", "INVACCTTO":
	case "LEDGERBAL", "AVAILBAL":
		b := &st.Ledger
		if top == "AVAILBAL" {
			b = &st.Available
		}
		switch string(name) {
		case "BALAMT":
			b.Amount, b.Set = p.amount(name, value)
		case "DTASOF":
			b.AsOf = p.date(name, value)
		}
	case "INVBAL":
		var b *Balance
		switch string(name) {
		case "AVAILCASH":
			b = &st.Ledger
		case "MARGINBALANCE":
			b = &st.MarginBalance
		case "SHORTBALANCE":
			b = &st.ShortBalance
		case "BUYPOWER":
			b = &st.BuyPower
		default:
			return
		}
		b.Amount, b.Set = p.amount(name, value)
		b.AsOf = st.AsOf
	case "BANKTRANLIST", "INVTRANLIST":
		switch string(name) {
		case "DTSTART":
			st.Start = p.date(name, value)
		case "DTEND":
			st.End = p.date(name, value)
		}
	default:
		switch string(name) {
		case "CURDEF":
			st.Currency = string(value)
		case "DTASOF":
			st.AsOf = p.date(name, value)
		default:
			// Account fields outside their aggregate, as some banks send them.
			if top == "STMTRS" || top == "CCSTMTRS" || top == "INVSTMTRS" {
				if string(name) != "ACCTID" || st.Account.AcctID == "" {
					accountLeaf(&st.Account, name, value)
				}
			}
		}
	}
}

func (p *respParser) signonLeaf(name, value []byte) {
	so := &p.resp.Signon
	switch string(name) {
	case "DTSERVER":
		so.DTServer = p.date(name, value)
	case "LANGUAGE":
		so.Language = string(value)
	case "ORG":
		so.Org = string(value)
	case "FID":
		so.FID = string(value)
	case "INTU.BID":
		so.IntuBID = string(value)
	case "INTU.USERID":
		so.IntuUserID = string(value)
	case "SESSCOOKIE":
		so.SessCookie = string(value)
	case "ACCESSKEY":
		so.AccessKey = string(value)
	}
}
