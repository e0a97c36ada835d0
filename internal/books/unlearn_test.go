package books_test

import (
	"context"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/books"
	"github.com/bankfeed/bankfeed/internal/review"
	"github.com/bankfeed/bankfeed/internal/store"
)

// TestUndoUnlearnsTheRule: a person's three adds teach a payee's learned
// rule; taking one back leaves two votes, so the rule is taken down
// (audited) and the payee's waiting line no longer has its category
// proposed; undoing a line the rule itself added takes nothing down; adding
// again teaches the rule again.
func TestUndoUnlearnsTheRule(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	s := books.ReviewService(db)
	load(t, db, s, statement(
		"U1 20260105 -4.50 SQ *BLUE BOTTLE 0113 OAKLAND CA",
		"U2 20260108 -6.00 SQ *BLUE BOTTLE 0113 OAKLAND CA",
		"U3 20260112 -5.25 SQ *BLUE BOTTLE 0113 OAKLAND CA",
		"U4 20260119 -4.75 SQ *BLUE BOTTLE 0113 OAKLAND CA",
		"U5 20260126 -5.50 SQ *BLUE BOTTLE 0113 OAKLAND CA"))
	reviews := func() map[string]*store.ReviewItem { return reviewsByFITID(t, db) }
	learned := func() []*store.RuleRecord {
		t.Helper()
		var out []*store.RuleRecord
		err := db.Update(ctx, func(tx *store.Tx) error {
			recs, err := tx.Rules(ctx)
			for _, r := range recs {
				if r.Origin == "learned" {
					out = append(out, r)
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	rv := reviews()
	for _, id := range []string{"U1", "U2", "U3"} {
		if _, err := s.Add(ctx, "ann", review.Decision{Line: rv[id].LineID, Payee: "Blue Bottle", Category: "Expenses:Meals"}); err != nil {
			t.Fatalf("add %s: %v", id, err)
		}
	}
	if n := len(learned()); n != 1 {
		t.Fatalf("%d learned rules after three adds, want 1", n)
	}
	got := reviews()
	if got["U4"].State != bankfeed.ReviewAdded || got["U4"].DecidedBy != review.Auto {
		t.Fatalf("U4 %+v, want added by the rule", got["U4"].Review)
	}

	// Undoing a line the rule added takes no vote back.
	if err := s.Undo(ctx, "ann", got["U4"].LineID); err != nil {
		t.Fatal(err)
	}
	if n := len(learned()); n != 1 {
		t.Errorf("%d learned rules after undoing the rule's own add, want 1", n)
	}

	// Undoing one of the person's adds leaves two votes: the rule goes.
	if err := s.Undo(ctx, "ann", got["U3"].LineID); err != nil {
		t.Fatal(err)
	}
	if rs := learned(); len(rs) != 0 {
		t.Fatalf("learned rules after the undo: %+v, want none", rs)
	}
	log, err := db.AuditLog(ctx, store.AuditFilter{Action: "rule.unlearn"})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Actor != review.Auto || !strings.Contains(log[0].Detail, "Blue Bottle") {
		t.Errorf("audit of the unlearning: %+v", log)
	}

	// Adding it again is a third vote again: the rule is back.
	if _, err := s.Add(ctx, "ann", review.Decision{Line: got["U3"].LineID, Payee: "Blue Bottle", Category: "Expenses:Meals"}); err != nil {
		t.Fatal(err)
	}
	if n := len(learned()); n != 1 {
		t.Errorf("%d learned rules after adding again, want 1", n)
	}
}
