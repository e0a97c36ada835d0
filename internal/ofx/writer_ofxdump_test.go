package ofx

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
)

// TestWriterOFXDump has libofx read what the writer writes. libofx checks
// the document against its OFX DTD, so element order is checked too. A bank
// and a card statement must show every transaction and amount; a profile and
// error responses must pass without a DTD error.
func TestWriterOFXDump(t *testing.T) {
	ofxdump, err := exec.LookPath("ofxdump")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ofxdump (Debian package ofx) is required in CI")
		}
		t.Skip("ofxdump not installed (Debian package ofx)")
	}
	r := wtResponse()
	errorsResponse := wtErrorResponse(Status{Set: true}, Status{Set: true, Code: 2000, Message: "General error"},
		Status{Set: true, Code: 15502})
	for _, form := range []struct {
		name string
		opts WriteOptions
	}{
		{"sgml102", WriteOptions{Version: "102"}},
		{"sgml103-closed", WriteOptions{Version: "103", CloseLeaves: true}},
		{"xml211", WriteOptions{Version: "211", Indent: "  "}},
		{"xml220", WriteOptions{Version: "220"}},
	} {
		t.Run("statements/"+form.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteResponse(&buf, r, form.opts); err != nil {
				t.Fatal(err)
			}
			text := wtOFXDump(t, ofxdump, buf.Bytes())
			for _, st := range r.Statements {
				for _, txn := range st.Transactions {
					if !strings.Contains(text, "Financial institution's ID for this transaction: "+txn.FITID) {
						t.Errorf("ofxdump does not report FITID %s", txn.FITID)
					}
					amount := "Total money amount: " + wtOFXDumpAmount(txn.Amount)
					if !strings.Contains(text, amount) {
						t.Errorf("ofxdump does not report %q", amount)
					}
				}
				if !strings.Contains(text, "Account ID: "+st.Account.BankID) || !strings.Contains(text, st.Account.AcctID) {
					t.Errorf("ofxdump does not report account %s", st.Account.AcctID)
				}
				if !strings.Contains(text, "Ledger balance: "+wtOFXDumpAmount(st.Ledger.Amount)) {
					t.Errorf("ofxdump does not report the ledger balance %s", st.Ledger.Amount)
				}
			}
			if n := strings.Count(text, "ofx_proc_transaction():"); n != 5 {
				t.Errorf("ofxdump reports %d transactions, want 5", n)
			}
			if t.Failed() {
				t.Logf("ofxdump output:\n%s", text)
			}
		})
		t.Run("profile/"+form.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := wtWriteProfile(&buf, form.opts); err != nil {
				t.Fatal(err)
			}
			wtOFXDump(t, ofxdump, buf.Bytes())
		})
		t.Run("errors/"+form.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteResponse(&buf, errorsResponse, form.opts); err != nil {
				t.Fatal(err)
			}
			if text := wtOFXDump(t, ofxdump, buf.Bytes()); strings.Count(text, "Severity: ERROR") != 2 {
				t.Errorf("ofxdump does not report two errors:\n%s", text)
			}
		})
	}
}

// wtOFXDump runs ofxdump on doc, fails the test on any error it reports, and
// returns its output. libofx reports elements out of order or undefined as
// OpenSP errors (":E:"); it says "non SGML character" of every UTF-8 byte,
// which is not an error of the document.
func wtOFXDump(t *testing.T, ofxdump string, doc []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "response.ofx")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ofxdump, path).CombinedOutput()
	if err != nil {
		t.Fatalf("ofxdump: %v\n%s", err, out)
	}
	text := string(out)
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.Contains(line, ":E:") && !strings.Contains(line, "non SGML character number"),
			strings.Contains(line, "LibOFX ERROR") && !strings.Contains(line, "OpenSP parser"):
			t.Errorf("ofxdump: %s", line)
		}
	}
	return text
}

// wtOFXDumpAmount is how ofxdump prints an amount: %.2f of a double. The
// float is libofx's, not ours; it is only formatted here to match its output.
func wtOFXDumpAmount(d bankfeed.Decimal) string {
	f, err := strconv.ParseFloat(d.String(), 64)
	if err != nil {
		panic(err)
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}
