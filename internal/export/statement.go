package export

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

// statementOrg is the ORG of the sign-on of a QBO or OFX export.
const statementOrg = "bankfeed"

// nameLen is the longest NAME OFX 1.02 allows; QuickBooks cuts longer ones.
const nameLen = 32

// writeStatements writes an OFX 1.02 response with one statement per
// selected ledger account that has a feed: a card statement for a
// liability, a bank statement otherwise. Each of the account's splits in
// the selected entries is a STMTTRN whose FITID is the linked line's FITID
// when the split has exactly one line, else the entry's UID and the split's
// id ("bf-12-34"), which stay the same across exports. LEDGERBAL is the sum
// of every split of the account up to DTEND. A QBO carries INTU.BID.
func writeStatements(w io.Writer, s *selection, qbo bool) error {
	var accounts []*bankfeed.LedgerAccount
	for _, a := range s.books.Accounts {
		if (s.opts.Account == "" || a.Name == s.opts.Account) && a.FeedAccountID != nil {
			accounts = append(accounts, a)
		}
	}
	if len(accounts) == 0 {
		if s.opts.Account != "" {
			return fmt.Errorf("account %s has no feed: only bank and card accounts with a feed make a statement", s.opts.Account)
		}
		return errors.New("no account has a feed: only bank and card accounts with a feed make a statement")
	}
	stmts := make([]*ofx.Statement, 0, len(accounts))
	var errs []error
	for _, a := range accounts {
		st, err := s.statement(a)
		if err != nil {
			errs = append(errs, fmt.Errorf("account %s: %w", a.Name, err))
			continue
		}
		stmts = append(stmts, st)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// OFX puts bank statements before card statements.
	slices.SortStableFunc(stmts, func(x, y *ofx.Statement) int {
		return cmp.Compare(kindOrder(x.Kind), kindOrder(y.Kind))
	})

	now := s.opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	signon := ofx.Signon{
		Status:   ofx.Status{Set: true},
		DTServer: ofx.Date{Time: now, Valid: true, HasTime: true},
		Org:      statementOrg,
		IntuBID:  s.opts.IntuBID,
	}
	if qbo {
		if signon.IntuBID == "" {
			signon.IntuBID = DefaultIntuBID
		}
		signon.FID = signon.IntuBID
	}
	return WriteStatements(w, signon, stmts)
}

// WriteStatements writes an OFX 1.02 response (SGML, Windows-1252, as banks
// send and QuickBooks reads) of the sign-on and the statements, bank
// statements first. With the sign-on's IntuBID set, it is a QBO file.
func WriteStatements(w io.Writer, signon ofx.Signon, stmts []*ofx.Statement) error {
	rw, err := ofx.NewResponseWriter(w, ofx.WriteOptions{Version: "102"})
	if err != nil {
		return err
	}
	if err := rw.Signon(signon); err != nil {
		return err
	}
	for _, st := range stmts {
		if err := rw.Statement(st, nil); err != nil {
			return fmt.Errorf("account %s: %w", st.Account.AcctID, err)
		}
	}
	return rw.Close()
}

func kindOrder(k bankfeed.AccountKind) int {
	if k == bankfeed.KindCreditCard {
		return 1
	}
	return 0
}

// statement builds the statement of one ledger account with a feed.
func (s *selection) statement(a *bankfeed.LedgerAccount) (*ofx.Statement, error) {
	feed := s.books.Feeds[*a.FeedAccountID]
	if feed == nil {
		return nil, fmt.Errorf("its feed (account %d) is not in the books read", *a.FeedAccountID)
	}
	st := &ofx.Statement{
		Kind:     bankfeed.KindBank,
		Status:   ofx.Status{Set: true},
		Currency: cmp.Or(a.Currency, feed.Currency),
		Account: ofx.AccountRef{
			BankID: feed.BankID, BranchID: feed.BranchID, AcctID: feed.Number,
			AcctType: cmp.Or(feed.Type, "CHECKING"),
		},
	}
	if a.Type == bankfeed.LedgerLiability || feed.Kind == bankfeed.KindCreditCard {
		st.Kind = bankfeed.KindCreditCard
		st.Account = ofx.AccountRef{AcctID: feed.Number}
	}
	for _, e := range s.entries {
		for _, sp := range e.Splits {
			if sp.AccountName != a.Name {
				continue
			}
			st.Transactions = append(st.Transactions, s.transaction(e, sp))
		}
	}
	start, end := s.opts.From, s.opts.To
	var first, last string
	for _, t := range st.Transactions {
		d := t.Posted.Day()
		if first == "" || d < first {
			first = d
		}
		last = max(last, d)
	}
	start = cmp.Or(start, first)
	if end = cmp.Or(end, last); end == "" {
		now := s.opts.Now
		if now.IsZero() {
			now = time.Now()
		}
		end = max(now.Format(time.DateOnly), start)
	}
	start = cmp.Or(start, end)
	var balance bankfeed.Decimal
	for _, e := range s.all {
		if e.Date > end {
			break
		}
		for _, sp := range e.Splits {
			if sp.AccountName == a.Name {
				balance = balance.Add(sp.Amount)
			}
		}
	}
	st.Start, st.End = day(start), day(end)
	st.Ledger = ofx.Balance{Set: true, Amount: balance.Canonical(bankfeed.CurrencyPlaces(st.Currency)), AsOf: st.End}
	st.Count, st.Sum = len(st.Transactions), sumOf(st.Transactions)
	return st, nil
}

// transaction is the STMTTRN of a bank-side split.
func (s *selection) transaction(e *bankfeed.Entry, sp bankfeed.Split) ofx.Transaction {
	cur := s.currency(sp)
	t := ofx.Transaction{
		Kind:      "STMTTRN",
		FITID:     uid(e) + "-" + strconv.FormatInt(sp.ID, 10),
		Posted:    day(e.Date),
		Amount:    sp.Amount.Canonical(bankfeed.CurrencyPlaces(cur)),
		AmountSet: true,
		CheckNum:  singleLine(e.CheckNum),
		Memo:      singleLine(cmp.Or(sp.Memo, e.Memo)),
	}
	if len(sp.Lines) == 1 {
		if l := s.books.Lines[sp.Lines[0]]; l != nil && l.FITID != "" {
			t.FITID, t.TrnType = l.FITID, l.Type
		}
	}
	if t.TrnType == "" {
		switch {
		case t.CheckNum != "":
			t.TrnType = "CHECK"
		case sp.Amount.Sign() > 0:
			t.TrnType = "CREDIT"
		default:
			t.TrnType = "DEBIT"
		}
	}
	payee := singleLine(e.Payee)
	t.Name = payee
	if utf8.RuneCountInString(payee) > nameLen {
		t.Name = strings.TrimSpace(string([]rune(payee)[:nameLen]))
		if t.Memo == "" {
			t.Memo = payee
		}
	}
	return t
}

// day is the OFX date of a YYYY-MM-DD already checked.
func day(d string) ofx.Date {
	t, _ := time.Parse(time.DateOnly, d)
	return ofx.Date{Time: t, Valid: true}
}

func sumOf(ts []ofx.Transaction) bankfeed.Decimal {
	var sum bankfeed.Decimal
	for _, t := range ts {
		sum = sum.Add(t.Amount)
	}
	return sum
}
