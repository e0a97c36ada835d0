package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/books"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/source/ofxdirect"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

// genVersion names what build makes: change it when the data changes, and
// the cached store under bench/out is built again.
const genVersion = "web1"

// shape is how big a store to build.
type shape struct {
	lines    int // in all
	accounts int // feed accounts, 5 per institution
	waiting  int // lines left For Review
}

func (s shape) key() string {
	return fmt.Sprintf("%s-%dl-%da-%dw", genVersion, s.lines, s.accounts, s.waiting)
}

// timeLayout is how the store writes times.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// builtMarker is written last: a directory without it is a build that did
// not finish.
const builtMarker = "built"

// build makes the store in dir: fakebank institutions of 5 accounts each,
// connected and synced once (90 days: real connections, runs, statements
// and lines For Review), then, in big transactions, years of older lines
// up to sh.lines, most of them decided (two in three added with their
// entry, the rest excluded) and the newest left For Review up to
// sh.waiting, and a year of daily sync runs per account.
func build(ctx context.Context, dir string, sh shape, log io.Writer) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	began := time.Now()
	insts := (sh.accounts + 4) / 5
	bank, err := fakebank.Start(scenarioOf(insts), fakebank.Options{Host: "127.0.0.1"})
	if err != nil {
		return fmt.Errorf("start the banks: %w", err)
	}
	defer bank.Close()
	caFile := filepath.Join(dir, "fakebank-ca.pem")
	if err := os.WriteFile(caFile, bank.CACertPEM(), 0o644); err != nil {
		return err
	}
	key, err := secret.LoadKey(secret.KeyOptions{Getenv: func(string) string { return "" }, DefaultPath: filepath.Join(dir, "key")})
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	hc := ofxdirect.NewHTTPClient(&tls.Config{RootCAs: bank.CertPool(), MinVersion: tls.VersionTLS12})
	defer hc.CloseIdleConnections()
	sy := syncer.New(db, key, syncer.Options{HTTP: ofxdirect.Client{HTTP: hc}, Review: books.ReviewService(db).Ingest})
	for _, in := range bank.Scenario().Institutions {
		u := in.Users[0]
		p := bankfeed.Profile{URL: bank.OFXURL(in.ID), Org: in.Org, FID: in.FID, BankID: in.BankID, Version: in.Version,
			CAFile: caFile, PortalURL: bank.PortalURL(in.ID)}
		res, err := sy.Connect(ctx, syncer.ConnectRequest{Name: in.ID, Profile: p, UserID: u.ID, Password: secret.String(u.Password)})
		if err == nil {
			err = res.Err
		}
		if err != nil {
			return fmt.Errorf("connect %s: %w", in.ID, err)
		}
		if _, err := sy.Sync(ctx, res.Connection.ID, true); err != nil {
			return fmt.Errorf("sync %s: %w", in.ID, err)
		}
	}
	fmt.Fprintf(log, "built: %d connections synced (%.1f s)\n", insts, time.Since(began).Seconds())
	if err := fill(ctx, db.Writer(), sh, log); err != nil {
		return err
	}
	fmt.Fprintf(log, "built: %s in %.1f s\n", dir, time.Since(began).Seconds())
	return os.WriteFile(filepath.Join(dir, builtMarker), []byte(sh.key()+"\n"), 0o644)
}

// scenarioOf is n banks with one login of 5 accounts each.
func scenarioOf(n int) *fakebank.Scenario {
	var insts []string
	for i := range n {
		var accts []string
		for j := range 5 {
			typ, bal := "checking", `, "opening_balance": "25000.00"`
			switch j {
			case 1, 3:
				typ = "savings"
			case 4:
				typ, bal = "creditcard", ""
			}
			accts = append(accts, fmt.Sprintf(`{"id": "%d%04d", "type": %q%s}`, 61+i, j, typ, bal))
		}
		version := "102"
		if i%2 == 1 {
			version = "211"
		}
		insts = append(insts, fmt.Sprintf(`{"id": "bank%d", "name": "Bench Bank %d", "org": "BENCH%d", "fid": "%d", "bank_id": "0210000%02d",
		  "version": %q, "users": [{"id": "owner%d", "password": "bench-password-%d", "pay": "4200.00", "employer": "ACME PAYROLL",
		  "accounts": [%s]}]}`, i, i, i, 7000+i, 20+i, version, i, i, strings.Join(accts, ", ")))
	}
	js := `{"seed": 11, "start": "2026-01-01", "zone": "America/New_York", "institutions": [` + strings.Join(insts, ",\n") + `]}`
	sc, err := fakebank.ParseScenario(bytes.NewReader([]byte(js)))
	if err != nil {
		panic("bench scenario: " + err.Error())
	}
	return sc
}

// payees and categories of the generated history.
var (
	payees = []string{"CORNER GROCERY", "SHELL OIL 5521", "AMAZON MKTPLACE", "CITY WATER UTIL", "NETFLIX.COM", "STARBUCKS #2231",
		"TARGET T-1842", "COMCAST CABLE", "UBER TRIP", "WHOLE FOODS MKT", "CVS PHARMACY", "HOME DEPOT 0417", "DELTA AIR LINES",
		"ELECTRIC CO", "PAYROLL ACME INC", "ATM WITHDRAWAL", "CHECK", "TRANSFER TO SAVINGS", "INTEREST PAYMENT", "GYM MEMBERSHIP"}
	categories = []string{"Expenses:Groceries", "Expenses:Fuel", "Expenses:Shopping", "Expenses:Utilities", "Expenses:Subscriptions",
		"Expenses:Dining", "Expenses:Household", "Expenses:Internet", "Expenses:Travel", "Expenses:Groceries", "Expenses:Health",
		"Expenses:Household", "Expenses:Travel", "Expenses:Utilities", "Income:Salary", "Expenses:Cash", "Expenses:Misc",
		"Assets:Transfers", "Income:Interest", "Expenses:Health"}
)

// fill writes the older history with plain SQL in big transactions.
func fill(ctx context.Context, w *sql.DB, sh shape, log io.Writer) error {
	began := time.Now()
	// The rows go in several batches at once, each flushed when full: the
	// foreign keys are checked at the end instead (foreign_key_check).
	for _, p := range []string{`PRAGMA synchronous = OFF`, `PRAGMA foreign_keys = OFF`} {
		if _, err := w.ExecContext(ctx, p); err != nil {
			return err
		}
	}
	defer w.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`)
	defer w.ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous = NORMAL`)
	type acct struct {
		id     int64
		ledger int64
		first  string // first line's date
	}
	var accts []acct
	rows, err := w.QueryContext(ctx, `SELECT a.id, coalesce(min(l.posted_on), date('now')) FROM accounts a LEFT JOIN lines l ON l.account_id = a.id GROUP BY a.id ORDER BY a.id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var a acct
		if err := rows.Scan(&a.id, &a.first); err != nil {
			rows.Close()
			return err
		}
		accts = append(accts, a)
	}
	rows.Close()
	if len(accts) == 0 {
		return fmt.Errorf("no accounts synced")
	}
	var have, waiting int
	if err := w.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(state = 'review'), 0) FROM lines LEFT JOIN line_reviews ON line_id = lines.id`).Scan(&have, &waiting); err != nil {
		return err
	}
	now := time.Now().UTC().Format(timeLayout)
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// A ledger account for each feed account, and the categories.
	cats := map[string]int64{}
	for i := range accts {
		name := "Assets:Bank:Bench " + strconv.FormatInt(accts[i].id, 10)
		if err := tx.QueryRowContext(ctx, `SELECT id FROM ledger_accounts WHERE feed_account_id = ?`, accts[i].id).Scan(&accts[i].ledger); err == nil {
			continue
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO ledger_accounts (name, type, currency, feed_account_id, created_at) VALUES (?, 'asset', 'USD', ?, ?)`, name, accts[i].id, now)
		if err != nil {
			return err
		}
		accts[i].ledger, _ = res.LastInsertId()
	}
	for _, c := range categories {
		if _, ok := cats[c]; ok {
			continue
		}
		typ := strings.ToLower(strings.TrimSuffix(strings.SplitN(c, ":", 2)[0], "s"))
		switch typ {
		case "expense", "income", "asset":
		default:
			typ = "expense"
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM ledger_accounts WHERE name = ?`, c).Scan(&id); err != nil {
			res, err := tx.ExecContext(ctx, `INSERT INTO ledger_accounts (name, type, currency, created_at) VALUES (?, ?, 'USD', ?)`, c, typ, now)
			if err != nil {
				return err
			}
			id, _ = res.LastInsertId()
		}
		cats[c] = id
	}
	// A year of daily runs per account, as a scheduled feed leaves.
	runs := newBatch(tx, `INSERT INTO sync_runs (account_id, started_at, finished_at, outcome, new_lines, duplicate_lines) VALUES `, 6)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for _, a := range accts {
		for d := 365; d > 0; d-- {
			at := today.AddDate(0, 0, -d).Add(6 * time.Hour)
			if err := runs.add(ctx, a.id, at.Format(timeLayout), at.Add(2*time.Second).Format(timeLayout), "ok", 25, 180); err != nil {
				return err
			}
		}
	}
	if err := runs.flush(ctx); err != nil {
		return err
	}
	var nextLine, nextEntry, nextSplit int64
	for _, q := range []struct {
		sql string
		dst *int64
	}{{`SELECT coalesce(max(id), 0) FROM lines`, &nextLine}, {`SELECT coalesce(max(id), 0) FROM entries`, &nextEntry}, {`SELECT coalesce(max(id), 0) FROM splits`, &nextSplit}} {
		if err := tx.QueryRowContext(ctx, q.sql).Scan(q.dst); err != nil {
			return err
		}
	}
	lines := newBatch(tx, `INSERT INTO lines (id, account_id, fitid, posted_on, amount, amount_minor, currency, type, name, memo, created_at) VALUES `, 11)
	reviews := newBatch(tx, `INSERT INTO line_reviews (line_id, account_id, state, entry_id, payee, category, decided_by, decided_at) VALUES `, 8)
	entries := newBatch(tx, `INSERT INTO entries (id, uid, date_on, payee, origin, created_by, created_at) VALUES `, 7)
	splits := newBatch(tx, `INSERT INTO splits (id, entry_id, ledger_account_id, amount, amount_minor, currency, status, date_on) VALUES `, 8)
	links := newBatch(tx, `INSERT INTO split_lines (line_id, split_id) VALUES `, 2)
	todo := sh.lines - have
	perAcct := (todo + len(accts) - 1) / len(accts)
	moreWaiting := max(sh.waiting-waiting, 0)
	rng := rand.New(rand.NewPCG(42, 7))
	made := 0
	for ai, a := range accts {
		n := min(perAcct, todo-made)
		if n <= 0 {
			break
		}
		// 27 lines a day back from the day before the synced ones.
		end, _ := time.Parse(time.DateOnly, a.first)
		waitHere := moreWaiting / len(accts)
		if ai < moreWaiting%len(accts) {
			waitHere++
		}
		for k := range n {
			// k = 0 is the newest.
			day := end.AddDate(0, 0, -1-k/27).Format(time.DateOnly)
			p := rng.IntN(len(payees))
			minor := -int64(rng.IntN(20000) + 100)
			typ := "DEBIT"
			if p == 14 || p == 18 {
				minor, typ = int64(rng.IntN(400000)+1000), "CREDIT"
			}
			amount := bankfeed.NewDecimal(minor, 2).String()
			nextLine++
			id := nextLine
			if err := lines.add(ctx, id, a.id, "h"+strconv.FormatInt(id, 10), day, amount, minor, "USD", typ, payees[p], "", now); err != nil {
				return err
			}
			payee := strings.TrimSpace(strings.TrimRight(payees[p], "#0123456789-T "))
			decidedAt := day + "T18:00:00.000000Z"
			switch {
			case k < waitHere:
				err = reviews.add(ctx, id, a.id, "review", nil, payee, categories[p], "", nil)
			case rng.IntN(3) == 0:
				err = reviews.add(ctx, id, a.id, "excluded", nil, payee, "", "bench", decidedAt)
			default:
				nextEntry++
				e := nextEntry
				if err = entries.add(ctx, e, "bf-"+strconv.FormatInt(e, 10), day, payee, "feed", "bench", now); err != nil {
					return err
				}
				nextSplit += 2
				neg := bankfeed.NewDecimal(-minor, 2).String()
				if err = splits.add(ctx, nextSplit-1, e, a.ledger, amount, minor, "USD", "cleared", day); err != nil {
					return err
				}
				if err = splits.add(ctx, nextSplit, e, cats[categories[p]], neg, -minor, "USD", "", day); err != nil {
					return err
				}
				if err = links.add(ctx, id, nextSplit-1); err != nil {
					return err
				}
				err = reviews.add(ctx, id, a.id, "added", e, payee, categories[p], "bench", decidedAt)
			}
			if err != nil {
				return err
			}
		}
		made += n
		fmt.Fprintf(log, "built: account %d: %d older lines (%d of %d, %.0f s)\n", a.id, n, made, todo, time.Since(began).Seconds())
	}
	for _, b := range []*batch{lines, entries, splits, links, reviews} {
		if err := b.flush(ctx); err != nil {
			return err
		}
	}
	// The rows went in by plain INSERTs, past the line writer that keeps
	// each account's line count: count them once, as the migration does.
	if _, err := tx.ExecContext(ctx, `UPDATE accounts SET line_count = (SELECT count(*) FROM lines WHERE lines.account_id = accounts.id)`); err != nil {
		return err
	}
	var bad int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_check`).Scan(&bad); err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("the generated rows break %d foreign keys", bad)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = w.ExecContext(ctx, `ANALYZE`)
	return err
}

// batch inserts rows many at a time: one statement of batchRows rows.
type batch struct {
	tx     *sql.Tx
	head   string
	cols   int
	args   []any
	full   *sql.Stmt
	rowSQL string
}

const batchRows = 200

func newBatch(tx *sql.Tx, head string, cols int) *batch {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return &batch{tx: tx, head: head, cols: cols, rowSQL: row}
}

func (b *batch) add(ctx context.Context, vals ...any) error {
	b.args = append(b.args, vals...)
	if len(b.args) < batchRows*b.cols {
		return nil
	}
	if b.full == nil {
		st, err := b.tx.PrepareContext(ctx, b.head+strings.TrimSuffix(strings.Repeat(b.rowSQL+", ", batchRows), ", "))
		if err != nil {
			return err
		}
		b.full = st
	}
	_, err := b.full.ExecContext(ctx, b.args...)
	b.args = b.args[:0]
	return err
}

func (b *batch) flush(ctx context.Context) error {
	if len(b.args) == 0 {
		return nil
	}
	n := len(b.args) / b.cols
	_, err := b.tx.ExecContext(ctx, b.head+strings.TrimSuffix(strings.Repeat(b.rowSQL+", ", n), ", "), b.args...)
	b.args = b.args[:0]
	return err
}
