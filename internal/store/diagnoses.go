package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/bankfeed/bankfeed"
)

// Diagnosis is a kept verdict: its class, whether it escalates, and the
// verdict itself as JSON.
type Diagnosis struct {
	ID           int64
	ConnectionID bankfeed.ConnectionID
	CheckedAt    time.Time
	Class        string
	Escalate     bool
	Verdict      []byte
}

// SaveDiagnosis keeps a verdict of a connection; d.ID is set.
func (db *DB) SaveDiagnosis(ctx context.Context, d *Diagnosis) error {
	return db.Update(ctx, func(tx *Tx) error {
		err := tx.q().QueryRowContext(ctx, tx.d.rebind(`INSERT INTO diagnoses (connection_id, checked_at, class, escalate, verdict)
			VALUES (?, ?, ?, ?, ?) RETURNING id`),
			d.ConnectionID, formatTime(d.CheckedAt), d.Class, d.Escalate, string(d.Verdict)).Scan(&d.ID)
		if err != nil {
			return tx.d.wrap("save diagnosis", err)
		}
		// Keep the latest 50 of a connection.
		_, err = tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM diagnoses WHERE connection_id = ? AND id NOT IN
			(SELECT id FROM diagnoses WHERE connection_id = ? ORDER BY checked_at DESC, id DESC LIMIT 50)`),
			d.ConnectionID, d.ConnectionID)
		return tx.d.wrap("save diagnosis", err)
	})
}

// LatestDiagnosis returns a connection's latest verdict, or nil when it has
// none.
func (db *DB) LatestDiagnosis(ctx context.Context, conn bankfeed.ConnectionID) (*Diagnosis, error) {
	var d *Diagnosis
	err := db.view(ctx, func(tx cachedTx) error {
		var x Diagnosis
		var at, verdict string
		err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT id, connection_id, checked_at, class, escalate, verdict
			FROM diagnoses WHERE connection_id = ? ORDER BY checked_at DESC, id DESC LIMIT 1`), conn).
			Scan(&x.ID, &x.ConnectionID, &at, &x.Class, &x.Escalate, &verdict)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return db.d.wrap("read diagnosis", err)
		}
		if x.CheckedAt, err = parseTime(at); err != nil {
			return db.d.wrap("read diagnosis", err)
		}
		x.Verdict = []byte(verdict)
		d = &x
		return nil
	})
	return d, err
}
