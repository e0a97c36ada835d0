package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

// feedLine is a line to write: days before today, and its amount.
type feedLine struct {
	ago    int
	amount string
}

// writeFeed writes an account's lines, and a statement balance as of
// anchorAgo days before today when balance is not "".
func writeFeed(t *testing.T, db *store.DB, number string, lines []feedLine, balance string, anchorAgo int) bankfeed.AccountID {
	t.Helper()
	ctx := t.Context()
	today := db.Now().In(time.Local)
	day := func(ago int) string { return today.AddDate(0, 0, -ago).Format(store.DateLayout) }
	var id bankfeed.AccountID
	err := db.Update(ctx, func(tx *store.Tx) error {
		in, err := tx.EnsureInstitution(ctx, "TESTBANK", "42", "")
		if err != nil {
			return err
		}
		a, _, err := tx.EnsureAccount(ctx, bankfeed.Account{InstitutionID: in.ID, Kind: bankfeed.KindBank, Type: "CHECKING",
			Number: number, Currency: "USD", Name: "Account " + number})
		if err != nil {
			return err
		}
		id = a.ID
		im := &bankfeed.Import{FileName: number + ".ofx", FileSHA256: "sha-" + number, FileSize: 1}
		if err := tx.CreateImport(ctx, im); err != nil {
			return err
		}
		lw, err := tx.NewLineWriter(ctx, a.ID, &im.ID, nil)
		if err != nil {
			return err
		}
		for i, l := range lines {
			err := lw.Add(ctx, &bankfeed.Line{FITID: number + "-" + strconvItoa(i), PostedOn: day(l.ago),
				Amount: bankfeed.MustDecimal(l.amount), Currency: "USD", Type: "OTHER", Name: "line"})
			if err != nil {
				return err
			}
		}
		if err := lw.Flush(ctx); err != nil {
			return err
		}
		if err := lw.Close(); err != nil {
			return err
		}
		if balance == "" {
			return nil
		}
		asOf, _ := time.ParseInLocation(store.DateLayout, day(anchorAgo), time.UTC)
		return tx.AddImportStatement(ctx, &bankfeed.ImportStatement{ImportID: im.ID, AccountID: &id, Kind: bankfeed.KindBank,
			Currency: "USD", StartOn: day(anchorAgo + 30), EndOn: day(anchorAgo),
			Ledger: &bankfeed.Balance{Amount: bankfeed.MustDecimal(balance), AsOf: asOf.Add(12 * time.Hour)}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestBalancesExact: the balance series, anchored to the bank's statement
// balance or summed from the first line, equals a hand sum to the cent
// (and to the tenth of a cent for an amount the bank gave so).
func TestBalancesExact(t *testing.T) {
	e := newTestEnv(t)
	anchored := writeFeed(t, e.db, "1001", []feedLine{
		{100, "5000.00"}, {50, "-0.10"}, {50, "-0.20"}, {10, "250.55"}, {10, "0.005"}, {0, "-19.99"},
	}, "1000.00", 20)
	summed := writeFeed(t, e.db, "2002", []feedLine{{200, "100.00"}, {5, "0.10"}, {5, "0.20"}}, "", 0)

	// Hand sums: the balance at the end of each day, by days before today.
	wantAnchored := func(ago int) string {
		switch {
		case ago >= 51:
			return "1000.30" // before the two debits of day 50
		case ago >= 11:
			return "1000.00" // the statement's balance, day 20
		case ago >= 1:
			return "1250.555"
		}
		return "1230.565"
	}
	wantSummed := func(ago int) string {
		if ago > 5 {
			return "100.00"
		}
		return "100.30"
	}
	wantTotal := func(ago int) string {
		return bankfeed.MustDecimal(wantAnchored(ago)).Add(bankfeed.MustDecimal(wantSummed(ago))).String()
	}
	viewer := e.signIn("viewer")
	var all balancesView
	decode(t, e.do(viewer, "GET", "/api/v1/balances?days=90", nil), http.StatusOK, &all)
	if len(all.Accounts) != 2 || len(all.Totals) != 1 {
		t.Fatalf("%d accounts, %d totals", len(all.Accounts), len(all.Totals))
	}
	tests := []struct {
		name string
		days []store.BalanceDay
		want func(ago int) string
	}{
		{"anchored", all.Accounts[0].Days, wantAnchored},
		{"summed", all.Accounts[1].Days, wantSummed},
		{"total", all.Totals[0].Days, wantTotal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.days) != 90 {
				t.Fatalf("%d days, want 90", len(tt.days))
			}
			for i, d := range tt.days {
				ago := 89 - i
				if want := bankfeed.MustDecimal(tt.want(ago)); !d.Balance.Equal(want) {
					t.Errorf("%s (%d days ago): %s, want %s", d.On, ago, d.Balance, want)
				}
			}
		})
	}
	if all.Accounts[0].AccountID != anchored || !all.Accounts[0].Anchored || all.Accounts[1].AccountID != summed || all.Accounts[1].Anchored {
		t.Errorf("accounts: %+v", all.Accounts)
	}
	// One account, a shorter window; amounts are JSON strings, not floats.
	res := e.do(viewer, "GET", "/api/v1/balances?account="+feedID(anchored)+"&days=3", nil)
	body := bodyOf(res)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"balance":"1230.565"`) || strings.Contains(body, "2002") {
		t.Errorf("one account: %s %s", res.Status, body)
	}
	for _, q := range []string{"days=0", "days=367", "days=x", "account=x", "account=0"} {
		res := e.do(viewer, "GET", "/api/v1/balances?"+q, nil)
		name, _, _ := strings.Cut(q, "=")
		if b := bodyOf(res); res.StatusCode != http.StatusBadRequest || !strings.Contains(b, name) {
			t.Errorf("?%s: %s %s", q, res.Status, b)
		}
	}
	decode(t, e.do(viewer, "GET", "/api/v1/balances?account=999", nil), http.StatusNotFound, nil)
	// The dashboard draws them.
	page := bodyOf(e.do(viewer, "GET", "/", nil))
	for _, w := range []string{"All accounts (USD)", "1,230.565", "feeds-chart-line", "No statement balance from the bank yet"} {
		if !strings.Contains(page, w) {
			t.Errorf("dashboard lacks %q", w)
		}
	}
}
