package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx"
	"github.com/bankfeed/bankfeed/internal/store"
)

// exportBooks makes a data directory with a checking feed (imported from a
// statement of lines F1 and F2), its ledger account and three entries: one
// split linked to F1, one to F2, and rent by check that no line confirms.
func exportBooks(t *testing.T) string {
	t.Helper()
	data, files := t.TempDir(), t.TempDir()
	src := statement(t, files, "jan.ofx", "111", "F1 20260105 -10.00", "F2 20260106 -20.50")
	if code, out, errOut := bankfeedIn(t, data, "import", src); code != exitOK {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	feeds, err := db.Accounts(ctx, bankfeed.AccountFilter{})
	if err != nil || len(feeds) != 1 {
		t.Fatalf("feeds: %v %v", feeds, err)
	}
	feedID := feeds[0].ID
	lines, err := db.Lines(ctx, bankfeed.LineFilter{AccountID: feedID})
	if err != nil {
		t.Fatal(err)
	}
	lineID := map[string]bankfeed.LineID{}
	for _, l := range lines {
		lineID[l.FITID] = l.ID
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		for _, a := range []*bankfeed.LedgerAccount{
			{Name: "Assets:Bank:Checking", Currency: "USD", FeedAccountID: &feedID},
			{Name: "Expenses:Food; Drink", Currency: "USD"},
			{Name: "Expenses:Rent", Currency: "USD"},
		} {
			if err := tx.AddLedgerAccount(ctx, a); err != nil {
				return err
			}
		}
		for _, e := range []*bankfeed.Entry{
			{Date: "2026-01-05", Payee: `Joe's "Diner"; Café`, Splits: []bankfeed.Split{
				{AccountName: "Expenses:Food; Drink", Amount: bankfeed.MustDecimal("10.00")},
				{AccountName: "Assets:Bank:Checking", Amount: bankfeed.MustDecimal("-10.00"), Lines: []bankfeed.LineID{lineID["F1"]}},
			}},
			{Date: "2026-01-06", Payee: "Market", Splits: []bankfeed.Split{
				{AccountName: "Expenses:Food; Drink", Amount: bankfeed.MustDecimal("20.50")},
				{AccountName: "Assets:Bank:Checking", Amount: bankfeed.MustDecimal("-20.50"), Lines: []bankfeed.LineID{lineID["F2"]}},
			}},
			{Date: "2026-02-01", Payee: "Landlord", CheckNum: "1001", Splits: []bankfeed.Split{
				{AccountName: "Expenses:Rent", Amount: bankfeed.MustDecimal("900")},
				{AccountName: "Assets:Bank:Checking", Amount: bankfeed.MustDecimal("-900")},
			}},
		} {
			if err := tx.AddEntry(ctx, e, "test"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestExport(t *testing.T) {
	data := exportBooks(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // on stdout
		notWant  []string
		wantErr  string // on stderr
	}{
		{"hledger", []string{"--format", "hledger"}, exitOK, []string{
			"account Expenses:Food_ Drink",
			`2026-01-05 * Joe's "Diner", Café  ; uid:bf-1`,
			"2026-02-01 (1001) Landlord  ; uid:bf-3",
			"    Assets:Bank:Checking  -900.00 USD",
		}, nil, ""},
		{"ledger", []string{"--format", "ledger"}, exitOK, []string{`2026-01-05 * Joe's "Diner"; Café  ; uid: bf-1`}, nil, ""},
		{"beancount", []string{"--format", "beancount"}, exitOK, []string{
			"2026-01-05 open Expenses:Food-Drink USD", `bankfeed_uid: "bf-3"`, `check: "1001"`,
		}, nil, ""},
		{"csv", []string{"--format", "csv", "--from", "2026-02-01"}, exitOK, []string{
			"uid,date,payee,memo,check,account,amount,currency,status\r\n",
			"bf-3,2026-02-01,Landlord,,1001,Assets:Bank:Checking,-900.00,USD,\r\n",
		}, []string{"bf-1"}, ""},
		{"qbo reuses the bank's FITIDs", []string{"--format", "qbo", "--intu-bid", "10898"}, exitOK, []string{
			"<INTU.BID>10898", "<BANKID>021000021", "<ACCTID>111", "<FITID>F1", "<FITID>F2",
			"<FITID>bf-3-", "<CHECKNUM>1001", "<BALAMT>-930.50",
		}, nil, ""},
		{"ofx of one account up to a date", []string{"--format", "ofx", "--account", "Assets:Bank:Checking", "--to", "2026-01-31"}, exitOK,
			[]string{"<FITID>F2", "<DTEND>20260131", "<BALAMT>-30.50"}, []string{"INTU.BID", "bf-3"}, ""},
		{"no format", nil, exitUsage, nil, nil, "--format is required"},
		{"unknown format", []string{"--format", "qif"}, exitUsage, nil, nil, `--format "qif": want one of hledger, ledger, beancount, csv, qbo, ofx`},
		{"bad from", []string{"--format", "csv", "--from", "2026-1-1"}, exitUsage, nil, nil, `--from "2026-1-1": want a date YYYY-MM-DD`},
		{"from after to", []string{"--format", "csv", "--from", "2026-02-01", "--to", "2026-01-01"}, exitUsage, nil, nil, "--from 2026-02-01 is after --to 2026-01-01"},
		{"bad intu bid", []string{"--format", "qbo", "--intu-bid", "bank"}, exitUsage, nil, nil, "--intu-bid"},
		{"unknown account", []string{"--format", "csv", "--account", "Assets:Nope"}, exitUsage, nil, nil, `--account "Assets:Nope"`},
		{"qbo of a category", []string{"--format", "qbo", "--account", "Expenses:Rent"}, exitFailure, nil, nil, "has no feed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := bankfeedIn(t, data, append([]string{"export"}, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.wantCode, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(stdout, w) {
					t.Errorf("output has %q:\n%s", w, stdout)
				}
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, stderr)
			}
		})
	}
}

func TestExportOutputFile(t *testing.T) {
	data := exportBooks(t)
	dir := t.TempDir()
	dst := filepath.Join(dir, "books.qbo")
	if err := os.WriteFile(dst, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A failed export leaves the file as it was.
	if code, _, stderr := bankfeedIn(t, data, "export", "--format", "qbo", "--account", "Expenses:Rent", "-o", dst); code != exitFailure {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got := string(mustRead(t, dst)); got != "old" {
		t.Errorf("a failed export changed the file: %q", got)
	}
	code, stdout, stderr := bankfeedIn(t, data, "export", "--format", "qbo", "-o", dst)
	if code != exitOK || stdout != "" {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	resp, err := ofx.Read(strings.NewReader(string(mustRead(t, dst))))
	if err != nil || len(resp.Statements) != 1 || resp.Statements[0].Count != 3 {
		t.Fatalf("read back: %v %+v", err, resp)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// The same books export the same bytes but for DTSERVER: QuickBooks
	// and the tools see nothing new.
	first := mustRead(t, dst)
	if code, _, stderr := bankfeedIn(t, data, "export", "--format", "qbo", "-o", dst); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if a, b := stripServerTime(string(first)), stripServerTime(string(mustRead(t, dst))); a != b {
		t.Errorf("a second export differs:\n%s\n---\n%s", a, b)
	}
}

// stripServerTime drops the DTSERVER line, the time of the export.
func stripServerTime(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "<DTSERVER>") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
