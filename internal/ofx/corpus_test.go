package ofx

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx/ofxcorpus"
)

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
	dir, files, expected := ofxcorpus.Load(t)
	seen := 0
	for _, name := range files {
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
			if rows[0].Outcome == "reject" {
				if err == nil {
					t.Fatalf("want rejected, got %s", resp.Outcome())
				}
				return
			}
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if got := resp.Outcome(); got != rows[0].Outcome {
				t.Errorf("outcome = %s, want %s", got, rows[0].Outcome)
			}
			if want := rows[0].SignonStatus; want != "" {
				if got := strconv.Itoa(resp.Signon.Status.Code); got != want || !resp.Signon.Status.Set {
					t.Errorf("signon status = %s (set %v), want %s", got, resp.Signon.Status.Set, want)
				}
			}
			if rows[0].Outcome != OutcomeStatements {
				if len(resp.Statements) != 0 {
					t.Errorf("%d statements, want none", len(resp.Statements))
				}
				return
			}
			if len(resp.Statements) != len(rows) {
				t.Fatalf("%d statements, want %d", len(resp.Statements), len(rows))
			}
			for _, row := range rows {
				st := resp.Statements[row.Index]
				if string(st.Kind) != row.Kind {
					t.Errorf("stmt %d kind = %s, want %s", row.Index, st.Kind, row.Kind)
				}
				if st.Account.AcctID != row.AccountID {
					t.Errorf("stmt %d account = %q, want %q", row.Index, st.Account.AcctID, row.AccountID)
				}
				if st.Currency != row.Currency {
					t.Errorf("stmt %d currency = %q, want %q", row.Index, st.Currency, row.Currency)
				}
				if st.Count != row.Transactions || len(st.Transactions) != row.Transactions {
					t.Errorf("stmt %d transactions = %d (kept %d), want %d", row.Index, st.Count, len(st.Transactions), row.Transactions)
				}
				if !decimalEqual(t, row.Sum, st.Sum) {
					t.Errorf("stmt %d sum = %s, want %s", row.Index, st.Sum, row.Sum)
				}
				switch {
				case row.Ledger == "" && st.Ledger.Set:
					t.Errorf("stmt %d ledger balance = %s, want none", row.Index, st.Ledger.Amount)
				case row.Ledger != "" && (!st.Ledger.Set || !decimalEqual(t, row.Ledger, st.Ledger.Amount)):
					t.Errorf("stmt %d ledger balance = %s (set %v), want %s", row.Index, st.Ledger.Amount, st.Ledger.Set, row.Ledger)
				}
				if row.StmtStatus != "" {
					if got := strconv.Itoa(st.Status.Code); got != row.StmtStatus || !st.Status.Set {
						t.Errorf("stmt %d status = %s (set %v), want %s", row.Index, got, st.Status.Set, row.StmtStatus)
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
	dir := ofxcorpus.Dir(t)
	files, err := ofxcorpus.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		path := filepath.Join(dir, name)
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
