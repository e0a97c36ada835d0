// Package storetest is the conformance suite of the store: every engine the
// store runs on must pass it. store's tests run it on SQLite; PostgreSQL joins
// when BANKFEED_TEST_POSTGRES_URL is set (see PostgresURL).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

// PostgresURL is the PostgreSQL database the suite also runs on, or "".
func PostgresURL() string { return os.Getenv("BANKFEED_TEST_POSTGRES_URL") }

// Opener returns an empty store for one test, whose clock is now, and closes
// it when the test ends.
type Opener func(t *testing.T, now func() time.Time) *store.DB

// Clock is a settable clock for tests.
type Clock struct{ T time.Time }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return c.T }

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) { c.T = c.T.Add(d) }

// NewClock starts at 2026-03-01 09:30 UTC.
func NewClock() *Clock { return &Clock{T: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)} }

// Run runs every conformance test against stores from open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"Institutions", testInstitutions},
		{"Accounts", testAccounts},
		{"FindAccount", testFindAccount},
		{"Imports", testImports},
		{"ImportStatements", testImportStatements},
		{"LinesRoundTrip", testLinesRoundTrip},
		{"LineBatches", testLineBatches},
		{"LinesByID", testLinesByID},
		{"LookupAliases", testLookupAliases},
		{"LineFilter", testLineFilter},
		{"Rollback", testRollback},
		{"SyncRuns", testSyncRuns},
		{"ErrorCodes", testErrorCodes},
		{"ConnectionRoundTrip", testConnectionRoundTrip},
		{"CreateConnectionErrors", testCreateConnectionErrors},
		{"FindConnection", testFindConnection},
		{"LinkAccounts", testLinkAccounts},
		{"ConnectionFilter", testConnectionFilter},
		{"SetPassword", testSetPassword},
		{"ConnectionUpdates", testConnectionUpdates},
		{"ActionGen", testActionGen},
		{"DeleteConnection", testDeleteConnection},
		{"Cursors", testCursors},
		{"Circuits", testCircuits},
		{"SyncStart", testSyncStart},
		{"SyncStartsAtOnce", testSyncStartsAtOnce},
		{"Attempts", testAttempts},
		{"Leases", testLeases},
		{"LineCounts", testLineCounts},
		{"SyncRunFields", testSyncRunFields},
		{"FindSyncRuns", testFindSyncRuns},
		{"Deadlines", testDeadlines},
		{"DeadlineNext", testDeadlineNext},
		{"Notifications", testNotifications},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// seed creates an institution and a bank account in db.
func seed(t *testing.T, db *store.DB, number string) *bankfeed.Account {
	t.Helper()
	var acct *bankfeed.Account
	err := db.Update(context.Background(), func(tx *store.Tx) error {
		inst, err := tx.EnsureInstitution(context.Background(), "B1", "10898", "")
		if err != nil {
			return err
		}
		acct, _, err = tx.EnsureAccount(context.Background(), bankfeed.Account{
			InstitutionID: inst.ID, Kind: bankfeed.KindBank, Type: "CHECKING", BankID: "021000021",
			Number: number, Currency: "USD",
		})
		return err
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return acct
}

func testInstitutions(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	var a, b, c, d, unknown *bankfeed.Institution
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		if a, err = tx.EnsureInstitution(ctx, "B1", "10898", ""); err != nil {
			return err
		}
		if b, err = tx.EnsureInstitution(ctx, "B1", "10898", ""); err != nil {
			return err
		}
		if c, err = tx.EnsureInstitution(ctx, "B1", "10898", "3000"); err != nil {
			return err
		}
		if d, err = tx.EnsureInstitution(ctx, "", "", "3000"); err != nil {
			return err
		}
		unknown, err = tx.EnsureInstitution(ctx, "", "", "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID {
		t.Errorf("same key, ids %d and %d", a.ID, b.ID)
	}
	if a.ID != c.ID {
		t.Errorf("ORG and FID name the bank: with an INTU.BID too (a .qfx download), ids %d and %d", a.ID, c.ID)
	}
	if d.ID == a.ID || d.Key != "intu_bid=3000" {
		t.Errorf("INTU.BID alone must tell institutions apart: %+v", d)
	}
	if unknown.Key != "" || unknown.Name != "unknown" {
		t.Errorf("unknown institution = %+v", unknown)
	}
	if !a.CreatedAt.Equal(clock.T) {
		t.Errorf("created_at %v, want the injected clock %v", a.CreatedAt, clock.T)
	}
	all, err := db.Institutions(ctx)
	if err != nil || len(all) != 3 {
		t.Fatalf("Institutions = %d, %v; want 3", len(all), err)
	}
	if all[0].Key != "org=B1;fid=10898" || all[0].Org != "B1" || all[0].FID != "10898" {
		t.Errorf("institution read back as %+v", all[0])
	}
}

func testAccounts(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t, NewClock().Now)
	a := seed(t, db, "1234567890")
	var again, card *bankfeed.Account
	var created1, created2 bool
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		again, created1, err = tx.EnsureAccount(ctx, bankfeed.Account{InstitutionID: a.InstitutionID,
			Kind: bankfeed.KindBank, BankID: "021000021", Number: "1234567890", Currency: "EUR", Name: "renamed"})
		if err != nil {
			return err
		}
		card, created2, err = tx.EnsureAccount(ctx, bankfeed.Account{InstitutionID: a.InstitutionID,
			Kind: bankfeed.KindCreditCard, Number: "1234567890", Currency: "USD"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if created1 || again.ID != a.ID || again.Currency != "USD" || again.Name != "" {
		t.Errorf("existing account: created=%v %+v; want account %d unchanged", created1, again, a.ID)
	}
	if !created2 || card.ID == a.ID {
		t.Errorf("a card with the same number is another account: created=%v id %d", created2, card.ID)
	}
	got, err := db.Account(ctx, a.ID)
	if err != nil || got.Number != "1234567890" || got.Type != "CHECKING" || got.BankID != "021000021" {
		t.Errorf("Account = %+v, %v", got, err)
	}
	if _, err := db.Account(ctx, 999); bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound {
		t.Errorf("missing account: %v, want not_found", err)
	}
	list, err := db.Accounts(ctx, bankfeed.AccountFilter{})
	if err != nil || len(list) != 2 {
		t.Fatalf("Accounts = %d, %v", len(list), err)
	}
	if list[0].Institution != "B1" || list[0].Lines != 0 {
		t.Errorf("summary %+v", list[0])
	}
	id := card.ID
	list, err = db.Accounts(ctx, bankfeed.AccountFilter{ID: &id})
	if err != nil || len(list) != 1 || list[0].ID != card.ID {
		t.Errorf("Accounts(ID) = %v, %v", list, err)
	}
}

func testFindAccount(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t, NewClock().Now)
	a := seed(t, db, "555")
	b := seed(t, db, "777")
	tests := []struct {
		name, ref string
		want      bankfeed.AccountID
		wantCode  bankfeed.ErrorCode
	}{
		{"by id", fmt.Sprint(a.ID), a.ID, ""},
		{"by number", "777", b.ID, ""},
		{"unknown", "12345", 0, bankfeed.ENotFound},
		{"empty", " ", 0, bankfeed.EInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.FindAccount(ctx, tc.ref)
			if code := bankfeed.ErrorCodeOf(err); code != tc.wantCode {
				t.Fatalf("err = %v, want code %q", err, tc.wantCode)
			}
			if err == nil && got.ID != tc.want {
				t.Errorf("id %d, want %d", got.ID, tc.want)
			}
		})
	}
}

func testImports(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	first := &bankfeed.Import{FileName: "a.qfx", FileSize: 10}
	err := db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.CreateImport(ctx, first); err != nil {
			return err
		}
		first.FileSHA256 = "abc"
		first.ImportCounts = bankfeed.ImportCounts{New: 3, Duplicate: 1, Collisions: 1, Skipped: 2, Warnings: 4}
		clock.Advance(time.Second)
		return tx.FinishImport(ctx, first)
	})
	if err != nil {
		t.Fatal(err)
	}
	var earlier, none *bankfeed.Import
	err = db.Update(ctx, func(tx *store.Tx) error {
		second := &bankfeed.Import{FileName: "b.qfx"}
		if err := tx.CreateImport(ctx, second); err != nil {
			return err
		}
		if earlier, err = tx.EarlierImport(ctx, "abc", second.ID); err != nil {
			return err
		}
		none, err = tx.EarlierImport(ctx, "def", second.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if earlier == nil || earlier.ID != first.ID || earlier.New != 3 || !earlier.FinishedAt.Equal(clock.T) {
		t.Errorf("EarlierImport = %+v, want import %d finished %v", earlier, first.ID, clock.T)
	}
	if none != nil {
		t.Errorf("EarlierImport of an unknown hash = %+v", none)
	}
	all, err := db.Imports(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("Imports = %d, %v", len(all), err)
	}
	if all[0].ImportCounts != first.ImportCounts || all[0].FileSHA256 != "abc" || all[0].FileSize != 10 {
		t.Errorf("import read back as %+v", all[0])
	}
	if !all[1].FinishedAt.IsZero() {
		t.Errorf("unfinished import has finished_at %v", all[1].FinishedAt)
	}
}

func testImportStatements(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t, NewClock().Now)
	a := seed(t, db, "1")
	asOf := time.Date(2026, 1, 31, 17, 0, 0, 0, time.UTC)
	im := &bankfeed.Import{FileName: "x.ofx"}
	want := []*bankfeed.ImportStatement{
		{Index: 0, AccountID: &a.ID, Kind: bankfeed.KindBank, Currency: "USD", StartOn: "2026-01-01", EndOn: "2026-01-31",
			Ledger:       &bankfeed.Balance{Amount: bankfeed.MustDecimal("-1234.50"), AsOf: asOf},
			Available:    &bankfeed.Balance{Amount: bankfeed.MustDecimal("100.00")},
			Transactions: 7, ImportCounts: bankfeed.ImportCounts{New: 5, Duplicate: 1, Skipped: 1}},
		{Index: 1, Kind: bankfeed.KindCreditCard, StatusCode: 2000},
	}
	err := db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.CreateImport(ctx, im); err != nil {
			return err
		}
		for _, s := range want {
			s.ImportID = im.ID
			if err := tx.AddImportStatement(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.ImportStatements(ctx, im.ID)
	if err != nil || len(got) != 2 {
		t.Fatalf("ImportStatements = %d, %v", len(got), err)
	}
	g := got[0]
	if *g.AccountID != a.ID || g.StartOn != "2026-01-01" || g.EndOn != "2026-01-31" || g.Transactions != 7 ||
		g.ImportCounts != want[0].ImportCounts || g.Ledger.Amount.String() != "-1234.50" || !g.Ledger.AsOf.Equal(asOf) ||
		g.Available.Amount.String() != "100.00" || !g.Available.AsOf.IsZero() {
		t.Errorf("statement 0 read back as %+v", g)
	}
	if got[1].AccountID != nil || got[1].Ledger != nil || got[1].StatusCode != 2000 || got[1].StartOn != "" {
		t.Errorf("statement 1 read back as %+v", got[1])
	}
}

// writeLines writes lines for account in one import and returns the import.
func writeLines(t *testing.T, db *store.DB, acct bankfeed.AccountID, lines []bankfeed.Line) bankfeed.ImportID {
	t.Helper()
	ctx := context.Background()
	im := &bankfeed.Import{FileName: "lines.ofx"}
	err := db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.CreateImport(ctx, im); err != nil {
			return err
		}
		w, err := tx.NewLineWriter(ctx, acct, &im.ID, nil)
		if err != nil {
			return err
		}
		defer w.Close()
		for i := range lines {
			if err := w.Add(ctx, &lines[i]); err != nil {
				return err
			}
		}
		return w.Flush(ctx)
	})
	if err != nil {
		t.Fatalf("write lines: %v", err)
	}
	return im.ID
}

func testLinesRoundTrip(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	a := seed(t, db, "1")
	posted := time.Date(2026, 1, 2, 12, 30, 0, 0, time.FixedZone("EST", -5*3600))
	in := []bankfeed.Line{
		{FITID: "F1", PostedOn: "2026-01-02", PostedAt: posted, Amount: bankfeed.MustDecimal("-3.77000"),
			Currency: "USD", Type: "DEBIT", Name: "CAFÉ DU MONDE", Memo: "NEW ORLEANS LA"},
		{FITID: "F2", Aliases: []string{"F2", "SRV-2"}, PostedOn: "2026-01-03", UserOn: "2026-01-01",
			Amount: bankfeed.MustDecimal("1000000000000000000000.01"), Currency: "USD", Type: "CHECK",
			CheckNum: "1001", RefNum: "R9", Collision: true},
		{FITID: "F3", PostedOn: "2026-01-04", Amount: bankfeed.MustDecimal("12"), Currency: "JPY", Type: "BUYSTOCK",
			SecurityID: "037833100", Units: "10", UnitPrice: "187.25"},
	}
	imp := writeLines(t, db, a.ID, in)
	got, err := db.Lines(ctx, bankfeed.LineFilter{AccountID: a.ID})
	if err != nil || len(got) != 3 {
		t.Fatalf("Lines = %d, %v", len(got), err)
	}
	for i, g := range got {
		w := in[i]
		if g.ID != w.ID || g.AccountID != a.ID || g.ImportID == nil || *g.ImportID != imp || g.SyncRunID != nil ||
			g.FITID != w.FITID || g.PostedOn != w.PostedOn || !g.PostedAt.Equal(w.PostedAt) || g.UserOn != w.UserOn ||
			g.Amount.String() != w.Amount.String() || g.Currency != w.Currency || g.Type != w.Type || g.Name != w.Name ||
			g.Memo != w.Memo || g.CheckNum != w.CheckNum || g.RefNum != w.RefNum || g.SecurityID != w.SecurityID ||
			g.Units != w.Units || g.UnitPrice != w.UnitPrice || g.Collision != w.Collision || !g.CreatedAt.Equal(clock.T) {
			t.Errorf("line %d read back as\n%+v\nwant\n%+v", i, *g, w)
		}
	}
	if got[1].ID != got[0].ID+1 || got[2].ID != got[1].ID+1 {
		t.Errorf("ids %d %d %d: want consecutive in the order written", got[0].ID, got[1].ID, got[2].ID)
	}
	if !got[0].PostedAt.Equal(posted) || got[0].PostedAt.Location() != time.UTC {
		t.Errorf("posted_at %v: want the same instant in UTC", got[0].PostedAt)
	}
	counts, err := db.TableCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts["lines"] != 3 || counts["line_aliases"] != 1 {
		t.Errorf("counts %v: want 3 lines and 1 alias (SRV-2; FITIDs are the lines' own)", counts)
	}
}

// manyLines makes n lines, every seventh one with a check number so both
// statement shapes are used.
func manyLines(n int, prefix string) []bankfeed.Line {
	lines := make([]bankfeed.Line, n)
	for i := range lines {
		lines[i] = bankfeed.Line{FITID: fmt.Sprintf("%s%06d", prefix, i), PostedOn: fmt.Sprintf("2026-01-%02d", 1+i%28),
			Amount: bankfeed.NewDecimal(int64(-i), 2), Currency: "USD", Type: "DEBIT", Name: "N", Memo: "M"}
		if i%7 == 0 {
			lines[i].CheckNum = fmt.Sprint(i)
		}
	}
	return lines
}

func testLineBatches(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	a := seed(t, db, "1")
	const n = 1234 // two full batches of the lean shape, remainders of both
	in := manyLines(n, "B")
	imp1 := writeLines(t, db, a.ID, in)
	more := manyLines(3, "C")
	imp2 := writeLines(t, db, a.ID, more)
	if more[0].ID != in[n-1].ID+1 {
		t.Errorf("second import starts at id %d, want %d", more[0].ID, in[n-1].ID+1)
	}
	seen := map[bankfeed.LineID]string{}
	err := db.EachLine(ctx, bankfeed.LineFilter{AccountID: a.ID}, func(l *bankfeed.Line) error {
		// The writer's constants, in full batches and in the remainders'
		// statements alike.
		imp := imp1
		if l.ID > in[n-1].ID {
			imp = imp2
		}
		if l.AccountID != a.ID || l.ImportID == nil || *l.ImportID != imp || l.SyncRunID != nil || !l.CreatedAt.Equal(clock.T) {
			t.Errorf("line %d: account %d, import %v, run %v, created %v; want %d, %d, none, %v",
				l.ID, l.AccountID, l.ImportID, l.SyncRunID, l.CreatedAt, a.ID, imp, clock.T)
		}
		seen[l.ID] = l.FITID + " " + l.Amount.String() + " " + l.CheckNum
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != n+3 {
		t.Fatalf("%d lines stored, want %d", len(seen), n+3)
	}
	if got := lineCount(t, db, a.ID); got != n+3 {
		t.Errorf("the account counts %d lines, want %d", got, n+3)
	}
	for _, l := range append(in, more...) {
		if want := l.FITID + " " + l.Amount.String() + " " + l.CheckNum; seen[l.ID] != want {
			t.Fatalf("line %d = %q, want %q", l.ID, seen[l.ID], want)
		}
	}
}

func testLookupAliases(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t, NewClock().Now)
	a := seed(t, db, "1")
	b := seed(t, db, "2")
	in := manyLines(700, "L")
	in[5].Aliases = []string{"EXTRA"}
	writeLines(t, db, a.ID, in)
	writeLines(t, db, b.ID, manyLines(10, "L")) // same ids, other account
	var ask []string
	for i := 0; i < 700; i += 2 {
		ask = append(ask, in[i].FITID)
	}
	ask = append(ask, "EXTRA", "NOPE")
	got := map[string][]store.AliasMatch{}
	var has, hasNot bool
	err := db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if has, err = tx.HasLines(ctx, a.ID); err != nil {
			return err
		}
		c := seed2(ctx, tx, a.InstitutionID)
		if hasNot, err = tx.HasLines(ctx, c); err != nil {
			return err
		}
		if err := tx.MarkCollisions(ctx, []bankfeed.LineID{in[2].ID}); err != nil {
			return err
		}
		return tx.LookupAliases(ctx, a.ID, ask, func(m store.AliasMatch) error {
			got[m.Alias] = append(got[m.Alias], m)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if !has || hasNot {
		t.Errorf("HasLines = %v, %v; want true, false", has, hasNot)
	}
	if len(got) != 351 {
		t.Errorf("%d aliases found, want 351 (350 FITIDs and EXTRA)", len(got))
	}
	for i := 0; i < 700; i += 2 {
		m := got[in[i].FITID]
		if len(m) != 1 || m[0].LineID != in[i].ID || !m[0].Amount.Equal(in[i].Amount) {
			t.Fatalf("lookup %s = %+v, want line %d", in[i].FITID, m, in[i].ID)
		}
	}
	if m := got["EXTRA"]; len(m) != 1 || m[0].LineID != in[5].ID {
		t.Errorf("EXTRA = %+v, want line %d", m, in[5].ID)
	}
	lines, _ := db.Lines(ctx, bankfeed.LineFilter{AccountID: a.ID, Limit: 700})
	for _, l := range lines {
		if l.Collision != (l.ID == in[2].ID) {
			t.Errorf("line %d collision = %v", l.ID, l.Collision)
		}
	}
}

// seed2 creates a second, empty account inside tx.
func seed2(ctx context.Context, tx *store.Tx, inst bankfeed.InstitutionID) bankfeed.AccountID {
	a, _, err := tx.EnsureAccount(ctx, bankfeed.Account{InstitutionID: inst, Kind: bankfeed.KindBank, Number: "empty"})
	if err != nil {
		panic(err)
	}
	return a.ID
}

func testLineFilter(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t, NewClock().Now)
	a := seed(t, db, "1")
	b := seed(t, db, "2")
	writeLines(t, db, a.ID, manyLines(56, "A")) // two of each day 1..28
	writeLines(t, db, b.ID, manyLines(5, "B"))
	tests := []struct {
		name    string
		f       bankfeed.LineFilter
		want    int
		first   string
		wantErr bankfeed.ErrorCode
	}{
		{"all of a", bankfeed.LineFilter{AccountID: a.ID}, 56, "2026-01-01", ""},
		{"since", bankfeed.LineFilter{AccountID: a.ID, Since: "2026-01-27"}, 4, "2026-01-27", ""},
		{"limit", bankfeed.LineFilter{AccountID: a.ID, Limit: 3}, 3, "2026-01-01", ""},
		{"since and limit", bankfeed.LineFilter{AccountID: a.ID, Since: "2026-01-10", Limit: 5}, 5, "2026-01-10", ""},
		{"other account", bankfeed.LineFilter{AccountID: b.ID}, 5, "2026-01-01", ""},
		{"bad since", bankfeed.LineFilter{AccountID: a.ID, Since: "10/01/2026"}, 0, "", bankfeed.EInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.Lines(ctx, tc.f)
			if code := bankfeed.ErrorCodeOf(err); code != tc.wantErr {
				t.Fatalf("err %v, want code %q", err, tc.wantErr)
			}
			if len(got) != tc.want {
				t.Fatalf("%d lines, want %d", len(got), tc.want)
			}
			if len(got) > 0 && got[0].PostedOn != tc.first {
				t.Errorf("first line on %s, want %s", got[0].PostedOn, tc.first)
			}
			for i := 1; i < len(got); i++ {
				if got[i].PostedOn < got[i-1].PostedOn {
					t.Errorf("lines out of date order at %d", i)
				}
			}
		})
	}
}

func testLinesByID(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t, NewClock().Now)
	a := seed(t, db, "1")
	in := manyLines(3, "L")
	writeLines(t, db, a.ID, in)
	err := db.Update(ctx, func(tx *store.Tx) error {
		return tx.PutReviews(ctx, []*bankfeed.Review{{LineID: in[1].ID, AccountID: a.ID, State: bankfeed.ReviewExcluded}})
	})
	if err != nil {
		t.Fatal(err)
	}
	lines, reviews, err := db.LinesByID(ctx, []bankfeed.LineID{in[0].ID, in[1].ID, in[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[in[0].ID].FITID != in[0].FITID || lines[in[1].ID].Amount.String() != in[1].Amount.String() {
		t.Errorf("lines read back as %v", lines)
	}
	if len(reviews) != 1 || reviews[in[1].ID] == nil || reviews[in[1].ID].State != bankfeed.ReviewExcluded {
		t.Errorf("reviews read back as %v", reviews)
	}
	if _, _, err := db.LinesByID(ctx, []bankfeed.LineID{in[2].ID + 100}); bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound {
		t.Errorf("a missing line: %v, want not found", err)
	}
}

// lineCount is the line count the account list shows for acct.
func lineCount(t *testing.T, db *store.DB, acct bankfeed.AccountID) int64 {
	t.Helper()
	list, err := db.Accounts(context.Background(), bankfeed.AccountFilter{ID: &acct})
	if err != nil || len(list) != 1 {
		t.Fatalf("Accounts(%d) = %v, %v", acct, list, err)
	}
	return list[0].Lines
}

func testRollback(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t, NewClock().Now)
	a := seed(t, db, "1")
	before, err := db.TableCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = db.Update(ctx, func(tx *store.Tx) error {
		im := &bankfeed.Import{FileName: "half.ofx"}
		if err := tx.CreateImport(ctx, im); err != nil {
			return err
		}
		if _, err := tx.EnsureInstitution(ctx, "NEW", "1", ""); err != nil {
			return err
		}
		w, err := tx.NewLineWriter(ctx, a.ID, &im.ID, nil)
		if err != nil {
			return err
		}
		defer w.Close()
		for _, l := range manyLines(1200, "R") {
			if err := w.Add(ctx, &l); err != nil {
				return err
			}
		}
		if err := w.Flush(ctx); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	if got := lineCount(t, db, a.ID); got != 0 {
		t.Errorf("the account counts %d lines after a rolled back write, want 0", got)
	}
	after, err := db.TableCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range store.Tables {
		if before[table] != after[table] {
			t.Errorf("%s: %d rows before, %d after a rolled back transaction", table, before[table], after[table])
		}
	}
}

func testSyncRuns(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	a := seed(t, db, "1")
	r := &bankfeed.SyncRun{AccountID: a.ID}
	if err := db.CreateSyncRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	clock.Advance(3 * time.Second)
	r.Outcome, r.FailureClass, r.HTTPStatus, r.OFXStatus, r.Error = "failed", "server_down", 503, "2000 ERROR", "bank said no"
	r.ImportCounts = bankfeed.ImportCounts{Warnings: 1}
	if err := db.FinishSyncRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	r2 := &bankfeed.SyncRun{AccountID: a.ID}
	if err := db.CreateSyncRun(ctx, r2); err != nil {
		t.Fatal(err)
	}
	got, err := db.SyncRun(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Outcome != "failed" || got.FailureClass != "server_down" || got.HTTPStatus != 503 || got.OFXStatus != "2000 ERROR" ||
		got.Error != "bank said no" || got.Warnings != 1 || got.FinishedAt == nil || !got.FinishedAt.Equal(clock.T) ||
		!got.StartedAt.Equal(clock.T.Add(-3*time.Second)) {
		t.Errorf("sync run read back as %+v", got)
	}
	list, err := db.SyncRuns(ctx, a.ID, 0)
	if err != nil || len(list) != 2 || list[0].ID != r2.ID || list[0].Outcome != "running" || list[0].FinishedAt != nil {
		t.Errorf("SyncRuns = %v, %v; want the running one first", list, err)
	}
	if _, err := db.SyncRun(ctx, 999); bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound {
		t.Errorf("missing run: %v", err)
	}
	// Lines can come from a run instead of an import.
	err = db.Update(ctx, func(tx *store.Tx) error {
		w, err := tx.NewLineWriter(ctx, a.ID, nil, &r2.ID)
		if err != nil {
			return err
		}
		defer w.Close()
		l := manyLines(1, "S")[0]
		if err := w.Add(ctx, &l); err != nil {
			return err
		}
		return w.Flush(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	lines, err := db.Lines(ctx, bankfeed.LineFilter{AccountID: a.ID})
	if err != nil || len(lines) != 1 || lines[0].SyncRunID == nil || *lines[0].SyncRunID != r2.ID || lines[0].ImportID != nil {
		t.Errorf("line of a sync run read back as %+v, %v", lines, err)
	}
}

func testErrorCodes(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t, NewClock().Now)
	err := db.Update(ctx, func(tx *store.Tx) error {
		_, _, err := tx.EnsureAccount(ctx, bankfeed.Account{InstitutionID: 12345, Kind: bankfeed.KindBank, Number: "1"})
		return err
	})
	if code := bankfeed.ErrorCodeOf(err); code != bankfeed.ENotFound {
		t.Errorf("account of a missing institution: %v (code %q), want not_found", err, code)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, _, err := tx.EnsureAccount(ctx, bankfeed.Account{InstitutionID: 1, Kind: "savings", Number: "1"})
		return err
	})
	if code := bankfeed.ErrorCodeOf(err); code != bankfeed.EInvalid && code != bankfeed.ENotFound {
		t.Errorf("account of an unknown kind: %v (code %q), want invalid", err, code)
	}
	if err := db.FinishSyncRun(ctx, &bankfeed.SyncRun{ID: 42, Outcome: "ok"}); bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound {
		t.Errorf("finish a missing run: %v", err)
	}
}
