package ofx

import (
	"bytes"
	"testing"

	"github.com/bankfeed/bankfeed/internal/ofx/ofxgen"
)

func genStatement(b *testing.B, format ofxgen.Format, kind ofxgen.Kind, n int) ([]byte, ofxgen.Summary) {
	b.Helper()
	var buf bytes.Buffer
	sum, err := ofxgen.Write(&buf, ofxgen.Options{Format: format, Kind: kind, N: n, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	return buf.Bytes(), sum
}

// BenchmarkStream measures the reader as `bankfeed inspect` uses it: every
// transaction counted and summed, nothing kept.
func BenchmarkStream(b *testing.B) {
	for _, tc := range []struct {
		name   string
		format ofxgen.Format
		kind   ofxgen.Kind
	}{
		{"sgml-bank-100k", ofxgen.SGML, ofxgen.Bank},
		{"xml-bank-100k", ofxgen.XML, ofxgen.Bank},
		{"sgml-card-100k", ofxgen.SGML, ofxgen.CreditCard},
		{"xml-card-100k", ofxgen.XML, ofxgen.CreditCard},
	} {
		b.Run(tc.name, func(b *testing.B) {
			data, want := genStatement(b, tc.format, tc.kind, 100000)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				resp, err := Stream(bytes.NewReader(data), Options{}, Handler{})
				if err != nil {
					b.Fatal(err)
				}
				if got := resp.Statements[0].Count; got != want.Count {
					b.Fatalf("count %d, want %d", got, want.Count)
				}
			}
		})
	}
}
