package export

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

// convertInput is a bank's file with what QuickBooks would refuse: a
// transaction without a FITID, one without a date, a statement without
// dates or balance, a failed statement request and an investment statement.
const convertInput = "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>" +
	"<DTSERVER>20260201<LANGUAGE>ENG<FI><ORG>B1<FID>10898</FI><INTU.BID>10898</SONRS></SIGNONMSGSRSV1>" +
	"<CREDITCARDMSGSRSV1><CCSTMTTRNRS><TRNUID>2<STATUS><CODE>0<SEVERITY>INFO</STATUS><CCSTMTRS><CURDEF>USD<CCACCTFROM><ACCTID>4111</CCACCTFROM>" +
	"<BANKTRANLIST><STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260110<TRNAMT>-5.5<NAME>NO ID</STMTTRN>" +
	"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20260231<TRNAMT>-1.00<FITID>BADDATE</STMTTRN>" +
	"<STMTTRN><DTPOSTED>20260112<TRNAMT>7.25<FITID>C2</STMTTRN></BANKTRANLIST></CCSTMTRS></CCSTMTTRNRS>" +
	"<CCSTMTTRNRS><TRNUID>3<STATUS><CODE>2003<SEVERITY>ERROR<MESSAGE>Account not found</STATUS></CCSTMTTRNRS></CREDITCARDMSGSRSV1>" +
	"<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>021000021<ACCTID>111<ACCTTYPE>CHECKING</BANKACCTFROM>" +
	"<BANKTRANLIST><DTSTART>20260101<DTEND>20260131<STMTTRN><TRNTYPE>CHECK<DTPOSTED>20260105<TRNAMT>-10.00<FITID>F1<CHECKNUM>12</STMTTRN></BANKTRANLIST>" +
	"<LEDGERBAL><BALAMT>90.00<DTASOF>20260131</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1>" +
	"<INVSTMTMSGSRSV1><INVSTMTTRNRS><TRNUID>4<STATUS><CODE>0<SEVERITY>INFO</STATUS><INVSTMTRS><DTASOF>20260131<CURDEF>USD<INVACCTFROM><BROKERID>b.com<ACCTID>9</INVACCTFROM></INVSTMTRS></INVSTMTTRNRS></INVSTMTMSGSRSV1></OFX>\n"

func TestConvert(t *testing.T) {
	resp, err := ofx.Read(strings.NewReader(convertInput))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	res, err := Convert(&buf, resp, ConvertOptions{QBO: true, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	wantWarnings := []string{
		"statement 1 (account 4111): transaction 1 has no FITID: wrote 20260110_-5.5_1",
		`statement 1 (account 4111): transaction 2 (FITID "BADDATE") left out: no usable DTPOSTED`,
		"statement 1 (account 4111): no DTSTART: wrote 2026-01-10",
		"statement 1 (account 4111): no DTEND: wrote 2026-01-12",
		"statement 1 (account 4111): no LEDGERBAL: wrote the sum of its transactions, 1.75, which is not the bank's balance",
		"statement 3 (account 9): left out: investment statements are not bank or card statements, all a bank download holds",
	}
	if diff := cmp.Diff(wantWarnings, res.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if res.Statements != 2 || res.Transactions != 3 {
		t.Errorf("wrote %d statements, %d transactions; want 2, 3", res.Statements, res.Transactions)
	}
	back, err := ofx.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.Signon.IntuBID != "10898" || back.Signon.Org != "B1" || back.Signon.FID != "10898" {
		t.Errorf("sign-on %+v: want the bank's ORG, FID and INTU.BID", back.Signon)
	}
	type txn struct{ FITID, TrnType, Amount string }
	var got []txn
	for _, st := range back.Statements {
		for _, x := range st.Transactions {
			got = append(got, txn{x.FITID, x.TrnType, x.Amount.String()})
		}
	}
	// Bank statements come first, as OFX orders them.
	want := []txn{{"F1", "CHECK", "-10.00"}, {"20260110_-5.5_1", "DEBIT", "-5.5"}, {"C2", "CREDIT", "7.25"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("transactions (-want +got):\n%s", diff)
	}
	if b := back.Statements[0].Ledger; !b.Amount.Equal(bankfeed.MustDecimal("90")) || b.AsOf.Day() != "2026-01-31" {
		t.Errorf("bank ledger balance %s as of %s, want 90.00 as of 2026-01-31", b.Amount, b.AsOf.Day())
	}

	// Nothing to convert is an error; an INTU.BID given wins over the file's.
	none := *resp
	none.Statements = resp.Statements[2:] // the investment statement
	if _, err := Convert(&bytes.Buffer{}, &none, ConvertOptions{QBO: true}); err == nil || !strings.Contains(err.Error(), "no bank or card statement") {
		t.Errorf("a file of an investment statement only: %v", err)
	}
	buf.Reset()
	if _, err := Convert(&buf, resp, ConvertOptions{QBO: true, IntuBID: "3000"}); err != nil || !strings.Contains(buf.String(), "<INTU.BID>3000") {
		t.Errorf("--intu-bid 3000: %v", err)
	}
}
