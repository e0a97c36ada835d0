package ofx

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed/internal/ofx/ofxgen"
)

// The tests of this file hold the reader to what it refuses: files cut
// short, rejected whole with their position; hostile nesting and sizes,
// refused with a clear error in bounded memory; and the limits of Options.

// rdSyntaxError returns err as a *SyntaxError, failing the test if it is not
// one, or if its position is outside the input.
func rdSyntaxError(t *testing.T, resp *Response, err error, size int64) *SyntaxError {
	t.Helper()
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("error = %T %v, want a *SyntaxError", err, err)
	}
	if resp != nil {
		t.Errorf("a response came back with the error %v", err)
	}
	if se.Line < 1 || se.Offset < 0 || se.Offset > size {
		t.Errorf("position line %d byte %d outside an input of %d bytes", se.Line, se.Offset, size)
	}
	return se
}

// rdCutDocs are small complete documents, one of each syntax, with a bit of
// everything: comments, CDATA, entities, unknown elements, closed and
// unclosed leaves, an investment statement.
var rdCutDocs = map[string]string{
	"sgml": rdBankSGML(rdSGMLHeader, rdTrn("1", "-1.00", "A")+
		"<STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20240115<TRNAMT>-2,50<FITID>2<INTU.PRIVATE><NAME>B&amp;C<!-- c --><MEMO>x<![CDATA[y]]></STMTTRN>\n"),
	"xml": rdBankXML(rdXMLHeader, rdTrnXML("1", "-1.00", "A")+
		"<STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20240115</DTPOSTED><TRNAMT>-2.50</TRNAMT><FITID>2</FITID><INTU.PRIVATE/>"+
		"<NAME>B&amp;C</NAME><!-- c --><MEMO>x<![CDATA[y]]></MEMO></STMTTRN>\n"),
	"investment": rdSGMLHeader + "<OFX>\n" + rdSGMLSignon + "<INVSTMTMSGSRSV1><INVSTMTTRNRS><TRNUID>5" + rdStatus("0", "INFO", "") + "\n" +
		rdInvSGML + "</INVSTMTTRNRS></INVSTMTMSGSRSV1>\n" + rdSecList + "\n</OFX>\n",
}

// rdNamesElement matches a message that names an element.
var rdNamesElement = regexp.MustCompile(`<[A-Z][A-Z0-9.]*>`)

// TestReaderCutShort cuts small valid files at every byte before </OFX> is
// complete: each cut is rejected whole with a *SyntaxError at the end of the
// input, and once the header has begun the message says "cut short" and
// names the element the file ends in. Reading whole and streaming one byte
// at a time give the same error.
func TestReaderCutShort(t *testing.T) {
	for name, doc := range rdCutDocs {
		t.Run(name, func(t *testing.T) {
			rdRead(t, doc) // the whole document is fine
			end := strings.LastIndex(doc, "</OFX>") + len("</OFX>")
			header := strings.Index(doc, "OFXHEADER") + len("OFXHEADER")
			body := strings.Index(doc, "<OFX>")
			for i := range end {
				cut := doc[:i]
				resp, err := Read(strings.NewReader(cut))
				se := rdSyntaxError(t, resp, err, int64(i))
				msg := err.Error()
				switch {
				case i == 0:
					if se.Msg != "empty file: not an OFX document" {
						t.Errorf("cut at 0: %v", err)
					}
				case i < header:
					if !strings.HasSuffix(se.Msg, "not an OFX document") {
						t.Errorf("cut at %d (%q): %v", i, cut[max(0, i-20):], err)
					}
				default:
					if !strings.HasPrefix(se.Msg, "file cut short: it ends ") || !strings.HasSuffix(se.Msg, "; nothing of it is used") ||
						!rdNamesElement.MatchString(se.Msg) {
						t.Errorf("cut at %d (%q): %v", i, cut[max(0, i-20):], err)
					}
					if se.Offset != int64(i) {
						t.Errorf("cut at %d: error at byte %d", i, se.Offset)
					}
					if want := strings.Count(cut, "\n") + 1; se.Line != want {
						t.Errorf("cut at %d: error on line %d, want %d", i, se.Line, want)
					}
				}
				if i >= body+len("<OFX>") && !strings.Contains(msg, "before </OFX>") {
					t.Errorf("cut at %d: %v", i, err)
				}
				streamed, serr := Stream(&oneByteReader{data: []byte(cut)}, Options{}, Handler{})
				rdSyntaxError(t, streamed, serr, int64(i))
				if serr.Error() != msg {
					t.Errorf("cut at %d: streamed one byte at a time %q, read whole %q", i, serr, msg)
				}
				if t.Failed() {
					t.FailNow()
				}
			}
			// Complete, and with trailing text after </OFX>, it reads; a
			// second document cut short rejects the file like the first.
			rdRead(t, doc[:end])
			rdRead(t, doc[:end]+"\n\x00garbage")
			if _, err := Read(strings.NewReader(doc[:end] + "\n\x00garbage <OFX>")); err == nil || !strings.Contains(err.Error(), "cut short") {
				t.Errorf("a second document cut short: %v, want rejected as cut short", err)
			}
		})
	}
}

// TestReaderCutShortNamesElement checks the element named by cuts at
// chosen places.
func TestReaderCutShortNamesElement(t *testing.T) {
	doc := rdCutDocs["sgml"]
	tests := []struct {
		name    string
		in      string // the document is cut after the first occurrence of in
		wantErr string
	}{
		{"in a header field", "OFXHEADER:10", "line 1 (byte 12): file cut short: it ends in the header, before <OFX>"},
		{"after the header", "NEWFILEUID:NONE\n\n", "line 11 (byte 133): file cut short: it ends in the header, before <OFX>"},
		{"inside <OFX", "\n<OFX", "file cut short: it ends in the header, before <OFX>"},
		{"after <OFX>", "<OFX>", "line 11 (byte 138): file cut short: it ends inside <OFX> before </OFX>"},
		{"after a closed aggregate", "</SONRS>", "file cut short: it ends inside <SIGNONMSGSRSV1> before </OFX>"},
		{"inside a value", "<TRNAMT>-1.0", "line 15 (byte 537): file cut short: it ends inside <TRNAMT> in <STMTTRN> before </OFX>"},
		{"after a value", "<TRNAMT>-1.00", "file cut short: it ends inside <TRNAMT> in <STMTTRN> before </OFX>"},
		{"inside a start tag", "<STMTTRN><TRNTY", "file cut short: it ends inside a start tag in <STMTTRN> before </OFX>"},
		{"inside an end tag", "</TRNTY", "file cut short: it ends inside an end tag in <STMTTRN> before </OFX>"},
		{"after a start tag", "\n<STMTTRN>", "file cut short: it ends inside <STMTTRN> in <BANKTRANLIST> before </OFX>"},
		{"after an end tag", "</STMTTRN>", "file cut short: it ends inside <BANKTRANLIST> before </OFX>"},
		{"after an empty unknown element", "<INTU.PRIVATE>", "file cut short: it ends inside <INTU.PRIVATE> in <STMTTRN> before </OFX>"},
		{"inside a comment", "<!-- c", "file cut short: it ends inside a comment or declaration in <STMTTRN> before </OFX>"},
		{"inside CDATA", "<![CDATA[y", "file cut short: it ends inside a CDATA section in <STMTTRN> before </OFX>"},
		{"inside an entity", "B&am", "file cut short: it ends inside <NAME> in <STMTTRN> before </OFX>"},
		{"inside </OFX>", "</OFX", "file cut short: it ends inside an end tag in <OFX> before </OFX>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i := strings.Index(doc, tc.in)
			if i < 0 {
				t.Fatalf("%q not in the document", tc.in)
			}
			cut := doc[:i+len(tc.in)]
			resp, err := Read(strings.NewReader(cut))
			rdSyntaxError(t, resp, err, int64(len(cut)))
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
		})
	}
}

// rdStreamReader hands out head, then unit repeated for n bytes, then tail,
// without ever holding them whole: a 100 MB document costs the test nothing.
type rdStreamReader struct {
	head, tail string
	block      string // unit repeated, at least 64 KiB
	unit       int
	n          int64
	pos        int64 // bytes handed out
}

func newStreamReader(head, unit string, n int64, tail string) *rdStreamReader {
	return &rdStreamReader{head: head, tail: tail, unit: len(unit), n: n,
		block: strings.Repeat(unit, (64<<10)/len(unit)+1)}
}

func (r *rdStreamReader) Read(p []byte) (int, error) {
	h := int64(len(r.head))
	total := h + r.n + int64(len(r.tail))
	if r.pos >= total {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.pos < total {
		var c int
		switch {
		case r.pos < h:
			c = copy(p[n:], r.head[r.pos:])
		case r.pos < h+r.n:
			off := (r.pos - h) % int64(r.unit)
			c = copy(p[n:min(int64(len(p)), int64(n)+h+r.n-r.pos)], r.block[off:])
		default:
			c = copy(p[n:], r.tail[r.pos-h-r.n:])
		}
		n += c
		r.pos += int64(c)
	}
	return n, nil
}

// rdAllocated returns the bytes f allocates.
func rdAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReaderHostileInput proves that hostile nesting and sizes are refused
// with a clear *SyntaxError, reading no more than they must and allocating
// a bounded amount however large the input.
func TestReaderHostileInput(t *testing.T) {
	const mb = 1 << 20
	tests := []struct {
		name    string
		in      *rdStreamReader
		wantErr string // "" when the input reads, in bounded memory
	}{
		{
			name:    "100,000 unknown elements nested",
			in:      newStreamReader("<OFX>", "<A>", 3*100000, "</OFX>"),
			wantErr: "elements nested deeper than 1000; refused",
		},
		{
			name:    "100,000 BANKTRANLIST nested",
			in:      newStreamReader("<OFX>", "<BANKTRANLIST>", 14*100000, "</OFX>"),
			wantErr: "elements nested deeper than 1000; refused",
		},
		{
			name: "100,000 known aggregates nested in turn",
			in: newStreamReader("<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><BANKTRANLIST>", "<STMTTRN><PAYEE><BANKTRANLIST>",
				30*100000/3, "</OFX>"),
			wantErr: "elements nested deeper than 1000; refused",
		},
		{
			name:    "100,000 empty unknown elements, each closed",
			in:      newStreamReader("<OFX>", "<A></A>", 7*100000, "</OFX>"),
			wantErr: "",
		},
		{
			name:    "a 100 MB value",
			in:      newStreamReader("<OFX><SIGNONMSGSRSV1><SONRS><LANGUAGE>", "x", 100*mb, "</LANGUAGE></SONRS></SIGNONMSGSRSV1></OFX>"),
			wantErr: "line 1 (byte 38): an element is longer than 1048576 bytes; refused",
		},
		{
			name:    "a 100 MB tag name",
			in:      newStreamReader("<OFX><", "A", 100*mb, "></OFX>"),
			wantErr: "line 1 (byte 5): an element is longer than 1048576 bytes; refused",
		},
		{
			name:    "a 100 MB end tag",
			in:      newStreamReader("<OFX></", "A", 100*mb, "></OFX>"),
			wantErr: "an element is longer than 1048576 bytes; refused",
		},
		{
			name:    "a 100 MB value over many lines",
			in:      newStreamReader("<OFX>\n<MEMO>", "ab\r\n", 100*mb, "</OFX>"),
			wantErr: "line 2 (byte 12): an element is longer than 1048576 bytes; refused",
		},
		{
			name:    "a 100 MB comment",
			in:      newStreamReader("<OFX><!--", "x", 100*mb, "--></OFX>"),
			wantErr: "an element is longer than 1048576 bytes; refused",
		},
		{
			name:    "a 100 MB CDATA section",
			in:      newStreamReader("<OFX><MEMO><![CDATA[", "x", 100*mb, "]]></OFX>"),
			wantErr: "an element is longer than 1048576 bytes; refused",
		},
		{
			name:    "a 100 MB value of CDATA sections",
			in:      newStreamReader("<OFX><MEMO>", "<![CDATA[x]]>", 13*8*mb, "</OFX>"),
			wantErr: "an element is longer than 1048576 bytes; refused",
		},
		{
			name:    "a 100 MB prolog",
			in:      newStreamReader("", "\n", 100*mb, "<OFX></OFX>"),
			wantErr: "line 1 (byte 0): no <OFX> element: not an OFX document",
		},
		{
			name:    "a 100 MB header field",
			in:      newStreamReader("OFXHEADER:100\nVERSION:", "1", 100*mb, "\n<OFX></OFX>"),
			wantErr: "line 1 (byte 0): no <OFX> element: not an OFX document",
		},
		{
			name:    "100 MB of blank text after a start tag",
			in:      newStreamReader("<OFX>", " \r\n", 100*mb, "</OFX>"),
			wantErr: "line 1 (byte 5): an element is longer than 1048576 bytes; refused",
		},
		{
			name:    "100 MB of blank text after an end tag is skipped",
			in:      newStreamReader("<OFX><A></A>", " \r\n", 100*mb, "</OFX>"),
			wantErr: "",
		},
		{
			name:    "100 MB of stray '<' after an end tag is skipped",
			in:      newStreamReader("<OFX><A></A>", "< ", 100*mb, "</OFX>"),
			wantErr: "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			size := int64(len(tc.in.head)) + tc.in.n + int64(len(tc.in.tail))
			var resp *Response
			var err error
			alloc := rdAllocated(func() { resp, err = Read(tc.in) })
			if tc.wantErr == "" {
				if err != nil || resp.Outcome() != OutcomeNoStatements {
					t.Fatalf("Read: %v", err)
				}
				if tc.in.pos != size {
					t.Errorf("read %d of %d bytes", tc.in.pos, size)
				}
			} else {
				rdSyntaxError(t, resp, err, size)
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %q does not contain %q", err, tc.wantErr)
				}
			}
			if tc.wantErr != "" && tc.in.pos > 4*mb {
				t.Errorf("read %d bytes before refusing, want at most 4 MiB", tc.in.pos)
			}
			if alloc > 16*mb {
				t.Errorf("allocated %d bytes, want at most 16 MiB", alloc)
			}
		})
	}
}

// TestReaderSiblingsLeftOpen proves that transactions whose end tags are all
// left out are siblings, not a nesting the depth limit would refuse.
func TestReaderSiblingsLeftOpen(t *testing.T) {
	const n = 5000
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240115<TRNAMT>-0.01<FITID>%d<NAME>N<INTU.PRIVATE>\n", i)
	}
	resp := rdRead(t, rdBankSGML(rdSGMLHeader, b.String()))
	st := resp.Statements[0]
	if st.Count != n || len(st.Transactions) != n || st.Sum.String() != "-50.00" || !st.Ledger.Set {
		t.Errorf("count %d (kept %d) sum %s ledger set %v; want %d, -50.00, set", st.Count, len(st.Transactions), st.Sum, st.Ledger.Set, n)
	}
	if got := st.Transactions[n-1].FITID; got != fmt.Sprint(n-1) {
		t.Errorf("last FITID %q", got)
	}
	if len(resp.Warnings) != 0 {
		t.Errorf("warnings: %q", resp.Warnings[:min(3, len(resp.Warnings))])
	}
}

// rdStatements is a response of n bank statements, each with one bad
// amount (one warning each), and a list of two securities.
func rdStatements(n int) string {
	var b strings.Builder
	b.WriteString(rdSGMLHeader + "<OFX>\n" + rdSGMLSignon + "<BANKMSGSRSV1>\n")
	for i := range n {
		fmt.Fprintf(&b, "<STMTTRNRS><TRNUID>%d<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD"+
			"<BANKACCTFROM><BANKID>1<ACCTID>%d<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST>\n%s</BANKTRANLIST></STMTRS></STMTTRNRS>\n",
			i, i, rdTrn("1", "x", "N"))
	}
	b.WriteString("</BANKMSGSRSV1>\n" + rdSecList + "</OFX>\n")
	return b.String()
}

// TestReaderOptionLimits proves each limit of Options: refused beyond it,
// read up to it; warnings beyond MaxWarnings counted, not kept.
func TestReaderOptionLimits(t *testing.T) {
	tests := []struct {
		name         string
		in           string
		opts         Options
		wantStmts    int
		wantWarnings int
		wantDropped  int
		wantErr      string
	}{
		{name: "statements at the limit", in: rdStatements(3), opts: Options{MaxStatements: 3}, wantStmts: 3, wantWarnings: 3},
		{name: "too many statements", in: rdStatements(3), opts: Options{MaxStatements: 2}, wantErr: "more than 2 statements; refused"},
		{name: "warnings capped", in: rdStatements(10), opts: Options{MaxWarnings: 3}, wantStmts: 10, wantWarnings: 3, wantDropped: 7},
		{name: "default warnings cap", in: rdStatements(1500), wantStmts: 1500, wantWarnings: 1000, wantDropped: 500},
		{name: "items at the limit", in: rdStatements(1), opts: Options{MaxItems: 2}, wantStmts: 1, wantWarnings: 1},
		{name: "too many items", in: rdStatements(1), opts: Options{MaxItems: 1}, wantErr: "more than 1 positions, securities or accounts; refused"},
		{name: "too many positions", in: rdCutDocs["investment"], opts: Options{MaxItems: 1}, wantErr: "more than 1 positions, securities or accounts; refused"},
		{name: "depth at the limit", in: rdStatements(1), opts: Options{MaxDepth: 6}, wantStmts: 1, wantWarnings: 1},
		{name: "too deep", in: rdStatements(1), opts: Options{MaxDepth: 5}, wantErr: "elements nested deeper than 5; refused"},
		{name: "value at the token limit", in: rdBankSGML("", rdTrn("1", "1", strings.Repeat("n", 4096))), opts: Options{MaxTokenBytes: 4096}, wantStmts: 1},
		{name: "value over the token limit", in: rdBankSGML("", rdTrn("1", "1", strings.Repeat("n", 4097))), opts: Options{MaxTokenBytes: 4096},
			wantErr: "line 5 (byte 415): an element is longer than 4096 bytes; refused"},
		{name: "tag over the token limit", in: rdBankSGML("", "<"+strings.Repeat("N", 4096)+">"), opts: Options{MaxTokenBytes: 4096},
			wantErr: "an element is longer than 4096 bytes; refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, keep := range []bool{true, false} {
				resp, err := read(strings.NewReader(tc.in), tc.opts, Handler{}, keep)
				if tc.wantErr != "" {
					rdSyntaxError(t, resp, err, int64(len(tc.in)))
					if !strings.Contains(err.Error(), tc.wantErr) {
						t.Errorf("error %q does not contain %q", err, tc.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Statements) != tc.wantStmts || len(resp.Warnings) != tc.wantWarnings || resp.WarningsDropped != tc.wantDropped {
					t.Errorf("keep %v: %d statements, %d warnings, %d dropped; want %d, %d, %d", keep,
						len(resp.Statements), len(resp.Warnings), resp.WarningsDropped, tc.wantStmts, tc.wantWarnings, tc.wantDropped)
				}
			}
		})
	}
}

// TestStreamBoundedMemory streams generated 200,000-transaction statements
// from a pipe, so that neither the test nor the reader holds the file: what
// the reader allocates stays a small fraction of the file, and with a
// handler that sees every transaction the live heap stays small.
func TestStreamBoundedMemory(t *testing.T) {
	const n = 200000
	for _, format := range []ofxgen.Format{ofxgen.SGML, ofxgen.XML} {
		t.Run(format.String(), func(t *testing.T) {
			opts := ofxgen.Options{Format: format, Kind: ofxgen.Bank, N: n, Seed: 7}
			want, err := ofxgen.Expect(opts)
			if err != nil {
				t.Fatal(err)
			}
			stream := func(h Handler) (*Response, int64, error) {
				pr, pw := io.Pipe()
				size := make(chan int64, 1)
				go func() {
					sum, err := ofxgen.Write(pw, opts)
					size <- sum.Bytes
					pw.CloseWithError(err)
				}()
				resp, err := Stream(pr, Options{}, h)
				pr.CloseWithError(errors.New("reader done"))
				return resp, <-size, err
			}
			// What generating costs alone, to subtract.
			genAlloc := rdAllocated(func() {
				if _, err := ofxgen.Write(io.Discard, opts); err != nil {
					t.Fatal(err)
				}
			})
			var resp *Response
			var size int64
			alloc := rdAllocated(func() { resp, size, err = stream(Handler{}) })
			if err != nil {
				t.Fatal(err)
			}
			st := resp.Statements[0]
			if st.Count != want.Count || st.Sum.String() != want.Sum() || st.Ledger.Amount.String() != want.Ledger() || len(st.Transactions) != 0 {
				t.Errorf("count %d sum %s ledger %s kept %d; want %d %s %s 0", st.Count, st.Sum, st.Ledger.Amount, len(st.Transactions),
					want.Count, want.Sum(), want.Ledger())
			}
			if alloc-min(alloc, genAlloc) > 5<<20 {
				t.Errorf("reading %d bytes allocated %d bytes (generating %d), want under 5 MiB", size, alloc-genAlloc, genAlloc)
			}
			if format != ofxgen.SGML {
				return // the handler's side does not depend on the syntax
			}
			// With a handler, transactions are made and dropped one by one.
			var ms runtime.MemStats
			var peak uint64
			seen := 0
			resp, _, err = stream(Handler{Transaction: func(st *Statement, tx *Transaction) error {
				seen++
				if seen%20000 == 0 {
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapAlloc)
				}
				if st.Account.AcctID != want.AcctID || st.Currency != want.Currency {
					return fmt.Errorf("transaction %d: account %q currency %q", seen, st.Account.AcctID, st.Currency)
				}
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			if seen != n || resp.Statements[0].Count != n {
				t.Errorf("handler saw %d, count %d, want %d", seen, resp.Statements[0].Count, n)
			}
			if peak > 32<<20 {
				t.Errorf("heap reached %d bytes while streaming %d bytes, want under 32 MiB", peak, size)
			}
		})
	}
}
