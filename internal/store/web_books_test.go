package store

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
)

// booksFill writes n lines over 4 accounts, straight in SQL: one in three
// For Review, the others decided, one a second apart.
func booksFill(t testing.TB, db *DB, n int) {
	t.Helper()
	ctx := context.Background()
	err := db.Update(ctx, func(tx *Tx) error {
		for _, q := range []string{
			`INSERT INTO institutions (key, created_at) VALUES ('test', '2026-01-01T00:00:00.000000Z')`,
			`INSERT INTO accounts (institution_id, kind, number, currency, created_at)
				SELECT 1, 'bank', 'acct-' || value, 'USD', '2026-01-01T00:00:00.000000Z' FROM (SELECT 1 AS value UNION SELECT 2 UNION SELECT 3 UNION SELECT 4)`,
			`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
				INSERT INTO lines (id, account_id, fitid, posted_on, amount, amount_minor, currency, type, name, memo, created_at)
				SELECT i, 1 + i % 4, 'f' || i, date('2020-01-01', '+' || (i / 500) || ' days'), printf('%.2f', -(i % 10000) / 100.0), -(i % 10000),
					'USD', 'DEBIT', 'SHOP ' || (i % 997), '', '2026-01-01T00:00:00.000000Z' FROM n`,
			`INSERT INTO line_reviews (line_id, account_id, state, decided_by, decided_at)
				SELECT id, account_id, CASE WHEN id % 3 = 0 THEN 'review' ELSE 'added' END,
					CASE WHEN id % 3 = 0 THEN '' ELSE 'bankfeed' END,
					CASE WHEN id % 3 = 0 THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S.000000Z', '2026-01-01', '+' || id || ' seconds') END
				FROM lines`,
		} {
			args := []any{}
			if strings.Contains(q, "RECURSIVE") {
				args = append(args, n)
			}
			if _, err := tx.q().ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReviewQueuePages: the queue's pages follow each other without a gap
// or a repeat, with and without filters, and each is read through an
// index, not a scan of the table. BANKFEED_BIG=1 runs it over a million
// lines and times each page.
func TestReviewQueuePages(t *testing.T) {
	n := 30_000
	if os.Getenv("BANKFEED_BIG") != "" {
		n = 1_000_000
	}
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	booksFill(t, db, n)
	minus50 := int64(-5000)
	tests := []struct {
		name string
		f    QueueFilter
		slow bool // timed, not held to 100 ms
	}{
		{"queue", QueueFilter{}, false},
		{"one account", QueueFilter{AccountID: 2}, false},
		{"decided", QueueFilter{Decided: true}, false},
		{"decided, one account", QueueFilter{AccountID: 3, Decided: true}, false},
		{"text", QueueFilter{Text: "shop 42"}, false},
		{"amount and dates", QueueFilter{Min: &minus50, From: "2020-01-10", To: "2020-02-20"}, false},
		{"text that no line has", QueueFilter{Text: "no such shop"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			f.Limit = 50
			seen := map[bankfeed.LineID]bool{}
			var slowest time.Duration
			for page := 0; page < 5; page++ {
				start := time.Now()
				p, err := db.ReviewQueue(ctx, f)
				if took := time.Since(start); took > slowest {
					slowest = took
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range p.Items {
					if seen[it.LineID] {
						t.Fatalf("page %d repeats line %d", page, it.LineID)
					}
					seen[it.LineID] = true
					if (it.State == bankfeed.ReviewPending) == f.Decided {
						t.Fatalf("line %d is %s", it.LineID, it.State)
					}
					if f.AccountID != 0 && it.AccountID != f.AccountID {
						t.Fatalf("line %d of account %d", it.LineID, it.AccountID)
					}
				}
				if p.Next == "" {
					break
				}
				f.Cursor = p.Next
			}
			if len(seen) == 0 && tt.f.Text != "no such shop" {
				t.Fatal("no lines")
			}
			t.Logf("%d lines: slowest page %s", n, slowest)
			if n >= 1_000_000 && !tt.slow && slowest > 100*time.Millisecond {
				t.Errorf("slowest page took %s over %d lines", slowest, n)
			}
		})
	}
	// The queue is read by its indexes: no full scan of line_reviews.
	for _, q := range []string{
		`SELECT r.line_id FROM lines l JOIN line_reviews r ON r.line_id = l.id WHERE r.state = 'review' AND r.line_id > 5 ORDER BY r.line_id LIMIT 51`,
		`SELECT r.line_id FROM lines l JOIN line_reviews r ON r.line_id = l.id WHERE r.decided_at IS NOT NULL AND r.state <> 'review' ORDER BY r.decided_at DESC, r.line_id DESC LIMIT 51`,
	} {
		var plan []string
		err := db.view(ctx, func(tx cachedTx) error {
			rows, err := tx.QueryContext(ctx, `EXPLAIN QUERY PLAN `+q)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					return err
				}
				plan = append(plan, detail)
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		joined := strings.Join(plan, "; ")
		if strings.Contains(joined, "SCAN r") || strings.Contains(joined, "TEMP B-TREE") {
			t.Errorf("plan of %s:\n%s", q, joined)
		}
	}
}
