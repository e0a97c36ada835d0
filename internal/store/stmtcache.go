package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxCached bounds the statements a cache keeps: the store's fixed queries
// are far fewer.
const maxCached = 256

// stmtCache keeps the store's frequent queries prepared on one pool, so a
// transaction runs them without SQLite parsing them again. Only queries of
// fixed text go through it (never one with literals or a variable IN list).
//
// A query is prepared after its first use, once the transaction that used
// it has ended: preparing on the pool while that transaction holds the
// single writer connection would wait for it forever.
type stmtCache struct {
	db     *sql.DB
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	missed map[string]struct{}
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, missed: map[string]struct{}{}}
}

// get returns q's statement bound to tx, or nil when q is not prepared yet.
func (c *stmtCache) get(ctx context.Context, tx *sql.Tx, q string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	s := c.m[q]
	if s == nil && len(c.m)+len(c.missed) < maxCached {
		c.missed[q] = struct{}{}
	}
	c.mu.Unlock()
	if s == nil {
		return nil
	}
	return tx.StmtContext(ctx, s)
}

// prepared returns q's statement on the pool, or nil when q is not
// prepared yet.
func (c *stmtCache) prepared(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.m[q]
	if s == nil && len(c.m)+len(c.missed) < maxCached {
		c.missed[q] = struct{}{}
	}
	return s
}

// fill prepares the queries used since the last fill. The caller holds no
// connection of the pool. A query that fails to prepare is left alone: it
// runs unprepared, and fails there with its own error.
func (c *stmtCache) fill(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if len(c.missed) == 0 {
		c.mu.Unlock()
		return
	}
	qs := make([]string, 0, len(c.missed))
	for q := range c.missed {
		qs = append(qs, q)
	}
	clear(c.missed)
	c.mu.Unlock()
	for _, q := range qs {
		s, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if c.m[q] == nil {
			c.m[q] = s
			s = nil
		}
		c.mu.Unlock()
		if s != nil {
			s.Close()
		}
	}
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.m {
		s.Close()
		delete(c.m, q)
	}
}

// cachedTx runs a transaction's fixed queries through a cache.
type cachedTx struct {
	tx *sql.Tx
	c  *stmtCache
}

func (q cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := q.c.get(ctx, q.tx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := q.c.get(ctx, q.tx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := q.c.get(ctx, q.tx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}

// PrepareContext returns the cached statement, bound to the transaction,
// or prepares q in it. Either way it is closed with the transaction.
func (q cachedTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if s := q.c.get(ctx, q.tx, query); s != nil {
		return s, nil
	}
	return q.tx.PrepareContext(ctx, query)
}

// readRow runs one fixed query on a reader, outside a transaction (one
// statement reads a consistent snapshot by itself), and hands its row to
// scan. The query is prepared once.
func (db *DB) readRow(ctx context.Context, q string, args []any, scan func(*sql.Row) error) error {
	if s := db.rcache.prepared(q); s != nil {
		return scan(s.QueryRowContext(ctx, args...))
	}
	err := scan(db.read.QueryRowContext(ctx, q, args...))
	db.rcache.fill(ctx)
	return err
}

// q is the transaction's querier for fixed queries.
func (tx *Tx) q() cachedTx { return cachedTx{tx: tx.tx, c: tx.c} }
