package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

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
	var conn any
	if r.ConnectionID != 0 {
		conn = r.ConnectionID
	}
	err := tx.q().QueryRowContext(ctx, tx.d.rebind(`INSERT INTO sync_runs
		(account_id, started_at, finished_at, outcome, failure_class, http_status, ofx_status, error,
		 new_lines, duplicate_lines, collisions, skipped, warnings,
		 connection_id, trigger, window_start, window_end, retry_at, transcript, bank_message)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		r.AccountID, formatTime(r.StartedAt), finished, r.Outcome, r.FailureClass, r.HTTPStatus, r.OFXStatus, r.Error,
		c.New, c.Duplicate, c.Collisions, c.Skipped, c.Warnings,
		conn, r.Trigger, nullTime(r.WindowStart), nullTime(r.WindowEnd), nullTime(r.RetryAt), r.Transcript, r.BankMessage).Scan(&r.ID)
	return tx.d.wrap("create sync run", err)
}

// FinishSyncRun writes how the run ended; FinishedAt is set to now when nil.
func (tx *Tx) FinishSyncRun(ctx context.Context, r *bankfeed.SyncRun) error {
	if r.FinishedAt == nil {
		now := tx.Now()
		r.FinishedAt = &now
	}
	c := r.ImportCounts
	res, err := tx.q().ExecContext(ctx, tx.d.rebind(`UPDATE sync_runs SET finished_at = ?, outcome = ?, failure_class = ?,
		http_status = ?, ofx_status = ?, error = ?, new_lines = ?, duplicate_lines = ?, collisions = ?, skipped = ?,
		warnings = ?, retry_at = ?, transcript = ?, bank_message = ? WHERE id = ?`),
		formatTime(*r.FinishedAt), r.Outcome, r.FailureClass, r.HTTPStatus, r.OFXStatus, r.Error,
		c.New, c.Duplicate, c.Collisions, c.Skipped, c.Warnings, nullTime(r.RetryAt), r.Transcript, r.BankMessage, r.ID)
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

// syncRunColumns leaves the transcript out: lists do not need it, and
// SyncRun reads it on its own.
const syncRunColumns = `id, account_id, started_at, finished_at, outcome, failure_class, http_status, ofx_status, error,
	new_lines, duplicate_lines, collisions, skipped, warnings, coalesce(connection_id, 0), trigger,
	window_start, window_end, retry_at, bank_message`

func scanSyncRun(row interface{ Scan(...any) error }) (*bankfeed.SyncRun, error) {
	var r bankfeed.SyncRun
	var started string
	var finished, wstart, wend, retry sql.NullString
	c := &r.ImportCounts
	if err := row.Scan(&r.ID, &r.AccountID, &started, &finished, &r.Outcome, &r.FailureClass, &r.HTTPStatus,
		&r.OFXStatus, &r.Error, &c.New, &c.Duplicate, &c.Collisions, &c.Skipped, &c.Warnings,
		&r.ConnectionID, &r.Trigger, &wstart, &wend, &retry, &r.BankMessage); err != nil {
		return nil, err
	}
	var err error
	if r.StartedAt, err = parseTime(started); err != nil {
		return nil, err
	}
	if r.WindowStart, err = scanTime(wstart); err != nil {
		return nil, err
	}
	if r.WindowEnd, err = scanTime(wend); err != nil {
		return nil, err
	}
	if r.RetryAt, err = scanTime(retry); err != nil {
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
	err := db.view(ctx, func(tx cachedTx) (err error) {
		r, err = scanSyncRun(tx.QueryRowContext(ctx, db.d.rebind(`SELECT `+syncRunColumns+` FROM sync_runs WHERE id = ?`), id))
		if errors.Is(err, sql.ErrNoRows) {
			return bankfeed.Errorf(bankfeed.ENotFound, "no sync run %d", id)
		}
		if err != nil {
			return db.d.wrap("read sync run", err)
		}
		err = tx.QueryRowContext(ctx, db.d.rebind(`SELECT transcript FROM sync_runs WHERE id = ?`), id).Scan(&r.Transcript)
		return db.d.wrap("read sync run", err)
	})
	return r, err
}

// SyncRuns lists an account's runs, newest first; limit 0 means all.
func (db *DB) SyncRuns(ctx context.Context, accountID bankfeed.AccountID, limit int) ([]*bankfeed.SyncRun, error) {
	return db.FindSyncRuns(ctx, SyncRunFilter{AccountID: accountID, Limit: limit})
}

// SyncRunFilter selects sync runs; zero fields select everything.
type SyncRunFilter struct {
	AccountID    bankfeed.AccountID
	ConnectionID bankfeed.ConnectionID
	// Since keeps runs started at or after it.
	Since time.Time
	Limit int
}

// FindSyncRuns lists the runs f selects, newest first, without their
// transcripts.
func (db *DB) FindSyncRuns(ctx context.Context, f SyncRunFilter) ([]*bankfeed.SyncRun, error) {
	q := `SELECT ` + syncRunColumns + ` FROM sync_runs WHERE 1 = 1`
	var args []any
	if f.AccountID != 0 {
		q += ` AND account_id = ?`
		args = append(args, f.AccountID)
	}
	if f.ConnectionID != 0 {
		q += ` AND connection_id = ?`
		args = append(args, f.ConnectionID)
	}
	if !f.Since.IsZero() {
		q += ` AND started_at >= ?`
		args = append(args, formatTime(f.Since))
	}
	q += ` ORDER BY started_at DESC, id DESC`
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	var out []*bankfeed.SyncRun
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, db.d.rebind(q), args...)
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
