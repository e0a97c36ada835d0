package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/bankfeed/bankfeed"
)

// CreateImport records the start of an import; im.ID is set. The file's hash
// and the counts are written by FinishImport, in the same transaction.
func (tx *Tx) CreateImport(ctx context.Context, im *bankfeed.Import) error {
	if im.StartedAt.IsZero() {
		im.StartedAt = tx.Now()
	}
	err := tx.q().QueryRowContext(ctx, tx.d.rebind(`INSERT INTO imports (file_name, file_sha256, file_size, started_at)
		VALUES (?, ?, ?, ?) RETURNING id`),
		im.FileName, im.FileSHA256, im.FileSize, formatTime(im.StartedAt)).Scan(&im.ID)
	return tx.d.wrap("create import", err)
}

// FinishImport writes the import's hash, size, counts and finish time.
func (tx *Tx) FinishImport(ctx context.Context, im *bankfeed.Import) error {
	if im.FinishedAt.IsZero() {
		im.FinishedAt = tx.Now()
	}
	c := im.ImportCounts
	res, err := tx.q().ExecContext(ctx, tx.d.rebind(`UPDATE imports SET file_sha256 = ?, file_size = ?, finished_at = ?,
		new_lines = ?, duplicate_lines = ?, collisions = ?, skipped = ?, warnings = ? WHERE id = ?`),
		im.FileSHA256, im.FileSize, formatTime(im.FinishedAt), c.New, c.Duplicate, c.Collisions, c.Skipped, c.Warnings, im.ID)
	if err != nil {
		return tx.d.wrap("finish import", err)
	}
	if n, err := res.RowsAffected(); err == nil && n != 1 {
		return bankfeed.Errorf(bankfeed.ENotFound, "finish import: no import %d", im.ID)
	}
	return nil
}

// EarlierImport returns the first finished import of a file with this hash
// other than except, or nil.
func (tx *Tx) EarlierImport(ctx context.Context, sha256 string, except bankfeed.ImportID) (*bankfeed.Import, error) {
	im, err := scanImport(tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT `+importColumns+` FROM imports
		WHERE file_sha256 = ? AND id <> ? AND finished_at IS NOT NULL ORDER BY id LIMIT 1`), sha256, except))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return im, tx.d.wrap("find earlier import", err)
}

const importColumns = `id, file_name, file_sha256, file_size, started_at, finished_at,
	new_lines, duplicate_lines, collisions, skipped, warnings`

func scanImport(row interface{ Scan(...any) error }) (*bankfeed.Import, error) {
	var im bankfeed.Import
	var started string
	var finished sql.NullString
	c := &im.ImportCounts
	if err := row.Scan(&im.ID, &im.FileName, &im.FileSHA256, &im.FileSize, &started, &finished,
		&c.New, &c.Duplicate, &c.Collisions, &c.Skipped, &c.Warnings); err != nil {
		return nil, err
	}
	var err error
	if im.StartedAt, err = parseTime(started); err != nil {
		return nil, err
	}
	im.FinishedAt, err = scanTime(finished)
	return &im, err
}

// Imports lists every import, oldest first.
func (db *DB) Imports(ctx context.Context) ([]*bankfeed.Import, error) {
	var out []*bankfeed.Import
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+importColumns+` FROM imports ORDER BY id`)
		if err != nil {
			return db.d.wrap("list imports", err)
		}
		defer rows.Close()
		for rows.Next() {
			im, err := scanImport(rows)
			if err != nil {
				return db.d.wrap("list imports", err)
			}
			out = append(out, im)
		}
		return db.d.wrap("list imports", rows.Err())
	})
	return out, err
}

// AddImportStatement records one statement of an import.
func (tx *Tx) AddImportStatement(ctx context.Context, s *bankfeed.ImportStatement) error {
	var ledger, ledgerAt, avail, availAt any
	if s.Ledger != nil {
		ledger, ledgerAt = s.Ledger.Amount.String(), nullTime(s.Ledger.AsOf)
	}
	if s.Available != nil {
		avail, availAt = s.Available.Amount.String(), nullTime(s.Available.AsOf)
	}
	var acct any
	if s.AccountID != nil {
		acct = int64(*s.AccountID)
	}
	c := s.ImportCounts
	_, err := tx.q().ExecContext(ctx, tx.d.rebind(`INSERT INTO import_statements
		(import_id, statement_index, account_id, kind, currency, status_code, start_on, end_on,
		 ledger_balance, ledger_balance_at, available_balance, available_balance_at,
		 transactions, new_lines, duplicate_lines, collisions, skipped)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		s.ImportID, s.Index, acct, s.Kind, s.Currency, s.StatusCode, nullString(s.StartOn), nullString(s.EndOn),
		ledger, ledgerAt, avail, availAt, s.Transactions, c.New, c.Duplicate, c.Collisions, c.Skipped)
	return tx.d.wrap("record import statement", err)
}

// ImportStatements returns the statements of an import in file order.
func (db *DB) ImportStatements(ctx context.Context, id bankfeed.ImportID) ([]*bankfeed.ImportStatement, error) {
	var out []*bankfeed.ImportStatement
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, db.d.rebind(`SELECT import_id, statement_index, account_id, kind, currency,
			status_code, start_on, end_on, ledger_balance, ledger_balance_at, available_balance, available_balance_at,
			transactions, new_lines, duplicate_lines, collisions, skipped
			FROM import_statements WHERE import_id = ? ORDER BY statement_index`), id)
		if err != nil {
			return db.d.wrap("list import statements", err)
		}
		defer rows.Close()
		for rows.Next() {
			var s bankfeed.ImportStatement
			var acct sql.NullInt64
			var start, end, ledger, ledgerAt, avail, availAt sql.NullString
			c := &s.ImportCounts
			if err := rows.Scan(&s.ImportID, &s.Index, &acct, &s.Kind, &s.Currency, &s.StatusCode, &start, &end,
				&ledger, &ledgerAt, &avail, &availAt, &s.Transactions, &c.New, &c.Duplicate, &c.Collisions, &c.Skipped); err != nil {
				return db.d.wrap("list import statements", err)
			}
			if acct.Valid {
				id := bankfeed.AccountID(acct.Int64)
				s.AccountID = &id
			}
			s.StartOn, s.EndOn = start.String, end.String
			if s.Ledger, err = scanBalance(ledger, ledgerAt); err != nil {
				return db.d.wrap("list import statements", err)
			}
			if s.Available, err = scanBalance(avail, availAt); err != nil {
				return db.d.wrap("list import statements", err)
			}
			out = append(out, &s)
		}
		return db.d.wrap("list import statements", rows.Err())
	})
	return out, err
}

func scanBalance(amount, at sql.NullString) (*bankfeed.Balance, error) {
	if !amount.Valid {
		return nil, nil
	}
	d, err := bankfeed.ParseDecimal(amount.String)
	if err != nil {
		return nil, err
	}
	t, err := scanTime(at)
	return &bankfeed.Balance{Amount: d, AsOf: t}, err
}
