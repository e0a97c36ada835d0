package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/bankfeed/bankfeed"
)

// dialect holds everything that differs between the engines the store runs
// on. Queries are written once with ? placeholders, INSERT … RETURNING and
// ON CONFLICT, which SQLite and PostgreSQL both accept; what remains is here.
// Types differ only in the migrations, which live in migrations/<name>/.
type dialect struct {
	name string
	// rebind turns ? placeholders into the engine's own ($1, $2, … for
	// PostgreSQL). SQLite takes ? as written. A query may also use ?NNN,
	// a parameter numbered NNN wherever it stands (PostgreSQL's $NNN); a
	// plain ? after it takes the number after the highest so far.
	rebind func(q string) string
	// maxParams bounds the parameters of one statement.
	maxParams int
	// writerDSN and readerDSN open the single writer and the readers;
	// checkpointDSN, when set, the connection that checkpoints the WAL
	// beside the writer (checkpointer).
	writerDSN, readerDSN, checkpointDSN func(path string) string
	// readerConns is the size of the read pool.
	readerConns int
	// nextLineID returns the first of the line ids the writer hands out in
	// this transaction. The caller holds the write lock, so SQLite can count
	// up from max(id); PostgreSQL will draw from the lines sequence.
	nextLineID func(ctx context.Context, tx *sql.Tx) (bankfeed.LineID, error)
	// mapError turns a driver error into a *bankfeed.Error by its code.
	mapError func(err error) error
}

// sqliteDialect is SQLite through modernc.org/sqlite (pure Go, no cgo).
var sqliteDialect = &dialect{
	name:      "sqlite",
	rebind:    func(q string) string { return q },
	maxParams: 32766, // SQLITE_MAX_VARIABLE_NUMBER since 3.32
	writerDSN: func(path string) string {
		return sqliteDSN(path, "immediate", false)
	},
	readerDSN: func(path string) string {
		return sqliteDSN(path, "deferred", true)
	},
	checkpointDSN: func(path string) string {
		return sqliteDSN(path, "deferred", false)
	},
	readerConns: 4,
	nextLineID: func(ctx context.Context, tx *sql.Tx) (bankfeed.LineID, error) {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM lines`).Scan(&id)
		return bankfeed.LineID(id), err
	},
	mapError: sqliteError,
}

// sqliteDSN configures every connection: WAL so readers never wait for the
// writer; synchronous=NORMAL, which in WAL mode loses nothing when the process
// dies (only a power cut can take the last commits); a busy timeout for the
// rare second process; foreign keys; statement journals and sorts in memory.
// Writers begin IMMEDIATE so a write transaction takes the lock up front
// instead of failing half way with SQLITE_BUSY.
func sqliteDSN(path, txlock string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+busyTimeoutMS+")")
	// page_size takes effect only on a new file, and must come before WAL,
	// which the _journal_mode key switches on after every _pragma.
	q.Add("_pragma", "page_size("+pageSize+")")
	q.Set("_journal_mode", "WAL")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
		q.Add("_pragma", "cache_size(-16384)") // 16 MiB
	} else {
		// Enough cache that a large import rarely waits on the disk; a bigger
		// one (256 MiB) measured no faster and doubled the peak memory.
		q.Add("_pragma", "cache_size(-65536)") // 64 MiB, allocated as used
		// The WAL is checkpointed beside the writer (checkpointer), not by
		// the commit that finds it over 1,000 pages, which would hold up
		// every call waiting for the writer while it copies and syncs. The
		// writer still checkpoints a WAL that grew past 10,000 pages (40
		// MiB), and starts it again past 5,000 (walPagesCap) when the
		// checkpointer finds it that long.
		q.Add("_pragma", "wal_autocheckpoint(10000)")
	}
	q.Set("_txlock", txlock)
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// busyTimeoutMS is how long a connection waits for another's lock.
const busyTimeoutMS = "10000"

// pageSize is the page size of a new database file.
const pageSize = "4096"

// sqliteError maps SQLite result codes to domain error codes.
func sqliteError(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return &bankfeed.Error{Code: bankfeed.EConflict, Message: "already exists", Err: err}
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return &bankfeed.Error{Code: bankfeed.ENotFound, Message: "refers to a record that does not exist", Err: err}
	case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return &bankfeed.Error{Code: bankfeed.EInvalid, Message: "invalid record", Err: err}
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_BUSY_SNAPSHOT:
		return &bankfeed.Error{Code: bankfeed.EConflict, Message: "the database is busy with another writer", Err: err}
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return &bankfeed.Error{Code: bankfeed.EInternal, Message: "the database file is damaged", Err: err}
	case sqlite3.SQLITE_FULL:
		return &bankfeed.Error{Code: bankfeed.EInternal, Message: "the disk is full", Err: err}
	}
	return err
}

// placeholders returns "(?,?,…),(?,?,…)…": rows tuples of cols parameters,
// with literal inlined at the front of every tuple when not "".
func placeholders(rows, cols int, literal string) string {
	var b strings.Builder
	tuple := "(" + literal
	for i := range cols {
		if i > 0 || literal != "" {
			tuple += ","
		}
		tuple += "?"
	}
	tuple += ")"
	b.Grow(rows * (len(tuple) + 1))
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteString(tuple)
	}
	return b.String()
}

// inList returns "?,?,…" of n parameters.
func inList(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// wrap says what the store was doing and maps the driver error.
func (d *dialect) wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, d.mapError(err))
}
