package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/bankfeed/bankfeed"
)

// Cursor returns how far an account is synced; nil when it never was.
func (tx *Tx) Cursor(ctx context.Context, id bankfeed.AccountID) (*bankfeed.SyncCursor, error) {
	c, err := scanCursor(tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT `+cursorColumns+` FROM sync_cursors
		WHERE account_id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return c, tx.d.wrap("read cursor", err)
}

// SetCursor records how far an account is synced.
func (tx *Tx) SetCursor(ctx context.Context, c *bankfeed.SyncCursor) error {
	var run any
	if c.SyncRunID != 0 {
		run = c.SyncRunID
	}
	_, err := tx.q().ExecContext(ctx, tx.d.rebind(`INSERT INTO sync_cursors (account_id, statement_end, last_success_at, sync_run_id)
		VALUES (?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET
		statement_end = CASE WHEN excluded.statement_end > sync_cursors.statement_end
			THEN excluded.statement_end ELSE sync_cursors.statement_end END,
		last_success_at = excluded.last_success_at, sync_run_id = excluded.sync_run_id`),
		c.AccountID, formatTime(c.StatementEnd), formatTime(c.LastSuccess), run)
	return tx.d.wrap("set cursor", err)
}

// DeleteCursor forgets how far an account is synced: its next sync asks for
// the first sync's window again. Its lines stay, and dedupe keeps them
// single.
func (tx *Tx) DeleteCursor(ctx context.Context, id bankfeed.AccountID) error {
	_, err := tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM sync_cursors WHERE account_id = ?`), id)
	return tx.d.wrap("delete cursor", err)
}

const cursorColumns = `account_id, statement_end, last_success_at, coalesce(sync_run_id, 0)`

func scanCursor(row interface{ Scan(...any) error }) (*bankfeed.SyncCursor, error) {
	var c bankfeed.SyncCursor
	var end, last string
	if err := row.Scan(&c.AccountID, &end, &last, &c.SyncRunID); err != nil {
		return nil, err
	}
	var err error
	if c.StatementEnd, err = parseTime(end); err != nil {
		return nil, err
	}
	c.LastSuccess, err = parseTime(last)
	return &c, err
}

// Cursors returns every account's cursor, by account.
func (db *DB) Cursors(ctx context.Context) (map[bankfeed.AccountID]*bankfeed.SyncCursor, error) {
	out := map[bankfeed.AccountID]*bankfeed.SyncCursor{}
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+cursorColumns+` FROM sync_cursors`)
		if err != nil {
			return db.d.wrap("list cursors", err)
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCursor(rows)
			if err != nil {
				return db.d.wrap("list cursors", err)
			}
			out[c.AccountID] = c
		}
		return db.d.wrap("list cursors", rows.Err())
	})
	return out, err
}

// LineCounts returns how many lines each account holds.
func (db *DB) LineCounts(ctx context.Context) (map[bankfeed.AccountID]int64, error) {
	out := map[bankfeed.AccountID]int64{}
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, `SELECT account_id, count(*) FROM lines GROUP BY account_id`)
		if err != nil {
			return db.d.wrap("count lines", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id bankfeed.AccountID
			var n int64
			if err := rows.Scan(&id, &n); err != nil {
				return db.d.wrap("count lines", err)
			}
			out[id] = n
		}
		return db.d.wrap("count lines", rows.Err())
	})
	return out, err
}

const circuitColumns = `institution_id, state, failure_class, reason, failures, opened_at, next_probe_at, updated_at`

func scanCircuit(row interface{ Scan(...any) error }) (*bankfeed.Circuit, error) {
	var c bankfeed.Circuit
	var state, updated string
	var opened, next sql.NullString
	if err := row.Scan(&c.InstitutionID, &state, &c.Class, &c.Reason, &c.Failures, &opened, &next, &updated); err != nil {
		return nil, err
	}
	c.Open = state == "open"
	var err error
	if c.OpenedAt, err = scanTime(opened); err != nil {
		return nil, err
	}
	if c.NextProbeAt, err = scanTime(next); err != nil {
		return nil, err
	}
	c.UpdatedAt, err = parseTime(updated)
	return &c, err
}

// Circuit returns an institution's circuit; a closed one when it has none.
func (tx *Tx) Circuit(ctx context.Context, id bankfeed.InstitutionID) (*bankfeed.Circuit, error) {
	return circuit(ctx, tx.q(), tx.d, id)
}

func circuit(ctx context.Context, q querier, d *dialect, id bankfeed.InstitutionID) (*bankfeed.Circuit, error) {
	c, err := scanCircuit(q.QueryRowContext(ctx, d.rebind(`SELECT `+circuitColumns+` FROM institution_circuits
		WHERE institution_id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return &bankfeed.Circuit{InstitutionID: id}, nil
	}
	return c, d.wrap("read circuit", err)
}

// Gate is what a sync checks before each request to the bank: the
// institution's circuit and the connection's standing.
type Gate struct {
	Circuit *bankfeed.Circuit
	// Found is false when the connection is gone; State and Next (zero:
	// no automatic attempt) are its standing.
	Found bool
	State bankfeed.ConnectionState
	Next  time.Time
}

// Gate reads a connection's gate in the transaction.
func (tx *Tx) Gate(ctx context.Context, conn bankfeed.ConnectionID, inst bankfeed.InstitutionID) (*Gate, error) {
	return scanGate(tx.q().QueryRowContext(ctx, tx.d.rebind(gateQuery), conn, inst), tx.d, conn, inst)
}

// GateCursor reads a connection's gate and an account's cursor (nil when
// it never synced) in the transaction, in one statement.
func (tx *Tx) GateCursor(ctx context.Context, conn bankfeed.ConnectionID, inst bankfeed.InstitutionID,
	acct bankfeed.AccountID) (*Gate, *bankfeed.SyncCursor, error) {
	var end, last sql.NullString
	var run sql.NullInt64
	g, err := scanGate(scanWith{tx.q().QueryRowContext(ctx, tx.d.rebind(gateCursorQuery), conn, inst, acct),
		[]any{&end, &last, &run}}, tx.d, conn, inst)
	if err != nil || !end.Valid {
		return g, nil, err
	}
	cur := &bankfeed.SyncCursor{AccountID: acct, SyncRunID: bankfeed.SyncRunID(run.Int64)}
	if cur.StatementEnd, err = parseTime(end.String); err != nil {
		return nil, nil, fmt.Errorf("read cursor of account %d: %w", acct, err)
	}
	if cur.LastSuccess, err = parseTime(last.String); err != nil {
		return nil, nil, fmt.Errorf("read cursor of account %d: %w", acct, err)
	}
	return g, cur, nil
}

// gateCursorQuery is gateQuery with an account's cursor.
const gateCursorQuery = `SELECT c.state, c.next_attempt_at, ` + nullCircuitColumns + `,
	sc.statement_end, sc.last_success_at, sc.sync_run_id
	FROM (SELECT 1 AS one) one
	LEFT JOIN connections c ON c.id = ?
	LEFT JOIN institution_circuits ic ON ic.institution_id = ?
	LEFT JOIN sync_cursors sc ON sc.account_id = ?`

// Gate reads a connection's gate as committed, on a reader, in one
// statement: a consistent snapshot with no transaction to open.
func (db *DB) Gate(ctx context.Context, conn bankfeed.ConnectionID, inst bankfeed.InstitutionID) (*Gate, error) {
	var g *Gate
	err := db.readRow(ctx, db.d.rebind(gateQuery), []any{conn, inst}, func(row *sql.Row) (err error) {
		g, err = scanGate(row, db.d, conn, inst)
		return err
	})
	return g, err
}

// gateQuery reads a connection's standing and its institution's circuit in
// one row, each part NULL when it has none.
const gateQuery = `SELECT c.state, c.next_attempt_at, ` + nullCircuitColumns + `
	FROM (SELECT 1 AS one) one
	LEFT JOIN connections c ON c.id = ?
	LEFT JOIN institution_circuits ic ON ic.institution_id = ?`

func scanGate(row interface{ Scan(...any) error }, d *dialect, conn bankfeed.ConnectionID, inst bankfeed.InstitutionID) (*Gate, error) {
	var st, next sql.NullString
	var nc nullCircuit
	if err := row.Scan(append([]any{&st, &next}, nc.dest()...)...); err != nil {
		return nil, d.wrap("read gate", err)
	}
	cir, err := nc.circuit(inst)
	if err != nil {
		return nil, err
	}
	g := &Gate{Circuit: cir}
	if !st.Valid {
		return g, nil // the connection is gone
	}
	if g.Next, err = scanTime(next); err != nil {
		return nil, fmt.Errorf("read connection %d: next attempt: %w", conn, err)
	}
	g.Found, g.State = true, bankfeed.ConnectionState(st.String)
	return g, nil
}

// nullCircuit is a circuit read through an outer join: every column NULL
// when the institution has none.
type nullCircuit struct {
	state, class, reason, opened, probe, updated sql.NullString
	failures                                     sql.NullInt64
}

// nullCircuitColumns are the columns nullCircuit scans, of the joined
// institution_circuits ic.
const nullCircuitColumns = `ic.state, ic.failure_class, ic.reason, ic.failures, ic.opened_at, ic.next_probe_at, ic.updated_at`

func (n *nullCircuit) dest() []any {
	return []any{&n.state, &n.class, &n.reason, &n.failures, &n.opened, &n.probe, &n.updated}
}

// circuit is the institution's circuit; a closed one when it has none.
func (n *nullCircuit) circuit(inst bankfeed.InstitutionID) (*bankfeed.Circuit, error) {
	cir := &bankfeed.Circuit{InstitutionID: inst}
	if !n.state.Valid {
		return cir, nil
	}
	cir.Open = n.state.String == "open"
	cir.Class = bankfeed.FailureClass(n.class.String)
	cir.Reason = n.reason.String
	cir.Failures = int(n.failures.Int64)
	var err error
	if cir.OpenedAt, err = scanTime(n.opened); err != nil {
		return nil, fmt.Errorf("read circuit %d: opened at: %w", inst, err)
	}
	if cir.NextProbeAt, err = scanTime(n.probe); err != nil {
		return nil, fmt.Errorf("read circuit %d: next probe: %w", inst, err)
	}
	if cir.UpdatedAt, err = scanTime(n.updated); err != nil {
		return nil, fmt.Errorf("read circuit %d: updated at: %w", inst, err)
	}
	return cir, nil
}

// SetCircuit records an institution's circuit; UpdatedAt is set.
func (tx *Tx) SetCircuit(ctx context.Context, c *bankfeed.Circuit) error {
	c.UpdatedAt = tx.Now()
	state := "closed"
	if c.Open {
		state = "open"
	}
	_, err := tx.q().ExecContext(ctx, tx.d.rebind(`INSERT INTO institution_circuits
		(institution_id, state, failure_class, reason, failures, opened_at, next_probe_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (institution_id) DO UPDATE SET state = excluded.state,
		failure_class = excluded.failure_class, reason = excluded.reason, failures = excluded.failures,
		opened_at = excluded.opened_at, next_probe_at = excluded.next_probe_at, updated_at = excluded.updated_at`),
		c.InstitutionID, state, c.Class, c.Reason, c.Failures, nullTime(c.OpenedAt), nullTime(c.NextProbeAt),
		formatTime(c.UpdatedAt))
	return tx.d.wrap("set circuit", err)
}

// Circuits returns every institution's circuit that was ever set, by
// institution.
func (db *DB) Circuits(ctx context.Context) (map[bankfeed.InstitutionID]*bankfeed.Circuit, error) {
	out := map[bankfeed.InstitutionID]*bankfeed.Circuit{}
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+circuitColumns+` FROM institution_circuits`)
		if err != nil {
			return db.d.wrap("list circuits", err)
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCircuit(rows)
			if err != nil {
				return db.d.wrap("list circuits", err)
			}
			out[c.InstitutionID] = c
		}
		return db.d.wrap("list circuits", rows.Err())
	})
	return out, err
}

// Lease is a named right held by one worker until it lets go or the lease
// expires.
type Lease struct {
	Name      string
	Holder    string
	ExpiresAt time.Time
}

// AcquireLease takes the lease name for holder until now+ttl, when nobody
// holds it, its holder's lease expired, or holder has it already (which
// renews it). It reports whether holder has it now, and who has it when
// not.
func (tx *Tx) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (ok bool, current *Lease, err error) {
	now := tx.Now()
	res, err := tx.q().ExecContext(ctx, tx.d.rebind(`INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.expires_at <= ? OR leases.holder = excluded.holder`),
		name, holder, formatTime(now.Add(ttl)), formatTime(now))
	if err != nil {
		return false, nil, tx.d.wrap("acquire lease", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return true, nil, nil
	}
	var l Lease
	var exp string
	err = tx.q().QueryRowContext(ctx, tx.d.rebind(`SELECT name, holder, expires_at FROM leases WHERE name = ?`), name).
		Scan(&l.Name, &l.Holder, &exp)
	if err != nil {
		return false, nil, tx.d.wrap("acquire lease", err)
	}
	l.ExpiresAt, err = parseTime(exp)
	return false, &l, err
}

// ReleaseLease lets go of the lease name if holder has it.
func (tx *Tx) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM leases WHERE name = ? AND holder = ?`), name, holder)
	return tx.d.wrap("release lease", err)
}

// ReleaseLeasesOf lets go of every lease holder has: a worker's leases when
// it stops, or a dead worker's.
func (tx *Tx) ReleaseLeasesOf(ctx context.Context, holder string) error {
	_, err := tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM leases WHERE holder = ?`), holder)
	return tx.d.wrap("release leases", err)
}

// Leases lists the leases held, expired or not.
func (db *DB) Leases(ctx context.Context) ([]Lease, error) {
	var out []Lease
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, `SELECT name, holder, expires_at FROM leases ORDER BY name`)
		if err != nil {
			return db.d.wrap("list leases", err)
		}
		defer rows.Close()
		for rows.Next() {
			var l Lease
			var exp string
			if err := rows.Scan(&l.Name, &l.Holder, &exp); err != nil {
				return db.d.wrap("list leases", err)
			}
			if l.ExpiresAt, err = parseTime(exp); err != nil {
				return db.d.wrap("list leases", err)
			}
			out = append(out, l)
		}
		return db.d.wrap("list leases", rows.Err())
	})
	return out, err
}

// SyncStart is what a connection's sync reads before it starts.
type SyncStart struct {
	Connection *bankfeed.Connection
	// Sealed is the connection's sealed password.
	Sealed []byte
	// Circuit is the connection's institution's circuit (closed and zero
	// when it has none).
	Circuit *bankfeed.Circuit
	// Attempts are the latest runs of each of the connection's accounts,
	// oldest first, when asked for (SyncStartRuns).
	Attempts map[bankfeed.AccountID][]Attempt
}

// SyncStart reads the connection with id, with its accounts, its sealed
// password and its institution's circuit, in one read transaction.
func (db *DB) SyncStart(ctx context.Context, id bankfeed.ConnectionID) (*SyncStart, error) {
	return db.syncStart(ctx, id, 0)
}

// SyncStartRuns is SyncStart with the latest runs of each of the
// connection's accounts (at most limit each) read in the same transaction.
//
// The calls that come while others are read wait, and are read together,
// in the order they came: many syncs that start at once (a schedule that
// fires, "sync everything") share a few read transactions rather than
// queue for the readers one by one, in no order.
func (db *DB) SyncStartRuns(ctx context.Context, id bankfeed.ConnectionID, limit int) (*SyncStart, error) {
	return db.starts.read(ctx, db, id, limit)
}

func (db *DB) syncStart(ctx context.Context, id bankfeed.ConnectionID, limit int) (*SyncStart, error) {
	var st *SyncStart
	err := db.view(ctx, func(tx cachedTx) (err error) {
		st, err = db.readSyncStart(ctx, tx, id, limit)
		return err
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// readSyncStart reads what SyncStartRuns returns (SyncStart's when limit
// is 0) in tx.
func (db *DB) readSyncStart(ctx context.Context, tx cachedTx, id bankfeed.ConnectionID, limit int) (*SyncStart, error) {
	var st SyncStart
	// The connection, its password and its institution's circuit in one
	// statement, then its accounts.
	var nc nullCircuit
	c, err := scanConnection(scanWith{tx.QueryRowContext(ctx, db.d.rebind(syncStartQuery), id),
		append([]any{&st.Sealed}, nc.dest()...)})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bankfeed.Errorf(bankfeed.ENotFound, "no connection %d", id)
	}
	if err != nil {
		return nil, db.d.wrap("read connection", err)
	}
	if st.Circuit, err = nc.circuit(c.InstitutionID); err != nil {
		return nil, err
	}
	if c.Accounts, err = connectionAccounts(ctx, tx, db.d, id); err != nil {
		return nil, err
	}
	st.Connection = c
	if limit <= 0 {
		return &st, nil
	}
	st.Attempts = make(map[bankfeed.AccountID][]Attempt, len(st.Connection.Accounts))
	for _, a := range st.Connection.Accounts {
		if st.Attempts[a.AccountID], err = attempts(ctx, tx, db.d, a.AccountID, limit); err != nil {
			return nil, err
		}
	}
	return &st, nil
}

// syncStartQuery reads a connection (scanConnection's columns), its sealed
// password and its institution's circuit (nullCircuit's).
var syncStartQuery = `SELECT ` + qualify("c.", connectionColumns) + `, c.password_sealed, ` + nullCircuitColumns + `
	FROM connections c LEFT JOIN institution_circuits ic ON ic.institution_id = c.institution_id WHERE c.id = ?`

// scanWith scans a row into the destinations its caller gives, then into
// extra: more columns after those a scan function knows.
type scanWith struct {
	row   *sql.Row
	extra []any
}

func (s scanWith) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }

// Attempt is a sync run as the retry policy sees it.
type Attempt struct {
	StartedAt    time.Time
	FailureClass string // "" when the run went through
	RetryAt      time.Time
}

// Attempts returns, for each account of ids, its latest runs (at most limit),
// oldest first, in one read transaction.
func (db *DB) Attempts(ctx context.Context, ids []bankfeed.AccountID, limit int) (map[bankfeed.AccountID][]Attempt, error) {
	out := make(map[bankfeed.AccountID][]Attempt, len(ids))
	err := db.view(ctx, func(tx cachedTx) error {
		for _, id := range ids {
			h, err := attempts(ctx, tx, db.d, id, limit)
			if err != nil {
				return err
			}
			out[id] = h
		}
		return nil
	})
	return out, err
}

func attempts(ctx context.Context, q querier, d *dialect, id bankfeed.AccountID, limit int) ([]Attempt, error) {
	rows, err := q.QueryContext(ctx, d.rebind(`SELECT started_at, failure_class, retry_at FROM sync_runs
		WHERE account_id = ? ORDER BY started_at DESC, id DESC LIMIT ?`), id, limit)
	if err != nil {
		return nil, d.wrap("list sync runs", err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		var started string
		var retry sql.NullString
		if err := rows.Scan(&started, &a.FailureClass, &retry); err != nil {
			return nil, d.wrap("list sync runs", err)
		}
		if a.StartedAt, err = parseTime(started); err != nil {
			return nil, fmt.Errorf("list sync runs of account %d: started at: %w", id, err)
		}
		if a.RetryAt, err = scanTime(retry); err != nil {
			return nil, fmt.Errorf("list sync runs of account %d: retry at: %w", id, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, d.wrap("list sync runs", err)
	}
	slices.Reverse(out)
	return out, nil
}

// UnreviewedCounts returns how many lines of each account wait for review.
func (db *DB) UnreviewedCounts(ctx context.Context) (map[bankfeed.AccountID]int64, error) {
	out := map[bankfeed.AccountID]int64{}
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, `SELECT account_id, count(*) FROM line_reviews WHERE state = 'review' GROUP BY account_id`)
		if err != nil {
			return db.d.wrap("count lines for review", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id bankfeed.AccountID
			var n int64
			if err := rows.Scan(&id, &n); err != nil {
				return db.d.wrap("count lines for review", err)
			}
			out[id] = n
		}
		return db.d.wrap("count lines for review", rows.Err())
	})
	return out, err
}

// CountUnreviewed returns how many lines wait for review in all.
func (db *DB) CountUnreviewed(ctx context.Context) (int64, error) {
	var n int64
	err := db.view(ctx, func(tx cachedTx) error {
		return db.d.wrap("count lines for review", tx.QueryRowContext(ctx, `SELECT count(*) FROM line_reviews WHERE state = 'review'`).Scan(&n))
	})
	return n, err
}

// RunCount is how many sync runs ended one way.
type RunCount struct {
	Outcome, Class string
	N              int64
}

// SyncRunCounts counts the sync runs kept, by outcome and failure class.
func (db *DB) SyncRunCounts(ctx context.Context) ([]RunCount, error) {
	var out []RunCount
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, `SELECT outcome, COALESCE(failure_class, ''), count(*) FROM sync_runs GROUP BY 1, 2`)
		if err != nil {
			return db.d.wrap("count sync runs", err)
		}
		defer rows.Close()
		for rows.Next() {
			var c RunCount
			if err := rows.Scan(&c.Outcome, &c.Class, &c.N); err != nil {
				return db.d.wrap("count sync runs", err)
			}
			out = append(out, c)
		}
		return db.d.wrap("count sync runs", rows.Err())
	})
	return out, err
}

// JobCounts counts the job queue's jobs by state (available, running,
// retryable, scheduled, ...); empty when the queue's tables are not there.
func (db *DB) JobCounts(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	err := db.view(ctx, func(tx cachedTx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'river_job'`).Scan(&n); err != nil || n == 0 {
			return db.d.wrap("count jobs", err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT state, count(*) FROM river_job GROUP BY state`)
		if err != nil {
			return db.d.wrap("count jobs", err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			var c int64
			if err := rows.Scan(&s, &c); err != nil {
				return db.d.wrap("count jobs", err)
			}
			out[s] = c
		}
		return db.d.wrap("count jobs", rows.Err())
	})
	return out, err
}
