package ofx

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx/ofxcorpus"
	"github.com/bankfeed/bankfeed/internal/ofx/ofxgen"
)

// fuzzOptions keep fuzzed documents small and limits low, so the fuzzer
// explores the limits themselves.
var fuzzOptions = Options{MaxDepth: 64, MaxTokenBytes: 4096, MaxWarnings: 50, MaxStatements: 50, MaxItems: 500}

// addCorpusSeeds seeds f with the shared corpus files of one syntax, when the
// corpus is there, and with generated statements.
func addCorpusSeeds(f *testing.F, xml bool) {
	dir := os.Getenv("BANKFEED_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus", "ofx")
	}
	files, _ := ofxcorpus.Files(dir)
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		isXML := bytes.Contains(data[:min(len(data), 512)], []byte("<?xml")) || bytes.Contains(data[:min(len(data), 512)], []byte("OFXHEADER=\"2"))
		if isXML == xml {
			f.Add(data)
		}
	}
	format := ofxgen.SGML
	if xml {
		format = ofxgen.XML
	}
	for i, kind := range []ofxgen.Kind{ofxgen.Bank, ofxgen.CreditCard} {
		var b bytes.Buffer
		if _, err := ofxgen.Write(&b, ofxgen.Options{Format: format, Kind: kind, N: 3, Seed: uint64(i + 1)}); err == nil {
			f.Add(b.Bytes())
		}
	}
}

// checkDocument holds a read document to the reader's promises: a clean
// rejection or a response whose text is valid UTF-8, whose sums add up, and
// which streaming reads the same.
func checkDocument(t *testing.T, data []byte) {
	resp, err := read(bytes.NewReader(data), fuzzOptions, Handler{}, true)
	if err != nil {
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("error is not a *SyntaxError: %T %v", err, err)
		}
		if se.Line < 1 || se.Offset < 0 || se.Offset > int64(len(data)) {
			t.Fatalf("bad position in %v", se)
		}
		return
	}
	for _, st := range resp.Statements {
		var sum bankfeed.Decimal
		for _, tx := range st.Transactions {
			for _, s := range []string{tx.FITID, tx.Name, tx.Memo, tx.Payee, tx.TrnType} {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 in transaction text %q", s)
				}
			}
			if tx.AmountSet {
				sum = sum.Add(tx.Amount)
			}
		}
		if st.Count != len(st.Transactions) || !sum.Equal(st.Sum) {
			t.Fatalf("statement %d: count %d/%d, sum %s/%s", st.Index, st.Count, len(st.Transactions), st.Sum, sum)
		}
		if !utf8.ValidString(st.Account.AcctID) || !utf8.ValidString(st.Currency) {
			t.Fatalf("invalid UTF-8 in statement fields")
		}
	}
	streamed, err := Stream(bytes.NewReader(data), fuzzOptions, Handler{})
	if err != nil {
		t.Fatalf("Read accepted what Stream rejected: %v", err)
	}
	if len(streamed.Statements) != len(resp.Statements) || resp.Outcome() != streamed.Outcome() {
		t.Fatalf("Stream and Read disagree")
	}
	for i, st := range streamed.Statements {
		if st.Count != resp.Statements[i].Count || !st.Sum.Equal(resp.Statements[i].Sum) {
			t.Fatalf("statement %d: Stream and Read disagree", i)
		}
	}
}

func FuzzReadSGML(f *testing.F) {
	addCorpusSeeds(f, false)
	f.Add([]byte("OFXHEADER:100\nDATA:OFXSGML\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS></SONRS></SIGNONMSGSRSV1></OFX>"))
	f.Fuzz(checkDocument)
}

func FuzzReadXML(f *testing.F) {
	addCorpusSeeds(f, true)
	f.Add([]byte(`<?xml version="1.0"?><?OFX OFXHEADER="200" VERSION="211"?><OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD</CURDEF><BANKTRANLIST><STMTTRN><TRNAMT>1.00</TRNAMT><FITID>a&amp;b</FITID></STMTTRN></BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>`))
	f.Fuzz(checkDocument)
}

func FuzzHeader(f *testing.F) {
	for _, s := range []string{
		"OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\nCHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n",
		"\n\nOFXHEADER:100 DATA:OFXSGML VERSION:103 ",
		`<?xml version="1.0" encoding="UTF-8" standalone="no"?><?OFX OFXHEADER="200" VERSION="211" SECURITY="NONE"?>`,
		"<!-- OFXHEADER:100\nVERSION:102 -->",
		"\xef\xbb\xbfENCODING:UTF-8\rCHARSET:NONE\r",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, prolog []byte) {
		var h Header
		parseProlog(prolog, &h)
		var d textDecoder
		d.warn = &warnings{max: 10}
		d.line = func() int { return 1 }
		d.setCharset(h, false)
		d.setCharset(h, true)
		// The prolog followed by a small body reads or is rejected cleanly.
		doc := append(append([]byte{}, prolog...), "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</STATUS></SONRS></SIGNONMSGSRSV1></OFX>"...)
		checkDocument(t, doc)
	})
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"-12.00", "+16.00", "-530,86", "$120", "R$ 1.234,56", "-00000000002571.4500",
		"(12.00)", "12.00-", "1,234,567.89", "-10520.15991211279502", "", "abc", "1e5", "--1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseAmount(s)
		if err != nil {
			if !errors.Is(err, ErrAmount) {
				t.Fatalf("error does not wrap ErrAmount: %v", err)
			}
			return
		}
		// What it yields is a plain decimal that reads back the same.
		back, err := bankfeed.ParseDecimal(d.String())
		if err != nil || !back.Equal(d) {
			t.Fatalf("%q → %s does not read back: %v", s, d, err)
		}
		if !d.Add(d.Neg()).IsZero() {
			t.Fatalf("%s - %s is not zero", d, d)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"20240131", "20240131120000", "20240131120000.123[-5:EST]", "202401311200",
		"20240131120000[-4.5]", "20240131[+5:30:IST]", "20250423[-0300:BRT]", "23/04/2025", "2025-04-23",
		"00000000000000", "20230231", "20240131120000.123[", "[]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		b, errb := parseDateBytes([]byte(s))
		if (err == nil) != (errb == nil) {
			t.Fatalf("%q: ParseDate err %v, parseDateBytes err %v", s, err, errb)
		}
		if err != nil && (!errors.Is(err, ErrDate) || d.Valid != errors.Is(err, ErrZone)) {
			t.Fatalf("%q: bad error %v (valid %v)", s, err, d.Valid)
		}
		if !d.Valid {
			return
		}
		if !d.Time.Equal(b.Time) || d.Day() != b.Day() {
			t.Fatalf("%q: ParseDate %v, parseDateBytes %v", s, d.Time, b.Time)
		}
		if y := d.Time.Year(); y < 1 || y > 9999 {
			t.Fatalf("%q: year %d", s, y)
		}
		// What FormatDate writes reads back as the same instant.
		back, err := ParseDate(FormatDate(d.Time))
		if err != nil || !back.Time.Equal(d.Time.Truncate(1e6)) {
			t.Fatalf("%q: FormatDate %q reads back %v, %v", s, FormatDate(d.Time), back.Time, err)
		}
	})
}
