package books

import (
	"context"
	"fmt"
	"slices"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/export"
	"github.com/bankfeed/bankfeed/internal/store"
)

// ExportBooks reads what an export needs: the chart, the entries up to `to`
// (all of them, for the balances of qbo and ofx), and for qbo and ofx the
// feeds behind the accounts and their lines, for BANKID, ACCTID and FITID.
// account, when given, is a ledger account's full name; one not in the
// chart is invalid.
func ExportBooks(ctx context.Context, db *store.DB, format, account, to string) (*export.Books, error) {
	accounts, err := db.LedgerAccounts(ctx)
	if err != nil {
		return nil, err
	}
	filter := bankfeed.EntryFilter{To: to}
	if account != "" {
		i := slices.IndexFunc(accounts, func(a *bankfeed.LedgerAccount) bool { return a.Name == account })
		if i < 0 {
			return nil, bankfeed.Errorf(bankfeed.EInvalid, "account %q: no ledger account has that name", account)
		}
		filter.AccountID = accounts[i].ID
	}
	entries, err := db.Entries(ctx, filter)
	if err != nil {
		return nil, err
	}
	b := &export.Books{Accounts: accounts, Entries: entries,
		Feeds: map[bankfeed.AccountID]*bankfeed.Account{}, Lines: map[bankfeed.LineID]*bankfeed.Line{}}
	if format != "qbo" && format != "ofx" {
		return b, nil
	}
	for _, a := range accounts {
		if a.FeedAccountID == nil || (account != "" && a.Name != account) {
			continue
		}
		id := *a.FeedAccountID
		if b.Feeds[id], err = db.Account(ctx, id); err != nil {
			return nil, fmt.Errorf("read the feed of %s: %w", a.Name, err)
		}
		lines, err := db.Lines(ctx, bankfeed.LineFilter{AccountID: id})
		if err != nil {
			return nil, fmt.Errorf("read the lines of %s: %w", a.Name, err)
		}
		for _, l := range lines {
			b.Lines[l.ID] = l
		}
	}
	return b, nil
}
