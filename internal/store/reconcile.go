package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/reconcile"
)

// BalanceChecks reads what reconcile.Check needs for each ledger account
// linked to a feed, by name; only, when not 0, picks one. Each account
// costs a handful of queries, whatever its number of lines.
func (db *DB) BalanceChecks(ctx context.Context, only bankfeed.LedgerAccountID) ([]reconcile.Input, error) {
	var out []reconcile.Input
	err := db.view(ctx, func(tx cachedTx) error {
		accts, err := ledgerAccounts(ctx, tx, db.d)
		if err != nil {
			return err
		}
		found := false
		for _, a := range accts {
			if only != 0 && a.ID != only {
				continue
			}
			found = true
			if a.FeedAccountID == nil {
				if only != 0 {
					return bankfeed.Errorf(bankfeed.EInvalid, "account %q has no feed: the bank's balance is known only for a feed's account", a.Name)
				}
				continue
			}
			in, err := balanceCheck(ctx, tx, db.d, a)
			if err != nil {
				return err
			}
			out = append(out, in)
		}
		if only != 0 && !found {
			return bankfeed.Errorf(bankfeed.ENotFound, "no ledger account %d", only)
		}
		return nil
	})
	return out, err
}

// balanceCheck reads one feed-linked account's facts.
func balanceCheck(ctx context.Context, q querier, d *dialect, a *bankfeed.LedgerAccount) (reconcile.Input, error) {
	feed := *a.FeedAccountID
	in := reconcile.Input{Account: a.Name, AccountID: a.ID, FeedAccountID: feed, Currency: a.Currency}
	wrap := func(err error) error { return d.wrap("read the balances of "+a.Name, err) }

	// The bank's latest ledger balance, and its date.
	var amount, at, end, cur sql.NullString
	err := q.QueryRowContext(ctx, d.rebind(`SELECT ledger_balance, ledger_balance_at, end_on, currency FROM import_statements
		WHERE account_id = ? AND ledger_balance IS NOT NULL
		ORDER BY coalesce(substr(ledger_balance_at, 1, 10), end_on, '') DESC, import_id DESC, statement_index DESC LIMIT 1`), feed).
		Scan(&amount, &at, &end, &cur)
	if errors.Is(err, sql.ErrNoRows) {
		return in, nil
	}
	if err != nil {
		return in, wrap(err)
	}
	if in.Bank, err = bankfeed.ParseDecimal(amount.String); err != nil {
		return in, fmt.Errorf("read the balances of %s: ledger balance %q: %w", a.Name, amount.String, err)
	}
	switch {
	case at.Valid && len(at.String) >= 10:
		in.AsOf = at.String[:10]
	case end.Valid && end.String != "":
		in.AsOf = end.String
	default:
		return in, nil // a balance as of no known day cannot be compared
	}
	in.HasBalance = true
	if in.Currency == "" {
		in.Currency = cur.String
	}

	// The days the feed's statements covered.
	rows, err := q.QueryContext(ctx, d.rebind(`SELECT start_on, end_on FROM import_statements
		WHERE account_id = ? AND start_on IS NOT NULL AND end_on IS NOT NULL ORDER BY start_on`), feed)
	if err != nil {
		return in, wrap(err)
	}
	for rows.Next() {
		var w reconcile.Window
		if err := rows.Scan(&w.From, &w.To); err != nil {
			rows.Close()
			return in, wrap(err)
		}
		in.Covered = append(in.Covered, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return in, wrap(err)
	}

	// The feed: its first posted line and the sum of its posted lines up to
	// the balance's date, leaving out lines merged into another or voided.
	// Amounts whose minor units are not exact are added one by one.
	const feedLines = `FROM lines l LEFT JOIN line_reviews r ON r.line_id = l.id
		WHERE l.account_id = ? AND l.pending = 0 AND (r.state IS NULL OR r.state NOT IN ('merged', 'voided'))`
	rows, err = q.QueryContext(ctx, d.rebind(`SELECT l.currency,
		coalesce(sum(CASE WHEN l.posted_on <= ? THEN l.amount_minor END), 0), min(l.posted_on),
		sum(CASE WHEN l.posted_on <= ? AND l.amount_minor IS NULL THEN 1 ELSE 0 END) `+feedLines+` GROUP BY l.currency`),
		in.AsOf, in.AsOf, feed)
	if err != nil {
		return in, wrap(err)
	}
	inexact := 0
	for rows.Next() {
		var c, first string
		var minor int64
		var n int
		if err := rows.Scan(&c, &minor, &first, &n); err != nil {
			rows.Close()
			return in, wrap(err)
		}
		in.FeedSum = in.FeedSum.Add(bankfeed.NewDecimal(minor, bankfeed.CurrencyPlaces(c)))
		in.FirstLineOn = minDate(in.FirstLineOn, first)
		inexact += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return in, wrap(err)
	}
	if inexact > 0 {
		amounts, err := q.QueryContext(ctx, d.rebind(`SELECT l.amount `+feedLines+` AND l.posted_on <= ? AND l.amount_minor IS NULL`), feed, in.AsOf)
		if err != nil {
			return in, wrap(err)
		}
		for amounts.Next() {
			var s string
			if err := amounts.Scan(&s); err != nil {
				amounts.Close()
				return in, wrap(err)
			}
			v, err := bankfeed.ParseDecimal(s)
			if err != nil {
				amounts.Close()
				return in, fmt.Errorf("read the balances of %s: line amount %q: %w", a.Name, s, err)
			}
			in.FeedSum = in.FeedSum.Add(v)
		}
		amounts.Close()
		if err := amounts.Err(); err != nil {
			return in, wrap(err)
		}
	}

	// The books: the cleared balance in exact minor units per currency
	// (with the splits dated before the feed's first line, which no line
	// can clear: the opening balance), the first split's date, and the
	// first split still only cleared.
	rows, err = q.QueryContext(ctx, d.rebind(`SELECT currency,
		coalesce(sum(CASE WHEN (status <> '' OR date_on < ?) AND date_on <= ? THEN amount_minor ELSE 0 END), 0),
		min(date_on), min(CASE WHEN status = 'cleared' AND date_on <= ? THEN date_on END)
		FROM splits WHERE ledger_account_id = ? GROUP BY currency`), in.FirstLineOn, in.AsOf, in.AsOf, a.ID)
	if err != nil {
		return in, wrap(err)
	}
	var firstSplit, firstCleared string
	for rows.Next() {
		var c string
		var minor int64
		var first, cleared sql.NullString
		if err := rows.Scan(&c, &minor, &first, &cleared); err != nil {
			rows.Close()
			return in, wrap(err)
		}
		in.Cleared = in.Cleared.Add(bankfeed.NewDecimal(minor, bankfeed.CurrencyPlaces(c)))
		firstSplit = minDate(firstSplit, first.String)
		firstCleared = minDate(firstCleared, cleared.String)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return in, wrap(err)
	}
	in.BooksBefore = firstSplit != "" && in.FirstLineOn != "" && firstSplit < in.FirstLineOn

	// The splits a duplicate may hide among: from a few days before the
	// first one not yet reconciled.
	if firstCleared != "" {
		from := firstCleared
		if t, err := time.Parse(DateLayout, firstCleared); err == nil {
			from = t.AddDate(0, 0, -reconcile.DuplicateDays).Format(DateLayout)
		}
		rows, err := q.QueryContext(ctx, d.rebind(`SELECT s.id, s.entry_id, s.date_on, s.amount, s.status, e.payee
			FROM splits s JOIN entries e ON e.id = s.entry_id
			WHERE s.ledger_account_id = ? AND s.status <> '' AND s.date_on >= ? AND s.date_on <= ?
			ORDER BY s.date_on, s.id`), a.ID, from, in.AsOf)
		if err != nil {
			return in, wrap(err)
		}
		for rows.Next() {
			var s reconcile.Split
			var amt, status string
			if err := rows.Scan(&s.ID, &s.EntryID, &s.Date, &amt, &status, &s.Payee); err != nil {
				rows.Close()
				return in, wrap(err)
			}
			if s.Amount, err = bankfeed.ParseDecimal(amt); err != nil {
				rows.Close()
				return in, fmt.Errorf("read split %d: amount %q: %w", s.ID, amt, err)
			}
			s.Reconciled = status == string(bankfeed.SplitReconciled)
			in.Splits = append(in.Splits, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return in, wrap(err)
		}
	}

	// The lines still open in review (no split stands for them, and their
	// review record, if any, says For Review), excluded, or pending in the
	// books.
	rows, err = q.QueryContext(ctx, d.rebind(`SELECT l.id, l.posted_on, l.amount, l.name, l.pending, coalesce(r.state, ''),
		EXISTS (SELECT 1 FROM split_lines sl WHERE sl.line_id = l.id)
		FROM lines l LEFT JOIN line_reviews r ON r.line_id = l.id
		WHERE l.account_id = ? AND (r.state IN ('review', 'excluded')
			OR (r.state IS NULL AND NOT EXISTS (SELECT 1 FROM split_lines sl WHERE sl.line_id = l.id))
			OR (l.pending = 1 AND EXISTS (SELECT 1 FROM split_lines sl WHERE sl.line_id = l.id)))
		ORDER BY l.posted_on, l.id`), feed)
	if err != nil {
		return in, wrap(err)
	}
	defer rows.Close()
	for rows.Next() {
		var l reconcile.Line
		var amt, state string
		var pending, linked bool
		if err := rows.Scan(&l.ID, &l.Date, &amt, &l.Name, &pending, &state, &linked); err != nil {
			return in, wrap(err)
		}
		if l.Amount, err = bankfeed.ParseDecimal(amt); err != nil {
			return in, fmt.Errorf("read line %d: amount %q: %w", l.ID, amt, err)
		}
		dated := l.Date <= in.AsOf
		// A line a split stands for is in the books, whatever its review
		// record says.
		open := (state == string(bankfeed.ReviewPending) || state == "") && !linked
		switch {
		case open && pending:
			in.Pending = append(in.Pending, l)
		case open && dated:
			in.Review = append(in.Review, l)
		case state == string(bankfeed.ReviewExcluded) && !pending && dated:
			in.Excluded = append(in.Excluded, l)
		case pending && linked && dated:
			in.PendingInBooks = append(in.PendingInBooks, l)
		}
	}
	return in, wrap(rows.Err())
}

// minDate is the earlier of two dates, "" being none.
func minDate(a, b string) string {
	if a == "" || (b != "" && b < a) {
		return b
	}
	return a
}

// Statement reconciliations.

const statementColumns = `r.id, r.ledger_account_id, a.name, a.currency, r.statement_on, r.ending_balance, r.state,
	r.created_by, r.created_at, r.locked_at`

func scanStatement(row interface{ Scan(...any) error }) (*reconcile.Statement, error) {
	var s reconcile.Statement
	var balance, created string
	var locked sql.NullString
	if err := row.Scan(&s.ID, &s.AccountID, &s.Account, &s.Currency, &s.StatementOn, &balance, &s.State,
		&s.CreatedBy, &created, &locked); err != nil {
		return nil, err
	}
	var err error
	if s.Balance, err = bankfeed.ParseDecimal(balance); err != nil {
		return nil, fmt.Errorf("reconciliation %d: ending balance %q: %w", s.ID, balance, err)
	}
	if s.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	s.LockedAt, err = scanTime(locked)
	return &s, err
}

// statement reads one reconciliation whole: its opening balance, what is
// ticked (reconciled, once locked) and the candidates left.
func statement(ctx context.Context, q querier, d *dialect, id int64) (*reconcile.Statement, error) {
	s, err := scanStatement(q.QueryRowContext(ctx, d.rebind(`SELECT `+statementColumns+`
		FROM reconciliations r JOIN ledger_accounts a ON a.id = r.ledger_account_id WHERE r.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bankfeed.Errorf(bankfeed.ENotFound, "no reconciliation %d (see bankfeed reconcile show)", id)
	}
	if err != nil {
		return nil, d.wrap("read reconciliation", err)
	}
	var opening string
	err = q.QueryRowContext(ctx, d.rebind(`SELECT ending_balance FROM reconciliations
		WHERE ledger_account_id = ? AND state = 'locked' AND (statement_on < ? OR (statement_on = ? AND id < ?))
		ORDER BY statement_on DESC, id DESC LIMIT 1`), s.AccountID, s.StatementOn, s.StatementOn, s.ID).Scan(&opening)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, d.wrap("read reconciliation", err)
	default:
		if s.Opening, err = bankfeed.ParseDecimal(opening); err != nil {
			return nil, fmt.Errorf("reconciliation %d: opening balance %q: %w", s.ID, opening, err)
		}
	}
	rows, err := q.QueryContext(ctx, d.rebind(`SELECT s.id, s.entry_id, s.date_on, e.payee, s.amount, s.status,
		CASE WHEN s.reconciliation_id = ? OR EXISTS (SELECT 1 FROM reconciliation_ticks t WHERE t.reconciliation_id = ? AND t.split_id = s.id)
			THEN 1 ELSE 0 END
		FROM splits s JOIN entries e ON e.id = s.entry_id
		WHERE s.ledger_account_id = ? AND (s.reconciliation_id = ? OR (s.status <> 'reconciled' AND s.date_on <= ?)
			OR EXISTS (SELECT 1 FROM reconciliation_ticks t WHERE t.reconciliation_id = ? AND t.split_id = s.id))
		ORDER BY s.date_on, s.id`), s.ID, s.ID, s.AccountID, s.ID, s.StatementOn, s.ID)
	if err != nil {
		return nil, d.wrap("read reconciliation splits", err)
	}
	defer rows.Close()
	s.Candidates = []reconcile.Candidate{}
	for rows.Next() {
		var c reconcile.Candidate
		var amt string
		var ticked bool
		if err := rows.Scan(&c.ID, &c.EntryID, &c.Date, &c.Payee, &amt, &c.Status, &ticked); err != nil {
			return nil, d.wrap("read reconciliation splits", err)
		}
		if c.Amount, err = bankfeed.ParseDecimal(amt); err != nil {
			return nil, fmt.Errorf("read split %d: amount %q: %w", c.ID, amt, err)
		}
		switch {
		case ticked:
			s.Ticked = s.Ticked.Add(c.Amount)
			s.TickedCount++
		case s.State == reconcile.StateOpen:
			s.Candidates = append(s.Candidates, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, d.wrap("read reconciliation splits", err)
	}
	places := bankfeed.CurrencyPlaces(s.Currency)
	s.Balance, s.Opening, s.Ticked = s.Balance.Canonical(places), s.Opening.Canonical(places), s.Ticked.Canonical(places)
	return s, nil
}

// Reconciliation returns one statement reconciliation, whole.
func (db *DB) Reconciliation(ctx context.Context, id int64) (*reconcile.Statement, error) {
	var out *reconcile.Statement
	err := db.view(ctx, func(tx cachedTx) (err error) {
		out, err = statement(ctx, tx, db.d, id)
		return err
	})
	return out, err
}

// Reconciliations returns the statement reconciliations of an account (0:
// of every account), newest statement first; only the open ones when
// openOnly.
func (db *DB) Reconciliations(ctx context.Context, acct bankfeed.LedgerAccountID, openOnly bool) ([]*reconcile.Statement, error) {
	only := 0
	if openOnly {
		only = 1
	}
	var out []*reconcile.Statement
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, db.d.rebind(`SELECT id FROM reconciliations WHERE (? = 0 OR ledger_account_id = ?)
			AND (? = 0 OR state = 'open') ORDER BY statement_on DESC, id DESC`), acct, acct, only)
		if err != nil {
			return db.d.wrap("list reconciliations", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return db.d.wrap("list reconciliations", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return db.d.wrap("list reconciliations", err)
		}
		for _, id := range ids {
			s, err := statement(ctx, tx, db.d, id)
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

func subject(id int64) string { return "reconciliation " + strconv.FormatInt(id, 10) }

// StartReconciliation opens a statement reconciliation of an account: the
// statement's date and ending balance. An account has one open at a time,
// and a statement may not be dated before the last locked one. With auto,
// the cleared splits dated on or before the statement are ticked. It
// returns the new reconciliation's id.
func (db *DB) StartReconciliation(ctx context.Context, acct bankfeed.LedgerAccountID, on string, balance bankfeed.Decimal, auto bool, actor string) (int64, error) {
	var id int64
	err := db.Update(ctx, func(tx *Tx) error {
		a, err := scanLedgerAccount(tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT `+ledgerAccountColumns+` FROM ledger_accounts WHERE id = ?`), acct))
		if errors.Is(err, sql.ErrNoRows) {
			return bankfeed.Errorf(bankfeed.ENotFound, "no ledger account %d", acct)
		}
		if err != nil {
			return tx.d.wrap("start reconciliation", err)
		}
		var problems []string
		if _, err := time.Parse(DateLayout, on); err != nil {
			problems = append(problems, fmt.Sprintf("date: %q is not a date as YYYY-MM-DD", on))
		}
		cur := a.Currency
		if _, ok := balance.MinorUnits(bankfeed.CurrencyPlaces(cur)); !ok {
			problems = append(problems, fmt.Sprintf("balance: %s has more decimal places than %s allows", balance, cmp.Or(cur, "the account's currency")))
		}
		if problems != nil {
			return bankfeed.Errorf(bankfeed.EInvalid, "start reconciliation: %s", strings.Join(problems, "; "))
		}
		var open int64
		var openOn string
		err = tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT id, statement_on FROM reconciliations WHERE ledger_account_id = ? AND state = 'open'`), acct).Scan(&open, &openOn)
		if err == nil {
			return bankfeed.Errorf(bankfeed.EConflict, "reconciliation %d of %s (statement of %s) is open already: finish it, or undo it to start again", open, a.Name, openOn)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return tx.d.wrap("start reconciliation", err)
		}
		var last sql.NullString
		if err := tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT max(statement_on) FROM reconciliations WHERE ledger_account_id = ? AND state = 'locked'`), acct).Scan(&last); err != nil {
			return tx.d.wrap("start reconciliation", err)
		}
		if last.Valid && on < last.String {
			return bankfeed.Errorf(bankfeed.EConflict, "date: %s is before %s, the statement %s was last reconciled to; undo that one first to go back", on, last.String, a.Name)
		}
		if err := tx.q().QueryRowContext(ctx, tx.d.rebind(`INSERT INTO reconciliations (ledger_account_id, statement_on, ending_balance, state, created_by, created_at)
			VALUES (?, ?, ?, 'open', ?, ?) RETURNING id`), acct, on, balance.String(), actor, formatTime(tx.Now())).Scan(&id); err != nil {
			return tx.d.wrap("start reconciliation", err)
		}
		var ticked int64
		if auto {
			res, err := tx.q().ExecContext(ctx, tx.d.rebind(`INSERT INTO reconciliation_ticks (reconciliation_id, split_id)
				SELECT ?, id FROM splits WHERE ledger_account_id = ? AND status = 'cleared' AND date_on <= ?`), id, acct, on)
			if err != nil {
				return tx.d.wrap("tick cleared splits", err)
			}
			ticked, _ = res.RowsAffected()
		}
		return tx.Audit(ctx, actor, "reconcile.start", subject(id),
			fmt.Sprintf("%s, statement of %s, ending balance %s, %d cleared splits ticked", a.Name, on, balance, ticked))
	})
	return id, err
}

// TickSplits ticks (or, with tick false, unticks) splits in an open
// reconciliation. Each split must be in its account, not reconciled and
// dated on or before the statement; one to untick must be ticked. Every
// problem is named and nothing is written then.
func (db *DB) TickSplits(ctx context.Context, id int64, splits []int64, tick bool, actor string) error {
	if len(splits) == 0 {
		return bankfeed.Errorf(bankfeed.EInvalid, "no split given")
	}
	return db.Update(ctx, func(tx *Tx) error {
		s, err := scanStatement(tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT `+statementColumns+`
			FROM reconciliations r JOIN ledger_accounts a ON a.id = r.ledger_account_id WHERE r.id = ?`), id))
		if errors.Is(err, sql.ErrNoRows) {
			return bankfeed.Errorf(bankfeed.ENotFound, "no reconciliation %d (see bankfeed reconcile show)", id)
		}
		if err != nil {
			return tx.d.wrap("read reconciliation", err)
		}
		if s.State != reconcile.StateOpen {
			return bankfeed.Errorf(bankfeed.EConflict, "reconciliation %d is locked; undo it to change what it holds", id)
		}
		args := []any{id}
		for _, sp := range splits {
			args = append(args, sp)
		}
		rows, err := tx.q().QueryContext(ctx, tx.d.rebind(`SELECT s.id, s.ledger_account_id, s.status, s.date_on,
			EXISTS (SELECT 1 FROM reconciliation_ticks t WHERE t.reconciliation_id = ? AND t.split_id = s.id)
			FROM splits s WHERE s.id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(splits)), ", ")+`)`), args...)
		if err != nil {
			return tx.d.wrap("read splits", err)
		}
		type found struct {
			acct         bankfeed.LedgerAccountID
			status, date string
			ticked       bool
		}
		seen := map[int64]found{}
		for rows.Next() {
			var sid int64
			var f found
			if err := rows.Scan(&sid, &f.acct, &f.status, &f.date, &f.ticked); err != nil {
				rows.Close()
				return tx.d.wrap("read splits", err)
			}
			seen[sid] = f
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return tx.d.wrap("read splits", err)
		}
		var problems []string
		var change []int64
		done := map[int64]bool{}
		for _, sp := range splits {
			if done[sp] {
				continue
			}
			done[sp] = true
			f, ok := seen[sp]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("split %d: no such split", sp))
			case f.acct != s.AccountID:
				problems = append(problems, fmt.Sprintf("split %d: not in %s", sp, s.Account))
			case f.status == string(bankfeed.SplitReconciled):
				problems = append(problems, fmt.Sprintf("split %d: reconciled already", sp))
			case tick && f.date > s.StatementOn:
				problems = append(problems, fmt.Sprintf("split %d: dated %s, after the statement of %s", sp, f.date, s.StatementOn))
			case !tick && !f.ticked:
				problems = append(problems, fmt.Sprintf("split %d: not ticked", sp))
			case tick && f.ticked:
			default:
				change = append(change, sp)
			}
		}
		if problems != nil {
			return bankfeed.Errorf(bankfeed.EInvalid, "reconciliation %d: %s", id, strings.Join(problems, "; "))
		}
		q, action := `INSERT INTO reconciliation_ticks (reconciliation_id, split_id) VALUES (?, ?)`, "reconcile.tick"
		if !tick {
			q, action = `DELETE FROM reconciliation_ticks WHERE reconciliation_id = ? AND split_id = ?`, "reconcile.untick"
		}
		for _, sp := range change {
			if _, err := tx.q().ExecContext(ctx, tx.d.rebind(q), id, sp); err != nil {
				return tx.d.wrap(action, err)
			}
		}
		if len(change) == 0 {
			return nil
		}
		ids := make([]string, len(change))
		for i, sp := range change {
			ids[i] = strconv.FormatInt(sp, 10)
		}
		return tx.Audit(ctx, actor, action, subject(id), "splits "+strings.Join(ids, ", "))
	})
}

// FinishReconciliation locks an open reconciliation whose difference is
// exactly zero: its ticked splits become reconciled, and immutable. A
// difference is a conflict that says by how much it is off.
func (db *DB) FinishReconciliation(ctx context.Context, id int64, actor string) (*reconcile.Statement, error) {
	var s *reconcile.Statement
	err := db.Update(ctx, func(tx *Tx) (err error) {
		if s, err = statement(ctx, tx.q(), tx.d, id); err != nil {
			return err
		}
		if s.State != reconcile.StateOpen {
			return bankfeed.Errorf(bankfeed.EConflict, "reconciliation %d is locked already", id)
		}
		if diff := s.Difference(); !diff.IsZero() {
			return bankfeed.Errorf(bankfeed.EConflict, "reconciliation %d is off by %s: the statement says %s, the opening balance %s plus the %d ticked splits (%s) make %s",
				id, diff, s.Balance, s.Opening, s.TickedCount, s.Ticked, s.Cleared())
		}
		if _, err := tx.q().ExecContext(ctx, tx.d.rebind(`UPDATE splits SET status = 'reconciled', reconciliation_id = ?
			WHERE id IN (SELECT split_id FROM reconciliation_ticks WHERE reconciliation_id = ?)`), id, id); err != nil {
			return tx.d.wrap("finish reconciliation", err)
		}
		if _, err := tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM reconciliation_ticks WHERE reconciliation_id = ?`), id); err != nil {
			return tx.d.wrap("finish reconciliation", err)
		}
		now := tx.Now()
		if _, err := tx.q().ExecContext(ctx, tx.d.rebind(`UPDATE reconciliations SET state = 'locked', locked_at = ? WHERE id = ?`), formatTime(now), id); err != nil {
			return tx.d.wrap("finish reconciliation", err)
		}
		s.State, s.LockedAt, s.Candidates = reconcile.StateLocked, now, []reconcile.Candidate{}
		return tx.Audit(ctx, actor, "reconcile.finish", subject(id),
			fmt.Sprintf("%s, statement of %s, ending balance %s, %d splits reconciled", s.Account, s.StatementOn, s.Balance, s.TickedCount))
	})
	return s, err
}

// UndoReconciliation reopens a locked reconciliation, which must be its
// account's newest: its splits go back to cleared, ticked again. An open
// one is discarded instead, its ticks with it.
func (db *DB) UndoReconciliation(ctx context.Context, id int64, actor string) (reopened bool, err error) {
	err = db.Update(ctx, func(tx *Tx) error {
		s, err := scanStatement(tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT `+statementColumns+`
			FROM reconciliations r JOIN ledger_accounts a ON a.id = r.ledger_account_id WHERE r.id = ?`), id))
		if errors.Is(err, sql.ErrNoRows) {
			return bankfeed.Errorf(bankfeed.ENotFound, "no reconciliation %d (see bankfeed reconcile show)", id)
		}
		if err != nil {
			return tx.d.wrap("read reconciliation", err)
		}
		if s.State == reconcile.StateOpen {
			for _, q := range []string{
				`DELETE FROM reconciliation_ticks WHERE reconciliation_id = ?`,
				`DELETE FROM reconciliations WHERE id = ?`,
			} {
				if _, err := tx.q().ExecContext(ctx, tx.d.rebind(q), id); err != nil {
					return tx.d.wrap("discard reconciliation", err)
				}
			}
			return tx.Audit(ctx, actor, "reconcile.undo", subject(id),
				fmt.Sprintf("discarded, open: %s, statement of %s, ending balance %s", s.Account, s.StatementOn, s.Balance))
		}
		var newest int64
		if err := tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT id FROM reconciliations WHERE ledger_account_id = ? AND state = 'locked'
			ORDER BY statement_on DESC, id DESC LIMIT 1`), s.AccountID).Scan(&newest); err != nil {
			return tx.d.wrap("undo reconciliation", err)
		}
		if newest != id {
			return bankfeed.Errorf(bankfeed.EConflict, "reconciliation %d is not the newest of %s: undo %d first", id, s.Account, newest)
		}
		var open int64
		err = tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT id FROM reconciliations WHERE ledger_account_id = ? AND state = 'open'`), s.AccountID).Scan(&open)
		if err == nil {
			return bankfeed.Errorf(bankfeed.EConflict, "reconciliation %d of %s is open: finish or undo it first", open, s.Account)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return tx.d.wrap("undo reconciliation", err)
		}
		res, err := tx.q().ExecContext(ctx, tx.d.rebind(`INSERT INTO reconciliation_ticks (reconciliation_id, split_id)
			SELECT ?, id FROM splits WHERE reconciliation_id = ?`), id, id)
		if err != nil {
			return tx.d.wrap("undo reconciliation", err)
		}
		n, _ := res.RowsAffected()
		for _, q := range []string{
			`UPDATE splits SET status = 'cleared', reconciliation_id = NULL WHERE reconciliation_id = ?`,
			`UPDATE reconciliations SET state = 'open', locked_at = NULL WHERE id = ?`,
		} {
			if _, err := tx.q().ExecContext(ctx, tx.d.rebind(q), id); err != nil {
				return tx.d.wrap("undo reconciliation", err)
			}
		}
		reopened = true
		return tx.Audit(ctx, actor, "reconcile.undo", subject(id),
			fmt.Sprintf("reopened: %s, statement of %s, %d splits back to cleared", s.Account, s.StatementOn, n))
	})
	return reopened, err
}
