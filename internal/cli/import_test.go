package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// bankfeedIn runs bankfeed in-process against data dir and returns its exit
// status and output.
func bankfeedIn(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), append([]string{"--data-dir", dir}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// statement writes an SGML bank statement for account acct with lines
// "FITID date amount" into dir and returns its path.
func statement(t *testing.T, dir, name, acct string, lines ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>" +
		"<DTSERVER>20260201<LANGUAGE>ENG<FI><ORG>B1<FID>10898</FI></SONRS></SIGNONMSGSRSV1>\n<BANKMSGSRSV1><STMTTRNRS><TRNUID>1" +
		"<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>021000021<ACCTID>" + acct +
		"<ACCTTYPE>CHECKING</BANKACCTFROM>\n<BANKTRANLIST><DTSTART>20260101<DTEND>20260131\n")
	for _, l := range lines {
		f := strings.Fields(l)
		fmt.Fprintf(&b, "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>%s<TRNAMT>%s<FITID>%s<NAME>SHOP %s</STMTTRN>\n", f[1], f[2], f[0], f[0])
	}
	b.WriteString("</BANKTRANLIST><LEDGERBAL><BALAMT>100.00<DTASOF>20260131</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n")
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// jsonLines decodes every line of out into maps.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		objs = append(objs, m)
	}
	return objs
}

func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}

func TestImportJSON(t *testing.T) {
	data, files := t.TempDir(), t.TempDir()
	jan := statement(t, files, "jan.ofx", "111", "F1 20260105 -10.00", "F2 20260106 -20.50", "F1 20260105 -99.00")
	full, _ := os.ReadFile(jan)
	cut := filepath.Join(files, "cut.ofx")
	os.WriteFile(cut, full[:len(full)-40], 0o600)

	code, out, stderr := bankfeedIn(t, data, "import", "--json", jan, cut)
	if code != exitFailure {
		t.Errorf("exit %d, want %d (a file was rejected)", code, exitFailure)
	}
	if !strings.Contains(stderr, "cut.ofx") || !strings.Contains(stderr, "line ") {
		t.Errorf("stderr %q should name the rejected file and the position", stderr)
	}
	objs := jsonLines(t, out)
	if len(objs) != 2 {
		t.Fatalf("%d JSON lines, want one per file:\n%s", len(objs), out)
	}
	wantKeys := []string{"already_imported", "collisions", "counts", "file", "format", "import_id", "outcome", "sha256",
		"size", "skipped", "statements", "version", "warnings"}
	wantRejected := []string{"already_imported", "collisions", "counts", "error", "file", "format", "import_id", "outcome",
		"position", "sha256", "size", "skipped", "statements", "version", "warnings"}
	if got := keys(objs[0]); !reflect.DeepEqual(got, wantKeys) {
		t.Errorf("keys %v\nwant %v", got, wantKeys)
	}
	ok := objs[0]
	if ok["outcome"] != "imported" || ok["file"] != jan || ok["already_imported"] != nil {
		t.Errorf("imported file: %v", ok)
	}
	counts := ok["counts"].(map[string]any)
	if counts["new"] != 3.0 || counts["collisions"] != 1.0 || counts["duplicate"] != 0.0 {
		t.Errorf("counts %v", counts)
	}
	st := ok["statements"].([]any)[0].(map[string]any)
	if st["account_number"] != "111" || st["account_created"] != true || st["currency"] != "USD" ||
		st["ledger_balance"].(map[string]any)["amount"] != "100.00" {
		t.Errorf("statement %v", st)
	}
	coll := ok["collisions"].([]any)[0].(map[string]any)
	if coll["fitid"] != "F1" || coll["amount"] != "-99.00" || coll["other_amount"] != "-10.00" || coll["same_file"] != true {
		t.Errorf("collision %v", coll)
	}
	bad := objs[1]
	if got := keys(bad); !reflect.DeepEqual(got, wantRejected) {
		t.Errorf("rejected keys %v\nwant %v", got, wantRejected)
	}
	if bad["outcome"] != "rejected" || !strings.Contains(bad["error"].(string), "cut.ofx") || bad["position"] == nil {
		t.Errorf("rejected file: %v", bad)
	}

	// Again: nothing new, and it says when the file was imported.
	code, out, _ = bankfeedIn(t, data, "import", "--json", jan)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	again := jsonLines(t, out)[0]
	if again["counts"].(map[string]any)["new"] != 0.0 || again["already_imported"] == nil {
		t.Errorf("re-import: %v", again)
	}
}

func TestImportReadable(t *testing.T) {
	data, files := t.TempDir(), t.TempDir()
	a := statement(t, files, "a.ofx", "111", "F1 20260105 -10.00", "F2 20260106 -20.50")
	b := statement(t, files, "b.ofx", "111", "F2 20260106 -20.50", "F3 20260107 1500.00")
	code, out, stderr := bankfeedIn(t, data, "import", a, b)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"a.ofx: 2 new, 0 duplicate", "b.ofx: 1 new, 1 duplicate", "1 bank 111 (new)",
		"total: 2 files: 3 new, 1 duplicate, 0 collisions, 0 skipped, 0 warnings"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if stderr != "" {
		t.Errorf("stderr %q: no progress bar when stderr is not a terminal", stderr)
	}
	_, out, _ = bankfeedIn(t, data, "import", a)
	if !strings.Contains(out, "already imported on ") || !strings.Contains(out, ": 0 new") {
		t.Errorf("re-import output:\n%s", out)
	}
}

func TestImportAccountFlag(t *testing.T) {
	data, files := t.TempDir(), t.TempDir()
	bankfeedIn(t, data, "import", statement(t, files, "a.ofx", "111", "F1 20260105 -10.00"))
	code, out, stderr := bankfeedIn(t, data, "import", "--json", "--account", "111", statement(t, files, "b.ofx", "999", "F9 20260105 -1.00"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	st := jsonLines(t, out)[0]["statements"].([]any)[0].(map[string]any)
	if st["account_id"] != 1.0 {
		t.Errorf("statement went to %v, want account 1", st["account_id"])
	}
	if code, _, stderr := bankfeedIn(t, data, "import", "--account", "12345", statement(t, files, "c.ofx", "1", "X 20260105 1")); code != exitFailure || !strings.Contains(stderr, "12345") {
		t.Errorf("unknown --account: exit %d, %q", code, stderr)
	}
}

func TestAccountsAndLines(t *testing.T) {
	data, files := t.TempDir(), t.TempDir()
	code, out, _ := bankfeedIn(t, data, "accounts")
	if code != 0 || !strings.Contains(out, "No accounts yet") {
		t.Errorf("empty store: exit %d, %q", code, out)
	}
	bankfeedIn(t, data, "import", statement(t, files, "a.ofx", "111",
		"F1 20260105 -10.00", "F2 20260106 -1234.5", "F3 20260107 7", "F3 20260108 8"))

	code, out, _ = bankfeedIn(t, data, "accounts", "--json")
	objs := jsonLines(t, out)
	if code != 0 || len(objs) != 1 {
		t.Fatalf("accounts --json: exit %d, %q", code, out)
	}
	wantKeys := []string{"bank_id", "created_at", "currency", "first_posted_on", "id", "institution", "institution_id",
		"kind", "last_import_at", "last_posted_on", "lines", "name", "number", "type"}
	if got := keys(objs[0]); !reflect.DeepEqual(got, wantKeys) {
		t.Errorf("accounts keys %v\nwant %v", got, wantKeys)
	}
	if objs[0]["lines"] != 4.0 || objs[0]["number"] != "111" || objs[0]["institution"] != "B1" || objs[0]["last_posted_on"] != "2026-01-08" {
		t.Errorf("account %v", objs[0])
	}
	code, out, _ = bankfeedIn(t, data, "accounts")
	if code != 0 || !strings.Contains(out, "NUMBER") || !strings.Contains(out, "111") {
		t.Errorf("accounts: %q", out)
	}

	code, out, _ = bankfeedIn(t, data, "lines", "--account", "1", "--json")
	objs = jsonLines(t, out)
	if code != 0 || len(objs) != 4 {
		t.Fatalf("lines --json: exit %d, %q", code, out)
	}
	wantKeys = []string{"account_id", "amount", "created_at", "currency", "fitid", "id", "import_id", "name", "posted_on", "type"}
	if got := keys(objs[0]); !reflect.DeepEqual(got, wantKeys) {
		t.Errorf("lines keys %v\nwant %v", got, wantKeys)
	}
	if objs[1]["amount"] != "-1234.50" || objs[2]["collision"] != true || objs[3]["collision"] != true {
		t.Errorf("amounts are exact strings and collisions flagged: %v", objs)
	}

	_, out, _ = bankfeedIn(t, data, "lines", "--account", "111", "--since", "2026-01-06", "--limit", "2")
	rows := strings.Split(strings.TrimSpace(out), "\n")
	if len(rows) != 3 {
		t.Fatalf("lines table: %q", out)
	}
	// Amounts end in the same column.
	end := func(row, amount string) int { return strings.Index(row, amount) + len(amount) }
	if e1, e2 := end(rows[1], "-1234.50"), end(rows[2], "7.00"); e1 != e2 || e1 != end(rows[0], "AMOUNT") {
		t.Errorf("amounts not right-aligned:\n%s", out)
	}

	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no account", []string{"lines"}, exitUsage},
		{"unknown account", []string{"lines", "--account", "42"}, exitFailure},
		{"bad since", []string{"lines", "--account", "1", "--since", "yesterday"}, exitUsage},
		{"negative limit", []string{"lines", "--account", "1", "--limit", "-1"}, exitUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, stderr := bankfeedIn(t, data, tc.args...); code != tc.code {
				t.Errorf("exit %d, want %d (%s)", code, tc.code, stderr)
			}
		})
	}
}
