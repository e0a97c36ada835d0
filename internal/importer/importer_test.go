package importer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/importer"
	"github.com/bankfeed/bankfeed/internal/ofx"
	"github.com/bankfeed/bankfeed/internal/store"
)

var (
	a1 = txn{fitid: "A1", date: "20260105", amount: "-10.00", name: "COFFEE"}
	a2 = txn{fitid: "A2", date: "20260106", amount: "-20.00", name: "BOOKS"}
	a3 = txn{fitid: "A3", date: "20260107", amount: "1500.00", name: "PAYROLL"}
	a4 = txn{fitid: "A4", date: "20260108", amount: "-7.25", name: "BUS"}
)

func bank(txns ...txn) []byte { return ofxFile(stmt{acct: "1234567890", txns: txns}) }

// TestDedupe imports earlier files, then the last one, and checks what the
// last import reports and what the store then holds.
func TestDedupe(t *testing.T) {
	tests := []struct {
		name      string
		earlier   [][]byte
		in        []byte
		want      bankfeed.ImportCounts // of the last import, warnings aside
		wantLines []string              // every stored line afterwards
	}{
		{
			name:      "new file",
			in:        bank(a1, a2),
			want:      bankfeed.ImportCounts{New: 2},
			wantLines: []string{"A1 -10.00 2026-01-05", "A2 -20.00 2026-01-06"},
		},
		{
			name:      "re-import adds nothing",
			earlier:   [][]byte{bank(a1, a2)},
			in:        bank(a1, a2),
			want:      bankfeed.ImportCounts{Duplicate: 2},
			wantLines: []string{"A1 -10.00 2026-01-05", "A2 -20.00 2026-01-06"},
		},
		{
			name:    "overlapping file adds only what is new",
			earlier: [][]byte{bank(a1, a2, a3)},
			in:      bank(a2, a3, a4),
			want:    bankfeed.ImportCounts{New: 1, Duplicate: 2},
			wantLines: []string{"A1 -10.00 2026-01-05", "A2 -20.00 2026-01-06", "A3 1500.00 2026-01-07",
				"A4 -7.25 2026-01-08"},
		},
		{
			name:      "same FITID, amount and date twice in one file",
			in:        bank(a1, a1),
			want:      bankfeed.ImportCounts{New: 1, Duplicate: 1},
			wantLines: []string{"A1 -10.00 2026-01-05"},
		},
		{
			name:      "in-file collision: same FITID, amount and date, another payee",
			in:        bank(a1, txn{fitid: "A1", date: "20260105", amount: "-10.00", name: "BAKERY"}),
			want:      bankfeed.ImportCounts{New: 2, Collisions: 1},
			wantLines: []string{"A1 -10.00 2026-01-05 !", "A1 -10.00 2026-01-05 !"},
		},
		{
			name:      "in-file collision: same FITID, another amount",
			in:        bank(a1, txn{fitid: "A1", date: "20260105", amount: "-99.00"}),
			want:      bankfeed.ImportCounts{New: 2, Collisions: 1},
			wantLines: []string{"A1 -10.00 2026-01-05 !", "A1 -99.00 2026-01-05 !"},
		},
		{
			name:      "in-file collision: same FITID, another date",
			in:        bank(a1, txn{fitid: "A1", date: "20260109", amount: "-10.00"}),
			want:      bankfeed.ImportCounts{New: 2, Collisions: 1},
			wantLines: []string{"A1 -10.00 2026-01-05 !", "A1 -10.00 2026-01-09 !"},
		},
		{
			name:      "re-importing a file with a collision adds nothing",
			earlier:   [][]byte{bank(a1, txn{fitid: "A1", date: "20260105", amount: "-99.00"})},
			in:        bank(a1, txn{fitid: "A1", date: "20260105", amount: "-99.00"}),
			want:      bankfeed.ImportCounts{Duplicate: 2},
			wantLines: []string{"A1 -10.00 2026-01-05 !", "A1 -99.00 2026-01-05 !"},
		},
		{
			name:      "cross-import collision: FITID reused for another amount",
			earlier:   [][]byte{bank(a1)},
			in:        bank(txn{fitid: "A1", date: "20260120", amount: "-55.00"}),
			want:      bankfeed.ImportCounts{New: 1, Collisions: 1},
			wantLines: []string{"A1 -10.00 2026-01-05", "A1 -55.00 2026-01-20 !"},
		},
		{
			name:      "a later import may re-date a line: same FITID and amount is a duplicate",
			earlier:   [][]byte{bank(a1)},
			in:        bank(txn{fitid: "A1", date: "20260107", amount: "-10.00"}),
			want:      bankfeed.ImportCounts{Duplicate: 1},
			wantLines: []string{"A1 -10.00 2026-01-05"},
		},
		{
			name:      "amounts compare as numbers",
			earlier:   [][]byte{bank(a1)},
			in:        bank(txn{fitid: "A1", date: "20260105", amount: "-10.0000"}),
			want:      bankfeed.ImportCounts{Duplicate: 1},
			wantLines: []string{"A1 -10.00 2026-01-05"},
		},
		{
			name: "lines without usable amount or date are skipped",
			in: bank(a1, txn{fitid: "S1", date: "20260105", amount: "-"}, txn{fitid: "S2", date: "-", amount: "1.00"},
				txn{fitid: "S3", date: "20261345", amount: "1.00"}, txn{fitid: "S4", date: "20260105", amount: "abc"}),
			want:      bankfeed.ImportCounts{New: 1, Skipped: 4},
			wantLines: []string{"A1 -10.00 2026-01-05"},
		},
		{
			name:      "FITIDs are per account",
			earlier:   [][]byte{ofxFile(stmt{acct: "999", txns: []txn{a1}})},
			in:        bank(a1),
			want:      bankfeed.ImportCounts{New: 1},
			wantLines: []string{"A1 -10.00 2026-01-05", "A1 -10.00 2026-01-05"},
		},
		{
			name:      "a card and a bank account with one number are two accounts",
			earlier:   [][]byte{ofxFile(stmt{kind: "card", acct: "1234567890", txns: []txn{a1}})},
			in:        bank(a1),
			want:      bankfeed.ImportCounts{New: 1},
			wantLines: []string{"A1 -10.00 2026-01-05", "A1 -10.00 2026-01-05"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			for i, f := range tc.earlier {
				e.mustImport(fmt.Sprintf("earlier%d.ofx", i), f)
			}
			res := e.mustImport("in.ofx", tc.in)
			got := res.Counts
			got.Warnings = 0
			if got != tc.want {
				t.Errorf("counts %+v, want %+v", got, tc.want)
			}
			if g := e.lines(); join(g) != join(tc.wantLines) {
				t.Errorf("stored lines:\n%s\nwant:\n%s", join(g), join(tc.wantLines))
			}
			if len(res.Collisions) != tc.want.Collisions {
				t.Errorf("%d collisions reported, want %d: %+v", len(res.Collisions), tc.want.Collisions, res.Collisions)
			}
			if len(res.Skipped) != tc.want.Skipped {
				t.Errorf("%d skips reported, want %d: %+v", len(res.Skipped), tc.want.Skipped, res.Skipped)
			}
			var st bankfeed.ImportCounts
			for _, s := range res.Statements {
				st.Add(s.Counts)
			}
			st.Warnings = 0
			if st != tc.want {
				t.Errorf("statement counts add up to %+v, want %+v", st, tc.want)
			}
		})
	}
}

func TestReimportSaysAlreadyImported(t *testing.T) {
	e := newEnv(t)
	data := bank(a1, a2, a3)
	first := e.mustImport("jan.ofx", data)
	if first.AlreadyImported != nil {
		t.Errorf("first import: already imported %+v", first.AlreadyImported)
	}
	again := e.mustImport("jan-copy.ofx", data)
	if again.AlreadyImported == nil || again.AlreadyImported.ID != first.ImportID {
		t.Fatalf("second import: AlreadyImported = %+v, want import %d", again.AlreadyImported, first.ImportID)
	}
	if again.Counts.New != 0 || again.Counts.Duplicate != 3 || again.SHA256 != first.SHA256 || again.Size != int64(len(data)) {
		t.Errorf("second import: %+v", again)
	}
	imports, err := e.db.Imports(context.Background())
	if err != nil || len(imports) != 2 || imports[1].Duplicate != 3 || imports[1].FileSHA256 != first.SHA256 {
		t.Errorf("imports %+v, %v", imports, err)
	}
}

func TestCollisionReport(t *testing.T) {
	e := newEnv(t)
	e.mustImport("a.ofx", bank(a1))
	res := e.mustImport("b.ofx", bank(a2, txn{fitid: "A2", date: "20260106", amount: "-21.00"}, txn{fitid: "A1", date: "20260105", amount: "-11.00"}))
	if len(res.Collisions) != 2 {
		t.Fatalf("collisions %+v", res.Collisions)
	}
	inFile, cross := res.Collisions[0], res.Collisions[1]
	if !inFile.SameFile || inFile.FITID != "A2" || inFile.Amount.String() != "-21.00" || inFile.OtherAmount.String() != "-20.00" ||
		inFile.OtherLineID == 0 || inFile.LineID == 0 || inFile.Line == 0 {
		t.Errorf("in-file collision %+v", inFile)
	}
	if cross.SameFile || cross.FITID != "A1" || cross.OtherAmount.String() != "-10.00" || cross.OtherPostedOn != "2026-01-05" {
		t.Errorf("cross-import collision %+v", cross)
	}
}

func TestMissingFITID(t *testing.T) {
	e := newEnv(t)
	coffee := txn{date: "20260105", amount: "-3.50", name: "COFFEE"}
	data := bank(coffee, coffee, txn{date: "20260105", amount: "-3.50", name: "TEA"})
	res := e.mustImport("nofitid.ofx", data)
	if res.Counts.New != 3 || res.Counts.Warnings == 0 {
		t.Fatalf("counts %+v: want 3 new (two identical coffees are two lines) and a warning", res.Counts)
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "without FITID") {
		t.Errorf("warnings %q do not mention the made-up ids", res.Warnings)
	}
	lines := e.lines()
	seen := map[string]bool{}
	for _, l := range lines {
		id := strings.Fields(l)[0]
		if !strings.HasPrefix(id, "~fp:") || seen[id] {
			t.Errorf("made-up id %q: want distinct, prefixed ~fp:", id)
		}
		seen[id] = true
	}
	// The same file again, and a file holding only one coffee, add nothing.
	if again := e.mustImport("again.ofx", data); again.Counts.New != 0 || again.Counts.Duplicate != 3 {
		t.Errorf("re-import: %+v", again.Counts)
	}
	if one := e.mustImport("one.ofx", bank(coffee)); one.Counts.New != 0 || one.Counts.Duplicate != 1 {
		t.Errorf("overlap: %+v", one.Counts)
	}
}

func TestForcedAccount(t *testing.T) {
	e := newEnv(t)
	e.mustImport("a.ofx", ofxFile(stmt{acct: "111", txns: []txn{a1}}))
	accts, _ := e.db.Accounts(context.Background(), bankfeed.AccountFilter{})
	target := accts[0].ID
	res, err := e.importData("b.ofx", ofxFile(stmt{acct: "222", txns: []txn{a1, a2}}), importer.Options{AccountID: target})
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.New != 1 || res.Counts.Duplicate != 1 || *res.Statements[0].AccountID != target {
		t.Errorf("forced import: %+v %+v", res.Counts, res.Statements[0])
	}
	accts, _ = e.db.Accounts(context.Background(), bankfeed.AccountFilter{})
	if len(accts) != 1 {
		t.Errorf("%d accounts: --account must not create one", len(accts))
	}
	before := e.counts()
	_, err = e.importData("c.ofx", bank(a3), importer.Options{AccountID: 999})
	if bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound {
		t.Errorf("unknown --account: %v, want not_found", err)
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a failed import wrote: %v → %v", before, after)
	}
}

func TestStatementsAndBalances(t *testing.T) {
	e := newEnv(t)
	res := e.mustImport("two.ofx", ofxFile(
		stmt{acct: "111", txns: []txn{a1, a2}, avail: "99.95"},
		stmt{kind: "card", acct: "4111", txns: []txn{a1}},
	))
	if len(res.Statements) != 2 {
		t.Fatalf("statements %+v", res.Statements)
	}
	s0, s1 := res.Statements[0], res.Statements[1]
	if !s0.AccountCreated || s0.AccountNumber != "111" || s0.Kind != bankfeed.KindBank || s0.Counts.New != 2 ||
		s0.Transactions != 2 || s0.StartOn != "2026-01-01" || s0.EndOn != "2026-01-31" || s0.Currency != "USD" ||
		s0.Ledger == nil || s0.Ledger.Amount.String() != "-1234.50" || s0.Available == nil || s0.Available.Amount.String() != "99.95" {
		t.Errorf("statement 0 %+v", s0)
	}
	if s1.Kind != bankfeed.KindCreditCard || s1.AccountNumber != "4111" || *s1.AccountID == *s0.AccountID || s1.Counts.New != 1 {
		t.Errorf("statement 1 %+v", s1)
	}
	stored, err := e.db.ImportStatements(context.Background(), res.ImportID)
	if err != nil || len(stored) != 2 {
		t.Fatalf("stored statements %v, %v", stored, err)
	}
	if stored[0].Ledger.Amount.String() != "-1234.50" || stored[0].Ledger.AsOf.IsZero() || stored[0].Transactions != 2 ||
		stored[0].New != 2 || *stored[0].AccountID != *s0.AccountID || stored[0].EndOn != "2026-01-31" {
		t.Errorf("stored statement 0 %+v", stored[0])
	}
	insts, _ := e.db.Institutions(context.Background())
	if len(insts) != 1 || insts[0].Key != bankfeed.InstitutionKey("B1", "10898", "") {
		t.Errorf("institutions %+v", insts)
	}
	// A second import of the same account does not create it again.
	if r := e.mustImport("again.ofx", ofxFile(stmt{acct: "111", txns: []txn{a3}})); r.Statements[0].AccountCreated {
		t.Errorf("account created twice")
	}
}

// TestRejectedFileWritesNothing cuts a file short at many places: every cut
// must be rejected with its position and leave every table as it was.
func TestRejectedFileWritesNothing(t *testing.T) {
	e := newEnv(t)
	e.mustImport("first.ofx", bank(a1))
	before := e.counts()
	full := bank(a2, a3, a4)
	cuts := []int{len(full) - 3, len(full) - 20, len(full) / 2, 200}
	for _, cut := range cuts {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			_, err := e.importData("cut.ofx", full[:cut], importer.Options{})
			var se *ofx.SyntaxError
			if !errors.As(err, &se) || bankfeed.ErrorCodeOf(err) != bankfeed.EInvalid {
				t.Fatalf("err = %v, want an invalid error wrapping *ofx.SyntaxError", err)
			}
			if !strings.Contains(err.Error(), "cut.ofx") || !strings.Contains(err.Error(), "line") {
				t.Errorf("error %q should name the file and the position", err)
			}
			after := e.counts()
			for table, n := range before {
				if after[table] != n {
					t.Errorf("%s: %d rows before, %d after a rejected file", table, n, after[table])
				}
			}
		})
	}
}

func TestCanceledImportWritesNothing(t *testing.T) {
	e := newEnv(t)
	before := e.counts()
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, err := e.im.ImportFile(ctx, e.file("big.ofx", bank(manyTxns(5000)...)), importer.Options{
		Progress: func(read, total int64) {
			calls++
			cancel()
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want canceled", err)
	}
	if calls == 0 {
		t.Error("progress never called")
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a canceled import wrote: %v → %v", before, after)
	}
}

// manyTxns makes n distinct transactions.
func manyTxns(n int) []txn {
	out := make([]txn, n)
	for i := range out {
		out[i] = txn{fitid: fmt.Sprintf("M%07d", i), date: fmt.Sprintf("202601%02d", 1+i%28),
			amount: fmt.Sprintf("-%d.%02d", i/100, i%100), name: "SHOP", memo: fmt.Sprint(i)}
	}
	return out
}

// TestBatchBoundaries crosses the reader's and writer's batch sizes with
// overlaps and in-file repeats far apart.
func TestBatchBoundaries(t *testing.T) {
	e := newEnv(t)
	all := manyTxns(3000)
	first := e.mustImport("first.ofx", bank(all[:1700]...))
	if first.Counts.New != 1700 {
		t.Fatalf("first: %+v", first.Counts)
	}
	second := append([]txn{}, all[1200:3000]...)                                               // 500 old, 1300 new
	second = append(second, all[5], all[2999])                                                 // an old line again, and a repeat of this file's last
	second = append(second, txn{fitid: all[2500].fitid, date: all[2500].date, amount: "1.00"}) // in-file collision, 1000 lines apart
	res := e.mustImport("second.ofx", bank(second...))
	want := bankfeed.ImportCounts{New: 1301, Duplicate: 502, Collisions: 1}
	got := res.Counts
	got.Warnings = 0
	if got != want {
		t.Errorf("second: %+v, want %+v", got, want)
	}
	if n := len(e.lines()); n != 3001 {
		t.Errorf("%d lines stored, want 3001", n)
	}
	flagged := 0
	for _, l := range e.lines() {
		if strings.HasSuffix(l, "!") {
			flagged++
		}
	}
	if flagged != 2 {
		t.Errorf("%d lines flagged, want both lines of the in-file collision", flagged)
	}
	third := e.mustImport("third.ofx", bank(second...))
	if third.Counts.New != 0 || third.Counts.Duplicate != len(second) {
		t.Errorf("third: %+v", third.Counts)
	}
}

func TestStatementWithoutAccount(t *testing.T) {
	e := newEnv(t)
	data := []byte(strings.Replace(string(bank(a1, a2)), "<ACCTID>1234567890", "", 1))
	res := e.mustImport("noacct.ofx", data)
	if res.Counts.Skipped != 2 || res.Counts.New != 0 || res.Statements[0].AccountID != nil {
		t.Errorf("counts %+v statement %+v", res.Counts, res.Statements[0])
	}
	if len(res.Skipped) != 2 || !strings.Contains(res.Skipped[0].Reason, "--account") {
		t.Errorf("skips %+v", res.Skipped)
	}
}

// TestOutOfOrderStatement has the account after the transaction list.
func TestOutOfOrderStatement(t *testing.T) {
	e := newEnv(t)
	s := string(bank(a1, a2))
	from := "<BANKACCTFROM><BANKID>021000021<ACCTID>1234567890<ACCTTYPE>CHECKING</BANKACCTFROM>"
	s = strings.Replace(s, from, "", 1)
	s = strings.Replace(s, "<LEDGERBAL>", from+"<LEDGERBAL>", 1)
	res := e.mustImport("late.ofx", []byte(s))
	if res.Counts.New != 2 || res.Statements[0].AccountNumber != "1234567890" {
		t.Errorf("counts %+v statement %+v", res.Counts, res.Statements[0])
	}
}

// TestServerIDKeptAsAlias checks that every id the bank gives a line is kept:
// the FITID on the line, the SRVRTID among its aliases.
func TestServerIDKeptAsAlias(t *testing.T) {
	e := newEnv(t)
	data := bytes.Replace(bank(txn{fitid: "F1", date: "20260105", amount: "-3.50", name: "COFFEE"}),
		[]byte("<FITID>F1"), []byte("<FITID>F1<SRVRTID>S-77"), 1)
	res := e.mustImport("srvrtid.ofx", data)
	if res.Counts.New != 1 || e.counts()["line_aliases"] != 1 {
		t.Fatalf("counts %+v, aliases %d: want 1 new line with 1 alias", res.Counts, e.counts()["line_aliases"])
	}
	snap, err := e.db.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	var found []string
	err = snap.LookupAliases(context.Background(), *res.Statements[0].AccountID, []string{"F1", "srvrtid:S-77"}, func(m store.AliasMatch) error {
		found = append(found, m.Alias)
		return nil
	})
	if err != nil || len(found) != 2 {
		t.Fatalf("lookup found %q (%v), want the FITID and the SRVRTID", found, err)
	}
	if again := e.mustImport("again.ofx", data); again.Counts.New != 0 || e.counts()["line_aliases"] != 1 {
		t.Errorf("re-import: %+v, %d aliases", again.Counts, e.counts()["line_aliases"])
	}
}

// TestQFXAndOFXDownloadsShareAccounts checks that a bank's Quicken download
// (with INTU.BID) and its plain OFX download of the same account are one
// account, so lines are deduplicated across the two.
func TestQFXAndOFXDownloadsShareAccounts(t *testing.T) {
	e := newEnv(t)
	coffee := txn{fitid: "F1", date: "20260105", amount: "-3.50", name: "COFFEE"}
	ofxData := bank(coffee)
	qfxData := bytes.Replace(ofxData, []byte("</FI>"), []byte("</FI><INTU.BID>10898"), 1)
	if !bytes.Contains(qfxData, []byte("<INTU.BID>")) {
		t.Fatal("test file has no INTU.BID")
	}
	first := e.mustImport("download.ofx", ofxData)
	second := e.mustImport("download.qfx", qfxData)
	if second.Counts.New != 0 || second.Counts.Duplicate != 1 {
		t.Errorf("QFX after OFX: %+v, want the line as a duplicate", second.Counts)
	}
	if *first.Statements[0].AccountID != *second.Statements[0].AccountID {
		t.Errorf("accounts %d and %d, want one", *first.Statements[0].AccountID, *second.Statements[0].AccountID)
	}
}
