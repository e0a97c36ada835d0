package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
)

// CheckLedgerAccountName returns every problem of a full account name: its
// first component must be one of the five roots and no component may be
// empty.
func CheckLedgerAccountName(name string) []string {
	var problems []string
	if strings.TrimSpace(name) != name || name == "" {
		return []string{fmt.Sprintf("account name %q: empty, or spaces around it", name)}
	}
	parts := strings.Split(name, ":")
	if bankfeed.LedgerAccountTypeOf(name) == "" {
		problems = append(problems, fmt.Sprintf("account name %q: must start with Assets:, Liabilities:, Income:, Expenses: or Equity:", name))
	}
	if len(parts) < 2 {
		problems = append(problems, fmt.Sprintf("account name %q: needs a name under its root, as in %s:Something", name, parts[0]))
	}
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			problems = append(problems, fmt.Sprintf("account name %q: has an empty part", name))
			break
		}
	}
	return problems
}

// AddLedgerAccount adds an account to the chart of accounts; its type comes
// from its name when not given. A name already there is a conflict.
func (tx *Tx) AddLedgerAccount(ctx context.Context, a *bankfeed.LedgerAccount) error {
	if p := CheckLedgerAccountName(a.Name); p != nil {
		return bankfeed.Errorf(bankfeed.EInvalid, "%s", strings.Join(p, "; "))
	}
	if a.Type == "" {
		a.Type = bankfeed.LedgerAccountTypeOf(a.Name)
	}
	if a.Type != bankfeed.LedgerAccountTypeOf(a.Name) {
		return bankfeed.Errorf(bankfeed.EInvalid, "account %q: type %s does not fit its name", a.Name, a.Type)
	}
	a.CreatedAt = tx.Now()
	var feed any
	if a.FeedAccountID != nil {
		feed = int64(*a.FeedAccountID)
	}
	err := tx.q().QueryRowContext(ctx, tx.d.rebind(`INSERT INTO ledger_accounts (name, type, currency, feed_account_id, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`), a.Name, a.Type, a.Currency, feed, formatTime(a.CreatedAt)).Scan(&a.ID)
	if bankfeed.ErrorCodeOf(tx.d.mapError(err)) == bankfeed.EConflict {
		return bankfeed.Errorf(bankfeed.EConflict, "account %q is already in the chart of accounts", a.Name)
	}
	return tx.d.wrap("add ledger account", err)
}

const ledgerAccountColumns = `id, name, type, currency, feed_account_id, created_at`

func scanLedgerAccount(row interface{ Scan(...any) error }) (*bankfeed.LedgerAccount, error) {
	var a bankfeed.LedgerAccount
	var feed sql.NullInt64
	var created string
	if err := row.Scan(&a.ID, &a.Name, &a.Type, &a.Currency, &feed, &created); err != nil {
		return nil, err
	}
	if feed.Valid {
		id := bankfeed.AccountID(feed.Int64)
		a.FeedAccountID = &id
	}
	var err error
	a.CreatedAt, err = parseTime(created)
	return &a, err
}

func ledgerAccounts(ctx context.Context, q querier, d *dialect) ([]*bankfeed.LedgerAccount, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+ledgerAccountColumns+` FROM ledger_accounts ORDER BY name`)
	if err != nil {
		return nil, d.wrap("read the chart of accounts", err)
	}
	defer rows.Close()
	var out []*bankfeed.LedgerAccount
	for rows.Next() {
		a, err := scanLedgerAccount(rows)
		if err != nil {
			return nil, d.wrap("read the chart of accounts", err)
		}
		out = append(out, a)
	}
	return out, d.wrap("read the chart of accounts", rows.Err())
}

// LedgerAccounts returns the chart of accounts, by name.
func (db *DB) LedgerAccounts(ctx context.Context) ([]*bankfeed.LedgerAccount, error) {
	var out []*bankfeed.LedgerAccount
	err := db.view(ctx, func(tx cachedTx) (err error) {
		out, err = ledgerAccounts(ctx, tx, db.d)
		return err
	})
	return out, err
}

// LedgerAccounts returns the chart of accounts, by name, in the transaction.
func (tx *Tx) LedgerAccounts(ctx context.Context) ([]*bankfeed.LedgerAccount, error) {
	return ledgerAccounts(ctx, tx.q(), tx.d)
}

// LedgerAccountByName returns the account with that full name.
func (tx *Tx) LedgerAccountByName(ctx context.Context, name string) (*bankfeed.LedgerAccount, error) {
	a, err := scanLedgerAccount(tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT `+ledgerAccountColumns+` FROM ledger_accounts WHERE name = ?`), name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bankfeed.Errorf(bankfeed.ENotFound, "no account %q in the chart of accounts", name)
	}
	return a, tx.d.wrap("read ledger account", err)
}

// FeedLedgerAccount returns the ledger account whose bank side is the feed
// account id, adding it to the chart when there is none yet: a bank account
// becomes "Assets:Bank:…", a card "Liabilities:Card:…", named after the
// feed's name or its number's last four digits.
func (tx *Tx) FeedLedgerAccount(ctx context.Context, id bankfeed.AccountID) (*bankfeed.LedgerAccount, error) {
	a, err := scanLedgerAccount(tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT `+ledgerAccountColumns+` FROM ledger_accounts WHERE feed_account_id = ?`), id))
	if err == nil {
		return a, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, tx.d.wrap("read ledger account", err)
	}
	feed, err := tx.Account(ctx, id)
	if err != nil {
		return nil, err
	}
	root := "Assets:Bank:"
	switch {
	case feed.Kind == bankfeed.KindCreditCard:
		root = "Liabilities:Card:"
	case feed.Kind == bankfeed.KindInvestment:
		root = "Assets:Investments:"
	}
	label := ledgerLabel(feed)
	name := root + label
	for i := 2; ; i++ {
		if _, err := tx.LedgerAccountByName(ctx, name); bankfeed.ErrorCodeOf(err) == bankfeed.ENotFound {
			break
		} else if err != nil {
			return nil, err
		}
		name = root + label + "-" + strconv.Itoa(i)
	}
	fid := id
	a = &bankfeed.LedgerAccount{Name: name, Currency: feed.Currency, FeedAccountID: &fid}
	if err := tx.AddLedgerAccount(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// ledgerLabel names a feed in the chart: its name, else its type and the last
// four characters of its number, in characters every plain-text ledger tool
// accepts in an account name.
func ledgerLabel(a *bankfeed.Account) string {
	label := a.Name
	if label == "" {
		n := a.Number
		if len(n) > 4 {
			n = n[len(n)-4:]
		}
		kind := strings.ToLower(a.Type)
		if kind == "" {
			kind = string(a.Kind)
		}
		label = strings.ToUpper(kind[:1]) + kind[1:] + "-" + n
	}
	var b strings.Builder
	for _, r := range label {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		case r == ' ' || r == '_' || r == '.':
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		s = "Account"
	}
	if s[0] >= 'a' && s[0] <= 'z' {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// AddEntry checks and adds an entry with its splits: a date, at least two
// splits, each to an account of the chart (by AccountID, or by AccountName
// when the id is 0), in amounts the currency's minor units hold exactly,
// summing to zero in each currency. Every problem is named by field. It sets
// the entry's ID and UID and each split's ID, and links the splits' Lines
// (which marks those splits cleared).
func (tx *Tx) AddEntry(ctx context.Context, e *bankfeed.Entry, actor string) error {
	if err := tx.checkEntry(ctx, e); err != nil {
		return err
	}
	if e.Origin == "" {
		e.Origin = bankfeed.OriginUser
	}
	e.CreatedBy, e.CreatedAt = actor, tx.Now()
	if err := tx.q().QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM entries`).Scan(&e.ID); err != nil {
		return tx.d.wrap("add entry", err)
	}
	e.UID = "bf-" + strconv.FormatInt(int64(e.ID), 10)
	if _, err := tx.q().ExecContext(ctx, tx.d.rebind(`INSERT INTO entries (id, uid, date_on, payee, memo, check_num, origin, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), e.ID, e.UID, e.Date, e.Payee, e.Memo, e.CheckNum, e.Origin, e.CreatedBy, formatTime(e.CreatedAt)); err != nil {
		return tx.d.wrap("add entry", err)
	}
	for i := range e.Splits {
		s := &e.Splits[i]
		if len(s.Lines) > 0 && s.Status == "" {
			s.Status = bankfeed.SplitCleared
		}
		minor, _ := s.Amount.MinorUnits(bankfeed.CurrencyPlaces(s.Currency))
		if err := tx.q().QueryRowContext(ctx, tx.d.rebind(`INSERT INTO splits (entry_id, ledger_account_id, amount, amount_minor, currency, memo, status, date_on)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), e.ID, s.AccountID, s.Amount.String(), minor, s.Currency, s.Memo, s.Status, e.Date).Scan(&s.ID); err != nil {
			return tx.d.wrap("add split", err)
		}
		for _, l := range s.Lines {
			if err := tx.LinkLine(ctx, s.ID, l); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkEntry resolves the splits' accounts and currencies and gathers every
// problem of e.
func (tx *Tx) checkEntry(ctx context.Context, e *bankfeed.Entry) error {
	var problems []string
	if _, err := time.Parse(DateLayout, e.Date); err != nil {
		problems = append(problems, fmt.Sprintf("date: %q is not a date as YYYY-MM-DD", e.Date))
	}
	if len(e.Splits) < 2 {
		problems = append(problems, fmt.Sprintf("splits: an entry needs at least two, it has %d", len(e.Splits)))
	}
	sums := map[string]bankfeed.Decimal{}
	unknown := false // a split's account is unknown: its currency is too
	for i := range e.Splits {
		s := &e.Splits[i]
		field := fmt.Sprintf("splits[%d]", i)
		var a *bankfeed.LedgerAccount
		var err error
		if s.AccountID != 0 {
			a, err = scanLedgerAccount(tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT `+ledgerAccountColumns+` FROM ledger_accounts WHERE id = ?`), s.AccountID))
			if errors.Is(err, sql.ErrNoRows) {
				err = bankfeed.Errorf(bankfeed.ENotFound, "no ledger account %d", s.AccountID)
			}
		} else {
			a, err = tx.LedgerAccountByName(ctx, s.AccountName)
		}
		switch {
		case bankfeed.ErrorCodeOf(err) == bankfeed.ENotFound:
			problems = append(problems, fmt.Sprintf("%s.account: %v", field, err))
			unknown = true
			continue
		case err != nil:
			return err
		}
		s.AccountID, s.AccountName = a.ID, a.Name
		if s.Currency == "" {
			s.Currency = a.Currency
		}
		if s.Currency == "" {
			s.Currency = entryCurrency(ctx, tx, e)
		}
		if _, ok := s.Amount.MinorUnits(bankfeed.CurrencyPlaces(s.Currency)); !ok {
			problems = append(problems, fmt.Sprintf("%s.amount: %s has more decimal places than %s allows", field, s.Amount, s.Currency))
		}
		sums[s.Currency] = sums[s.Currency].Add(s.Amount)
	}
	currencies := make([]string, 0, len(sums))
	for c := range sums {
		currencies = append(currencies, c)
	}
	sort.Strings(currencies)
	for _, c := range currencies {
		if !unknown && !sums[c].IsZero() {
			problems = append(problems, fmt.Sprintf("splits: the %s amounts sum to %s, not zero", c, sums[c].Canonical(2)))
		}
	}
	if problems != nil {
		return bankfeed.Errorf(bankfeed.EInvalid, "entry: %s", strings.Join(problems, "; "))
	}
	return nil
}

// entryCurrency is the currency of a split that names none, in an account
// that has none (a category): the currency of the entry's first split that
// has one, else USD.
func entryCurrency(ctx context.Context, tx *Tx, e *bankfeed.Entry) string {
	for _, s := range e.Splits {
		if s.Currency != "" {
			return s.Currency
		}
		var c string
		var err error
		if s.AccountID != 0 {
			err = tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT currency FROM ledger_accounts WHERE id = ?`), s.AccountID).Scan(&c)
		} else {
			err = tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT currency FROM ledger_accounts WHERE name = ?`), s.AccountName).Scan(&c)
		}
		if err == nil && c != "" {
			return c
		}
	}
	return "USD"
}

// LinkLine links a feed line to a split (the split stands for that bank
// record) and marks the split cleared. A line already linked is a conflict.
func (tx *Tx) LinkLine(ctx context.Context, split int64, line bankfeed.LineID) error {
	_, err := tx.q().ExecContext(ctx, tx.d.rebind(`INSERT INTO split_lines (line_id, split_id) VALUES (?, ?)`), line, split)
	if bankfeed.ErrorCodeOf(tx.d.mapError(err)) == bankfeed.EConflict {
		return bankfeed.Errorf(bankfeed.EConflict, "line %d is already in the books", line)
	}
	if err != nil {
		return tx.d.wrap("link line", err)
	}
	_, err = tx.q().ExecContext(ctx, tx.d.rebind(`UPDATE splits SET status = 'cleared' WHERE id = ? AND status = ''`), split)
	return tx.d.wrap("clear split", err)
}

// UnlinkLine undoes LinkLine; the split goes back to uncleared when no other
// line stands for it. A reconciled split keeps its lines: it is a conflict.
func (tx *Tx) UnlinkLine(ctx context.Context, line bankfeed.LineID) error {
	var split int64
	var status string
	err := tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT s.id, s.status FROM split_lines sl JOIN splits s ON s.id = sl.split_id WHERE sl.line_id = ?`), line).Scan(&split, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return tx.d.wrap("unlink line", err)
	}
	if status == string(bankfeed.SplitReconciled) {
		return bankfeed.Errorf(bankfeed.EConflict, "line %d is in a reconciled split; reopen the reconciliation first", line)
	}
	if _, err := tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM split_lines WHERE line_id = ?`), line); err != nil {
		return tx.d.wrap("unlink line", err)
	}
	_, err = tx.q().ExecContext(ctx, tx.d.rebind(`UPDATE splits SET status = '' WHERE id = ? AND status = 'cleared'
		AND NOT EXISTS (SELECT 1 FROM split_lines WHERE split_id = ?)`), split, split)
	return tx.d.wrap("unlink line", err)
}

// DeleteEntry removes an entry, its splits and their line links. An entry
// with a reconciled split is a conflict.
func (tx *Tx) DeleteEntry(ctx context.Context, id bankfeed.EntryID) error {
	var n int
	if err := tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT count(*) FROM splits WHERE entry_id = ? AND status = 'reconciled'`), id).Scan(&n); err != nil {
		return tx.d.wrap("delete entry", err)
	}
	if n > 0 {
		return bankfeed.Errorf(bankfeed.EConflict, "entry %d is reconciled; reopen the reconciliation first", id)
	}
	for _, q := range []string{
		`DELETE FROM split_lines WHERE split_id IN (SELECT id FROM splits WHERE entry_id = ?)`,
		`DELETE FROM reconciliation_ticks WHERE split_id IN (SELECT id FROM splits WHERE entry_id = ?)`,
		`UPDATE line_reviews SET suggestion = NULL WHERE suggestion = ?`,
		`DELETE FROM splits WHERE entry_id = ?`,
	} {
		if _, err := tx.q().ExecContext(ctx, tx.d.rebind(q), id); err != nil {
			return tx.d.wrap("delete entry", err)
		}
	}
	res, err := tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM entries WHERE id = ?`), id)
	if err != nil {
		return tx.d.wrap("delete entry", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return bankfeed.Errorf(bankfeed.ENotFound, "no entry %d", id)
	}
	return nil
}

// Entry returns one entry with its splits, in the transaction.
func (tx *Tx) Entry(ctx context.Context, id bankfeed.EntryID) (*bankfeed.Entry, error) {
	es, err := entries(ctx, tx.q(), tx.d, bankfeed.EntryFilter{}, id)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, bankfeed.Errorf(bankfeed.ENotFound, "no entry %d", id)
	}
	return es[0], nil
}

// Entries returns the entries f selects with their splits and linked lines,
// by date then id.
func (db *DB) Entries(ctx context.Context, f bankfeed.EntryFilter) ([]*bankfeed.Entry, error) {
	var out []*bankfeed.Entry
	err := db.view(ctx, func(tx cachedTx) (err error) {
		out, err = entries(ctx, tx, db.d, f, 0)
		return err
	})
	return out, err
}

// Entry returns one entry with its splits.
func (db *DB) Entry(ctx context.Context, id bankfeed.EntryID) (*bankfeed.Entry, error) {
	var out []*bankfeed.Entry
	err := db.view(ctx, func(tx cachedTx) (err error) {
		out, err = entries(ctx, tx, db.d, bankfeed.EntryFilter{}, id)
		return err
	})
	if err == nil && len(out) == 0 {
		err = bankfeed.Errorf(bankfeed.ENotFound, "no entry %d", id)
	}
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// entries reads entries and their splits in two queries (not one per
// entry): the entries, then every split of them with its lines.
func entries(ctx context.Context, q querier, d *dialect, f bankfeed.EntryFilter, only bankfeed.EntryID) ([]*bankfeed.Entry, error) {
	// Only the filters given go into the query: a catch-all "? = 0 OR
	// e.id = ?" keeps SQLite from reading one entry by its key.
	where, args := `WHERE 1 = 1`, []any{}
	if only != 0 {
		where, args = where+` AND e.id = ?`, append(args, only)
	}
	if f.From != "" {
		where, args = where+` AND e.date_on >= ?`, append(args, f.From)
	}
	if f.To != "" {
		where, args = where+` AND e.date_on <= ?`, append(args, f.To)
	}
	if f.AccountID != 0 {
		where, args = where+` AND EXISTS (SELECT 1 FROM splits x WHERE x.entry_id = e.id AND x.ledger_account_id = ?)`, append(args, f.AccountID)
	}
	rows, err := q.QueryContext(ctx, d.rebind(`SELECT e.id, e.uid, e.date_on, e.payee, e.memo, e.check_num, e.origin, e.created_by, e.created_at
		FROM entries e `+where+` ORDER BY e.date_on, e.id`), args...)
	if err != nil {
		return nil, d.wrap("read entries", err)
	}
	var out []*bankfeed.Entry
	byID := map[bankfeed.EntryID]*bankfeed.Entry{}
	for rows.Next() {
		var e bankfeed.Entry
		var created string
		if err := rows.Scan(&e.ID, &e.UID, &e.Date, &e.Payee, &e.Memo, &e.CheckNum, &e.Origin, &e.CreatedBy, &created); err != nil {
			rows.Close()
			return nil, d.wrap("read entries", err)
		}
		if e.CreatedAt, err = parseTime(created); err != nil {
			rows.Close()
			return nil, err
		}
		e.Splits = []bankfeed.Split{}
		out = append(out, &e)
		byID[e.ID] = &e
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, d.wrap("read entries", err)
	}
	rows, err = q.QueryContext(ctx, d.rebind(`SELECT s.entry_id, s.id, s.ledger_account_id, a.name, s.amount, s.currency, s.memo, s.status,
		(SELECT group_concat(sl.line_id) FROM split_lines sl WHERE sl.split_id = s.id)
		FROM splits s JOIN ledger_accounts a ON a.id = s.ledger_account_id
		WHERE s.entry_id IN (SELECT e.id FROM entries e `+where+`) ORDER BY s.entry_id, s.id`), args...)
	if err != nil {
		return nil, d.wrap("read splits", err)
	}
	defer rows.Close()
	for rows.Next() {
		var eid bankfeed.EntryID
		var s bankfeed.Split
		var amount string
		var lines sql.NullString
		if err := rows.Scan(&eid, &s.ID, &s.AccountID, &s.AccountName, &amount, &s.Currency, &s.Memo, &s.Status, &lines); err != nil {
			return nil, d.wrap("read splits", err)
		}
		if s.Amount, err = bankfeed.ParseDecimal(amount); err != nil {
			return nil, fmt.Errorf("read split %d: amount %q: %w", s.ID, amount, err)
		}
		if lines.Valid && lines.String != "" {
			for _, f := range strings.Split(lines.String, ",") {
				n, err := strconv.ParseInt(f, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("read split %d: line id %q: %w", s.ID, f, err)
				}
				s.Lines = append(s.Lines, bankfeed.LineID(n))
			}
			sort.Slice(s.Lines, func(i, j int) bool { return s.Lines[i] < s.Lines[j] })
		}
		if e := byID[eid]; e != nil {
			e.Splits = append(e.Splits, s)
		}
	}
	return out, d.wrap("read splits", rows.Err())
}

// OpenSplit is a bank-side split no feed line stands for yet: what the
// matcher looks for a line's match among.
type OpenSplit struct {
	ID       int64
	EntryID  bankfeed.EntryID
	Feed     bankfeed.AccountID // the feed of the split's ledger account
	Date     string
	Minor    int64
	Payee    string
	CheckNum string
	Memo     string
	Transfer bool // the entry's other split is in another feed's account
}

// OpenSplits returns the unlinked, unreconciled splits in the ledger
// accounts of the given feeds dated within [from, to].
func (tx *Tx) OpenSplits(ctx context.Context, feeds []bankfeed.AccountID, from, to string) ([]OpenSplit, error) {
	if len(feeds) == 0 {
		return nil, nil
	}
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(feeds)), ", ")
	args := []any{from, to}
	for _, f := range feeds {
		args = append(args, f)
	}
	rows, err := tx.q().QueryContext(ctx, tx.d.rebind(`SELECT s.id, s.entry_id, a.feed_account_id, s.date_on, s.amount_minor, e.payee, e.check_num, e.memo,
		EXISTS (SELECT 1 FROM splits o JOIN ledger_accounts oa ON oa.id = o.ledger_account_id
			WHERE o.entry_id = s.entry_id AND o.id <> s.id AND oa.feed_account_id IS NOT NULL)
		FROM splits s JOIN ledger_accounts a ON a.id = s.ledger_account_id JOIN entries e ON e.id = s.entry_id
		WHERE s.date_on >= ? AND s.date_on <= ? AND a.feed_account_id IN (`+ph+`) AND s.status = ''
		AND NOT EXISTS (SELECT 1 FROM split_lines sl WHERE sl.split_id = s.id)
		ORDER BY s.id`), args...)
	if err != nil {
		return nil, tx.d.wrap("read open splits", err)
	}
	defer rows.Close()
	var out []OpenSplit
	for rows.Next() {
		var s OpenSplit
		if err := rows.Scan(&s.ID, &s.EntryID, &s.Feed, &s.Date, &s.Minor, &s.Payee, &s.CheckNum, &s.Memo, &s.Transfer); err != nil {
			return nil, tx.d.wrap("read open splits", err)
		}
		out = append(out, s)
	}
	return out, tx.d.wrap("read open splits", rows.Err())
}

// SplitEntry returns the entry a split belongs to, and the split's ledger
// account's feed (0 when it has none).
func (tx *Tx) SplitEntry(ctx context.Context, split int64) (bankfeed.EntryID, bankfeed.AccountID, error) {
	var e bankfeed.EntryID
	var feed sql.NullInt64
	err := tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT s.entry_id, a.feed_account_id FROM splits s JOIN ledger_accounts a ON a.id = s.ledger_account_id WHERE s.id = ?`), split).Scan(&e, &feed)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, bankfeed.Errorf(bankfeed.ENotFound, "no split %d", split)
	}
	return e, bankfeed.AccountID(feed.Int64), tx.d.wrap("read split", err)
}
