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
	c      *stmtCache
	d      *dialect
	lookup lookupStmts
}

// Snapshot opens a read transaction. Close it when done.
func (db *DB) Snapshot(ctx context.Context) (*Snapshot, error) {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, db.d.wrap("begin read", err)
	}
	return &Snapshot{tx: tx, c: db.rcache, d: db.d, lookup: lookupStmts{aliases: map[bankfeed.AccountID]bool{}}}, nil
}

// Close ends the read transaction.
func (s *Snapshot) Close() error {
	s.lookup.close()
	err := s.tx.Rollback()
	s.c.fill(context.Background())
	return err
}

// AccountByKey returns the account with this institution key, kind, bank id
// and number, or nil when there is none.
func (s *Snapshot) AccountByKey(ctx context.Context, instKey string, kind bankfeed.AccountKind, bankID, number string) (*bankfeed.Account, error) {
	return accountByKey(ctx, s.q(), s.d, instKey, kind, bankID, number)
}

// AccountByKey is Snapshot.AccountByKey in the transaction.
func (tx *Tx) AccountByKey(ctx context.Context, instKey string, kind bankfeed.AccountKind, bankID, number string) (*bankfeed.Account, error) {
	return accountByKey(ctx, tx.q(), tx.d, instKey, kind, bankID, number)
}

func accountByKey(ctx context.Context, q querier, d *dialect, instKey string, kind bankfeed.AccountKind, bankID, number string) (*bankfeed.Account, error) {
	a, err := scanAccount(q.QueryRowContext(ctx, d.rebind(`SELECT `+prefixed("a.", accountColumns)+`
		FROM accounts a JOIN institutions i ON i.id = a.institution_id
		WHERE i.key = ? AND a.kind = ? AND a.bank_id = ? AND a.number = ?`), instKey, kind, bankID, number))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return a, d.wrap("read account", err)
}

// Account returns the account with id.
func (s *Snapshot) Account(ctx context.Context, id bankfeed.AccountID) (*bankfeed.Account, error) {
	return accountByID(ctx, s.q(), s.d, id)
}

// HasLines reports whether the account has any line.
func (s *Snapshot) HasLines(ctx context.Context, accountID bankfeed.AccountID) (bool, error) {
	return hasLines(ctx, s.q(), s.d, accountID)
}

// LookupAliases calls fn for every line of the account whose FITID or
// alias is one of ids, a few hundred ids a query.
func (s *Snapshot) LookupAliases(ctx context.Context, accountID bankfeed.AccountID, ids []string, fn func(AliasMatch) error) error {
	return s.lookup.lookup(ctx, s.q(), s.d, accountID, ids, fn)
}

func (s *Snapshot) q() cachedTx { return cachedTx{tx: s.tx, c: s.c} }
