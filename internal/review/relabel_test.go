package review_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/match"
	"github.com/bankfeed/bankfeed/internal/review"
	"github.com/bankfeed/bankfeed/internal/store"
)

// taughtLabels labels BLUE BOTTLE lines Expenses:Meals, sure enough to add
// them, once taught is set (as a learned rule does), and nothing before;
// rounds counts the rounds that asked for labels.
type taughtLabels struct {
	taught bool
	rounds int
}

func (tl *taughtLabels) Label(l *match.Line) match.Labels {
	if !tl.taught || !strings.Contains(l.Text, "BLUE BOTTLE") {
		return match.Labels{}
	}
	return match.Labels{Payee: "Blue Bottle", Category: "Expenses:Meals", Confidence: 1, SetBy: map[string]string{"category": "rule 1"}}
}

// TestDecisionThatTeachesARuleReplansTheQueue: when what a person's
// decision teaches changes how lines are labelled (OnConfirmed says so),
// the lines still For Review are planned again in the decision's
// transaction: one the engine is now sure of is added by bankfeed, with
// its audit entry. A decision that teaches nothing runs no round.
func TestDecisionThatTeachesARuleReplansTheQueue(t *testing.T) {
	tests := []struct {
		name    string
		relabel bool
		wantK2  string
		rounds  int // rounds after the import's
	}{
		{"a rule taught: the queue follows it at once", true, "added", 1},
		{"nothing taught: no round", false, "review", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tl := &taughtLabels{}
			f.s = review.New(f.db, func(ctx context.Context, tx *store.Tx) (match.Labeler, func(string) string, error) {
				tl.rounds++
				return tl, nil, nil
			}, strings.ToUpper)
			f.s.OnConfirmed(func(ctx context.Context, tx *store.Tx, actor string) (bool, error) {
				tl.taught = tt.relabel
				return tt.relabel, nil
			})
			f.load(statement("1001", "2026-02-01", "2026-02-10",
				txn{"K1", "2026-02-02", "-6.75", "SQ *BLUE BOTTLE 0113"},
				txn{"K2", "2026-02-05", "-5.25", "SQ *BLUE BOTTLE 0257"}))
			ids := f.lineIDs()
			imported := tl.rounds
			if _, err := f.s.Add(f.ctx, "ann", review.Decision{Line: ids["K1"], Payee: "Blue Bottle", Category: "Expenses:Meals"}); err != nil {
				t.Fatal(err)
			}
			if n := tl.rounds - imported; n != tt.rounds {
				t.Errorf("rounds after the decision: %d, want %d", n, tt.rounds)
			}
			if st := f.states(); st["K2"] != tt.wantK2 || st["K1"] != "added" {
				t.Fatalf("states %v, want K1 added, K2 %s", st, tt.wantK2)
			}
			if !tt.relabel {
				return
			}
			rv := f.review(ids["K2"])
			if !rv.Auto || rv.DecidedBy != review.Auto || rv.Category != "Expenses:Meals" {
				t.Errorf("K2 review %+v, want added by %s to Expenses:Meals", rv, review.Auto)
			}
			if h := f.history(ids["K2"]); !slices.Equal(h, []string{"review.auto_add by bankfeed"}) {
				t.Errorf("K2 audit %v, want one review.auto_add by bankfeed", h)
			}
			es, _ := f.db.Entries(f.ctx, bankfeed.EntryFilter{})
			if len(es) != 2 {
				t.Fatalf("entries %+v, want the person's and the one made for K2", es)
			}
		})
	}
}
