package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
)

// lineBatch is the rows of one multi-row INSERT. SQLite's cost is per bound
// value and per statement, so a few hundred rows a statement, prepared once,
// is the fast way to write a million.
const lineBatch = 500

// aliasLookupBatch is the ids of one lookup query.
const aliasLookupBatch = 500

// Line columns written per row. Columns that are the same for every row of a
// writer (account, import, sync run, creation time) are inlined as literals
// into the prepared statement: they are integers and a time the store
// formats itself, never user text.
const (
	leanColumns = `id, fitid, posted_on, posted_at, amount, amount_minor, currency, type, name, memo`
	fullColumns = leanColumns + `, user_on, check_num, ref_num, security_id, units, unit_price, collision`
	leanCount   = 10
	fullCount   = 17
)

// LineWriter writes the new lines of one account for one import or sync run,
// and their aliases, in batches. Lines are written in the order added; ids
// are handed out in that order. Call Flush before using what was written,
// and Close when done.
type LineWriter struct {
	tx         *Tx
	accountID  bankfeed.AccountID
	prefix     string // "account_id, import_id, sync_run_id, created_at" as literals
	aliasLit   string
	createdAt  time.Time
	lean, full []bankfeed.Line // pending rows of each shape
	// aliases are the pending (alias, line_id) pairs, in line order. A pair
	// is written once its line is: the lines of the two shapes are written
	// in separate batches.
	aliases []any
	stmts   map[string]*sql.Stmt
	args    []any
	// importID, syncRunID and createdLit are the constants of prefix as
	// parameters: an int64 or nil, and the creation time as stored.
	importID, syncRunID any
	createdLit          string
}

// NewLineWriter returns a writer of lines for accountID, from an import or
// a sync run (one of the two, or neither).
func (tx *Tx) NewLineWriter(ctx context.Context, accountID bankfeed.AccountID, importID *bankfeed.ImportID, syncRunID *bankfeed.SyncRunID) (*LineWriter, error) {
	if tx.nextLineID == 0 {
		id, err := tx.d.nextLineID(ctx, tx.tx)
		if err != nil {
			return nil, tx.d.wrap("allocate line ids", err)
		}
		tx.nextLineID = id
	}
	lit := func(id *int64) string {
		if id == nil {
			return "NULL"
		}
		return itoa(*id)
	}
	var imp, run *int64
	if importID != nil {
		v := int64(*importID)
		imp = &v
	}
	if syncRunID != nil {
		v := int64(*syncRunID)
		run = &v
	}
	created := tx.Now()
	createdLit := formatTime(created)
	param := func(id *int64) any {
		if id == nil {
			return nil
		}
		return *id
	}
	return &LineWriter{
		importID:   param(imp),
		syncRunID:  param(run),
		tx:         tx,
		accountID:  accountID,
		prefix:     itoa(int64(accountID)) + "," + lit(imp) + "," + lit(run) + ",'" + createdLit + "'",
		createdLit: createdLit,
		aliasLit:   itoa(int64(accountID)),
		createdAt:  created,
		stmts:      map[string]*sql.Stmt{},
	}, nil
}

// Add queues l, giving it its id, account and creation time, and writes a
// batch when one is full. l is copied: the caller may reuse it.
func (w *LineWriter) Add(ctx context.Context, l *bankfeed.Line) error {
	l.ID = w.tx.nextLineID
	w.tx.nextLineID++
	l.AccountID = w.accountID
	l.CreatedAt = w.createdAt
	// The FITID is the line's own column; other ids go to line_aliases.
	for _, a := range l.Aliases {
		if a != l.FITID && a != "" {
			w.aliases = append(w.aliases, a, int64(l.ID))
		}
	}
	if l.UserOn == "" && l.CheckNum == "" && l.RefNum == "" && l.SecurityID == "" &&
		l.Units == "" && l.UnitPrice == "" && !l.Collision {
		w.lean = append(w.lean, *l)
		if len(w.lean) == lineBatch {
			if err := w.writeLines(ctx, false); err != nil {
				return err
			}
		}
	} else {
		w.full = append(w.full, *l)
		if len(w.full) == lineBatch {
			if err := w.writeLines(ctx, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// Grow makes room for n lines queued at once (at most a batch), so that a
// writer told how many lines come does not grow its queue as they come.
func (w *LineWriter) Grow(n int) {
	if n = min(n, lineBatch); cap(w.lean) < n {
		w.lean = slices.Grow(w.lean, n-len(w.lean))
	}
}

// Flush writes every queued line and alias.
func (w *LineWriter) Flush(ctx context.Context) error {
	if err := w.writeLines(ctx, false); err != nil {
		return err
	}
	if err := w.writeLines(ctx, true); err != nil {
		return err
	}
	for len(w.aliases) > 0 {
		if err := w.writeAliases(ctx, min(len(w.aliases)/2, lineBatch)); err != nil {
			return err
		}
	}
	return nil
}

// Close releases the prepared statements. It does not flush.
func (w *LineWriter) Close() error {
	for k, s := range w.stmts {
		s.Close()
		delete(w.stmts, k)
	}
	return nil
}

// stmt returns the prepared statement for q, preparing it once.
func (w *LineWriter) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if s, ok := w.stmts[q]; ok {
		return s, nil
	}
	s, err := w.tx.tx.PrepareContext(ctx, w.tx.d.rebind(q))
	if err != nil {
		return nil, w.tx.d.wrap("prepare line insert", err)
	}
	w.stmts[q] = s
	return s, nil
}

// tailSizes are the row counts of the statements that write a batch
// smaller than lineBatch (a statement's tail, a sync's few dozen lines): a
// few fixed shapes, prepared once for the store, rather than a statement
// of its own for every count, parsed afresh each time. They bind the
// writer's constants as parameters, so their text is the same for every
// writer.
var tailSizes = [...]int{64, 16, 4, 1}

func (w *LineWriter) writeLines(ctx context.Context, full bool) error {
	rows := w.lean
	cols, n := leanColumns, leanCount
	if full {
		rows, cols, n = w.full, fullColumns, fullCount
	}
	var err error
	if len(rows) == lineBatch {
		q := `INSERT INTO lines (account_id, import_id, sync_run_id, created_at, ` + cols + `) VALUES ` +
			placeholders(len(rows), n, w.prefix)
		var s *sql.Stmt
		if s, err = w.stmt(ctx, q); err == nil {
			_, err = s.ExecContext(ctx, w.lineArgs(w.args[:0], rows, full)...)
		}
	} else {
		for done := 0; done < len(rows) && err == nil; {
			size := tailSizes[0]
			for _, t := range tailSizes {
				if t <= len(rows)-done {
					size = t
					break
				}
			}
			chunk := rows[done : done+size]
			done += size
			// The writer's constants are bound once, as ?1 to ?4, which
			// every row repeats.
			args := append(w.args[:0], int64(w.accountID), w.importID, w.syncRunID, w.createdLit)
			q := `INSERT INTO lines (account_id, import_id, sync_run_id, created_at, ` + cols + `) VALUES ` +
				placeholders(size, n, "?1,?2,?3,?4")
			_, err = w.tx.q().ExecContext(ctx, w.tx.d.rebind(q), w.lineArgs(args, chunk, full)...)
		}
	}
	if err == nil && len(rows) > 0 {
		// The account's line count moves with its lines, in the same
		// transaction: one statement a batch.
		_, err = w.tx.q().ExecContext(ctx, w.tx.d.rebind(`UPDATE accounts SET line_count = line_count + ? WHERE id = ?`),
			len(rows), int64(w.accountID))
	}
	clear(w.args[:cap(w.args)])
	if full {
		clear(w.full)
		w.full = w.full[:0]
	} else {
		clear(w.lean)
		w.lean = w.lean[:0]
	}
	if err != nil {
		return w.tx.d.wrap("write lines", err)
	}
	return w.writeReadyAliases(ctx)
}

// lineArgs appends the parameters of rows to args.
func (w *LineWriter) lineArgs(args []any, rows []bankfeed.Line, full bool) []any {
	for i := range rows {
		l := &rows[i]
		var minor any
		if m, ok := l.Amount.MinorUnits(bankfeed.CurrencyPlaces(l.Currency)); ok {
			minor = m
		}
		args = append(args, int64(l.ID), l.FITID, l.PostedOn, nullTime(l.PostedAt), l.Amount.String(), minor,
			l.Currency, l.Type, l.Name, l.Memo)
		if full {
			coll := int64(0)
			if l.Collision {
				coll = 1
			}
			args = append(args, nullString(l.UserOn), nullString(l.CheckNum), nullString(l.RefNum),
				nullString(l.SecurityID), nullString(l.Units), nullString(l.UnitPrice), coll)
		}
	}
	w.args = args
	return args
}

// writeReadyAliases writes full batches of the aliases whose lines are
// written.
func (w *LineWriter) writeReadyAliases(ctx context.Context) error {
	lowest := int64(w.tx.nextLineID)
	if len(w.lean) > 0 {
		lowest = min(lowest, int64(w.lean[0].ID))
	}
	if len(w.full) > 0 {
		lowest = min(lowest, int64(w.full[0].ID))
	}
	for len(w.aliases) >= 2*lineBatch && w.aliases[2*lineBatch-1].(int64) < lowest {
		if err := w.writeAliases(ctx, lineBatch); err != nil {
			return err
		}
	}
	return nil
}

// writeAliases writes the first n queued (alias, line) pairs.
func (w *LineWriter) writeAliases(ctx context.Context, n int) error {
	q := `INSERT INTO line_aliases (account_id, alias, line_id) VALUES ` + placeholders(n, 2, w.aliasLit)
	var err error
	if n == lineBatch {
		var s *sql.Stmt
		if s, err = w.stmt(ctx, q); err == nil {
			_, err = s.ExecContext(ctx, w.aliases[:2*n]...)
		}
	} else {
		_, err = w.tx.tx.ExecContext(ctx, w.tx.d.rebind(q), w.aliases[:2*n]...)
	}
	rest := copy(w.aliases, w.aliases[2*n:])
	clear(w.aliases[rest:])
	w.aliases = w.aliases[:rest]
	return w.tx.d.wrap("write line aliases", err)
}

// AliasMatch is a stored line that carries an id looked up: its FITID or
// one of its aliases. (Line gives the rest of it.)
type AliasMatch struct {
	Alias  string
	LineID bankfeed.LineID
	Amount bankfeed.Decimal
}

// HasLines reports whether the account has any line.
func (tx *Tx) HasLines(ctx context.Context, accountID bankfeed.AccountID) (bool, error) {
	return hasLines(ctx, tx.q(), tx.d, accountID)
}

func hasLines(ctx context.Context, q querier, d *dialect, accountID bankfeed.AccountID) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, d.rebind(`SELECT count(*) FROM (SELECT 1 FROM lines WHERE account_id = ? LIMIT 1) x`), accountID).Scan(&n)
	return n > 0, d.wrap("look for lines", err)
}

func hasAliases(ctx context.Context, q querier, d *dialect, accountID bankfeed.AccountID) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, d.rebind(`SELECT count(*) FROM (SELECT 1 FROM line_aliases WHERE account_id = ? LIMIT 1) x`), accountID).Scan(&n)
	return n > 0, d.wrap("look for aliases", err)
}

// lookupSizes are the sizes of the id lists one lookup query takes: the
// smallest that holds what is left is used, so a daily statement of a dozen
// lines binds 16 ids, not 500. Each size is a query of fixed text, prepared
// once per connection.
var lookupSizes = [...]int{4, 16, 64, aliasLookupBatch}

// Lookups by id, one query of each size: the FITIDs of lines, then the
// other ids in line_aliases.
var fitidLookups, aliasLookups = func() (f, a [len(lookupSizes)]string) {
	for i, n := range lookupSizes {
		f[i] = `SELECT fitid, id, amount FROM lines WHERE account_id = ? AND fitid IN (` + inList(n) + `)`
		a[i] = `SELECT a.alias, l.id, l.amount FROM line_aliases a JOIN lines l ON l.id = a.line_id
		WHERE a.account_id = ? AND a.alias IN (` + inList(n) + `)`
	}
	return f, a
}()

// lookupStmts are the prepared lookups of one transaction.
type lookupStmts struct {
	fitid, alias [len(lookupSizes)]*sql.Stmt
	args         []any
	// aliases caches whether an account has aliases, when the view is
	// fixed (a snapshot).
	aliases map[bankfeed.AccountID]bool
}

func (ls *lookupStmts) close() {
	for i := range lookupSizes {
		for _, s := range []*sql.Stmt{ls.fitid[i], ls.alias[i]} {
			if s != nil {
				s.Close()
			}
		}
	}
}

// prepQuerier is a transaction that also prepares statements.
type prepQuerier interface {
	querier
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// stmt returns the lookup of size index i, preparing it on first use.
func (ls *lookupStmts) stmt(ctx context.Context, tx prepQuerier, d *dialect, alias bool, i int) (*sql.Stmt, error) {
	p, q := &ls.fitid[i], fitidLookups[i]
	if alias {
		p, q = &ls.alias[i], aliasLookups[i]
	}
	if *p == nil {
		s, err := tx.PrepareContext(ctx, d.rebind(q))
		if err != nil {
			return nil, d.wrap("prepare id lookup", err)
		}
		*p = s
	}
	return *p, nil
}

// lookup calls fn for every line of the account whose FITID or alias is
// one of ids, preparing the queries on first use.
func (ls *lookupStmts) lookup(ctx context.Context, tx prepQuerier, d *dialect, accountID bankfeed.AccountID, ids []string, fn func(AliasMatch) error) error {
	if len(ids) == 0 {
		return nil
	}
	aliases, known := ls.aliases[accountID]
	var err error
	if !known {
		if aliases, err = hasAliases(ctx, tx, d, accountID); err != nil {
			return err
		}
		if ls.aliases != nil {
			ls.aliases[accountID] = aliases
		}
	}
	if need := 1 + min(len(ids), aliasLookupBatch); len(ls.args) < need {
		// Room for the largest lookup size this list needs, not more:
		// a daily statement's dozen ids bind 16.
		i := 0
		for lookupSizes[i] < need-1 {
			i++
		}
		ls.args = make([]any, 1+lookupSizes[i])
	}
	ls.args[0] = int64(accountID)
	for start := 0; start < len(ids); {
		chunk := ids[start:min(start+aliasLookupBatch, len(ids))]
		start += len(chunk)
		i := 0
		for lookupSizes[i] < len(chunk) {
			i++
		}
		n := lookupSizes[i]
		args := ls.args[:1+n]
		for k := range n {
			if k < len(chunk) {
				args[1+k] = chunk[k]
			} else {
				args[1+k] = nil // IN (NULL) matches nothing
			}
		}
		s, err := ls.stmt(ctx, tx, d, false, i)
		if err != nil {
			return err
		}
		if err := lookupChunk(ctx, d, s, args, fn); err != nil {
			return err
		}
		if aliases {
			if s, err = ls.stmt(ctx, tx, d, true, i); err != nil {
				return err
			}
			if err := lookupChunk(ctx, d, s, args, fn); err != nil {
				return err
			}
		}
		clear(args[1:])
	}
	return nil
}

// LookupAliases calls fn for every stored line of the account whose FITID
// or alias is one of ids, including lines written earlier in this
// transaction. Lookups go a few hundred ids per query.
func (tx *Tx) LookupAliases(ctx context.Context, accountID bankfeed.AccountID, ids []string, fn func(AliasMatch) error) error {
	var ls lookupStmts
	defer ls.close()
	return ls.lookup(ctx, tx.q(), tx.d, accountID, ids, fn)
}

func lookupChunk(ctx context.Context, d *dialect, s *sql.Stmt, args []any, fn func(AliasMatch) error) error {
	rows, err := s.QueryContext(ctx, args...)
	if err != nil {
		return d.wrap("look up aliases", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m AliasMatch
		var amount string
		if err := rows.Scan(&m.Alias, &m.LineID, &amount); err != nil {
			return d.wrap("look up aliases", err)
		}
		if m.Amount, err = bankfeed.ParseDecimal(amount); err != nil {
			return fmt.Errorf("look up aliases: line %d amount %q: %w", m.LineID, amount, err)
		}
		if err := fn(m); err != nil {
			return err
		}
	}
	return d.wrap("look up aliases", rows.Err())
}

// MarkCollisions flags lines whose FITID the bank reused for another line.
func (tx *Tx) MarkCollisions(ctx context.Context, ids []bankfeed.LineID) error {
	for start := 0; start < len(ids); start += aliasLookupBatch {
		chunk := ids[start:min(start+aliasLookupBatch, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = int64(id)
		}
		if _, err := tx.tx.ExecContext(ctx, tx.d.rebind(`UPDATE lines SET collision = 1 WHERE id IN (`+inList(len(chunk))+`)`), args...); err != nil {
			return tx.d.wrap("mark collisions", err)
		}
	}
	return nil
}

const lineSelect = `SELECT l.id, l.account_id, l.import_id, l.sync_run_id, l.fitid, l.posted_on, l.posted_at, l.user_on,
	l.amount, l.currency, l.type, l.name, l.memo, l.check_num, l.ref_num, l.security_id, l.units, l.unit_price,
	l.collision, l.created_at FROM lines l`

// EachLine calls fn for every line f selects, by posting date then id,
// without holding them all in memory.
func (db *DB) EachLine(ctx context.Context, f bankfeed.LineFilter, fn func(*bankfeed.Line) error) error {
	var where []string
	var args []any
	if f.AccountID != 0 {
		where, args = append(where, "l.account_id = ?"), append(args, f.AccountID)
	}
	if f.Since != "" {
		if _, err := time.Parse(time.DateOnly, f.Since); err != nil {
			return bankfeed.Errorf(bankfeed.EInvalid, "since %q: want a date YYYY-MM-DD", f.Since)
		}
		where, args = append(where, "l.posted_on >= ?"), append(args, f.Since)
	}
	q := lineSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY l.posted_on, l.id"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, db.d.rebind(q), args...)
		if err != nil {
			return db.d.wrap("list lines", err)
		}
		defer rows.Close()
		for rows.Next() {
			l, err := scanLine(rows)
			if err != nil {
				return db.d.wrap("list lines", err)
			}
			if err := fn(l); err != nil {
				return err
			}
		}
		return db.d.wrap("list lines", rows.Err())
	})
}

// Lines returns the lines f selects, by posting date then id.
func (db *DB) Lines(ctx context.Context, f bankfeed.LineFilter) ([]*bankfeed.Line, error) {
	var out []*bankfeed.Line
	err := db.EachLine(ctx, f, func(l *bankfeed.Line) error {
		out = append(out, l)
		return nil
	})
	return out, err
}

// lineCols holds the nullable line columns while a row is scanned.
type lineCols struct {
	imp, run                                     sql.NullInt64
	postedAt, userOn, check, ref, sec, units, px sql.NullString
	amount, created                              string
}

// dest lists the scan destinations of lineSelect's columns, in order.
func (c *lineCols) dest(l *bankfeed.Line) []any {
	return []any{&l.ID, &l.AccountID, &c.imp, &c.run, &l.FITID, &l.PostedOn, &c.postedAt, &c.userOn,
		&c.amount, &l.Currency, &l.Type, &l.Name, &l.Memo, &c.check, &c.ref, &c.sec, &c.units, &c.px,
		&l.Collision, &c.created}
}

// fill completes l from the scanned columns.
func (c *lineCols) fill(l *bankfeed.Line) error {
	if c.imp.Valid {
		id := bankfeed.ImportID(c.imp.Int64)
		l.ImportID = &id
	}
	if c.run.Valid {
		id := bankfeed.SyncRunID(c.run.Int64)
		l.SyncRunID = &id
	}
	l.UserOn, l.CheckNum, l.RefNum = c.userOn.String, c.check.String, c.ref.String
	l.SecurityID, l.Units, l.UnitPrice = c.sec.String, c.units.String, c.px.String
	var err error
	if l.Amount, err = bankfeed.ParseDecimal(c.amount); err != nil {
		return fmt.Errorf("line %d amount %q: %w", l.ID, c.amount, err)
	}
	if l.PostedAt, err = scanTime(c.postedAt); err != nil {
		return err
	}
	l.CreatedAt, err = parseTime(c.created)
	return err
}

func scanLine(rows *sql.Rows) (*bankfeed.Line, error) {
	var l bankfeed.Line
	var c lineCols
	if err := rows.Scan(c.dest(&l)...); err != nil {
		return nil, err
	}
	return &l, c.fill(&l)
}

// Line returns the line with id, in the transaction.
func (tx *Tx) Line(ctx context.Context, id bankfeed.LineID) (*bankfeed.Line, error) {
	return lineByID(ctx, tx.q(), tx.d, id)
}
