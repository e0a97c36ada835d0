package books_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/books"
	"github.com/bankfeed/bankfeed/internal/importer"
	"github.com/bankfeed/bankfeed/internal/review"
	"github.com/bankfeed/bankfeed/internal/store"
)

// statement renders an OFX 1.02 checking statement of January 2026 whose
// lines are "FITID YYYYMMDD amount NAME".
func statement(lines ...string) string {
	var b strings.Builder
	b.WriteString("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>" +
		"<DTSERVER>20260201<LANGUAGE>ENG<FI><ORG>B1<FID>10898</FI></SONRS></SIGNONMSGSRSV1>\n<BANKMSGSRSV1><STMTTRNRS><TRNUID>1" +
		"<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>021000021<ACCTID>5500" +
		"<ACCTTYPE>CHECKING</BANKACCTFROM>\n<BANKTRANLIST><DTSTART>20260101<DTEND>20260131\n")
	for _, l := range lines {
		f := strings.SplitN(l, " ", 4)
		fmt.Fprintf(&b, "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>%s<TRNAMT>%s<FITID>%s<NAME>%s</STMTTRN>\n", f[1], f[2], f[0], f[3])
	}
	b.WriteString("</BANKTRANLIST><LEDGERBAL><BALAMT>100.00<DTASOF>20260131</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n")
	return b.String()
}

// openStore opens an empty store whose clock says 2026-02-03.
func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), t.TempDir(), store.Options{Now: func() time.Time { return time.Date(2026, 2, 3, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// load imports a statement, reviewed by s.
func load(t *testing.T, db *store.DB, s *review.Service, doc string) {
	t.Helper()
	if _, err := importer.New(db).Import(context.Background(), strings.NewReader(doc), "jan.ofx", int64(len(doc)), s.Options(importer.Options{})); err != nil {
		t.Fatal(err)
	}
}

// TestLearnedRuleActsOnTheQueueAtOnce: a person adds a payee's lines of a
// monthly statement one by one; the third agreeing decision teaches a
// learned rule, and the payee's lines still waiting in the same statement
// are added by it at once, by bankfeed and in the audit log, not at the
// next import. A line the person undid stays For Review for that person,
// with the rule's category proposed; another payee's line is left alone.
func TestLearnedRuleActsOnTheQueueAtOnce(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	s := books.ReviewService(db)
	doc := statement(
		"B1 20260105 -4.50 SQ *BLUE BOTTLE 0113 OAKLAND CA",
		"B2 20260108 -6.00 SQ *BLUE BOTTLE 0257 OAKLAND CA",
		"B3 20260112 -5.25 SQ *BLUE BOTTLE 0113 OAKLAND CA",
		"B4 20260119 -4.75 SQ *BLUE BOTTLE 0113 OAKLAND CA",
		"B5 20260126 -5.50 SQ *BLUE BOTTLE 0257 OAKLAND CA",
		"W1 20260120 -60.00 CITY WATER")
	load(t, db, s, doc)
	reviews := func() map[string]*store.ReviewItem { return reviewsByFITID(t, db) }
	rv := reviews()
	add := func(fitid string) {
		t.Helper()
		if _, err := s.Add(ctx, "ann", review.Decision{Line: rv[fitid].LineID, Payee: "Blue Bottle", Category: "Expenses:Meals"}); err != nil {
			t.Fatalf("add %s: %v", fitid, err)
		}
	}
	add("B1")
	add("B2")
	if err := s.Undo(ctx, "ann", rv["B2"].LineID); err != nil {
		t.Fatal(err)
	}
	add("B3")
	// Two agreeing decisions teach no rule: the queue waits as it was.
	if got := reviews(); got["B4"].State != bankfeed.ReviewPending || got["B5"].State != bankfeed.ReviewPending {
		t.Fatalf("after two decisions B4 %s, B5 %s, want both For Review", got["B4"].State, got["B5"].State)
	}
	add("B4")

	got := reviews()
	b5 := got["B5"]
	if b5.State != bankfeed.ReviewAdded || !b5.Auto || b5.DecidedBy != review.Auto || b5.Category != "Expenses:Meals" {
		t.Errorf("B5 %+v, want added by %s to Expenses:Meals", b5.Review, review.Auto)
	}
	if b2 := got["B2"]; b2.State != bankfeed.ReviewPending || b2.Auto || b2.DecidedBy != "ann" || b2.Category != "Expenses:Meals" {
		t.Errorf("B2 %+v, want For Review, held by ann, Expenses:Meals proposed", b2.Review)
	}
	if w1 := got["W1"]; w1.State != bankfeed.ReviewPending || w1.Category != "" {
		t.Errorf("W1 %+v, want For Review with no category", w1.Review)
	}
	log, err := db.AuditLog(ctx, store.AuditFilter{Subject: fmt.Sprintf("line %d", b5.LineID)})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Actor != review.Auto || log[0].Action != "review.auto_add" || !strings.Contains(log[0].Detail, "Expenses:Meals") {
		t.Errorf("audit of B5 %+v, want one review.auto_add by %s to Expenses:Meals", log, review.Auto)
	}
	if log, _ := db.AuditLog(ctx, store.AuditFilter{Subject: fmt.Sprintf("line %d", got["B2"].LineID), Limit: 1}); len(log) != 1 || log[0].Action != "review.undo" {
		t.Errorf("newest audit entry of B2 %+v, want the person's undo", log)
	}
	entries, err := db.Entries(ctx, bankfeed.EntryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(entries); n != 4 {
		t.Errorf("entries: %d, want 4 (B1, B3, B4 by the person, B5 by the rule)", n)
	}

	// The person goes on down the statement (or adds the payee's lines
	// in bulk): adding B5 as the rule did is their decision now, not a
	// conflict; adding it another way still asks for an undo first.
	if _, err := s.Add(ctx, "ann", review.Decision{Line: b5.LineID, Payee: "Blue Bottle", Category: "Expenses:Office"}); bankfeed.ErrorCodeOf(err) != bankfeed.EConflict {
		t.Errorf("add B5 to another category: %v, want a conflict", err)
	}
	e, err := s.Add(ctx, "ann", review.Decision{Line: b5.LineID, Payee: "Blue Bottle", Category: "Expenses:Meals"})
	if err != nil {
		t.Fatalf("add B5 as the rule did: %v", err)
	}
	if e.ID != *b5.EntryID {
		t.Errorf("add B5 gave entry %d, want the rule's %d", e.ID, *b5.EntryID)
	}
	if b5 := reviews()["B5"]; b5.State != bankfeed.ReviewAdded || b5.Auto || b5.DecidedBy != "ann" {
		t.Errorf("B5 after the person's add %+v, want added by ann", b5.Review)
	}
	if log, _ := db.AuditLog(ctx, store.AuditFilter{Subject: fmt.Sprintf("line %d", b5.LineID)}); len(log) != 2 || log[0].Action != "review.add" || log[0].Actor != "ann" {
		t.Errorf("audit of B5 %+v, want review.auto_add by %s, then review.add by ann", log, review.Auto)
	}
	if entries, _ := db.Entries(ctx, bankfeed.EntryFilter{}); len(entries) != 4 {
		t.Errorf("entries after the person's add of B5: %d, want still 4", len(entries))
	}
}

// TestWriteLearnedReportsRelabel: WriteLearned says whether what it wrote
// labels lines another way (an enabled learned rule added or changed), so
// that only such a decision plans the queue again.
func TestWriteLearnedReportsRelabel(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	// A service that teaches nothing by itself: the test writes what the
	// decisions taught, and reads what WriteLearned reports.
	s := review.New(db, nil, nil)
	// want: what WriteLearned reports after each decision, in order.
	cats := []string{"Meals", "Meals", "Meals", "Office", "Office", "Office"}
	want := []bool{
		false, false, // one and two votes: nothing learned
		true,         // three: the learned rule (and a proposed one, disabled)
		false, false, // Office twice: Meals still has 3 of the last 5
		true, // Office three times: the learned rule follows
	}
	var lines []string
	for i := range cats {
		lines = append(lines, fmt.Sprintf("C%d 202601%02d -%d.00 SQ *BLUE BOTTLE 0113 OAKLAND CA", i, i+2, i+3))
	}
	doc := statement(lines...)
	load(t, db, s, doc)
	items, err := db.Reviews(ctx, store.ReviewFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		if _, err := s.Add(ctx, "ann", review.Decision{Line: it.LineID, Payee: "Blue Bottle", Category: "Expenses:" + cats[i]}); err != nil {
			t.Fatal(err)
		}
		var relabel bool
		if err := db.Update(ctx, func(tx *store.Tx) (err error) {
			relabel, err = books.WriteLearned(ctx, db, tx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if relabel != want[i] {
			t.Errorf("after decision %d (%s): relabel %v, want %v", i+1, cats[i], relabel, want[i])
		}
	}
	// Written already: writing again changes nothing.
	if err := db.Update(ctx, func(tx *store.Tx) error {
		relabel, err := books.WriteLearned(ctx, db, tx)
		if err == nil && relabel {
			t.Errorf("WriteLearned again: relabel true, want false")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// reviewsByFITID returns every review row, by its line's FITID.
func reviewsByFITID(t *testing.T, db *store.DB) map[string]*store.ReviewItem {
	t.Helper()
	items, err := db.Reviews(context.Background(), store.ReviewFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*store.ReviewItem{}
	for _, it := range items {
		out[it.Line.FITID] = it
	}
	return out
}
