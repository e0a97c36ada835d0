package export

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

// ConvertOptions shape a converted statement file.
type ConvertOptions struct {
	// QBO writes a QuickBooks Web Connect file: INTU.BID in the sign-on.
	QBO bool
	// IntuBID is the INTU.BID written; else the file's own; else, for a
	// QBO, DefaultIntuBID.
	IntuBID string
	// Now is DTSERVER when the file has none; the current time when zero.
	Now time.Time
}

// ConvertResult counts what a conversion wrote and says what it changed or
// left out.
type ConvertResult struct {
	Statements   int
	Transactions int
	Warnings     []string
}

// Convert writes the bank and card statements of a response read from a
// bank's file as an OFX 1.02 response (a QBO with opts.QBO): the same
// accounts, transactions, FITIDs, dates, amounts and balances. What
// QuickBooks cannot take is left out or filled in, each with a warning:
// investment statements and statements whose status is an error are left
// out, as are transactions without a usable date or amount; a transaction
// without a FITID gets one made of its date, amount and place, the same on
// every conversion of the file; a statement without DTSTART or DTEND gets
// its transactions' first and last dates, and one without LEDGERBAL the sum
// of its transactions.
func Convert(w io.Writer, r *ofx.Response, opts ConvertOptions) (*ConvertResult, error) {
	if opts.IntuBID != "" {
		if err := CheckIntuBID(opts.IntuBID); err != nil {
			return nil, fmt.Errorf("convert: %w", err)
		}
	}
	res := &ConvertResult{Warnings: []string{}}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	signon := ofx.Signon{
		Status:   ofx.Status{Set: true},
		DTServer: r.Signon.DTServer,
		Language: r.Signon.Language,
		Org:      r.Signon.Org,
		FID:      r.Signon.FID,
		IntuBID:  cmp.Or(opts.IntuBID, r.Signon.IntuBID),
	}
	if !signon.DTServer.Valid {
		signon.DTServer = ofx.Date{Time: now, Valid: true, HasTime: true}
	}
	if opts.QBO {
		signon.IntuBID = cmp.Or(signon.IntuBID, DefaultIntuBID)
		signon.Org = cmp.Or(signon.Org, statementOrg)
		signon.FID = cmp.Or(signon.FID, signon.IntuBID)
	} else if signon.Org == "" && signon.FID != "" {
		signon.Org = statementOrg
	}
	var stmts []*ofx.Statement
	for i, st := range r.Statements {
		name := fmt.Sprintf("statement %d (account %s)", i+1, st.Account.AcctID)
		warn := func(format string, args ...any) {
			res.Warnings = append(res.Warnings, name+": "+fmt.Sprintf(format, args...))
		}
		switch {
		case st.Kind != bankfeed.KindBank && st.Kind != bankfeed.KindCreditCard:
			warn("left out: %s statements are not bank or card statements, all a bank download holds", st.Kind)
			continue
		case !st.Status.OK():
			warn("left out: the bank answered status %d %s", st.Status.Code, st.Status.Message)
			continue
		}
		out := convertStatement(st, signon.DTServer, warn)
		stmts = append(stmts, out)
		res.Statements++
		res.Transactions += len(out.Transactions)
	}
	if len(stmts) == 0 {
		return res, errors.New("convert: the file holds no bank or card statement to convert")
	}
	slices.SortStableFunc(stmts, func(x, y *ofx.Statement) int {
		return cmp.Compare(kindOrder(x.Kind), kindOrder(y.Kind))
	})
	if err := WriteStatements(w, signon, stmts); err != nil {
		return res, fmt.Errorf("convert: %w", err)
	}
	return res, nil
}

// convertStatement copies what a statement file must carry, filling in what
// the bank left out.
func convertStatement(st *ofx.Statement, server ofx.Date, warn func(string, ...any)) *ofx.Statement {
	out := &ofx.Statement{
		Kind:      st.Kind,
		TRNUID:    st.TRNUID,
		Status:    ofx.Status{Set: true},
		Currency:  st.Currency,
		Account:   st.Account,
		Start:     st.Start,
		End:       st.End,
		Ledger:    st.Ledger,
		Available: st.Available,
	}
	if out.Currency == "" {
		out.Currency = "USD"
		warn("no CURDEF: wrote USD")
	}
	if out.Kind == bankfeed.KindBank && out.Account.AcctType == "" {
		out.Account.AcctType = "CHECKING"
		warn("no ACCTTYPE: wrote CHECKING")
	}
	var first, last ofx.Date
	var sum bankfeed.Decimal
	for n, t := range st.Transactions {
		switch {
		case t.Kind != "" && t.Kind != "STMTTRN":
			warn("transaction %d left out: a %s", n+1, t.Kind)
			continue
		case !t.Posted.Valid:
			warn("transaction %d (FITID %q) left out: no usable DTPOSTED", n+1, t.FITID)
			continue
		case !t.AmountSet:
			warn("transaction %d (FITID %q) left out: no usable TRNAMT", n+1, t.FITID)
			continue
		}
		c := ofx.Transaction{
			Kind: "STMTTRN", TrnType: t.TrnType, FITID: t.FITID, SrvrTID: t.SrvrTID,
			CorrectFITID: t.CorrectFITID, CorrectAction: t.CorrectAction,
			Posted: t.Posted, User: t.User, Avail: t.Avail, Amount: t.Amount, AmountSet: true,
			Name: t.Name, Memo: t.Memo, CheckNum: t.CheckNum, RefNum: t.RefNum, SIC: t.SIC, PayeeID: t.PayeeID,
		}
		if c.Name == "" && t.Payee != "" {
			c.Name = t.Payee // a PAYEE aggregate's name
		}
		if c.FITID == "" {
			c.FITID = t.Posted.Time.Format("20060102") + "_" + t.Amount.String() + "_" + strconv.Itoa(n+1)
			warn("transaction %d has no FITID: wrote %s", n+1, c.FITID)
		}
		if c.TrnType == "" {
			c.TrnType = "DEBIT"
			if t.Amount.Sign() > 0 {
				c.TrnType = "CREDIT"
			}
		}
		if (c.CorrectFITID == "") != (c.CorrectAction == "") {
			c.CorrectFITID, c.CorrectAction = "", ""
			warn("transaction %d: CORRECTFITID without CORRECTACTION (or the reverse) left out", n+1)
		}
		if !first.Valid || c.Posted.Time.Before(first.Time) {
			first = c.Posted
		}
		if !last.Valid || c.Posted.Time.After(last.Time) {
			last = c.Posted
		}
		sum = sum.Add(c.Amount)
		out.Transactions = append(out.Transactions, c)
	}
	if !out.Start.Valid {
		out.Start = cmp.Or(first, server)
		warn("no DTSTART: wrote %s", out.Start.Day())
	}
	if !out.End.Valid {
		out.End = cmp.Or(last, server)
		warn("no DTEND: wrote %s", out.End.Day())
	}
	switch {
	case !out.Ledger.Set:
		out.Ledger = ofx.Balance{Set: true, Amount: sum.Canonical(bankfeed.CurrencyPlaces(out.Currency)), AsOf: out.End}
		warn("no LEDGERBAL: wrote the sum of its transactions, %s, which is not the bank's balance", out.Ledger.Amount)
	case !out.Ledger.AsOf.Valid:
		out.Ledger.AsOf = out.End
		warn("LEDGERBAL without DTASOF: wrote DTEND")
	}
	if out.Available.Set && !out.Available.AsOf.Valid {
		out.Available = ofx.Balance{}
		warn("AVAILBAL without DTASOF left out")
	}
	out.Count, out.Sum = len(out.Transactions), sum
	return out
}
