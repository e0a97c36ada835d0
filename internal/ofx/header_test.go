package ofx

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
)

// The tests of this file hold the reader to what issue 2 promises of what
// precedes the body (headers present, missing, misplaced or malformed, in
// every line-end convention and byte order) and of character sets.

// rdOneTrn is the transaction list the header tests read back.
var rdOneTrn = rdTrn("1", "-12.00", "SHOP")

// rdUTF16 encodes s as UTF-16 with a byte-order mark.
func rdUTF16(s string, order binary.ByteOrder) string {
	units := utf16.Encode([]rune(s))
	b := make([]byte, 2+2*len(units))
	order.PutUint16(b, 0xFEFF)
	for i, u := range units {
		order.PutUint16(b[2+2*i:], u)
	}
	return string(b)
}

// TestReaderHeaders proves the prolog tolerances: a header missing, preceded
// by blank lines, out of order, with fields missing, in a comment or on one
// line; XML with or without its declarations; every line end; byte-order
// marks; and that format and version are reported.
func TestReaderHeaders(t *testing.T) {
	type want struct {
		Format  string
		Version string
		Header  Header
	}
	full := Header{OFXHeader: "100", Data: "OFXSGML", Version: "102", Security: "NONE", Encoding: "USASCII", Charset: "1252",
		Compression: "NONE", OldFileUID: "NONE", NewFileUID: "NONE"}
	xmlFull := Header{OFXHeader: "200", Version: "211", Security: "NONE", Encoding: "UTF-8", OldFileUID: "NONE", NewFileUID: "NONE"}
	sgml := func(h string) string { return rdBankSGML(h, rdOneTrn) }
	xml := func(h string) string { return rdBankXML(h, rdTrnXML("1", "-12.00", "SHOP")) }
	tests := []struct {
		name string
		in   string
		want want
	}{
		{"OFX 1.02 header", sgml(rdSGMLHeader), want{FormatSGML, "102", full}},
		{"missing entirely, SGML body", sgml(""), want{FormatSGML, "", Header{}}},
		{"missing entirely, every leaf closed", xml(""), want{FormatXML, "", Header{}}},
		{"preceded by blank lines", sgml("\n\n\r\n \t\n" + rdSGMLHeader), want{FormatSGML, "102", full}},
		{"fields out of order", sgml("VERSION:103\nCHARSET:1252\nNEWFILEUID:NONE\nOFXHEADER:100\nENCODING:USASCII\nDATA:OFXSGML\n\n"),
			want{FormatSGML, "103", Header{OFXHeader: "100", Data: "OFXSGML", Version: "103", Encoding: "USASCII", Charset: "1252", NewFileUID: "NONE"}}},
		{"fields missing", sgml("OFXHEADER:100\nVERSION:102\n\n"), want{FormatSGML, "102", Header{OFXHeader: "100", Version: "102"}}},
		{"only DATA", sgml("DATA:OFXSGML\n"), want{FormatSGML, "", Header{Data: "OFXSGML"}}},
		{"empty values", sgml("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nOLDFILEUID:\nNEWFILEUID:\n\n"),
			want{FormatSGML, "102", Header{OFXHeader: "100", Data: "OFXSGML", Version: "102"}}},
		{"space after the colons", sgml("OFXHEADER: 100\nDATA: OFXSGML\nVERSION: 160\n\n"),
			want{FormatSGML, "160", Header{OFXHeader: "100", Data: "OFXSGML", Version: "160"}}},
		{"lower-case keys", sgml("ofxheader:100\ndata:OFXSGML\nversion:102\n\n"),
			want{FormatSGML, "102", Header{OFXHeader: "100", Data: "OFXSGML", Version: "102"}}},
		{"wrapped in a comment", sgml("<!--\n" + rdSGMLHeader + "-->\n"), want{FormatSGML, "102", full}},
		{"all fields on one line", sgml(strings.ReplaceAll(rdSGMLHeader, "\n", " ")), want{FormatSGML, "102", full}},
		{"the whole file on one line", strings.ReplaceAll(rdSGMLHeader, "\n", " ") + strings.ReplaceAll(sgml(""), "\n", ""), want{FormatSGML, "102", full}},
		{"CRLF", strings.ReplaceAll(sgml(rdSGMLHeader), "\n", "\r\n"), want{FormatSGML, "102", full}},
		{"CR only", strings.ReplaceAll(sgml(rdSGMLHeader), "\n", "\r"), want{FormatSGML, "102", full}},
		{"UTF-8 byte-order mark", "\xEF\xBB\xBF" + sgml(rdSGMLHeader), want{FormatSGML, "102", full}},
		{"SGML header, every leaf closed", xml(rdSGMLHeader), want{FormatSGML, "102", full}},
		{"XML declaration and <?OFX?>", xml(rdXMLHeader), want{FormatXML, "211", xmlFull}},
		{"<?OFX?> without <?xml?>", xml(`<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE"?>` + "\n"),
			want{FormatXML, "220", Header{OFXHeader: "200", Version: "220", Security: "NONE"}}},
		{"<?xml?> without <?OFX?>", xml(`<?xml version="1.0" encoding="UTF-8"?>` + "\n"),
			want{FormatXML, "", Header{Encoding: "UTF-8"}}},
		{"XML with neither, leaves on separate lines", strings.ReplaceAll(xml(""), "><", ">\n<"), want{FormatXML, "", Header{}}},
		{"XML prolog in single quotes, version 200", xml(`<?xml version='1.0'?><?OFX OFXHEADER='200' VERSION='200'?>`),
			want{FormatXML, "200", Header{OFXHeader: "200", Version: "200"}}},
		{"XML prolog with a comment", xml(`<?xml version="1.0"?>` + "\n<!-- exported -->\n" + `<?OFX OFXHEADER="200" VERSION="211"?>` + "\n"),
			want{FormatXML, "211", Header{OFXHeader: "200", Version: "211"}}},
		{"XML with CRLF and a byte-order mark", "\xEF\xBB\xBF" + strings.ReplaceAll(xml(rdXMLHeader), "\n", "\r\n"), want{FormatXML, "211", xmlFull}},
		{"UTF-16LE with byte-order mark", rdUTF16(xml(strings.Replace(rdXMLHeader, "UTF-8", "UTF-16", 1)), binary.LittleEndian),
			want{FormatXML, "211", Header{OFXHeader: "200", Version: "211", Security: "NONE", Encoding: "UTF-16", OldFileUID: "NONE", NewFileUID: "NONE"}}},
		{"UTF-16BE with byte-order mark", rdUTF16(xml(strings.Replace(rdXMLHeader, "UTF-8", "UTF-16", 1)), binary.BigEndian),
			want{FormatXML, "211", Header{OFXHeader: "200", Version: "211", Security: "NONE", Encoding: "UTF-16", OldFileUID: "NONE", NewFileUID: "NONE"}}},
		{"UTF-16LE SGML without byte-order mark", rdUTF16(sgml(rdSGMLHeader), binary.LittleEndian)[2:], want{FormatSGML, "102", full}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := rdRead(t, tc.in)
			got := want{Format: resp.Format, Version: resp.Version, Header: resp.Header}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			want := []rdStmt{{Kind: "bank", Acct: "1234567890", Currency: "USD", Count: 1, Sum: "-12.00", Ledger: "100.00",
				Txns: []rdTxn{rdT("1", "-12.00", "SHOP")}}}
			if diff := cmp.Diff(want, rdSummarize(resp)); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}
			if resp.Signon.Status.Severity != "INFO" || resp.Signon.DTServer.Day() != "2024-01-31" {
				t.Errorf("signon = %+v", resp.Signon)
			}
			if len(resp.Warnings) != 0 {
				t.Errorf("warnings: %q", resp.Warnings)
			}
		})
	}
}

// TestReaderNotOFX proves that what is not an OFX document, or only the
// header of one, is rejected with a *SyntaxError that says so.
func TestReaderNotOFX(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"empty", "", "line 1 (byte 0): empty file: not an OFX document"},
		{"byte-order mark only", "\xEF\xBB\xBF", "empty file: not an OFX document"},
		{"header only", rdSGMLHeader, "line 11 (byte 133): file cut short: it ends in the header, before <OFX>; nothing of it is used"},
		{"XML prolog only", rdXMLHeader, "line 3 (byte 145): file cut short: it ends in the header, before <OFX>"},
		{"HTML", "<!DOCTYPE html>\n<html><body>Service unavailable</body></html>\n", "no <OFX> element: not an OFX document"},
		{"CSV", "date,amount\n2024-01-01,-12.00\n", "no <OFX> element: not an OFX document"},
		{"<OFXFOO> is not <OFX>", "<OFXFOO></OFXFOO>", "no <OFX> element"},
		{"a prolog over 64 KiB", strings.Repeat("\n", 70<<10) + "<OFX></OFX>", "no <OFX> element"},
		{"element before <OFX>... closes nothing", "<FOO>", "no <OFX> element"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := Read(strings.NewReader(tc.in))
			var se *SyntaxError
			if !errors.As(err, &se) || resp != nil {
				t.Fatalf("Read = %v, %v; want a *SyntaxError", resp, err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
		})
	}
}

// TestReaderLineNumbers proves that warnings and errors name the same line
// whatever the line ends: LF, CRLF or CR alone.
func TestReaderLineNumbers(t *testing.T) {
	doc := rdBankSGML(rdSGMLHeader, rdTrn("1", "-1.00", "A")+rdTrn("2", "bad", "B")+
		"<STMTTRN><TRNTYPE>DEBIT\n<DTPOSTED>20241301\n<TRNAMT>-3.00\n<FITID>3\n</STMTTRN>\n")
	wantWarns := []string{
		`line 16: <TRNAMT> "bad" has unexpected letters; the amount is not used`,
		`line 18: <DTPOSTED> "20241301" is not a real date; the date is not used`,
	}
	cut := doc[:strings.Index(doc, "<FITID>3")]
	for _, nl := range []struct{ name, nl string }{{"LF", "\n"}, {"CRLF", "\r\n"}, {"CR", "\r"}} {
		t.Run(nl.name, func(t *testing.T) {
			resp := rdRead(t, strings.ReplaceAll(doc, "\n", nl.nl))
			if diff := cmp.Diff(wantWarns, resp.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			st := resp.Statements[0]
			var lines []int
			for _, tx := range st.Transactions {
				lines = append(lines, tx.Line)
			}
			if diff := cmp.Diff([]int{15, 16, 17}, lines); diff != "" {
				t.Errorf("transaction lines (-want +got):\n%s", diff)
			}
			if st.Line != 14 {
				t.Errorf("statement line %d, want 14", st.Line)
			}
			_, err := Read(strings.NewReader(strings.ReplaceAll(cut, "\n", nl.nl)))
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line != 20 {
				t.Errorf("cut short: %v, want a *SyntaxError on line 20", err)
			}
		})
	}
}

// TestParseProlog reads header fields from the text before <OFX>.
func TestParseProlog(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Header
		wantXML bool
	}{
		{"OFX 1 header", rdSGMLHeader, Header{OFXHeader: "100", Data: "OFXSGML", Version: "102", Security: "NONE", Encoding: "USASCII",
			Charset: "1252", Compression: "NONE", OldFileUID: "NONE", NewFileUID: "NONE"}, false},
		{"OFX 2 prolog", rdXMLHeader, Header{OFXHeader: "200", Version: "211", Security: "NONE", Encoding: "UTF-8", OldFileUID: "NONE", NewFileUID: "NONE"}, true},
		{"xml version is not the OFX version", `<?xml version="1.0"?>`, Header{}, true},
		{"lower-case ofx instruction", `<?ofx ofxheader="200" version="202"?>`, Header{OFXHeader: "200", Version: "202"}, true},
		{"OFXHEADER 200 in colon form", "OFXHEADER:200\nVERSION:200\n", Header{OFXHeader: "200", Version: "200"}, true},
		{"OFXHEADER 100 wins over an XML declaration", "<?xml version=\"1.0\"?>\nOFXHEADER:100\nVERSION:102\n", Header{OFXHeader: "100", Version: "102"}, false},
		{"DATA:OFXSGML wins", `<?OFX OFXHEADER="200"?>` + "\nDATA:OFXSGML\n", Header{OFXHeader: "200", Data: "OFXSGML"}, false},
		{"empty value followed by a field", "OLDFILEUID:\nNEWFILEUID:abc\n", Header{NewFileUID: "abc"}, false},
		{"value on the next line", "OLDFILEUID:\nNONE\n", Header{OldFileUID: "NONE"}, false},
		{"unknown keys and junk", "FOO:bar\n:x\n=y\nVERSION:102 garbage\n", Header{Version: "102"}, false},
		{"nothing", "", Header{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got Header
			xml := parseProlog([]byte(tc.in), &got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
			if xml != tc.wantXML {
				t.Errorf("xml = %v, want %v", xml, tc.wantXML)
			}
		})
	}
}

// TestReaderCharsets proves that text is decoded by the declared character
// set, that a mislabelled file is read by what its bytes are with one
// warning, and that every string that comes out is valid UTF-8.
func TestReaderCharsets(t *testing.T) {
	sgmlHead := func(encoding, charset string) string {
		return "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:" + encoding + "\nCHARSET:" + charset +
			"\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
	}
	sgml := func(header, name, memo string) string {
		return rdBankSGML(header, "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<TRNAMT>-1.00<FITID>1<NAME>"+name+"<MEMO>"+memo+"</STMTTRN>\n")
	}
	xmlHead := func(encoding string) string {
		return `<?xml version="1.0" encoding="` + encoding + `"?>` + "\n" + `<?OFX OFXHEADER="200" VERSION="211"?>` + "\n"
	}
	xml := func(header, name, memo string) string {
		return rdBankXML(header, "<STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20240115</DTPOSTED><TRNAMT>-1.00</TRNAMT><FITID>1</FITID><NAME>"+
			name+"</NAME><MEMO>"+memo+"</MEMO></STMTTRN>\n")
	}
	tests := []struct {
		name      string
		in        string
		wantName  string
		wantMemo  string
		wantWarns []string
	}{
		{
			name:     "CHARSET:1252 with Windows-1252 bytes",
			in:       sgml(sgmlHead("USASCII", "1252"), "Caf\xe9 \x80 \x97 L\x92Or\xe9al", "Cr\xe8me br\xfbl\xe9e \x93quoted\x94"),
			wantName: "Café € — L’Oréal", wantMemo: "Crème brûlée “quoted”",
		},
		{
			name:     "CHARSET:1252 but the bytes are UTF-8",
			in:       sgml(sgmlHead("USASCII", "1252"), "Café € — L’Oréal", "Crème brûlée “quoted”"),
			wantName: "Café € — L’Oréal", wantMemo: "Crème brûlée “quoted”",
			wantWarns: []string{"line 15: the header declares character set 1252 but the text is UTF-8; read as UTF-8"},
		},
		{
			name:     "ENCODING:UTF-8 with Latin-1 bytes",
			in:       sgml(sgmlHead("UTF-8", "NONE"), "Caf\xe9", "Cr\xe8me"),
			wantName: "Café", wantMemo: "Crème",
			wantWarns: []string{"line 15: the header declares UTF-8 but the text is not; read as Windows-1252"},
		},
		{
			name:     "ENCODING:UTF-8 with UTF-8 bytes",
			in:       sgml(sgmlHead("UTF-8", "NONE"), "Café €", "Crème"),
			wantName: "Café €", wantMemo: "Crème",
		},
		{
			name:     "CHARSET:ISO-8859-1",
			in:       sgml(sgmlHead("USASCII", "ISO-8859-1"), "Caf\xe9 \xa3", "Cr\xe8me"),
			wantName: "Café £", wantMemo: "Crème",
		},
		{
			name:     "CHARSET:8859-1",
			in:       sgml(sgmlHead("USASCII", "8859-1"), "Caf\xe9", "\xfc"),
			wantName: "Café", wantMemo: "ü",
		},
		{
			name:     "CHARSET:1251",
			in:       sgml(sgmlHead("USASCII", "1251"), "\xcf\xf0\xe8\xe2\xe5\xf2", "\xe0\xe1\xe2"),
			wantName: "Привет", wantMemo: "абв",
		},
		{
			name:     "CHARSET:NONE with high bytes is Windows-1252",
			in:       sgml(sgmlHead("USASCII", "NONE"), "Caf\xe9 \x80", "x"),
			wantName: "Café €", wantMemo: "x",
		},
		{
			name:     "no header with high bytes is Windows-1252",
			in:       sgml("", "Caf\xe9", "x"),
			wantName: "Café", wantMemo: "x",
		},
		{
			name:     "unknown character set",
			in:       sgml(sgmlHead("USASCII", "KLINGON"), "Caf\xe9", "x"),
			wantName: "Café", wantMemo: "x",
			wantWarns: []string{`line 1: unknown character set "KLINGON"; text outside ASCII read as Windows-1252`},
		},
		{
			name:     "bytes undefined in Windows-1252",
			in:       sgml(sgmlHead("USASCII", "1252"), "a\x81b\x8dc\x90d\x9de", "\xff\xfe"),
			wantName: "a\uFFFDb\uFFFDc\uFFFDd\uFFFDe", wantMemo: "ÿþ",
		},
		{
			name:     "entities and the character set together",
			in:       sgml(sgmlHead("USASCII", "1252"), "Caf\xe9 &amp; Th&#233; &#x20AC;", "&lt;\xe9&gt;"),
			wantName: "Café & Thé €", wantMemo: "<é>",
		},
		{
			name:     "XML in UTF-8",
			in:       xml(rdXMLHeader, "Café € — L’Oréal", "日本"),
			wantName: "Café € — L’Oréal", wantMemo: "日本",
		},
		{
			name:     `XML encoding="ISO-8859-1"`,
			in:       xml(xmlHead("ISO-8859-1"), "Caf\xe9", "Cr\xe8me"),
			wantName: "Café", wantMemo: "Crème",
		},
		{
			name:     `XML encoding="windows-1252"`,
			in:       xml(xmlHead("windows-1252"), "Caf\xe9 \x80", "x"),
			wantName: "Café €", wantMemo: "x",
		},
		{
			name:     "XML without an encoding, Latin-1 bytes",
			in:       xml(`<?OFX OFXHEADER="200" VERSION="211"?>`+"\n", "Caf\xe9", "x"),
			wantName: "Café", wantMemo: "x",
			wantWarns: []string{"line 6: the header declares UTF-8 but the text is not; read as Windows-1252"},
		},
		{
			name:     "XML in UTF-16",
			in:       rdUTF16(xml(xmlHead("UTF-16"), "Café €", "日本"), binary.LittleEndian),
			wantName: "Café €", wantMemo: "日本",
		},
		{
			name:     "XML in UTF-8 with a BOM, declared UTF-8",
			in:       "\xEF\xBB\xBF" + xml(xmlHead("utf-8"), "Café", "x"),
			wantName: "Café", wantMemo: "x",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := rdRead(t, tc.in)
			tx := resp.Statements[0].Transactions[0]
			if tx.Name != tc.wantName || tx.Memo != tc.wantMemo {
				t.Errorf("name, memo = %q, %q; want %q, %q", tx.Name, tx.Memo, tc.wantName, tc.wantMemo)
			}
			if diff := cmp.Diff(tc.wantWarns, resp.Warnings, cmpEmptyNil); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			// Streaming, which decodes only what it keeps, warns the same.
			streamed, err := Stream(strings.NewReader(tc.in), Options{}, Handler{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantWarns, streamed.Warnings, cmpEmptyNil); diff != "" {
				t.Errorf("streamed warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// cmpEmptyNil makes an empty slice equal to nil.
var cmpEmptyNil = cmp.FilterValues(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())
