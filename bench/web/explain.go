package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/bankfeed/bankfeed/internal/store"
)

// planned are the queries the pages run that read many rows, as the store
// writes them, with the first account's id where they take one.
var planned = []struct{ name, sql string }{
	{"count waiting (menu, status)", `SELECT count(*) FROM line_reviews WHERE state = 'review'`},
	{"queue, first page", `SELECT r.line_id FROM lines l JOIN line_reviews r ON r.line_id = l.id WHERE r.state = 'review' ORDER BY r.line_id LIMIT 51`},
	{"recent decisions", `SELECT r.line_id FROM lines l JOIN line_reviews r ON r.line_id = l.id WHERE r.decided_at IS NOT NULL AND r.state <> 'review' ORDER BY r.decided_at DESC, r.line_id DESC LIMIT 11`},
	{"account's lines", `SELECT count(*) FROM lines l WHERE l.account_id = 1`},
	{"account's first line", `SELECT min(posted_on) FROM lines l WHERE l.account_id = 1`},
	{"account's last import", `SELECT max(m.finished_at) FROM import_statements s JOIN imports m ON m.id = s.import_id WHERE s.account_id = 1`},
	{"account waiting", `SELECT count(*) FROM line_reviews WHERE state = 'review' AND account_id = 1`},
	{"day sums", `SELECT posted_on, sum(amount_minor), count(*) FROM lines WHERE account_id = 1 AND posted_on > '2026-08-01' AND posted_on <= '2026-11-30' GROUP BY posted_on`},
	{"last run per account", `SELECT * FROM sync_runs WHERE account_id = 1 ORDER BY started_at DESC LIMIT 1`},
}

// explainPages prints each planned query's plan and time.
func explainPages(ctx context.Context, db *store.DB, w io.Writer) error {
	conn := db.Writer()
	for _, q := range planned {
		rows, err := conn.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q.sql)
		if err != nil {
			return fmt.Errorf("%s: %w", q.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				rows.Close()
				return err
			}
			plan = append(plan, detail)
		}
		rows.Close()
		fmt.Fprintf(w, "%-30s %s\n", q.name, strings.Join(plan, "; "))
	}
	fmt.Fprintln(w)
	return nil
}
