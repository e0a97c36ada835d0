package ofx

import (
	"strings"
	"testing"
)

// TestRecovery covers damaged or unusual files that must still yield every
// transaction and balance, each with the warning that says what was done.
func TestRecovery(t *testing.T) {
	two := rdTrn("1", "-1.00", "A") + rdTrn("2", "-2.00", "B")
	tests := []struct {
		name        string
		doc         string
		statements  int
		count       int    // transactions of the first statement
		sum         string // of the first statement
		ledger      string // of the first statement, "" for none
		wantWarning string // a substring of one warning, "" for none at all
	}{
		{
			name: "transaction list left open before the balance",
			doc: "<OFX>\n" + rdSGMLSignon + "<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\n" +
				"<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>1<ACCTID>42<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST>\n" +
				strings.ReplaceAll(two, "</STMTTRN>", "") +
				"<LEDGERBAL><BALAMT>55.00<DTASOF>20240131</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n",
			statements: 1, count: 2, sum: "-3.00", ledger: "55.00",
		},
		{
			name:       "two documents joined with cat",
			doc:        rdBankSGML("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n", two) + rdBankXML(`<?xml version="1.0"?><?OFX OFXHEADER="200" VERSION="211"?>`+"\n", rdTrnXML("3", "-3.00", "C")),
			statements: 2, count: 2, sum: "-3.00", ledger: "100.00",
			wantWarning: "a second OFX document follows the first",
		},
		{
			name:       "text after the document",
			doc:        rdBankSGML("", two) + "Thank you for banking with us\n",
			statements: 1, count: 2, sum: "-3.00", ledger: "100.00",
			wantWarning: "text after </OFX> is not OFX; ignored",
		},
		{
			name:       "a zone given by name only keeps the date",
			doc:        rdBankSGML("", strings.Replace(two, "<DTPOSTED>20240115", "<DTPOSTED>20240115120000[EST]", 1)),
			statements: 1, count: 2, sum: "-3.00", ledger: "100.00",
		},
		{
			name:       "an unknown zone keeps the date, read as UTC",
			doc:        rdBankSGML("", strings.Replace(two, "<DTPOSTED>20240115", "<DTPOSTED>20240115120000[XYZ]", 1)),
			statements: 1, count: 2, sum: "-3.00", ledger: "100.00",
			wantWarning: `<DTPOSTED> "20240115120000[XYZ]" has an unknown zone "XYZ"; read as UTC`,
		},
		{
			name:       "a NaN zone keeps the date, read as UTC",
			doc:        rdBankSGML("", strings.Replace(two, "<DTPOSTED>20240115", "<DTPOSTED>20240115120000[NaN]", 1)),
			statements: 1, count: 2, sum: "-3.00", ledger: "100.00",
			wantWarning: "read as UTC",
		},
		{
			name:       "a date beyond year 9999 in UTC is not used",
			doc:        rdBankSGML("", strings.Replace(two, "<DTPOSTED>20240115", "<DTPOSTED>99991231235959[-12:X]", 1)),
			statements: 1, count: 2, sum: "-3.00", ledger: "100.00",
			wantWarning: "is out of range; the date is not used",
		},
		{
			name:       "an ambiguous comma amount is not guessed",
			doc:        rdBankSGML("", rdTrn("1", "1,000", "A")+rdTrn("2", "-2.00", "B")),
			statements: 1, count: 2, sum: "-2.00", ledger: "100.00",
			wantWarning: `<TRNAMT> "1,000" is ambiguous`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := rdRead(t, tc.doc)
			if len(resp.Statements) != tc.statements {
				t.Fatalf("%d statements, want %d", len(resp.Statements), tc.statements)
			}
			st := resp.Statements[0]
			ledger := ""
			if st.Ledger.Set {
				ledger = st.Ledger.Amount.String()
			}
			if st.Count != tc.count || st.Sum.String() != tc.sum || ledger != tc.ledger {
				t.Errorf("count %d sum %s ledger %q, want %d %s %q", st.Count, st.Sum, ledger, tc.count, tc.sum, tc.ledger)
			}
			for _, tx := range st.Transactions {
				if tx.Posted.Valid != !strings.Contains(tc.name, "beyond year") && tx.FITID == "1" {
					t.Errorf("transaction 1: date valid %v", tx.Posted.Valid)
				}
			}
			joined := strings.Join(resp.Warnings, "\n")
			switch {
			case tc.wantWarning == "" && len(resp.Warnings) > 0:
				t.Errorf("unexpected warnings:\n%s", joined)
			case tc.wantWarning != "" && !strings.Contains(joined, tc.wantWarning):
				t.Errorf("warnings lack %q:\n%s", tc.wantWarning, joined)
			}
		})
	}
}
