package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/bankfeed/bankfeed"
)

// Snapshot is a read transaction: one consistent view of the store, on a
// reader connection. Opened while a write transaction holds the write lock,
// it shows exactly what was committed before that transaction, so a writer
// can look up earlier lines on a second core while it writes new ones.
type Snapshot struct {
	tx     *sql.Tx
	d      *dialect
	lookup *sql.Stmt
}

// Snapshot opens a read transaction. Close it when done.
func (db *DB) Snapshot(ctx context.Context) (*Snapshot, error) {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, db.d.wrap("begin read", err)
	}
	return &Snapshot{tx: tx, d: db.d}, nil
}

// Close ends the read transaction.
func (s *Snapshot) Close() error {
	if s.lookup != nil {
		s.lookup.Close()
	}
	return s.tx.Rollback()
}

// AccountByKey returns the account with this institution key, kind, bank id
// and number, or nil when there is none.
func (s *Snapshot) AccountByKey(ctx context.Context, instKey string, kind bankfeed.AccountKind, bankID, number string) (*bankfeed.Account, error) {
	a, err := scanAccount(s.tx.QueryRowContext(ctx, s.d.rebind(`SELECT `+prefixed("a.", accountColumns)+`
		FROM accounts a JOIN institutions i ON i.id = a.institution_id
		WHERE i.key = ? AND a.kind = ? AND a.bank_id = ? AND a.number = ?`), instKey, kind, bankID, number))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return a, s.d.wrap("read account", err)
}

// Account returns the account with id.
func (s *Snapshot) Account(ctx context.Context, id bankfeed.AccountID) (*bankfeed.Account, error) {
	return accountByID(ctx, s.tx, s.d, id)
}

// HasLines reports whether the account has any line.
func (s *Snapshot) HasLines(ctx context.Context, accountID bankfeed.AccountID) (bool, error) {
	return hasLines(ctx, s.tx, s.d, accountID)
}

// LookupAliases calls fn for every line of the account that carries one of
// aliases, a few hundred ids a query.
func (s *Snapshot) LookupAliases(ctx context.Context, accountID bankfeed.AccountID, aliases []string, fn func(AliasMatch) error) error {
	if s.lookup == nil {
		st, err := s.tx.PrepareContext(ctx, s.d.rebind(lookupQuery))
		if err != nil {
			return s.d.wrap("prepare alias lookup", err)
		}
		s.lookup = st
	}
	return lookupAliases(ctx, s.d, s.lookup, accountID, aliases, fn)
}
