package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/bankfeed/bankfeed"
)

// BalanceDay is a feed account's balance at the end of a day.
type BalanceDay struct {
	On      string           `json:"on"` // YYYY-MM-DD
	Balance bankfeed.Decimal `json:"balance"`
	// Lines counts the lines posted that day.
	Lines int `json:"lines"`
}

// BalanceHistory is a feed account's balance day by day.
type BalanceHistory struct {
	AccountID bankfeed.AccountID `json:"account_id"`
	Currency  string             `json:"currency"`
	// Anchored says the balances count from the bank's latest statement
	// balance, Anchor at the end of AnchorOn; otherwise they are the sums
	// of the feed's lines from its first.
	Anchored bool             `json:"anchored"`
	AnchorOn string           `json:"anchor_on,omitempty"`
	Anchor   bankfeed.Decimal `json:"anchor"`
	// Days has every day from the first asked for to the last.
	Days []BalanceDay `json:"days"`
}

// feedLineFilter keeps the lines that count in a balance: posted, and
// neither merged into another nor voided.
const feedLineFilter = `FROM lines l LEFT JOIN line_reviews r ON r.line_id = l.id
	WHERE l.account_id = ? AND l.pending = 0 AND (r.state IS NULL OR r.state NOT IN ('merged', 'voided'))`

// BalanceHistory returns an account's balance at the end of each day from
// from to to (YYYY-MM-DD). Lines are summed per day in SQL, over the days
// between the chart's and the anchor's only, through the index on
// (account_id, posted_on); an account with no statement balance is summed
// from its first line. Amounts are exact.
func (db *DB) BalanceHistory(ctx context.Context, acct bankfeed.AccountID, from, to string) (*BalanceHistory, error) {
	first, err := time.Parse(DateLayout, from)
	if err != nil {
		return nil, bankfeed.Errorf(bankfeed.EInvalid, "balance history: from %q: not a date as YYYY-MM-DD", from)
	}
	last, err := time.Parse(DateLayout, to)
	if err != nil || last.Before(first) {
		return nil, bankfeed.Errorf(bankfeed.EInvalid, "balance history: to %q: not a date as YYYY-MM-DD on or after %s", to, from)
	}
	h := &BalanceHistory{AccountID: acct, Days: []BalanceDay{}}
	wrap := func(err error) error { return db.d.wrap(fmt.Sprintf("read the balances of account %d", acct), err) }
	err = db.view(ctx, func(tx cachedTx) error {
		var amount, at, end, cur, acctCur sql.NullString
		if err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT currency FROM accounts WHERE id = ?`), acct).Scan(&acctCur); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return bankfeed.Errorf(bankfeed.ENotFound, "no account %d", acct)
			}
			return wrap(err)
		}
		h.Currency = acctCur.String
		err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT ledger_balance, ledger_balance_at, end_on, currency FROM import_statements
			WHERE account_id = ? AND ledger_balance IS NOT NULL
			ORDER BY coalesce(substr(ledger_balance_at, 1, 10), end_on, '') DESC, import_id DESC, statement_index DESC LIMIT 1`), acct).
			Scan(&amount, &at, &end, &cur)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return wrap(err)
		}
		if err == nil {
			switch {
			case at.Valid && len(at.String) >= 10:
				h.AnchorOn = at.String[:10]
			case end.Valid && end.String != "":
				h.AnchorOn = end.String
			}
			if h.AnchorOn != "" {
				if h.Anchor, err = bankfeed.ParseDecimal(amount.String); err != nil {
					return fmt.Errorf("read the balances of account %d: ledger balance %q: %w", acct, amount.String, err)
				}
				h.Anchored = true
			}
			if h.Currency == "" {
				h.Currency = cur.String
			}
		}
		if h.Currency == "" {
			var c sql.NullString
			if err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT currency FROM lines WHERE account_id = ? LIMIT 1`), acct).Scan(&c); err != nil &&
				!errors.Is(err, sql.ErrNoRows) {
				return wrap(err)
			}
			h.Currency = c.String
		}
		places := bankfeed.CurrencyPlaces(h.Currency)
		dayBefore := first.AddDate(0, 0, -1).Format(DateLayout)
		// The days summed: (lo, hi].
		lo, hi := dayBefore, to
		if h.Anchored {
			lo, hi = min(lo, h.AnchorOn), max(hi, h.AnchorOn)
		}
		sums, counts, err := daySums(ctx, tx, db.d, acct, lo, hi, places)
		if err != nil {
			return wrap(err)
		}
		// The balance at the end of the day before the first.
		var bal bankfeed.Decimal
		if h.Anchored {
			bal = h.Anchor
			for on, s := range sums {
				switch {
				case on > h.AnchorOn && on <= dayBefore:
					bal = bal.Add(s)
				case on > dayBefore && on <= h.AnchorOn:
					bal = bal.Sub(s)
				}
			}
		} else {
			if bal, err = sumBefore(ctx, tx, db.d, acct, dayBefore, places); err != nil {
				return wrap(err)
			}
		}
		for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
			on := d.Format(DateLayout)
			if s, ok := sums[on]; ok {
				bal = bal.Add(s)
			}
			h.Days = append(h.Days, BalanceDay{On: on, Balance: bal.Canonical(places), Lines: counts[on]})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// daySums sums an account's lines per day posted in (lo, hi]. Amounts
// whose minor units are not exact are added one by one.
func daySums(ctx context.Context, q querier, d *dialect, acct bankfeed.AccountID, lo, hi string, places int32) (map[string]bankfeed.Decimal, map[string]int, error) {
	rows, err := q.QueryContext(ctx, d.rebind(`SELECT l.posted_on, coalesce(sum(l.amount_minor), 0), count(*),
		sum(CASE WHEN l.amount_minor IS NULL THEN 1 ELSE 0 END) `+feedLineFilter+`
		AND l.posted_on > ? AND l.posted_on <= ? GROUP BY l.posted_on`), acct, lo, hi)
	if err != nil {
		return nil, nil, err
	}
	sums, counts := map[string]bankfeed.Decimal{}, map[string]int{}
	inexact := 0
	for rows.Next() {
		var on string
		var minor int64
		var n, nInexact int
		if err := rows.Scan(&on, &minor, &n, &nInexact); err != nil {
			rows.Close()
			return nil, nil, err
		}
		sums[on], counts[on] = bankfeed.NewDecimal(minor, places), n
		inexact += nInexact
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if inexact == 0 {
		return sums, counts, nil
	}
	rows, err = q.QueryContext(ctx, d.rebind(`SELECT l.posted_on, l.amount `+feedLineFilter+`
		AND l.posted_on > ? AND l.posted_on <= ? AND l.amount_minor IS NULL`), acct, lo, hi)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var on, amount string
		if err := rows.Scan(&on, &amount); err != nil {
			return nil, nil, err
		}
		a, err := bankfeed.ParseDecimal(amount)
		if err != nil {
			return nil, nil, fmt.Errorf("amount %q: %w", amount, err)
		}
		sums[on] = sums[on].Add(a)
	}
	return sums, counts, rows.Err()
}

// sumBefore sums an account's lines posted on or before a day.
func sumBefore(ctx context.Context, q querier, d *dialect, acct bankfeed.AccountID, on string, places int32) (bankfeed.Decimal, error) {
	var minor int64
	var inexact int
	err := q.QueryRowContext(ctx, d.rebind(`SELECT coalesce(sum(l.amount_minor), 0),
		coalesce(sum(CASE WHEN l.amount_minor IS NULL THEN 1 ELSE 0 END), 0) `+feedLineFilter+` AND l.posted_on <= ?`), acct, on).
		Scan(&minor, &inexact)
	if err != nil {
		return bankfeed.Decimal{}, err
	}
	sum := bankfeed.NewDecimal(minor, places)
	if inexact == 0 {
		return sum, nil
	}
	rows, err := q.QueryContext(ctx, d.rebind(`SELECT l.amount `+feedLineFilter+` AND l.posted_on <= ? AND l.amount_minor IS NULL`), acct, on)
	if err != nil {
		return bankfeed.Decimal{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var amount string
		if err := rows.Scan(&amount); err != nil {
			return bankfeed.Decimal{}, err
		}
		a, err := bankfeed.ParseDecimal(amount)
		if err != nil {
			return bankfeed.Decimal{}, fmt.Errorf("amount %q: %w", amount, err)
		}
		sum = sum.Add(a)
	}
	return sum, rows.Err()
}

// ChartAccount is an account as a chart names it.
type ChartAccount struct {
	ID          bankfeed.AccountID
	Number      string
	Name        string
	Kind        bankfeed.AccountKind
	Institution string
	// HasLines says the feed holds a line.
	HasLines bool
}

// ChartAccounts lists the accounts by id, or the one of id when not 0,
// without counting their lines.
func (db *DB) ChartAccounts(ctx context.Context, id bankfeed.AccountID) ([]*ChartAccount, error) {
	q := `SELECT a.id, a.number, a.name, a.kind, CASE WHEN i.name <> '' THEN i.name ELSE i.key END,
		EXISTS (SELECT 1 FROM lines l WHERE l.account_id = a.id)
		FROM accounts a JOIN institutions i ON i.id = a.institution_id`
	var args []any
	if id != 0 {
		q += ` WHERE a.id = ?`
		args = append(args, id)
	}
	q += ` ORDER BY a.id`
	var out []*ChartAccount
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, db.d.rebind(q), args...)
		if err != nil {
			return db.d.wrap("list accounts", err)
		}
		defer rows.Close()
		for rows.Next() {
			var a ChartAccount
			if err := rows.Scan(&a.ID, &a.Number, &a.Name, &a.Kind, &a.Institution, &a.HasLines); err != nil {
				return db.d.wrap("list accounts", err)
			}
			out = append(out, &a)
		}
		return db.d.wrap("list accounts", rows.Err())
	})
	return out, err
}
