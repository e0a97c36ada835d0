package fakebank

import (
	"strconv"
	"sync"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

// maxHistoryDays bounds generated history: nothing posts later than this
// many days after Start, so a request reaching the year 9999 costs twenty
// years of history, not eight thousand. Servers should stop at today anyway.
const maxHistoryDays = 20 * 366

// Book is the generated history of a scenario. Safe for concurrent use.
//
// Each user's history is generated day by day forward from Start and kept,
// with every account's end-of-day balance. A day's transactions depend on the
// seed, the institution and user IDs, the day and earlier balances (card
// payments, interest), never on which window was asked first. Amounts are in
// cents: two decimal places whatever the account's currency. The Book takes
// the scenario's users and accounts as they are when it is made; an account
// added later has no transactions and keeps its opening balance.
type Book struct {
	seed  uint64
	start Day
	accts map[acctKey]acctRef
}

type acctKey struct{ inst, acct string }

// acctRef is an account of a user's history: u.accts[i].
type acctRef struct {
	u *userBook
	i int
}

// NewBook returns the history of s, which Validate has checked.
func NewBook(s *Scenario) *Book {
	b := &Book{seed: s.Seed, start: s.Start, accts: map[acctKey]acctRef{}}
	if b.start.IsZero() {
		b.start = DefaultStart
	}
	for _, in := range s.Institutions {
		if in == nil {
			continue
		}
		for _, u := range in.Users {
			if u == nil {
				continue
			}
			ub := newUserBook(s.Seed, b.start, in, u)
			for i, a := range ub.accts {
				b.accts[acctKey{in.ID, a.ID}] = acctRef{ub, i}
			}
		}
	}
	return b
}

func (b *Book) ref(in *Institution, acct *Account) (acctRef, bool) {
	if in == nil || acct == nil {
		return acctRef{}, false
	}
	r, ok := b.accts[acctKey{in.ID, acct.ID}]
	return r, ok
}

// Transactions returns the transactions of acct posted on days from..to
// inclusive, in posting order (day, then a stable sequence within the day).
// Nothing posts before the scenario's Start. The slice is new on each call:
// the caller may change it.
func (b *Book) Transactions(in *Institution, acct *Account, from, to Day) []ofx.Transaction {
	ref, ok := b.ref(in, acct)
	if !ok {
		return nil
	}
	lo, hi := max(from.Sub(b.start), 0), min(to.Sub(b.start), maxHistoryDays-1)
	if lo > hi {
		return nil
	}
	u := ref.u
	u.mu.Lock()
	defer u.mu.Unlock()
	u.extend(hi)
	l := &u.logs[ref.i]
	first := int32(0)
	if lo > 0 {
		first = l.ends[lo-1]
	}
	recs := l.recs[first:l.ends[hi]]
	if len(recs) == 0 {
		return nil
	}
	out := make([]ofx.Transaction, len(recs))
	for k := range recs {
		r := &recs[k]
		out[k] = ofx.Transaction{
			Kind:      "STMTTRN",
			TrnType:   r.typ,
			FITID:     r.fitid,
			Posted:    ofx.Date{Time: r.day.t, Valid: true},
			Amount:    bankfeed.NewDecimal(r.cents, 2),
			AmountSet: true,
			Name:      r.name,
			Memo:      r.memo,
			CheckNum:  r.check,
		}
	}
	return out
}

// Ledger returns the ledger balance at the end of day through: the account's
// opening balance (on Start, before its transactions) plus every transaction
// from Start through through. Before Start it is the opening balance.
func (b *Book) Ledger(in *Institution, acct *Account, through Day) bankfeed.Decimal {
	ref, ok := b.ref(in, acct)
	if !ok {
		if in == nil || acct == nil {
			return bankfeed.NewDecimal(0, 2)
		}
		open, _ := openingOf(b.seed, in.ID, acct)
		return open
	}
	u := ref.u
	open := u.open[ref.i]
	i := min(through.Sub(b.start), maxHistoryDays-1)
	if i < 0 {
		return open
	}
	u.mu.Lock()
	u.extend(i)
	delta := u.logs[ref.i].bal[i]
	u.mu.Unlock()
	return open.Add(bankfeed.NewDecimal(delta, 2))
}

// Available returns the available balance at the end of through: the ledger
// balance for bank accounts; for a card, its credit limit plus the (negative
// when owed) ledger balance.
func (b *Book) Available(in *Institution, acct *Account, through Day) bankfeed.Decimal {
	l := b.Ledger(in, acct, through)
	if acct != nil && acct.Type == CreditCard {
		return b.CreditLimit(in, acct).Add(l)
	}
	return l
}

// CreditLimit returns a card's credit limit, 3000.00 to 15000.00 in whole
// hundreds, made up from the seed; 0.00 for a bank account.
func (b *Book) CreditLimit(in *Institution, acct *Account) bankfeed.Decimal {
	if in == nil || acct == nil || acct.Type != CreditCard {
		return bankfeed.NewDecimal(0, 2)
	}
	r := acctHash(b.seed, in.ID, acct.ID).num(tagLimit).rng()
	return bankfeed.NewDecimal(int64(30+r.intn(121))*10000, 2)
}

// Stream tags: each draw of randomness hashes one in, so streams stay apart.
// They are part of the output: changing one changes every statement.
const (
	kindInst = iota + 1
	kindUser
	kindAcct
	tagPlan
	tagOpening
	tagLimit
	tagMonth
	tagBuy
	tagATM
	tagCardPay
	tagSub
	tagXfer
	tagStyle
)

// genHash is FNV-1a 64 over IDs and numbers: fixed forever, unlike math/rand,
// so a seed gives the same history on any Go version.
type genHash uint64

const fnvOffset genHash = 14695981039346656037

func (h genHash) num(v uint64) genHash {
	for range 8 {
		h ^= genHash(byte(v))
		h *= 1099511628211
		v >>= 8
	}
	return h
}

func (h genHash) str(s string) genHash {
	h = h.num(uint64(len(s)))
	for i := 0; i < len(s); i++ {
		h ^= genHash(s[i])
		h *= 1099511628211
	}
	return h
}

func (h genHash) rng() genRand { return genRand{uint64(h)} }

func acctHash(seed uint64, inst, acct string) genHash {
	return fnvOffset.num(seed).str(inst).num(kindAcct).str(acct)
}

// genRand is splitmix64.
type genRand struct{ s uint64 }

func (r *genRand) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// intn returns 0..n-1 (n > 0).
func (r *genRand) intn(n int) int { return int(r.next() % uint64(n)) }

// between returns lo..hi inclusive.
func (r *genRand) between(lo, hi int64) int64 { return lo + int64(r.next()%uint64(hi-lo+1)) }

func (r *genRand) percent(p int) bool { return r.intn(100) < p }

// userBook is one user's history, generated forward from Start.
type userBook struct {
	userPlan
	mu    sync.Mutex
	logs  []acctLog
	cur   []int64 // each account's sum of amounts through the last day generated
	seq   []int   // each account's transactions so far on the day being generated
	days  int     // days generated
	month monthPlan
}

type acctLog struct {
	recs []bookTxn
	ends []int32 // ends[i] is len(recs) at the end of day i
	bal  []int64 // bal[i] is the sum of amounts through day i, cents
}

type bookTxn struct {
	day                      Day
	typ                      string
	cents                    int64
	fitid, name, memo, check string
}

func (u *userBook) extend(through int) {
	for u.days <= through {
		u.genDay()
	}
}

// balAt returns the sum of an account's amounts through d, a generated day.
func (u *userBook) balAt(a int, d Day) int64 {
	i := d.Sub(u.start)
	if i < 0 {
		return 0
	}
	return u.logs[a].bal[i]
}

var epochDay = DateOf(1970, time.January, 1)

// genDay generates the next day of the user's history.
func (u *userBook) genDay() {
	d := u.start.AddDays(u.days)
	y, m, dom := d.Date()
	if u.month.idx < 0 || u.month.m != m || u.month.y != y {
		u.month = u.planMonth(y, m)
	}
	mp := &u.month
	g := dayGen{u: u, day: d, prefix: d.t.Format("20060102")}
	h := u.hash.num(uint64(int64(d.Sub(epochDay))))
	clear(u.seq)

	if dom == mp.pay[0] || dom == mp.pay[1] {
		if to := firstOf(u.chk, u.sav); to >= 0 {
			g.emit(to, "DIRECTDEP", u.pay, u.payName, u.payMemo, "")
		}
	}
	for _, x := range u.xfers {
		if dom == min(x.dom, mp.last) {
			g.emit(x.from, "XFER", -x.cents, x.outName, "ONLINE TRANSFER", "")
			g.emit(x.to, "XFER", x.cents, x.inName, "ONLINE TRANSFER", "")
		}
	}
	if dom == mp.cardDue {
		u.payCards(&g, h, DateOf(y, m, 20))
	}
	if u.chk >= 0 {
		if dom == mp.rentDay {
			g.check(mp.idx*3, u.rent)
		}
		for k, c := range mp.checks {
			if c.dom == dom {
				g.check(mp.idx*3+1+k, c.cents)
			}
		}
	}
	for k, b := range u.bills {
		if dom == b.dom {
			g.emit(b.acct, b.typ, -mp.bills[k], b.name, b.memo, "")
		}
	}
	if u.buyAcct >= 0 {
		u.buy(&g, h.num(tagBuy).rng())
	}
	if r := h.num(tagATM).rng(); u.chk >= 0 && r.intn(1000) < 35 {
		name := "ATM WITHDRAWAL #" + fillDigits("~~~~~~", &r) + " " + atmStreets[r.intn(len(atmStreets))]
		g.emit(u.chk, "ATM", -atmAmounts[r.intn(len(atmAmounts))], name, "CASH WITHDRAWAL", "")
		if r.percent(35) {
			g.emit(u.chk, "FEE", -250-50*int64(r.intn(2)), "NON-NETWORK ATM FEE", "", "")
		}
	}
	if dom == mp.last {
		for a, fee := range u.srvchg {
			if fee > 0 {
				g.emit(a, "SRVCHG", -fee, "MONTHLY SERVICE FEE", "", "")
			}
		}
		for a, bps := range u.rate {
			if c := monthInterest(u.openCents[a]+u.cur[a], bps); c > 0 {
				g.emit(a, "INT", c, "INTEREST PAYMENT", "", "")
			}
		}
	}

	for a := range u.logs {
		l := &u.logs[a]
		l.ends = append(l.ends, int32(len(l.recs)))
		l.bal = append(l.bal, u.cur[a])
	}
	u.days++
}

// payCards pays each card what it owed at the end of the statement day
// (the 20th): in full most months, else a part in whole dollars. The
// payment leaves first checking when there is one, in both accounts the
// same day; otherwise it arrives on the card alone.
func (u *userBook) payCards(g *dayGen, h genHash, statement Day) {
	for c, a := range u.accts {
		if a.Type != CreditCard {
			continue
		}
		owed := -(u.openCents[c] + u.balAt(c, statement))
		if owed <= 0 {
			continue
		}
		r := h.num(tagCardPay).num(uint64(c)).rng()
		amt := owed
		if r.percent(20) {
			amt = max(min(owed, 2500), owed*r.between(30, 90)/100/100*100)
		}
		if u.chk < 0 {
			g.emit(c, "CREDIT", amt, "ONLINE PAYMENT", "THANK YOU", "")
			continue
		}
		g.emit(u.chk, "DEBIT", -amt, "PAYMENT TO CREDIT CARD "+u.mask[c], "ONLINE PAYMENT", "")
		g.emit(c, "CREDIT", amt, "PAYMENT - THANK YOU", "", "")
	}
}

var buyCounts = [...]int{30, 35, 22, 13} // percent of days with 0, 1, 2, 3 purchases

// buy makes the day's everyday purchases.
func (u *userBook) buy(g *dayGen, r genRand) {
	n, roll := 0, r.intn(100)
	for roll >= buyCounts[n] {
		roll -= buyCounts[n]
		n++
	}
	for range n {
		ci, roll := 0, r.intn(100)
		for roll >= categories[ci].weight {
			roll -= categories[ci].weight
			ci++
		}
		c := &categories[ci]
		shop := u.shops[ci][r.intn(len(u.shops[ci]))]
		name := shop.name
		if shop.suffix > 0 {
			name = orderRef(name, shop.suffix, &r)
		}
		span := c.hi - c.lo
		cents := c.lo + min(r.between(0, span), r.between(0, span))
		g.emit(u.buyAcct, u.buyType, -cents, name, u.buyMemo, "")
	}
}

// dayGen posts a day's transactions.
type dayGen struct {
	u      *userBook
	day    Day
	prefix string // the day as YYYYMMDD
}

// emit posts a transaction to account a. Its FITID is the day and its
// sequence in the account that day: 202611240003.
func (g *dayGen) emit(a int, typ string, cents int64, name, memo, check string) {
	u := g.u
	u.seq[a]++
	s := u.seq[a]
	fitid := make([]byte, 0, len(g.prefix)+4)
	fitid = append(fitid, g.prefix...)
	fitid = append(fitid, byte('0'+s/1000%10), byte('0'+s/100%10), byte('0'+s/10%10), byte('0'+s%10))
	l := &u.logs[a]
	l.recs = append(l.recs, bookTxn{day: g.day, typ: typ, cents: cents, fitid: string(fitid), name: name, memo: memo, check: check})
	u.cur[a] += cents
}

// check posts check number checkBase+slot from first checking. Slots are
// three a month from Start's month: rent first, then others by day.
func (g *dayGen) check(slot int, cents int64) {
	n := strconv.Itoa(g.u.checkBase + slot)
	g.emit(g.u.chk, "CHECK", -cents, "CHECK "+n, "", n)
}
