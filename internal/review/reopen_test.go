package review_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

// transferFixture loads one auto-paired transfer between accounts 1001
// and 2002 and returns its legs' ids by FITID.
func transferFixture(t *testing.T) (*fixture, map[string]bankfeed.LineID) {
	t.Helper()
	f := newFixture(t)
	doc := statement("1001", "2026-02-01", "2026-02-05", txn{"T1", "2026-02-02", "-500.00", "ONLINE TRANSFER TO SAVINGS 2002"})
	doc2 := statement("2002", "2026-02-01", "2026-02-05", txn{"T2", "2026-02-03", "500.00", "ONLINE TRANSFER FROM CHECKING 1001"})
	f.load(doc[:strings.Index(doc, "</BANKMSGSRSV1>")] + doc2[strings.Index(doc2, "<STMTTRNRS>"):])
	if st := f.states(); st["T1"] != "added" || st["T2"] != "added" {
		t.Fatalf("transfer legs %v, want both added", st)
	}
	return f, f.lineIDs()
}

// lineIDs maps each line's FITID to its id.
func (f *fixture) lineIDs() map[string]bankfeed.LineID {
	f.t.Helper()
	items, err := f.db.Reviews(f.ctx, store.ReviewFilter{})
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]bankfeed.LineID{}
	for _, it := range items {
		out[it.Line.FITID] = it.LineID
	}
	return out
}

// lastAudit is the newest audit entry about a line.
func (f *fixture) lastAudit(line bankfeed.LineID) *bankfeed.AuditEntry {
	f.t.Helper()
	log, err := f.db.AuditLog(f.ctx, store.AuditFilter{Subject: fmt.Sprintf("line %d", line), Limit: 1})
	if err != nil {
		f.t.Fatal(err)
	}
	if len(log) == 0 {
		f.t.Fatalf("no audit entry for line %d", line)
	}
	return log[0]
}

// reopenDetail reads the detail of a review.reopen entry.
type reopenDetail struct {
	Was   bankfeed.ReviewState `json:"was"`
	Entry bankfeed.EntryID     `json:"entry"`
	With  bankfeed.LineID      `json:"with"`
}

func (f *fixture) wantReopened(line bankfeed.LineID, actor string, with bankfeed.LineID) {
	f.t.Helper()
	a := f.lastAudit(line)
	var d reopenDetail
	if err := json.Unmarshal([]byte(a.Detail), &d); err != nil {
		f.t.Fatalf("detail %q: %v", a.Detail, err)
	}
	if a.Action != "review.reopen" || a.Actor != actor || d.Was != bankfeed.ReviewAdded || d.With != with || d.Entry == 0 {
		f.t.Errorf("newest audit entry of line %d: %s by %s %s, want review.reopen by %s (was added, with %d)", line, a.Action, a.Actor, a.Detail, actor, with)
	}
	if a.At.IsZero() {
		f.t.Errorf("audit entry of line %d has no time", line)
	}
}

// TestUndoOfATransferLegAuditsTheOther: undoing one leg of a transfer puts
// the other back For Review too, and the audit log says so for each line,
// in the name of the person who undid it.
func TestUndoOfATransferLegAuditsTheOther(t *testing.T) {
	f, ids := transferFixture(t)
	if err := f.s.Undo(f.ctx, "ann", ids["T1"]); err != nil {
		t.Fatal(err)
	}
	if st := f.states(); st["T1"] != "review" || st["T2"] != "review" {
		t.Fatalf("after the undo %v, want both legs For Review", st)
	}
	if a := f.lastAudit(ids["T1"]); a.Action != "review.undo" || a.Actor != "ann" {
		t.Errorf("newest audit entry of the undone leg: %s by %s", a.Action, a.Actor)
	}
	f.wantReopened(ids["T2"], "ann", ids["T1"])
}

// TestTypedEntryClaimingATransferLegAuditsTheOther: an entry a person
// types claims one leg of an automatic transfer; the transfer goes, and
// the other leg, back For Review, has its audit entry by bankfeed.
func TestTypedEntryClaimingATransferLegAuditsTheOther(t *testing.T) {
	f, ids := transferFixture(t)
	es, err := f.db.Entries(f.ctx, bankfeed.EntryFilter{})
	if err != nil || len(es) != 1 {
		t.Fatalf("entries %v, %v", es, err)
	}
	var checking string
	for _, sp := range es[0].Splits {
		if sp.Amount.Sign() < 0 {
			checking = sp.AccountName
		}
	}
	typed := &bankfeed.Entry{Date: "2026-02-02", Payee: "Online transfer to savings", Splits: []bankfeed.Split{
		{AccountName: checking, Amount: bankfeed.MustDecimal("-500.00")},
		{AccountName: "Expenses:Rent", Amount: bankfeed.MustDecimal("500.00")}}}
	if err := f.s.AddEntry(f.ctx, "ann", typed); err != nil {
		t.Fatal(err)
	}
	if st := f.states(); st["T1"] != "matched" || st["T2"] != "review" {
		t.Fatalf("after the typed entry %v, want T1 matched to it and T2 For Review", st)
	}
	f.wantReopened(ids["T2"], "bankfeed", ids["T1"])
}

// TestRemoveEntryAuditsItsLines: removing an entry puts its lines back For
// Review, each with its audit entry.
func TestRemoveEntryAuditsItsLines(t *testing.T) {
	f, ids := transferFixture(t)
	es, err := f.db.Entries(f.ctx, bankfeed.EntryFilter{})
	if err != nil || len(es) != 1 {
		t.Fatalf("entries %v, %v", es, err)
	}
	if err := f.s.RemoveEntry(f.ctx, "bob", es[0].ID); err != nil {
		t.Fatal(err)
	}
	for _, fitid := range []string{"T1", "T2"} {
		a := f.lastAudit(ids[fitid])
		if a.Action != "review.reopen" || a.Actor != "bob" || !strings.Contains(a.Detail, fmt.Sprintf(`"entry":%d`, es[0].ID)) {
			t.Errorf("newest audit entry of %s: %s by %s %s, want review.reopen by bob", fitid, a.Action, a.Actor, a.Detail)
		}
	}
}
