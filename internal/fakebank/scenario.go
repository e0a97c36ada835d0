package fakebank

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
)

// Scenario is what a fakebank serves: institutions, their users and
// accounts, and the faults switched on from the start. Transactions are not
// listed: they come from a generator seeded with Seed, so the same scenario
// yields the same statements, byte for byte.
type Scenario struct {
	// Seed drives the transaction generator.
	Seed uint64 `json:"seed"`
	// Start is the first day of generated history; 2026-01-01 when empty.
	// Balances run from each account's opening balance on that day.
	Start Day `json:"start"`
	// Zone is the banks' time zone, an IANA name; UTC when empty.
	Zone string `json:"zone,omitempty"`

	Institutions []*Institution `json:"institutions"`

	loc *time.Location
}

// Institution is one simulated bank with its own address, portal and OFX
// server.
type Institution struct {
	// ID names the institution in URLs, the admin API and fault scopes:
	// letters, digits, "-" and "_".
	ID   string `json:"id"`
	Name string `json:"name"`
	// Org and FID are the FI aggregate clients must send.
	Org string `json:"org"`
	FID string `json:"fid"`
	// BankID is the routing number of its bank accounts.
	BankID string `json:"bank_id"`
	// Version is the OFX version it answers in: 102, 103 (SGML), 200–220
	// (XML); 102 when empty.
	Version string `json:"version,omitempty"`
	// AppIDs and AppVersions are the client applications accepted (APPID,
	// APPVER); empty means any. Others get OFX 2000 "software no longer
	// supported".
	AppIDs      []string `json:"app_ids,omitempty"`
	AppVersions []string `json:"app_versions,omitempty"`
	// ClientUIDRequired asks for a CLIENTUID registered in the portal.
	ClientUIDRequired bool `json:"clientuid_required,omitempty"`
	// LockoutAfter is how many bad sign-ons in a row lock a user out
	// (15502); 3 when zero, never when negative.
	LockoutAfter int `json:"lockout_after,omitempty"`
	// Port is the TCP port it listens on; a free one when zero.
	Port int `json:"port,omitempty"`

	Users  []*User     `json:"users"`
	Faults []FaultSpec `json:"faults,omitempty"`
}

// User is one customer of an institution: the USERID and password a client
// signs on with, and the customer's accounts.
type User struct {
	ID       string `json:"id"`
	Password string `json:"password"`
	Name     string `json:"name,omitempty"`
	// Employer pays the user on the 1st and 15th (or the next business day)
	// into the first checking account; a name is made up when empty.
	Employer string `json:"employer,omitempty"`
	// Pay is the net amount of each paycheck; made up when empty.
	Pay      *bankfeed.Decimal `json:"pay,omitempty"`
	Accounts []*Account        `json:"accounts"`
}

// Account types.
const (
	Checking   = "checking"
	Savings    = "savings"
	CreditCard = "creditcard"
)

// Account is one account of a user.
type Account struct {
	// ID is the ACCTID.
	ID string `json:"id"`
	// Type is checking, savings or creditcard.
	Type string `json:"type"`
	Desc string `json:"desc,omitempty"`
	// Currency is the ISO 4217 code; USD when empty.
	Currency string `json:"currency,omitempty"`
	// Opening is the balance on the scenario's start day, before its
	// transactions; made up when empty (a card owes nothing).
	Opening *bankfeed.Decimal `json:"opening_balance,omitempty"`
}

// Kind returns the account's OFX kind: bank or creditcard.
func (a *Account) Kind() bankfeed.AccountKind {
	if a.Type == CreditCard {
		return bankfeed.KindCreditCard
	}
	return bankfeed.KindBank
}

// AcctType returns the OFX ACCTTYPE of a bank account (CHECKING, SAVINGS),
// or "" for a card.
func (a *Account) AcctType() string {
	switch a.Type {
	case Checking:
		return "CHECKING"
	case Savings:
		return "SAVINGS"
	}
	return ""
}

// Day is a calendar day, YYYY-MM-DD in JSON. The zero Day is unset.
type Day struct{ t time.Time }

// ParseDay reads YYYY-MM-DD.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Day{}, fmt.Errorf("day %q: want YYYY-MM-DD", s)
	}
	return Day{t}, nil
}

// DayOf returns the day t falls on in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	y, m, d := t.In(loc).Date()
	return Day{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// DateOf returns the day of y, m, d.
func DateOf(y int, m time.Month, d int) Day { return Day{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)} }

// IsZero reports whether the day is unset.
func (d Day) IsZero() bool { return d.t.IsZero() }

// Date returns the year, month and day.
func (d Day) Date() (int, time.Month, int) { return d.t.Date() }

// Weekday returns the day of the week.
func (d Day) Weekday() time.Weekday { return d.t.Weekday() }

// AddDays returns the day n days later (earlier when negative).
func (d Day) AddDays(n int) Day { return Day{d.t.AddDate(0, 0, n)} }

// Before reports whether d comes before o.
func (d Day) Before(o Day) bool { return d.t.Before(o.t) }

// After reports whether d comes after o.
func (d Day) After(o Day) bool { return d.t.After(o.t) }

// Sub returns the number of days from o to d.
func (d Day) Sub(o Day) int { return int(d.t.Sub(o.t) / (24 * time.Hour)) }

// At returns the time h:m on the day in loc.
func (d Day) At(h, m int, loc *time.Location) time.Time {
	y, mo, dd := d.t.Date()
	return time.Date(y, mo, dd, h, m, 0, 0, loc)
}

// String returns YYYY-MM-DD, or "" for the zero Day.
func (d Day) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(time.DateOnly)
}

// MarshalText writes YYYY-MM-DD.
func (d Day) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD.
func (d *Day) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Day{}
		return nil
	}
	v, err := ParseDay(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// DefaultStart is the first day of history when a scenario names none.
var DefaultStart = DateOf(2026, time.January, 1)

// Location returns the banks' time zone.
func (s *Scenario) Location() *time.Location {
	if s.loc == nil {
		return time.UTC
	}
	return s.loc
}

// Institution returns the institution with the given ID, or nil.
func (s *Scenario) Institution(id string) *Institution {
	for _, in := range s.Institutions {
		if in != nil && in.ID == id {
			return in
		}
	}
	return nil
}

// User returns the user with the given USERID, or nil.
func (in *Institution) User(id string) *User {
	for _, u := range in.Users {
		if u != nil && u.ID == id {
			return u
		}
	}
	return nil
}

// Account returns the account with the given ACCTID and its user, or nils.
func (in *Institution) Account(id string) (*User, *Account) {
	for _, u := range in.Users {
		if u == nil {
			continue
		}
		for _, a := range u.Accounts {
			if a != nil && a.ID == id {
				return u, a
			}
		}
	}
	return nil, nil
}

// Lockout returns how many bad sign-ons in a row lock a user, or 0 for never.
func (in *Institution) Lockout() int {
	switch {
	case in.LockoutAfter == 0:
		return 3
	case in.LockoutAfter < 0:
		return 0
	}
	return in.LockoutAfter
}

// LoadScenario reads and checks a scenario file. Errors name the file and the
// line or field at fault.
func LoadScenario(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := ParseScenario(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ParseScenario reads a scenario in JSON, rejecting unknown fields, and
// checks it (Validate).
func ParseScenario(r io.Reader) (*Scenario, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s Scenario
	if err := dec.Decode(&s); err != nil {
		return nil, jsonError(b, dec, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("line %d: more than one JSON value", lineAt(b, dec.InputOffset()))
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// jsonError says where in b a decoding error is, by line.
func jsonError(b []byte, dec *json.Decoder, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("line %d: %v", lineAt(b, syn.Offset), err)
	case errors.As(err, &typ):
		return fmt.Errorf("line %d: field %s: want %s, got %s", lineAt(b, typ.Offset), typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("line %d: JSON ends early", lineAt(b, int64(len(b))))
	}
	return fmt.Errorf("line %d: %v", lineAt(b, dec.InputOffset()), err)
}

func lineAt(b []byte, off int64) int {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	return bytes.Count(b[:off], []byte("\n")) + 1
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Validate fills defaults and gathers every problem, each naming its field
// (institutions[0].users[1].accounts[2].type).
func (s *Scenario) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if s.Start.IsZero() {
		s.Start = DefaultStart
	}
	s.loc = time.UTC
	if s.Zone != "" {
		loc, err := time.LoadLocation(s.Zone)
		if err != nil {
			bad("zone", "unknown time zone %q", s.Zone)
		} else {
			s.loc = loc
		}
	}
	if len(s.Institutions) == 0 {
		bad("institutions", "none listed")
	}
	ids := map[string]bool{}
	ports := map[int]bool{}
	for i, in := range s.Institutions {
		f := fmt.Sprintf("institutions[%d]", i)
		if in == nil {
			bad(f, "null")
			continue
		}
		switch {
		case !idPattern.MatchString(in.ID):
			bad(f+".id", "%q: want 1 to 64 letters, digits, - or _", in.ID)
		case ids[in.ID]:
			bad(f+".id", "%q listed twice", in.ID)
		}
		ids[in.ID] = true
		if in.Name == "" {
			in.Name = in.ID
		}
		if in.Org == "" {
			bad(f+".org", "missing")
		}
		if in.FID == "" {
			bad(f+".fid", "missing")
		}
		if in.Version == "" {
			in.Version = "102"
		}
		switch in.Version {
		case "102", "103", "151", "160", "200", "201", "202", "203", "210", "211", "220":
		default:
			bad(f+".version", "%q: want 102, 103, 151, 160 (SGML) or 200 to 220 (XML)", in.Version)
		}
		if in.Port < 0 || in.Port > 65535 {
			bad(f+".port", "%d out of range", in.Port)
		} else if in.Port != 0 {
			if ports[in.Port] {
				bad(f+".port", "%d used twice", in.Port)
			}
			ports[in.Port] = true
		}
		users := map[string]bool{}
		accts := map[string]bool{}
		needBankID := false
		for j, u := range in.Users {
			uf := fmt.Sprintf("%s.users[%d]", f, j)
			if u == nil {
				bad(uf, "null")
				continue
			}
			switch {
			case u.ID == "" || strings.TrimSpace(u.ID) != u.ID:
				bad(uf+".id", "%q: empty or with edge spaces", u.ID)
			case users[u.ID]:
				bad(uf+".id", "%q listed twice", u.ID)
			}
			users[u.ID] = true
			if u.Password == "" {
				bad(uf+".password", "missing")
			}
			if u.Pay != nil && u.Pay.Sign() <= 0 {
				bad(uf+".pay", "%s: want a positive amount", u.Pay)
			}
			for k, a := range u.Accounts {
				af := fmt.Sprintf("%s.accounts[%d]", uf, k)
				if a == nil {
					bad(af, "null")
					continue
				}
				switch {
				case a.ID == "" || strings.ContainsAny(a.ID, " \t<>&"):
					bad(af+".id", "%q: empty or with spaces or markup", a.ID)
				case accts[a.ID]:
					bad(af+".id", "%q listed twice in the institution", a.ID)
				}
				accts[a.ID] = true
				switch a.Type {
				case Checking, Savings:
					needBankID = true
				case CreditCard:
				default:
					bad(af+".type", "%q: want checking, savings or creditcard", a.Type)
				}
				if a.Currency == "" {
					a.Currency = "USD"
				} else if len(a.Currency) != 3 || strings.ToUpper(a.Currency) != a.Currency {
					bad(af+".currency", "%q: want an ISO 4217 code such as USD", a.Currency)
				}
			}
		}
		if needBankID && in.BankID == "" {
			bad(f+".bank_id", "missing (the institution has bank accounts)")
		}
		for j := range in.Faults {
			fs := &in.Faults[j]
			if fs.Institution == "" {
				fs.Institution = in.ID
			}
			if err := fs.check(s); err != nil {
				bad(fmt.Sprintf("%s.faults[%d]", f, j), "%v", err)
			}
		}
	}
	return errors.Join(errs...)
}

//go:embed scenarios/sample.json
var sampleScenario []byte

// SampleScenario returns the sample scenario's JSON: three institutions
// (SGML 1.02, XML 2.11 with CLIENTUID, SGML 1.03 card issuer with a weekly
// maintenance window), four users and seven accounts.
func SampleScenario() []byte { return bytes.Clone(sampleScenario) }
