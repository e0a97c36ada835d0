package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/bankfeed/bankfeed"
)

// EnsureInstitution returns the institution keyed by
// bankfeed.InstitutionKey(org, fid, intuBID), creating it on first sight.
func (tx *Tx) EnsureInstitution(ctx context.Context, org, fid, intuBID string) (*bankfeed.Institution, error) {
	key := bankfeed.InstitutionKey(org, fid, intuBID)
	inst, err := institutionByKey(ctx, tx.q(), tx.d, key)
	if err == nil || bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound {
		return inst, err
	}
	inst = &bankfeed.Institution{Key: key, Org: org, FID: fid, IntuBID: intuBID, Name: org, CreatedAt: tx.Now()}
	if inst.Name == "" && key == "" {
		inst.Name = "unknown"
	}
	err = tx.q().QueryRowContext(ctx, tx.d.rebind(`INSERT INTO institutions (key, org, fid, intu_bid, name, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
		inst.Key, inst.Org, inst.FID, inst.IntuBID, inst.Name, formatTime(inst.CreatedAt)).Scan(&inst.ID)
	if err != nil {
		return nil, tx.d.wrap("create institution", err)
	}
	return inst, nil
}

// RenameInstitution sets the name an institution is shown by.
func (tx *Tx) RenameInstitution(ctx context.Context, id bankfeed.InstitutionID, name string) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return bankfeed.Errorf(bankfeed.EInvalid, "institution name: empty")
	}
	res, err := tx.q().ExecContext(ctx, tx.d.rebind(`UPDATE institutions SET name = ? WHERE id = ?`), name, id)
	if err != nil {
		return tx.d.wrap("rename institution", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return bankfeed.Errorf(bankfeed.ENotFound, "no institution %d", id)
	}
	return nil
}

const institutionColumns = `id, key, org, fid, intu_bid, name, created_at`

func scanInstitution(row interface{ Scan(...any) error }) (*bankfeed.Institution, error) {
	var i bankfeed.Institution
	var created string
	if err := row.Scan(&i.ID, &i.Key, &i.Org, &i.FID, &i.IntuBID, &i.Name, &created); err != nil {
		return nil, err
	}
	var err error
	i.CreatedAt, err = parseTime(created)
	return &i, err
}

func institutionByKey(ctx context.Context, q querier, d *dialect, key string) (*bankfeed.Institution, error) {
	i, err := scanInstitution(q.QueryRowContext(ctx, d.rebind(`SELECT `+institutionColumns+` FROM institutions WHERE key = ?`), key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bankfeed.Errorf(bankfeed.ENotFound, "no institution %q", key)
	}
	return i, d.wrap("read institution", err)
}

// Institutions lists every institution by id.
func (db *DB) Institutions(ctx context.Context) ([]*bankfeed.Institution, error) {
	var out []*bankfeed.Institution
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+institutionColumns+` FROM institutions ORDER BY id`)
		if err != nil {
			return db.d.wrap("list institutions", err)
		}
		defer rows.Close()
		for rows.Next() {
			i, err := scanInstitution(rows)
			if err != nil {
				return db.d.wrap("list institutions", err)
			}
			out = append(out, i)
		}
		return db.d.wrap("list institutions", rows.Err())
	})
	return out, err
}

// querier is what *sql.Tx and *sql.DB share.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// EnsureAccount returns the account with a's institution, kind, bank id and
// number, creating it from a on first sight (created is then true). An
// existing account is returned as stored: a later file does not rename it.
func (tx *Tx) EnsureAccount(ctx context.Context, a bankfeed.Account) (acct *bankfeed.Account, created bool, err error) {
	if a.Kind == "" {
		return nil, false, bankfeed.Errorf(bankfeed.EInvalid, "create account: no kind")
	}
	acct, err = scanAccount(tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT `+accountColumns+` FROM accounts
		WHERE institution_id = ? AND kind = ? AND bank_id = ? AND number = ?`),
		a.InstitutionID, a.Kind, a.BankID, a.Number))
	if err == nil {
		return acct, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, false, tx.d.wrap("read account", err)
	}
	a.CreatedAt = tx.Now()
	err = tx.q().QueryRowContext(ctx, tx.d.rebind(`INSERT INTO accounts
		(institution_id, kind, type, bank_id, branch_id, number, currency, name, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		a.InstitutionID, a.Kind, a.Type, a.BankID, a.BranchID, a.Number, a.Currency, a.Name, formatTime(a.CreatedAt)).Scan(&a.ID)
	if err != nil {
		return nil, false, tx.d.wrap("create account", err)
	}
	return &a, true, nil
}

// Account returns the account with id, in the transaction.
func (tx *Tx) Account(ctx context.Context, id bankfeed.AccountID) (*bankfeed.Account, error) {
	return accountByID(ctx, tx.q(), tx.d, id)
}

const accountColumns = `id, institution_id, kind, type, bank_id, branch_id, number, currency, name, created_at`

// prefixed qualifies every column of a list: prefixed("a.", "id, kind") is
// "a.id, a.kind".
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

func scanAccount(row interface{ Scan(...any) error }) (*bankfeed.Account, error) {
	var a bankfeed.Account
	var created string
	if err := row.Scan(&a.ID, &a.InstitutionID, &a.Kind, &a.Type, &a.BankID, &a.BranchID, &a.Number,
		&a.Currency, &a.Name, &created); err != nil {
		return nil, err
	}
	var err error
	a.CreatedAt, err = parseTime(created)
	return &a, err
}

func accountByID(ctx context.Context, q querier, d *dialect, id bankfeed.AccountID) (*bankfeed.Account, error) {
	a, err := scanAccount(q.QueryRowContext(ctx, d.rebind(`SELECT `+accountColumns+` FROM accounts WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bankfeed.Errorf(bankfeed.ENotFound, "no account %d", id)
	}
	return a, d.wrap("read account", err)
}

// Account returns the account with id.
func (db *DB) Account(ctx context.Context, id bankfeed.AccountID) (*bankfeed.Account, error) {
	var a *bankfeed.Account
	err := db.view(ctx, func(tx cachedTx) (err error) {
		a, err = accountByID(ctx, tx, db.d, id)
		return err
	})
	return a, err
}

// AccountSummary is an account with its institution and what the store holds
// of it.
type AccountSummary struct {
	bankfeed.Account
	Institution  string `json:"institution"` // the institution's name, or its key
	Lines        int64  `json:"lines"`
	FirstPosted  string `json:"first_posted_on,omitempty"`
	LastPosted   string `json:"last_posted_on,omitempty"`
	LastImportAt string `json:"last_import_at,omitempty"`
}

// Accounts lists the accounts f selects, by id.
func (db *DB) Accounts(ctx context.Context, f bankfeed.AccountFilter) ([]*AccountSummary, error) {
	var where []string
	var args []any
	if f.ID != nil {
		where, args = append(where, "a.id = ?"), append(args, *f.ID)
	}
	if f.InstitutionID != nil {
		where, args = append(where, "a.institution_id = ?"), append(args, *f.InstitutionID)
	}
	q := `SELECT a.id, a.institution_id, a.kind, a.type, a.bank_id, a.branch_id, a.number, a.currency, a.name, a.created_at,
		CASE WHEN i.name <> '' THEN i.name ELSE i.key END,
		a.line_count,
		(SELECT min(posted_on) FROM lines l WHERE l.account_id = a.id),
		(SELECT max(posted_on) FROM lines l WHERE l.account_id = a.id),
		(SELECT max(m.finished_at) FROM import_statements s JOIN imports m ON m.id = s.import_id WHERE s.account_id = a.id)
		FROM accounts a JOIN institutions i ON i.id = a.institution_id`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY a.id"
	var out []*AccountSummary
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, db.d.rebind(q), args...)
		if err != nil {
			return db.d.wrap("list accounts", err)
		}
		defer rows.Close()
		for rows.Next() {
			var s AccountSummary
			var created string
			var first, last, lastImport sql.NullString
			a := &s.Account
			if err := rows.Scan(&a.ID, &a.InstitutionID, &a.Kind, &a.Type, &a.BankID, &a.BranchID, &a.Number,
				&a.Currency, &a.Name, &created, &s.Institution, &s.Lines, &first, &last, &lastImport); err != nil {
				return db.d.wrap("list accounts", err)
			}
			if a.CreatedAt, err = parseTime(created); err != nil {
				return db.d.wrap("list accounts", err)
			}
			s.FirstPosted, s.LastPosted, s.LastImportAt = first.String, last.String, lastImport.String
			out = append(out, &s)
		}
		return db.d.wrap("list accounts", rows.Err())
	})
	return out, err
}

// FindAccount resolves what a user typed: a store id, or else an account
// number that only one account has.
func (db *DB) FindAccount(ctx context.Context, ref string) (*bankfeed.Account, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, bankfeed.Errorf(bankfeed.EInvalid, "no account given")
	}
	var found *bankfeed.Account
	err := db.view(ctx, func(tx cachedTx) error {
		if id, ok := parseID(ref); ok {
			a, err := accountByID(ctx, tx, db.d, bankfeed.AccountID(id))
			if err == nil || bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound {
				found = a
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, db.d.rebind(`SELECT `+accountColumns+` FROM accounts WHERE number = ? ORDER BY id`), ref)
		if err != nil {
			return db.d.wrap("find account", err)
		}
		defer rows.Close()
		var all []*bankfeed.Account
		for rows.Next() {
			a, err := scanAccount(rows)
			if err != nil {
				return db.d.wrap("find account", err)
			}
			all = append(all, a)
		}
		if err := rows.Err(); err != nil {
			return db.d.wrap("find account", err)
		}
		switch len(all) {
		case 0:
			return bankfeed.Errorf(bankfeed.ENotFound, "no account %q (see bankfeed accounts)", ref)
		case 1:
			found = all[0]
			return nil
		}
		return bankfeed.Errorf(bankfeed.EInvalid, "%d accounts have number %q: give the id (see bankfeed accounts)", len(all), ref)
	})
	return found, err
}

// parseID reads a positive decimal id.
func parseID(s string) (int64, bool) {
	var v int64
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, v > 0
}
