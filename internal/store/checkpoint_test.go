package store

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestCheckpointerCopiesTheWAL: commits reach the database file without
// anyone checkpointing by hand and without the writer doing it (it waits
// for 10,000 pages), the WAL stays under that threshold while a writer
// never pauses, and the WAL the checkpointer copied is reused instead of
// growing.
func TestCheckpointerCopiesTheWAL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	path := db.Path()
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size(path)
	blob := strings.Repeat("x", 100_000)
	write := func(rounds int) {
		for i := range rounds {
			if err := db.Update(ctx, func(tx *Tx) error {
				if _, err := tx.tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS ckpt_test (i INTEGER, b TEXT)`); err != nil {
					return err
				}
				_, err := tx.tx.ExecContext(ctx, `INSERT INTO ckpt_test VALUES (?, ?)`, i, blob)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(30) // some 3 MB, 750 pages: under the writer's own threshold
	deadline := time.Now().Add(5 * time.Second)
	for size(path) < before+2_000_000 {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes after 3 MB committed (was %d): the WAL was not checkpointed", size(path), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A writer that never pauses begins each transaction before the
	// checkpointer is done: the WAL is started again only by the writer's
	// own RESTART checkpoint, which keeps it under the writer's threshold
	// (10,000 pages, 40 MiB), on a busy machine too.
	write(500)
	wal := size(path + "-wal")
	if wal > 40<<20 {
		t.Errorf("WAL of %d bytes after 50 MB committed: over the writer's threshold (40 MiB)", wal)
	}
	// Once the checkpointer has caught up, the WAL is written from its
	// start again rather than grown.
	time.Sleep(300 * time.Millisecond)
	write(20)
	if after := size(path + "-wal"); after > wal {
		t.Errorf("WAL grew from %d to %d bytes after a pause: not reused", wal, after)
	}
}
