package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
)

// reviewBatch is the rows of one multi-row INSERT of review records.
const reviewBatch = 400

// ReviewLine is a feed line as review reads it: the fields matching looks
// at, every id the bank gave it, and its review state ("" when it has no
// review record yet).
type ReviewLine struct {
	ID        bankfeed.LineID
	AccountID bankfeed.AccountID
	ImportID  int64
	IDs       []string // FITID first, then aliases
	PostedOn  string
	Amount    bankfeed.Decimal
	Minor     int64
	Currency  string
	Name      string
	Memo      string
	CheckNum  string
	RefNum    string
	Pending   bool
	PendingOf string
	State     bankfeed.ReviewState
}

// ReviewLineQuery selects lines for review. Exactly one of its forms is used:
// the lines of an import (ImportID), the lines of accounts dated within a
// window plus their open pending lines (Accounts, From, To), or the open
// queue (Open).
type ReviewLineQuery struct {
	ImportID bankfeed.ImportID
	Accounts []bankfeed.AccountID
	From, To string
	// Except leaves out the lines of this import.
	Except bankfeed.ImportID
	// PendingOnly: of the accounts, only the open pending lines.
	PendingOnly bool
	// Open: the lines For Review, dated within [From, To] when given.
	Open bool
	// Provisional: the lines booked without review (auto-added or an
	// auto-paired transfer's leg) that no person has confirmed, booked at
	// or after BookedSince (whatever their bank date).
	Provisional bool
	BookedSince time.Time
}

const reviewLineSelect = `SELECT l.id, l.account_id, COALESCE(l.import_id, 0), l.fitid, l.posted_on, l.amount, COALESCE(l.amount_minor, 0), l.currency,
	l.name, l.memo, COALESCE(l.check_num, ''), COALESCE(l.ref_num, ''), l.pending, COALESCE(l.pending_of, ''), COALESCE(r.state, ''),
	(SELECT group_concat(a.alias, char(31)) FROM line_aliases a WHERE a.account_id = l.account_id AND a.line_id = l.id)
	FROM lines l LEFT JOIN line_reviews r ON r.line_id = l.id`

// ReviewLines returns the lines q selects, by account, date and id.
func (tx *Tx) ReviewLines(ctx context.Context, q ReviewLineQuery) ([]*ReviewLine, error) {
	var where string
	var args []any
	switch {
	case q.ImportID != 0:
		where, args = `l.import_id = ?`, []any{q.ImportID}
	case q.Open:
		where = `r.state = 'review'`
		if q.From != "" {
			where += ` AND l.posted_on >= ? AND l.posted_on <= ?`
			args = []any{q.From, q.To}
		}
	case q.Provisional:
		where = `r.state = 'added' AND r.auto = 1 AND r.decided_at >= ?`
		args = []any{formatTime(q.BookedSince)}
	case len(q.Accounts) > 0 && q.PendingOnly:
		where = `l.account_id IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(q.Accounts)), ", ") + `) AND l.pending = 1 AND r.state = 'review'`
		for _, a := range q.Accounts {
			args = append(args, a)
		}
	case len(q.Accounts) > 0:
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(q.Accounts)), ", ")
		where = `l.account_id IN (` + ph + `) AND (r.state IS NULL OR r.state NOT IN ('merged', 'voided'))
			AND COALESCE(l.import_id, 0) <> ? AND ((l.posted_on >= ? AND l.posted_on <= ?) OR (l.pending = 1 AND r.state = 'review'))`
		for _, a := range q.Accounts {
			args = append(args, a)
		}
		args = append(args, q.Except, q.From, q.To)
	default:
		return nil, nil
	}
	rows, err := tx.q().QueryContext(ctx, tx.d.rebind(reviewLineSelect+` WHERE `+where+` ORDER BY l.account_id, l.posted_on, l.id`), args...)
	if err != nil {
		return nil, tx.d.wrap("read lines for review", err)
	}
	defer rows.Close()
	var out []*ReviewLine
	for rows.Next() {
		var l ReviewLine
		var fitid, amount, state string
		var aliases sql.NullString
		if err := rows.Scan(&l.ID, &l.AccountID, &l.ImportID, &fitid, &l.PostedOn, &amount, &l.Minor, &l.Currency, &l.Name, &l.Memo,
			&l.CheckNum, &l.RefNum, &l.Pending, &l.PendingOf, &state, &aliases); err != nil {
			return nil, tx.d.wrap("read lines for review", err)
		}
		l.State = bankfeed.ReviewState(state)
		if l.Amount, err = bankfeed.ParseDecimal(amount); err != nil {
			return nil, fmt.Errorf("line %d: amount %q: %w", l.ID, amount, err)
		}
		if m, ok := l.Amount.MinorUnits(bankfeed.CurrencyPlaces(l.Currency)); ok {
			l.Minor = m
		}
		l.IDs = append(l.IDs, fitid)
		if aliases.Valid && aliases.String != "" {
			l.IDs = append(l.IDs, strings.Split(aliases.String, "\x1f")...)
		}
		out = append(out, &l)
	}
	return out, tx.d.wrap("read lines for review", rows.Err())
}

// AddLineAliases records more ids the bank gave a line (a re-keyed delivery
// of it), so the next delivery with those ids is a plain duplicate.
func (tx *Tx) AddLineAliases(ctx context.Context, account bankfeed.AccountID, line bankfeed.LineID, ids []string) error {
	for _, id := range ids {
		if _, err := tx.q().ExecContext(ctx, tx.d.rebind(`INSERT INTO line_aliases (account_id, alias, line_id) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`), account, id, line); err != nil {
			return tx.d.wrap("add line alias", err)
		}
	}
	return nil
}

// RemoveLineAliases undoes AddLineAliases.
func (tx *Tx) RemoveLineAliases(ctx context.Context, account bankfeed.AccountID, line bankfeed.LineID, ids []string) error {
	for _, id := range ids {
		if _, err := tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM line_aliases WHERE account_id = ? AND alias = ? AND line_id = ?`), account, id, line); err != nil {
			return tx.d.wrap("remove line alias", err)
		}
	}
	return nil
}

const reviewColumns = `line_id, account_id, state, entry_id, same_as, suggestion, score, payee, category, memo, transfer_with, set_by, auto, decided_by, decided_at`

func reviewArgs(args []any, r *bankfeed.Review) []any {
	setBy := ""
	if len(r.SetBy) > 0 {
		b, _ := json.Marshal(r.SetBy)
		setBy = string(b)
	}
	return append(args, r.LineID, r.AccountID, string(r.State), nullID(r.EntryID), nullLine(r.SameAs), nullID(r.Suggestion), r.Score,
		r.Payee, r.Category, r.Memo, nullLine(r.TransferWith), setBy, r.Auto, r.DecidedBy, nullTime(r.DecidedAt))
}

func nullID(id *bankfeed.EntryID) any {
	if id == nil {
		return nil
	}
	return int64(*id)
}

func nullLine(id *bankfeed.LineID) any {
	if id == nil {
		return nil
	}
	return int64(*id)
}

// PutReviews inserts or replaces review records, a few hundred a statement.
func (tx *Tx) PutReviews(ctx context.Context, rs []*bankfeed.Review) error {
	const cols = 15
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	for len(rs) > 0 {
		n := min(len(rs), reviewBatch)
		args := make([]any, 0, n*cols)
		for _, r := range rs[:n] {
			args = reviewArgs(args, r)
		}
		q := `INSERT INTO line_reviews (` + reviewColumns + `) VALUES ` + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ") +
			` ON CONFLICT (line_id) DO UPDATE SET state = excluded.state, entry_id = excluded.entry_id, same_as = excluded.same_as,
			suggestion = excluded.suggestion, score = excluded.score, payee = excluded.payee, category = excluded.category,
			memo = excluded.memo, transfer_with = excluded.transfer_with, set_by = excluded.set_by, auto = excluded.auto,
			decided_by = excluded.decided_by, decided_at = excluded.decided_at`
		if _, err := tx.q().ExecContext(ctx, tx.d.rebind(q), args...); err != nil {
			return tx.d.wrap("write review records", err)
		}
		rs = rs[n:]
	}
	return nil
}

// reviewCols holds the nullable review columns while a row is scanned.
type reviewCols struct {
	entry, same, sugg, xfer sql.NullInt64
	state, setBy            string
	decided                 sql.NullString
}

// dest lists the scan destinations of reviewColumns, in order.
func (c *reviewCols) dest(r *bankfeed.Review) []any {
	return []any{&r.LineID, &r.AccountID, &c.state, &c.entry, &c.same, &c.sugg, &r.Score, &r.Payee, &r.Category, &r.Memo,
		&c.xfer, &c.setBy, &r.Auto, &r.DecidedBy, &c.decided}
}

// fill completes r from the scanned columns.
func (c *reviewCols) fill(r *bankfeed.Review) error {
	r.State = bankfeed.ReviewState(c.state)
	if c.entry.Valid {
		id := bankfeed.EntryID(c.entry.Int64)
		r.EntryID = &id
	}
	if c.sugg.Valid {
		id := bankfeed.EntryID(c.sugg.Int64)
		r.Suggestion = &id
	}
	if c.same.Valid {
		id := bankfeed.LineID(c.same.Int64)
		r.SameAs = &id
	}
	if c.xfer.Valid {
		id := bankfeed.LineID(c.xfer.Int64)
		r.TransferWith = &id
	}
	if c.setBy != "" {
		if err := json.Unmarshal([]byte(c.setBy), &r.SetBy); err != nil {
			return fmt.Errorf("review of line %d: set_by: %w", r.LineID, err)
		}
	}
	var err error
	r.DecidedAt, err = scanTime(c.decided)
	return err
}

func scanReview(row interface{ Scan(...any) error }) (*bankfeed.Review, error) {
	var r bankfeed.Review
	var c reviewCols
	if err := row.Scan(c.dest(&r)...); err != nil {
		return nil, err
	}
	return &r, c.fill(&r)
}

// Review returns the review record of a line; a line without one is not
// found.
func (tx *Tx) Review(ctx context.Context, line bankfeed.LineID) (*bankfeed.Review, error) {
	r, err := scanReview(tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT `+reviewColumns+` FROM line_reviews WHERE line_id = ?`), line))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bankfeed.Errorf(bankfeed.ENotFound, "line %d has no review record", line)
	}
	return r, tx.d.wrap("read review record", err)
}

// ReviewFilter selects review records.
type ReviewFilter struct {
	AccountID bankfeed.AccountID     // 0 for every account
	States    []bankfeed.ReviewState // nil for every state
	Limit     int
}

// ReviewItem is a review record with its line.
type ReviewItem struct {
	bankfeed.Review
	Line *bankfeed.Line `json:"line"`
}

// Reviews returns review records with their lines, by date then line id.
func (db *DB) Reviews(ctx context.Context, f ReviewFilter) ([]*ReviewItem, error) {
	var out []*ReviewItem
	err := db.view(ctx, func(tx cachedTx) (err error) {
		out, err = reviews(ctx, tx, db.d, f)
		return err
	})
	return out, err
}

// Reviews is DB.Reviews in the transaction.
func (tx *Tx) Reviews(ctx context.Context, f ReviewFilter) ([]*ReviewItem, error) {
	return reviews(ctx, tx.q(), tx.d, f)
}

func reviews(ctx context.Context, q querier, d *dialect, f ReviewFilter) ([]*ReviewItem, error) {
	where := []string{`(? = 0 OR r.account_id = ?)`}
	args := []any{f.AccountID, f.AccountID}
	if len(f.States) > 0 {
		where = append(where, `r.state IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(f.States)), ", ")+`)`)
		for _, s := range f.States {
			args = append(args, string(s))
		}
	}
	query := `SELECT ` + prefixed("r.", reviewColumns) + `, ` + strings.TrimPrefix(lineSelect, "SELECT ") +
		` JOIN line_reviews r ON r.line_id = l.id WHERE ` + strings.Join(where, " AND ") + ` ORDER BY l.posted_on, l.id`
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := q.QueryContext(ctx, d.rebind(query), args...)
	if err != nil {
		return nil, d.wrap("read review queue", err)
	}
	defer rows.Close()
	var out []*ReviewItem
	for rows.Next() {
		it, err := scanReviewItem(rows)
		if err != nil {
			return nil, d.wrap("read review queue", err)
		}
		out = append(out, it)
	}
	return out, d.wrap("read review queue", rows.Err())
}

// scanReviewItem scans the review columns then the line's.
func scanReviewItem(rows *sql.Rows) (*ReviewItem, error) {
	var it ReviewItem
	var rc reviewCols
	var lc lineCols
	it.Line = &bankfeed.Line{}
	if err := rows.Scan(append(rc.dest(&it.Review), lc.dest(it.Line)...)...); err != nil {
		return nil, err
	}
	if err := rc.fill(&it.Review); err != nil {
		return nil, err
	}
	return &it, lc.fill(it.Line)
}

// Decision is a confirmed review decision, what learning learns from.
type Decision struct {
	Account  bankfeed.AccountID
	Text     string // the line's name and memo
	PostedOn string
	Minor    int64
	Payee    string
	Category string
}

// Decisions returns the newest confirmed decisions (made by a person: an
// add or a match with a payee or a category), oldest first, at most limit.
func (tx *Tx) Decisions(ctx context.Context, limit int) ([]Decision, error) {
	rows, err := tx.q().QueryContext(ctx, tx.d.rebind(`SELECT * FROM (SELECT r.account_id, l.name, l.memo, l.posted_on, COALESCE(l.amount_minor, 0), r.payee, r.category
		FROM line_reviews r JOIN lines l ON l.id = r.line_id
		WHERE r.auto = 0 AND r.state IN ('added', 'matched') AND (r.payee <> '' OR r.category <> '')
		ORDER BY r.decided_at DESC, r.line_id DESC LIMIT ?) ORDER BY posted_on`), limit)
	if err != nil {
		return nil, tx.d.wrap("read confirmed decisions", err)
	}
	defer rows.Close()
	var out []Decision
	for rows.Next() {
		var d Decision
		var name, memo string
		if err := rows.Scan(&d.Account, &name, &memo, &d.PostedOn, &d.Minor, &d.Payee, &d.Category); err != nil {
			return nil, tx.d.wrap("read confirmed decisions", err)
		}
		d.Text = strings.TrimSpace(name + " " + memo)
		out = append(out, d)
	}
	return out, tx.d.wrap("read confirmed decisions", rows.Err())
}

// SplitOfLine returns the split a line is linked to, 0 when none.
func (tx *Tx) SplitOfLine(ctx context.Context, line bankfeed.LineID) (int64, error) {
	var id int64
	err := tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT split_id FROM split_lines WHERE line_id = ?`), line).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, tx.d.wrap("read line's split", err)
}

// SettlePending gives a pending line the amount and date it posted with (a
// tip added to a card hold) and marks it posted. When the line is the bank
// side of a two-split entry made from the feed, the entry follows; a
// person's entry is left for them to fix (reconciliation shows the
// difference).
func (tx *Tx) SettlePending(ctx context.Context, line bankfeed.LineID, amount bankfeed.Decimal, postedOn string) error {
	var currency string
	if err := tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT currency FROM lines WHERE id = ?`), line).Scan(&currency); err != nil {
		return tx.d.wrap("settle pending line", err)
	}
	minor, ok := amount.MinorUnits(bankfeed.CurrencyPlaces(currency))
	var minorArg any
	if ok {
		minorArg = minor
	}
	if _, err := tx.q().ExecContext(ctx, tx.d.rebind(`UPDATE lines SET amount = ?, amount_minor = ?, posted_on = ?, pending = 0 WHERE id = ?`),
		amount.String(), minorArg, postedOn, line); err != nil {
		return tx.d.wrap("settle pending line", err)
	}
	var split int64
	var entry bankfeed.EntryID
	err := tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT s.id, s.entry_id FROM split_lines sl JOIN splits s ON s.id = sl.split_id
		JOIN entries e ON e.id = s.entry_id WHERE sl.line_id = ? AND e.origin IN ('feed', 'rule') AND s.status <> 'reconciled'
		AND (SELECT count(*) FROM splits x WHERE x.entry_id = s.entry_id) = 2`), line).Scan(&split, &entry)
	if errors.Is(err, sql.ErrNoRows) || !ok {
		return nil
	}
	if err != nil {
		return tx.d.wrap("settle pending line", err)
	}
	neg := amount.Neg()
	negMinor, _ := neg.MinorUnits(bankfeed.CurrencyPlaces(currency))
	for _, u := range []struct {
		q    string
		args []any
	}{
		{`UPDATE splits SET amount = ?, amount_minor = ? WHERE id = ?`, []any{amount.String(), minor, split}},
		{`UPDATE splits SET amount = ?, amount_minor = ? WHERE entry_id = ? AND id <> ?`, []any{neg.String(), negMinor, entry, split}},
		{`UPDATE splits SET date_on = ? WHERE entry_id = ?`, []any{postedOn, entry}},
		{`UPDATE entries SET date_on = ? WHERE id = ?`, []any{postedOn, entry}},
	} {
		if _, err := tx.q().ExecContext(ctx, tx.d.rebind(u.q), u.args...); err != nil {
			return tx.d.wrap("settle pending line's entry", err)
		}
	}
	return nil
}
