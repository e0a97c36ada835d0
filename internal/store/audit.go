package store

import (
	"context"
	"database/sql"

	"github.com/bankfeed/bankfeed"
)

// Audit records a change in the audit log, in the transaction that makes
// it: who (a person's name, or "bankfeed" for automatic work), what
// ("review.add", "rule.enable"), on what ("line 12", "rule 3"), and the
// details (JSON or words; never a secret).
func (tx *Tx) Audit(ctx context.Context, actor, action, subject, detail string) error {
	_, err := tx.q().ExecContext(ctx, tx.d.rebind(`INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)`),
		formatTime(tx.Now()), actor, action, subject, detail)
	return tx.d.wrap("record "+action+" in the audit log", err)
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	Subject string // exact subject ("line 12"); "" for all
	Action  string // prefix of the action ("review."); "" for all
	Limit   int    // newest first; 0 for all
}

// AuditLog returns audit entries, newest first.
func (db *DB) AuditLog(ctx context.Context, f AuditFilter) ([]*bankfeed.AuditEntry, error) {
	q := `SELECT id, at, actor, action, subject, detail FROM audit_log WHERE (? = '' OR subject = ?) AND (? = '' OR substr(action, 1, length(?)) = ?) ORDER BY id DESC`
	args := []any{f.Subject, f.Subject, f.Action, f.Action, f.Action}
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	var out []*bankfeed.AuditEntry
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, db.d.rebind(q), args...)
		if err != nil {
			return db.d.wrap("read the audit log", err)
		}
		defer rows.Close()
		for rows.Next() {
			var a bankfeed.AuditEntry
			var at sql.NullString
			if err := rows.Scan(&a.ID, &at, &a.Actor, &a.Action, &a.Subject, &a.Detail); err != nil {
				return db.d.wrap("read the audit log", err)
			}
			if a.At, err = scanTime(at); err != nil {
				return err
			}
			out = append(out, &a)
		}
		return db.d.wrap("read the audit log", rows.Err())
	})
	return out, err
}
