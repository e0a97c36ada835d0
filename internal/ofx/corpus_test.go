package ofx

import (
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
)

// corpusDir finds the shared corpus of real-world statement files, which
// lives beside the repository (../shared/corpus/ofx) and is never copied
// into it. BANKFEED_CORPUS overrides the place.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("BANKFEED_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus", "ofx")
	}
	if _, err := os.Stat(filepath.Join(dir, "EXPECTED.tsv")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("corpus missing under CI: %v", err)
		}
		t.Skipf("corpus not found (%v); set BANKFEED_CORPUS", err)
	}
	return dir
}

type expectedRow struct {
	file, outcome, kind, acct, currency string
	index, nTxn                         int
	sum, ledger, signon, stmtStatus     string
}

func readExpected(t *testing.T, dir string) map[string][]expectedRow {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "EXPECTED.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = '\t'
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, need := range []string{"file", "outcome", "stmt_index", "stmt_kind", "acct_id", "currency", "n_txn", "sum_amount", "ledger_balance", "signon_status", "stmt_status"} {
		if _, ok := col[need]; !ok {
			t.Fatalf("EXPECTED.tsv has no column %q", need)
		}
	}
	rows := map[string][]expectedRow{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		get := func(k string) string { return strings.TrimSpace(rec[col[k]]) }
		row := expectedRow{
			file: get("file"), outcome: get("outcome"), kind: get("stmt_kind"), acct: get("acct_id"),
			currency: get("currency"), sum: get("sum_amount"), ledger: get("ledger_balance"),
			signon: get("signon_status"), stmtStatus: get("stmt_status"),
		}
		if s := get("stmt_index"); s != "" {
			row.index, _ = strconv.Atoi(s)
		}
		if s := get("n_txn"); s != "" {
			row.nTxn, _ = strconv.Atoi(s)
		}
		rows[row.file] = append(rows[row.file], row)
	}
	return rows
}

func decimalEqual(t *testing.T, want string, got bankfeed.Decimal) bool {
	t.Helper()
	w, err := bankfeed.ParseDecimal(want)
	if err != nil {
		t.Fatalf("bad expected decimal %q", want)
	}
	return w.Equal(got)
}

// TestCorpus checks every real-world file against the ground truth of
// EXPECTED.tsv: outcome, and per statement its kind, account id, currency,
// transaction count, exact sum, ledger balance and status codes.
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	expected := readExpected(t, dir)
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, fi := range files {
		name := fi.Name()
		if strings.HasSuffix(name, ".tsv") || strings.HasSuffix(name, ".md") {
			continue
		}
		rows, ok := expected[name]
		if !ok {
			t.Errorf("%s: not in EXPECTED.tsv", name)
			continue
		}
		seen++
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			resp, err := Read(f)
			if rows[0].outcome == "reject" {
				if err == nil {
					t.Fatalf("want rejected, got %s", resp.Outcome())
				}
				return
			}
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if got := resp.Outcome(); got != rows[0].outcome {
				t.Errorf("outcome = %s, want %s", got, rows[0].outcome)
			}
			if want := rows[0].signon; want != "" {
				if got := strconv.Itoa(resp.Signon.Status.Code); got != want || !resp.Signon.Status.Set {
					t.Errorf("signon status = %s (set %v), want %s", got, resp.Signon.Status.Set, want)
				}
			}
			if rows[0].outcome != OutcomeStatements {
				if len(resp.Statements) != 0 {
					t.Errorf("%d statements, want none", len(resp.Statements))
				}
				return
			}
			if len(resp.Statements) != len(rows) {
				t.Fatalf("%d statements, want %d", len(resp.Statements), len(rows))
			}
			for _, row := range rows {
				st := resp.Statements[row.index]
				if string(st.Kind) != row.kind {
					t.Errorf("stmt %d kind = %s, want %s", row.index, st.Kind, row.kind)
				}
				if st.Account.AcctID != row.acct {
					t.Errorf("stmt %d account = %q, want %q", row.index, st.Account.AcctID, row.acct)
				}
				if st.Currency != row.currency {
					t.Errorf("stmt %d currency = %q, want %q", row.index, st.Currency, row.currency)
				}
				if st.Count != row.nTxn || len(st.Transactions) != row.nTxn {
					t.Errorf("stmt %d transactions = %d (kept %d), want %d", row.index, st.Count, len(st.Transactions), row.nTxn)
				}
				if !decimalEqual(t, row.sum, st.Sum) {
					t.Errorf("stmt %d sum = %s, want %s", row.index, st.Sum, row.sum)
				}
				switch {
				case row.ledger == "" && st.Ledger.Set:
					t.Errorf("stmt %d ledger balance = %s, want none", row.index, st.Ledger.Amount)
				case row.ledger != "" && (!st.Ledger.Set || !decimalEqual(t, row.ledger, st.Ledger.Amount)):
					t.Errorf("stmt %d ledger balance = %s (set %v), want %s", row.index, st.Ledger.Amount, st.Ledger.Set, row.ledger)
				}
				if row.stmtStatus != "" {
					if got := strconv.Itoa(st.Status.Code); got != row.stmtStatus || !st.Status.Set {
						t.Errorf("stmt %d status = %s (set %v), want %s", row.index, got, st.Status.Set, row.stmtStatus)
					}
				}
			}
		})
	}
	if seen != len(expected) {
		t.Errorf("read %d files, EXPECTED.tsv names %d", seen, len(expected))
	}
}

// TestCorpusStreamMatchesRead checks that streaming (which keeps nothing)
// reports the same counts and sums as reading whole, on every corpus file.
func TestCorpusStreamMatchesRead(t *testing.T) {
	dir := corpusDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, path := range files {
		if strings.HasSuffix(path, ".tsv") || strings.HasSuffix(path, ".md") {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		whole, err := Read(strings.NewReader(string(data)))
		if err != nil {
			continue
		}
		var n int
		streamed, err := Stream(&oneByteReader{data: data}, Options{}, Handler{
			Transaction: func(st *Statement, tx *Transaction) error { n++; return nil },
		})
		if err != nil {
			t.Errorf("%s: stream (one byte at a time): %v", filepath.Base(path), err)
			continue
		}
		total := 0
		for i, st := range whole.Statements {
			total += st.Count
			if s2 := streamed.Statements[i]; s2.Count != st.Count || !s2.Sum.Equal(st.Sum) || len(s2.Transactions) != 0 {
				t.Errorf("%s stmt %d: stream %d/%s, read %d/%s", filepath.Base(path), i, s2.Count, s2.Sum, st.Count, st.Sum)
			}
		}
		if n != total {
			t.Errorf("%s: handler saw %d transactions, want %d", filepath.Base(path), n, total)
		}
		if len(whole.Warnings) != len(streamed.Warnings) {
			t.Errorf("%s: %d warnings streamed, %d read whole", filepath.Base(path), len(streamed.Warnings), len(whole.Warnings))
		}
	}
}

// oneByteReader hands out one byte per Read, to prove the scanner's window
// handles every token split across reads.
type oneByteReader struct {
	data []byte
	pos  int
}

func (r *oneByteReader) Read(p []byte) (int, error) {
	if r.pos >= len(r.data) {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.data[r.pos]
	r.pos++
	return 1, nil
}
