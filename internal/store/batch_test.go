package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed/internal/store"
)

// TestBatch runs many Batch and BatchFirst calls at once, some failing and
// some panicking: each good call's write commits, a failed or panicking
// call writes nothing and gets its own error or panic back, and the others
// do not see it.
func TestBatch(t *testing.T) {
	db := openSQLite(t, nil)
	ctx := context.Background()
	errBad := errors.New("bad call")
	const n = 200
	errs := make([]error, n)
	panics := make([]any, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			call := db.Batch
			if i%3 == 0 {
				call = db.BatchFirst
			}
			errs[i] = call(ctx, func(tx *store.Tx) error {
				// Every call writes before it fails, so a failure must
				// take its own write back.
				if _, _, err := tx.AcquireLease(ctx, fmt.Sprintf("lease-%03d", i), "test", time.Hour); err != nil {
					return err
				}
				switch i % 10 {
				case 7:
					return errBad
				case 9:
					panic(fmt.Sprintf("call %d panics", i))
				}
				return nil
			})
		})
	}
	wg.Wait()
	leases, err := db.Leases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, l := range leases {
		have[l.Name] = true
	}
	for i := range n {
		name := fmt.Sprintf("lease-%03d", i)
		switch i % 10 {
		case 7:
			if !errors.Is(errs[i], errBad) || have[name] {
				t.Errorf("call %d: err %v, written %v; want its own error and nothing written", i, errs[i], have[name])
			}
		case 9:
			if panics[i] != fmt.Sprintf("call %d panics", i) || have[name] {
				t.Errorf("call %d: panic %v, written %v; want its own panic and nothing written", i, panics[i], have[name])
			}
		default:
			if errs[i] != nil || panics[i] != nil || !have[name] {
				t.Errorf("call %d: err %v, panic %v, written %v; want it committed", i, errs[i], panics[i], have[name])
			}
		}
	}
	if want := n - n/10*2; len(leases) != want {
		t.Errorf("%d leases, want %d", len(leases), want)
	}
}

// TestBatchDoneContext: a call whose context is done before its turn does
// not run.
func TestBatchDoneContext(t *testing.T) {
	db := openSQLite(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := db.Batch(ctx, func(tx *store.Tx) error {
		ran = true
		return nil
	})
	if !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("err %v, ran %v; want context.Canceled and not run", err, ran)
	}
}

// TestBatchAfterClose: Batch on a closed store fails at once instead of
// waiting forever.
func TestBatchAfterClose(t *testing.T) {
	db, err := store.Open(context.Background(), t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Batch(context.Background(), func(*store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Batch(context.Background(), func(*store.Tx) error { return nil }); err == nil {
		t.Fatal("Batch on a closed store succeeded")
	}
}
