package review_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/importer"
	"github.com/bankfeed/bankfeed/internal/match"
	"github.com/bankfeed/bankfeed/internal/review"
	"github.com/bankfeed/bankfeed/internal/store"
)

// gate stops a round once, after it read the queue and before it writes:
// reached is closed there, and the round goes on when release is closed.
type gate struct {
	reached, release chan struct{}
}

func newGate() *gate { return &gate{reached: make(chan struct{}), release: make(chan struct{})} }

// labelAll labels every line alike.
type labelAll match.Labels

func (l labelAll) Label(*match.Line) match.Labels { return match.Labels(l) }

// gatedService is a review service whose rounds label every line with lb,
// and stop at the gate armed, if any (once).
func gatedService(db *store.DB, lb match.Labels, armed *atomic.Pointer[gate]) *review.Service {
	return review.New(db, func(ctx context.Context, tx *store.Tx) (match.Labeler, func(string) string, error) {
		if g := armed.Swap(nil); g != nil {
			close(g.reached)
			<-g.release
		}
		return labelAll(lb), nil, nil
	}, strings.ToUpper)
}

// history lists a line's audit entries, oldest first: "action by actor".
func (f *fixture) history(line bankfeed.LineID) []string {
	f.t.Helper()
	log, err := f.db.AuditLog(f.ctx, store.AuditFilter{Subject: fmt.Sprintf("line %d", line)})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for i := len(log) - 1; i >= 0; i-- {
		out = append(out, log[i].Action+" by "+log[i].Actor)
	}
	return out
}

// review reads a line's review record.
func (f *fixture) review(line bankfeed.LineID) *bankfeed.Review {
	f.t.Helper()
	var rv *bankfeed.Review
	err := f.db.Update(f.ctx, func(tx *store.Tx) (err error) {
		rv, err = tx.Review(f.ctx, line)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return rv
}

// TestRoundStartedBeforeADecision: an automatic round (a sync's or an
// import's review, a rematch in a sync's shared commit) that read the
// queue before a person decides a line of it holds the store's one writer
// until it commits: the person's decision waits for it, then sees what the
// round decided and is refused (a conflict), never answered and then
// overwritten. Each round is stopped between its read and its writes while
// the person decides.
func TestRoundStartedBeforeADecision(t *testing.T) {
	rounds := []struct {
		name string
		run  func(f *fixture) error
	}{
		{"an import's review", func(f *fixture) error {
			doc := statement("1001", "2026-02-06", "2026-02-10", txn{"N1", "2026-02-07", "-9.00", "CORNER STORE"})
			_, err := f.im.Import(f.ctx, strings.NewReader(doc), "next.ofx", int64(len(doc)), f.s.Options(importer.Options{}))
			return err
		}},
		{"a rematch in a shared commit", func(f *fixture) error {
			return f.db.Batch(f.ctx, func(tx *store.Tx) error { return f.s.Rematch(f.ctx, tx, nil) })
		}},
	}
	for _, rt := range rounds {
		t.Run(rt.name, func(t *testing.T) {
			f := newFixture(t)
			f.load(statement("1001", "2026-02-01", "2026-02-05", txn{"X1", "2026-02-02", "-12.00", "SQ *BLUE BOTTLE 123"}))
			x := f.lineIDs()["X1"]
			if rv := f.review(x); rv.State != bankfeed.ReviewPending {
				t.Fatalf("X1 after the first delivery: %s, want For Review", rv.State)
			}
			// From now on a rule excludes every line a round decides.
			var armed atomic.Pointer[gate]
			f.s = gatedService(f.db, match.Labels{Exclude: true, SetBy: map[string]string{"exclude": "rule 1"}}, &armed)

			g := newGate()
			armed.Store(g)
			roundErr := make(chan error, 1)
			go func() { roundErr <- rt.run(f) }()
			select {
			case <-g.reached:
			case err := <-roundErr:
				t.Fatalf("the round ended before its gate: %v", err)
			}
			// The round has read the queue (X1 For Review) and stands
			// before its writes. A person adds X1 now.
			addErr := make(chan error, 1)
			go func() {
				_, err := f.s.Add(f.ctx, "ann", review.Decision{Line: x, Category: "Expenses:Meals"})
				addErr <- err
			}()
			select {
			case err := <-addErr:
				t.Fatalf("the add was answered (%v) while a round that read X1 For Review had not written yet", err)
			case <-time.After(100 * time.Millisecond):
			}
			close(g.release)
			if err := <-roundErr; err != nil {
				t.Fatalf("round: %v", err)
			}
			err := <-addErr
			rv := f.review(x)
			switch {
			case err == nil:
				// Answered 200: then it must stand, the person's.
				if rv.State != bankfeed.ReviewAdded || rv.Auto || rv.DecidedBy != "ann" {
					t.Errorf("the add was answered, and X1 is %s by %q (auto %v): overwritten; audit %v", rv.State, rv.DecidedBy, rv.Auto, f.history(x))
				}
			case bankfeed.ErrorCodeOf(err) == bankfeed.EConflict:
				// Refused: the round's decision stands.
				if rv.State != bankfeed.ReviewExcluded || !rv.Auto || rv.DecidedBy != review.Auto {
					t.Errorf("the add was refused, and X1 is %s by %q (auto %v); audit %v", rv.State, rv.DecidedBy, rv.Auto, f.history(x))
				}
			default:
				t.Fatalf("add: %v", err)
			}
			// Either way, the audit log tells the line's story to its end.
			h := f.history(x)
			want := map[bankfeed.ReviewState]string{bankfeed.ReviewAdded: "review.add by ann", bankfeed.ReviewExcluded: "review.auto_exclude by bankfeed"}[rv.State]
			if len(h) == 0 || h[len(h)-1] != want {
				t.Errorf("X1 is %s; its audit %v does not end with %q", rv.State, h, want)
			}
		})
	}
}

// TestRoundAfterDecisionsLeavesThem: a round after people decided (an
// add, an exclude, an undo that holds a line For Review) decides none of
// those lines again, however sure its labels are: a learned category
// confident enough to add on its own, or a transfer pair.
func TestRoundAfterDecisionsLeavesThem(t *testing.T) {
	f := newFixture(t)
	var armed atomic.Pointer[gate]
	f.s = gatedService(f.db, match.Labels{}, &armed) // the first delivery waits For Review
	doc := statement("1001", "2026-02-01", "2026-02-05",
		txn{"A1", "2026-02-02", "-12.00", "SQ *BLUE BOTTLE 123"},
		txn{"E1", "2026-02-03", "-3.00", "ATM FEE"},
		txn{"U1", "2026-02-04", "-250.00", "ONLINE TRANSFER TO SAVINGS 2002"})
	f.load(doc)
	ids := f.lineIDs()
	if _, err := f.s.Add(f.ctx, "ann", review.Decision{Line: ids["A1"], Category: "Expenses:Meals"}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Exclude(f.ctx, "bob", ids["E1"], "personal"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Exclude(f.ctx, "cy", ids["U1"], ""); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Undo(f.ctx, "cy", ids["U1"]); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A1": "added by ann", "E1": "excluded by bob", "U1": "review by cy"}
	got := func() map[string]string {
		out := map[string]string{}
		for fitid := range want {
			rv := f.review(ids[fitid])
			out[fitid] = fmt.Sprintf("%s by %s", rv.State, rv.DecidedBy)
		}
		return out
	}
	// Now every round is sure: add each line to Expenses:Auto.
	f.s = gatedService(f.db, match.Labels{Category: "Expenses:Auto", AutoAdd: true, Confidence: 1, SetBy: map[string]string{"category": "learned"}}, &armed)
	if err := f.db.Update(f.ctx, func(tx *store.Tx) error { return f.s.Rematch(f.ctx, tx, nil) }); err != nil {
		t.Fatal(err)
	}
	// A delivery over the same days, with U1's other side in savings.
	doc2 := statement("2002", "2026-02-01", "2026-02-06", txn{"U2", "2026-02-05", "250.00", "ONLINE TRANSFER FROM CHECKING 1001"})
	f.load(doc[:strings.Index(doc, "</BANKMSGSRSV1>")] + doc2[strings.Index(doc2, "<STMTTRNRS>"):])
	if g := got(); fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("after the rounds %v, want %v", g, want)
	}
	if rv := f.review(ids["U1"]); rv.EntryID != nil {
		t.Errorf("U1, held For Review, was booked in entry %d", *rv.EntryID)
	}
}
