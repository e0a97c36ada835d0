package importer_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/bankfeed/bankfeed/internal/importer"
	"github.com/bankfeed/bankfeed/internal/ofx/ofxgen"
	"github.com/bankfeed/bankfeed/internal/store"
)

// generate writes an SGML bank statement of n transactions into dir.
func generate(tb testing.TB, dir string, n int, seed uint64) string {
	tb.Helper()
	path := filepath.Join(dir, "bank.ofx")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := ofxgen.Write(w, ofxgen.Options{Format: ofxgen.SGML, Kind: ofxgen.Bank, N: n, Seed: seed}); err != nil {
		tb.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkImport1M imports a generated statement of a million lines into a
// fresh store ("first"), then the same file again, every line a duplicate
// ("again"). Each iteration times the whole import, commit included.
//
//	go test -run '^$' -bench Import1M -benchtime 1x ./internal/importer/
func BenchmarkImport1M(b *testing.B) {
	benchImport(b, 1_000_000)
}

// BenchmarkImport100k is the same at a tenth of the size.
func BenchmarkImport100k(b *testing.B) {
	benchImport(b, 100_000)
}

func benchImport(b *testing.B, n int) {
	dir := b.TempDir()
	path := generate(b, dir, n, 1)
	fi, _ := os.Stat(path)
	ctx := context.Background()
	for _, pass := range []string{"first", "again"} {
		b.Run(pass, func(b *testing.B) {
			b.SetBytes(fi.Size())
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				data := filepath.Join(dir, "data", pass)
				if pass == "first" || i == 0 {
					os.RemoveAll(data)
				}
				db, err := store.Open(ctx, data, store.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if pass == "again" && i == 0 {
					// the file once, untimed, so that every timed run is a re-import
					if _, err := importer.New(db).ImportFile(ctx, path, importer.Options{}); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				res, err := importer.New(db).ImportFile(ctx, path, importer.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if err := db.Close(); err != nil { // the WAL checkpoint is part of the cost
					b.Fatal(err)
				}
				b.StopTimer()
				want := n
				if pass == "again" {
					want = 0
				}
				if res.Counts.New != want {
					b.Fatalf("%s: %d new, want %d", pass, res.Counts.New, want)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
