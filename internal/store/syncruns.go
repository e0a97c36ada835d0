package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/bankfeed/bankfeed"
)

// CreateSyncRun records the start of a sync run; r.ID is set.
func (tx *Tx) CreateSyncRun(ctx context.Context, r *bankfeed.SyncRun) error {
	if r.StartedAt.IsZero() {
		r.StartedAt = tx.Now()
	}
	if r.Outcome == "" {
		r.Outcome = "running"
	}
	var finished any
	if r.FinishedAt != nil {
		finished = formatTime(*r.FinishedAt)
	}
	c := r.ImportCounts
	err := tx.tx.QueryRowContext(ctx, tx.d.rebind(`INSERT INTO sync_runs
		(account_id, started_at, finished_at, outcome, failure_class, http_status, ofx_status, error,
		 new_lines, duplicate_lines, collisions, skipped, warnings)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		r.AccountID, formatTime(r.StartedAt), finished, r.Outcome, r.FailureClass, r.HTTPStatus, r.OFXStatus, r.Error,
		c.New, c.Duplicate, c.Collisions, c.Skipped, c.Warnings).Scan(&r.ID)
	return tx.d.wrap("create sync run", err)
}

// FinishSyncRun writes how the run ended; FinishedAt is set to now when nil.
func (tx *Tx) FinishSyncRun(ctx context.Context, r *bankfeed.SyncRun) error {
	if r.FinishedAt == nil {
		now := tx.Now()
		r.FinishedAt = &now
	}
	c := r.ImportCounts
	res, err := tx.tx.ExecContext(ctx, tx.d.rebind(`UPDATE sync_runs SET finished_at = ?, outcome = ?, failure_class = ?,
		http_status = ?, ofx_status = ?, error = ?, new_lines = ?, duplicate_lines = ?, collisions = ?, skipped = ?,
		warnings = ? WHERE id = ?`),
		formatTime(*r.FinishedAt), r.Outcome, r.FailureClass, r.HTTPStatus, r.OFXStatus, r.Error,
		c.New, c.Duplicate, c.Collisions, c.Skipped, c.Warnings, r.ID)
	if err != nil {
		return tx.d.wrap("finish sync run", err)
	}
	if n, err := res.RowsAffected(); err == nil && n != 1 {
		return bankfeed.Errorf(bankfeed.ENotFound, "finish sync run: no sync run %d", r.ID)
	}
	return nil
}

// CreateSyncRun records the start of a sync run in its own transaction.
func (db *DB) CreateSyncRun(ctx context.Context, r *bankfeed.SyncRun) error {
	return db.Update(ctx, func(tx *Tx) error { return tx.CreateSyncRun(ctx, r) })
}

// FinishSyncRun records the end of a sync run in its own transaction.
func (db *DB) FinishSyncRun(ctx context.Context, r *bankfeed.SyncRun) error {
	return db.Update(ctx, func(tx *Tx) error { return tx.FinishSyncRun(ctx, r) })
}

const syncRunColumns = `id, account_id, started_at, finished_at, outcome, failure_class, http_status, ofx_status, error,
	new_lines, duplicate_lines, collisions, skipped, warnings`

func scanSyncRun(row interface{ Scan(...any) error }) (*bankfeed.SyncRun, error) {
	var r bankfeed.SyncRun
	var started string
	var finished sql.NullString
	c := &r.ImportCounts
	if err := row.Scan(&r.ID, &r.AccountID, &started, &finished, &r.Outcome, &r.FailureClass, &r.HTTPStatus,
		&r.OFXStatus, &r.Error, &c.New, &c.Duplicate, &c.Collisions, &c.Skipped, &c.Warnings); err != nil {
		return nil, err
	}
	var err error
	if r.StartedAt, err = parseTime(started); err != nil {
		return nil, err
	}
	if finished.Valid {
		t, err := parseTime(finished.String)
		if err != nil {
			return nil, err
		}
		r.FinishedAt = &t
	}
	return &r, nil
}

// SyncRun returns the run with id.
func (db *DB) SyncRun(ctx context.Context, id bankfeed.SyncRunID) (*bankfeed.SyncRun, error) {
	var r *bankfeed.SyncRun
	err := db.view(ctx, func(tx *sql.Tx) (err error) {
		r, err = scanSyncRun(tx.QueryRowContext(ctx, db.d.rebind(`SELECT `+syncRunColumns+` FROM sync_runs WHERE id = ?`), id))
		if errors.Is(err, sql.ErrNoRows) {
			return bankfeed.Errorf(bankfeed.ENotFound, "no sync run %d", id)
		}
		return db.d.wrap("read sync run", err)
	})
	return r, err
}

// SyncRuns lists an account's runs, newest first; limit 0 means all.
func (db *DB) SyncRuns(ctx context.Context, accountID bankfeed.AccountID, limit int) ([]*bankfeed.SyncRun, error) {
	q := `SELECT ` + syncRunColumns + ` FROM sync_runs WHERE account_id = ? ORDER BY started_at DESC, id DESC`
	if limit > 0 {
		q += " LIMIT " + itoa(int64(limit))
	}
	var out []*bankfeed.SyncRun
	err := db.view(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, db.d.rebind(q), accountID)
		if err != nil {
			return db.d.wrap("list sync runs", err)
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanSyncRun(rows)
			if err != nil {
				return db.d.wrap("list sync runs", err)
			}
			out = append(out, r)
		}
		return db.d.wrap("list sync runs", rows.Err())
	})
	return out, err
}
