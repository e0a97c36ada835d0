package review_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/match"
	"github.com/bankfeed/bankfeed/internal/review"
	"github.com/bankfeed/bankfeed/internal/store"
)

// autoAdded loads one coffee line (K1, 2026-02-24, -6.75) that the rule
// adds without review, and returns the fixture and the bank account's name.
func autoAdded(t *testing.T) (*fixture, string) {
	t.Helper()
	f := newFixture(t)
	f.s = review.New(f.db, func(ctx context.Context, tx *store.Tx) (match.Labeler, func(string) string, error) {
		return coffeeRule{}, nil, nil
	}, strings.ToUpper)
	f.load(statement("1001", "2026-02-20", "2026-02-27", txn{"K1", "2026-02-24", "-6.75", "BLUE BOTTLE COFFEE"}))
	es, err := f.db.Entries(f.ctx, bankfeed.EntryFilter{})
	if err != nil || len(es) != 1 || es[0].Origin != bankfeed.OriginRule {
		t.Fatalf("entries %+v, %v: want the one the rule made", es, err)
	}
	return f, es[0].Splits[0].AccountName
}

// typeCoffee types an entry for a coffee of amount on date, as a person
// does after the import.
func (f *fixture) typeCoffee(bank, date, amount string) *bankfeed.Entry {
	f.t.Helper()
	e := &bankfeed.Entry{Date: date, Payee: "Blue Bottle", Splits: []bankfeed.Split{
		{AccountName: bank, Amount: bankfeed.MustDecimal(amount)},
		{AccountName: "Expenses:Client meals", Amount: bankfeed.MustDecimal(amount).Neg()}}}
	if err := f.s.AddEntry(f.ctx, "ann", e); err != nil {
		f.t.Fatal(err)
	}
	return e
}

// review1 is the review record of the one line.
func (f *fixture) review1() *store.ReviewItem {
	f.t.Helper()
	items, err := f.db.Reviews(f.ctx, store.ReviewFilter{})
	if err != nil || len(items) != 1 {
		f.t.Fatalf("reviews %+v, %v: want one", items, err)
	}
	return items[0]
}

// TestTypedEntryDoubtsAnAutoAddedLine: an entry a person types after
// bankfeed added a line on its own, like the line but not enough to take
// its place, puts the line back For Review as a possible duplicate of it
// (the made entry gone, the typed one suggested, audited), rather than
// leave the event twice in the books. An entry that is plainly another
// purchase leaves the line as it was.
func TestTypedEntryDoubtsAnAutoAddedLine(t *testing.T) {
	tests := []struct {
		name         string
		date, amount string
		wantState    bankfeed.ReviewState
		wantEntries  int // entries in the books after typing
		wantDoubt    bool
	}{
		{name: "the line's amount the day before: it replaces the made entry", date: "2026-02-23", amount: "-6.75",
			wantState: bankfeed.ReviewMatched, wantEntries: 1},
		{name: "more than the line (a tip the bank had not posted): a possible duplicate", date: "2026-02-23", amount: "-7.50",
			wantState: bankfeed.ReviewPending, wantEntries: 1, wantDoubt: true},
		{name: "the line's amount 6 days before: a possible duplicate", date: "2026-02-18", amount: "-6.75",
			wantState: bankfeed.ReviewPending, wantEntries: 1, wantDoubt: true},
		{name: "dated after the line: another purchase, both kept", date: "2026-02-26", amount: "-6.75",
			wantState: bankfeed.ReviewAdded, wantEntries: 2},
		{name: "dated 10 days before the line: another purchase, both kept", date: "2026-02-14", amount: "-6.75",
			wantState: bankfeed.ReviewAdded, wantEntries: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, bank := autoAdded(t)
			made := *f.review1().EntryID
			typed := f.typeCoffee(bank, tt.date, tt.amount)
			es, err := f.db.Entries(f.ctx, bankfeed.EntryFilter{})
			if err != nil || len(es) != tt.wantEntries {
				t.Fatalf("entries after typing: %d, %v; want %d", len(es), err, tt.wantEntries)
			}
			rv := f.review1()
			if rv.State != tt.wantState || review.PossibleDuplicate(&rv.Review) != tt.wantDoubt {
				t.Fatalf("line %s, possible duplicate %v; want %s, %v", rv.State, review.PossibleDuplicate(&rv.Review), tt.wantState, tt.wantDoubt)
			}
			if !tt.wantDoubt {
				return
			}
			if rv.Suggestion == nil || *rv.Suggestion != typed.ID || rv.EntryID != nil || rv.Auto || rv.DecidedBy != "" {
				t.Errorf("review %+v: want For Review, no entry, suggesting the typed entry %d", rv.Review, typed.ID)
			}
			if es[0].ID != typed.ID {
				t.Errorf("entry %d left, want only the typed %d (the made %d gone)", es[0].ID, typed.ID, made)
			}
			a := f.lastAudit(rv.LineID)
			var d struct {
				Was         bankfeed.ReviewState `json:"was"`
				Entry       bankfeed.EntryID     `json:"entry"`
				DuplicateOf bankfeed.EntryID     `json:"duplicate_of"`
			}
			if err := json.Unmarshal([]byte(a.Detail), &d); err != nil {
				t.Fatalf("detail %q: %v", a.Detail, err)
			}
			if a.Action != "review.reopen" || a.Actor != review.Auto || d.Was != bankfeed.ReviewAdded || d.Entry != made || d.DuplicateOf != typed.ID {
				t.Errorf("audit %s by %s %s: want review.reopen by bankfeed, was added, entry %d, duplicate of %d", a.Action, a.Actor, a.Detail, made, typed.ID)
			}
		})
	}
}

// TestPossibleDuplicateResolved: the person answers a possible duplicate
// either way. Matching it to the entry they typed keeps the event once;
// adding it says it was another purchase, and both entries stay. A round
// before the answer keeps the line a possible duplicate while it suggests
// the same entry.
func TestPossibleDuplicateResolved(t *testing.T) {
	tests := []struct {
		name        string
		decide      func(f *fixture, line bankfeed.LineID) error
		wantState   bankfeed.ReviewState
		wantEntries int
	}{
		{name: "matched to the typed entry", wantState: bankfeed.ReviewMatched, wantEntries: 1,
			decide: func(f *fixture, line bankfeed.LineID) error {
				_, err := f.s.Match(f.ctx, "ann", review.Decision{Line: line})
				return err
			}},
		{name: "added: another purchase", wantState: bankfeed.ReviewAdded, wantEntries: 2,
			decide: func(f *fixture, line bankfeed.LineID) error {
				_, err := f.s.Add(f.ctx, "ann", review.Decision{Line: line})
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, bank := autoAdded(t)
			typed := f.typeCoffee(bank, "2026-02-18", "-6.75")
			line := f.review1().LineID
			if err := f.db.Update(f.ctx, func(tx *store.Tx) error { return f.s.Rematch(f.ctx, tx, nil) }); err != nil {
				t.Fatal(err)
			}
			if rv := f.review1(); !review.PossibleDuplicate(&rv.Review) || *rv.Suggestion != typed.ID {
				t.Fatalf("after another round: %+v, want still a possible duplicate of %d", rv.Review, typed.ID)
			}
			if err := tt.decide(f, line); err != nil {
				t.Fatal(err)
			}
			es, err := f.db.Entries(f.ctx, bankfeed.EntryFilter{})
			if err != nil || len(es) != tt.wantEntries {
				t.Fatalf("entries: %d, %v; want %d", len(es), err, tt.wantEntries)
			}
			if rv := f.review1(); rv.State != tt.wantState || rv.Auto {
				t.Errorf("line %s (auto %v), want %s by the person", rv.State, rv.Auto, tt.wantState)
			}
		})
	}
}
