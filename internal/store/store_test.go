package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/store/storetest"
)

func openSQLite(t *testing.T, now func() time.Time) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), t.TempDir(), store.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return db
}

func TestConformanceSQLite(t *testing.T) {
	storetest.Run(t, openSQLite)
}

func TestConformancePostgres(t *testing.T) {
	if storetest.PostgresURL() == "" {
		t.Skip("BANKFEED_TEST_POSTGRES_URL not set")
	}
	// The PostgreSQL dialect and its migrations come with the issue that
	// adds PostgreSQL; until then a set URL is a configuration error.
	t.Fatal("BANKFEED_TEST_POSTGRES_URL is set but the store has no PostgreSQL dialect yet")
}

func TestOpenCreatesPrivateDirAndMigratesOnce(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nested", "data")
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v1, err := db.SchemaVersion(ctx)
	if err != nil || v1 < 1 {
		t.Fatalf("schema version %d, %v", v1, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("data dir mode %o, want 700", perm)
	}
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err != nil {
		t.Errorf("database file: %v", err)
	}
	db, err = store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v2, err := db.SchemaVersion(ctx)
	if err != nil || v2 != v1 {
		t.Errorf("reopened at version %d (%v), want %d", v2, err, v1)
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}

func TestOpenNoDataDir(t *testing.T) {
	if _, err := store.Open(context.Background(), "", store.Options{}); bankfeed.ErrorCodeOf(err) != bankfeed.EInvalid {
		t.Errorf("Open(\"\") = %v, want invalid", err)
	}
}

// TestReadersNeverWaitForTheWriter holds a write transaction open and reads
// meanwhile, then starts a second writer that must queue, not fail with
// "database is locked".
func TestReadersNeverWaitForTheWriter(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A second handle on the same file stands for a second process.
	other, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	inTx := make(chan struct{})
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var writeErr error
	go func() {
		defer wg.Done()
		writeErr = db.Update(ctx, func(tx *store.Tx) error {
			if _, err := tx.EnsureInstitution(ctx, "HELD", "1", ""); err != nil {
				return err
			}
			close(inTx)
			<-release
			return nil
		})
	}()
	<-inTx
	for _, h := range []*store.DB{db, other} {
		start := time.Now()
		if _, err := h.Institutions(ctx); err != nil {
			t.Errorf("read during a write: %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("read took %v while a write was open", d)
		}
	}
	// Writers on both handles queue behind the open transaction.
	errs := make(chan error, 2)
	for _, h := range []*store.DB{db, other} {
		go func() {
			errs <- h.Update(ctx, func(tx *store.Tx) error {
				_, err := tx.EnsureInstitution(ctx, "QUEUED", "2", "")
				return err
			})
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	if writeErr != nil {
		t.Fatal(writeErr)
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("queued writer: %v", err)
		}
	}
	list, err := other.Institutions(ctx)
	if err != nil || len(list) != 2 {
		t.Errorf("institutions %d, %v; want HELD and QUEUED", len(list), err)
	}
}

func TestUpdateRollsBackOnPanic(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t, nil)
	func() {
		defer func() { recover() }()
		db.Update(ctx, func(tx *store.Tx) error {
			if _, err := tx.EnsureInstitution(ctx, "P", "1", ""); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	list, err := db.Institutions(ctx)
	if err != nil || len(list) != 0 {
		t.Errorf("after a panic: %d institutions, %v", len(list), err)
	}
	// The writer connection is usable again.
	if err := db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.EnsureInstitution(ctx, "P", "1", "")
		return err
	}); err != nil {
		t.Error(err)
	}
}

func TestContextCanceledRollsBack(t *testing.T) {
	db := openSQLite(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	err := db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.EnsureInstitution(ctx, "C", "1", ""); err != nil {
			return err
		}
		cancel()
		return ctx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update = %v", err)
	}
	list, _ := db.Institutions(context.Background())
	if len(list) != 0 {
		t.Errorf("%d institutions after a canceled transaction", len(list))
	}
}
