// Package ofxgen writes realistic bank and credit-card statement responses of
// any size, in OFX 1.02 SGML or OFX 2.1.1 XML, for tests, benchmarks and the
// sample files in examples/.
//
// Output is a pure function of Options: the same seed gives the same bytes on
// every machine. Write streams through a small buffer, so a statement of a
// million transactions costs no more memory than one of ten, and it returns a
// Summary (count, exact sum, balances) that a test can hold a reader to.
// Amounts are integer cents throughout; no float touches money.
//
// The package imports only the standard library, so the tests and benchmarks
// of any package, internal/ofx included, can use it.
package ofxgen

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Format is the syntax of a generated file.
type Format int

const (
	// SGML is OFX 1.02: a colon header (OFXHEADER:100, CHARSET:1252), leaf
	// elements left unclosed, text in Windows-1252, no indentation.
	SGML Format = iota
	// XML is OFX 2.1.1: <?xml?> and <?OFX?> headers, every element closed,
	// UTF-8, indented.
	XML
)

// String returns "sgml" or "xml".
func (f Format) String() string {
	if f == XML {
		return "xml"
	}
	return "sgml"
}

// ParseFormat reads "sgml" or "xml".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "sgml":
		return SGML, nil
	case "xml":
		return XML, nil
	}
	return 0, fmt.Errorf("format %q: want sgml or xml", s)
}

// Kind is what the statement is about.
type Kind int

const (
	// Bank is a checking account statement (STMTRS under BANKMSGSRSV1).
	Bank Kind = iota
	// CreditCard is a card statement (CCSTMTRS under CREDITCARDMSGSRSV1).
	CreditCard
)

// String returns "bank" or "card".
func (k Kind) String() string {
	if k == CreditCard {
		return "card"
	}
	return "bank"
}

// ParseKind reads "bank" or "card".
func ParseKind(s string) (Kind, error) {
	switch s {
	case "bank":
		return Bank, nil
	case "card", "creditcard":
		return CreditCard, nil
	}
	return 0, fmt.Errorf("kind %q: want bank or card", s)
}

// Options say what to generate. The zero value is an empty SGML checking
// statement.
type Options struct {
	Format Format
	Kind   Kind
	// N is the number of transactions.
	N int
	// Seed picks the institution, account, payees and amounts.
	Seed uint64
	// Start is the first day of the statement period (only its date counts);
	// zero means 2026-01-01.
	Start time.Time
	// Days is the length of the period, at most 36500; zero means
	// 30 + N/20, at most 3650.
	Days int
	// Currency is CURDEF; "" means USD.
	Currency string
	// AcctID is the account number; "" means one derived from Seed (a
	// 10-digit checking number, or a 16-digit card number with a valid
	// check digit).
	AcctID string
	// Zone is the time zone written in every date, as OFX spells it inside
	// the brackets; "" means "-5:EST".
	Zone string
	// IntuBID, when set, adds <INTU.BID> to the sign-on as Quicken and
	// QuickBooks downloads (.qfx, .qbo) carry it.
	IntuBID string
	// CRLF ends lines with CR LF, as many banks' servers do.
	CRLF bool
	// ASCII folds accented letters in payees (CAFÉ → CAFE). Benchmarks
	// need it: ofxgo ignores CHARSET and rejects Windows-1252 text, and
	// ofxparse reads OFX 2 files as ASCII and rejects UTF-8.
	ASCII bool
}

// Summary is what a generated statement holds, for checking a reader.
type Summary struct {
	Format Format
	Kind   Kind
	// Count is the number of STMTTRN aggregates.
	Count int
	// SumCents is the exact sum of every TRNAMT, in cents.
	SumCents int64
	// OpeningCents is the balance before the first transaction;
	// LedgerCents, the LEDGERBAL, is OpeningCents + SumCents.
	OpeningCents int64
	LedgerCents  int64
	// AvailCents is the AVAILBAL: the ledger less pending holds for a bank
	// account, the credit left for a card.
	AvailCents int64
	Currency   string
	Org, FID   string
	BankID     string // "" for a card
	AcctID     string
	// Start and End are DTSTART and DTEND, as wall-clock times in Zone (the
	// time.Time carries UTC as its location; read only the fields).
	Start, End time.Time
	// Bytes is the size of the file written; Expect leaves it 0.
	Bytes int64
}

// Sum is SumCents as an exact decimal with two places ("-1234.05").
func (s Summary) Sum() string { return FormatCents(s.SumCents) }

// Ledger is LedgerCents as an exact decimal with two places.
func (s Summary) Ledger() string { return FormatCents(s.LedgerCents) }

// FormatCents writes cents as a decimal with two places: 0 → "0.00",
// -5 → "-0.05", 123456 → "1234.56".
func FormatCents(c int64) string { return string(appendCents(nil, c)) }

func appendCents(b []byte, c int64) []byte {
	u := uint64(c)
	if c < 0 {
		b = append(b, '-')
		u = -u
	}
	b = strconv.AppendUint(b, u/100, 10)
	frac := u % 100
	return append(b, '.', byte('0'+frac/10), byte('0'+frac%10))
}

// maxDays bounds the default period: ten years.
const maxDays = 3650

var defaultStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Write writes the statement opts describe to w and returns its summary.
func Write(w io.Writer, opts Options) (Summary, error) {
	g, err := newGen(opts)
	if err != nil {
		return Summary{}, err
	}
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 64<<10)
	e := &encoder{xml: g.o.Format == XML, ascii: g.o.ASCII, nl: "\n", zone: g.o.Zone}
	if g.o.CRLF {
		e.nl = "\r\n"
	}
	e.header()
	e.signonAndOpen(g)
	for g.i < g.o.N {
		if _, err := bw.Write(e.buf); err != nil {
			return Summary{}, fmt.Errorf("write statement: %w", err)
		}
		e.buf = e.buf[:0]
		g.next()
		e.transaction(g)
	}
	g.finish()
	e.closeStatement(g)
	if _, err := bw.Write(e.buf); err != nil {
		return Summary{}, fmt.Errorf("write statement: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return Summary{}, fmt.Errorf("write statement: %w", err)
	}
	g.sum.Bytes = cw.n
	return g.sum, nil
}

// Expect returns the summary Write would return for opts, without writing
// (Bytes is 0).
func Expect(opts Options) (Summary, error) {
	g, err := newGen(opts)
	if err != nil {
		return Summary{}, err
	}
	for g.i < g.o.N {
		g.next()
	}
	g.finish()
	return g.sum, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// errOptions is wrapped by every invalid-option error.
var errOptions = errors.New("invalid options")

func normalize(o Options) (Options, error) {
	if o.N < 0 {
		return o, fmt.Errorf("%w: N %d is negative", errOptions, o.N)
	}
	if o.Days < 0 || o.Days > 36500 {
		return o, fmt.Errorf("%w: Days %d is outside 0 to 36500", errOptions, o.Days)
	}
	if o.Format != SGML && o.Format != XML {
		return o, fmt.Errorf("%w: unknown format %d", errOptions, o.Format)
	}
	if o.Kind != Bank && o.Kind != CreditCard {
		return o, fmt.Errorf("%w: unknown kind %d", errOptions, o.Kind)
	}
	if o.Start.IsZero() {
		o.Start = defaultStart
	}
	y, m, d := o.Start.Date()
	o.Start = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if o.Days == 0 {
		o.Days = min(30+o.N/20, maxDays)
	}
	if o.Currency == "" {
		o.Currency = "USD"
	}
	if o.Zone == "" {
		o.Zone = "-5:EST"
	}
	return o, nil
}
