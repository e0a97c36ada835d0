package ofxgen_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bankfeed/bankfeed/internal/ofx/ofxgen"
)

var update = flag.Bool("update", false, "rewrite the sample statements in examples/")

// every format and kind, for table tests.
var shapes = []struct {
	name   string
	format ofxgen.Format
	kind   ofxgen.Kind
}{
	{"sgml-bank", ofxgen.SGML, ofxgen.Bank},
	{"sgml-card", ofxgen.SGML, ofxgen.CreditCard},
	{"xml-bank", ofxgen.XML, ofxgen.Bank},
	{"xml-card", ofxgen.XML, ofxgen.CreditCard},
}

func generate(t testing.TB, o ofxgen.Options) ([]byte, ofxgen.Summary) {
	t.Helper()
	var buf bytes.Buffer
	sum, err := ofxgen.Write(&buf, o)
	if err != nil {
		t.Fatalf("Write(%+v): %v", o, err)
	}
	return buf.Bytes(), sum
}

// values returns the text after each <tag> up to the next '<' or line end:
// a grep, independent of any OFX reader.
func values(doc []byte, tag string) []string {
	var out []string
	open := []byte("<" + tag + ">")
	for {
		i := bytes.Index(doc, open)
		if i < 0 {
			return out
		}
		doc = doc[i+len(open):]
		j := bytes.IndexAny(doc, "<\r\n")
		if j < 0 {
			j = len(doc)
		}
		out = append(out, string(doc[:j]))
	}
}

// cents reads "-12.34" as -1234, insisting on exactly two places.
func cents(t *testing.T, s string) int64 {
	t.Helper()
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 2 || whole == "" || whole == "-" {
		t.Fatalf("amount %q: want digits, a point and two places", s)
	}
	neg := strings.HasPrefix(whole, "-")
	v, err := strconv.ParseInt(strings.TrimPrefix(whole, "-")+frac, 10, 64)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	if neg {
		v = -v
	}
	return v
}

func TestCountAndSumByGrep(t *testing.T) {
	for _, sh := range shapes {
		for _, n := range []int{0, 1, 40, 5000} {
			t.Run(sh.name+"/"+strconv.Itoa(n), func(t *testing.T) {
				o := ofxgen.Options{Format: sh.format, Kind: sh.kind, N: n, Seed: uint64(n) + 3}
				doc, sum := generate(t, o)
				if got := bytes.Count(doc, []byte("<STMTTRN>")); got != n || sum.Count != n {
					t.Errorf("<STMTTRN> count %d, Summary.Count %d, want %d", got, sum.Count, n)
				}
				amounts := values(doc, "TRNAMT")
				if len(amounts) != n {
					t.Fatalf("%d TRNAMT, want %d", len(amounts), n)
				}
				var total int64
				for _, a := range amounts {
					total += cents(t, a)
				}
				if total != sum.SumCents {
					t.Errorf("TRNAMT sum %d cents, Summary says %d", total, sum.SumCents)
				}
				if got := cents(t, sum.Sum()); got != total {
					t.Errorf("Sum() %q, want %d cents", sum.Sum(), total)
				}
				bal := values(doc, "BALAMT")
				if len(bal) != 2 {
					t.Fatalf("%d BALAMT, want 2 (LEDGERBAL, AVAILBAL)", len(bal))
				}
				if got := cents(t, bal[0]); got != sum.OpeningCents+total || bal[0] != sum.Ledger() {
					t.Errorf("LEDGERBAL %s, want opening %d + sum %d = %s", bal[0], sum.OpeningCents, total, sum.Ledger())
				}
				if got := cents(t, bal[1]); got != sum.AvailCents {
					t.Errorf("AVAILBAL %s, Summary says %d", bal[1], sum.AvailCents)
				}
				if sum.Bytes != int64(len(doc)) {
					t.Errorf("Summary.Bytes %d, wrote %d", sum.Bytes, len(doc))
				}
				want, err := ofxgen.Expect(o)
				if err != nil {
					t.Fatal(err)
				}
				want.Bytes = sum.Bytes
				if want != sum {
					t.Errorf("Expect %+v\nWrite  %+v", want, sum)
				}
			})
		}
	}
}

func TestFITIDsUniqueAndDatesInPeriod(t *testing.T) {
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			doc, sum := generate(t, ofxgen.Options{Format: sh.format, Kind: sh.kind, N: 20000, Seed: 9})
			seen := map[string]bool{}
			for _, id := range values(doc, "FITID") {
				if seen[id] {
					t.Fatalf("FITID %s repeated", id)
				}
				seen[id] = true
			}
			if len(seen) != sum.Count {
				t.Errorf("%d FITIDs for %d transactions", len(seen), sum.Count)
			}
			start := values(doc, "DTSTART")[0]
			end := values(doc, "DTEND")[0]
			prev := start
			for _, d := range values(doc, "DTPOSTED") {
				if !strings.HasSuffix(d, ".000[-5:EST]") || len(d) != len("20260101120000.000[-5:EST]") {
					t.Fatalf("DTPOSTED %q: want YYYYMMDDHHMMSS.000[-5:EST]", d)
				}
				// Same width and zone: string order is time order.
				if d < prev || d >= end {
					t.Fatalf("DTPOSTED %s after %s or outside [%s, %s)", d, prev, start, end)
				}
				prev = d
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	o := ofxgen.Options{Format: ofxgen.SGML, N: 500, Seed: 42}
	a, _ := generate(t, o)
	b, _ := generate(t, o)
	if !bytes.Equal(a, b) {
		t.Error("same options, different output")
	}
	o.Seed++
	c, _ := generate(t, o)
	if bytes.Equal(a, c) {
		t.Error("different seeds, same output")
	}
}

// TestXMLWellFormed walks the XML flavour with encoding/xml, which insists on
// every element being closed and the text being UTF-8.
func TestXMLWellFormed(t *testing.T) {
	for _, kind := range []ofxgen.Kind{ofxgen.Bank, ofxgen.CreditCard} {
		doc, _ := generate(t, ofxgen.Options{Format: ofxgen.XML, Kind: kind, N: 1000, Seed: 5, IntuBID: "7101"})
		if !utf8.Valid(doc) {
			t.Fatal("XML output is not UTF-8")
		}
		if !bytes.HasPrefix(doc, []byte("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<?OFX OFXHEADER=\"200\" VERSION=\"211\"")) {
			t.Errorf("XML header: %.120q", doc)
		}
		if !bytes.Contains(doc, []byte("CAFÉ DU MONDE")) || !bytes.Contains(doc, []byte("&amp;")) {
			t.Error("want accented payees in UTF-8 and escaped ampersands")
		}
		d := xml.NewDecoder(bytes.NewReader(doc))
		depth, maxDepth := 0, 0
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			switch tok.(type) {
			case xml.StartElement:
				depth++
				maxDepth = max(maxDepth, depth)
			case xml.EndElement:
				depth--
			}
		}
		if depth != 0 || maxDepth < 6 {
			t.Errorf("%s: end depth %d, max depth %d", kind, depth, maxDepth)
		}
	}
}

func TestSGMLShape(t *testing.T) {
	doc, _ := generate(t, ofxgen.Options{Format: ofxgen.SGML, N: 5000, Seed: 5, CRLF: true})
	header := "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\n" +
		"CHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n<OFX>\r\n"
	if !bytes.HasPrefix(doc, []byte(header)) {
		t.Errorf("header: %.200q", doc)
	}
	if bytes.Count(doc, []byte("\n")) != bytes.Count(doc, []byte("\r\n")) {
		t.Error("a line ends without CR")
	}
	for _, leaf := range []string{"</TRNAMT>", "</NAME>", "</FITID>", "</CODE>"} {
		if bytes.Contains(doc, []byte(leaf)) {
			t.Errorf("SGML closes leaf %s", leaf)
		}
	}
	for _, agg := range []string{"OFX", "SONRS", "STMTRS", "BANKTRANLIST", "STMTTRN", "LEDGERBAL"} {
		if o, c := bytes.Count(doc, []byte("<"+agg+">")), bytes.Count(doc, []byte("</"+agg+">")); o != c || o == 0 {
			t.Errorf("<%s> opened %d times, closed %d", agg, o, c)
		}
	}
	if !bytes.Contains(doc, []byte("CAF\xc9 DU MONDE")) {
		t.Error("want CAFÉ in Windows-1252 (0xC9)")
	}
	if bytes.Contains(doc, []byte("É")) {
		t.Error("UTF-8 in a CHARSET:1252 file")
	}
}

func TestASCII(t *testing.T) {
	for _, sh := range shapes {
		doc, _ := generate(t, ofxgen.Options{Format: sh.format, Kind: sh.kind, N: 5000, Seed: 5, ASCII: true})
		for i, c := range doc {
			if c >= utf8.RuneSelf {
				t.Fatalf("%s: byte %#x at %d", sh.name, c, i)
			}
		}
		if !bytes.Contains(doc, []byte("CAFE DU MONDE")) {
			t.Errorf("%s: want CAFÉ folded to CAFE", sh.name)
		}
	}
}

// TestMemoryBounded checks that Write allocates the same however many
// transactions it writes: it streams. (A buffer that grew with the file would
// cost few allocations but many bytes, so bytes are what is compared.)
func TestMemoryBounded(t *testing.T) {
	allocated := func(n int) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		sum, err := ofxgen.Write(io.Discard, ofxgen.Options{Format: ofxgen.XML, N: n, Seed: 1})
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d transactions, %d bytes written: %d bytes allocated", n, sum.Bytes, after.TotalAlloc-before.TotalAlloc)
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := allocated(10), allocated(30000) // about 10 MB of XML
	if large > small+256<<10 {
		t.Errorf("%d bytes allocated for 30,000 transactions, %d for 10: Write does not stream", large, small)
	}
}

func TestInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		in   ofxgen.Options
	}{
		{"negative N", ofxgen.Options{N: -1}},
		{"negative days", ofxgen.Options{Days: -1}},
		{"a century and a day", ofxgen.Options{Days: 36501}},
		{"unknown format", ofxgen.Options{Format: 7}},
		{"unknown kind", ofxgen.Options{Kind: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if _, err := ofxgen.Write(&buf, tt.in); err == nil || buf.Len() != 0 {
				t.Errorf("Write: err %v, %d bytes written; want an error and nothing", err, buf.Len())
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteError(t *testing.T) {
	if _, err := ofxgen.Write(failWriter{}, ofxgen.Options{N: 100000}); err == nil {
		t.Error("Write to a failing writer: no error")
	}
}

func TestFormatCents(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0.00"}, {5, "0.05"}, {-5, "-0.05"}, {100, "1.00"}, {-123456, "-1234.56"},
		{-9223372036854775808, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := ofxgen.FormatCents(tt.in); got != tt.want {
			t.Errorf("FormatCents(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// examples are the sample statements the README's quick start imports.
var examples = []struct {
	path string
	opts ofxgen.Options
}{
	{"checking.ofx", ofxgen.Options{Format: ofxgen.SGML, Kind: ofxgen.Bank, N: 40, Seed: 7,
		Start: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), Days: 30, CRLF: true}},
	{"card.qfx", ofxgen.Options{Format: ofxgen.XML, Kind: ofxgen.CreditCard, N: 20, Seed: 4,
		Start: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), Days: 30, IntuBID: "24909"}},
}

// TestExamples keeps examples/ what the generator makes of them; run with
// -update after changing the generator.
func TestExamples(t *testing.T) {
	for _, ex := range examples {
		path := filepath.Join("..", "..", "..", "examples", ex.path)
		doc, _ := generate(t, ex.opts)
		if *update {
			if err := os.WriteFile(path, doc, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, doc) {
			t.Errorf("%s differs from what the generator makes; go test ./internal/ofx/ofxgen -update", path)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	for _, sh := range shapes {
		b.Run(sh.name, func(b *testing.B) {
			o := ofxgen.Options{Format: sh.format, Kind: sh.kind, N: 10000, Seed: 1}
			var n int64
			for b.Loop() {
				s, err := ofxgen.Write(io.Discard, o)
				if err != nil {
					b.Fatal(err)
				}
				n = s.Bytes
			}
			b.SetBytes(n)
		})
	}
}
