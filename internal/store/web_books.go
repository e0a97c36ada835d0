package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/reconcile"
)

// QueueFilter selects a page of the review queue.
type QueueFilter struct {
	AccountID bankfeed.AccountID // 0 for every account
	From, To  string             // YYYY-MM-DD, inclusive; "" for open
	// Text is found in the line's name or memo, or the proposed payee.
	Text string
	// Min and Max bound the amount, in minor units; nil for open.
	Min, Max *int64
	// Decided lists decided lines, newest decision first; otherwise the
	// lines For Review, by line id.
	Decided bool
	// Cursor is the Next of the page before; "" for the first page.
	Cursor string
	Limit  int
}

// QueueItem is a review record with its line, and what its proposal names:
// the suggested entry and the transfer's other line.
type QueueItem struct {
	ReviewItem
	SuggestedEntry *QueueEntry    `json:"suggested_entry,omitempty"`
	TransferLine   *bankfeed.Line `json:"transfer_line,omitempty"`
}

// QueueEntry is an entry as the queue shows it.
type QueueEntry struct {
	ID    bankfeed.EntryID `json:"id"`
	Date  string           `json:"date"`
	Payee string           `json:"payee"`
}

// QueuePage is one page of the queue; Next is the cursor of the page after
// ("" when this is the last). With a date, amount or text filter a page
// may hold fewer lines than asked for, or none, and still have a Next: the
// search goes on from there.
type QueuePage struct {
	Items []*QueueItem `json:"items"`
	Next  string       `json:"next,omitempty"`
}

// queueWindow is how many queue records one page examines at most when a
// filter no index serves (dates, amounts, text) is given: a page then
// costs the same however few lines match, and may hold fewer lines than
// its limit, or none, with a Next to search on from.
const queueWindow = 4_000

// ReviewQueue returns a page of the review queue. It pages by keyset (line
// id, or decision time and line id) over the line_reviews indexes, so a
// page costs the same at the start and the end of a million lines.
func (db *DB) ReviewQueue(ctx context.Context, f QueueFilter) (*QueuePage, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	// keys select records by the indexes; filters test their lines.
	var keys, filters []string
	var keyArgs, filterArgs []any
	order := ` ORDER BY r.line_id`
	if f.Decided {
		keys = append(keys, `r.decided_at IS NOT NULL AND r.state <> 'review'`)
		order = ` ORDER BY r.decided_at DESC, r.line_id DESC`
		if f.Cursor != "" {
			at, id, ok := strings.Cut(f.Cursor, "_")
			n, err := strconv.ParseInt(id, 10, 64)
			if !ok || err != nil {
				return nil, bankfeed.Errorf(bankfeed.EInvalid, "cursor %q: not one this server gave", f.Cursor)
			}
			// The first term bounds the index range; the second breaks ties.
			keys = append(keys, `r.decided_at <= ? AND (r.decided_at < ? OR r.line_id < ?)`)
			keyArgs = append(keyArgs, at, at, n)
		}
	} else {
		keys = append(keys, `r.state = 'review'`)
		if f.Cursor != "" {
			n, err := strconv.ParseInt(f.Cursor, 10, 64)
			if err != nil {
				return nil, bankfeed.Errorf(bankfeed.EInvalid, "cursor %q: not one this server gave", f.Cursor)
			}
			keys, keyArgs = append(keys, `r.line_id > ?`), append(keyArgs, n)
		}
	}
	if f.AccountID != 0 {
		keys, keyArgs = append(keys, `r.account_id = ?`), append(keyArgs, f.AccountID)
	}
	if f.From != "" {
		filters, filterArgs = append(filters, `l.posted_on >= ?`), append(filterArgs, f.From)
	}
	if f.To != "" {
		filters, filterArgs = append(filters, `l.posted_on <= ?`), append(filterArgs, f.To)
	}
	if f.Min != nil {
		filters, filterArgs = append(filters, `l.amount_minor >= ?`), append(filterArgs, *f.Min)
	}
	if f.Max != nil {
		filters, filterArgs = append(filters, `l.amount_minor <= ?`), append(filterArgs, *f.Max)
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(t)) + "%"
		filters = append(filters, `(lower(l.name) LIKE ? ESCAPE '\' OR lower(l.memo) LIKE ? ESCAPE '\' OR lower(r.payee) LIKE ? ESCAPE '\')`)
		filterArgs = append(filterArgs, like, like, like)
	}
	cols := `SELECT ` + prefixed("r.", reviewColumns) + `, ` + strings.TrimPrefix(lineSelect, "SELECT ") + ` JOIN line_reviews r ON r.line_id = l.id`
	keyed := `FROM line_reviews r WHERE ` + strings.Join(keys, " AND ") + order
	var query, endQuery string
	var args []any
	if len(filters) == 0 {
		query, args = cols+` WHERE `+strings.Join(keys, " AND ")+order+` LIMIT ?`, append(keyArgs, f.Limit+1)
	} else {
		// The window's records, then those of them whose lines pass.
		query = cols + ` WHERE r.line_id IN (SELECT r.line_id ` + keyed + ` LIMIT ?) AND ` + strings.Join(filters, " AND ") + order + ` LIMIT ?`
		args = append(append(append(append([]any{}, keyArgs...), queueWindow), filterArgs...), f.Limit+1)
		endQuery = `SELECT r.line_id, COALESCE(r.decided_at, '') ` + keyed + ` LIMIT 1 OFFSET ?`
	}
	page := &QueuePage{Items: []*QueueItem{}}
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, db.d.rebind(query), args...)
		if err != nil {
			return db.d.wrap("read review queue", err)
		}
		defer rows.Close()
		for rows.Next() {
			it, err := scanReviewItem(rows)
			if err != nil {
				return db.d.wrap("read review queue", err)
			}
			page.Items = append(page.Items, &QueueItem{ReviewItem: *it})
		}
		if err := rows.Err(); err != nil {
			return db.d.wrap("read review queue", err)
		}
		rows.Close()
		switch {
		case len(page.Items) > f.Limit:
			page.Items = page.Items[:f.Limit]
			last := page.Items[f.Limit-1]
			page.Next = queueCursor(f.Decided, last.LineID, formatTime(last.DecidedAt))
		case endQuery != "":
			// A full window: the search goes on after its last record.
			var id bankfeed.LineID
			var at string
			err := tx.QueryRowContext(ctx, db.d.rebind(endQuery), append(keyArgs, queueWindow-1)...).Scan(&id, &at)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return db.d.wrap("read review queue", err)
			}
			if err == nil {
				page.Next = queueCursor(f.Decided, id, at)
			}
		}
		return queueContext(ctx, tx, db.d, page.Items)
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// queueCursor is the cursor of the page after a record.
func queueCursor(decided bool, line bankfeed.LineID, decidedAt string) string {
	n := strconv.FormatInt(int64(line), 10)
	if decided {
		return decidedAt + "_" + n
	}
	return n
}

// queueContext reads what the queue's proposals name: one query for the
// suggested entries, one for the transfers' other lines.
func queueContext(ctx context.Context, q querier, d *dialect, items []*QueueItem) error {
	var entryIDs, lineIDs []any
	for _, it := range items {
		if it.Suggestion != nil {
			entryIDs = append(entryIDs, int64(*it.Suggestion))
		}
		if it.TransferWith != nil {
			lineIDs = append(lineIDs, int64(*it.TransferWith))
		}
	}
	entries := map[bankfeed.EntryID]*QueueEntry{}
	if len(entryIDs) > 0 {
		rows, err := q.QueryContext(ctx, d.rebind(`SELECT id, date_on, payee FROM entries WHERE id IN (`+inList(len(entryIDs))+`)`), entryIDs...)
		if err != nil {
			return d.wrap("read suggested entries", err)
		}
		for rows.Next() {
			var e QueueEntry
			if err := rows.Scan(&e.ID, &e.Date, &e.Payee); err != nil {
				rows.Close()
				return d.wrap("read suggested entries", err)
			}
			entries[e.ID] = &e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return d.wrap("read suggested entries", err)
		}
	}
	lines := map[bankfeed.LineID]*bankfeed.Line{}
	if len(lineIDs) > 0 {
		rows, err := q.QueryContext(ctx, d.rebind(lineSelect+` WHERE l.id IN (`+inList(len(lineIDs))+`)`), lineIDs...)
		if err != nil {
			return d.wrap("read transfer lines", err)
		}
		for rows.Next() {
			l, err := scanLine(rows)
			if err != nil {
				rows.Close()
				return d.wrap("read transfer lines", err)
			}
			lines[l.ID] = l
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return d.wrap("read transfer lines", err)
		}
	}
	for _, it := range items {
		if it.Suggestion != nil {
			it.SuggestedEntry = entries[*it.Suggestion]
		}
		if it.TransferWith != nil {
			it.TransferLine = lines[*it.TransferWith]
		}
	}
	return nil
}

// FeedAccount is a feed account as its register lists it: what the store
// holds of it, the lines waiting For Review, and the bank's last balance.
type FeedAccount struct {
	AccountSummary
	Unreviewed int64             `json:"unreviewed"`
	Balance    *bankfeed.Balance `json:"balance,omitempty"` // the last statement's ledger balance
}

// FeedAccounts lists the feed accounts, by id, with their counts and the
// newest ledger balance a statement gave.
func (db *DB) FeedAccounts(ctx context.Context) ([]*FeedAccount, error) {
	accts, err := db.Accounts(ctx, bankfeed.AccountFilter{})
	if err != nil {
		return nil, err
	}
	out := make([]*FeedAccount, 0, len(accts))
	err = db.view(ctx, func(tx cachedTx) error {
		for _, a := range accts {
			fa := &FeedAccount{AccountSummary: *a}
			if err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT count(*) FROM line_reviews WHERE state = 'review' AND account_id = ?`), a.ID).Scan(&fa.Unreviewed); err != nil {
				return db.d.wrap("count lines for review", err)
			}
			var amount, at sql.NullString
			err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT ledger_balance, ledger_balance_at FROM import_statements
				WHERE account_id = ? AND ledger_balance IS NOT NULL ORDER BY end_on DESC, import_id DESC LIMIT 1`), a.ID).Scan(&amount, &at)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return db.d.wrap("read account balance", err)
			}
			if err == nil {
				if fa.Balance, err = scanBalance(amount, at); err != nil {
					return fmt.Errorf("account %d balance: %w", a.ID, err)
				}
			}
			out = append(out, fa)
		}
		return nil
	})
	return out, err
}

// RegisterLine is a feed line with its review state and entry, for an
// account's register.
type RegisterLine struct {
	bankfeed.Line
	State   bankfeed.ReviewState `json:"state,omitempty"`
	EntryID *bankfeed.EntryID    `json:"entry_id,omitempty"`
}

// RegisterPage is a page of an account's register, newest first; Next is
// the cursor of the page after ("" when this is the last).
type RegisterPage struct {
	Lines []*RegisterLine `json:"lines"`
	Next  string          `json:"next,omitempty"`
}

// Register returns a page of an account's lines, newest first, paged by
// keyset on (posted_on, id) over the lines_account_posted index.
func (db *DB) Register(ctx context.Context, account bankfeed.AccountID, cursor string, limit int) (*RegisterPage, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	where, args := `l.account_id = ?`, []any{account}
	if cursor != "" {
		on, id, ok := strings.Cut(cursor, "_")
		n, err := strconv.ParseInt(id, 10, 64)
		if !ok || err != nil {
			return nil, bankfeed.Errorf(bankfeed.EInvalid, "cursor %q: not one this server gave", cursor)
		}
		// The first term bounds the index range; the second breaks ties.
		where += ` AND l.posted_on <= ? AND (l.posted_on < ? OR l.id < ?)`
		args = append(args, on, on, n)
	}
	// lineSelect ends with "FROM lines l": the review columns go before it.
	from := strings.LastIndex(lineSelect, " FROM lines l")
	query := lineSelect[:from] + `, COALESCE(r.state, ''), r.entry_id` + lineSelect[from:] +
		` LEFT JOIN line_reviews r ON r.line_id = l.id WHERE ` + where + ` ORDER BY l.posted_on DESC, l.id DESC LIMIT ?`
	args = append(args, limit+1)
	page := &RegisterPage{}
	var err error
	if page.Lines, err = db.registerLines(ctx, query, args); err != nil {
		return nil, err
	}
	if len(page.Lines) > limit {
		page.Lines = page.Lines[:limit]
		last := page.Lines[limit-1]
		page.Next = last.PostedOn + "_" + strconv.FormatInt(int64(last.ID), 10)
	}
	return page, nil
}

// RecentLines returns the newest lines of every account (by id, newest
// first) with their review state, at most limit.
func (db *DB) RecentLines(ctx context.Context, limit int) ([]*RegisterLine, error) {
	from := strings.LastIndex(lineSelect, " FROM lines l")
	query := lineSelect[:from] + `, COALESCE(r.state, ''), r.entry_id` + lineSelect[from:] +
		` LEFT JOIN line_reviews r ON r.line_id = l.id ORDER BY l.id DESC LIMIT ?`
	return db.registerLines(ctx, query, []any{limit})
}

// registerLines runs a query of lineSelect's columns, then the review state
// and entry.
func (db *DB) registerLines(ctx context.Context, query string, args []any) ([]*RegisterLine, error) {
	out := []*RegisterLine{}
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, db.d.rebind(query), args...)
		if err != nil {
			return db.d.wrap("read lines", err)
		}
		defer rows.Close()
		for rows.Next() {
			var rl RegisterLine
			var c lineCols
			var state string
			var entry sql.NullInt64
			if err := rows.Scan(append(c.dest(&rl.Line), &state, &entry)...); err != nil {
				return db.d.wrap("read lines", err)
			}
			if err := c.fill(&rl.Line); err != nil {
				return err
			}
			rl.State = bankfeed.ReviewState(state)
			if entry.Valid {
				id := bankfeed.EntryID(entry.Int64)
				rl.EntryID = &id
			}
			out = append(out, &rl)
		}
		return db.d.wrap("read lines", rows.Err())
	})
	return out, err
}

// TickedSplits returns the splits ticked in a reconciliation (reconciled by
// it, once locked), by date.
func (db *DB) TickedSplits(ctx context.Context, id int64) ([]reconcile.Candidate, error) {
	out := []reconcile.Candidate{}
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, db.d.rebind(`SELECT s.id, s.entry_id, s.date_on, e.payee, s.amount, s.status
			FROM splits s JOIN entries e ON e.id = s.entry_id
			WHERE s.reconciliation_id = ? OR s.id IN (SELECT t.split_id FROM reconciliation_ticks t WHERE t.reconciliation_id = ?)
			ORDER BY s.date_on, s.id`), id, id)
		if err != nil {
			return db.d.wrap("read ticked splits", err)
		}
		defer rows.Close()
		for rows.Next() {
			var c reconcile.Candidate
			var amt string
			if err := rows.Scan(&c.ID, &c.EntryID, &c.Date, &c.Payee, &amt, &c.Status); err != nil {
				return db.d.wrap("read ticked splits", err)
			}
			if c.Amount, err = bankfeed.ParseDecimal(amt); err != nil {
				return fmt.Errorf("read split %d: amount %q: %w", c.ID, amt, err)
			}
			out = append(out, c)
		}
		return db.d.wrap("read ticked splits", rows.Err())
	})
	return out, err
}
