package ofxgen

import (
	"strconv"
	"time"
)

// rng is splitmix64: tiny, fast, and fixed here so that a seed means the same
// file under every Go release.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n), n > 0. The modulo bias is far below what a
// test could notice.
func (r *rng) intn(n int64) int64 { return int64(r.next() % uint64(n)) }

// between returns cents in [lo, hi], leaning toward lo as real spending does
// (the smaller of two uniform draws).
func (r *rng) between(lo, hi int64) int64 {
	w := hi - lo + 1
	return lo + min(r.intn(w), r.intn(w))
}

func (r *rng) digits(b []byte, n int) []byte {
	for range n {
		b = append(b, byte('0'+r.intn(10)))
	}
	return b
}

const alnum = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

func (r *rng) alnum(b []byte, n int) []byte {
	for range n {
		b = append(b, alnum[r.intn(int64(len(alnum)))])
	}
	return b
}

// txn is the transaction being written; its byte slices are reused.
type txn struct {
	trnType  string
	posted   int64 // wall-clock seconds in Zone, counted as if UTC
	cents    int64
	checkNum int
	fitid    []byte
	name     []byte
	memo     []byte
}

// gen draws the statement: first who it is for, then one transaction per
// call of next. Write and Expect drive the same gen, so they agree.
type gen struct {
	o   Options
	r   rng
	sum Summary

	i        int   // transactions drawn so far
	start    int64 // DTSTART, wall-clock seconds
	span     int64 // period length in seconds
	fitBase  int64
	checkNum int
	employer string
	last4    string
	savings  string // last four digits of the linked savings account
	pending  int64  // holds not yet posted, in cents
	limit    int64  // credit limit, in cents
	t        txn
}

func newGen(opts Options) (*gen, error) {
	o, err := normalize(opts)
	if err != nil {
		return nil, err
	}
	g := &gen{o: o, r: rng{s: o.Seed ^ 0x6f667867656e}} // "ofxgen"
	g.start = o.Start.Unix()
	g.span = int64(o.Days) * 86400
	s := &g.sum
	s.Format, s.Kind, s.Currency = o.Format, o.Kind, o.Currency
	s.Start = o.Start
	s.End = o.Start.AddDate(0, 0, o.Days)

	inst := institutions[g.r.intn(int64(len(institutions)))]
	if o.Kind == CreditCard {
		inst = issuers[g.r.intn(int64(len(issuers)))]
	}
	s.Org, s.FID = inst.org, inst.fid
	if o.Kind == Bank {
		s.BankID = routingNumber(&g.r)
		s.AcctID = string(g.r.digits([]byte{byte('1' + g.r.intn(9))}, 9))
		s.OpeningCents = g.r.between(50000, 900000)
		g.pending = g.r.between(0, 25000)
	} else {
		s.AcctID = cardNumber(&g.r)
		g.limit = 500000 + 100000*g.r.intn(20)
		s.OpeningCents = -g.r.between(0, g.limit/3)
	}
	if o.AcctID != "" {
		s.AcctID = o.AcctID
	}
	g.last4 = s.AcctID[max(0, len(s.AcctID)-4):]
	g.savings = string(g.r.digits(nil, 4))
	g.fitBase = g.r.intn(1_000_000_000)
	g.checkNum = 1001 + int(g.r.intn(4000))
	g.employer = employers[g.r.intn(int64(len(employers)))]
	return g, nil
}

type institution struct{ org, fid string }

// institutions and issuers are fictional.
var institutions = []institution{
	{"Greenfield Savings Bank", "10471"},
	{"Harbor Point Credit Union", "4412"},
	{"First Lakeshore Bank", "62718"},
	{"Cascade Federal", "3344"},
}

var issuers = []institution{
	{"Summit Card Services", "7101"},
	{"Meridian Bank Card", "24909"},
	{"Northstar Rewards", "1601"},
}

// routingNumber draws nine digits with a valid ABA check digit.
func routingNumber(r *rng) string {
	d := r.digits([]byte{'0', byte('1' + r.intn(7))}, 6)
	sum := 0
	for i, c := range d {
		sum += []int{3, 7, 1}[i%3] * int(c-'0')
	}
	return string(append(d, byte('0'+(10-sum%10)%10)))
}

// cardNumber draws 16 digits starting with 4 with a valid Luhn check digit.
func cardNumber(r *rng) string {
	d := r.digits([]byte{'4'}, 14)
	sum := 0
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if (len(d)-1-i)%2 == 0 { // doubled: every second digit from the check digit's left
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return string(append(d, byte('0'+(10-sum%10)%10)))
}

// next draws transaction g.i into g.t and advances.
func (g *gen) next() {
	t := &g.t
	r := &g.r
	n := int64(g.o.N)
	i := int64(g.i)
	// Transaction i falls in the i-th of N equal slots of the period, so
	// dates never go backwards and spread evenly however large N is.
	t.posted = g.start + (i*g.span+r.intn(g.span))/n
	if g.o.Kind == Bank {
		t.posted = t.posted - t.posted%86400 + 12*3600 // banks post by day
	}
	t.checkNum = 0
	t.name = t.name[:0]
	t.memo = t.memo[:0]
	if g.o.Kind == Bank {
		g.bankTxn(t)
	} else {
		g.cardTxn(t)
	}
	t.fitid = t.fitid[:0]
	day := time.Unix(t.posted, 0).UTC()
	if g.o.Kind == Bank {
		t.fitid = appendDate(t.fitid, day)
		t.fitid = appendPadded(t.fitid, g.fitBase+i, 10)
	} else {
		t.fitid = append(t.fitid, '2', '4')
		t.fitid = appendPadded(t.fitid, g.fitBase%100000, 5)
		t.fitid = appendPadded(t.fitid, int64(day.YearDay()), 3)
		t.fitid = appendPadded(t.fitid, i, 13)
	}
	g.sum.Count++
	g.sum.SumCents += t.cents
	g.i++
}

func (g *gen) bankTxn(t *txn) {
	r := &g.r
	// Pay arrives more often while the account is overdrawn, so balances
	// stay plausible over a million lines.
	deposits := int64(45)
	if g.sum.OpeningCents+g.sum.SumCents < 0 {
		deposits = 200
	}
	switch p := r.intn(1000); {
	case p < deposits:
		t.trnType, t.cents = "DIRECTDEP", r.between(150000, 420000)
		t.name = append(t.name, g.employer...)
		t.memo = append(t.memo, "DIRECT DEP PPD ID: "...)
		t.memo = r.digits(t.memo, 10)
	case p < deposits+60:
		t.trnType, t.cents = "CHECK", -r.between(1500, 150000)
		t.checkNum = g.checkNum
		g.checkNum++
		t.name = strconv.AppendInt(append(t.name, "CHECK "...), int64(t.checkNum), 10)
	case p < deposits+130:
		t.trnType, t.cents = "ATM", -2000*(1+r.between(0, 19))
		t.name = append(t.name, "ATM WITHDRAWAL"...)
		t.memo = append(t.memo, atms[r.intn(int64(len(atms)))]...)
	case p < deposits+230:
		b := bills[r.intn(int64(len(bills)))]
		t.trnType, t.cents = "PAYMENT", -r.between(b.min, b.max)
		t.name = append(t.name, b.name...)
		t.memo = append(t.memo, b.memo...)
	case p < deposits+270:
		t.trnType, t.cents = "XFER", r.between(2500, 200000)
		dir := "FROM"
		if r.intn(2) == 0 {
			t.cents, dir = -t.cents, "TO"
		}
		t.name = append(append(append(t.name, "ONLINE TRANSFER "...), dir...), " SAV ..."...)
		t.name = append(t.name, g.savings...)
		t.memo = r.alnum(append(t.memo, "TRANSFER CONF# "...), 8)
	case p < deposits+300:
		who := people[r.intn(int64(len(people)))]
		t.trnType, t.cents = "DEBIT", -r.between(1000, 60000)
		t.name = append(append(t.name, "ZELLE TO "...), who...)
		if r.intn(3) == 0 {
			t.trnType, t.cents = "CREDIT", -t.cents
			t.name = append(append(t.name[:0], "ZELLE FROM "...), who...)
		}
		t.memo = r.alnum(append(t.memo, "REF # "...), 11)
	case p < deposits+310:
		t.trnType = "SRVCHG"
		switch r.intn(3) {
		case 0:
			t.cents = -1200
			t.name = append(t.name, "MONTHLY MAINTENANCE FEE"...)
		case 1:
			t.cents = -3500
			t.name = append(t.name, "OVERDRAFT ITEM FEE"...)
		default:
			t.cents = -250
			t.name = append(t.name, "NON-NETWORK ATM FEE"...)
		}
	case p < deposits+317:
		t.trnType, t.cents = "INT", r.between(1, 900)
		t.name = append(t.name, "INTEREST PAYMENT"...)
	case p < deposits+335:
		m := merchants[r.intn(int64(len(merchants)))]
		t.trnType, t.cents = "CREDIT", r.between(m.min, m.max)
		t.name = append(t.name, m.name...)
		t.memo = g.cardMemo(append(t.memo, "PURCHASE RETURN ON "...), t.posted, m.city)
	default:
		m := merchants[r.intn(int64(len(merchants)))]
		t.trnType, t.cents = "POS", -r.between(m.min, m.max)
		t.name = append(t.name, m.name...)
		t.memo = g.cardMemo(append(t.memo, "PURCHASE AUTHORIZED ON "...), t.posted, m.city)
	}
}

// cardMemo appends "MM/DD CITY ST CARD 1234", the date a day or two before
// posting, as debit-card lines read.
func (g *gen) cardMemo(b []byte, posted int64, city string) []byte {
	d := time.Unix(posted-86400*g.r.intn(3), 0).UTC()
	b = appendPadded(b, int64(d.Month()), 2)
	b = append(b, '/')
	b = appendPadded(b, int64(d.Day()), 2)
	b = append(append(b, ' '), city...)
	return append(append(b, " CARD "...), g.last4...)
}

func (g *gen) cardTxn(t *txn) {
	r := &g.r
	// Payments come more often near the credit limit.
	payments := int64(30)
	if g.sum.OpeningCents+g.sum.SumCents < -g.limit*4/5 {
		payments = 300
	}
	switch p := r.intn(1000); {
	case p < payments:
		t.trnType, t.cents = "CREDIT", r.between(5000, 400000)
		t.name = append(t.name, "PAYMENT - THANK YOU"...)
		t.memo = r.alnum(append(t.memo, "ONLINE PMT REF "...), 10)
	case p < payments+30:
		m := merchants[r.intn(int64(len(merchants)))]
		t.trnType, t.cents = "CREDIT", r.between(m.min, m.max)
		t.name = append(t.name, m.name...)
		t.memo = append(append(t.memo, "RETURN "...), m.city...)
	case p < payments+40:
		t.trnType = "FEE"
		if r.intn(4) == 0 {
			t.cents = -r.between(100, 3000)
			t.name = append(t.name, "FOREIGN TRANSACTION FEE"...)
		} else {
			t.cents = -r.between(500, 9000)
			t.name = append(t.name, "INTEREST CHARGE ON PURCHASES"...)
		}
	default:
		m := merchants[r.intn(int64(len(merchants)))]
		t.trnType, t.cents = "DEBIT", -r.between(m.min, m.max)
		t.name = append(t.name, m.name...)
		t.memo = append(t.memo, m.city...)
	}
}

// finish settles the balances once every transaction is drawn.
func (g *gen) finish() {
	s := &g.sum
	s.LedgerCents = s.OpeningCents + s.SumCents
	if g.o.Kind == Bank {
		s.AvailCents = s.LedgerCents - g.pending
	} else {
		s.AvailCents = g.limit + s.LedgerCents
	}
}

func appendDate(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	b = appendPadded(b, int64(y), 4)
	b = appendPadded(b, int64(m), 2)
	return appendPadded(b, int64(d), 2)
}

// appendPadded appends v ≥ 0 in decimal with at least width digits.
func appendPadded(b []byte, v int64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
