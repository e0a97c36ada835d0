package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/export/peertest"
	"github.com/bankfeed/bankfeed/internal/ofx"
	"github.com/bankfeed/bankfeed/internal/ofx/ofxcorpus"
)

// TestConvertCorpus converts every bank and card statement file of the
// corpus to QBO and to OFX and has libofx's ofxdump read each result: it
// must report no error, every transaction the corpus's ground truth counts
// (less those convert said it left out), each with the FITID and amount of
// the bank's file, and the bank's ledger balances.
func TestConvertCorpus(t *testing.T) {
	dir, files, expected := ofxcorpus.Load(t)
	ofxdump := peertest.Tool(t, "ofxdump", "ofx")
	out := t.TempDir()
	converted := 0
	for _, name := range files {
		rows := expected[name]
		if len(rows) == 0 || rows[0].Outcome != ofx.OutcomeStatements ||
			slices.ContainsFunc(rows, func(r ofxcorpus.Row) bool { return r.Kind != "bank" && r.Kind != "creditcard" }) {
			continue
		}
		converted++
		path := filepath.Join(dir, name)
		for _, format := range []string{"qbo", "ofx"} {
			t.Run(name+"/"+format, func(t *testing.T) {
				dst := filepath.Join(out, name+"."+format)
				code, stdout, stderr := bankfeedIn(t, t.TempDir(), "convert", path, "--to", format, "-o", dst)
				if code != exitOK {
					t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
				}
				leftOut := strings.Count(stderr, ") left out: no usable")
				want := convertExpectation(t, path, rows)
				dump := peertest.OFXDump(t, ofxdump, dst)
				if got, want := len(dump.Transactions), want.count-leftOut; got != want {
					t.Errorf("ofxdump reads %d transactions, want %d (%d left out)\n%s", got, want, leftOut, stderr)
				}
				var got []fitidAmount
				var sum bankfeed.Decimal
				for _, txn := range dump.Transactions {
					amt, err := bankfeed.ParseDecimal(txn.Amount)
					if err != nil {
						t.Fatalf("ofxdump amount %q: %v", txn.Amount, err)
					}
					sum = sum.Add(amt)
					got = append(got, fitidAmount{txn.FITID, txn.Amount})
					if i := len(got) - 1; i < len(want.txns) && want.txns[i].Amount == "" {
						got[i].Amount = ""
					}
				}
				if diff := cmp.Diff(want.txns, got); diff != "" {
					t.Errorf("FITIDs and amounts (-bank's file +ofxdump):\n%s", diff)
				}
				if leftOut == 0 && want.exact && !sum.Equal(want.sum) {
					t.Errorf("ofxdump's transactions sum to %s, want %s", sum, want.sum)
				}
				for _, bal := range want.balances {
					if !slices.Contains(mapValues(dump.Balances), bal) {
						t.Errorf("ofxdump reports no ledger balance %s: %v", bal, dump.Balances)
					}
				}
				if format == "qbo" && !bytes.Contains(mustRead(t, dst), []byte("<INTU.BID>")) {
					t.Error("the QBO has no INTU.BID")
				}
			})
		}
	}
	if converted < 30 {
		t.Errorf("converted %d corpus files, want 30 or more", converted)
	}
}

type fitidAmount struct{ FITID, Amount string }

// expectation is what ofxdump must find in a converted file.
type expectation struct {
	count    int              // the corpus's count of transactions
	sum      bankfeed.Decimal // and their sum
	exact    bool             // every amount has two places at most, as ofxdump prints them
	txns     []fitidAmount    // the bank file's usable transactions, bank statements first; amount "" when not exact at two places
	balances []string         // the bank's ledger balances, two places
}

func convertExpectation(t *testing.T, path string, rows []ofxcorpus.Row) expectation {
	t.Helper()
	exp := expectation{exact: true}
	for _, r := range rows {
		exp.count += r.Transactions
		exp.sum = exp.sum.Add(bankfeed.MustDecimal(r.Sum))
		if r.Ledger != "" {
			if minor, ok := bankfeed.MustDecimal(r.Ledger).MinorUnits(2); ok {
				exp.balances = append(exp.balances, bankfeed.NewDecimal(minor, 2).String())
			}
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	resp, err := ofx.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	stmts := slices.Clone(resp.Statements)
	slices.SortStableFunc(stmts, func(x, y *ofx.Statement) int { return strings.Compare(string(x.Kind), string(y.Kind)) })
	for _, st := range stmts {
		if !st.Status.OK() {
			continue
		}
		for n, txn := range st.Transactions {
			if !txn.Posted.Valid || !txn.AmountSet {
				continue
			}
			fitid := txn.FITID
			if fitid == "" {
				fitid = fmt.Sprintf("%s_%s_%d", txn.Posted.Time.Format("20060102"), txn.Amount, n+1)
			}
			amount := "" // ofxdump rounds an amount of more places through a float: not compared
			if minor, ok := txn.Amount.MinorUnits(2); ok {
				amount = bankfeed.NewDecimal(minor, 2).String()
			} else {
				exp.exact = false
			}
			exp.txns = append(exp.txns, fitidAmount{fitid, amount})
		}
	}
	return exp
}

func mapValues(m map[string]string) []string {
	var v []string
	for _, x := range m {
		v = append(v, x)
	}
	return v
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConvert(t *testing.T) {
	files := t.TempDir()
	src := statement(t, files, "jan.ofx", "111", "F1 20260105 -10.00", "F2 20260106 -20.50")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string // in the written file (or stdout)
		wantErr  []string // on stderr
	}{
		{"qbo to stdout", []string{"convert", src, "--to", "qbo"}, exitOK,
			[]string{"<INTU.BID>3000", "<FID>10898", "<FITID>F1", "<TRNAMT>-20.50", "<BALAMT>100.00"}, nil},
		{"intu bid", []string{"convert", src, "--to", "qbo", "--intu-bid", "10898"}, exitOK,
			[]string{"<INTU.BID>10898"}, nil},
		{"ofx", []string{"convert", src, "--to", "ofx"}, exitOK,
			[]string{"<ORG>B1", "<FITID>F2"}, nil},
		{"no --to", []string{"convert", src}, exitUsage, nil, []string{"--to is required"}},
		{"bad --to", []string{"convert", src, "--to", "qif"}, exitUsage, nil, []string{`--to "qif": want qbo or ofx`}},
		{"bad --intu-bid", []string{"convert", src, "--to", "qbo", "--intu-bid", "x1"}, exitUsage, nil, []string{"--intu-bid"}},
		{"no file", []string{"convert", filepath.Join(files, "none.ofx"), "--to", "qbo"}, exitFailure, nil, []string{"none.ofx"}},
		{"two files", []string{"convert", src, src, "--to", "qbo"}, exitUsage, nil, []string{"accepts 1 arg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := bankfeedIn(t, t.TempDir(), tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.wantCode, stdout, stderr)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if tt.wantCode == exitOK {
				if _, err := ofx.Read(strings.NewReader(stdout)); err != nil {
					t.Errorf("the output does not read back: %v", err)
				}
			}
		})
	}
}

func TestConvertOutputFile(t *testing.T) {
	files := t.TempDir()
	src := statement(t, files, "jan.ofx", "111", "F1 20260105 -10.00")
	dst := filepath.Join(files, "jan.qbo")
	if err := os.WriteFile(dst, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A file that holds no statement leaves the old output as it was.
	empty := filepath.Join(files, "empty.ofx")
	os.WriteFile(empty, []byte("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>"+
		"<DTSERVER>20260201<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1></OFX>\n"), 0o600)
	code, _, stderr := bankfeedIn(t, t.TempDir(), "convert", empty, "--to", "qbo", "-o", dst)
	if code != exitFailure || !strings.Contains(stderr, "no bank or card statement") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got := string(mustRead(t, dst)); got != "old" {
		t.Errorf("a failed conversion changed the output: %q", got)
	}
	code, stdout, stderr := bankfeedIn(t, t.TempDir(), "convert", src, "--to", "qbo", "-o", dst)
	if code != exitOK || stdout != "" || !strings.Contains(stderr, "1 statement, 1 transaction written to "+dst) {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	resp, err := ofx.Read(bytes.NewReader(mustRead(t, dst)))
	if err != nil || len(resp.Statements) != 1 || resp.Statements[0].Count != 1 || resp.Signon.IntuBID != "3000" {
		t.Fatalf("read back %s: %v %+v", dst, err, resp)
	}
	left, _ := filepath.Glob(filepath.Join(files, ".*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestConvertStdin(t *testing.T) {
	src := statement(t, t.TempDir(), "jan.ofx", "111", "F1 20260105 -10.00")
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"convert", "-", "--to", "ofx"}, bytes.NewReader(mustRead(t, src)), &out, &errOut)
	if code != exitOK || !strings.Contains(out.String(), "<FITID>F1") {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
}
