package ofx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// wtSecret is a password that must never leak.
const wtSecret = "s3cr&t<pa55>"

func wtRequest() *Request {
	return &Request{
		Signon: SignonRequest{
			DTClient: time.Date(2024, 4, 1, 9, 30, 15, 500e6, wtEST),
			UserID:   "jdoe", UserPass: wtSecret, Language: "ENG",
			Org: "Bank & Trust", FID: "1234", AppID: "QWIN", AppVer: "2500",
			ClientUID: "0f9e6c1a-3b1e-4d5c-9a7e-2b8f1c2d3e4f",
		},
		Statements: []StatementRequest{
			{TRNUID: "1001", Kind: bankfeed.KindBank,
				Account: AccountRef{BankID: "121000248", AcctID: "000123456789", AcctType: "CHECKING"},
				Start:   time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 31, 23, 59, 59, 0, wtEST), Include: true},
			{TRNUID: "1003", Kind: bankfeed.KindBank,
				Account: AccountRef{BankID: "121000248", BranchID: "7", AcctID: "99", AcctType: "SAVINGS", AcctKey: "k"}},
			{TRNUID: "1002", Kind: bankfeed.KindCreditCard, Account: AccountRef{AcctID: "4111111111111111"},
				Start: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), Include: true},
		},
		Profile: &ProfileRequest{TRNUID: "p1", ClientRouting: "MSGSET", DTProfUp: time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC)},
	}
}

func wtAccountInfoRequest() *Request {
	return &Request{
		Signon: SignonRequest{DTClient: time.Date(2024, 4, 1, 9, 0, 0, 0, time.UTC),
			UserID: "jdoe", UserPass: wtSecret, Org: "B1", FID: "1", AppID: "QBW", AppVer: "2800", SessCookie: "c-1"},
		AccountInfo: &AccountInfoRequest{TRNUID: "a1"},
	}
}

// wtTimeCmp compares instants and offsets.
var wtTimeCmp = cmp.Comparer(func(a, b time.Time) bool {
	_, oa := a.Zone()
	_, ob := b.Zone()
	return a.Equal(b) && oa == ob
})

// TestRequestRoundTrip: a request written in every form reads back the same.
func TestRequestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   *Request
		want func(r *Request) // what reading adds to or changes in the input
	}{
		{"statements and profile", wtRequest(), nil},
		{"account info", wtAccountInfoRequest(), func(r *Request) {
			r.Signon.Language = "ENG"
			r.AccountInfo.DTAcctUp = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
		}},
		{"signon only", &Request{Signon: SignonRequest{DTClient: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
			UserID: "u", UserPass: "p", AppID: "QWIN", AppVer: "1400"}}, func(r *Request) { r.Signon.Language = "ENG" }},
	}
	for _, tt := range tests {
		for _, form := range wtForms {
			t.Run(tt.name+"/"+form.name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := WriteRequest(&buf, tt.in, form.opts); err != nil {
					t.Fatal(err)
				}
				got, err := ReadRequest(&buf)
				if err != nil {
					t.Fatal(err)
				}
				want := wtCopyRequest(tt.in)
				if tt.want != nil {
					tt.want(want)
				}
				want.Version = form.opts.Version
				want.Format = writeVersions[form.opts.Version]
				if diff := cmp.Diff(want, got, wtTimeCmp, cmpopts.IgnoreFields(Request{}, "Header"), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("request (-want +got):\n%s", diff)
				}
				if got.Signon.UserPass.Reveal() != tt.in.Signon.UserPass.Reveal() {
					t.Errorf("password did not survive")
				}
				if got.Header.Version != form.opts.Version {
					t.Errorf("header version %q", got.Header.Version)
				}
			})
		}
	}
}

// wtCopyRequest copies a request deeply enough for a test to change it.
func wtCopyRequest(r *Request) *Request {
	c := *r
	if r.AccountInfo != nil {
		a := *r.AccountInfo
		c.AccountInfo = &a
	}
	if r.Profile != nil {
		p := *r.Profile
		c.Profile = &p
	}
	c.Statements = append([]StatementRequest(nil), r.Statements...)
	return &c
}

// TestReadRequestClients reads requests as real clients send them.
func TestReadRequestClients(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    *Request
		wantErr error
	}{
		{
			name: "Quicken 2500 OFX 1.02, leaves unclosed, CRLF",
			in: "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\nCHARSET:1252\r\n" +
				"COMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:8CCCCD65-13AF-4464-8990-5A0E108ACA3E\r\n\r\n" +
				"<OFX>\r\n<SIGNONMSGSRQV1>\r\n<SONRQ>\r\n<DTCLIENT>20240401093015.000\r\n<USERID>jdoe\r\n<USERPASS>p&amp;ss\r\n" +
				"<LANGUAGE>ENG\r\n<FI>\r\n<ORG>B1\r\n<FID>10898\r\n</FI>\r\n<APPID>QWIN\r\n<APPVER>2500\r\n" +
				"<CLIENTUID>8CCCCD65-13AF-4464-8990-5A0E108ACA3E\r\n</SONRQ>\r\n</SIGNONMSGSRQV1>\r\n" +
				"<BANKMSGSRQV1>\r\n<STMTTRNRQ>\r\n<TRNUID>A1B2\r\n<CLTCOOKIE>4\r\n<STMTRQ>\r\n<BANKACCTFROM>\r\n<BANKID>121000248\r\n" +
				"<ACCTID>123\r\n<ACCTTYPE>CHECKING\r\n</BANKACCTFROM>\r\n<INCTRAN>\r\n<DTSTART>20240101\r\n<INCLUDE>Y\r\n</INCTRAN>\r\n" +
				"</STMTRQ>\r\n</STMTTRNRQ>\r\n</BANKMSGSRQV1>\r\n</OFX>\r\n",
			want: &Request{
				Format: FormatSGML, Version: "102",
				Signon: SignonRequest{DTClient: time.Date(2024, 4, 1, 9, 30, 15, 0, time.UTC), UserID: "jdoe", UserPass: "p&ss",
					Language: "ENG", Org: "B1", FID: "10898", AppID: "QWIN", AppVer: "2500", ClientUID: "8CCCCD65-13AF-4464-8990-5A0E108ACA3E"},
				Statements: []StatementRequest{{TRNUID: "A1B2", Kind: bankfeed.KindBank,
					Account: AccountRef{BankID: "121000248", AcctID: "123", AcctType: "CHECKING"},
					Start:   time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Include: true}},
			},
		},
		{
			name: "Quicken 1400 card and account list, one line, no INCTRAN, bad dates",
			in: "OFXHEADER:100 DATA:OFXSGML VERSION:102 SECURITY:NONE ENCODING:USASCII CHARSET:1252 COMPRESSION:NONE OLDFILEUID:NONE NEWFILEUID:NONE " +
				"<OFX><SIGNONMSGSRQV1><SONRQ><DTCLIENT>20241301<USERID>u<USERPASS>p<LANGUAGE>ENG<APPID>QWIN<APPVER>1400</SONRQ></SIGNONMSGSRQV1>" +
				"<SIGNUPMSGSRQV1><ACCTINFOTRNRQ><TRNUID>9<ACCTINFORQ><DTACCTUP>19900101</ACCTINFORQ></ACCTINFOTRNRQ></SIGNUPMSGSRQV1>" +
				"<CREDITCARDMSGSRQV1><CCSTMTTRNRQ><TRNUID>10<CCSTMTRQ><CCACCTFROM><ACCTID>4111</CCACCTFROM><INCTRAN><INCLUDE>maybe</INCTRAN></CCSTMTRQ></CCSTMTTRNRQ></CREDITCARDMSGSRQV1></OFX>",
			// Warnings holds what the warnings must say, not all of them.
			want: &Request{
				Format: FormatSGML, Version: "102",
				Signon:      SignonRequest{UserID: "u", UserPass: "p", Language: "ENG", AppID: "QWIN", AppVer: "1400"},
				AccountInfo: &AccountInfoRequest{TRNUID: "9", DTAcctUp: time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)},
				Statements:  []StatementRequest{{TRNUID: "10", Kind: bankfeed.KindCreditCard, Account: AccountRef{AcctID: "4111"}}},
				Warnings:    []string{`<DTCLIENT>`, `"20241301"`, `<INCLUDE> "maybe" is not Y or N`},
			},
		},
		{
			name: "XML with an investment request and a proprietary aggregate",
			in: `<?xml version="1.0" encoding="UTF-8"?><?OFX OFXHEADER="200" VERSION="211" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>` +
				`<OFX><SIGNONMSGSRQV1><SONRQ><DTCLIENT>20240401</DTCLIENT><USERID>ü</USERID><USERPASS>&lt;p&gt;</USERPASS><LANGUAGE>ENG</LANGUAGE>` +
				`<INTU.EXTRA><TRNUID>bogus</TRNUID></INTU.EXTRA><APPID>QBW</APPID><APPVER>2800</APPVER></SONRQ></SIGNONMSGSRQV1>` +
				`<INVSTMTMSGSRQV1><INVSTMTTRNRQ><TRNUID>i1</TRNUID><INVSTMTRQ><INVACCTFROM><BROKERID>b.com</BROKERID><ACCTID>X1</ACCTID></INVACCTFROM>` +
				`<INCTRAN><INCLUDE>Y</INCLUDE></INCTRAN><INCOO>N</INCOO><INCPOS><INCLUDE>Y</INCLUDE></INCPOS><INCBAL>Y</INCBAL></INVSTMTRQ></INVSTMTTRNRQ></INVSTMTMSGSRQV1>` +
				`<PROFMSGSRQV1><PROFTRNRQ><TRNUID>p</TRNUID><PROFRQ><CLIENTROUTING>NONE</CLIENTROUTING><DTPROFUP>19700101</DTPROFUP></PROFRQ></PROFTRNRQ></PROFMSGSRQV1></OFX>`,
			want: &Request{
				Format: FormatXML, Version: "211",
				Signon:  SignonRequest{DTClient: time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC), UserID: "ü", UserPass: "<p>", Language: "ENG", AppID: "QBW", AppVer: "2800"},
				Profile: &ProfileRequest{TRNUID: "p", ClientRouting: "NONE", DTProfUp: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)},
			},
		},
		{
			name:    "a response is not a request",
			in:      "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240101<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1></OFX>",
			wantErr: ErrNotRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadRequest(strings.NewReader(tt.in))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, wtTimeCmp, cmpopts.IgnoreFields(Request{}, "Header", "Warnings"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			warnings := strings.Join(got.Warnings, "\n")
			for _, w := range tt.want.Warnings {
				if !strings.Contains(warnings, w) {
					t.Errorf("no warning says %s; warnings:\n%s", w, warnings)
				}
			}
			if len(tt.want.Warnings) == 0 && len(got.Warnings) > 0 {
				t.Errorf("warnings: %q", got.Warnings)
			}
			if got.Signon.UserPass.Reveal() != tt.want.Signon.UserPass.Reveal() {
				t.Errorf("password %q, want %q", got.Signon.UserPass.Reveal(), tt.want.Signon.UserPass.Reveal())
			}
		})
	}
}

// TestReadRequestCutShort: a request cut short is a syntax error, not a
// partial request.
func TestReadRequestCutShort(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteRequest(&buf, wtRequest(), WriteOptions{Version: "211"}); err != nil {
		t.Fatal(err)
	}
	full := buf.Bytes()
	for _, n := range []int{len(full) / 3, len(full) / 2, len(full) - 10} {
		_, err := ReadRequest(bytes.NewReader(full[:n]))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("cut at %d of %d: error %v, want a *SyntaxError", n, len(full), err)
		}
	}
}

// TestRequestWriteErrors: what WriteRequest refuses, every problem at once,
// and nothing written.
func TestRequestWriteErrors(t *testing.T) {
	r := &Request{
		Signon: SignonRequest{FID: "1"},
		Statements: []StatementRequest{
			{Kind: bankfeed.KindBank, Start: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
			{TRNUID: "2", Kind: bankfeed.KindInvestment},
		},
		AccountInfo: &AccountInfoRequest{},
		Profile:     &ProfileRequest{},
	}
	want := "write request: signon: no DTCLIENT\nsignon: no USERID\nsignon: no USERPASS\nsignon: no APPID\nsignon: no APPVER\n" +
		"signon: FID without ORG\naccount info: no TRNUID\nprofile: no TRNUID\n" +
		"statement request 1: no ACCTID\nno BANKID\nno ACCTTYPE\nno TRNUID\nDTEND before DTSTART\n" +
		`statement request 2: kind "investment": only bank and creditcard are written`
	var buf bytes.Buffer
	err := WriteRequest(&buf, r, WriteOptions{})
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n%v\nwant:\n%s", err, want)
	}
	if buf.Len() != 0 {
		t.Errorf("%d bytes written", buf.Len())
	}
}

// TestPasswordRedacted: the password shows in no fmt verb, no slog handler,
// no JSON, only in Reveal and in the written request.
func TestPasswordRedacted(t *testing.T) {
	r := wtRequest()
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("request", "request", r, "password", r.Signon.UserPass, "signon", r.Signon)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("request", "request", r, "password", r.Signon.UserPass, "signon", r.Signon)
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", r), "%+v": fmt.Sprintf("%+v", r), "%#v": fmt.Sprintf("%#v", r),
		"%v of signon": fmt.Sprintf("%v", r.Signon), "%#v of signon": fmt.Sprintf("%#v", r.Signon),
		"%s": fmt.Sprintf("%s", r.Signon.UserPass), "%q": fmt.Sprintf("%q", r.Signon.UserPass),
		"%x": fmt.Sprintf("%x", r.Signon.UserPass), "%10.3s": fmt.Sprintf("%10.3s", r.Signon.UserPass),
		"Sprint": fmt.Sprint(r.Signon.UserPass), "Println": fmt.Sprintln(r.Signon),
		"slog": logs.String(), "json": string(js),
	}
	for name, out := range outputs {
		if strings.Contains(out, wtSecret) || strings.Contains(out, "s3cr") || strings.Contains(out, fmt.Sprintf("%x", wtSecret)) {
			t.Errorf("%s shows the password: %s", name, out)
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s does not say [redacted]: %s", name, out)
		}
	}
	if r.Signon.UserPass.Reveal() != wtSecret {
		t.Errorf("Reveal() = %q", r.Signon.UserPass.Reveal())
	}
	var buf bytes.Buffer
	if err := WriteRequest(&buf, r, WriteOptions{Version: "211"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "<USERPASS>s3cr&amp;t&lt;pa55&gt;</USERPASS>") {
		t.Errorf("the written request does not carry the escaped password:\n%s", buf.String())
	}
}

// FuzzReadRequest: any input gives a request or an error, never a panic, and
// a request read is one the writer can write again unless it lacks a field.
func FuzzReadRequest(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "golden", "request-*.ofx"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("<OFX><SIGNONMSGSRQV1><SONRQ><USERID>x</SONRQ></SIGNONMSGSRQV1><BANKMSGSRQV1><STMTTRNRQ><STMTTRNRQ><TRNUID>1</STMTTRNRQ></OFX>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadRequest(bytes.NewReader(data))
		if err != nil {
			if r != nil {
				t.Fatal("a request and an error")
			}
			return
		}
		var buf bytes.Buffer
		if err := WriteRequest(&buf, r, WriteOptions{Version: "211"}); err != nil {
			return // a request read may lack what a written one needs
		}
		again, err := ReadRequest(&buf)
		if err != nil {
			t.Fatalf("a request written from a read one does not read: %v\n%s", err, buf.Bytes())
		}
		if len(again.Statements) != len(r.Statements) || (again.AccountInfo == nil) != (r.AccountInfo == nil) || (again.Profile == nil) != (r.Profile == nil) {
			t.Fatalf("requests differ after a rewrite: %+v then %+v", r, again)
		}
	})
}

// TestRequestPasswordSentUnchanged: a password the chosen form would alter
// is refused, without the password in the error, and nothing is written; the
// same password goes out unchanged where the form can carry it.
func TestRequestPasswordSentUnchanged(t *testing.T) {
	tests := []struct {
		name    string
		pass    string
		opts    WriteOptions
		refused bool
	}{
		{name: "ASCII in SGML", pass: "s3cret&<x>", opts: WriteOptions{Version: "102"}},
		{name: "Latin-1 in SGML 1252", pass: "pässwörd€", opts: WriteOptions{Version: "102"}},
		{name: "Cyrillic in SGML 1252", pass: "пароль", opts: WriteOptions{Version: "102"}, refused: true},
		{name: "Cyrillic in SGML UTF-8", pass: "пароль", opts: WriteOptions{Version: "103", UTF8: true}},
		{name: "Cyrillic in XML", pass: "пароль", opts: WriteOptions{Version: "211"}},
		{name: "trailing space", pass: "pw ", opts: WriteOptions{Version: "211"}, refused: true},
		{name: "control character", pass: "p\tw", opts: WriteOptions{Version: "211"}, refused: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := wtRequest()
			r.Signon.UserPass = Password(tc.pass)
			var buf bytes.Buffer
			err := WriteRequest(&buf, r, tc.opts)
			if tc.refused {
				if err == nil || strings.Contains(err.Error(), tc.pass) || buf.Len() != 0 {
					t.Fatalf("err %v, %d bytes written: want refused, the password not in the error, nothing written", err, buf.Len())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			back, err := ReadRequest(&buf)
			if err != nil || back.Signon.UserPass.Reveal() != tc.pass {
				t.Fatalf("read back %q, %v; want %q", back.Signon.UserPass.Reveal(), err, tc.pass)
			}
		})
	}
}
