package ofx

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// update rewrites the golden files of this package: go test -run Writer -update.
var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

var (
	wtEST   = time.FixedZone("EST", -5*3600)
	wtIndia = time.FixedZone("", 5*3600+1800)
)

// wtAt returns a Date with a time of day.
func wtAt(t time.Time) Date { return Date{Time: t, Valid: true, HasTime: true} }

// wtDay returns a Date without a time of day, as a bare YYYYMMDD reads.
func wtDay(y int, m time.Month, d int) Date {
	return Date{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), Valid: true}
}

func wtTxn(trnType string, posted Date, amount, fitid, name string) Transaction {
	return Transaction{Kind: "STMTTRN", TrnType: trnType, Posted: posted,
		Amount: bankfeed.MustDecimal(amount), AmountSet: true, FITID: fitid, Name: name}
}

// wtStatement fills Index, Count and Sum as the reader does.
func wtStatement(index int, st *Statement) *Statement {
	st.Index = index
	st.Count = len(st.Transactions)
	for _, t := range st.Transactions {
		st.Sum = st.Sum.Add(t.Amount)
	}
	return st
}

// wtResponse is a response with every field the writer knows: a bank
// statement, a card statement, a failed statement request and an account
// list, with text that needs escaping and transcoding.
func wtResponse() *Response {
	ok := Status{Set: true, Code: 0, Severity: "INFO"}
	full := Transaction{
		Kind: "STMTTRN", TrnType: "DEBIT",
		Posted:       wtAt(time.Date(2024, 3, 4, 10, 30, 0, 0, wtEST)),
		User:         wtAt(time.Date(2024, 3, 3, 18, 5, 7, 250e6, wtEST)),
		Avail:        wtDay(2024, 3, 5),
		Amount:       bankfeed.MustDecimal("-12.50"),
		AmountSet:    true,
		FITID:        "20240304-0001",
		SrvrTID:      "S-77",
		CheckNum:     "1042",
		RefNum:       "R<9>",
		SIC:          "5812",
		PayeeID:      "P1",
		Name:         "Café <Ünï> & Co",
		Memo:         "€5 São Paulo — “quoted”",
		CorrectFITID: "20240301-0009",
		// CORRECTACTION goes with CORRECTFITID.
		CorrectAction: "REPLACE",
	}
	bank := wtStatement(0, &Statement{
		Kind: bankfeed.KindBank, TRNUID: "1001", Status: ok, Currency: "USD",
		Account: AccountRef{BankID: "121000248", BranchID: "01", AcctID: "000123456789", AcctType: "CHECKING", AcctKey: "K1"},
		Start:   wtAt(time.Date(2024, 3, 1, 0, 0, 0, 0, wtEST)),
		End:     wtAt(time.Date(2024, 3, 31, 23, 59, 59, 0, wtEST)),
		Transactions: []Transaction{
			full,
			wtTxn("CREDIT", wtDay(2024, 3, 15), "1234.5600", "20240315-0002", "PAYROLL ACME"),
			wtTxn("CHECK", wtAt(time.Date(2024, 3, 20, 12, 0, 0, 0, wtIndia)), "-0.01", "20240320-0003", ""),
		},
		Ledger:    Balance{Set: true, Amount: bankfeed.MustDecimal("5021.99"), AsOf: wtAt(time.Date(2024, 3, 31, 23, 59, 59, 0, wtEST))},
		Available: Balance{Set: true, Amount: bankfeed.MustDecimal("4900.00"), AsOf: wtDay(2024, 3, 31)},
	})
	card := wtStatement(1, &Statement{
		Kind: bankfeed.KindCreditCard, TRNUID: "1002", Status: ok, Currency: "EUR",
		Account: AccountRef{AcctID: "4111111111111111"},
		Start:   wtDay(2024, 2, 1), End: wtDay(2024, 2, 29),
		Transactions: []Transaction{
			wtTxn("PAYMENT", wtDay(2024, 2, 10), "250.00", "CC-1", "THANK YOU"),
			wtTxn("DEBIT", wtDay(2024, 2, 11), "-99.999", "CC-2", "Pão de Açúcar"),
		},
		Ledger: Balance{Set: true, Amount: bankfeed.MustDecimal("-1523.45"), AsOf: wtDay(2024, 2, 29)},
	})
	return &Response{
		Version: "102",
		Signon: Signon{
			Status:   ok,
			DTServer: wtAt(time.Date(2024, 4, 1, 8, 0, 0, 123e6, time.UTC)),
			Language: "ENG", Org: "Bank & Trust <Example>", FID: "1234", IntuBID: "10898", IntuUserID: "jdoe",
		},
		Statements: []*Statement{bank, card},
		AccountInfo: []AccountInfo{
			{Kind: bankfeed.KindBank, Desc: "Checking ‘Everyday’", Phone: "555-0100",
				Account: bank.Account, SupTxDl: true, XferSrc: true, XferDest: true, SvcStatus: "ACTIVE"},
			{Kind: bankfeed.KindCreditCard, Desc: "Visa", Account: card.Account, SupTxDl: true, SvcStatus: "AVAIL"},
		},
		TxStatuses: []TxStatus{
			{Wrapper: "ACCTINFOTRNRS", TRNUID: "1000", Status: ok},
			{Wrapper: "STMTTRNRS", TRNUID: "1001", Status: ok},
			{Wrapper: "STMTTRNRS", TRNUID: "1003", Status: Status{Set: true, Code: 2003, Severity: "ERROR", Message: "Account not found & closed"}},
			{Wrapper: "CCSTMTTRNRS", TRNUID: "1002", Status: ok},
		},
	}
}

// wtErrorResponse builds the error responses the simulator needs: a sign-on
// failure, or a sign-on that succeeds and statement requests that fail.
func wtErrorResponse(signon Status, errs ...Status) *Response {
	r := &Response{
		Signon: Signon{Status: signon, DTServer: wtAt(time.Date(2024, 4, 1, 8, 0, 0, 0, time.UTC)), Language: "ENG", Org: "B1", FID: "1"},
	}
	for i, s := range errs {
		r.TxStatuses = append(r.TxStatuses, TxStatus{Wrapper: "STMTTRNRS", TRNUID: "9" + string(rune('0'+i)), Status: s})
	}
	return r
}

// wtForms are the forms every round trip is run in.
var wtForms = []struct {
	name string
	opts WriteOptions
}{
	{"sgml102", WriteOptions{Version: "102"}},
	{"sgml102-closed", WriteOptions{Version: "102", CloseLeaves: true}},
	{"sgml103-utf8", WriteOptions{Version: "103", UTF8: true}},
	{"xml200", WriteOptions{Version: "200"}},
	{"xml211", WriteOptions{Version: "211", Indent: "  "}},
	{"xml220", WriteOptions{Version: "220"}},
}

// wtGolden compares got with testdata/golden/name, or rewrites it with -update.
func wtGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, cmp.Diff(string(want), string(got)))
	}
}

// wtDateCmp compares dates by instant, offset and form; Raw is what the
// reader saw and differs by design.
var wtDateCmp = cmp.Comparer(func(a, b Date) bool {
	_, oa := a.Time.Zone()
	_, ob := b.Time.Zone()
	return a.Valid == b.Valid && a.HasTime == b.HasTime && (!a.Valid || a.Time.Equal(b.Time) && oa == ob)
})

// wtDecimalCmp compares decimals digit for digit: 1234.5600 is not 1234.56.
var wtDecimalCmp = cmp.Comparer(func(a, b bankfeed.Decimal) bool { return a.String() == b.String() })

var wtCmpOpts = cmp.Options{
	wtDateCmp, wtDecimalCmp,
	cmpopts.IgnoreFields(Statement{}, "Line", "Signon"),
	cmpopts.IgnoreFields(Transaction{}, "Line"),
	cmpopts.EquateEmpty(),
}

func TestWriterGolden(t *testing.T) {
	tests := []struct {
		name  string
		opts  WriteOptions
		write func(w *bytes.Buffer, opts WriteOptions) error
	}{
		{"response-sgml102.ofx", WriteOptions{Version: "102"}, wtWriteResponse(wtResponse())},
		{"response-sgml102-closed.ofx", WriteOptions{Version: "102", CloseLeaves: true, Indent: " "}, wtWriteResponse(wtResponse())},
		{"response-sgml103-utf8.ofx", WriteOptions{Version: "103", UTF8: true}, wtWriteResponse(wtResponse())},
		{"response-xml211.ofx", WriteOptions{Version: "211", Indent: "  "}, wtWriteResponse(wtResponse())},
		{"response-xml220.ofx", WriteOptions{Version: "220", NewFileUID: "0f9e6c1a-3b1e-4d5c-9a7e-2b8f1c2d3e4f"}, wtWriteResponse(wtResponse())},
		{"signon-15500-sgml102.ofx", WriteOptions{}, wtWriteResponse(wtErrorResponse(
			Status{Set: true, Code: 15500, Severity: "ERROR", Message: "Signon invalid"}))},
		{"statement-errors-xml211.ofx", WriteOptions{Version: "211", Indent: "  "}, wtWriteResponse(wtErrorResponse(
			Status{Set: true, Code: 0, Severity: "INFO"},
			Status{Set: true, Code: 2000, Message: "General error"},
			Status{Set: true, Code: 15000, Severity: "ERROR", Message: "Must change USERPASS"},
			Status{Set: true, Code: 15510, Message: "CLIENTUID error"},
			Status{Set: true, Code: 15502, Message: "Invalid user ID"},
			Status{Set: true, Code: 3000, Severity: "ERROR", Message: "MFA challenge authentication is required"},
		))},
		{"profile-sgml102.ofx", WriteOptions{}, wtWriteProfile},
		{"profile-xml211.ofx", WriteOptions{Version: "211", Indent: "  "}, wtWriteProfile},
		{"request-sgml102.ofx", WriteOptions{Version: "102"}, wtWriteRequest(wtRequest())},
		{"request-xml211.ofx", WriteOptions{Version: "211", Indent: "  "}, wtWriteRequest(wtRequest())},
		{"request-acctinfo-sgml103.ofx", WriteOptions{Version: "103"}, wtWriteRequest(wtAccountInfoRequest())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.write(&buf, tt.opts); err != nil {
				t.Fatal(err)
			}
			wtGolden(t, tt.name, buf.Bytes())
		})
	}
}

func wtWriteResponse(r *Response) func(*bytes.Buffer, WriteOptions) error {
	return func(w *bytes.Buffer, opts WriteOptions) error { return WriteResponse(w, r, opts) }
}

func wtWriteRequest(r *Request) func(*bytes.Buffer, WriteOptions) error {
	return func(w *bytes.Buffer, opts WriteOptions) error { return WriteRequest(w, r, opts) }
}

func wtProfile() ProfileResponse {
	return ProfileResponse{
		TRNUID: "p1", Status: Status{Set: true},
		DTProfUp: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		FIName:   "Fake Bank & Trust", Addr1: "1 Main St", City: "Springfield", State: "IL", PostalCode: "62701",
		ServiceURL: "https://127.0.0.1:8443/ofx", URL: "https://fakebank.example",
	}
}

func wtWriteProfile(w *bytes.Buffer, opts WriteOptions) error {
	rw, err := NewResponseWriter(w, opts)
	if err != nil {
		return err
	}
	if err := rw.Signon(wtErrorResponse(Status{Set: true}).Signon); err != nil {
		return err
	}
	if err := rw.Profile(wtProfile()); err != nil {
		return err
	}
	return rw.Close()
}

// TestWriterRoundTrip writes a response in every form, reads it back, and
// expects the same sign-on, statements, transactions, balances, account list
// and statuses.
func TestWriterRoundTrip(t *testing.T) {
	for _, form := range wtForms {
		t.Run(form.name, func(t *testing.T) {
			want := wtResponse()
			var buf bytes.Buffer
			if err := WriteResponse(&buf, want, form.opts); err != nil {
				t.Fatal(err)
			}
			got, err := Read(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("read back: %v\n%s", err, buf.Bytes())
			}
			wantFormat := writeVersions[form.opts.Version]
			if got.Format != wantFormat || got.Version != form.opts.Version {
				t.Errorf("format %s version %s, want %s %s", got.Format, got.Version, wantFormat, form.opts.Version)
			}
			if len(got.Warnings) > 0 {
				t.Errorf("warnings: %q", got.Warnings)
			}
			if diff := cmp.Diff(want.Signon, got.Signon, wtCmpOpts); diff != "" {
				t.Errorf("signon (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want.Statements, got.Statements, wtCmpOpts); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want.AccountInfo, got.AccountInfo, wtCmpOpts); diff != "" {
				t.Errorf("account info (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want.TxStatuses, got.TxStatuses, wtCmpOpts); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if got.Outcome() != OutcomeStatements {
				t.Errorf("outcome %s", got.Outcome())
			}
		})
	}
}

// TestWriterRoundTripErrorResponses: every status the simulator sends comes
// back with its code, severity and message, and the outcome is an error
// response.
func TestWriterRoundTripErrorResponses(t *testing.T) {
	tests := []struct {
		name   string
		in     *Response
		signon int
		codes  []int
	}{
		{"signon 15500", wtErrorResponse(Status{Set: true, Code: 15500, Severity: "ERROR", Message: "Signon invalid"}), 15500, nil},
		{"signon 15000", wtErrorResponse(Status{Set: true, Code: 15000, Message: "Must change USERPASS"}), 15000, nil},
		{"signon 15510", wtErrorResponse(Status{Set: true, Code: 15510}), 15510, nil},
		{"signon 3000 MFA", wtErrorResponse(Status{Set: true, Code: 3000, Message: "MFA required"}), 3000, nil},
		{"statement 2000", wtErrorResponse(Status{Set: true}, Status{Set: true, Code: 2000, Message: "General error"}), 0, []int{2000}},
		{"statements 15502 and 2003", wtErrorResponse(Status{Set: true},
			Status{Set: true, Code: 15502}, Status{Set: true, Code: 2003, Severity: "ERROR", Message: "<none>"}), 0, []int{15502, 2003}},
	}
	for _, tt := range tests {
		for _, form := range wtForms {
			t.Run(tt.name+"/"+form.name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := WriteResponse(&buf, tt.in, form.opts); err != nil {
					t.Fatal(err)
				}
				got, err := Read(&buf)
				if err != nil {
					t.Fatal(err)
				}
				if got.Signon.Status.Code != tt.signon {
					t.Errorf("signon code %d, want %d", got.Signon.Status.Code, tt.signon)
				}
				wantSeverity := "ERROR"
				if tt.signon == 0 {
					wantSeverity = "INFO"
				}
				if got.Signon.Status.Severity != wantSeverity {
					t.Errorf("signon severity %q, want %q", got.Signon.Status.Severity, wantSeverity)
				}
				if diff := cmp.Diff(tt.in.Signon.Status, got.Signon.Status, cmpopts.IgnoreFields(Status{}, "Severity")); diff != "" {
					t.Errorf("signon status (-want +got):\n%s", diff)
				}
				var codes []int
				for i, ts := range got.TxStatuses {
					codes = append(codes, ts.Status.Code)
					if want := tt.in.TxStatuses[i]; ts.TRNUID != want.TRNUID || ts.Status.Message != want.Status.Message || ts.Status.Severity == "" {
						t.Errorf("status %d: %+v, want %+v", i, ts, want)
					}
				}
				if diff := cmp.Diff(tt.codes, codes, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("statement codes (-want +got):\n%s", diff)
				}
				if len(got.Statements) != 0 || got.Outcome() != OutcomeErrorResponse {
					t.Errorf("%d statements, outcome %s; want none and %s", len(got.Statements), got.Outcome(), OutcomeErrorResponse)
				}
			})
		}
	}
}

// TestWriterEscaping: &, <, > and text outside ASCII survive each form; in
// Windows-1252 SGML what 1252 lacks becomes "?" and nothing else is lost.
func TestWriterEscaping(t *testing.T) {
	tests := []struct {
		name, in, want1252 string
	}{
		{"markup", "A&B <x> & C>D", "A&B <x> & C>D"},
		{"entity-like", "&amp; &lt; &#38;", "&amp; &lt; &#38;"},
		{"latin", "Café São Paulo ã ñ ü ß", "Café São Paulo ã ñ ü ß"},
		{"euro and quotes", "€12 “x” ‘y’ — …", "€12 “x” ‘y’ — …"},
		{"outside 1252", "東京 ✓ Ω", "?? ? ?"},
		{"controls", "a\tb\x01c\x7fd", "a b c d"},
		{"invalid utf-8", "x\xffy", "x?y"},
		{"controls around", "\x01 a\r\nb \x7f", "a  b"},
		{"controls only", "\x01\x02\u0085", ""},
	}
	for _, tt := range tests {
		for _, form := range wtForms {
			t.Run(tt.name+"/"+form.name, func(t *testing.T) {
				r := wtResponse()
				st := r.Statements[0]
				st.Transactions = st.Transactions[:1]
				st.Transactions[0].Name = tt.in
				st.Transactions[0].Memo = tt.in
				var buf bytes.Buffer
				if err := WriteResponse(&buf, r, form.opts); err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(buf.Bytes(), []byte("<x>")) {
					t.Errorf("markup written unescaped:\n%s", buf.Bytes())
				}
				got, err := Read(&buf)
				if err != nil {
					t.Fatal(err)
				}
				want := tt.want1252
				if form.opts.UTF8 || writeVersions[form.opts.Version] == FormatXML {
					want = strings.TrimSpace(strings.ToValidUTF8(strings.Map(func(r rune) rune {
						if r < 0x20 || r >= 0x7f && r < 0xa0 {
							return ' '
						}
						return r
					}, tt.in), "\uFFFD"))
				}
				txn := got.Statements[0].Transactions[0]
				if txn.Name != want || txn.Memo != want {
					t.Errorf("NAME %q MEMO %q, want %q", txn.Name, txn.Memo, want)
				}
			})
		}
	}
}

// TestWriterStream writes a statement from an iterator that builds each
// transaction on demand, and reads the count and exact sum back.
func TestWriterStream(t *testing.T) {
	const n = 20000
	seq := func(yield func(Transaction) bool) {
		base := time.Date(2024, 1, 1, 12, 0, 0, 0, wtEST)
		for i := range n {
			amt := bankfeed.NewDecimal(int64(i%997-498), 2)
			t := Transaction{TrnType: "DEBIT", Posted: wtAt(base.Add(time.Duration(i) * time.Minute)),
				Amount: amt, AmountSet: true, FITID: "F" + itoa(i), Name: "Payee " + itoa(i%50)}
			if !yield(t) {
				return
			}
		}
	}
	var want bankfeed.Decimal
	for t := range seq {
		want = want.Add(t.Amount)
	}
	for _, form := range wtForms {
		t.Run(form.name, func(t *testing.T) {
			st := *wtResponse().Statements[0]
			st.Transactions = nil
			var buf bytes.Buffer
			rw, err := NewResponseWriter(&buf, form.opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := rw.Signon(wtResponse().Signon); err != nil {
				t.Fatal(err)
			}
			if err := rw.Statement(&st, seq); err != nil {
				t.Fatal(err)
			}
			if err := rw.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := Stream(&buf, Options{}, Handler{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Statements) != 1 {
				t.Fatalf("read %d statements, want 1", len(got.Statements))
			}
			if s := got.Statements[0]; s.Count != n || s.Sum.String() != want.String() {
				t.Errorf("count %d sum %s, want %d %s", s.Count, s.Sum, n, want)
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// BenchmarkWriterStatement streams a statement of 100,000 transactions, as
// the QBO export and fakebank do.
func BenchmarkWriterStatement(b *testing.B) {
	const n = 100_000
	base := time.Date(2024, 1, 1, 12, 0, 0, 0, wtEST)
	seq := func(yield func(Transaction) bool) {
		for i := range n {
			t := Transaction{TrnType: "DEBIT", Posted: wtAt(base.Add(time.Duration(i) * time.Minute)),
				Amount: bankfeed.NewDecimal(int64(-i%10000), 2), AmountSet: true, FITID: "F" + strconv.Itoa(i),
				Name: "Café Payee", Memo: "card 1234 & co"}
			if !yield(t) {
				return
			}
		}
	}
	for _, form := range []struct {
		name string
		opts WriteOptions
	}{{"sgml102", WriteOptions{}}, {"xml211", WriteOptions{Version: "211"}}} {
		b.Run(form.name, func(b *testing.B) {
			st := *wtResponse().Statements[0]
			st.Transactions = nil
			var size int64
			for b.Loop() {
				cw := &wtCountWriter{}
				rw, err := NewResponseWriter(cw, form.opts)
				if err != nil {
					b.Fatal(err)
				}
				if err := rw.Signon(wtResponse().Signon); err != nil {
					b.Fatal(err)
				}
				if err := rw.Statement(&st, seq); err != nil {
					b.Fatal(err)
				}
				if err := rw.Close(); err != nil {
					b.Fatal(err)
				}
				size = cw.n
			}
			b.SetBytes(size)
		})
	}
}

// wtCountWriter counts what is written to it.
type wtCountWriter struct{ n int64 }

func (w *wtCountWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// TestWriterErrors: what the writer refuses, and that a refusal before any
// output leaves the document usable while one in mid-stream poisons it.
func TestWriterErrors(t *testing.T) {
	signon := wtResponse().Signon
	tests := []struct {
		name    string
		run     func(rw *ResponseWriter) error
		wantErr string
		ordered bool // the error is ErrWriteOrder
	}{
		{"statement before signon", func(rw *ResponseWriter) error {
			return rw.Statement(wtResponse().Statements[0], nil)
		}, "Signon comes first", true},
		{"two signons", func(rw *ResponseWriter) error {
			_ = rw.Signon(signon)
			return rw.Signon(signon)
		}, "already written", true},
		{"bank after card", func(rw *ResponseWriter) error {
			_ = rw.Signon(signon)
			_ = rw.Statement(wtResponse().Statements[1], nil)
			return rw.Statement(wtResponse().Statements[0], nil)
		}, "BANKMSGSRSV1 after CREDITCARDMSGSRSV1", true},
		{"after close", func(rw *ResponseWriter) error {
			_ = rw.Signon(signon)
			_ = rw.Close()
			return rw.StatementError(bankfeed.KindBank, "1", Status{Set: true, Code: 2000})
		}, "already closed", true},
		{"signon without DTSERVER", func(rw *ResponseWriter) error {
			return rw.Signon(Signon{FID: "9"})
		}, "no DTSERVER\nFID without ORG", false},
		{"statement lacks everything", func(rw *ResponseWriter) error {
			_ = rw.Signon(signon)
			return rw.Statement(&Statement{Kind: bankfeed.KindBank, Start: wtDay(2024, 1, 1)}, nil)
		}, "write statement 1: no CURDEF\nno ACCTID\nno BANKID\nno ACCTTYPE\na transaction list needs DTSTART and DTEND\nno LEDGERBAL with BALAMT and DTASOF", false},
		{"investment statement", func(rw *ResponseWriter) error {
			_ = rw.Signon(signon)
			return rw.Statement(&Statement{Kind: bankfeed.KindInvestment}, nil)
		}, `kind "investment": only bank and creditcard are written`, false},
		{"bad transaction in mid-stream", func(rw *ResponseWriter) error {
			_ = rw.Signon(signon)
			st := wtResponse().Statements[0]
			st.Transactions[1].FITID = " "
			st.Transactions[1].AmountSet = false
			if err := rw.Statement(st, nil); err == nil {
				t.Error("no error for a transaction without FITID")
			}
			return rw.Close()
		}, `write statement 1: transaction 2 (FITID " "): no TRNAMT` + "\nno FITID", false},
		{"profile lacks its address", func(rw *ResponseWriter) error {
			_ = rw.Signon(signon)
			return rw.Profile(ProfileResponse{TRNUID: "1", DTProfUp: time.Now(), MessageSets: []string{"BANKMSGSET", "BILLPAYMSGSET"}})
		}, "write profile: no FINAME\nno ADDR1\nno CITY\nno STATE\nno POSTALCODE\nno URL of MSGSETCORE (ServiceURL)\nmessage set \"BILLPAYMSGSET\" is not written", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			rw, err := NewResponseWriter(&buf, WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			err = tt.run(rw)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if errors.Is(err, ErrWriteOrder) != tt.ordered {
				t.Errorf("errors.Is(err, ErrWriteOrder) = %v, want %v", !tt.ordered, tt.ordered)
			}
		})
	}

	t.Run("refusal before output keeps the document", func(t *testing.T) {
		var buf bytes.Buffer
		rw, _ := NewResponseWriter(&buf, WriteOptions{})
		if err := rw.Signon(signon); err != nil {
			t.Fatal(err)
		}
		if err := rw.Statement(&Statement{Kind: bankfeed.KindBank}, nil); err == nil {
			t.Fatal("no error for an empty statement")
		}
		if err := rw.Statement(wtResponse().Statements[0], nil); err != nil {
			t.Fatal(err)
		}
		if err := rw.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := Read(&buf)
		if err != nil || len(got.Statements) != 1 {
			t.Fatalf("read: %v, %d statements", err, len(got.Statements))
		}
	})

	for _, tt := range []struct {
		name    string
		opts    WriteOptions
		wantErr string
	}{
		{"unknown version", WriteOptions{Version: "230"}, `unknown version "230"`},
		{"bad file uid", WriteOptions{NewFileUID: `x"y`}, "NEWFILEUID"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewResponseWriter(&bytes.Buffer{}, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}

	t.Run("WriteResponse refuses a profile", func(t *testing.T) {
		r := wtResponse()
		r.Profile = &Profile{FIName: "x"}
		var buf bytes.Buffer
		if err := WriteResponse(&buf, r, WriteOptions{}); err == nil || buf.Len() != 0 {
			t.Fatalf("error %v, %d bytes written", err, buf.Len())
		}
	})
}

// failWriter fails every write after the first n bytes.
type failWriter struct{ n int }

var errWTFull = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errWTFull
	}
	w.n -= len(p)
	return len(p), nil
}

// TestWriterIOError: a failing destination stops a streamed statement early
// and its error comes back.
func TestWriterIOError(t *testing.T) {
	rw, err := NewResponseWriter(&failWriter{n: 100}, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pulled := 0
	seq := func(yield func(Transaction) bool) {
		for i := range 1_000_000 {
			pulled++
			if !yield(wtTxn("DEBIT", wtDay(2024, 1, 1), "-1.00", "F"+itoa(i), "x")) {
				return
			}
		}
	}
	_ = rw.Signon(wtResponse().Signon)
	err = rw.Statement(wtResponse().Statements[0], seq)
	if !errors.Is(err, errWTFull) {
		t.Fatalf("error %v, want %v", err, errWTFull)
	}
	if pulled > 10000 {
		t.Errorf("%d transactions pulled after the destination failed", pulled)
	}
	if err := rw.Close(); !errors.Is(err, errWTFull) {
		t.Errorf("Close: %v", err)
	}
}

// TestWriterAccountInfoAndProfile round-trips the account list and the
// profile's message sets.
func TestWriterAccountInfoAndProfile(t *testing.T) {
	for _, form := range wtForms {
		t.Run(form.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := wtWriteProfile(&buf, form.opts); err != nil {
				t.Fatal(err)
			}
			got, err := Read(&buf)
			if err != nil {
				t.Fatal(err)
			}
			p := wtProfile()
			want := &Profile{FIName: p.FIName, URL: p.ServiceURL, DTProfUp: wtAt(p.DTProfUp),
				MessageSets: []string{"SIGNONMSGSET", "SIGNUPMSGSET", "BANKMSGSET", "CREDITCARDMSGSET", "PROFMSGSET"}}
			if diff := cmp.Diff(want, got.Profile, wtCmpOpts); diff != "" {
				t.Errorf("profile (-want +got):\n%s", diff)
			}
			if got.Outcome() != OutcomeNoStatements {
				t.Errorf("outcome %s", got.Outcome())
			}
		})
	}
}
