package fakebank

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

// genScenario has every layout of accounts a user can have: the full set,
// checking alone, a card alone, savings alone, two of each, and savings with
// a card. A second institution reuses the first one's IDs.
const genScenario = `{
  "seed": %d,
  "start": %q,
  "institutions": [
    {"id": "first", "org": "FIRST", "fid": "1001", "bank_id": "021000021", "users": [
      {"id": "alice", "password": "pw", "employer": "Café  Müller GmbH", "pay": "2345.67", "accounts": [
        {"id": "100200301234", "type": "checking"},
        {"id": "100200305678", "type": "savings", "opening_balance": "10000.00"},
        {"id": "4111000011114321", "type": "creditcard"}]},
      {"id": "bob", "password": "pw", "accounts": [
        {"id": "200300401111", "type": "checking", "opening_balance": "1500.00"}]},
      {"id": "carol", "password": "pw", "accounts": [
        {"id": "5500000000007777", "type": "creditcard", "opening_balance": "-812.40"}]},
      {"id": "dave", "password": "pw", "accounts": [
        {"id": "300400502222", "type": "savings"}]},
      {"id": "erin", "password": "pw", "accounts": [
        {"id": "400500601001", "type": "checking"},
        {"id": "400500601002", "type": "checking"},
        {"id": "400500602001", "type": "savings"},
        {"id": "400500602002", "type": "savings"},
        {"id": "4222000033331003", "type": "creditcard"},
        {"id": "4222000033331004", "type": "creditcard"}]},
      {"id": "frank", "password": "pw", "accounts": [
        {"id": "500600703333", "type": "savings"},
        {"id": "4333000044448888", "type": "creditcard"}]}
    ]},
    {"id": "second", "org": "SECOND", "fid": "2002", "bank_id": "011000015", "users": [
      {"id": "alice", "password": "pw", "accounts": [
        {"id": "100200301234", "type": "checking"},
        {"id": "4111000011114321", "type": "creditcard"}]}
    ]}
  ]
}`

func genScenarioSeeded(t testing.TB, seed uint64) *Scenario {
	t.Helper()
	return genScenarioAt(t, seed, "2026-01-01")
}

func genScenarioAt(t testing.TB, seed uint64, start string) *Scenario {
	t.Helper()
	s, err := ParseScenario(strings.NewReader(fmt.Sprintf(genScenario, seed, start)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type genAcct struct {
	in *Institution
	u  *User
	a  *Account
}

func (g genAcct) String() string { return g.in.ID + "/" + g.u.ID + "/" + g.a.ID }

func genAccounts(s *Scenario) []genAcct {
	var out []genAcct
	for _, in := range s.Institutions {
		for _, u := range in.Users {
			for _, a := range u.Accounts {
				out = append(out, genAcct{in, u, a})
			}
		}
	}
	return out
}

func mustParseDay(t testing.TB, s string) Day {
	t.Helper()
	d, err := ParseDay(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func sumOf(txns []ofx.Transaction) bankfeed.Decimal {
	sum := bankfeed.NewDecimal(0, 2)
	for _, tx := range txns {
		sum = sum.Add(tx.Amount)
	}
	return sum
}

// sameTransactions reports the first difference between two lists, or "".
func sameTransactions(got, want []ofx.Transaction) string {
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			return fmt.Sprintf("transaction %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("got %d transactions, want %d", len(got), len(want))
	}
	return ""
}

var (
	gen2026    = DateOf(2026, time.January, 1)
	genYearEnd = DateOf(2026, time.December, 31)
)

func TestBookDeterministic(t *testing.T) {
	base := genScenarioSeeded(t, 42)
	want := NewBook(base)
	tests := []struct {
		name string
		seed uint64
		same bool
	}{
		{"same seed", 42, true},
		{"other seed", 43, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := genScenarioSeeded(t, tt.seed)
			got := NewBook(s)
			wantAccts := genAccounts(base)
			for i, ga := range genAccounts(s) {
				wa := wantAccts[i]
				g := got.Transactions(ga.in, ga.a, gen2026, genYearEnd)
				w := want.Transactions(wa.in, wa.a, gen2026, genYearEnd)
				if len(w) == 0 {
					t.Fatalf("%s: no transactions in 2026", ga)
				}
				diff := sameTransactions(g, w)
				switch {
				case tt.same && diff != "":
					t.Errorf("%s: %s", ga, diff)
				case !tt.same && diff == "":
					t.Errorf("%s: seeds 42 and %d give the same year", ga, tt.seed)
				}
				gl, wl := got.Ledger(ga.in, ga.a, genYearEnd), want.Ledger(wa.in, wa.a, genYearEnd)
				if tt.same && gl.String() != wl.String() {
					t.Errorf("%s: ledger %s, want %s", ga, gl, wl)
				}
			}
		})
	}
}

// genFingerprint pins the generator's output. It must not change with the
// Go version or platform; it changes only when the generator is changed on
// purpose, and then every recorded statement of every test changes with it.
const genFingerprint = "55a083792079aabad9f9364c5bce8a8ffaf640def9d8aa5e50357c64eee1508c"

func TestBookFingerprint(t *testing.T) {
	s := genScenarioSeeded(t, 7)
	b := NewBook(s)
	h := sha256.New()
	for _, ga := range genAccounts(s) {
		for _, tx := range b.Transactions(ga.in, ga.a, gen2026, genYearEnd) {
			fmt.Fprintf(h, "%s|%s|%s|%s|%s|%s|%s|%s\n", ga, tx.TrnType, tx.FITID,
				tx.Posted.Day(), tx.Amount, tx.Name, tx.Memo, tx.CheckNum)
		}
		fmt.Fprintf(h, "%s|%s|%s\n", ga, b.Ledger(ga.in, ga.a, genYearEnd), b.CreditLimit(ga.in, ga.a))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != genFingerprint {
		t.Errorf("fingerprint of seed 7's 2026 is %s, want %s: the generator's output changed", got, genFingerprint)
	}
}

func TestBookWindows(t *testing.T) {
	s := genScenarioSeeded(t, 1)
	tests := []struct {
		name       string
		d1, d2, d3 string
	}{
		{"quarter split mid-month", "2026-01-01", "2026-03-15", "2026-06-30"},
		{"from before Start", "2025-11-01", "2025-12-31", "2026-02-01"},
		{"one day then a month", "2026-11-30", "2026-11-30", "2026-12-31"},
		{"across a month end", "2026-02-20", "2026-02-28", "2026-03-10"},
		{"second year", "2026-12-01", "2027-01-15", "2027-03-31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d1, d2, d3 := mustParseDay(t, tt.d1), mustParseDay(t, tt.d2), mustParseDay(t, tt.d3)
			fresh := NewBook(s)
			used := NewBook(s)
			for _, ga := range genAccounts(s) {
				// Ask windows in an order that generates far ahead first.
				used.Ledger(ga.in, ga.a, d3.AddDays(400))
				used.Transactions(ga.in, ga.a, d2, d3)
			}
			nonEmpty := 0
			for _, ga := range genAccounts(s) {
				whole := fresh.Transactions(ga.in, ga.a, d1, d3)
				if len(whole) > 0 {
					nonEmpty++
				}
				parts := append(used.Transactions(ga.in, ga.a, d1, d2), used.Transactions(ga.in, ga.a, d2.AddDays(1), d3)...)
				if diff := sameTransactions(parts, whole); diff != "" {
					t.Errorf("%s: two windows against one: %s", ga, diff)
				}
			}
			if nonEmpty < len(genAccounts(s))/2 {
				t.Errorf("%s..%s: only %d accounts have transactions", d1, d3, nonEmpty)
			}
		})
	}
}

func TestBookEmptyWindows(t *testing.T) {
	s := genScenarioSeeded(t, 1)
	b := NewBook(s)
	in := s.Institutions[0]
	chk := in.Users[0].Accounts[0]
	tests := []struct {
		name     string
		acct     *Account
		from, to string
	}{
		{"before Start", chk, "2025-01-01", "2025-12-31"},
		{"to before from", chk, "2026-05-10", "2026-05-01"},
		{"unknown account", &Account{ID: "999", Type: Checking}, "2026-01-01", "2026-12-31"},
		{"past the history bound", chk, "2047-01-01", "9999-12-31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := b.Transactions(in, tt.acct, mustParseDay(t, tt.from), mustParseDay(t, tt.to)); got != nil {
				t.Errorf("got %d transactions, want none", len(got))
			}
		})
	}
}

func TestBookBalances(t *testing.T) {
	for _, start := range []string{"2026-01-01", "2026-03-17"} {
		t.Run("start "+start, func(t *testing.T) { testBookBalances(t, genScenarioAt(t, 3, start)) })
	}
}

func testBookBalances(t *testing.T, s *Scenario) {
	b := NewBook(s)
	windows := [][2]string{
		{"2026-01-01", "2026-01-31"},
		{"2026-02-14", "2026-05-03"},
		{"2026-06-30", "2026-06-30"},
		{"2025-12-01", "2026-12-31"},
		{"2026-10-01", "2027-03-31"},
	}
	for _, ga := range genAccounts(s) {
		t.Run(ga.String(), func(t *testing.T) {
			open := b.Ledger(ga.in, ga.a, s.Start.AddDays(-1))
			if ga.a.Opening != nil && open.String() != ga.a.Opening.String() {
				t.Errorf("opening %s, want the scenario's %s", open, ga.a.Opening)
			}
			if ga.a.Type == CreditCard && ga.a.Opening == nil && !open.IsZero() {
				t.Errorf("made-up card opening %s, want 0", open)
			}
			if far := b.Ledger(ga.in, ga.a, s.Start.AddDays(-365)); !far.Equal(open) {
				t.Errorf("a year before Start: %s, want the opening %s", far, open)
			}
			for _, w := range windows {
				from, to := mustParseDay(t, w[0]), mustParseDay(t, w[1])
				txns := b.Transactions(ga.in, ga.a, from, to)
				moved := b.Ledger(ga.in, ga.a, to).Sub(b.Ledger(ga.in, ga.a, from.AddDays(-1)))
				if sum := sumOf(txns); !moved.Equal(sum) {
					t.Errorf("%s..%s: ledger moved %s, transactions sum to %s", from, to, moved, sum)
				}
			}
			ledger := b.Ledger(ga.in, ga.a, genYearEnd)
			avail := b.Available(ga.in, ga.a, genYearEnd)
			if ga.a.Type != CreditCard {
				if !avail.Equal(ledger) {
					t.Errorf("available %s, want the ledger %s", avail, ledger)
				}
				return
			}
			limit := b.CreditLimit(ga.in, ga.a)
			cents, ok := limit.MinorUnits(2)
			if !ok || cents < 300000 || cents > 1500000 || cents%10000 != 0 {
				t.Errorf("credit limit %s, want 3000 to 15000 in whole hundreds", limit)
			}
			if !avail.Equal(limit.Add(ledger)) {
				t.Errorf("available %s, want limit %s plus ledger %s", avail, limit, ledger)
			}
		})
	}
}

// bookLeg is one side of a transfer or card payment.
type bookLeg struct {
	day    string
	cents  int64
	from   string // last four of the paying account
	to     string // last four of the paid account
	ofUser string
}

func TestBookBothLegs(t *testing.T) {
	s := genScenarioSeeded(t, 5)
	b := NewBook(s)
	outs, ins := map[bookLeg]int{}, map[bookLeg]int{}
	xferFrom := regexp.MustCompile(`^TRANSFER FROM [A-Z]+ XXXX(\w{4})$`)
	xferTo := regexp.MustCompile(`^(?:TRANSFER TO [A-Z]+|PAYMENT TO CREDIT CARD) XXXX(\w{4})$`)
	cardOnly := map[string]int{}
	for _, ga := range genAccounts(s) {
		me := last4(ga.a.ID)
		user := ga.in.ID + "/" + ga.u.ID
		for _, tx := range b.Transactions(ga.in, ga.a, gen2026, genYearEnd) {
			cents, _ := tx.Amount.MinorUnits(2)
			switch m, n := xferTo.FindStringSubmatch(tx.Name), xferFrom.FindStringSubmatch(tx.Name); {
			case m != nil:
				if cents >= 0 {
					t.Errorf("%s: %s of %s: want a negative amount", ga, tx.Name, tx.Amount)
				}
				outs[bookLeg{tx.Posted.Day(), -cents, me, m[1], user}]++
			case n != nil:
				ins[bookLeg{tx.Posted.Day(), cents, n[1], me, user}]++
			case tx.Name == "PAYMENT - THANK YOU":
				ins[bookLeg{tx.Posted.Day(), cents, "", me, user}]++
			case tx.Name == "ONLINE PAYMENT":
				cardOnly[user]++
			}
		}
	}
	// A card payment's incoming side does not name the checking account.
	for l, n := range ins {
		if l.from == "" {
			delete(ins, l)
			for o := range outs {
				if o.day == l.day && o.cents == l.cents && o.to == l.to && o.ofUser == l.ofUser {
					ins[o] += n
				}
			}
		}
	}
	if len(outs) == 0 {
		t.Fatal("no transfers or card payments in 2026")
	}
	for l, n := range outs {
		if ins[l] != n {
			t.Errorf("%+v: %d outgoing legs, %d incoming", l, n, ins[l])
		}
	}
	for l, n := range ins {
		if outs[l] != n {
			t.Errorf("%+v: %d incoming legs, %d outgoing", l, n, outs[l])
		}
	}
	for _, user := range []string{"first/carol", "first/frank"} {
		if cardOnly[user] == 0 {
			t.Errorf("%s has a card and no checking: want ONLINE PAYMENT credits", user)
		}
	}
}

func TestBookCardPayments(t *testing.T) {
	s := genScenarioSeeded(t, 11)
	b := NewBook(s)
	for _, ga := range genAccounts(s) {
		if ga.a.Type != CreditCard {
			continue
		}
		full := 0
		for _, tx := range b.Transactions(ga.in, ga.a, gen2026, genYearEnd) {
			if tx.TrnType != "CREDIT" {
				continue
			}
			y, m, _ := tx.Posted.Time.Date()
			owed := b.Ledger(ga.in, ga.a, DateOf(y, m, 20)).Neg()
			if tx.Amount.Sign() <= 0 || tx.Amount.Cmp(owed) > 0 {
				t.Errorf("%s: payment %s on %s: want more than 0 and at most the %s owed on the 20th", ga, tx.Amount, tx.Posted.Day(), owed)
			}
			if tx.Amount.Equal(owed) {
				full++
			}
		}
		if full == 0 {
			t.Errorf("%s: no month paid in full", ga)
		}
	}
}

var negativeTypes = map[string]bool{"CHECK": true, "POS": true, "ATM": true, "FEE": true,
	"SRVCHG": true, "DIRECTDEBIT": true, "DEBIT": true}
var positiveTypes = map[string]bool{"DIRECTDEP": true, "INT": true, "CREDIT": true}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// TestBookYear checks a year of every account against what a US bank
// sends.
func TestBookYear(t *testing.T) {
	for _, seed := range []uint64{0, 1, 99} {
		s := genScenarioSeeded(t, seed)
		b := NewBook(s)
		for _, ga := range genAccounts(s) {
			t.Run(fmt.Sprintf("seed %d %s", seed, ga), func(t *testing.T) {
				txns := b.Transactions(ga.in, ga.a, gen2026, genYearEnd)
				fitids := map[string]bool{}
				months := map[time.Month]int{}
				lastCheck, paychecks := 0, 0
				var prev time.Time
				seq := 0
				for _, tx := range txns {
					p := tx.Posted
					if !p.Valid || p.HasTime || p.Time.Location() != time.UTC || p.Time.Hour() != 0 || p.Time.Before(prev) {
						t.Fatalf("%s: posted %+v after %s", tx.FITID, p, prev)
					}
					if !p.Time.Equal(prev) {
						seq = 0
					}
					seq++
					prev = p.Time
					months[p.Time.Month()]++
					if fitids[tx.FITID] {
						t.Errorf("FITID %s twice", tx.FITID)
					}
					fitids[tx.FITID] = true
					if want := fmt.Sprintf("%s%04d", p.Time.Format("20060102"), seq); tx.FITID != want {
						t.Errorf("FITID %s: want %s, the day and the sequence in it", tx.FITID, want)
					}
					if tx.Kind != "STMTTRN" || !tx.AmountSet || tx.Amount.Scale() != 2 {
						t.Errorf("%s: kind %s, amount %s set %v: want STMTTRN and cents", tx.FITID, tx.Kind, tx.Amount, tx.AmountSet)
					}
					switch sign := tx.Amount.Sign(); {
					case sign == 0,
						negativeTypes[tx.TrnType] && sign > 0,
						positiveTypes[tx.TrnType] && sign < 0,
						!negativeTypes[tx.TrnType] && !positiveTypes[tx.TrnType] && tx.TrnType != "XFER":
						t.Errorf("%s: %s of %s", tx.FITID, tx.TrnType, tx.Amount)
					}
					if tx.Name == "" || len(tx.Name) > maxName || !printableASCII(tx.Name) || len(tx.Memo) > maxMemo || !printableASCII(tx.Memo) {
						t.Errorf("%s: name %q memo %q: want 1 to 32 printable ASCII, memo up to 255", tx.FITID, tx.Name, tx.Memo)
					}
					if (tx.TrnType == "CHECK") != (tx.CheckNum != "") {
						t.Errorf("%s: %s with CHECKNUM %q", tx.FITID, tx.TrnType, tx.CheckNum)
					}
					if tx.CheckNum != "" {
						n, err := strconv.Atoi(tx.CheckNum)
						if err != nil || n <= lastCheck || tx.Name != "CHECK "+tx.CheckNum {
							t.Errorf("%s: check %q named %q after check %d: want a greater number", tx.FITID, tx.CheckNum, tx.Name, lastCheck)
						}
						lastCheck = n
					}
					_, m, d := p.Time.Date()
					switch tx.TrnType {
					case "DIRECTDEP":
						paychecks++
						if wd := p.Time.Weekday(); wd == time.Saturday || wd == time.Sunday {
							t.Errorf("%s: paycheck on a %s", tx.FITID, wd)
						}
					case "INT":
						if _, _, next := DateOf(2026, m, d).AddDays(1).Date(); next != 1 {
							t.Errorf("%s: interest on %s, not a month's last day", tx.FITID, p.Day())
						}
					}
				}
				for m := time.January; m <= time.December; m++ {
					if months[m] == 0 {
						t.Errorf("nothing posted in %s", m)
					}
				}
				if paychecks != 0 && paychecks != 24 {
					t.Errorf("%d paychecks in 2026, want 24", paychecks)
				}
			})
		}
	}
}

func TestBookPaychecks(t *testing.T) {
	s := genScenarioSeeded(t, 8)
	b := NewBook(s)
	tests := []struct {
		name     string
		in, user string
		wantName *regexp.Regexp
		wantPay  string // "" for made up, 1800.00 to 3200.00
	}{
		{"employer and pay given", "first", "alice", regexp.MustCompile(`^CAFE MULLER GMBH PAYROLL$`), "2345.67"},
		{"made up", "first", "bob", regexp.MustCompile(`^[A-Z0-9 ]+ (PAYROLL|PAYRL|DIR DEP|PPD|\d+)$`), ""},
		{"into savings without checking", "first", "dave", regexp.MustCompile(`.`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := s.Institution(tt.in)
			u := in.User(tt.user)
			var pays []ofx.Transaction
			for _, tx := range b.Transactions(in, u.Accounts[0], gen2026, genYearEnd) {
				if tx.TrnType == "DIRECTDEP" {
					pays = append(pays, tx)
				}
			}
			if len(pays) != 24 {
				t.Fatalf("%d paychecks into %s, want 24", len(pays), u.Accounts[0].ID)
			}
			for _, tx := range pays {
				if !tt.wantName.MatchString(tx.Name) {
					t.Errorf("paycheck named %q, want %s", tx.Name, tt.wantName)
				}
				if tt.wantPay != "" && tx.Amount.String() != tt.wantPay {
					t.Errorf("paycheck of %s, want %s", tx.Amount, tt.wantPay)
				}
				if c, _ := tx.Amount.MinorUnits(2); tt.wantPay == "" && (c < 180000 || c > 320000) {
					t.Errorf("made-up paycheck of %s, want 1800.00 to 3200.00", tx.Amount)
				}
				if !tx.Amount.Equal(pays[0].Amount) || tx.Name != pays[0].Name {
					t.Errorf("paycheck %s %s differs from the first, %s %s", tx.Name, tx.Amount, pays[0].Name, pays[0].Amount)
				}
			}
		})
	}
}

func TestBookCheckingMostlyPositive(t *testing.T) {
	for seed := uint64(100); seed < 120; seed++ {
		s := genScenarioSeeded(t, seed)
		b := NewBook(s)
		for _, ga := range genAccounts(s) {
			if ga.a.Type != Checking {
				continue
			}
			negative := 0
			for d := gen2026; !d.After(genYearEnd); d = d.AddDays(1) {
				if b.Ledger(ga.in, ga.a, d).Sign() < 0 {
					negative++
				}
			}
			if negative > 365/20 {
				t.Errorf("seed %d %s: overdrawn %d days of 2026, want under 5%%", seed, ga, negative)
			}
		}
	}
}

func TestBookConcurrent(t *testing.T) {
	s := genScenarioSeeded(t, 21)
	type ask struct {
		ga       genAcct
		from, to Day
	}
	var asks []ask
	for _, ga := range genAccounts(s) {
		for k := range 6 {
			from := DateOf(2026, time.Month(1+2*k), 1+3*k)
			asks = append(asks, ask{ga, from, from.AddDays(90)})
		}
	}
	serial := NewBook(s)
	want := make([][]ofx.Transaction, len(asks))
	for i, a := range asks {
		want[i] = serial.Transactions(a.ga.in, a.ga.a, a.from, a.to)
	}
	shared := NewBook(s)
	const workers = 16
	got := make([][][]ofx.Transaction, workers)
	var wg sync.WaitGroup
	for w := range workers {
		got[w] = make([][]ofx.Transaction, len(asks))
		wg.Go(func() {
			for k := range asks {
				i := (k*7 + w*13) % len(asks) // each worker in its own order
				a := asks[i]
				shared.Ledger(a.ga.in, a.ga.a, a.to)
				got[w][i] = shared.Transactions(a.ga.in, a.ga.a, a.from, a.to)
			}
		})
	}
	wg.Wait()
	for w := range workers {
		for i, a := range asks {
			if diff := sameTransactions(got[w][i], want[i]); diff != "" {
				t.Errorf("worker %d, %s %s..%s: %s", w, a.ga, a.from, a.to, diff)
			}
		}
	}
}

func TestInterest(t *testing.T) {
	tests := []struct {
		name     string
		bal, bps int64
		want     int64
	}{
		{"4.25% on 10000.00", 1000000, 425, 3542},
		{"half a cent rounds up", 60000, 1, 1},
		{"just under half rounds down", 179999, 1, 1},
		{"a cent and a half rounds up", 180000, 1, 2},
		{"tiny positive balance earns a cent", 1, 40, 1},
		{"zero balance earns nothing", 0, 425, 0},
		{"overdrawn earns nothing", -50000, 425, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := monthInterest(tt.bal, tt.bps); got != tt.want {
				t.Errorf("monthInterest(%d, %d) = %d, want %d", tt.bal, tt.bps, got, tt.want)
			}
		})
	}
}

func TestBankText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"accents dropped", "Café Müller GmbH", "CAFE MULLER GMBH"},
		{"spaces folded", "  acme\t corp \n", "ACME CORP"},
		{"non-Latin dropped", "東京 Bank", "BANK"},
		{"cut at 32", "The Extraordinarily Long Employer Name Inc", "THE EXTRAORDINARILY LONG EMPLOYE"},
		{"no trailing space after the cut", "abcdefghijklmnopqrstuvwxyz12345 x", "ABCDEFGHIJKLMNOPQRSTUVWXYZ12345"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bankText(tt.in, maxName); got != tt.want {
				t.Errorf("bankText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPayrollName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Acme Corp", "ACME CORP PAYROLL"},
		{"Initech Payroll", "INITECH PAYROLL"},
		{"Globex DIR DEP", "GLOBEX DIR DEP"},
		{"Very Long Employer Name Holdings", "VERY LONG EMPLOYER NAME HOLDINGS"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := payrollName(tt.in); got != tt.want {
				t.Errorf("payrollName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCentsOf(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1500", 150000},
		{"-812.40", -81240},
		{"0.005", 0},
		{"-12.349", -1234},
		{"100000000000000000000", 1e14},
		{"-100000000000000000000.5", -1e14},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := centsOf(bankfeed.MustDecimal(tt.in)); got != tt.want {
				t.Errorf("centsOf(%s) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func BenchmarkStatement90Days(b *testing.B) {
	s := genScenarioSeeded(b, 1)
	book := NewBook(s)
	in := s.Institutions[0]
	chk := in.Users[0].Accounts[0]
	from, to := DateOf(2026, time.October, 3), genYearEnd
	book.Ledger(in, chk, to)
	b.ReportAllocs()
	for b.Loop() {
		if len(book.Transactions(in, chk, from, to)) == 0 {
			b.Fatal("no transactions")
		}
		book.Ledger(in, chk, to)
		book.Available(in, chk, to)
	}
}

func BenchmarkLedger(b *testing.B) {
	s := genScenarioSeeded(b, 1)
	book := NewBook(s)
	in := s.Institutions[0]
	card := in.Users[0].Accounts[2]
	book.Ledger(in, card, genYearEnd)
	b.ReportAllocs()
	for b.Loop() {
		book.Available(in, card, genYearEnd)
	}
}

// BenchmarkColdYear is the first request for a user a year after Start:
// the whole year is generated once.
func BenchmarkColdYear(b *testing.B) {
	s := genScenarioSeeded(b, 1)
	in := s.Institutions[0]
	chk := in.Users[0].Accounts[0]
	b.ReportAllocs()
	for b.Loop() {
		NewBook(s).Ledger(in, chk, genYearEnd)
	}
}
