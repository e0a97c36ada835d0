package export

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/export/peertest"
)

// TestPeers has the tools each format is for read a realistic export: six
// months of a household's books (a bank account, savings, a card, payroll,
// rent by check, card payments and savings transfers, split purchases,
// payees with quotes, semicolons and accents, and category names every
// tool needs cleaned). Each tool must take the file without an error, and
// its balance of every account must be the balance the books give with
// exact decimal arithmetic; every entry must be found under its uid, and in
// QBO and OFX every bank-side split under its FITID with its amount and
// date.
func TestPeers(t *testing.T) {
	books := peerBooks()
	if n := len(books.Entries); n < 50 {
		t.Fatalf("the books hold %d entries, want 50 or more", n)
	}
	want := bookBalances(books)
	dir := t.TempDir()
	write := func(t *testing.T, format, name string) string {
		t.Helper()
		var buf bytes.Buffer
		if err := Write(&buf, format, books, Options{Now: testNow}); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	uids := make([]string, len(books.Entries))
	for i, e := range books.Entries {
		uids[i] = e.UID
	}
	slices.Sort(uids)

	t.Run("hledger", func(t *testing.T) {
		hledger := peertest.Tool(t, "hledger", "hledger")
		path := write(t, "hledger", "books.journal")
		// -s: every account and commodity must be declared.
		peertest.Run(t, hledger, "-f", path, "check", "-s")
		out := peertest.Run(t, hledger, "-f", path, "bal", "--flat", "-O", "csv")
		rows := readCSV(t, out)
		got := map[string]bankfeed.Decimal{}
		for _, r := range rows[1:] {
			if r[0] != "total" {
				got[r[0]] = parseAmount(t, r[1], "USD")
			}
		}
		compareBalances(t, want, got, newNameMap(bookNames(books), journalAccount))
		gotUIDs := strings.Fields(peertest.Run(t, hledger, "-f", path, "tags", "uid", "--values"))
		slices.Sort(gotUIDs)
		if diff := cmp.Diff(uids, gotUIDs); diff != "" {
			t.Errorf("hledger's uid tags (-want +got):\n%s", diff)
		}
	})

	t.Run("ledger", func(t *testing.T) {
		ledger := peertest.Tool(t, "ledger", "ledger")
		path := write(t, "ledger", "books.ledger")
		peertest.Run(t, ledger, "-f", path, "bal")
		// date, code, payee, account, commodity, amount, status, note
		// ledger escapes a quote in a quoted field with a backslash.
		rows := readCSV(t, strings.ReplaceAll(peertest.Run(t, ledger, "-f", path, "csv"), `\"`, `""`))
		got := map[string]bankfeed.Decimal{}
		for _, r := range rows {
			if r[4] != "USD" {
				t.Errorf("ledger reads commodity %q in %v", r[4], r)
			}
			got[r[3]] = got[r[3]].Add(parseAmount(t, r[5], ""))
		}
		compareBalances(t, want, nonZero(got), newNameMap(bookNames(books), journalAccount))
		postings := 0
		for _, e := range books.Entries {
			postings += len(e.Splits)
		}
		if len(rows) != postings {
			t.Errorf("ledger reads %d postings, want %d", len(rows), postings)
		}
		var gotUIDs []string
		for _, u := range strings.Fields(peertest.Run(t, ledger, "-f", path, "--format", `%(xact.tag("uid"))\n`, "reg")) {
			if len(gotUIDs) == 0 || gotUIDs[len(gotUIDs)-1] != u {
				gotUIDs = append(gotUIDs, u)
			}
		}
		slices.Sort(gotUIDs)
		if diff := cmp.Diff(uids, gotUIDs); diff != "" {
			t.Errorf("ledger's uid tags (-want +got):\n%s", diff)
		}
	})

	t.Run("beancount", func(t *testing.T) {
		beanCheck := peertest.Tool(t, "bean-check", "beancount")
		beanQuery := peertest.Tool(t, "bean-query", "beancount")
		path := write(t, "beancount", "books.beancount")
		if out := peertest.Run(t, beanCheck, path); strings.TrimSpace(out) != "" {
			t.Errorf("bean-check reports:\n%s", out)
		}
		rows := readCSV(t, peertest.Run(t, beanQuery, "-f", "csv", path, "SELECT account, sum(position) GROUP BY account"))
		got := map[string]bankfeed.Decimal{}
		for _, r := range rows[1:] {
			got[strings.TrimSpace(r[0])] = parseAmount(t, r[1], "USD")
		}
		types := map[string]bankfeed.LedgerAccountType{}
		for _, a := range books.Accounts {
			types[a.Name] = a.Type
		}
		names := newNameMap(bookNames(books), func(n string) string { return beancountAccount(n, types[n]) })
		compareBalances(t, want, nonZero(got), names)
		rows = readCSV(t, peertest.Run(t, beanQuery, "-f", "csv", path, "SELECT DISTINCT entry_meta('bankfeed_uid') AS uid"))
		var gotUIDs []string
		for _, r := range rows[1:] {
			gotUIDs = append(gotUIDs, strings.TrimSpace(r[0]))
		}
		slices.Sort(gotUIDs)
		if diff := cmp.Diff(uids, gotUIDs); diff != "" {
			t.Errorf("bean-query's bankfeed_uid (-want +got):\n%s", diff)
		}
	})

	for _, format := range []string{"qbo", "ofx"} {
		t.Run("ofxdump/"+format, func(t *testing.T) {
			ofxdump := peertest.Tool(t, "ofxdump", "ofx")
			path := write(t, format, "books."+format)
			dump := peertest.OFXDump(t, ofxdump, path)
			wantTxns, wantBalances := bookStatements(books)
			if diff := cmp.Diff(wantTxns, dump.Transactions); diff != "" {
				t.Errorf("ofxdump's transactions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantBalances, dump.Balances); diff != "" {
				t.Errorf("ofxdump's ledger balances (-want +got):\n%s", diff)
			}
		})
	}
}

func readCSV(t *testing.T, text string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("read CSV: %v\n%s", err, text)
	}
	if len(rows) == 0 {
		t.Fatal("no CSV rows")
	}
	return rows
}

// parseAmount reads "-12.50 USD" (or "-12.50" with commodity ""), exactly.
func parseAmount(t *testing.T, s, commodity string) bankfeed.Decimal {
	t.Helper()
	s = strings.TrimSpace(s)
	if s == "0" || s == "" {
		return bankfeed.Decimal{}
	}
	num, cur, _ := strings.Cut(s, " ")
	if strings.TrimSpace(cur) != commodity {
		t.Errorf("amount %q: want commodity %q", s, commodity)
	}
	d, err := bankfeed.ParseDecimal(num)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return d
}

// bookBalances sums every account's splits, leaving out zero balances,
// which the tools do not list.
func bookBalances(b *Books) map[string]bankfeed.Decimal {
	sums := map[string]bankfeed.Decimal{}
	for _, e := range b.Entries {
		for _, sp := range e.Splits {
			sums[sp.AccountName] = sums[sp.AccountName].Add(sp.Amount)
		}
	}
	return nonZero(sums)
}

func nonZero(m map[string]bankfeed.Decimal) map[string]bankfeed.Decimal {
	for k, v := range m {
		if v.IsZero() {
			delete(m, k)
		}
	}
	return m
}

// compareBalances compares the books' balances, by account name, with a
// tool's, by the name the export gave each account.
func compareBalances(t *testing.T, want, got map[string]bankfeed.Decimal, names nameMap) {
	t.Helper()
	for name, w := range want {
		g, ok := got[names[name]]
		switch {
		case !ok:
			t.Errorf("%s (%s): missing, want %s", names[name], name, w)
		case !g.Equal(w):
			t.Errorf("%s (%s): balance %s, want %s", names[name], name, g, w)
		}
		delete(got, names[name])
	}
	for name, g := range got {
		t.Errorf("%s: balance %s, not an account of the books", name, g)
	}
}

// dumpAccount is how ofxdump names an account: "BANKID  ACCTID" for a bank
// account, the ACCTID for a card.
func dumpAccount(f *bankfeed.Account) string {
	if f.Kind == bankfeed.KindCreditCard {
		return f.Number
	}
	return f.BankID + "  " + f.Number
}

// bookStatements is what a QBO or OFX export of every account with a feed
// must hold, computed from the books: each bank-side split with the FITID
// it must carry, bank statements first, and each account's balance.
func bookStatements(b *Books) ([]peertest.Txn, map[string]string) {
	var txns []peertest.Txn
	balances := map[string]string{}
	entries := slices.Clone(b.Entries)
	slices.SortStableFunc(entries, func(x, y *bankfeed.Entry) int { return strings.Compare(x.Date, y.Date) })
	for _, kind := range []bankfeed.AccountKind{bankfeed.KindBank, bankfeed.KindCreditCard} {
		for _, a := range b.Accounts {
			if a.FeedAccountID == nil || b.Feeds[*a.FeedAccountID].Kind != kind {
				continue
			}
			feed := b.Feeds[*a.FeedAccountID]
			var balance bankfeed.Decimal
			for _, e := range entries {
				for _, sp := range e.Splits {
					if sp.AccountName != a.Name {
						continue
					}
					fitid := fmt.Sprintf("%s-%d", e.UID, sp.ID)
					if len(sp.Lines) == 1 {
						fitid = b.Lines[sp.Lines[0]].FITID
					}
					txns = append(txns, peertest.Txn{Account: dumpAccount(feed), FITID: fitid, Date: e.Date,
						Amount: sp.Amount.Canonical(2).String()})
					balance = balance.Add(sp.Amount)
				}
			}
			balances[dumpAccount(feed)] = balance.Canonical(2).String()
		}
	}
	return txns, balances
}

// peerBooks are six months of a household's books, made the same on every
// run.
func peerBooks() *Books {
	rng := rand.New(rand.NewPCG(2026, 1))
	cents := func(lo, hi int64) string { // lo ≤ amount < hi, in dollars
		return bankfeed.NewDecimal(lo*100+rng.Int64N((hi-lo)*100), 2).String()
	}
	neg := func(s string) string { return bankfeed.MustDecimal(s).Neg().String() }
	sum := func(a ...string) string {
		var d bankfeed.Decimal
		for _, s := range a {
			d = d.Add(bankfeed.MustDecimal(s))
		}
		return d.String()
	}
	bb := newBooksBuilder()
	bb.account(checking, &bankfeed.Account{Kind: bankfeed.KindBank, Type: "CHECKING", BankID: "021000021", Number: "000123456789"})
	bb.account(savings, &bankfeed.Account{Kind: bankfeed.KindBank, Type: "SAVINGS", BankID: "021000021", Number: "000123456790"})
	bb.account(visa, &bankfeed.Account{Kind: bankfeed.KindCreditCard, Number: "4111XXXXXXXX1111"})
	const (
		opening   = "Equity:Opening Balances"
		salary    = "Income:Salary"
		interest  = "Income:Interest"
		groceries = "Expenses:Groceries"
		dining    = "Expenses:Dining; Bars"
		cafe      = "Expenses:Café & Bakery"
		cafe2     = "Expenses:Cafe & Bakery"
		rent      = "Expenses:Rent"
		power     = "Expenses:Utilities:Electric"
		internet  = "Expenses:utilities:internet"
		office    = "Expenses:Office  Supplies"
		fees      = "Expenses:Bank Fees"
		travel    = "Expenses:Travel:Air (refundable)"
		dental    = "Expenses:Health:[dental]"
	)
	for _, n := range []string{opening, salary, interest, groceries, dining, cafe, cafe2, rent, power, internet, office, fees, travel, dental} {
		bb.account(n, nil)
	}
	fitid := 0
	line := func(prefix string) []string {
		fitid++
		return []string{fmt.Sprintf("%s%06d", prefix, fitid)}
	}
	bb.entry("2025-12-31", "Opening balance", "balances as of the bank's December statement", "",
		leg{account: checking, amount: "4210.55", status: bankfeed.SplitReconciled},
		leg{account: savings, amount: "10000.00", status: bankfeed.SplitReconciled},
		leg{account: visa, amount: "-612.40", status: bankfeed.SplitReconciled},
		leg{account: opening, amount: "-13598.15"})
	for m := 1; m <= 6; m++ {
		day := func(d int) string { return fmt.Sprintf("2026-%02d-%02d", m, d) }
		confirmed := bankfeed.SplitCleared
		if m == 6 {
			confirmed = bankfeed.SplitUncleared // the last month is not at the bank yet
		}
		lines := func(prefix string) []string {
			if confirmed == bankfeed.SplitUncleared {
				return nil
			}
			return line(prefix)
		}
		for _, d := range []int{1, 15} {
			bb.entry(day(d), "ACME Corp Payroll", "", "",
				leg{account: checking, amount: "2500.00", status: confirmed, fitids: lines("CHK")},
				leg{account: salary, amount: "-2500.00"})
		}
		bb.entry(day(3), "Landlord LLC", "rent", strconv.Itoa(1000+m),
			leg{account: rent, amount: "1850.00"},
			leg{account: checking, amount: "-1850.00", status: confirmed, fitids: lines("CHK")})
		for _, d := range []int{2, 9, 16, 23} {
			g := cents(40, 180)
			bb.entry(day(d), "Whole Foods Market #10234", "", "",
				leg{account: groceries, amount: g},
				leg{account: visa, amount: neg(g), status: confirmed, fitids: lines("VISA")})
		}
		d1 := cents(15, 90)
		bb.entry(day(6), `Joe's "Diner"; Café ☕ Zürich`, "tip: 20%", "",
			leg{account: dining, amount: d1},
			leg{account: visa, amount: neg(d1), status: confirmed, fitids: lines("VISA")})
		c1, c2 := cents(3, 12), cents(3, 12)
		bb.entry(day(7), "Boulangerie Café Crème", "", "",
			leg{account: cafe, amount: c1},
			leg{account: cafe2, amount: c2, memo: "second visit"},
			leg{account: visa, amount: neg(sum(c1, c2)), status: confirmed, fitids: lines("VISA")})
		p := cents(60, 140)
		bb.entry(day(11), "City Power & Light", "", "",
			leg{account: power, amount: p},
			leg{account: checking, amount: neg(p), status: confirmed, fitids: lines("CHK")})
		bb.entry(day(12), "Fiber Net", "", "",
			leg{account: internet, amount: "59.99"},
			leg{account: checking, amount: "-59.99", status: confirmed, fitids: lines("CHK")})
		// A split purchase: one card charge, three categories, two lines.
		s1, s2, s3 := cents(50, 200), cents(10, 60), cents(5, 30)
		var two []string
		if confirmed != bankfeed.SplitUncleared {
			two = append(line("VISA"), line("VISA")...)
		}
		bb.entry(day(18), "Costco Wholesale", "", "",
			leg{account: groceries, amount: s1},
			leg{account: office, amount: s2, memo: "printer paper; toner"},
			leg{account: dental, amount: s3, memo: "floss"},
			leg{account: visa, amount: neg(sum(s1, s2, s3)), status: confirmed, fitids: two})
		// A transfer: the card payment, seen by both banks.
		pay := cents(300, 700)
		e := bb.entry(day(20), "Payment - Thank You", "", "",
			leg{account: checking, amount: neg(pay), status: confirmed, fitids: lines("CHK")},
			leg{account: visa, amount: pay, status: confirmed, fitids: lines("VISA")})
		e.Origin = bankfeed.OriginTransfer
		// A transfer to savings the savings bank has not confirmed.
		e = bb.entry(day(21), "Transfer to savings", "", "",
			leg{account: checking, amount: "-250.00", status: confirmed, fitids: lines("CHK")},
			leg{account: savings, amount: "250.00"})
		e.Origin = bankfeed.OriginTransfer
		in := cents(1, 9)
		bb.entry(day(28), "Interest", "", "",
			leg{account: savings, amount: in, status: confirmed, fitids: lines("SAV")},
			leg{account: interest, amount: neg(in)})
		bb.entry(day(26), "", "cash withdrawal, no payee", "",
			leg{account: fees, amount: "2.50", memo: "ATM fee"},
			leg{account: checking, amount: "-2.50", status: confirmed, fitids: lines("CHK")})
		if m%2 == 0 {
			bb.entry(day(27), "Monthly service fee", "", "",
				leg{account: fees, amount: "12.00"},
				leg{account: checking, amount: "-12.00", status: confirmed, fitids: lines("CHK")})
		}
		if m == 4 {
			bb.entry(day(8), "Delta Air Lines", "NYC – SFO", "",
				leg{account: travel, amount: "412.30"},
				leg{account: visa, amount: "-412.30", status: confirmed, fitids: lines("VISA")})
			bb.entry(day(19), "Delta Air Lines", "refund", "",
				leg{account: travel, amount: "-412.30"},
				leg{account: visa, amount: "412.30", status: confirmed, fitids: lines("VISA")})
		}
	}
	return bb.b
}
