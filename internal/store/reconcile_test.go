package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/importer"
	"github.com/bankfeed/bankfeed/internal/reconcile"
	"github.com/bankfeed/bankfeed/internal/store"
)

// importOFX imports a bank statement of account 111 covering [start, end]
// with lines "FITID YYYYMMDD amount" and the ledger balance given.
func importOFX(t *testing.T, db *store.DB, start, end, balance string, lines ...string) {
	t.Helper()
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
	s := b.String()
	if _, err := importer.New(db).Import(context.Background(), strings.NewReader(s), "s.ofx", int64(len(s)), importer.Options{}); err != nil {
		t.Fatal(err)
	}
}

// books sets up a checking account: 1000.00 before the feed, lines of
// -20.00, -30.00 and +500.00 in January, the bank at 1450.00 on the 31st.
// The first two lines are in the books, with the opening balance; the
// third waits For Review. It returns the checking account and the splits:
// opening, -20.00, -30.00.
func books(t *testing.T, db *store.DB) (*bankfeed.LedgerAccount, []int64) {
	t.Helper()
	ctx := context.Background()
	importOFX(t, db, "20260101", "20260131", "1450.00", "F1 20260105 -20.00", "F2 20260110 -30.00", "F3 20260120 500.00")
	var checking *bankfeed.LedgerAccount
	var splits []int64
	err := db.Update(ctx, func(tx *store.Tx) error {
		feed, err := db.FindAccount(ctx, "111")
		if err != nil {
			return err
		}
		if checking, err = tx.FeedLedgerAccount(ctx, feed.ID); err != nil {
			return err
		}
		for _, n := range []string{"Equity:Opening-Balances", "Expenses:Shop"} {
			if err := tx.AddLedgerAccount(ctx, &bankfeed.LedgerAccount{Name: n, Currency: "USD"}); err != nil {
				return err
			}
		}
		add := func(date, amount, other string, lines ...bankfeed.LineID) error {
			e := bankfeed.Entry{Date: date, Payee: other, Splits: []bankfeed.Split{
				{AccountID: checking.ID, Amount: bankfeed.MustDecimal(amount), Lines: lines},
				{AccountName: other, Amount: bankfeed.MustDecimal(amount).Neg()}}}
			if err := tx.AddEntry(ctx, &e, "ann"); err != nil {
				return err
			}
			splits = append(splits, e.Splits[0].ID)
			return nil
		}
		if err := add("2025-12-31", "1000.00", "Equity:Opening-Balances"); err != nil {
			return err
		}
		if err := add("2026-01-05", "-20.00", "Expenses:Shop", 1); err != nil {
			return err
		}
		return add("2026-01-10", "-30.00", "Expenses:Shop", 2)
	})
	if err != nil {
		t.Fatal(err)
	}
	return checking, splits
}

func TestBalanceChecks(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t, func() time.Time { return time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC) })
	checking, splits := books(t, db)
	ins, err := db.BalanceChecks(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 1 {
		t.Fatalf("%d accounts checked, want the one with a feed", len(ins))
	}
	want := reconcile.Input{
		Account: checking.Name, AccountID: checking.ID, FeedAccountID: *checking.FeedAccountID, Currency: "USD",
		HasBalance: true, Bank: bankfeed.MustDecimal("1450.00"), AsOf: "2026-01-31",
		Cleared: bankfeed.MustDecimal("950.00"),
		Splits: []reconcile.Split{
			{ID: splits[1], EntryID: 2, Date: "2026-01-05", Amount: bankfeed.MustDecimal("-20.00"), Payee: "Expenses:Shop"},
			{ID: splits[2], EntryID: 3, Date: "2026-01-10", Amount: bankfeed.MustDecimal("-30.00"), Payee: "Expenses:Shop"}},
		Review:      []reconcile.Line{{ID: 3, Date: "2026-01-20", Amount: bankfeed.MustDecimal("500.00"), Name: "SHOP F3"}},
		FirstLineOn: "2026-01-05", FeedSum: bankfeed.MustDecimal("450.00"), BooksBefore: true,
		Covered: []reconcile.Window{{From: "2026-01-01", To: "2026-01-31"}},
	}
	if diff := cmp.Diff(want, ins[0], cmp.Comparer(func(a, b bankfeed.Decimal) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("input (-want +got):\n%s", diff)
	}
	// The opening balance counts though no line clears it: it predates the
	// feed. The difference is the line For Review.
	r := reconcile.Check(ins[0])
	if r.Difference.String() != "500.00" || len(r.Causes) != 1 || r.Causes[0].Kind != reconcile.CauseReview || !r.Causes[0].Exact {
		t.Errorf("report = %+v", r)
	}

	// A line excluded, another pending in review, one reviewed, one in the
	// books whose review record lags: each read where it belongs.
	raw, err := sql.Open("sqlite", db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	importOFX(t, db, "20260201", "20260228", "1470.00", "F4 20260203 20.00", "F5 20260204 -5.00", "F6 20260205 -7.00")
	for _, q := range []string{
		`INSERT INTO line_reviews (line_id, account_id, state) VALUES (1, 1, 'review'), (3, 1, 'review'), (4, 1, 'excluded'), (5, 1, 'review'), (6, 1, 'added')`,
		`UPDATE lines SET pending = 1 WHERE id = 5`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	ins, err = db.BalanceChecks(ctx, checking.ID)
	if err != nil {
		t.Fatal(err)
	}
	in := ins[0]
	if in.AsOf != "2026-02-28" || in.Bank.String() != "1470.00" || len(in.Review) != 1 || len(in.Excluded) != 1 || in.Excluded[0].ID != 4 ||
		len(in.Pending) != 1 || in.Pending[0].ID != 5 || in.FeedSum.String() != "463.00" || len(in.Covered) != 2 {
		t.Errorf("input = %+v", in)
	}
	if _, err := db.BalanceChecks(ctx, 99); bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound {
		t.Errorf("unknown account: err = %v", err)
	}
}

func TestStatementReconciliation(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t, func() time.Time { return time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC) })
	checking, splits := books(t, db)
	id, err := db.StartReconciliation(ctx, checking.ID, "2026-01-31", bankfeed.MustDecimal("950.00"), true, "ann")
	if err != nil {
		t.Fatal(err)
	}
	s, err := db.Reconciliation(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if s.State != reconcile.StateOpen || s.TickedCount != 2 || s.Ticked.String() != "-50.00" || !s.Opening.IsZero() ||
		s.Difference().String() != "1000.00" || len(s.Candidates) != 1 || s.Candidates[0].ID != splits[0] {
		t.Fatalf("started: %+v", s)
	}
	if _, err := db.StartReconciliation(ctx, checking.ID, "2026-02-28", bankfeed.MustDecimal("1"), true, "ann"); bankfeed.ErrorCodeOf(err) != bankfeed.EConflict {
		t.Errorf("a second open one: err = %v", err)
	}
	if _, err := db.FinishReconciliation(ctx, id, "ann"); err == nil || !strings.Contains(err.Error(), "off by 1000.00") {
		t.Errorf("finish while off: err = %v", err)
	}
	err = db.TickSplits(ctx, id, []int64{splits[0], 999}, true, "ann")
	if bankfeed.ErrorCodeOf(err) != bankfeed.EInvalid || !strings.Contains(err.Error(), "split 999: no such split") {
		t.Errorf("tick an unknown split: err = %v", err)
	}
	if err := db.TickSplits(ctx, id, []int64{splits[0]}, true, "ann"); err != nil {
		t.Fatal(err)
	}
	if err := db.TickSplits(ctx, id, []int64{splits[1]}, false, "ann"); err != nil {
		t.Fatal(err)
	}
	if err := db.TickSplits(ctx, id, []int64{splits[1]}, false, "ann"); err == nil || !strings.Contains(err.Error(), "not ticked") {
		t.Errorf("untick twice: err = %v", err)
	}
	if s, _ = db.Reconciliation(ctx, id); s.Difference().String() != "-20.00" {
		t.Errorf("difference %s after unticking -20.00, want -20.00", s.Difference())
	}
	if err := db.TickSplits(ctx, id, []int64{splits[1]}, true, "ann"); err != nil {
		t.Fatal(err)
	}
	if s, err = db.FinishReconciliation(ctx, id, "ann"); err != nil {
		t.Fatal(err)
	}
	if s.State != reconcile.StateLocked || s.LockedAt.IsZero() {
		t.Errorf("finished: %+v", s)
	}
	es, err := db.Entries(ctx, bankfeed.EntryFilter{AccountID: checking.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Splits[0].Status != bankfeed.SplitReconciled {
			t.Errorf("entry %d: split %s, want reconciled", e.ID, e.Splits[0].Status)
		}
	}
	if err := db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteEntry(ctx, es[0].ID) }); bankfeed.ErrorCodeOf(err) != bankfeed.EConflict {
		t.Errorf("delete a reconciled entry: err = %v", err)
	}
	if _, err := db.StartReconciliation(ctx, checking.ID, "2026-01-30", bankfeed.MustDecimal("1"), true, "ann"); err == nil ||
		!strings.Contains(err.Error(), "before 2026-01-31") {
		t.Errorf("start before the last locked one: err = %v", err)
	}
	// The next statement opens at the last one's ending balance.
	next, err := db.StartReconciliation(ctx, checking.ID, "2026-02-28", bankfeed.MustDecimal("950.00"), true, "ann")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := db.Reconciliation(ctx, next); !s.Opening.Equal(bankfeed.MustDecimal("950")) || !s.Difference().IsZero() {
		t.Errorf("next: %+v", s)
	}
	if _, err := db.UndoReconciliation(ctx, id, "ann"); bankfeed.ErrorCodeOf(err) != bankfeed.EConflict {
		t.Errorf("undo with another open: err = %v", err)
	}
	if reopened, err := db.UndoReconciliation(ctx, next, "ann"); err != nil || reopened {
		t.Errorf("discard the open one: %v, %v", reopened, err)
	}
	if reopened, err := db.UndoReconciliation(ctx, id, "ann"); err != nil || !reopened {
		t.Fatalf("undo: %v, %v", reopened, err)
	}
	if s, _ := db.Reconciliation(ctx, id); s.State != reconcile.StateOpen || s.TickedCount != 3 || !s.Difference().IsZero() {
		t.Errorf("reopened: %+v", s)
	}
	es, _ = db.Entries(ctx, bankfeed.EntryFilter{AccountID: checking.ID})
	for _, e := range es {
		if e.Splits[0].Status != bankfeed.SplitCleared {
			t.Errorf("entry %d: split %q after undo, want cleared", e.ID, e.Splits[0].Status)
		}
	}
	log, err := db.AuditLog(ctx, store.AuditFilter{Action: "reconcile."})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range log {
		actions = append(actions, a.Action+" "+a.Subject)
	}
	want := []string{"reconcile.undo reconciliation 1", "reconcile.undo reconciliation 2", "reconcile.start reconciliation 2",
		"reconcile.finish reconciliation 1", "reconcile.tick reconciliation 1", "reconcile.untick reconciliation 1",
		"reconcile.tick reconciliation 1", "reconcile.start reconciliation 1"}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}
