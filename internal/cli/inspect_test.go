package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx/ofxcorpus"
)

// run runs bankfeed in-process and returns its exit status and output.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func sameNumber(t *testing.T, want, got string) bool {
	t.Helper()
	w, err := bankfeed.ParseDecimal(want)
	if err != nil {
		t.Fatalf("bad expected decimal %q", want)
	}
	g, err := bankfeed.ParseDecimal(got)
	return err == nil && w.Equal(g)
}

// TestInspectCorpus runs `bankfeed inspect --json` over the whole corpus in
// one call and holds each JSON line to EXPECTED.tsv.
func TestInspectCorpus(t *testing.T) {
	dir, names, expected := ofxcorpus.Load(t)
	args := []string{"inspect", "--json"}
	for _, n := range names {
		args = append(args, filepath.Join(dir, n))
	}
	code, out, stderr := run(t, "", args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	i := 0
	for ; sc.Scan(); i++ {
		var got inspectResult
		if err := json.Unmarshal(sc.Bytes(), &got); err != nil {
			t.Fatalf("line %d is not JSON: %v", i+1, err)
		}
		name := filepath.Base(got.File)
		rows := expected[name]
		if len(rows) == 0 {
			t.Errorf("%s: not in EXPECTED.tsv", name)
			continue
		}
		if got.Outcome != rows[0].Outcome {
			t.Errorf("%s: outcome %s, want %s", name, got.Outcome, rows[0].Outcome)
		}
		if got.Format == nil || (*got.Format != "ofx-sgml" && *got.Format != "ofx-xml") {
			t.Errorf("%s: format %v", name, got.Format)
		}
		if want := rows[0].SignonStatus; want != "" && (got.SignonStatus == nil || strconv.Itoa(*got.SignonStatus) != want) {
			t.Errorf("%s: signon_status %v, want %s", name, got.SignonStatus, want)
		}
		if rows[0].Outcome != "statements" {
			if len(got.Statements) != 0 {
				t.Errorf("%s: %d statements, want none", name, len(got.Statements))
			}
			continue
		}
		if len(got.Statements) != len(rows) {
			t.Errorf("%s: %d statements, want %d", name, len(got.Statements), len(rows))
			continue
		}
		for _, row := range rows {
			st := got.Statements[row.Index]
			if st.Kind != row.Kind || st.AccountID != row.AccountID || st.Currency != row.Currency || st.Transactions != row.Transactions {
				t.Errorf("%s stmt %d: %s %s %s %d, want %s %s %s %d", name, row.Index,
					st.Kind, st.AccountID, st.Currency, st.Transactions, row.Kind, row.AccountID, row.Currency, row.Transactions)
			}
			if !sameNumber(t, row.Sum, st.Sum) {
				t.Errorf("%s stmt %d: sum %s, want %s", name, row.Index, st.Sum, row.Sum)
			}
			switch {
			case row.Ledger == "" && st.LedgerBalance != nil:
				t.Errorf("%s stmt %d: ledger_balance %s, want null", name, row.Index, *st.LedgerBalance)
			case row.Ledger != "" && (st.LedgerBalance == nil || !sameNumber(t, row.Ledger, *st.LedgerBalance)):
				t.Errorf("%s stmt %d: ledger_balance %v, want %s", name, row.Index, st.LedgerBalance, row.Ledger)
			}
			if row.StmtStatus != "" && (st.Status == nil || strconv.Itoa(*st.Status) != row.StmtStatus) {
				t.Errorf("%s stmt %d: status %v, want %s", name, row.Index, st.Status, row.StmtStatus)
			}
		}
	}
	if i != len(names) {
		t.Errorf("%d JSON lines for %d files", i, len(names))
	}
}

const smallStatement = `OFXHEADER:100
DATA:OFXSGML
VERSION:102

<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20260105</SONRS></SIGNONMSGSRSV1>
<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>
<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>1<ACCTID>42<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20260101<DTEND>20260105
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260102<TRNAMT>-1.50<FITID>a<NAME>Coffee</STMTTRN>
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260103<TRNAMT>12,3x<FITID>b<NAME>Broken</STMTTRN>
</BANKTRANLIST><LEDGERBAL><BALAMT>98.50<DTASOF>20260105</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>
`

func TestInspectCases(t *testing.T) {
	tmp := t.TempDir()
	good := filepath.Join(tmp, "good.ofx")
	cut := filepath.Join(tmp, "cut.ofx")
	cutAt := strings.Index(smallStatement, "<NAME>Coffee") + 8
	if err := os.WriteFile(good, []byte(smallStatement), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cut, []byte(smallStatement[:cutAt]), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		want     []string // substrings of stdout
		wantErr  string   // substring of stderr
	}{
		{name: "json", args: []string{"inspect", "--json", good}, want: []string{
			`"outcome":"statements"`, `"format":"ofx-sgml"`, `"version":"102"`, `"signon_status":0`,
			`"kind":"bank","account_id":"42","currency":"USD","transactions":2,"sum":"-1.50","ledger_balance":"98.50","status":0`,
			`line 10: <TRNAMT> \"12,3x\" has unexpected letters; the amount is not used`}},
		{name: "table", args: []string{"inspect", good}, want: []string{"ofx-sgml, version 102: statements", "42", "-1.50", "98.50", "1 warnings:"}},
		{name: "stdin", stdin: smallStatement, args: []string{"inspect", "--json", "-"}, want: []string{`"file":"-"`, `"transactions":2`}},
		{name: "cut short", args: []string{"inspect", "--json", good, cut}, wantCode: 1,
			want:    []string{`"outcome":"statements"`, `"outcome":"reject"`, "line 9", "cut short", "<NAME>"},
			wantErr: "1 of 2 files rejected"},
		{name: "missing file", args: []string{"inspect", "--json", filepath.Join(tmp, "nope.ofx")}, wantCode: 1,
			want: []string{`"outcome":"reject"`, "no such file"}},
		{name: "not ofx", stdin: "<html><body>Down for maintenance</body></html>", args: []string{"inspect", "--json", "-"}, wantCode: 1,
			want: []string{`"outcome":"reject"`, "not an OFX document"}},
		{name: "no args", args: []string{"inspect"}, wantCode: 2, wantErr: "requires at least 1 arg"},
		{name: "unknown command", args: []string{"inspekt"}, wantCode: 2, wantErr: "unknown command"},
		{name: "unknown flag", args: []string{"inspect", "--jsn", good}, wantCode: 2, wantErr: "unknown flag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := run(t, tc.stdin, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.wantCode, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if tc.wantErr != "" && !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("stderr %q lacks %q", stderr, tc.wantErr)
			}
		})
	}
}
