package review_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/review"
	"github.com/bankfeed/bankfeed/internal/store"
)

// TestDecisionErrorsNameTheField: a decision that lacks what review does
// not propose is refused as invalid, with a message that names the field
// and speaks to no face in particular (no CLI flag), and an error a face
// can recognise to add its own hint.
func TestDecisionErrorsNameTheField(t *testing.T) {
	f := newFixture(t)
	f.load(statement("1001", "2026-02-01", "2026-02-05",
		txn{"Q1", "2026-02-02", "-12.00", "SQ *BLUE BOTTLE 123"}))
	f.load(statement("2002", "2026-02-01", "2026-02-05",
		txn{"Q2", "2026-02-03", "-7.00", "ATM FEE"}))
	items, err := f.db.Reviews(f.ctx, store.ReviewFilter{})
	if err != nil || len(items) != 2 {
		t.Fatalf("reviews %v, %v", items, err)
	}
	line := items[0].LineID
	tests := []struct {
		name     string
		decide   func() error
		wantIs   error
		wantText string
	}{
		{"add without a category", func() error {
			_, err := f.s.Add(f.ctx, "ann", review.Decision{Line: line})
			return err
		}, review.ErrNoCategory, "category: required to add line " + itoa(line) + " (review proposes no category)"},
		{"match without an entry", func() error {
			_, err := f.s.Match(f.ctx, "ann", review.Decision{Line: line})
			return err
		}, review.ErrNoEntry, "entry_id: required to match line " + itoa(line) + " (review proposes no entry)"},
		{"transfer without the other side", func() error {
			_, err := f.s.Transfer(f.ctx, "ann", review.Decision{Line: line})
			return err
		}, review.ErrNoOtherSide, "with: required to make a transfer of line " + itoa(line) + " (review proposes no other side)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.decide()
			if bankfeed.ErrorCodeOf(err) != bankfeed.EInvalid {
				t.Fatalf("err %v, want invalid", err)
			}
			if !errors.Is(err, tt.wantIs) {
				t.Errorf("err %v is not %v", err, tt.wantIs)
			}
			if err.Error() != tt.wantText {
				t.Errorf("message %q, want %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), "--") {
				t.Errorf("message %q names a CLI flag", err)
			}
		})
	}
	if n := f.count(bankfeed.ReviewPending); n != 2 {
		t.Errorf("For Review after refused decisions: %d, want 2", n)
	}
}

func itoa(id bankfeed.LineID) string { return strconv.FormatInt(int64(id), 10) }
