package export

import (
	"fmt"
	"time"

	"github.com/bankfeed/bankfeed"
)

// testNow is the time of every QBO and OFX export of the tests.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// booksBuilder makes books for tests: accounts, feeds, lines and entries
// with ids given in order.
type booksBuilder struct {
	b      *Books
	split  int64
	line   bankfeed.LineID
	byName map[string]*bankfeed.LedgerAccount
}

func newBooksBuilder() *booksBuilder {
	return &booksBuilder{
		b:      &Books{Feeds: map[bankfeed.AccountID]*bankfeed.Account{}, Lines: map[bankfeed.LineID]*bankfeed.Line{}},
		byName: map[string]*bankfeed.LedgerAccount{},
	}
}

// account adds a ledger account; feed, when not nil, is its feed.
func (bb *booksBuilder) account(name string, feed *bankfeed.Account) {
	a := &bankfeed.LedgerAccount{
		ID: bankfeed.LedgerAccountID(len(bb.b.Accounts) + 1), Name: name,
		Type: bankfeed.LedgerAccountTypeOf(name), Currency: "USD",
	}
	if feed != nil {
		feed.ID = bankfeed.AccountID(len(bb.b.Feeds) + 1)
		feed.Currency = "USD"
		bb.b.Feeds[feed.ID] = feed
		a.FeedAccountID = &feed.ID
	}
	bb.b.Accounts = append(bb.b.Accounts, a)
	bb.byName[name] = a
}

// leg is one split of an entry: "account amount" plus options.
type leg struct {
	account string
	amount  string
	status  bankfeed.SplitStatus
	memo    string
	fitids  []string // lines linked to the split, by FITID
}

// entry adds an entry with the next id.
func (bb *booksBuilder) entry(date, payee, memo, check string, legs ...leg) *bankfeed.Entry {
	id := bankfeed.EntryID(len(bb.b.Entries) + 1)
	e := &bankfeed.Entry{ID: id, UID: fmt.Sprintf("bf-%d", id), Date: date, Payee: payee, Memo: memo,
		CheckNum: check, Origin: bankfeed.OriginUser}
	for _, l := range legs {
		bb.split++
		a := bb.byName[l.account]
		sp := bankfeed.Split{ID: bb.split, AccountName: l.account, Amount: bankfeed.MustDecimal(l.amount),
			Currency: "USD", Memo: l.memo, Status: l.status}
		if a != nil {
			sp.AccountID = a.ID
		}
		for _, f := range l.fitids {
			bb.line++
			line := &bankfeed.Line{ID: bb.line, FITID: f, PostedOn: date, Amount: sp.Amount, Currency: "USD",
				Type: "DEBIT", Name: payee}
			if sp.Amount.Sign() > 0 {
				line.Type = "CREDIT"
			}
			if a != nil && a.FeedAccountID != nil {
				line.AccountID = *a.FeedAccountID
			}
			bb.b.Lines[line.ID] = line
			sp.Lines = append(sp.Lines, line.ID)
		}
		e.Splits = append(e.Splits, sp)
	}
	bb.b.Entries = append(bb.b.Entries, e)
	return e
}

const (
	checking = "Assets:Bank:Checking"
	savings  = "Assets:Bank:Savings"
	visa     = "Liabilities:Card:Visa"
)

// smallBooks are the books of the golden files: a bank account, savings,
// a card, and categories whose names each tool needs cleaned.
func smallBooks() *Books {
	bb := newBooksBuilder()
	bb.account(checking, &bankfeed.Account{Kind: bankfeed.KindBank, Type: "CHECKING", BankID: "021000021", Number: "1234567890"})
	bb.account(savings, &bankfeed.Account{Kind: bankfeed.KindBank, Type: "SAVINGS", BankID: "021000021", Number: "1234567891"})
	bb.account(visa, &bankfeed.Account{Kind: bankfeed.KindCreditCard, Number: "4111111111111111"})
	for _, n := range []string{"Equity:Opening Balances", "Expenses:Food & Dining", "Expenses:Office; Supplies",
		"Expenses:Café", "Expenses:Cafe", "Expenses:Rent", "Expenses:utilities", "Income:Salary"} {
		bb.account(n, nil)
	}
	bb.entry("2026-01-01", "Opening balance", "", "",
		leg{account: checking, amount: "1000.00", status: bankfeed.SplitReconciled},
		leg{account: "Equity:Opening Balances", amount: "-1000.00"})
	bb.entry("2026-01-03", `Joe's "Diner"; Café ☕`, "", "",
		leg{account: "Expenses:Food & Dining", amount: "23.45"},
		leg{account: visa, amount: "-23.45", status: bankfeed.SplitCleared, fitids: []string{"CC-0001"}})
	bb.entry("2026-01-05", "Landlord LLC", "January rent", "1001",
		leg{account: "Expenses:Rent", amount: "1200"},
		leg{account: checking, amount: "-1200.00"})
	bb.entry("2026-01-10", "Transfer to savings", "", "",
		leg{account: checking, amount: "-500.00", status: bankfeed.SplitCleared, fitids: []string{"20260110-1"}},
		leg{account: savings, amount: "500.00"})
	bb.entry("2026-01-15", "(Costco) Wholesale", "", "",
		leg{account: "Expenses:Food & Dining", amount: "100.00"},
		leg{account: "Expenses:Office; Supplies", amount: "50.27", memo: "printer paper"},
		leg{account: visa, amount: "-150.27", status: bankfeed.SplitCleared, fitids: []string{"CC-0002", "CC-0003"}})
	bb.entry("2026-01-20", "Café de Flore, Paris, a very long payee name indeed", "", "",
		leg{account: "Expenses:Café", amount: "7.5"},
		leg{account: "Expenses:Cafe", amount: "2.5"},
		leg{account: visa, amount: "-10.00"})
	bb.entry("2026-01-31", "ACME Payroll", "", "",
		leg{account: checking, amount: "3000.00", status: bankfeed.SplitReconciled, fitids: []string{"20260131-1"}},
		leg{account: "Income:Salary", amount: "-3000.00"})
	bb.entry("2026-02-01", "Card payment", "", "",
		leg{account: checking, amount: "-173.72", status: bankfeed.SplitCleared, fitids: []string{"20260201-1"}},
		leg{account: visa, amount: "173.72", status: bankfeed.SplitCleared, fitids: []string{"CC-0004"}})
	bb.entry("2026-02-03", "City Power", "=cmd|' /C calc'!A0", "",
		leg{account: "Expenses:utilities", amount: "80.10"},
		leg{account: checking, amount: "-80.10"})
	bb.entry("2026-02-05", "", "cash", "",
		leg{account: "Expenses:Food & Dining", amount: "20"},
		leg{account: checking, amount: "-20.00", status: bankfeed.SplitCleared, fitids: []string{"20260205-1"}})
	return bb.b
}
