package ofxgen

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// encoder appends OFX to buf, in SGML (leaves unclosed, no indentation,
// Windows-1252 text) or XML (everything closed, two-space indentation, UTF-8).
type encoder struct {
	buf   []byte
	xml   bool
	ascii bool // fold Latin-1 letters to ASCII
	nl    string
	zone  string
	depth int
}

func (e *encoder) indent() {
	if e.xml {
		for range e.depth {
			e.buf = append(e.buf, ' ', ' ')
		}
	}
}

func (e *encoder) open(tag string) {
	e.indent()
	e.buf = append(append(append(e.buf, '<'), tag...), '>')
	e.buf = append(e.buf, e.nl...)
	e.depth++
}

func (e *encoder) close(tag string) {
	e.depth--
	e.indent()
	e.buf = append(append(append(e.buf, '<', '/'), tag...), '>')
	e.buf = append(e.buf, e.nl...)
}

// start and end bracket a leaf's value, which the caller appends.
func (e *encoder) start(tag string) {
	e.indent()
	e.buf = append(append(append(e.buf, '<'), tag...), '>')
}

func (e *encoder) end(tag string) {
	if e.xml {
		e.buf = append(append(append(e.buf, '<', '/'), tag...), '>')
	}
	e.buf = append(e.buf, e.nl...)
}

// leaf writes a value that needs no escaping (codes, numbers, identifiers).
func (e *encoder) leaf(tag, v string) {
	e.start(tag)
	e.buf = append(e.buf, v...)
	e.end(tag)
}

// text writes free text: escaped, and in Windows-1252 for SGML.
func (e *encoder) text(tag string, v []byte) {
	e.start(tag)
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case c == '&':
			e.buf = append(e.buf, "&amp;"...)
		case c == '<':
			e.buf = append(e.buf, "&lt;"...)
		case c == '>':
			e.buf = append(e.buf, "&gt;"...)
		case c < utf8.RuneSelf || (e.xml && !e.ascii):
			e.buf = append(e.buf, c)
		default:
			// The catalogue holds only Latin-1 letters, which Windows-1252
			// codes as their code point.
			r, n := utf8.DecodeRune(v[i:])
			switch {
			case r < 0xC0 || r > 0xFF:
				e.buf = append(e.buf, '?')
			case e.ascii:
				e.buf = append(e.buf, latin1ASCII[r-0xC0])
			default:
				e.buf = append(e.buf, byte(r))
			}
			i += n
			continue
		}
		i++
	}
	e.end(tag)
}

// latin1ASCII folds U+00C0…U+00FF to ASCII, by position.
const latin1ASCII = "AAAAAAACEEEEIIII" + "DNOOOOOxOUUUUYPs" + "aaaaaaaceeeeiiii" + "dnooooo/ouuuuypy"

func (e *encoder) cents(tag string, c int64) {
	e.start(tag)
	e.buf = appendCents(e.buf, c)
	e.end(tag)
}

// date writes t's wall clock as YYYYMMDDHHMMSS.000[zone]. (ofx.FormatDate
// does the same, but this package must not import internal/ofx, whose own
// tests import it.)
func (e *encoder) date(tag string, t time.Time) {
	e.start(tag)
	e.buf = appendDate(e.buf, t)
	h, m, s := t.Clock()
	e.buf = appendPadded(e.buf, int64(h), 2)
	e.buf = appendPadded(e.buf, int64(m), 2)
	e.buf = appendPadded(e.buf, int64(s), 2)
	e.buf = append(append(append(e.buf, ".000["...), e.zone...), ']')
	e.end(tag)
}

func (e *encoder) header() {
	if e.xml {
		e.buf = append(e.buf, `<?xml version="1.0" encoding="UTF-8" standalone="no"?>`...)
		e.buf = append(e.buf, e.nl...)
		e.buf = append(e.buf, `<?OFX OFXHEADER="200" VERSION="211" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>`...)
		e.buf = append(e.buf, e.nl...)
		return
	}
	for _, l := range []string{
		"OFXHEADER:100", "DATA:OFXSGML", "VERSION:102", "SECURITY:NONE", "ENCODING:USASCII",
		"CHARSET:1252", "COMPRESSION:NONE", "OLDFILEUID:NONE", "NEWFILEUID:NONE", "",
	} {
		e.buf = append(append(e.buf, l...), e.nl...)
	}
}

func (e *encoder) status() {
	e.open("STATUS")
	e.leaf("CODE", "0")
	e.leaf("SEVERITY", "INFO")
	e.close("STATUS")
}

// signonAndOpen writes everything before the first transaction.
func (e *encoder) signonAndOpen(g *gen) {
	s := &g.sum
	serverTime := s.End.Add(6*time.Hour + 12*time.Minute + 33*time.Second)
	e.open("OFX")
	e.open("SIGNONMSGSRSV1")
	e.open("SONRS")
	e.status()
	e.date("DTSERVER", serverTime)
	e.leaf("LANGUAGE", "ENG")
	e.open("FI")
	e.text("ORG", []byte(s.Org))
	e.leaf("FID", s.FID)
	e.close("FI")
	if g.o.IntuBID != "" {
		e.leaf("INTU.BID", g.o.IntuBID)
	}
	e.close("SONRS")
	e.close("SIGNONMSGSRSV1")
	if s.Kind == Bank {
		e.open("BANKMSGSRSV1")
		e.open("STMTTRNRS")
	} else {
		e.open("CREDITCARDMSGSRSV1")
		e.open("CCSTMTTRNRS")
	}
	e.leaf("TRNUID", strconv.FormatUint(g.o.Seed%1e9+1, 10))
	e.status()
	if s.Kind == Bank {
		e.open("STMTRS")
	} else {
		e.open("CCSTMTRS")
	}
	e.leaf("CURDEF", s.Currency)
	if s.Kind == Bank {
		e.open("BANKACCTFROM")
		e.leaf("BANKID", s.BankID)
		e.leaf("ACCTID", s.AcctID)
		e.leaf("ACCTTYPE", "CHECKING")
		e.close("BANKACCTFROM")
	} else {
		e.open("CCACCTFROM")
		e.leaf("ACCTID", s.AcctID)
		e.close("CCACCTFROM")
	}
	e.open("BANKTRANLIST")
	e.date("DTSTART", s.Start)
	e.date("DTEND", s.End)
}

func (e *encoder) transaction(g *gen) {
	t := &g.t
	e.open("STMTTRN")
	e.leaf("TRNTYPE", t.trnType)
	e.date("DTPOSTED", time.Unix(t.posted, 0).UTC())
	e.cents("TRNAMT", t.cents)
	e.start("FITID")
	e.buf = append(e.buf, t.fitid...)
	e.end("FITID")
	if t.checkNum != 0 {
		e.start("CHECKNUM")
		e.buf = strconv.AppendInt(e.buf, int64(t.checkNum), 10)
		e.end("CHECKNUM")
	}
	e.text("NAME", t.name)
	if len(t.memo) > 0 {
		e.text("MEMO", t.memo)
	}
	e.close("STMTTRN")
}

// closeStatement writes the balances and closes everything.
func (e *encoder) closeStatement(g *gen) {
	s := &g.sum
	e.close("BANKTRANLIST")
	e.open("LEDGERBAL")
	e.cents("BALAMT", s.LedgerCents)
	e.date("DTASOF", s.End)
	e.close("LEDGERBAL")
	e.open("AVAILBAL")
	e.cents("BALAMT", s.AvailCents)
	e.date("DTASOF", s.End)
	e.close("AVAILBAL")
	if s.Kind == Bank {
		e.close("STMTRS")
		e.close("STMTTRNRS")
		e.close("BANKMSGSRSV1")
	} else {
		e.close("CCSTMTRS")
		e.close("CCSTMTTRNRS")
		e.close("CREDITCARDMSGSRSV1")
	}
	e.close("OFX")
}
