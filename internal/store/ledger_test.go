package store_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

func TestLedgerEntries(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t, func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) })
	err := db.Update(ctx, func(tx *store.Tx) error {
		for _, n := range []string{"Assets:Bank:Checking", "Expenses:Office", "Expenses:Meals"} {
			if err := tx.AddLedgerAccount(ctx, &bankfeed.LedgerAccount{Name: n, Currency: "USD"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		entry   bankfeed.Entry
		wantErr []string
	}{
		{"balanced", bankfeed.Entry{Date: "2026-02-03", Payee: "Staples", Splits: []bankfeed.Split{
			{AccountName: "Assets:Bank:Checking", Amount: bankfeed.MustDecimal("-12.50")},
			{AccountName: "Expenses:Office", Amount: bankfeed.MustDecimal("12.50")}}}, nil},
		{"every problem named", bankfeed.Entry{Date: "2026-02-31", Splits: []bankfeed.Split{
			{AccountName: "Assets:Bank:Checking", Amount: bankfeed.MustDecimal("-12.505")},
			{AccountName: "Expenses:Nope", Amount: bankfeed.MustDecimal("12.50")}}},
			[]string{`date: "2026-02-31"`, `splits[0].amount: -12.505 has more decimal places than USD allows`,
				`splits[1].account: no account "Expenses:Nope"`}},
		{"one split", bankfeed.Entry{Date: "2026-02-03", Splits: []bankfeed.Split{
			{AccountName: "Expenses:Office", Amount: bankfeed.MustDecimal("0")}}}, []string{"needs at least two"}},
		{"unbalanced", bankfeed.Entry{Date: "2026-02-03", Splits: []bankfeed.Split{
			{AccountName: "Assets:Bank:Checking", Amount: bankfeed.MustDecimal("-12.50")},
			{AccountName: "Expenses:Office", Amount: bankfeed.MustDecimal("12.00")}}}, []string{"USD amounts sum to -0.50, not zero"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.entry
			err := db.Update(ctx, func(tx *store.Tx) error { return tx.AddEntry(ctx, &e, "ann") })
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if e.UID != "bf-"+itoa(int64(e.ID)) || e.Splits[0].ID == 0 || e.Splits[0].Currency != "USD" {
					t.Fatalf("entry not completed: %+v", e)
				}
				return
			}
			if bankfeed.ErrorCodeOf(err) != bankfeed.EInvalid {
				t.Fatalf("err = %v, want invalid", err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	es, err := db.Entries(ctx, bankfeed.EntryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || len(es[0].Splits) != 2 || es[0].Splits[0].AccountName != "Assets:Bank:Checking" ||
		es[0].Splits[1].Amount.String() != "12.50" || es[0].CreatedBy != "ann" || es[0].Payee != "Staples" {
		t.Fatalf("entries = %+v", es)
	}
	if err := db.Update(ctx, func(tx *store.Tx) error {
		return tx.AddLedgerAccount(ctx, &bankfeed.LedgerAccount{Name: "Expenses:Office"})
	}); bankfeed.ErrorCodeOf(err) != bankfeed.EConflict {
		t.Errorf("second Expenses:Office: %v, want conflict", err)
	}
	if err := db.Update(ctx, func(tx *store.Tx) error {
		return tx.AddLedgerAccount(ctx, &bankfeed.LedgerAccount{Name: "Office"})
	}); bankfeed.ErrorCodeOf(err) != bankfeed.EInvalid {
		t.Errorf("Office: %v, want invalid", err)
	}
	if err := db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteEntry(ctx, es[0].ID) }); err != nil {
		t.Fatal(err)
	}
	if es, _ := db.Entries(ctx, bankfeed.EntryFilter{}); len(es) != 0 {
		t.Fatalf("entry still there: %+v", es)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
