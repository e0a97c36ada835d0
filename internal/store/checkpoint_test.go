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
	before := fileSize(t, path)
	write := func(rounds int) {
		for range rounds {
			writeBlob(t, db)
		}
	}
	write(30) // some 3 MB, 750 pages: under the writer's own threshold
	deadline := time.Now().Add(5 * time.Second)
	for fileSize(t, path) < before+2_000_000 {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes after 3 MB committed (was %d): the WAL was not checkpointed", fileSize(t, path), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A writer that never pauses begins each transaction before the
	// checkpointer is done: the WAL is started again only by the writer's
	// own RESTART checkpoint, which keeps it under the writer's threshold
	// (10,000 pages, 40 MiB), on a busy machine too.
	write(500)
	wal := fileSize(t, path+"-wal")
	if wal > 40<<20 {
		t.Errorf("WAL of %d bytes after 50 MB committed: over the writer's threshold (40 MiB)", wal)
	}
	// Once the checkpointer has caught up, the WAL is written from its
	// start again rather than grown.
	time.Sleep(300 * time.Millisecond)
	write(20)
	if after := fileSize(t, path+"-wal"); after > wal {
		t.Errorf("WAL grew from %d to %d bytes after a pause: not reused", wal, after)
	}
}

// TestRestartWaitsForNoReader: while a reader keeps an old snapshot (an
// export, say), the WAL cannot start again; the writer's RESTART checkpoint
// then gives up at once instead of waiting out the busy timeout (10 s) at
// every commit, and once the reader is gone the WAL starts again.
func TestRestartWaitsForNoReader(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var slowest time.Duration
	write := func() {
		began := time.Now()
		writeBlob(t, db)
		slowest = max(slowest, time.Since(began))
	}
	walSize := func() int64 { return fileSize(t, db.Path()+"-wal") }
	write()
	snap, err := db.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := snap.tx.QueryRowContext(ctx, `SELECT count(*) FROM ckpt_blobs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	// Past walPagesCap while the snapshot holds the WAL: the checkpointer
	// finds it overdue, and the writer's RESTART finds the reader, every
	// few milliseconds, for 50 more commits.
	for i := 0; !db.ckpt.overdue.Load(); i++ {
		if i == 1000 {
			t.Fatalf("the WAL is not overdue after %d MB written under a reader", i/10)
		}
		write()
	}
	for range 50 {
		write()
		time.Sleep(time.Millisecond)
	}
	if slowest > 5*time.Second {
		t.Errorf("a commit took %v while a reader held the WAL: the writer waited for it", slowest)
	}
	if !db.ckpt.overdue.Load() {
		t.Errorf("the WAL is not overdue any more, with the reader still there")
	}
	// With the reader gone, the writer's next try starts the WAL again:
	// from then on it is written from its start, not grown.
	if err := snap.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 0; db.ckpt.overdue.Load(); i++ {
		if i == 100 {
			t.Fatalf("the WAL is still overdue %d commits after the reader left", i)
		}
		time.Sleep(restartRetry)
		write()
	}
	before := walSize()
	for range 20 {
		write()
	}
	if after := walSize(); after > before {
		t.Errorf("WAL grew from %d to %d bytes after the reader left: not started again", before, after)
	}
}

// writeBlob commits a row of 100 kB (25 pages) in a transaction of its own.
func writeBlob(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	blob := strings.Repeat("x", 100_000)
	if err := db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS ckpt_blobs (b TEXT)`); err != nil {
			return err
		}
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO ckpt_blobs VALUES (?)`, blob)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
