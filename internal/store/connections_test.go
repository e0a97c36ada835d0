package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
)

// openAtVersion opens path as a bankfeed whose schema stopped at version
// left it: the writer alone, with the migrations up to version applied.
func openAtVersion(t *testing.T, path string, version int, now func() time.Time) *DB {
	t.Helper()
	ctx := context.Background()
	db := &DB{path: path, d: sqliteDialect, now: now}
	var err error
	if db.write, err = sql.Open(db.d.name, db.d.writerDSN(path)); err != nil {
		t.Fatal(err)
	}
	db.write.SetMaxOpenConns(1)
	ms, err := loadMigrations(db.d.name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.version > version {
			break
		}
		err := db.Update(ctx, func(tx *Tx) error {
			if _, err := tx.tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, formatTime(now()))
			return err
		})
		if err != nil {
			t.Fatalf("apply %s: %v", m.name, err)
		}
	}
	return db
}

// TestMigrateConnectionsKeepsData upgrades a store the first schema left,
// with accounts, lines and sync runs in it, and checks that nothing is lost
// and the new tables and columns work on the old rows.
func TestMigrateConnectionsKeepsData(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	path := filepath.Join(t.TempDir(), FileName)

	old := openAtVersion(t, path, 1, clock)
	var acct *bankfeed.Account
	var runID bankfeed.SyncRunID
	started, finished := now.Add(-time.Hour), now.Add(-time.Hour+5*time.Second)
	err := old.Update(ctx, func(tx *Tx) error {
		inst, err := tx.EnsureInstitution(ctx, "B1", "10898", "")
		if err != nil {
			return err
		}
		if acct, _, err = tx.EnsureAccount(ctx, bankfeed.Account{InstitutionID: inst.ID, Kind: bankfeed.KindBank,
			Type: "CHECKING", BankID: "021000021", Number: "1234", Currency: "USD"}); err != nil {
			return err
		}
		// CreateSyncRun writes the columns 0002 adds, so the run is written
		// as the first schema had it.
		if err := tx.tx.QueryRowContext(ctx, `INSERT INTO sync_runs (account_id, started_at, finished_at, outcome,
			failure_class, http_status, error, new_lines) VALUES (?, ?, ?, 'failed', 'bank.maintenance', 503, 'down', 2)
			RETURNING id`, acct.ID, formatTime(started), formatTime(finished)).Scan(&runID); err != nil {
			return err
		}
		im := &bankfeed.Import{FileName: "old.qfx"}
		if err := tx.CreateImport(ctx, im); err != nil {
			return err
		}
		// The lines are written as the first schema had them: the line
		// writer of today keeps a count the old accounts table lacks.
		for i, src := range []struct {
			imp, run any
			ids      []string
		}{{int64(im.ID), nil, []string{"I1", "I2"}}, {nil, int64(runID), []string{"S1", "S2"}}} {
			for j, id := range src.ids {
				if _, err := tx.tx.ExecContext(ctx, `INSERT INTO lines (id, account_id, import_id, sync_run_id, fitid, posted_on,
					amount, amount_minor, currency, type, name, memo, created_at) VALUES (?, ?, ?, ?, ?, '2026-02-01', '-1.00', -100,
					'USD', 'DEBIT', '', '', ?)`, 2*i+j+1, acct.ID, src.imp, src.run, id, formatTime(finished)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := old.write.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'connections'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the store at schema 1 has a connections table (%d, %v)", n, err)
	}
	if err := old.write.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := OpenFile(ctx, path, Options{Now: clock})
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer db.Close()
	ms, err := loadMigrations(db.d.name)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := db.SchemaVersion(ctx); err != nil || v != ms[len(ms)-1].version {
		t.Errorf("schema version %d, %v; want %d", v, err, ms[len(ms)-1].version)
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
	got, err := db.Account(ctx, acct.ID)
	if err != nil || got.Number != "1234" || got.Type != "CHECKING" || got.Currency != "USD" {
		t.Errorf("account after the upgrade: %+v, %v", got, err)
	}
	if sums, err := db.Accounts(ctx, bankfeed.AccountFilter{ID: &acct.ID}); err != nil || len(sums) != 1 || sums[0].Lines != 4 {
		t.Errorf("the upgrade counted the account's lines as %+v, %v; want 4", sums, err)
	}
	lines, err := db.Lines(ctx, bankfeed.LineFilter{AccountID: acct.ID})
	if err != nil || len(lines) != 4 {
		t.Fatalf("lines after the upgrade: %d, %v", len(lines), err)
	}
	if lines[2].SyncRunID == nil || *lines[2].SyncRunID != runID {
		t.Errorf("line of the old run read back as %+v", lines[2])
	}
	run, err := db.SyncRun(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	if run.AccountID != acct.ID || !run.StartedAt.Equal(started) || run.FinishedAt == nil || !run.FinishedAt.Equal(finished) ||
		run.Outcome != "failed" || run.FailureClass != "bank.maintenance" || run.HTTPStatus != 503 || run.Error != "down" ||
		run.New != 2 || run.ConnectionID != 0 || run.Trigger != "" || !run.WindowStart.IsZero() || !run.WindowEnd.IsZero() ||
		!run.RetryAt.IsZero() || run.Transcript != "" {
		t.Errorf("old sync run read back as %+v", run)
	}
	counts, err := db.TableCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"connections", "connection_accounts", "sync_cursors", "institution_circuits", "leases"} {
		if counts[table] != 0 {
			t.Errorf("%s has %d rows after the upgrade", table, counts[table])
		}
	}

	// The old rows take part in the new tables.
	conn := &bankfeed.Connection{Name: "Everyday", InstitutionID: acct.InstitutionID, UserID: "jdoe",
		Profile: bankfeed.Profile{URL: "https://ofx.b1.example/"}}
	err = db.Update(ctx, func(tx *Tx) error {
		if err := tx.CreateConnection(ctx, conn, []byte("sealed")); err != nil {
			return err
		}
		if err := tx.LinkAccount(ctx, &bankfeed.ConnectionAccount{ConnectionID: conn.ID, AccountID: acct.ID,
			Kind: acct.Kind, Number: acct.Number, Enabled: true}); err != nil {
			return err
		}
		if err := tx.SetCursor(ctx, &bankfeed.SyncCursor{AccountID: acct.ID, StatementEnd: finished, LastSuccess: finished,
			SyncRunID: runID}); err != nil {
			return err
		}
		return tx.CreateSyncRun(ctx, &bankfeed.SyncRun{AccountID: acct.ID, ConnectionID: conn.ID,
			Trigger: bankfeed.TriggerManual})
	})
	if err != nil {
		t.Fatalf("use the new tables with old rows: %v", err)
	}
	rows, err := db.read.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Error("foreign key check found dangling references after the upgrade")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
