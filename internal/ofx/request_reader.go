package ofx

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bankfeed/bankfeed"
)

// requestAggregates are the OFX request elements that hold other elements.
// Investment and other requests are listed so their fields stay inside them
// and are ignored, rather than surfacing in their parents.
var requestAggregates = setOf(
	"OFX",
	"SIGNONMSGSRQV1", "SONRQ", "FI", "MFACHALLENGERQ", "MFACHALLENGEA", "PINCHTRNRQ", "PINCHRQ",
	"CHALLENGETRNRQ", "CHALLENGERQ",
	"SIGNUPMSGSRQV1", "ACCTINFOTRNRQ", "ACCTINFORQ", "ENROLLTRNRQ", "ENROLLRQ",
	"BANKMSGSRQV1", "STMTTRNRQ", "STMTRQ", "BANKACCTFROM", "INCTRAN",
	"STMTENDTRNRQ", "STMTENDRQ", "INTRATRNRQ", "INTRARQ", "XFERINFO", "BANKACCTTO",
	"CREDITCARDMSGSRQV1", "CCSTMTTRNRQ", "CCSTMTRQ", "CCACCTFROM", "CCACCTTO",
	"CCSTMTENDTRNRQ", "CCSTMTENDRQ",
	"INVSTMTMSGSRQV1", "INVSTMTTRNRQ", "INVSTMTRQ", "INVACCTFROM", "INCPOS", "INC401KBAL",
	"SECLISTMSGSRQV1", "SECLISTTRNRQ", "SECLISTRQ", "SECRQ",
	"PROFMSGSRQV1", "PROFTRNRQ", "PROFRQ",
)

var requestAggregateNames = aggregateNames(requestAggregates)

// ErrNotRequest is returned by ReadRequest for a document with no sign-on
// request.
var ErrNotRequest = errors.New("not an OFX request: no SONRQ")

// ReadRequest reads an OFX request document, SGML (as Quicken and QuickBooks
// send OFX 1.02) or XML. Like the response reader it is tolerant: an unusable
// date or flag is a warning in Request.Warnings, unknown elements are
// skipped. A document cut short or hostile is a *SyntaxError.
func ReadRequest(r io.Reader) (*Request, error) {
	p := &requestParser{req: &Request{}}
	hdr, format, err := walk(r, Options{}, requestAggregateNames, p)
	if err != nil {
		return nil, fmt.Errorf("read request: %w", err)
	}
	if !p.sawSignon {
		return nil, fmt.Errorf("read request: %w", ErrNotRequest)
	}
	p.req.Header, p.req.Format, p.req.Version = hdr, format, hdr.Version
	return p.req, nil
}

// requestParser builds a Request from element events.
type requestParser struct {
	req       *Request
	stack     []string
	sawSignon bool
	stmtDepth int // depth of the open STMTTRNRQ or CCSTMTTRNRQ, or 0
}

// stmt returns the open statement request, or nil.
func (p *requestParser) stmt() *StatementRequest {
	if p.stmtDepth == 0 {
		return nil
	}
	return &p.req.Statements[len(p.req.Statements)-1]
}

func (p *requestParser) top() string {
	if n := len(p.stack); n > 0 {
		return p.stack[n-1]
	}
	return ""
}

func (p *requestParser) warn(format string, args ...any) {
	p.req.Warnings = append(p.req.Warnings, fmt.Sprintf(format, args...))
}

func (p *requestParser) open(name []byte) error {
	n := requestAggregateNames[string(name)].s // a known aggregate: its name is kept once
	if n == "" {
		n = string(name)
	}
	p.stack = append(p.stack, n)
	switch n {
	case "SONRQ":
		if p.sawSignon {
			p.warn("more than one SONRQ; the last is used")
		}
		p.sawSignon = true
	case "ACCTINFOTRNRQ":
		if p.req.AccountInfo != nil {
			p.warn("more than one ACCTINFOTRNRQ; the last is used")
		}
		p.req.AccountInfo = &AccountInfoRequest{}
	case "PROFTRNRQ":
		if p.req.Profile != nil {
			p.warn("more than one PROFTRNRQ; the last is used")
		}
		p.req.Profile = &ProfileRequest{}
	case "STMTTRNRQ", "CCSTMTTRNRQ":
		kind := bankfeed.KindBank
		if n == "CCSTMTTRNRQ" {
			kind = bankfeed.KindCreditCard
		}
		p.req.Statements = append(p.req.Statements, StatementRequest{Kind: kind})
		p.stmtDepth = len(p.stack)
	}
	return nil
}

func (p *requestParser) close(name []byte) error {
	if len(p.stack) == p.stmtDepth {
		p.stmtDepth = 0
	}
	if len(p.stack) > 0 {
		p.stack = p.stack[:len(p.stack)-1]
	}
	return nil
}

func (p *requestParser) leaf(name, value []byte) error {
	n, v := string(name), string(value)
	switch p.top() {
	case "SONRQ":
		s := &p.req.Signon
		switch n {
		case "DTCLIENT":
			s.DTClient = p.date(n, v)
		case "USERID":
			s.UserID = v
		case "USERPASS":
			s.UserPass = Password(v)
		case "LANGUAGE":
			s.Language = v
		case "SESSCOOKIE":
			s.SessCookie = v
		case "APPID":
			s.AppID = v
		case "APPVER":
			s.AppVer = v
		case "CLIENTUID":
			s.ClientUID = v
		}
	case "FI":
		if len(p.stack) >= 2 && p.stack[len(p.stack)-2] == "SONRQ" {
			switch n {
			case "ORG":
				p.req.Signon.Org = v
			case "FID":
				p.req.Signon.FID = v
			}
		}
	case "ACCTINFOTRNRQ":
		if n == "TRNUID" {
			p.req.AccountInfo.TRNUID = v
		}
	case "ACCTINFORQ":
		if n == "DTACCTUP" && p.req.AccountInfo != nil {
			p.req.AccountInfo.DTAcctUp = p.date(n, v)
		}
	case "PROFTRNRQ":
		if n == "TRNUID" {
			p.req.Profile.TRNUID = v
		}
	case "PROFRQ":
		if p.req.Profile == nil {
			break
		}
		switch n {
		case "CLIENTROUTING":
			p.req.Profile.ClientRouting = v
		case "DTPROFUP":
			p.req.Profile.DTProfUp = p.date(n, v)
		}
	case "STMTTRNRQ", "CCSTMTTRNRQ":
		if st := p.stmt(); st != nil && n == "TRNUID" {
			st.TRNUID = v
		}
	case "BANKACCTFROM", "CCACCTFROM":
		if st := p.stmt(); st != nil {
			accountLeaf(&st.Account, name, value)
		}
	case "INCTRAN":
		st := p.stmt()
		if st == nil {
			break
		}
		switch n {
		case "DTSTART":
			st.Start = p.date(n, v)
		case "DTEND":
			st.End = p.date(n, v)
		case "INCLUDE":
			switch v {
			case "Y", "y":
				st.Include = true
			case "N", "n":
			default:
				p.warn("<INCLUDE> %q is not Y or N; transactions are not asked for", v)
			}
		}
	}
	return nil
}

// date parses a date leaf, warning when it is unusable.
func (p *requestParser) date(name, value string) time.Time {
	d, err := ParseDate(value)
	if err != nil {
		p.warn("<%s> %v; the date is not used", name, err)
		return time.Time{}
	}
	return d.Time
}
