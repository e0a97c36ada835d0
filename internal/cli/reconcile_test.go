package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/importer"
	"github.com/bankfeed/bankfeed/internal/store"
)

// checking is the ledger account the books below give feed account 111.
const checking = "Assets:Bank:Checking-111"

// bankStatement is an OFX statement of account 111 covering [start, end]
// with lines "FITID YYYYMMDD amount" and the bank's ledger balance.
func bankStatement(start, end, balance string, lines ...string) string {
	var b strings.Builder
	b.WriteString("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>" +
		"<DTSERVER>20260201<LANGUAGE>ENG<FI><ORG>B1<FID>10898</FI></SONRS></SIGNONMSGSRSV1>\n<BANKMSGSRSV1><STMTTRNRS><TRNUID>1" +
		"<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>021000021<ACCTID>111" +
		"<ACCTTYPE>CHECKING</BANKACCTFROM>\n<BANKTRANLIST><DTSTART>" + start + "<DTEND>" + end + "\n")
	for _, l := range lines {
		f := strings.Fields(l)
		fmt.Fprintf(&b, "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>%s<TRNAMT>%s<FITID>%s<NAME>SHOP %s</STMTTRN>\n", f[1], f[2], f[0], f[0])
	}
	b.WriteString("</BANKTRANLIST><LEDGERBAL><BALAMT>" + balance + "<DTASOF>" + end + "</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n")
	return b.String()
}

// booked is a test's book-keeping: statements to import, then entries.
type booked struct {
	statements []string
	// opening books 1000.00 on 2025-12-31 against Equity:Opening-Balances.
	opening bool
	// entries are "date amount [line]": an entry in checking against
	// Expenses:Shop, linked to the feed line with that id when given, else
	// marked cleared by hand.
	entries []string
	// sql runs on the database after the entries.
	sql []string
}

// setUp builds the books in a new data directory and returns it with the
// ids of the checking splits (the opening balance's first).
func setUp(t *testing.T, b booked) (string, []int64) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range b.statements {
		if _, err := importer.New(db).Import(ctx, strings.NewReader(s), "s.ofx", int64(len(s)), importer.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	var splits []int64
	err = db.Update(ctx, func(tx *store.Tx) error {
		feed, err := db.FindAccount(ctx, "111")
		if err != nil {
			return err
		}
		a, err := tx.FeedLedgerAccount(ctx, feed.ID)
		if err != nil {
			return err
		}
		if a.Name != checking {
			return fmt.Errorf("ledger account %q, want %q", a.Name, checking)
		}
		for _, n := range []string{"Equity:Opening-Balances", "Expenses:Shop"} {
			if err := tx.AddLedgerAccount(ctx, &bankfeed.LedgerAccount{Name: n, Currency: "USD"}); err != nil {
				return err
			}
		}
		add := func(date, amount, other string, status bankfeed.SplitStatus, lines ...bankfeed.LineID) error {
			e := bankfeed.Entry{Date: date, Payee: strings.TrimPrefix(other, "Expenses:"), Splits: []bankfeed.Split{
				{AccountID: a.ID, Amount: bankfeed.MustDecimal(amount), Status: status, Lines: lines},
				{AccountName: other, Amount: bankfeed.MustDecimal(amount).Neg()}}}
			if err := tx.AddEntry(ctx, &e, "ann"); err != nil {
				return err
			}
			splits = append(splits, e.Splits[0].ID)
			return nil
		}
		if b.opening {
			if err := add("2025-12-31", "1000.00", "Equity:Opening-Balances", ""); err != nil {
				return err
			}
		}
		for _, s := range b.entries {
			f := strings.Fields(s)
			if len(f) == 3 {
				n, _ := strconv.ParseInt(f[2], 10, 64)
				err = add(f[0], f[1], "Expenses:Shop", "", bankfeed.LineID(n))
			} else {
				err = add(f[0], f[1], "Expenses:Shop", bankfeed.SplitCleared)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.sql) > 0 {
		raw, err := sql.Open("sqlite", db.Path())
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		for _, q := range b.sql {
			if _, err := raw.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	return dir, splits
}

// january is the bank's January: -20.00 and -30.00 from 1000.00.
var january = bankStatement("20260101", "20260131", "950.00", "F1 20260105 -20.00", "F2 20260110 -30.00")

func TestReconcileBankBalance(t *testing.T) {
	tests := []struct {
		name  string
		books booked
		args  []string
		want  []string // in stdout, in order
	}{
		{"equal balances", booked{statements: []string{january}, opening: true, entries: []string{"2026-01-05 -20.00 1", "2026-01-10 -30.00 2"}},
			nil, []string{checking + " (feed account 1): the books agree with the bank: 950.00 on 2026-01-31.",
				"bankfeed reconcile start --account " + checking + " --date 2026-01-31 --balance 950.00"}},
		{"missing opening balance", booked{statements: []string{january}, entries: []string{"2026-01-05 -20.00 1", "2026-01-10 -30.00 2"}},
			[]string{"--account", "111"}, []string{"differ from the bank by 1000.00 on 2026-01-31",
				"bank (ledger balance)   950.00", "books (cleared)         -50.00",
				"1. No opening balance: the books hold nothing before the feed's first line (2026-01-05), and the bank's balance then was 1000.00: exactly the difference.",
				"bankfeed entry add --date 2026-01-04 --payee 'Opening balance' --account " + checking + " --amount 1000.00 --category Equity:Opening-Balances"}},
		{"a line still for review", booked{statements: []string{january}, opening: true, entries: []string{"2026-01-05 -20.00 1"},
			sql: []string{`INSERT INTO line_reviews (line_id, account_id, state) VALUES (2, 1, 'review')`}},
			[]string{"--account", checking}, []string{"differ from the bank by -30.00",
				"1. 1 line dated on or before 2026-01-31 still For Review sum to -30.00: exactly the difference.",
				"line 2  2026-01-10  -30.00  SHOP F2"}},
		{"suspected duplicate", booked{statements: []string{january}, opening: true,
			entries: []string{"2026-01-05 -20.00 1", "2026-01-10 -30.00 2", "2026-01-12 -30.00"}},
			nil, []string{"differ from the bank by 30.00",
				"1. Suspected duplicate: splits ", " (2026-01-10, Shop) and ", " (2026-01-12, Shop) are both -30.00; removing one closes the difference exactly.",
				"bankfeed entry remove 3, or 4", "2026-01-10  -30.00  Shop", "2026-01-12  -30.00  Shop"}},
		{"a gap in the dates covered", booked{statements: []string{
			bankStatement("20260101", "20260115", "980.00", "F1 20260105 -20.00"),
			bankStatement("20260120", "20260131", "945.00", "F2 20260125 -30.00")},
			opening: true, entries: []string{"2026-01-05 -20.00 1", "2026-01-25 -30.00 2"}},
			nil, []string{"differ from the bank by -5.00", "No statement covered 2026-01-16 to 2026-01-19"}},
		{"causes together", booked{statements: []string{january}, entries: []string{"2026-01-05 -20.00 1"},
			sql: []string{`INSERT INTO line_reviews (line_id, account_id, state) VALUES (2, 1, 'excluded')`}},
			nil, []string{"differ from the bank by 970.00", "1. No opening balance", "2. Line 2 (2026-01-10, -30.00) was excluded",
				"Together these account for the whole difference."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, _ := setUp(t, tt.books)
			code, out, errOut := bankfeedIn(t, dir, append([]string{"reconcile"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			rest := out
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks (or misplaces) %q:\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestReconcileJSON(t *testing.T) {
	dir, _ := setUp(t, booked{statements: []string{january}, entries: []string{"2026-01-05 -20.00 1", "2026-01-10 -30.00 2"}})
	code, out, errOut := bankfeedIn(t, dir, "reconcile", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var r struct {
		Account    string `json:"account"`
		Bank       string `json:"bank_balance"`
		Books      string `json:"books_balance"`
		Difference string `json:"difference"`
		Balanced   bool   `json:"balanced"`
		Causes     []struct {
			Kind     string `json:"kind"`
			Exact    bool   `json:"exact"`
			Explains string `json:"explains"`
			Command  string `json:"command"`
		} `json:"causes"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if r.Account != checking || r.Bank != "950.00" || r.Books != "-50.00" || r.Difference != "1000.00" || r.Balanced ||
		len(r.Causes) != 1 || r.Causes[0].Kind != "opening_balance" || !r.Causes[0].Exact || r.Causes[0].Explains != "1000.00" {
		t.Errorf("report = %+v", r)
	}
}

func TestReconcileStatement(t *testing.T) {
	dir, splits := setUp(t, booked{statements: []string{january}, opening: true, entries: []string{"2026-01-05 -20.00 1", "2026-01-10 -30.00 2"}})
	t.Setenv("BANKFEED_ACTOR", "ann")
	opening := strconv.FormatInt(splits[0], 10)
	steps := []struct {
		name     string
		args     []string
		wantCode int
		want     string // in stdout, or in stderr when the exit status is not 0
	}{
		{"bad date and balance", []string{"reconcile", "start", "--account", checking, "--date", "31/01/2026", "--balance", "9,50"}, exitUsage,
			"--date \"31/01/2026\": want a date as YYYY-MM-DD\n--balance \"9,50\""},
		{"unknown account", []string{"reconcile", "start", "--account", "Assets:Nope", "--date", "2026-01-31", "--balance", "1"}, exitUsage,
			"--account: no account \"Assets:Nope\" in the chart of accounts"},
		{"too many places", []string{"reconcile", "start", "--account", checking, "--date", "2026-01-31", "--balance", "950.001"}, exitUsage,
			"balance: 950.001 has more decimal places than USD allows"},
		{"nothing written", []string{"reconcile", "show"}, 0, "No reconciliation is open"},
		{"start", []string{"reconcile", "start", "--account", checking, "--date", "2026-01-31", "--balance", "950.00"}, 0,
			"Started reconciliation 1 of " + checking + ", statement of 2026-01-31."},
		{"one open at a time", []string{"reconcile", "start", "--account", "111", "--date", "2026-02-28", "--balance", "950.00"}, exitFailure,
			"reconciliation 1 of " + checking + " (statement of 2026-01-31) is open already"},
		{"show", []string{"reconcile", "show", "1"}, 0, "ticked (2)          -50.00\n  cleared balance     -50.00\n  difference         1000.00"},
		{"finish refused when off", []string{"reconcile", "finish", "1"}, exitFailure,
			"reconciliation 1 is off by 1000.00: the statement says 950.00, the opening balance 0.00 plus the 2 ticked splits (-50.00) make -50.00"},
		{"tick a bad split", []string{"reconcile", "tick", "1", "x"}, exitUsage, `SPLIT "x": want a split's number`},
		{"tick an unknown split", []string{"reconcile", "tick", "1", "999"}, exitUsage, "split 999: no such split"},
		{"untick", []string{"reconcile", "untick", "1", strconv.FormatInt(splits[1], 10)}, 0, "Unticked 1 split; the difference is 980.00"},
		{"tick", []string{"reconcile", "tick", "1", opening, strconv.FormatInt(splits[1], 10)}, 0,
			"Ticked 2 splits; the difference is 0.00: bankfeed reconcile finish 1 locks it."},
		{"finish", []string{"reconcile", "finish", "1"}, 0, "Reconciliation 1 locked: 3 splits of " + checking + " reconciled at 950.00 on 2026-01-31."},
		{"locked", []string{"reconcile", "show", "1"}, 0, "If it is the account's newest, bankfeed reconcile undo 1 reopens it."},
		{"not a feed's account", []string{"reconcile", "--account", "Expenses:Shop"}, exitUsage, "--account: account \"Expenses:Shop\" has no feed"},
		{"no tick once locked", []string{"reconcile", "tick", "1", opening}, exitFailure, "reconciliation 1 is locked"},
		{"not before the last", []string{"reconcile", "start", "--account", checking, "--date", "2026-01-15", "--balance", "950.00"}, exitFailure,
			"date: 2026-01-15 is before 2026-01-31"},
		{"undo", []string{"reconcile", "undo", "1"}, 0, "Reconciliation 1 reopened"},
		{"reopened", []string{"reconcile", "show"}, 0, "Reconciliation 1 of " + checking + ", statement of 2026-01-31: open."},
	}
	for _, st := range steps {
		code, out, errOut := bankfeedIn(t, dir, st.args...)
		got := out
		if st.wantCode != 0 {
			got = errOut
		}
		if code != st.wantCode || !strings.Contains(got, st.want) {
			t.Errorf("%s: bankfeed %s: exit %d, want %d and %q\nstdout: %s\nstderr: %s", st.name, strings.Join(st.args, " "),
				code, st.wantCode, st.want, out, errOut)
		}
	}

	code, out, errOut := bankfeedIn(t, dir, "reconcile", "show", "1", "--json")
	if code != 0 {
		t.Fatalf("show --json: exit %d\n%s", code, errOut)
	}
	var s struct {
		State      string `json:"state"`
		Balance    string `json:"statement_balance"`
		Ticked     int    `json:"ticked"`
		Difference string `json:"difference"`
		Candidates []any  `json:"candidates"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if s.State != "open" || s.Balance != "950.00" || s.Ticked != 3 || s.Difference != "0.00" || s.Candidates == nil {
		t.Errorf("show --json = %+v", s)
	}

	ctx := context.Background()
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log, err := db.AuditLog(ctx, store.AuditFilter{Subject: "reconciliation 1"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range log {
		if a.Actor != "ann" {
			t.Errorf("audit %s by %q, want ann", a.Action, a.Actor)
		}
		actions = append(actions, a.Action)
	}
	if got := strings.Join(actions, " "); got != "reconcile.undo reconcile.finish reconcile.tick reconcile.untick reconcile.start" {
		t.Errorf("audit: %s", got)
	}
}
