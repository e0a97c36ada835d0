package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/importer"
	"github.com/bankfeed/bankfeed/internal/store"
)

// txn is one STMTTRN of a test statement. "-" leaves a field out.
type txn struct {
	fitid, date, amount, name, memo string
}

// stmt is one test statement.
type stmt struct {
	kind  string // "bank" (default) or "card"
	acct  string
	txns  []txn
	avail string
}

// ofxFile writes an OFX 1.02 SGML response from bank "B1" (FID 10898) with
// the statements given.
func ofxFile(stmts ...stmt) []byte {
	var b bytes.Buffer
	b.WriteString("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n" +
		"COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX>\n<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>" +
		"<DTSERVER>20260201120000<LANGUAGE>ENG<FI><ORG>B1<FID>10898</FI></SONRS></SIGNONMSGSRSV1>\n")
	for i, s := range stmts {
		open, close, from := "<BANKMSGSRSV1><STMTTRNRS>", "</STMTTRNRS></BANKMSGSRSV1>", "<BANKACCTFROM><BANKID>021000021<ACCTID>"+s.acct+"<ACCTTYPE>CHECKING</BANKACCTFROM>"
		rs := "STMTRS"
		if s.kind == "card" {
			open, close, from, rs = "<CREDITCARDMSGSRSV1><CCSTMTTRNRS>", "</CCSTMTTRNRS></CREDITCARDMSGSRSV1>", "<CCACCTFROM><ACCTID>"+s.acct+"</CCACCTFROM>", "CCSTMTRS"
		}
		fmt.Fprintf(&b, "%s<TRNUID>%d<STATUS><CODE>0<SEVERITY>INFO</STATUS><%s><CURDEF>USD%s\n<BANKTRANLIST><DTSTART>20260101<DTEND>20260131\n",
			open, i+1, rs, from)
		for _, t := range s.txns {
			b.WriteString("<STMTTRN><TRNTYPE>DEBIT")
			if t.date != "-" {
				b.WriteString("<DTPOSTED>" + t.date)
			}
			if t.amount != "-" {
				b.WriteString("<TRNAMT>" + t.amount)
			}
			if t.fitid != "" {
				b.WriteString("<FITID>" + t.fitid)
			}
			if t.name != "" {
				b.WriteString("<NAME>" + t.name)
			}
			if t.memo != "" {
				b.WriteString("<MEMO>" + t.memo)
			}
			b.WriteString("</STMTTRN>\n")
		}
		b.WriteString("</BANKTRANLIST><LEDGERBAL><BALAMT>-1234.50<DTASOF>20260131170000</LEDGERBAL>")
		if s.avail != "" {
			b.WriteString("<AVAILBAL><BALAMT>" + s.avail + "<DTASOF>20260131</AVAILBAL>")
		}
		fmt.Fprintf(&b, "</%s>%s\n", rs, close)
	}
	b.WriteString("</OFX>\n")
	return b.Bytes()
}

// env is a store in a temp dir and an importer on it.
type env struct {
	t   *testing.T
	dir string
	db  *store.DB
	im  *importer.Importer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), dir, store.Options{Now: fixedClock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &env{t: t, dir: dir, db: db, im: importer.New(db)}
}

// fixedClock ticks a second per call from 2026-02-01, so dates in output
// are stable.
func fixedClock() func() time.Time {
	t := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(time.Second)
		return t
	}
}

// file writes data to a file in the env's dir and returns its path.
func (e *env) file(name string, data []byte) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) importData(name string, data []byte, opts importer.Options) (*importer.Result, error) {
	return e.im.ImportFile(context.Background(), e.file(name, data), opts)
}

func (e *env) mustImport(name string, data []byte) *importer.Result {
	e.t.Helper()
	res, err := e.importData(name, data, importer.Options{})
	if err != nil {
		e.t.Fatalf("import %s: %v", name, err)
	}
	return res
}

// lines returns every stored line of every account, as "FITID amount date"
// with a "!" when flagged as a collision.
func (e *env) lines() []string {
	e.t.Helper()
	var out []string
	err := e.db.EachLine(context.Background(), bankfeed.LineFilter{}, func(l *bankfeed.Line) error {
		s := l.FITID + " " + l.Amount.String() + " " + l.PostedOn
		if l.Collision {
			s += " !"
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) counts() map[string]int64 {
	e.t.Helper()
	c, err := e.db.TableCounts(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func join(lines []string) string { return strings.Join(lines, "\n") }
