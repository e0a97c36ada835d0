package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/bankfeed/bankfeed"
)

// NotifiedState returns the state a connection's user was last told of: ""
// when nothing needed them, or when they were never told anything.
func (db *DB) NotifiedState(ctx context.Context, id bankfeed.ConnectionID) (string, error) {
	var key string
	err := db.view(ctx, func(tx cachedTx) error {
		err := tx.QueryRowContext(ctx, db.d.rebind(`SELECT state_key FROM notifications WHERE connection_id = ?`), id).Scan(&key)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return db.d.wrap("read notified state", err)
	})
	return key, err
}

// SetNotifiedState records that a connection's user was told of the state
// key, now. A connection that does not exist is not found.
func (db *DB) SetNotifiedState(ctx context.Context, id bankfeed.ConnectionID, key string) error {
	return db.Update(ctx, func(tx *Tx) error {
		_, err := tx.q().ExecContext(ctx, tx.d.rebind(`INSERT INTO notifications (connection_id, state_key, sent_at)
			VALUES (?, ?, ?) ON CONFLICT (connection_id) DO UPDATE SET state_key = excluded.state_key,
			sent_at = excluded.sent_at`), id, key, formatTime(tx.Now()))
		if bankfeed.ErrorCodeOf(tx.d.mapError(err)) == bankfeed.ENotFound {
			return bankfeed.Errorf(bankfeed.ENotFound, "set notified state: no connection %d", id)
		}
		return tx.d.wrap("set notified state", err)
	})
}
