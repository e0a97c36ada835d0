// Package store keeps bankfeed's durable state: institutions, accounts, feed
// lines and their bank ids, imports and sync runs. It is plain database/sql
// over SQLite (modernc.org/sqlite) with embedded migrations; the few engine
// differences live in dialect.go so PostgreSQL can follow.
//
// One connection writes and a pool reads. In WAL mode readers never wait for
// the writer, and writers queue on the single connection instead of failing
// with "database is locked". Public methods of DB open their own transaction;
// Update hands a Tx to code that must do several things atomically (an
// import).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bankfeed/bankfeed"
)

// FileName is the database file in the data directory.
const FileName = "bankfeed.db"

// Options configure Open.
type Options struct {
	// Now is the clock; time.Now when nil. Times are stored in UTC.
	Now func() time.Time
}

// DB is an open store.
type DB struct {
	path  string
	d     *dialect
	write *sql.DB // one connection: the single writer
	read  *sql.DB // readers
	now   func() time.Time
	// wcache and rcache keep the frequent queries prepared on the writer
	// and on the readers.
	wcache, rcache *stmtCache
	batch          batcher
	ckpt           checkpointer
	starts         startReads // the queued calls of SyncStartRuns
}

// Open opens (creating if needed) the store in dataDir, which is created with
// mode 0700, and brings its schema up to date.
func Open(ctx context.Context, dataDir string, opts Options) (*DB, error) {
	if dataDir == "" {
		return nil, bankfeed.Errorf(bankfeed.EInvalid, "open store: no data directory")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return OpenFile(ctx, filepath.Join(dataDir, FileName), opts)
}

// OpenFile opens the SQLite database at path.
func OpenFile(ctx context.Context, path string, opts Options) (*DB, error) {
	db := &DB{path: path, d: sqliteDialect, now: opts.Now}
	if db.now == nil {
		db.now = time.Now
	}
	var err error
	if db.write, err = sql.Open(db.d.name, db.d.writerDSN(path)); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetMaxIdleConns(1)
	db.write.SetConnMaxLifetime(0)
	db.write.SetConnMaxIdleTime(0)
	// The writer opens first: it creates the file and switches it to WAL, so
	// readers never find a database they may not touch.
	if err := db.migrate(ctx); err != nil {
		db.write.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if db.read, err = sql.Open(db.d.name, db.d.readerDSN(path)); err != nil {
		db.write.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.read.SetMaxOpenConns(db.d.readerConns)
	db.read.SetMaxIdleConns(db.d.readerConns)
	db.wcache, db.rcache = newStmtCache(db.write), newStmtCache(db.read)
	if db.d.checkpointDSN != nil {
		if err := db.ckpt.start(db.d.name, db.d.checkpointDSN(path)); err != nil {
			db.read.Close()
			db.write.Close()
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
	}
	return db, nil
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Close closes the store. The last connection to close checkpoints the WAL
// into the database file.
func (db *DB) Close() error {
	db.closeBatches()
	db.ckpt.stop()
	db.wcache.close()
	db.rcache.close()
	var errs []error
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	errs = append(errs, db.write.Close())
	return errors.Join(errs...)
}

// Now is the store's clock, in UTC.
func (db *DB) Now() time.Time { return db.now().UTC() }

// Tx is a write transaction opened by Update. Its methods take ctx first and
// run inside the transaction.
type Tx struct {
	tx  *sql.Tx
	c   *stmtCache
	d   *dialect
	now func() time.Time
	// nextLineID is the next id the writer hands to a new line; 0 until the
	// first line is written.
	nextLineID bankfeed.LineID
}

// Update runs fn in one write transaction and commits when fn returns nil;
// any error, or a panic, rolls everything back.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return db.d.wrap("begin write", err)
	}
	defer db.wcache.fill(ctx)
	defer sqlTx.Rollback()
	tx := &Tx{tx: sqlTx, c: db.wcache, d: db.d, now: db.now}
	if err := fn(tx); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return db.d.wrap("commit", err)
	}
	db.ckpt.kick()
	db.ckpt.restartIfOverdue(context.WithoutCancel(ctx), db.write)
	return nil
}

// view runs fn in one read transaction, a consistent snapshot.
// Its fixed queries are prepared once per connection.
func (db *DB) view(ctx context.Context, fn func(tx cachedTx) error) error {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return db.d.wrap("begin read", err)
	}
	defer db.rcache.fill(ctx)
	defer tx.Rollback()
	if err := fn(cachedTx{tx: tx, c: db.rcache}); err != nil {
		return err
	}
	return tx.Commit()
}

// Now is the transaction's clock, in UTC.
func (tx *Tx) Now() time.Time { return tx.now().UTC() }

// timeLayout is how times are stored: UTC, fixed width so text order is time
// order, microseconds as PostgreSQL keeps them.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) { return time.Parse(timeLayout, s) }

// nullTime formats t, or NULL for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

// nullString is s, or NULL for "".
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// scanTime reads a nullable time column.
func scanTime(ns sql.NullString) (time.Time, error) {
	if !ns.Valid || ns.String == "" {
		return time.Time{}, nil
	}
	return parseTime(ns.String)
}

// IntegrityCheck runs the engine's consistency check and returns nil when the
// database is sound.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	rows, err := db.read.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return db.d.wrap("integrity check", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return db.d.wrap("integrity check", err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return db.d.wrap("integrity check", err)
	}
	if len(problems) > 0 {
		return bankfeed.Errorf(bankfeed.EInternal, "integrity check: %v", problems)
	}
	return nil
}

// Tables lists the store's tables, for tests and diagnostics.
var Tables = []string{"institutions", "accounts", "sync_runs", "imports", "import_statements", "lines", "line_aliases",
	"connections", "connection_accounts", "sync_cursors", "institution_circuits", "leases",
	"diagnoses", "notifications", "deadlines",
	"ledger_accounts", "entries", "splits", "split_lines", "line_reviews", "rules", "payee_aliases",
	"reconciliations", "reconciliation_ticks", "audit_log",
	"users", "sessions", "api_tokens", "settings"}

// TableCounts returns the number of rows of every table in Tables.
func (db *DB) TableCounts(ctx context.Context) (map[string]int64, error) {
	counts := make(map[string]int64, len(Tables))
	err := db.view(ctx, func(tx cachedTx) error {
		for _, t := range Tables {
			var n int64
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil {
				return db.d.wrap("count "+t, err)
			}
			counts[t] = n
		}
		return nil
	})
	return counts, err
}

// Writer is the single connection that writes, for a job queue that must
// share the store's file and its one writer (River on SQLite).
func (db *DB) Writer() *sql.DB { return db.write }
