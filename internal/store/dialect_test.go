package store

import (
	"context"
	"testing"

	"github.com/bankfeed/bankfeed"
)

func TestSQLiteSettings(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL
		{"busy_timeout", "10000"},
		{"temp_store", "2"}, // MEMORY
	}
	for _, h := range []struct {
		name string
		q    querier
	}{{"writer", db.write}, {"reader", db.read}} {
		for _, tc := range tests {
			var got string
			if err := h.q.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", h.name, tc.pragma, got, tc.want)
			}
		}
	}
	// Readers cannot write.
	if _, err := db.read.ExecContext(ctx, `INSERT INTO institutions (key, created_at) VALUES ('x', 'now')`); err == nil {
		t.Error("a reader wrote")
	}
}

func TestSQLiteErrorsMappedByCode(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ins := `INSERT INTO institutions (key, created_at) VALUES ('k', '2026-01-01T00:00:00.000000Z')`
	if _, err := db.write.ExecContext(ctx, ins); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, q string
		want    bankfeed.ErrorCode
	}{
		{"unique", ins, bankfeed.EConflict},
		{"foreign key", `INSERT INTO accounts (institution_id, kind, number, created_at) VALUES (99, 'bank', '1', 'x')`, bankfeed.ENotFound},
		{"check", `INSERT INTO accounts (institution_id, kind, number, created_at) VALUES (1, 'savings', '1', 'x')`, bankfeed.EInvalid},
		{"not null", `INSERT INTO accounts (institution_id, kind, created_at) VALUES (1, 'bank', 'x')`, bankfeed.EInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.write.ExecContext(ctx, tc.q)
			if err == nil {
				t.Fatal("no error")
			}
			if got := bankfeed.ErrorCodeOf(db.d.wrap("test", err)); got != tc.want {
				t.Errorf("code %q for %v, want %q", got, err, tc.want)
			}
		})
	}
}

func TestPlaceholders(t *testing.T) {
	if got, want := placeholders(2, 3, ""), "(?,?,?),(?,?,?)"; got != want {
		t.Errorf("placeholders = %q, want %q", got, want)
	}
	if got, want := placeholders(2, 1, "7,NULL"), "(7,NULL,?),(7,NULL,?)"; got != want {
		t.Errorf("placeholders = %q, want %q", got, want)
	}
	if got, want := inList(3), "?,?,?"; got != want {
		t.Errorf("inList = %q", got)
	}
}
