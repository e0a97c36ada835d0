// Command crashcheck prints what the importer's crash test compares after
// each kill: the rows of every table of a store and a checksum of every
// line, as one JSON object, after PRAGMA integrity_check passed. It opens the
// store as bankfeed would, which recovers the WAL a killed writer left.
//
// The test builds it without the race detector, which would make reading a
// large store through SQLite (instrumented too) take seconds.
//
//	crashcheck DATA_DIR
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

// State is what crashcheck prints.
type State struct {
	Counts map[string]int64 `json:"counts"`
	Sum    string           `json:"sum"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: crashcheck DATA_DIR")
		os.Exit(2)
	}
	st, err := check(context.Background(), os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashcheck:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(st)
}

func check(ctx context.Context, dir string) (*State, error) {
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.IntegrityCheck(ctx); err != nil {
		return nil, err
	}
	counts, err := db.TableCounts(ctx)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	err = db.EachLine(ctx, bankfeed.LineFilter{}, func(l *bankfeed.Line) error {
		fmt.Fprintf(h, "%d|%d|%s|%s|%s|%s|%s|%t\n", l.ID, l.AccountID, l.FITID, l.PostedOn, l.Amount, l.Name, l.Memo, l.Collision)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &State{Counts: counts, Sum: hex.EncodeToString(h.Sum(nil))}, db.Close()
}
