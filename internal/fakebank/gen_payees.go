package fakebank

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/bankfeed/bankfeed"
	"golang.org/x/text/unicode/norm"
)

// What a user pays, to whom and when: the payees of generated history, and
// each user's and month's plan drawn from them.
//
// Payees are named as US banks print them. In a name, each
// "~" becomes a digit of the user's own store number; a merchant with a
// suffix gets that many random letters and digits per purchase, as Amazon
// order references do. Every name is printable ASCII of at most 32
// characters (OFX 1.x NAME).

// merchant is one place a user spends at.
type merchant struct {
	name   string
	suffix int
}

// category is a kind of everyday purchase: how often it comes up (weight)
// and what it costs, in cents.
type category struct {
	weight int
	lo, hi int64
	shops  []merchant
}

var categories = []category{
	{25, 1800, 16500, []merchant{{"WHOLEFDS MKT #~~~~~", 0}, {"TRADER JOE S #~~~", 0},
		{"SAFEWAY #~~~~", 0}, {"KROGER #~~~", 0}, {"PUBLIX SUPER MAR ~~~~", 0},
		{"WAL-MART #~~~~", 0}, {"H-E-B #~~~", 0}, {"ALDI ~~~~~", 0}}},
	{20, 1200, 8500, []merchant{{"CHIPOTLE ~~~~", 0}, {"PANERA BREAD #~~~~~~", 0},
		{"TST* SHAKE SHACK ~~~", 0}, {"OLIVE GARDEN ~~~~", 0}, {"DOORDASH*THAI BASIL", 0},
		{"MCDONALDS F~~~~~", 0}, {"SWEETGREEN ~~~", 0}}},
	{15, 350, 975, []merchant{{"STARBUCKS STORE ~~~~~", 0}, {"DUNKIN #~~~~~~", 0},
		{"PEETS COFFEE ~~~~~", 0}, {"SQ *BLUE BOTTLE COFFEE", 0}}},
	{10, 2800, 7200, []merchant{{"SHELL OIL ~~~~~~~~", 0}, {"CHEVRON ~~~~~~~", 0},
		{"EXXONMOBIL ~~~~~~~~", 0}, {"BP#~~~~~~~", 0}}},
	{6, 600, 4800, []merchant{{"CVS/PHARMACY #~~~~~", 0}, {"WALGREENS #~~~~~", 0},
		{"RITE AID ~~~~~", 0}}},
	{15, 800, 12000, []merchant{{"AMAZON.COM*", 6}, {"AMZN MKTP US*", 6},
		{"TARGET.COM *", 5}, {"BESTBUY.COM ~~~~~~~~", 0}, {"BARNES & NOBLE #~~~~", 0}}},
	{9, 900, 4200, []merchant{{"UBER TRIP HELP.UBER.COM", 0}, {"LYFT   *RIDE", 0}}},
}

// billKind is a monthly bill a user may have. A user with the bill picks one
// of names and one of amounts (cents); a variable bill (electricity) costs
// between amounts[0] and amounts[1], new each month. Subscriptions go on the
// card when there is one; the rest are paid from checking.
type billKind struct {
	chance   int // percent of users with it
	names    []string
	amounts  []int64
	variable bool
	sub      bool
}

var billKinds = []billKind{
	{100, []string{"CON ED OF NY INTELL CK", "PGANDE WEB ONLINE", "DUKE ENERGY PAYMENT",
		"COMED ELEC PMT", "FPL DIRECT DEBIT", "GEORGIA POWER BILL PAY"}, []int64{5500, 19000}, true, false},
	{100, []string{"COMCAST CABLE COMM", "SPECTRUM", "VERIZON FIOS", "AT&T INTERNET", "COX COMM SVCS"},
		[]int64{4999, 5999, 6499, 7999, 8999}, false, false},
	{100, []string{"VERIZON WIRELESS", "T-MOBILE AUTOPAY", "AT&T MOBILITY", "GOOGLE *FI"},
		[]int64{4500, 6500, 8000, 9500, 12000}, false, false},
	{70, []string{"GEICO AUTO", "STATE FARM RO 27 SFPP", "PROGRESSIVE INS", "ALLSTATE INS CO PREM"},
		[]int64{9000, 11800, 14200, 17600, 22000}, false, false},
	{50, []string{"PLANET FITNESS", "LA FITNESS", "24 HOUR FITNESS", "EQUINOX #~~~"},
		[]int64{1000, 2499, 3999, 4499}, false, true},
}

// subscription is a streaming service at its monthly price.
type subscription struct {
	name  string
	cents int64
}

var subscriptions = []subscription{
	{"NETFLIX.COM", 1549}, {"SPOTIFY USA", 1199}, {"HULU 877-8244858", 1799},
	{"DISNEY PLUS", 1399}, {"MAX.COM", 1699}, {"YOUTUBEPREMIUM", 1399}, {"APPLE.COM/BILL", 299},
}

// employers pay users whose scenario names none.
var employers = []string{"ACME CORP PAYROLL", "INITECH INC PAYROLL", "GLOBEX CORP DIR DEP",
	"UMBRELLA HEALTH PAYROLL", "STARK IND PAYROLL", "WAYNE ENTERPRISES PPD",
	"HOOLI INC PAYROLL", "CITY OF SPRINGFIELD PAYRL", "GUSTO PAY 123456", "NORTHWIND TRADERS PAYROLL"}

var atmStreets = []string{"MAIN ST", "5TH AVE", "MARKET ST", "BROADWAY", "ELM ST", "OAK AVE"}

var atmAmounts = []int64{4000, 6000, 8000, 10000, 12000, 20000}

// Limits of OFX 1.x text elements.
const (
	maxName = 32
	maxMemo = 255
)

// bankText makes s what a bank prints: accents dropped, upper case,
// printable ASCII only, single spaces, at most n characters.
func bankText(s string, n int) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case r < 0x21 || r > 0x7e:
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	out := b.String()
	if len(out) > n {
		out = strings.TrimRight(out[:n], " ")
	}
	return out
}

// payrollName is the NAME of a user's paychecks.
func payrollName(employer string) string {
	name := bankText(employer, maxName)
	if name == "" {
		return ""
	}
	if strings.Contains(name, "PAYROLL") || strings.Contains(name, "DIR DEP") {
		return name
	}
	return bankText(name+" PAYROLL", maxName)
}

// last4 returns the last four letters or digits of an account ID, as banks
// show the other side of a transfer.
func last4(id string) string {
	var keep []byte
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			keep = append(keep, c)
		}
	}
	if len(keep) > 4 {
		keep = keep[len(keep)-4:]
	}
	return strings.ToUpper(string(keep))
}

// digits replaces each "~" of a name with a random digit.
func fillDigits(name string, r *genRand) string {
	if !strings.Contains(name, "~") {
		return name
	}
	b := []byte(name)
	for i, c := range b {
		if c == '~' {
			b[i] = byte('0' + r.intn(10))
		}
	}
	return string(b)
}

// orderRef appends n random upper-case letters and digits to name.
func orderRef(name string, n int, r *genRand) string {
	const alnum = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	b := make([]byte, len(name), len(name)+n)
	copy(b, name)
	for range n {
		b = append(b, alnum[r.intn(len(alnum))])
	}
	return string(b)
}

// opening returns an account's opening balance and its cents: the
// scenario's, or made up from the seed (a card owes nothing).
func openingOf(seed uint64, inst string, a *Account) (bankfeed.Decimal, int64) {
	if a.Opening != nil {
		return *a.Opening, centsOf(*a.Opening)
	}
	r := acctHash(seed, inst, a.ID).num(tagOpening).rng()
	var c int64
	switch a.Type {
	case Checking:
		c = r.between(150000, 600000)
	case Savings:
		c = r.between(500000, 2500000)
	}
	return bankfeed.NewDecimal(c, 2), c
}

// centsOf returns d in cents, cut toward zero past two places and kept
// within ±10^14 so that sums and interest cannot overflow.
func centsOf(d bankfeed.Decimal) int64 {
	const limit = 1e14
	c, ok := d.MinorUnits(2)
	if !ok {
		s, neg := strings.CutPrefix(d.String(), "-")
		whole, frac, _ := strings.Cut(s, ".")
		var err error
		if c, err = strconv.ParseInt(whole+(frac + "00")[:2], 10, 64); err != nil {
			c = limit
		}
		if neg {
			c = -c
		}
	}
	return max(-limit, min(c, limit))
}

// interest is a month of interest at bps a year on bal cents, rounded half
// up, at least a cent on a positive balance.
func monthInterest(bal, bps int64) int64 {
	if bal <= 0 || bps <= 0 {
		return 0
	}
	return max(1, (bal*bps+60000)/120000)
}

// businessDay moves a weekend day of the month to the Monday after, or to
// the Friday before when the Monday is in the next month.
func businessDay(y int, m time.Month, dom, last int) int {
	switch DateOf(y, m, dom).Weekday() {
	case time.Saturday:
		if dom+2 <= last {
			return dom + 2
		}
		return dom - 1
	case time.Sunday:
		if dom+1 <= last {
			return dom + 1
		}
		return dom - 2
	}
	return dom
}

// userPlan is what a user's history keeps from month to month, fixed from the
// seed when the Book is made.
type userPlan struct {
	start     Day
	hash      genHash
	accts     []*Account
	open      []bankfeed.Decimal
	openCents []int64
	mask      []string // "XXXX1234": an account as the other side shows it
	srvchg    []int64  // monthly service charge of each account, or 0
	rate      []int64  // interest of each savings account, basis points a year

	chk, sav, card int // the first checking, savings and card, or -1

	pay              int64
	payName, payMemo string
	rent             int64
	checkBase        int
	buyAcct          int // where everyday purchases go, or -1
	buyType, buyMemo string
	shops            [][]merchant // per category, with the user's store numbers
	bills            []billPlan
	xfers            []xferPlan
}

type billPlan struct {
	acct            int
	dom             int
	name, typ, memo string
	cents           int64 // fixed amount
	lo, hi          int64 // range of a variable amount, when hi > 0
}

// xferPlan is a monthly transfer between two accounts of the user.
type xferPlan struct {
	from, to, dom   int
	cents           int64
	outName, inName string
}

var savingsRates = []int64{40, 100, 350, 425}

func newUserBook(seed uint64, start Day, in *Institution, u *User) *userBook {
	p := userPlan{start: start, chk: -1, sav: -1, card: -1, buyAcct: -1}
	p.hash = fnvOffset.num(seed).str(in.ID).num(kindUser).str(u.ID)
	for _, a := range u.Accounts {
		if a == nil {
			continue
		}
		i := len(p.accts)
		p.accts = append(p.accts, a)
		d, c := openingOf(seed, in.ID, a)
		p.open, p.openCents = append(p.open, d), append(p.openCents, c)
		p.mask = append(p.mask, "XXXX"+last4(a.ID))
		ar := acctHash(seed, in.ID, a.ID).num(tagPlan).rng()
		var fee, rate int64
		switch a.Type {
		case Checking:
			p.chk = firstOf(p.chk, i)
			if ar.percent(30) {
				fee = 1200 + 300*int64(ar.intn(2))
			}
		case Savings:
			p.sav = firstOf(p.sav, i)
			rate = savingsRates[ar.intn(len(savingsRates))]
		case CreditCard:
			p.card = firstOf(p.card, i)
		}
		p.srvchg, p.rate = append(p.srvchg, fee), append(p.rate, rate)
	}

	r := p.hash.num(tagPlan).rng()
	p.pay = r.between(180000, 320000)
	if u.Pay != nil {
		p.pay = centsOf(*u.Pay)
	}
	p.payName = employers[r.intn(len(employers))]
	if n := payrollName(u.Employer); n != "" {
		p.payName = n
	}
	p.payMemo = "DIRECT DEP PPD ID: " + fillDigits("~~~~~~~~~~", &r)
	p.rent = max(2500, p.pay*r.between(35, 55)/100/2500*2500)
	p.checkBase = 1001 + r.intn(4000)
	for _, c := range categories {
		shops := make([]merchant, len(c.shops))
		for k, m := range c.shops {
			shops[k] = merchant{fillDigits(m.name, &r), m.suffix}
		}
		p.shops = append(p.shops, shops)
	}
	switch {
	case p.card >= 0:
		p.buyAcct, p.buyType = p.card, "DEBIT"
	case p.chk >= 0:
		style := fnvOffset.num(seed).num(kindInst).str(in.ID).num(tagStyle).rng()
		p.buyAcct, p.buyType = p.chk, "POS"
		p.buyMemo = [...]string{"POS PURCHASE", "DEBIT CARD PURCHASE"}[style.intn(2)]
	}

	for _, k := range billKinds {
		has := r.percent(k.chance)
		b := billPlan{name: fillDigits(k.names[r.intn(len(k.names))], &r), dom: 1 + r.intn(28)}
		if k.variable {
			b.lo, b.hi = k.amounts[0], k.amounts[1]
		} else {
			b.cents = k.amounts[r.intn(len(k.amounts))]
		}
		if has {
			p.addBill(b, k.sub)
		}
	}
	first, n := r.intn(len(subscriptions)), 1+r.intn(3)
	for j := range n {
		s := subscriptions[(first+j)%len(subscriptions)]
		p.addBill(billPlan{name: s.name, cents: s.cents, dom: 1 + r.intn(28)}, true)
	}

	if p.chk >= 0 && p.sav >= 0 {
		p.addXfer(p.chk, p.sav, 2+r.intn(27), max(2500, p.pay/5/2500*2500))
	}
	for i, a := range p.accts {
		ar := acctHash(seed, in.ID, a.ID).num(tagSub).rng()
		switch {
		case a.Type == CreditCard && i != p.card:
			s := subscriptions[ar.intn(len(subscriptions))]
			p.bills = append(p.bills, billPlan{acct: i, dom: 1 + ar.intn(28), name: s.name, typ: "DEBIT", cents: s.cents})
		case a.Type != CreditCard && i != p.chk && i != p.sav:
			from := p.chk
			if from < 0 {
				from = p.sav
			}
			p.addXfer(from, i, 1+ar.intn(28), ar.between(25, 150)*100)
		}
	}
	n = len(p.accts)
	return &userBook{userPlan: p, logs: make([]acctLog, n), cur: make([]int64, n), seq: make([]int, n), month: monthPlan{idx: -1}}
}

func firstOf(cur, i int) int {
	if cur < 0 {
		return i
	}
	return cur
}

// addBill puts a monthly bill on the card (subscriptions) or checking.
func (p *userPlan) addBill(b billPlan, sub bool) {
	switch {
	case sub && p.card >= 0, p.chk < 0 && p.card >= 0:
		b.acct, b.typ = p.card, "DEBIT"
	case p.chk >= 0:
		b.acct, b.typ, b.memo = p.chk, "DIRECTDEBIT", "ACH DEBIT"
	default:
		return
	}
	p.bills = append(p.bills, b)
}

func (p *userPlan) addXfer(from, to, dom int, cents int64) {
	name := func(dir string, a int) string {
		return "TRANSFER " + dir + " " + strings.ToUpper(p.accts[a].Type) + " " + p.mask[a]
	}
	p.xfers = append(p.xfers, xferPlan{from, to, dom, cents, name("TO", to), name("FROM", from)})
}

// monthPlan is what a month of a user's history holds, fixed from the seed.
type monthPlan struct {
	y       int
	m       time.Month
	idx     int // months since Start's
	last    int // days in the month
	pay     [2]int
	cardDue int
	rentDay int
	checks  []checkPlan // further checks, in posting order
	bills   []int64     // this month's amount of each bill
}

type checkPlan struct {
	dom   int
	cents int64
}

func (u *userBook) planMonth(y int, m time.Month) monthPlan {
	sy, sm, _ := u.start.Date()
	_, _, last := DateOf(y, m+1, 0).Date()
	mp := monthPlan{y: y, m: m, idx: (y-sy)*12 + int(m-sm), last: last}
	mp.pay = [2]int{businessDay(y, m, 1, last), businessDay(y, m, 15, last)}
	mp.cardDue = businessDay(y, m, 25, last)
	r := u.hash.num(tagMonth).num(uint64(y*12 + int(m))).rng()
	mp.rentDay = businessDay(y, m, 2+r.intn(5), last)
	for range [...]int{0, 0, 1, 1, 2}[r.intn(5)] {
		dom := businessDay(y, m, mp.rentDay+1+r.intn(last-3-mp.rentDay), last)
		cents := r.between(25, 600) * 100
		if r.percent(50) {
			cents += r.between(1, 99)
		}
		mp.checks = append(mp.checks, checkPlan{dom, cents})
	}
	slices.SortStableFunc(mp.checks, func(a, b checkPlan) int { return a.dom - b.dom })
	for _, b := range u.bills {
		amt := b.cents
		if b.hi > 0 {
			amt = r.between(b.lo, b.hi)
		}
		mp.bills = append(mp.bills, amt)
	}
	return mp
}
