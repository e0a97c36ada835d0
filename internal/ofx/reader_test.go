package ofx

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bankfeed/bankfeed"
	"github.com/google/go-cmp/cmp"
)

// The tests of this file hold the reader to what issue 2 promises of SGML and
// XML bodies, statuses, outcomes, statement kinds and streaming. Inputs are
// small documents built inline; headers and character sets are in
// header_test.go, dates and amounts in values_test.go, limits and files cut
// short in limits_test.go.

// rdSGMLHeader is a complete OFX 1.02 header.
const rdSGMLHeader = "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n" +
	"COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"

// rdXMLHeader is a complete OFX 2.1.1 prolog.
const rdXMLHeader = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>` + "\n" +
	`<?OFX OFXHEADER="200" VERSION="211" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>` + "\n"

// rdSGMLSignon is a sign-on response with its leaves unclosed.
const rdSGMLSignon = "<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240131120000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>\n"

// rdXMLSignon is a sign-on response with every element closed.
const rdXMLSignon = "<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>" +
	"<DTSERVER>20240131120000</DTSERVER><LANGUAGE>ENG</LANGUAGE></SONRS></SIGNONMSGSRSV1>\n"

// rdBankSGML wraps SGML transactions (STMTTRN aggregates) in a one-statement
// checking response after header: account 1234567890, USD, a ledger balance
// of 100.00. The body's first line is "<OFX>", the transactions start on the
// body's fifth line.
func rdBankSGML(header, trns string) string {
	return header + "<OFX>\n" + rdSGMLSignon +
		"<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\n" +
		"<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>121000248<ACCTID>1234567890<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST><DTSTART>20240101<DTEND>20240131\n" +
		trns +
		"</BANKTRANLIST><LEDGERBAL><BALAMT>100.00<DTASOF>20240131</LEDGERBAL>\n" +
		"</STMTRS></STMTTRNRS></BANKMSGSRSV1>\n</OFX>\n"
}

// rdBankXML is rdBankSGML with every element closed.
func rdBankXML(header, trns string) string {
	return header + "<OFX>\n" + rdXMLSignon +
		"<BANKMSGSRSV1><STMTTRNRS><TRNUID>1</TRNUID><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>\n" +
		"<STMTRS><CURDEF>USD</CURDEF><BANKACCTFROM><BANKID>121000248</BANKID><ACCTID>1234567890</ACCTID><ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM>" +
		"<BANKTRANLIST><DTSTART>20240101</DTSTART><DTEND>20240131</DTEND>\n" +
		trns +
		"</BANKTRANLIST><LEDGERBAL><BALAMT>100.00</BALAMT><DTASOF>20240131</DTASOF></LEDGERBAL>\n" +
		"</STMTRS></STMTTRNRS></BANKMSGSRSV1>\n</OFX>\n"
}

// rdTrn is one SGML STMTTRN, leaves unclosed, closed by </STMTTRN>.
func rdTrn(fitid, amount, name string) string {
	return "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<TRNAMT>" + amount + "<FITID>" + fitid + "<NAME>" + name + "</STMTTRN>\n"
}

// rdTrnXML is one XML STMTTRN.
func rdTrnXML(fitid, amount, name string) string {
	return "<STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20240115</DTPOSTED><TRNAMT>" + amount + "</TRNAMT><FITID>" + fitid +
		"</FITID><NAME>" + name + "</NAME></STMTTRN>\n"
}

// rdTxn is what the tests compare of a transaction. Amount is "" when the
// transaction has no usable amount, Posted "" when it has no usable date.
type rdTxn struct {
	Kind, FITID, Amount, Posted string
	Name, Payee, Memo           string
}

// rdStmt is what the tests compare of a statement.
type rdStmt struct {
	Index    int
	Kind     bankfeed.AccountKind
	Acct     string
	Currency string
	Count    int
	Sum      string
	Ledger   string // "" when not set
	Status   int
	Txns     []rdTxn
}

func rdSummarize(resp *Response) []rdStmt {
	var out []rdStmt
	for _, st := range resp.Statements {
		s := rdStmt{Index: st.Index, Kind: st.Kind, Acct: st.Account.AcctID, Currency: st.Currency,
			Count: st.Count, Sum: st.Sum.String(), Status: st.Status.Code}
		if st.Ledger.Set {
			s.Ledger = st.Ledger.Amount.String()
		}
		for _, t := range st.Transactions {
			tx := rdTxn{Kind: t.Kind, FITID: t.FITID, Posted: t.Posted.Day(), Name: t.Name, Payee: t.Payee, Memo: t.Memo}
			if t.AmountSet {
				tx.Amount = t.Amount.String()
			}
			s.Txns = append(s.Txns, tx)
		}
		out = append(out, s)
	}
	return out
}

// rdRead reads doc whole, failing the test on a rejection, and checks that
// every string of the response is valid UTF-8.
func rdRead(t *testing.T, doc string) *Response {
	t.Helper()
	resp, err := Read(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	rdCheckUTF8(t, resp)
	return resp
}

// rdCheckUTF8 fails the test if any string reachable from v is not valid
// UTF-8: the reader promises valid UTF-8 whatever the input.
func rdCheckUTF8(t *testing.T, v any) {
	t.Helper()
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			if !utf8.ValidString(v.String()) {
				t.Errorf("%s = %q is not valid UTF-8", path, v.String())
			}
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(path, v.Elem())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(path+"."+v.Type().Field(i).Name, v.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(path+"[]", v.Index(i))
			}
		}
	}
	walk("resp", reflect.ValueOf(v))
}

// rdTxns returns the transactions of the only statement of resp.
func rdTxns(t *testing.T, resp *Response) []rdTxn {
	t.Helper()
	stmts := rdSummarize(resp)
	if len(stmts) != 1 {
		t.Fatalf("%d statements, want 1", len(stmts))
	}
	return stmts[0].Txns
}

func rdT(fitid, amount, name string) rdTxn {
	return rdTxn{Kind: "STMTTRN", FITID: fitid, Amount: amount, Posted: "2024-01-15", Name: name}
}

// TestReaderSGMLBody proves the SGML tolerances: leaves closed or not,
// aggregates left open, proprietary elements, stray tags, loose text.
func TestReaderSGMLBody(t *testing.T) {
	tests := []struct {
		name string
		in   string // the STMTTRN list of a bank statement
		want []rdTxn
	}{
		{
			name: "leaves unclosed",
			in:   rdTrn("1", "-12.00", "SHOP") + rdTrn("2", "30.50", "PAY"),
			want: []rdTxn{rdT("1", "-12.00", "SHOP"), rdT("2", "30.50", "PAY")},
		},
		{
			name: "leaves closed",
			in:   rdTrnXML("1", "-12.00", "SHOP") + rdTrnXML("2", "30.50", "PAY"),
			want: []rdTxn{rdT("1", "-12.00", "SHOP"), rdT("2", "30.50", "PAY")},
		},
		{
			name: "leaves mixed",
			in:   "<STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20240115<TRNAMT>-12.00</TRNAMT><FITID>1<NAME>SHOP</NAME></STMTTRN>\n",
			want: []rdTxn{rdT("1", "-12.00", "SHOP")},
		},
		{
			name: "lower-case tags",
			in:   "<stmttrn><trntype>DEBIT<dtposted>20240115<trnamt>-12.00<fitid>1<name>SHOP</stmttrn>\n",
			want: []rdTxn{rdT("1", "-12.00", "SHOP")},
		},
		{
			name: "STMTTRN left open before the next STMTTRN",
			in: "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<TRNAMT>-1.00<FITID>1<NAME>A\n" +
				"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<TRNAMT>-2.00<FITID>2<NAME>B\n" +
				rdTrn("3", "-3.00", "C"),
			want: []rdTxn{rdT("1", "-1.00", "A"), rdT("2", "-2.00", "B"), rdT("3", "-3.00", "C")},
		},
		{
			name: "every STMTTRN left open",
			in: "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<TRNAMT>-1.00<FITID>1<NAME>A\n" +
				"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<TRNAMT>-2.00<FITID>2<NAME>B\n",
			want: []rdTxn{rdT("1", "-1.00", "A"), rdT("2", "-2.00", "B")},
		},
		{
			name: "STMTTRN left open holding an open PAYEE",
			in: "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<TRNAMT>-1.00<FITID>1<PAYEE><NAME>A<CITY>X\n" +
				rdTrn("2", "-2.00", "B"),
			want: []rdTxn{{Kind: "STMTTRN", FITID: "1", Amount: "-1.00", Posted: "2024-01-15", Payee: "A"}, rdT("2", "-2.00", "B")},
		},
		{
			name: "STMTTRN left open before </BANKTRANLIST>",
			in:   rdTrn("1", "-1.00", "A") + "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<TRNAMT>-2.00<FITID>2<NAME>B\n",
			want: []rdTxn{rdT("1", "-1.00", "A"), rdT("2", "-2.00", "B")},
		},
		{
			name: "empty unknown element left open",
			in:   "<STMTTRN><TRNTYPE>DEBIT<INTU.PRIVATE><DTPOSTED>20240115<TRNAMT>-1.00<FITID>1<NAME>A</STMTTRN>\n" + rdTrn("2", "-2.00", "B"),
			want: []rdTxn{rdT("1", "-1.00", "A"), rdT("2", "-2.00", "B")},
		},
		{
			name: "empty known leaf left open",
			in:   "<STMTTRN><TRNTYPE>DEBIT<MEMO><DTPOSTED>20240115<TRNAMT>-1.00<FITID>1<NAME>A</STMTTRN>\n" + rdTrn("2", "-2.00", "B"),
			want: []rdTxn{rdT("1", "-1.00", "A"), rdT("2", "-2.00", "B")},
		},
		{
			name: "unknown aggregate between transactions",
			in:   rdTrn("1", "-1.00", "A") + "<BANK.EXT><BANK.NOTE>hello</BANK.NOTE></BANK.EXT>\n" + rdTrn("2", "-2.00", "B"),
			want: []rdTxn{rdT("1", "-1.00", "A"), rdT("2", "-2.00", "B")},
		},
		{
			name: "unknown leaves with values inside a transaction",
			in:   "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<INTU.CATEGORY>Food<TRNAMT>-1.00<FITID>1<XX.NOTE>n</XX.NOTE><NAME>A</STMTTRN>\n",
			want: []rdTxn{rdT("1", "-1.00", "A")},
		},
		{
			name: "PAYEE as a text leaf",
			in:   "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<TRNAMT>-1.00<FITID>1<PAYEE>Shop</STMTTRN>\n",
			want: []rdTxn{{Kind: "STMTTRN", FITID: "1", Amount: "-1.00", Posted: "2024-01-15", Payee: "Shop"}},
		},
		{
			name: "PAYEE as an aggregate",
			in:   "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<TRNAMT>-1.00<FITID>1<PAYEE><NAME>Shop<ADDR1>1 Main St<CITY>X</PAYEE><MEMO>m</STMTTRN>\n",
			want: []rdTxn{{Kind: "STMTTRN", FITID: "1", Amount: "-1.00", Posted: "2024-01-15", Payee: "Shop", Memo: "m"}},
		},
		{
			name: "stray end tags",
			in:   "</FOO><STMTTRN><TRNTYPE>DEBIT</TRNTYPE></TRNTYPE><DTPOSTED>20240115</CCSTMTRS><TRNAMT>-1.00<FITID>1</BAR><NAME>A</STMTTRN></STMTTRN>\n" + rdTrn("2", "-2.00", "B"),
			want: []rdTxn{rdT("1", "-1.00", "A"), rdT("2", "-2.00", "B")},
		},
		{
			name: "bare ampersand and <3 in a memo",
			in:   "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<TRNAMT>-1.00<FITID>1<NAME>AT&T<MEMO>I <3 AT&T & co; <> 1 < 2</STMTTRN>\n",
			want: []rdTxn{{Kind: "STMTTRN", FITID: "1", Amount: "-1.00", Posted: "2024-01-15", Name: "AT&T", Memo: "I <3 AT&T & co; <> 1 < 2"}},
		},
		{
			name: "entities",
			in:   "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<TRNAMT>-1.00<FITID>1<NAME>A&amp;B &lt;C&gt; &quot;q&quot; &apos;a&apos;<MEMO>caf&#233; &#x20AC;5 &#X20ac; &unknown; &#0; &#xZZ;</STMTTRN>\n",
			want: []rdTxn{{Kind: "STMTTRN", FITID: "1", Amount: "-1.00", Posted: "2024-01-15", Name: `A&B <C> "q" 'a'`, Memo: "café €5 € &unknown; &#0; &#xZZ;"}},
		},
		{
			name: "CDATA in a value",
			in:   "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<TRNAMT>-1.00<FITID>1<NAME><![CDATA[A&B <shop>]]></NAME><MEMO>x <![CDATA[<y>]]> z</STMTTRN>\n",
			want: []rdTxn{{Kind: "STMTTRN", FITID: "1", Amount: "-1.00", Posted: "2024-01-15", Name: "A&B <shop>", Memo: "x <y> z"}},
		},
		{
			name: "CDATA taken literally, entities around it decoded once",
			in:   "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<TRNAMT>-1.00<FITID>1<NAME>&amp;lt; <![CDATA[&amp; &#233;]]> &amp;<![CDATA[]]></STMTTRN>\n",
			want: []rdTxn{{Kind: "STMTTRN", FITID: "1", Amount: "-1.00", Posted: "2024-01-15", Name: "&lt; &amp; &#233; &"}},
		},
		{
			name: "comments between and inside",
			in:   "<!-- first --><STMTTRN><TRNTYPE>DEBIT<!-- a <STMTTRN> in a comment --><DTPOSTED>20240115<TRNAMT>-1.00<FITID>1<NAME>A</STMTTRN>\n",
			want: []rdTxn{rdT("1", "-1.00", "A")},
		},
		{
			name: "values spread over lines and padded",
			in:   "<STMTTRN>\n  <TRNTYPE>  DEBIT \n  <DTPOSTED>\t20240115\r\n  <TRNAMT>\n-1.00\n  <FITID> 1 \n  <NAME>  A  B  \n</STMTTRN>\n",
			want: []rdTxn{rdT("1", "-1.00", "A  B")},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := rdRead(t, rdBankSGML(rdSGMLHeader, tc.in))
			if diff := cmp.Diff(tc.want, rdTxns(t, resp)); diff != "" {
				t.Errorf("transactions (-want +got):\n%s", diff)
			}
			st := resp.Statements[0]
			if st.Account.AcctID != "1234567890" || st.Currency != "USD" || !st.Ledger.Set || st.Ledger.Amount.String() != "100.00" {
				t.Errorf("statement = account %q, currency %q, ledger %s (set %v); want 1234567890, USD, 100.00",
					st.Account.AcctID, st.Currency, st.Ledger.Amount, st.Ledger.Set)
			}
			if st.Count != len(tc.want) {
				t.Errorf("count = %d, want %d", st.Count, len(tc.want))
			}
		})
	}
}

// TestReaderProprietaryElements proves that Intuit's and other proprietary
// elements are read or skipped and never swallow their siblings.
func TestReaderProprietaryElements(t *testing.T) {
	card := func(signon, acct string) string {
		return rdSGMLHeader + "<OFX>\n<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240131\n" + signon +
			"</SONRS></SIGNONMSGSRSV1>\n<CREDITCARDMSGSRSV1><CCSTMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\n" +
			"<CCSTMTRS><CURDEF>USD\n" + acct + "\n<BANKTRANLIST>" + rdTrn("1", "-5.00", "A") + "</BANKTRANLIST>\n" +
			"<LEDGERBAL><BALAMT>-5.00<DTASOF>20240131</LEDGERBAL></CCSTMTRS></CCSTMTTRNRS></CREDITCARDMSGSRSV1>\n</OFX>\n"
	}
	type want struct {
		Org, FID, IntuBID, IntuUserID, Language string
		Acct                                    string
		Count                                   int
		Ledger                                  string
	}
	tests := []struct {
		name string
		in   string
		want want
	}{
		{
			name: "INTU.BID and INTU.USERID with values",
			in:   card("<LANGUAGE>ENG<FI><ORG>B1<FID>10898</FI><INTU.BID>10898<INTU.USERID>jdoe", "<CCACCTFROM><ACCTID>4111</CCACCTFROM>"),
			want: want{Org: "B1", FID: "10898", IntuBID: "10898", IntuUserID: "jdoe", Language: "ENG", Acct: "4111", Count: 1, Ledger: "-5.00"},
		},
		{
			name: "INTU elements closed, before the FI",
			in:   card("<INTU.BID>3000</INTU.BID><INTU.USERID>u</INTU.USERID><LANGUAGE>ENG<FI><ORG>B1<FID>1</FI>", "<CCACCTFROM><ACCTID>4111</CCACCTFROM>"),
			want: want{Org: "B1", FID: "1", IntuBID: "3000", IntuUserID: "u", Language: "ENG", Acct: "4111", Count: 1, Ledger: "-5.00"},
		},
		{
			name: "empty unknown element left open before ACCTID",
			in:   card("<LANGUAGE>ENG", "<CCACCTFROM><INTU.PRIVATE><ACCTID>4111</CCACCTFROM>"),
			want: want{Language: "ENG", Acct: "4111", Count: 1, Ledger: "-5.00"},
		},
		{
			name: "unknown aggregate before ACCTID",
			in:   card("<LANGUAGE>ENG", "<CCACCTFROM><AMEX.FOO><AMEX.BAR>x</AMEX.BAR></AMEX.FOO><ACCTID>4111</CCACCTFROM>"),
			want: want{Language: "ENG", Acct: "4111", Count: 1, Ledger: "-5.00"},
		},
		{
			name: "unknown aggregate with unclosed leaves before ACCTID",
			in:   card("<LANGUAGE>ENG", "<CCACCTFROM><AMEX.FOO><AMEX.BAR>x<AMEX.BAZ>y</AMEX.FOO><ACCTID>4111</CCACCTFROM>"),
			want: want{Language: "ENG", Acct: "4111", Count: 1, Ledger: "-5.00"},
		},
		{
			name: "unknown aggregate left open in the sign-on",
			in:   card("<LANGUAGE>ENG<AMEX.SESSION><AMEX.TOKEN>t<FI><ORG>B1<FID>1</FI><INTU.BID>7", "<CCACCTFROM><ACCTID>4111</CCACCTFROM>"),
			want: want{Org: "B1", FID: "1", IntuBID: "7", Language: "ENG", Acct: "4111", Count: 1, Ledger: "-5.00"},
		},
		{
			name: "unknown aggregate wrapping the statement",
			in: strings.Replace(card("<LANGUAGE>ENG", "<CCACCTFROM><ACCTID>4111</CCACCTFROM>"),
				"<CCSTMTRS>", "<XX.WRAP><CCSTMTRS>", 1),
			want: want{Language: "ENG", Acct: "4111", Count: 1, Ledger: "-5.00"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := rdRead(t, tc.in)
			if len(resp.Statements) != 1 {
				t.Fatalf("%d statements, want 1", len(resp.Statements))
			}
			st, so := resp.Statements[0], resp.Signon
			got := want{Org: so.Org, FID: so.FID, IntuBID: so.IntuBID, IntuUserID: so.IntuUserID, Language: so.Language,
				Acct: st.Account.AcctID, Count: st.Count, Ledger: st.Ledger.Amount.String()}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if st.Kind != bankfeed.KindCreditCard || st.Signon != &resp.Signon {
				t.Errorf("kind %s, signon linked %v", st.Kind, st.Signon == &resp.Signon)
			}
		})
	}
}

// TestReaderXMLBody reads OFX 2 bodies: indented, self-closing elements,
// namespaces-free proprietary elements, entities and CDATA.
func TestReaderXMLBody(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []rdTxn
	}{
		{
			name: "plain",
			in:   rdTrnXML("1", "-12.00", "SHOP") + rdTrnXML("2", "30.50", "PAY"),
			want: []rdTxn{rdT("1", "-12.00", "SHOP"), rdT("2", "30.50", "PAY")},
		},
		{
			name: "self-closing and empty elements",
			in: "<STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20240115</DTPOSTED><MEMO/><TRNAMT>-1.00</TRNAMT><PAYEE/><FITID>1</FITID>" +
				"<CHECKNUM></CHECKNUM><NAME>A</NAME></STMTTRN>\n",
			want: []rdTxn{rdT("1", "-1.00", "A")},
		},
		{
			name: "entities and CDATA",
			in: "<STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20240115</DTPOSTED><TRNAMT>-1.00</TRNAMT><FITID>1</FITID>" +
				"<NAME>M&amp;S &#233;</NAME><MEMO><![CDATA[a < b & c]]></MEMO></STMTTRN>\n",
			want: []rdTxn{{Kind: "STMTTRN", FITID: "1", Amount: "-1.00", Posted: "2024-01-15", Name: "M&S é", Memo: "a < b & c"}},
		},
		{
			name: "proprietary elements",
			in: "<STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20240115</DTPOSTED><INTU.PRIVATE/><TRNAMT>-1.00</TRNAMT><FITID>1</FITID>" +
				"<AMEX.FOO><AMEX.BAR>x</AMEX.BAR></AMEX.FOO><NAME>A</NAME></STMTTRN>\n",
			want: []rdTxn{rdT("1", "-1.00", "A")},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := rdRead(t, rdBankXML(rdXMLHeader, tc.in))
			if resp.Format != FormatXML || resp.Version != "211" {
				t.Errorf("format %s version %q, want %s 211", resp.Format, resp.Version, FormatXML)
			}
			if diff := cmp.Diff(tc.want, rdTxns(t, resp)); diff != "" {
				t.Errorf("transactions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReaderFieldWarnings proves that an unusable or missing amount, date or
// FITID is a warning naming the line and the field, not a failed file: the
// transaction is still counted, and an unusable amount is not summed.
func TestReaderFieldWarnings(t *testing.T) {
	// rdBankSGML puts the transactions on line 5 of the body; the header
	// takes 10 lines, so the first transaction is on line 15.
	const first = 15
	tests := []struct {
		name      string
		in        string
		wantTxns  []rdTxn
		wantSum   string
		wantWarns []string
	}{
		{
			name:      "unparseable TRNAMT",
			in:        rdTrn("1", "-1.00", "A") + rdTrn("2", "12,34,5x", "B") + rdTrn("3", "-3.00", "C"),
			wantTxns:  []rdTxn{rdT("1", "-1.00", "A"), rdT("2", "", "B"), rdT("3", "-3.00", "C")},
			wantSum:   "-4.00",
			wantWarns: []string{`line 16: <TRNAMT> "12,34,5x" has unexpected letters; the amount is not used`},
		},
		{
			name:      "empty TRNAMT",
			in:        "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<TRNAMT></TRNAMT><FITID>1<NAME>A</STMTTRN>\n",
			wantTxns:  []rdTxn{rdT("1", "", "A")},
			wantSum:   "0",
			wantWarns: []string{"line 15: <STMTTRN> FITID 1 has no TRNAMT: no usable amount"},
		},
		{
			name:      "missing TRNAMT",
			in:        rdTrn("1", "-1.00", "A") + "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<FITID>2<NAME>B</STMTTRN>\n",
			wantTxns:  []rdTxn{rdT("1", "-1.00", "A"), rdT("2", "", "B")},
			wantSum:   "-1.00",
			wantWarns: []string{"line 16: <STMTTRN> FITID 2 has no TRNAMT: no usable amount"},
		},
		{
			name: "impossible dates",
			in: "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20230231<TRNAMT>-1.00<FITID>1<NAME>A</STMTTRN>\n" +
				"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20231301<TRNAMT>-2.00<FITID>2<NAME>B</STMTTRN>\n" +
				"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>00000000<TRNAMT>-3.00<FITID>3<NAME>C</STMTTRN>\n",
			wantTxns: []rdTxn{
				{Kind: "STMTTRN", FITID: "1", Amount: "-1.00", Name: "A"},
				{Kind: "STMTTRN", FITID: "2", Amount: "-2.00", Name: "B"},
				{Kind: "STMTTRN", FITID: "3", Amount: "-3.00", Name: "C"},
			},
			wantSum: "-6.00",
			wantWarns: []string{
				`line 15: <DTPOSTED> "20230231" is not a real date; the date is not used`,
				`line 16: <DTPOSTED> "20231301" is not a real date; the date is not used`,
				`line 17: <DTPOSTED> "00000000" is not a real date; the date is not used`,
			},
		},
		{
			name:     "missing date and FITID",
			in:       "<STMTTRN><TRNTYPE>DEBIT<TRNAMT>-1.00<NAME>A</STMTTRN>\n",
			wantTxns: []rdTxn{{Kind: "STMTTRN", Amount: "-1.00", Name: "A"}},
			wantSum:  "-1.00",
			wantWarns: []string{
				"line 15: <STMTTRN> without FITID has no posting date: no usable date",
				"line 15: <STMTTRN> has no FITID",
			},
		},
		{
			name:     "bad DTUSER beside a good DTPOSTED",
			in:       "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<DTUSER>2024011<TRNAMT>-1.00<FITID>1<NAME>A</STMTTRN>\n",
			wantTxns: []rdTxn{rdT("1", "-1.00", "A")},
			wantSum:  "-1.00",
			wantWarns: []string{
				`line 15: <DTUSER> "2024011" has the wrong length; the date is not used`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := rdBankSGML(rdSGMLHeader, tc.in)
			if got := strings.Count(doc[:strings.Index(doc, "<STMTTRN>")], "\n") + 1; got != first {
				t.Fatalf("first transaction on line %d, test assumes %d", got, first)
			}
			resp := rdRead(t, doc)
			if diff := cmp.Diff(tc.wantTxns, rdTxns(t, resp)); diff != "" {
				t.Errorf("transactions (-want +got):\n%s", diff)
			}
			st := resp.Statements[0]
			if st.Count != len(tc.wantTxns) || st.Sum.String() != tc.wantSum {
				t.Errorf("count %d sum %s, want %d %s", st.Count, st.Sum, len(tc.wantTxns), tc.wantSum)
			}
			if diff := cmp.Diff(tc.wantWarns, resp.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if resp.Outcome() != OutcomeStatements {
				t.Errorf("outcome %s", resp.Outcome())
			}
			// Streaming gives the same count, sum and warnings.
			streamed, err := Stream(strings.NewReader(doc), Options{}, Handler{})
			if err != nil {
				t.Fatal(err)
			}
			if s := streamed.Statements[0]; s.Count != st.Count || !s.Sum.Equal(st.Sum) {
				t.Errorf("streamed count %d sum %s", s.Count, s.Sum)
			}
			if diff := cmp.Diff(tc.wantWarns, streamed.Warnings); diff != "" {
				t.Errorf("streamed warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// rdStatus builds a STATUS aggregate in SGML.
func rdStatus(code, severity, message string) string {
	s := "<STATUS><CODE>" + code + "<SEVERITY>" + severity
	if message != "" {
		s += "<MESSAGE>" + message
	}
	return s + "</STATUS>"
}

func rdSGMLSignonWith(status string) string {
	return "<SIGNONMSGSRSV1><SONRS>" + status + "<DTSERVER>20240131<LANGUAGE>ENG<FI><ORG>Bank<FID>42</FI></SONRS></SIGNONMSGSRSV1>\n"
}

// TestReaderStatuses proves that the sign-on STATUS and every wrapper's
// STATUS are exposed with code, severity and message, and that the outcome
// follows them.
func TestReaderStatuses(t *testing.T) {
	type want struct {
		Outcome    string
		Signon     Status
		TxStatuses []TxStatus
		Stmts      []rdStmt
	}
	okSignon := Status{Set: true, Code: 0, Severity: "INFO"}
	bankRS := "<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>1<ACCTID>99<ACCTTYPE>SAVINGS</BANKACCTFROM>" +
		"<BANKTRANLIST><DTSTART>20240101<DTEND>20240131" + rdTrn("1", "2.50", "A") + "</BANKTRANLIST>" +
		"<LEDGERBAL><BALAMT>7.5<DTASOF>20240131</LEDGERBAL></STMTRS>"
	tests := []struct {
		name string
		in   string
		want want
	}{
		{
			name: "signon status with a message",
			in: "<OFX>" + rdSGMLSignonWith(rdStatus("15500", "ERROR", "Signon invalid: check your password & user id")) +
				"</OFX>",
			want: want{
				Outcome: OutcomeErrorResponse,
				Signon:  Status{Set: true, Code: 15500, Severity: "ERROR", Message: "Signon invalid: check your password & user id"},
			},
		},
		{
			name: "signon code 1 is success",
			in:   "<OFX>" + rdSGMLSignonWith(rdStatus("1", "INFO", "up to date")) + "</OFX>",
			want: want{Outcome: OutcomeNoStatements, Signon: Status{Set: true, Code: 1, Severity: "INFO", Message: "up to date"}},
		},
		{
			name: "statement wrapper with code 2000 and no STMTRS",
			in: "<OFX>" + rdSGMLSignonWith(rdStatus("0", "INFO", "")) +
				"<BANKMSGSRSV1><STMTTRNRS><TRNUID>1001" + rdStatus("2000", "ERROR", "General error") + "</STMTTRNRS></BANKMSGSRSV1></OFX>",
			want: want{
				Outcome:    OutcomeErrorResponse,
				Signon:     okSignon,
				TxStatuses: []TxStatus{{Wrapper: "STMTTRNRS", TRNUID: "1001", Status: Status{Set: true, Code: 2000, Severity: "ERROR", Message: "General error"}}},
			},
		},
		{
			name: "statement with a non-zero status",
			in: "<OFX>" + rdSGMLSignonWith(rdStatus("0", "INFO", "")) +
				"<BANKMSGSRSV1><STMTTRNRS><TRNUID>7" + rdStatus("2019", "WARN", "Duplicate request") + bankRS +
				"</STMTTRNRS></BANKMSGSRSV1></OFX>",
			want: want{
				Outcome:    OutcomeStatements,
				Signon:     okSignon,
				TxStatuses: []TxStatus{{Wrapper: "STMTTRNRS", TRNUID: "7", Status: Status{Set: true, Code: 2019, Severity: "WARN", Message: "Duplicate request"}}},
				Stmts: []rdStmt{{Kind: bankfeed.KindBank, Acct: "99", Currency: "USD", Count: 1, Sum: "2.50", Ledger: "7.5", Status: 2019,
					Txns: []rdTxn{rdT("1", "2.50", "A")}}},
			},
		},
		{
			name: "status after the statement",
			in: "<OFX>" + rdSGMLSignonWith(rdStatus("0", "INFO", "")) +
				"<BANKMSGSRSV1><STMTTRNRS><TRNUID>7" + bankRS + rdStatus("2020", "ERROR", "late") +
				"</STMTTRNRS></BANKMSGSRSV1></OFX>",
			want: want{
				Outcome:    OutcomeStatements,
				Signon:     okSignon,
				TxStatuses: []TxStatus{{Wrapper: "STMTTRNRS", TRNUID: "7", Status: Status{Set: true, Code: 2020, Severity: "ERROR", Message: "late"}}},
				Stmts: []rdStmt{{Kind: bankfeed.KindBank, Acct: "99", Currency: "USD", Count: 1, Sum: "2.50", Ledger: "7.5", Status: 2020,
					Txns: []rdTxn{rdT("1", "2.50", "A")}}},
			},
		},
		{
			name: "one wrapper fails, another succeeds",
			in: "<OFX>" + rdSGMLSignonWith(rdStatus("0", "INFO", "")) +
				"<BANKMSGSRSV1><STMTTRNRS><TRNUID>1" + rdStatus("10500", "ERROR", "Account in use") + "</STMTTRNRS>" +
				"<STMTTRNRS><TRNUID>2" + rdStatus("0", "INFO", "") + bankRS + "</STMTTRNRS></BANKMSGSRSV1></OFX>",
			want: want{
				Outcome: OutcomeStatements,
				Signon:  okSignon,
				TxStatuses: []TxStatus{
					{Wrapper: "STMTTRNRS", TRNUID: "1", Status: Status{Set: true, Code: 10500, Severity: "ERROR", Message: "Account in use"}},
					{Wrapper: "STMTTRNRS", TRNUID: "2", Status: Status{Set: true, Severity: "INFO"}},
				},
				Stmts: []rdStmt{{Kind: bankfeed.KindBank, Acct: "99", Currency: "USD", Count: 1, Sum: "2.50", Ledger: "7.5",
					Txns: []rdTxn{rdT("1", "2.50", "A")}}},
			},
		},
		{
			name: "empty response",
			in:   "<OFX>" + rdSGMLSignonWith(rdStatus("0", "INFO", "")) + "</OFX>",
			want: want{Outcome: OutcomeNoStatements, Signon: okSignon},
		},
		{
			name: "no signon at all",
			in:   "<OFX></OFX>",
			want: want{Outcome: OutcomeNoStatements},
		},
		{
			name: "a bad status code is a warning",
			in:   "<OFX>" + rdSGMLSignonWith(rdStatus("O", "INFO", "")) + "</OFX>",
			want: want{Outcome: OutcomeNoStatements, Signon: okSignon},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := rdRead(t, tc.in)
			got := want{Outcome: resp.Outcome(), Signon: resp.Signon.Status, TxStatuses: resp.TxStatuses, Stmts: rdSummarize(resp)}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestReaderBadStatusCodeWarns checks the warning of a status code that is
// not a number.
func TestReaderBadStatusCodeWarns(t *testing.T) {
	resp := rdRead(t, "<OFX>\n"+rdSGMLSignonWith(rdStatus("O", "INFO", ""))+"</OFX>")
	want := []string{`line 2: <CODE> "O" is not a status code`}
	if diff := cmp.Diff(want, resp.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestReaderProfile reads a profile response: no statements, the profile set.
func TestReaderProfile(t *testing.T) {
	doc := rdSGMLHeader + "<OFX>" + rdSGMLSignonWith(rdStatus("0", "INFO", "")) +
		"<PROFMSGSRSV1><PROFTRNRS><TRNUID>9" + rdStatus("0", "INFO", "") + "<PROFRS><MSGSETLIST>" +
		"<SIGNONMSGSET><SIGNONMSGSETV1><MSGSETCORE><VER>1<URL>https://ofx.example.com/ofx<OFXSEC>NONE<TRANSPSEC>Y<SIGNONREALM>R<LANGUAGE>ENG<SYNCMODE>LITE</MSGSETCORE></SIGNONMSGSETV1></SIGNONMSGSET>" +
		"<BANKMSGSET><BANKMSGSETV1><MSGSETCORE><VER>1<URL>https://ofx.example.com/ofx<OFXSEC>NONE<TRANSPSEC>Y<SIGNONREALM>R<LANGUAGE>ENG<SYNCMODE>LITE</MSGSETCORE><CLOSINGAVAIL>Y</BANKMSGSETV1></BANKMSGSET>" +
		"</MSGSETLIST><SIGNONINFOLIST><SIGNONINFO><SIGNONREALM>R<MIN>4<MAX>32</SIGNONINFO></SIGNONINFOLIST>" +
		"<DTPROFUP>20230415<FINAME>Example Bank<ADDR1>1 Main St<CITY>Town<STATE>NY<POSTALCODE>10001<COUNTRY>USA</PROFRS>" +
		"</PROFTRNRS></PROFMSGSRSV1></OFX>"
	resp := rdRead(t, doc)
	if got := resp.Outcome(); got != OutcomeNoStatements {
		t.Errorf("outcome %s, want %s", got, OutcomeNoStatements)
	}
	if resp.Profile == nil {
		t.Fatal("no profile")
	}
	p := resp.Profile
	got := []string{p.FIName, p.URL, p.DTProfUp.Day(), strings.Join(p.MessageSets, ",")}
	want := []string{"Example Bank", "https://ofx.example.com/ofx", "2023-04-15", "SIGNONMSGSET,BANKMSGSET"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("profile (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]TxStatus{{Wrapper: "PROFTRNRS", TRNUID: "9", Status: Status{Set: true, Severity: "INFO"}}}, resp.TxStatuses); diff != "" {
		t.Errorf("tx statuses (-want +got):\n%s", diff)
	}
}

// TestReaderAccountInfo reads an account-information response.
func TestReaderAccountInfo(t *testing.T) {
	doc := rdXMLHeader + "<OFX>" + rdXMLSignon +
		"<SIGNUPMSGSRSV1><ACCTINFOTRNRS><TRNUID>3</TRNUID><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>" +
		"<ACCTINFORS><DTACCTUP>20240101</DTACCTUP>" +
		"<ACCTINFO><DESC>Checking</DESC><PHONE>555-0100</PHONE><BANKACCTINFO><BANKACCTFROM><BANKID>121000248</BANKID>" +
		"<ACCTID>111</ACCTID><ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM><SUPTXDL>Y</SUPTXDL><XFERSRC>Y</XFERSRC>" +
		"<XFERDEST>N</XFERDEST><SVCSTATUS>ACTIVE</SVCSTATUS></BANKACCTINFO></ACCTINFO>" +
		"<ACCTINFO><DESC>Visa</DESC><CCACCTINFO><CCACCTFROM><ACCTID>4111222233334444</ACCTID></CCACCTFROM>" +
		"<SUPTXDL>N</SUPTXDL><XFERSRC>N</XFERSRC><XFERDEST>N</XFERDEST><SVCSTATUS>PEND</SVCSTATUS></CCACCTINFO></ACCTINFO>" +
		"<ACCTINFO><INVACCTINFO><INVACCTFROM><BROKERID>broker.example.com</BROKERID><ACCTID>X-1</ACCTID></INVACCTFROM>" +
		"<USPRODUCTTYPE>401K</USPRODUCTTYPE><CHECKING>N</CHECKING><SVCSTATUS>ACTIVE</SVCSTATUS><INVACCTTYPE>INDIVIDUAL</INVACCTTYPE></INVACCTINFO></ACCTINFO>" +
		"</ACCTINFORS></ACCTINFOTRNRS></SIGNUPMSGSRSV1></OFX>"
	resp := rdRead(t, doc)
	if got := resp.Outcome(); got != OutcomeNoStatements {
		t.Errorf("outcome %s, want %s", got, OutcomeNoStatements)
	}
	want := []AccountInfo{
		{Kind: bankfeed.KindBank, Desc: "Checking", Phone: "555-0100", SupTxDl: true, XferSrc: true, SvcStatus: "ACTIVE",
			Account: AccountRef{BankID: "121000248", AcctID: "111", AcctType: "CHECKING"}},
		{Kind: bankfeed.KindCreditCard, Desc: "Visa", SvcStatus: "PEND", Account: AccountRef{AcctID: "4111222233334444"}},
		{Kind: bankfeed.KindInvestment, SvcStatus: "ACTIVE", Account: AccountRef{BrokerID: "broker.example.com", AcctID: "X-1"}},
	}
	if diff := cmp.Diff(want, resp.AccountInfo); diff != "" {
		t.Errorf("account info (-want +got):\n%s", diff)
	}
}

// rdInvSGML is an investment statement with every kind of line the issue
// names: trades, income, cash, transfers, splits, positions and balances.
const rdInvSGML = "<INVSTMTRS><DTASOF>20240131<CURDEF>USD<INVACCTFROM><BROKERID>broker.example.com<ACCTID>INV-1</INVACCTFROM>\n" +
	"<INVTRANLIST><DTSTART>20240101<DTEND>20240131\n" +
	"<BUYSTOCK><INVBUY><INVTRAN><FITID>b1<DTTRADE>20240102<DTSETTLE>20240104</INVTRAN><SECID><UNIQUEID>037833100<UNIQUEIDTYPE>CUSIP</SECID>" +
	"<UNITS>10<UNITPRICE>150.25<COMMISSION>1.00<TOTAL>-1503.50<SUBACCTSEC>CASH<SUBACCTFUND>CASH</INVBUY><BUYTYPE>BUY</BUYSTOCK>\n" +
	"<SELLMF><INVSELL><INVTRAN><FITID>s1<DTTRADE>20240105</INVTRAN><SECID><UNIQUEID>922908363<UNIQUEIDTYPE>CUSIP</SECID>" +
	"<UNITS>-5.5<UNITPRICE>400<TOTAL>2200.00<SUBACCTSEC>CASH<SUBACCTFUND>CASH</INVSELL><SELLTYPE>SELL</SELLMF>\n" +
	"<INCOME><INVTRAN><FITID>i1<DTTRADE>20240110<MEMO>Dividend</INVTRAN><SECID><UNIQUEID>037833100<UNIQUEIDTYPE>CUSIP</SECID>" +
	"<INCOMETYPE>DIV<TOTAL>12.34<SUBACCTSEC>CASH<SUBACCTFUND>CASH</INCOME>\n" +
	"<INVBANKTRAN><STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240112<TRNAMT>500.00<FITID>c1<NAME>Deposit</STMTTRN><SUBACCTFUND>CASH</INVBANKTRAN>\n" +
	"<TRANSFER><INVTRAN><FITID>t1<DTTRADE>20240115</INVTRAN><SECID><UNIQUEID>037833100<UNIQUEIDTYPE>CUSIP</SECID>" +
	"<SUBACCTSEC>CASH<UNITS>3<TFERACTION>IN<POSTYPE>LONG</TRANSFER>\n" +
	"<SPLIT><INVTRAN><FITID>p1<DTTRADE>20240120</INVTRAN><SECID><UNIQUEID>037833100<UNIQUEIDTYPE>CUSIP</SECID>" +
	"<SUBACCTSEC>CASH<OLDUNITS>13<NEWUNITS>26<NUMERATOR>2<DENOMINATOR>1</SPLIT>\n" +
	"</INVTRANLIST>\n" +
	"<INVPOSLIST><POSSTOCK><INVPOS><SECID><UNIQUEID>037833100<UNIQUEIDTYPE>CUSIP</SECID><HELDINACCT>CASH<POSTYPE>LONG" +
	"<UNITS>26<UNITPRICE>75.10<MKTVAL>1952.60<DTPRICEASOF>20240131</INVPOS></POSSTOCK>" +
	"<POSMF><INVPOS><SECID><UNIQUEID>922908363<UNIQUEIDTYPE>CUSIP</SECID><HELDINACCT>CASH<POSTYPE>LONG" +
	"<UNITS>94.5<UNITPRICE>401.00<MKTVAL>37894.50<DTPRICEASOF>20240131</INVPOS><REINVDIV>Y</POSMF></INVPOSLIST>\n" +
	"<INVBAL><AVAILCASH>1208.84<MARGINBALANCE>0<SHORTBALANCE>0<BUYPOWER>2417.68" +
	"<BALLIST><BAL><NAME>Dividends YTD<DESC>Dividends<BALTYPE>DOLLAR<VALUE>12.34<DTASOF>20240131</BAL></BALLIST></INVBAL>\n" +
	"</INVSTMTRS>"

// rdSecList is a SECLIST for rdInvSGML.
const rdSecList = "<SECLISTMSGSRSV1><SECLIST>" +
	"<STOCKINFO><SECINFO><SECID><UNIQUEID>037833100<UNIQUEIDTYPE>CUSIP</SECID><SECNAME>Apple Inc.<TICKER>AAPL</SECINFO><YIELD>0.5</STOCKINFO>" +
	"<MFINFO><SECINFO><SECID><UNIQUEID>922908363<UNIQUEIDTYPE>CUSIP</SECID><SECNAME>Vanguard 500<TICKER>VOO</SECINFO><MFTYPE>OPENEND</MFINFO>" +
	"</SECLIST></SECLISTMSGSRSV1>"

// TestReaderInvestment reads an investment statement: every transaction kind
// with its amount (TOTAL, or TRNAMT for INVBANKTRAN, zero for transfers and
// splits), positions, balances and securities.
func TestReaderInvestment(t *testing.T) {
	doc := rdSGMLHeader + "<OFX>\n" + rdSGMLSignon + "<INVSTMTMSGSRSV1><INVSTMTTRNRS><TRNUID>5" + rdStatus("0", "INFO", "") + "\n" +
		rdInvSGML + "</INVSTMTTRNRS></INVSTMTMSGSRSV1>\n" + rdSecList + "\n</OFX>\n"
	resp := rdRead(t, doc)
	if len(resp.Statements) != 1 {
		t.Fatalf("%d statements, want 1", len(resp.Statements))
	}
	st := resp.Statements[0]
	type txn struct {
		Kind, FITID, Amount, Posted, Units, Subtype, SecID, Name, Memo string
	}
	var got []txn
	for _, tx := range st.Transactions {
		if !tx.AmountSet {
			t.Errorf("%s %s has no amount", tx.Kind, tx.FITID)
		}
		got = append(got, txn{tx.Kind, tx.FITID, tx.Amount.String(), tx.Posted.Day(), tx.Units, tx.Subtype, tx.SecID.UniqueID, tx.Name, tx.Memo})
	}
	want := []txn{
		{"BUYSTOCK", "b1", "-1503.50", "2024-01-02", "10", "BUY", "037833100", "", ""},
		{"SELLMF", "s1", "2200.00", "2024-01-05", "-5.5", "SELL", "922908363", "", ""},
		{"INCOME", "i1", "12.34", "2024-01-10", "", "DIV", "037833100", "", "Dividend"},
		{"INVBANKTRAN", "c1", "500.00", "2024-01-12", "", "", "", "Deposit", ""},
		{"TRANSFER", "t1", "0", "2024-01-15", "3", "IN", "037833100", "", ""},
		{"SPLIT", "p1", "0", "2024-01-20", "", "", "037833100", "", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("transactions (-want +got):\n%s", diff)
	}
	if st.Kind != bankfeed.KindInvestment || st.Account.AcctID != "INV-1" || st.Account.BrokerID != "broker.example.com" ||
		st.Currency != "USD" || st.AsOf.Day() != "2024-01-31" || st.Count != 6 {
		t.Errorf("statement = %s %+v %s asof %s count %d", st.Kind, st.Account, st.Currency, st.AsOf.Day(), st.Count)
	}
	if st.Sum.String() != "1208.84" {
		t.Errorf("sum %s, want 1208.84 (-1503.50 + 2200.00 + 12.34 + 500.00 + 0 + 0)", st.Sum)
	}
	balances := map[string]Balance{"ledger (AVAILCASH)": st.Ledger, "margin": st.MarginBalance, "short": st.ShortBalance, "buy power": st.BuyPower}
	for name, want := range map[string]string{"ledger (AVAILCASH)": "1208.84", "margin": "0", "short": "0", "buy power": "2417.68"} {
		if b := balances[name]; !b.Set || b.Amount.String() != want || b.AsOf.Day() != "2024-01-31" {
			t.Errorf("%s balance = %s (set %v, as of %s), want %s as of 2024-01-31", name, b.Amount, b.Set, b.AsOf.Day(), want)
		}
	}
	wantPos := []Position{
		{Kind: "POSSTOCK", SecID: SecID{"037833100", "CUSIP"}, HeldInAcct: "CASH", PosType: "LONG", Units: "26", UnitPrice: "75.10", MktVal: "1952.60"},
		{Kind: "POSMF", SecID: SecID{"922908363", "CUSIP"}, HeldInAcct: "CASH", PosType: "LONG", Units: "94.5", UnitPrice: "401.00", MktVal: "37894.50"},
	}
	ignoreDates := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().Type() == reflect.TypeFor[Date]() }, cmp.Ignore())
	if diff := cmp.Diff(wantPos, st.Positions, ignoreDates); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
	for _, p := range st.Positions {
		if p.DTPriceAsOf.Day() != "2024-01-31" {
			t.Errorf("%s price as of %s", p.Kind, p.DTPriceAsOf.Day())
		}
	}
	wantBal := []NamedBalance{{Name: "Dividends YTD", Desc: "Dividends", BalType: "DOLLAR", Value: "12.34"}}
	if diff := cmp.Diff(wantBal, st.Balances, ignoreDates); diff != "" {
		t.Errorf("BALLIST (-want +got):\n%s", diff)
	}
	wantSec := []Security{
		{Kind: "STOCKINFO", SecID: SecID{"037833100", "CUSIP"}, Name: "Apple Inc.", Ticker: "AAPL"},
		{Kind: "MFINFO", SecID: SecID{"922908363", "CUSIP"}, Name: "Vanguard 500", Ticker: "VOO"},
	}
	if diff := cmp.Diff(wantSec, resp.Securities); diff != "" {
		t.Errorf("securities (-want +got):\n%s", diff)
	}
	if len(resp.Warnings) != 0 {
		t.Errorf("warnings: %q", resp.Warnings)
	}
}

// TestReaderInvestmentLeftOpen proves that an investment transaction left
// open ends where the next one begins, whatever its kind.
func TestReaderInvestmentLeftOpen(t *testing.T) {
	open := strings.NewReplacer("</BUYSTOCK>", "", "</SELLMF>", "", "</INCOME>", "", "</INVBANKTRAN>", "", "</TRANSFER>", "")
	doc := rdSGMLHeader + "<OFX>\n" + rdSGMLSignon + "<INVSTMTMSGSRSV1><INVSTMTTRNRS><TRNUID>5" + rdStatus("0", "INFO", "") + "\n" +
		open.Replace(rdInvSGML) + "</INVSTMTTRNRS></INVSTMTMSGSRSV1>\n</OFX>\n"
	resp := rdRead(t, doc)
	st := resp.Statements[0]
	var got []string
	for _, tx := range st.Transactions {
		got = append(got, tx.Kind+" "+tx.FITID+" "+tx.Amount.String())
	}
	want := []string{"BUYSTOCK b1 -1503.50", "SELLMF s1 2200.00", "INCOME i1 12.34", "INVBANKTRAN c1 500.00", "TRANSFER t1 0", "SPLIT p1 0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("transactions (-want +got):\n%s", diff)
	}
	if st.Count != 6 || st.Sum.String() != "1208.84" || len(st.Positions) != 2 || st.Ledger.Amount.String() != "1208.84" {
		t.Errorf("count %d sum %s positions %d ledger %s", st.Count, st.Sum, len(st.Positions), st.Ledger.Amount)
	}
}

// TestReaderSeveralStatements reads a bank, a card and an investment
// statement from one file, in order, each with its own index, kind and
// status.
func TestReaderSeveralStatements(t *testing.T) {
	doc := rdSGMLHeader + "<OFX>\n" + rdSGMLSignon +
		"<BANKMSGSRSV1><STMTTRNRS><TRNUID>1" + rdStatus("0", "INFO", "") +
		"<STMTRS><CURDEF>EUR<BANKACCTFROM><BANKID>1<ACCTID>B-1<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST>" +
		rdTrn("1", "-1,50", "A") + rdTrn("2", "3,00", "B") + "</BANKTRANLIST><LEDGERBAL><BALAMT>10,00<DTASOF>20240131</LEDGERBAL></STMTRS></STMTTRNRS>\n" +
		"<STMTTRNRS><TRNUID>2" + rdStatus("0", "INFO", "") +
		"<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>1<ACCTID>B-2<ACCTTYPE>SAVINGS</BANKACCTFROM><BANKTRANLIST></BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1>\n" +
		"<CREDITCARDMSGSRSV1><CCSTMTTRNRS><TRNUID>3" + rdStatus("0", "INFO", "") +
		"<CCSTMTRS><CURDEF>USD<CCACCTFROM><ACCTID>C-1</CCACCTFROM><BANKTRANLIST>" + rdTrn("3", "-9.99", "C") +
		"</BANKTRANLIST><LEDGERBAL><BALAMT>-9.99<DTASOF>20240131</LEDGERBAL></CCSTMTRS></CCSTMTTRNRS></CREDITCARDMSGSRSV1>\n" +
		"<INVSTMTMSGSRSV1><INVSTMTTRNRS><TRNUID>4" + rdStatus("0", "INFO", "") + rdInvSGML + "</INVSTMTTRNRS></INVSTMTMSGSRSV1>\n</OFX>\n"
	resp := rdRead(t, doc)
	got := rdSummarize(resp)
	for i := range got {
		got[i].Txns = nil
	}
	want := []rdStmt{
		{Index: 0, Kind: bankfeed.KindBank, Acct: "B-1", Currency: "EUR", Count: 2, Sum: "1.50", Ledger: "10.00"},
		{Index: 1, Kind: bankfeed.KindBank, Acct: "B-2", Currency: "USD", Count: 0, Sum: "0"},
		{Index: 2, Kind: bankfeed.KindCreditCard, Acct: "C-1", Currency: "USD", Count: 1, Sum: "-9.99", Ledger: "-9.99"},
		{Index: 3, Kind: bankfeed.KindInvestment, Acct: "INV-1", Currency: "USD", Count: 6, Sum: "1208.84", Ledger: "1208.84"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	for i, st := range resp.Statements {
		if want := []string{"1", "2", "3", "4"}[i]; st.TRNUID != want || !st.Status.Set {
			t.Errorf("statement %d: TRNUID %q (status set %v), want %s", i, st.TRNUID, st.Status.Set, want)
		}
	}
	if len(resp.TxStatuses) != 4 {
		t.Errorf("%d tx statuses, want 4", len(resp.TxStatuses))
	}
}

// rdStreamDoc is a bank statement of n transactions whose transactions come after CURDEF and the
// account, as the specification orders.
func rdStreamDoc(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(rdTrn(string(rune('a'+i)), "-1.25", "N"))
	}
	return rdBankSGML(rdSGMLHeader, b.String())
}

// TestStream proves what Handler promises: each transaction seen with its
// statement's account and currency, nothing kept, a handler error stops the
// read and is returned, StatementEnd sees the final balances.
func TestStream(t *testing.T) {
	t.Run("transactions see account and currency", func(t *testing.T) {
		var fitids []string
		resp, err := Stream(strings.NewReader(rdStreamDoc(3)), Options{}, Handler{
			Transaction: func(st *Statement, tx *Transaction) error {
				if st.Account.AcctID != "1234567890" || st.Account.BankID != "121000248" || st.Currency != "USD" || st.Signon.Language != "ENG" {
					t.Errorf("transaction %s sees account %+v currency %q", tx.FITID, st.Account, st.Currency)
				}
				if !tx.AmountSet || tx.Amount.String() != "-1.25" || tx.Posted.Day() != "2024-01-15" || tx.Name != "N" {
					t.Errorf("transaction = %+v", tx)
				}
				fitids = append(fitids, tx.FITID)
				return nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"a", "b", "c"}, fitids); diff != "" {
			t.Errorf("FITIDs (-want +got):\n%s", diff)
		}
		st := resp.Statements[0]
		if st.Count != 3 || st.Sum.String() != "-3.75" || len(st.Transactions) != 0 {
			t.Errorf("count %d sum %s kept %d; want 3 -3.75 0", st.Count, st.Sum, len(st.Transactions))
		}
	})
	t.Run("handler error stops the read", func(t *testing.T) {
		stop := errors.New("stop here")
		calls := 0
		resp, err := Stream(strings.NewReader(rdStreamDoc(5)), Options{}, Handler{
			Transaction: func(st *Statement, tx *Transaction) error {
				calls++
				if calls == 2 {
					return stop
				}
				return nil
			},
			StatementEnd: func(*Statement) error {
				t.Error("StatementEnd called after the handler failed")
				return nil
			},
		})
		if !errors.Is(err, stop) || resp != nil {
			t.Errorf("Stream = %v, %v; want nil, %v", resp, err, stop)
		}
		if calls != 2 {
			t.Errorf("handler called %d times, want 2", calls)
		}
	})
	t.Run("StatementEnd error is returned", func(t *testing.T) {
		stop := errors.New("no room")
		resp, err := Stream(strings.NewReader(rdStreamDoc(1)), Options{}, Handler{
			StatementEnd: func(*Statement) error { return stop },
		})
		if !errors.Is(err, stop) || resp != nil {
			t.Errorf("Stream = %v, %v; want nil, %v", resp, err, stop)
		}
	})
	t.Run("StatementEnd sees final balances", func(t *testing.T) {
		var ends []string
		_, err := Stream(strings.NewReader(rdStreamDoc(2)), Options{}, Handler{
			StatementEnd: func(st *Statement) error {
				ends = append(ends, st.Account.AcctID+" "+st.Ledger.Amount.String()+" "+st.Ledger.AsOf.Day()+" "+st.Sum.String()+" "+st.End.Day())
				return nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"1234567890 100.00 2024-01-31 -2.50 2024-01-31"}, ends); diff != "" {
			t.Errorf("StatementEnd (-want +got):\n%s", diff)
		}
	})
	t.Run("Read and Stream agree", func(t *testing.T) {
		doc := rdStreamDoc(4)
		whole := rdRead(t, doc)
		n := 0
		streamed, err := Stream(strings.NewReader(doc), Options{}, Handler{
			Transaction: func(st *Statement, tx *Transaction) error {
				if want := whole.Statements[0].Transactions[n]; !cmp.Equal(want, *tx, cmp.Comparer(func(a, b bankfeed.Decimal) bool { return a.String() == b.String() })) {
					t.Errorf("transaction %d: streamed %+v, read %+v", n, *tx, want)
				}
				n++
				return nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != 4 || streamed.Statements[0].Count != 4 || !streamed.Statements[0].Sum.Equal(whole.Statements[0].Sum) {
			t.Errorf("streamed %d transactions, count %d, sum %s", n, streamed.Statements[0].Count, streamed.Statements[0].Sum)
		}
	})
}
