package review_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/importer"
	"github.com/bankfeed/bankfeed/internal/match"
	"github.com/bankfeed/bankfeed/internal/review"
	"github.com/bankfeed/bankfeed/internal/store"
)

// txn is one STMTTRN of a test statement.
type txn struct {
	fitid, date, amount, name string
}

// statement renders an OFX 1.02 bank statement for account acct.
func statement(acct, start, end string, txns ...txn) string {
	var b strings.Builder
	b.WriteString("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n")
	b.WriteString("<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20260301<LANGUAGE>ENG<FI><ORG>TESTBANK<FID>1234</FI></SONRS></SIGNONMSGSRSV1>")
	b.WriteString("<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD")
	fmt.Fprintf(&b, "<BANKACCTFROM><BANKID>111000025<ACCTID>%s<ACCTTYPE>CHECKING</BANKACCTFROM>", acct)
	fmt.Fprintf(&b, "<BANKTRANLIST><DTSTART>%s<DTEND>%s", strings.ReplaceAll(start, "-", ""), strings.ReplaceAll(end, "-", ""))
	for _, t := range txns {
		typ := "DEBIT"
		if !strings.HasPrefix(t.amount, "-") {
			typ = "CREDIT"
		}
		fmt.Fprintf(&b, "<STMTTRN><TRNTYPE>%s<DTPOSTED>%s<TRNAMT>%s<FITID>%s<NAME>%s</STMTTRN>", typ, strings.ReplaceAll(t.date, "-", ""), t.amount, t.fitid, t.name)
	}
	b.WriteString("</BANKTRANLIST><LEDGERBAL><BALAMT>0<DTASOF>20260301</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n")
	return b.String()
}

type fixture struct {
	t   *testing.T
	ctx context.Context
	db  *store.DB
	s   *review.Service
	im  *importer.Importer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir(), store.Options{Now: func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &fixture{t: t, ctx: ctx, db: db, s: review.New(db, nil, strings.ToUpper), im: importer.New(db)}
}

func (f *fixture) load(doc string) *importer.Result {
	f.t.Helper()
	res, err := f.im.Import(f.ctx, strings.NewReader(doc), "test.ofx", int64(len(doc)), f.s.Options(importer.Options{}))
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

// states maps each line's FITID to its review state (and same_as line).
func (f *fixture) states() map[string]string {
	f.t.Helper()
	items, err := f.db.Reviews(f.ctx, store.ReviewFilter{})
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]string{}
	for _, it := range items {
		s := string(it.State)
		if it.SameAs != nil {
			s += fmt.Sprintf(" %d", *it.SameAs)
		}
		out[it.Line.FITID] = s
	}
	return out
}

func (f *fixture) count(state bankfeed.ReviewState) int {
	f.t.Helper()
	items, err := f.db.Reviews(f.ctx, store.ReviewFilter{States: []bankfeed.ReviewState{state}})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(items)
}

func TestIdentityAcrossDeliveries(t *testing.T) {
	f := newFixture(t)
	first := statement("1001", "2026-02-01", "2026-02-10",
		txn{"A1", "2026-02-02", "-4.50", "BLUE BOTTLE COFFEE"},
		txn{"A2", "2026-02-02", "-4.50", "BLUE BOTTLE COFFEE"}, // a twin: two coffees
		txn{"A3", "2026-02-05", "-120.00", "CITY WATER"})
	f.load(first)
	if n := f.count(bankfeed.ReviewPending); n != 3 {
		t.Fatalf("For Review after the first delivery: %d, want 3 (twins never merged)", n)
	}

	// Exact re-delivery: nothing new, nothing merged.
	res := f.load(first)
	if res.Counts.New != 0 || res.Counts.Duplicate != 3 {
		t.Fatalf("re-delivery counts %+v, want 0 new, 3 duplicate", res.Counts)
	}
	if n := f.count(bankfeed.ReviewMerged); n != 0 {
		t.Fatalf("merged after an exact re-delivery: %d", n)
	}

	// The bank re-keys every line: each new id joins its stored line, one
	// to one, the twins included.
	rekeyed := statement("1001", "2026-02-01", "2026-02-10",
		txn{"B1", "2026-02-02", "-4.50", "BLUE BOTTLE COFFEE"},
		txn{"B2", "2026-02-02", "-4.50", "BLUE BOTTLE COFFEE"},
		txn{"B3", "2026-02-06", "-120.00", "CITY WATER"})
	f.load(rekeyed)
	st := f.states()
	if n := f.count(bankfeed.ReviewPending); n != 3 {
		t.Fatalf("For Review after the re-keyed delivery: %d, want still 3; states %v", n, st)
	}
	for _, id := range []string{"B1", "B2", "B3"} {
		if !strings.HasPrefix(st[id], "merged") {
			t.Errorf("%s: %q, want merged", id, st[id])
		}
	}
	if st["B1"] == st["B2"] {
		t.Errorf("both twins merged into one line: %v", st)
	}
	// The new ids are aliases now: the next delivery under them is a plain
	// duplicate.
	res = f.load(rekeyed)
	if res.Counts.New != 0 {
		t.Fatalf("delivery under the aliases: %d new lines, want 0", res.Counts.New)
	}
	// A delivery that does not cover the stored lines' dates has no
	// orphans: a same-amount line there is a new line.
	f.load(statement("1001", "2026-02-20", "2026-02-28", txn{"C1", "2026-02-21", "-4.50", "BLUE BOTTLE COFFEE"}))
	if st := f.states(); st["C1"] != "review" {
		t.Errorf("C1 outside the window: %q, want review", st["C1"])
	}
}

func TestMatchingEntriesBeforeAndAfter(t *testing.T) {
	f := newFixture(t)
	// Create the feed and its ledger account with a first line.
	f.load(statement("1001", "2026-02-01", "2026-02-01", txn{"X0", "2026-02-01", "-1.00", "FEE"}))
	items, err := f.db.Reviews(f.ctx, store.ReviewFilter{})
	if err != nil || len(items) != 1 {
		t.Fatalf("reviews %v, %v", items, err)
	}
	feed := items[0].AccountID
	var bank string
	if err := f.db.Update(f.ctx, func(tx *store.Tx) error {
		la, err := tx.FeedLedgerAccount(f.ctx, feed)
		bank = la.Name
		return err
	}); err != nil {
		t.Fatal(err)
	}
	entry := func(date, payee, amount, category string) *bankfeed.Entry {
		e := &bankfeed.Entry{Date: date, Payee: payee, Splits: []bankfeed.Split{
			{AccountName: bank, Amount: bankfeed.MustDecimal(amount)},
			{AccountName: category, Amount: bankfeed.MustDecimal(amount).Neg()}}}
		if err := f.s.AddEntry(f.ctx, "ann", e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	// Typed before the line: matched when it arrives.
	before := entry("2026-02-03", "Staples", "-42.10", "Expenses:Office")
	f.load(statement("1001", "2026-02-02", "2026-02-06",
		txn{"S1", "2026-02-04", "-42.10", "STAPLES 00123"},
		txn{"R1", "2026-02-05", "-88.00", "ACME RENTALS"}))
	st := f.states()
	if st["S1"] != "matched" {
		t.Fatalf("S1 %q, want matched (states %v)", st["S1"], st)
	}
	got, err := f.db.Entry(f.ctx, before.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Splits[0].Status != bankfeed.SplitCleared || len(got.Splits[0].Lines) != 1 {
		t.Fatalf("the entry's bank split: %+v, want cleared with the line", got.Splits[0])
	}
	// Typed after the line: it claims the waiting line at once.
	entry("2026-02-05", "Acme Rentals", "-88.00", "Expenses:Equipment")
	if st := f.states(); st["R1"] != "matched" {
		t.Fatalf("R1 %q, want matched by the entry typed after it", st["R1"])
	}
	// Removing the entry puts its line back For Review.
	items, _ = f.db.Reviews(f.ctx, store.ReviewFilter{})
	for _, it := range items {
		if it.Line.FITID == "R1" {
			if err := f.s.RemoveEntry(f.ctx, "ann", *it.EntryID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if st := f.states(); st["R1"] != "review" {
		t.Fatalf("R1 after its entry was removed: %q, want review", st["R1"])
	}
}

func TestTransferBetweenOwnAccounts(t *testing.T) {
	f := newFixture(t)
	doc := statement("1001", "2026-02-01", "2026-02-05", txn{"T1", "2026-02-02", "-500.00", "ONLINE TRANSFER TO SAVINGS 2002"})
	doc2 := statement("2002", "2026-02-01", "2026-02-05", txn{"T2", "2026-02-03", "500.00", "ONLINE TRANSFER FROM CHECKING 1001"})
	// Both statements in one delivery.
	both := doc[:strings.Index(doc, "</BANKMSGSRSV1>")] + doc2[strings.Index(doc2, "<STMTTRNRS>"):]
	f.load(both)
	st := f.states()
	if st["T1"] != "added" || st["T2"] != "added" {
		t.Fatalf("transfer legs %v, want both added", st)
	}
	es, err := f.db.Entries(f.ctx, bankfeed.EntryFilter{})
	if err != nil || len(es) != 1 || es[0].Origin != bankfeed.OriginTransfer || len(es[0].Splits) != 2 {
		t.Fatalf("entries %+v (%v), want one transfer entry", es, err)
	}
	// Undo one leg: the transfer entry goes and both legs are back.
	items, _ := f.db.Reviews(f.ctx, store.ReviewFilter{})
	if err := f.s.Undo(f.ctx, "ann", items[0].LineID); err != nil {
		t.Fatal(err)
	}
	if n := f.count(bankfeed.ReviewPending); n != 2 {
		t.Fatalf("For Review after undo: %d, want both legs", n)
	}
	if es, _ := f.db.Entries(f.ctx, bankfeed.EntryFilter{}); len(es) != 0 {
		t.Fatalf("entries after undo: %d, want 0", len(es))
	}
	// A person pairs them again.
	if _, err := f.s.Transfer(f.ctx, "ann", review.Decision{Line: items[0].LineID, With: items[1].LineID}); err != nil {
		t.Fatal(err)
	}
	log, err := f.db.AuditLog(f.ctx, store.AuditFilter{Action: "review."})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range log {
		actions = append(actions, a.Actor+":"+a.Action)
	}
	want := "ann:review.transfer ann:review.transfer ann:review.undo ann:review.reopen bankfeed:review.auto_transfer bankfeed:review.auto_transfer"
	if strings.Join(actions, " ") != want {
		t.Errorf("audit log %v, want %s", actions, want)
	}
}

func TestPersonDecisions(t *testing.T) {
	f := newFixture(t)
	f.load(statement("1001", "2026-02-01", "2026-02-05",
		txn{"P1", "2026-02-02", "-12.00", "SQ *BLUE BOTTLE 123"},
		txn{"P2", "2026-02-03", "-3.00", "ATM FEE"}))
	items, _ := f.db.Reviews(f.ctx, store.ReviewFilter{})
	p1, p2 := items[0].LineID, items[1].LineID
	if _, err := f.s.Add(f.ctx, "ann", review.Decision{Line: p1}); bankfeed.ErrorCodeOf(err) != bankfeed.EInvalid {
		t.Fatalf("add without a category: %v, want invalid", err)
	}
	e, err := f.s.Add(f.ctx, "ann", review.Decision{Line: p1, Payee: "Blue Bottle", Category: "Expenses:Meals"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Payee != "Blue Bottle" || e.Splits[1].AccountName != "Expenses:Meals" || !e.Splits[1].Amount.Equal(bankfeed.MustDecimal("12")) {
		t.Fatalf("entry %+v", e)
	}
	if _, err := f.s.Add(f.ctx, "ann", review.Decision{Line: p1, Category: "Expenses:Meals"}); bankfeed.ErrorCodeOf(err) != bankfeed.EConflict {
		t.Fatalf("second add: %v, want conflict", err)
	}
	if err := f.s.Exclude(f.ctx, "bob", p2, "duplicate of a cash withdrawal"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Undo(f.ctx, "bob", p1); err != nil {
		t.Fatal(err)
	}
	if es, _ := f.db.Entries(f.ctx, bankfeed.EntryFilter{}); len(es) != 0 {
		t.Fatalf("entries after undoing the add: %d", len(es))
	}
	if st := f.states(); st["P1"] != "review" || st["P2"] != "excluded" {
		t.Fatalf("states %v", st)
	}
	log, _ := f.db.AuditLog(f.ctx, store.AuditFilter{Subject: fmt.Sprintf("line %d", p1)})
	if len(log) != 2 || log[0].Action != "review.undo" || log[0].Actor != "bob" || log[1].Action != "review.add" || log[1].Actor != "ann" {
		t.Fatalf("audit of P1: %+v", log)
	}
}

func TestReviewFailureRollsBackTheDelivery(t *testing.T) {
	f := newFixture(t)
	before, err := f.db.TableCounts(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	doc := statement("1001", "2026-02-01", "2026-02-05", txn{"F1", "2026-02-02", "-1.00", "X"})
	boom := errors.New("boom")
	_, err = f.im.Import(f.ctx, strings.NewReader(doc), "t.ofx", 0, importer.Options{
		Review: func(ctx context.Context, tx *store.Tx, id bankfeed.ImportID, ds []importer.Delivered) error {
			if err := f.s.Ingest(ctx, tx, id, ds); err != nil {
				return err
			}
			return boom
		}})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
	after, err := f.db.TableCounts(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range after {
		if before[k] != v {
			t.Errorf("%s: %d rows before, %d after a failed review", k, before[k], v)
		}
	}
}

// coffeeRule auto-adds every line whose text says COFFEE to Expenses:Meals.
type coffeeRule struct{}

func (coffeeRule) Label(l *match.Line) match.Labels {
	if !strings.Contains(l.Text, "COFFEE") {
		return match.Labels{}
	}
	return match.Labels{Payee: "Blue Bottle", Category: "Expenses:Meals", AutoAdd: true, Confidence: 1, SetBy: map[string]string{"category": "rule 1"}}
}

func TestTypedEntryClaimsAnAutoAddedLine(t *testing.T) {
	f := newFixture(t)
	f.s = review.New(f.db, func(ctx context.Context, tx *store.Tx) (match.Labeler, func(string) string, error) {
		return coffeeRule{}, nil, nil
	}, strings.ToUpper)
	f.load(statement("1001", "2026-02-20", "2026-02-27", txn{"K1", "2026-02-24", "-6.75", "BLUE BOTTLE COFFEE"}))
	if st := f.states(); st["K1"] != "added" {
		t.Fatalf("K1 %q, want added by the rule", st["K1"])
	}
	es, _ := f.db.Entries(f.ctx, bankfeed.EntryFilter{})
	if len(es) != 1 || es[0].Origin != bankfeed.OriginRule {
		t.Fatalf("entries %+v, want the one the rule made", es)
	}
	bank := es[0].Splits[0].AccountName
	// The bookkeeper types the same purchase afterwards: it claims the
	// line, and the entry the rule made goes, so the books hold it once.
	typed := &bankfeed.Entry{Date: "2026-02-23", Payee: "Blue Bottle", Splits: []bankfeed.Split{
		{AccountName: bank, Amount: bankfeed.MustDecimal("-6.75")},
		{AccountName: "Expenses:Client meals", Amount: bankfeed.MustDecimal("6.75")}}}
	if err := f.s.AddEntry(f.ctx, "ann", typed); err != nil {
		t.Fatal(err)
	}
	es, _ = f.db.Entries(f.ctx, bankfeed.EntryFilter{})
	if len(es) != 1 || es[0].ID != typed.ID || len(es[0].Splits[0].Lines) != 1 {
		t.Fatalf("entries after typing: %+v, want only the typed one, linked", es)
	}
	if st := f.states(); st["K1"] != "matched" {
		t.Fatalf("K1 %q, want matched to the typed entry", st["K1"])
	}
	log, _ := f.db.AuditLog(f.ctx, store.AuditFilter{Action: "review.auto_replace"})
	if len(log) != 1 {
		t.Fatalf("audit of the replacement: %+v", log)
	}
}

// TestTypedEntryClaimsALineOfAMonthOldStatement: a monthly statement's
// early lines are a month old when they arrive; one auto-added today is
// still claimed by the entry a person types for it, as a daily feed's is
// (the 30 days run from the day bankfeed booked the line).
func TestTypedEntryClaimsALineOfAMonthOldStatement(t *testing.T) {
	f := newFixture(t)
	f.s = review.New(f.db, func(ctx context.Context, tx *store.Tx) (match.Labeler, func(string) string, error) {
		return coffeeRule{}, nil, nil
	}, strings.ToUpper)
	f.load(statement("1001", "2026-01-01", "2026-01-31", txn{"M1", "2026-01-10", "-6.75", "BLUE BOTTLE COFFEE"}))
	if st := f.states(); st["M1"] != "added" {
		t.Fatalf("M1 %q, want added by the rule", st["M1"])
	}
	es, _ := f.db.Entries(f.ctx, bankfeed.EntryFilter{})
	if len(es) != 1 {
		t.Fatalf("entries %+v, want the one the rule made", es)
	}
	typed := &bankfeed.Entry{Date: "2026-01-09", Payee: "Blue Bottle", Splits: []bankfeed.Split{
		{AccountName: es[0].Splits[0].AccountName, Amount: bankfeed.MustDecimal("-6.75")},
		{AccountName: "Expenses:Client meals", Amount: bankfeed.MustDecimal("6.75")}}}
	if err := f.s.AddEntry(f.ctx, "ann", typed); err != nil {
		t.Fatal(err)
	}
	es, _ = f.db.Entries(f.ctx, bankfeed.EntryFilter{})
	if len(es) != 1 || es[0].ID != typed.ID || len(es[0].Splits[0].Lines) != 1 {
		t.Fatalf("entries after typing: %+v, want only the typed one, linked (no duplicate)", es)
	}
}
