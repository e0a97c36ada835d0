package importer_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/importer"
	"github.com/bankfeed/bankfeed/internal/ofx/ofxcorpus"
)

// TestCorpus imports every real-world file of the shared corpus into a
// fresh store, twice. Every transaction must be accounted for (new,
// duplicate or skipped), the stored amounts must add up to the sum
// EXPECTED.tsv gives when nothing was skipped or deduplicated, a rejected
// file must write nothing, and the second import must add nothing.
func TestCorpus(t *testing.T) {
	dir, files, expected := ofxcorpus.Load(t)
	ctx := context.Background()
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			rows := expected[name]
			if len(rows) == 0 {
				t.Fatalf("%s is not in EXPECTED.tsv", name)
			}
			e := newEnv(t)
			path := filepath.Join(dir, name)
			res, err := e.im.ImportFile(ctx, path, importer.Options{})
			if rows[0].Outcome == "reject" {
				if err == nil {
					t.Fatalf("imported a file EXPECTED.tsv rejects: %+v", res.Counts)
				}
				for table, n := range e.counts() {
					if n != 0 && table != "schema_migrations" {
						t.Errorf("a rejected file wrote %d rows to %s", n, table)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := bankfeed.Decimal{}
			for _, r := range rows {
				if r.Outcome == "statements" {
					want = want.Add(bankfeed.MustDecimal(r.Sum))
				}
			}
			for _, s := range res.Statements {
				c := s.Counts
				if c.New+c.Duplicate+c.Skipped != s.Transactions {
					t.Errorf("statement %d: %d new + %d duplicate + %d skipped of %d transactions",
						s.Index, c.New, c.Duplicate, c.Skipped, s.Transactions)
				}
			}
			if res.Counts.Skipped == 0 && res.Counts.Duplicate == 0 {
				got := bankfeed.Decimal{}
				lines, err := e.db.Lines(ctx, bankfeed.LineFilter{})
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range lines {
					got = got.Add(l.Amount)
				}
				if !got.Equal(want) || len(lines) != res.Counts.New {
					t.Errorf("%d lines stored summing to %s; want %d summing to %s", len(lines), got, res.Counts.New, want)
				}
			}
			again, err := e.im.ImportFile(ctx, path, importer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if again.Counts.New != 0 || again.AlreadyImported == nil {
				t.Errorf("second import: %+v, already imported %v", again.Counts, again.AlreadyImported)
			}
		})
	}
}

// TestInvestmentLines checks what an investment statement's lines keep: the
// aggregate as type, the security and the quantities.
func TestInvestmentLines(t *testing.T) {
	dir := ofxcorpus.Dir(t)
	e := newEnv(t)
	res, err := e.im.ImportFile(context.Background(), filepath.Join(dir, "asgrim-ofxparser__ofxdata-investments-xml.ofx"), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Statements[0].Kind != bankfeed.KindInvestment || res.Counts.New == 0 {
		t.Fatalf("result %+v", res.Statements[0])
	}
	lines, err := e.db.Lines(context.Background(), bankfeed.LineFilter{})
	if err != nil {
		t.Fatal(err)
	}
	securities := 0
	for _, l := range lines {
		if l.Type == "" || l.Type == "STMTTRN" {
			t.Errorf("line %s has type %q, want the investment aggregate", l.FITID, l.Type)
		}
		if l.SecurityID != "" && l.Units != "" {
			securities++
		}
	}
	if securities == 0 {
		t.Errorf("no line kept a security and units: %+v", lines)
	}
}
