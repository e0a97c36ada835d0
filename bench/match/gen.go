package main

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed/internal/match"
)

// Mode is how the bank delivers lines.
type Mode string

// Delivery modes.
const (
	Daily   Mode = "daily"   // every account, every day, its last 7–30 days
	Monthly Mode = "monthly" // the month's statement, a few days' overlap with the last
)

// Noise is what the generator does to the bank's side of the truth.
type Noise struct {
	Name            string
	RekeyRate       float64 // share of posted lines whose id changes on a later delivery
	RelinkDay       int     // from this day (counted from the start) every id of the checking account changes; 0 never
	DateShiftRate   float64 // share of lines a later delivery dates 1–2 days off
	PendingRate     float64 // share of purchases delivered pending first (daily mode only: statements carry no pending)
	PendingLinkRate float64 // share of posted lines that name their pending line (PendingOf)
	TipRate         float64 // share of pending restaurant and ride lines that post with a tip
	TwinRate        float64 // share of purchases made twice the same day for the same amount
	ManualRate      float64 // share of events the bookkeeper types (checks are always typed)
	LateCheckRate   float64 // share of checks cashed 21–60 days after they are written (others 3–14)
	TransferRate    float64 // transfers between checking and savings a day (card payments come monthly besides)
	Mode            Mode
}

// noises are the named settings. "tuning" is the only one the engine may be
// tuned on (with seeds 1–10); the others are held out.
var noises = map[string]Noise{
	"tuning": {Name: "tuning", RekeyRate: 0.02, RelinkDay: 120, DateShiftRate: 0.03,
		PendingRate: 0.3, PendingLinkRate: 0.5, TipRate: 0.5, TwinRate: 0.02,
		ManualRate: 0.15, LateCheckRate: 0.2, TransferRate: 0.1},
	"churn": {Name: "churn", RekeyRate: 0.10, RelinkDay: 90, DateShiftRate: 0.05,
		PendingRate: 0.6, PendingLinkRate: 0.3, TipRate: 0.8, TwinRate: 0.03,
		ManualRate: 0.15, LateCheckRate: 0.2, TransferRate: 0.1},
	"quiet": {Name: "quiet", PendingRate: 0.1, PendingLinkRate: 0.9, TipRate: 0.2, TwinRate: 0.01,
		ManualRate: 0.1, LateCheckRate: 0.05, TransferRate: 0.1},
	"heavy-manual": {Name: "heavy-manual", RekeyRate: 0.02, RelinkDay: 150, DateShiftRate: 0.03,
		PendingRate: 0.3, PendingLinkRate: 0.5, TipRate: 0.5, TwinRate: 0.02,
		ManualRate: 0.6, LateCheckRate: 0.5, TransferRate: 0.15},
}

// heldOut are the settings reported by default, in order.
var heldOut = []string{"churn", "quiet", "heavy-manual"}

// Kind is what an event is.
type Kind uint8

// Event kinds.
const (
	Purchase Kind = iota
	Bill
	Check
	Transfer
)

var kindNames = [...]string{"purchase", "bill", "check", "transfer"}

// Event is one true transaction of the business.
type Event struct {
	ID       int
	Kind     Kind
	Day      match.Day // made, written or sent
	Payee    string    // the bookkeeper's name for it; "" for a transfer
	Category string    // the other side: a category, or for a transfer the in-account's ledger name
	Legs     []Leg     // one per own account it touches; a transfer has two, out first
}

// Leg is an event's amount in one own account, as the bank finally posts it.
type Leg struct {
	Account int64
	Amount  int64
}

// LegRef names the truth behind a line or a split: an event's leg in an account.
type LegRef struct {
	Event   int
	Account int64
}

// Record is one line as the bank delivers it, possibly many times.
type Record struct {
	Truth     LegRef
	Account   int64
	Pending   bool
	Day       match.Day // its date as first delivered
	Amount    int64
	Text      string
	Check     string
	PendingOf string // a posted line's pending line's id, when the bank says
	// Delivered on days in [From, Until); Until 0 means for ever.
	From, Until match.Day
	ids         []idVersion // its id from each day on, ascending
	shiftAt     match.Day   // from this day its date is off by shiftBy; 0 never
	shiftBy     match.Day
	relinkAt    match.Day // from this day every id of its account is new; 0 never
}

type idVersion struct {
	from match.Day
	id   string
}

// IDAt is the id the bank gives the record on day t.
func (r *Record) IDAt(t match.Day) string {
	id := r.ids[0].id
	for _, v := range r.ids[1:] {
		if t >= v.from {
			id = v.id
		}
	}
	if r.relinkAt != 0 && t >= r.relinkAt {
		h := fnv.New32a()
		h.Write([]byte(id))
		id = fmt.Sprintf("RL%08X", h.Sum32())
	}
	return id
}

// DayAt is the date the bank gives the record on day t.
func (r *Record) DayAt(t match.Day) match.Day {
	if r.shiftAt != 0 && t >= r.shiftAt {
		return r.Day + r.shiftBy
	}
	return r.Day
}

// Manual is an entry the bookkeeper types into the books.
type Manual struct {
	Event   int
	TypeDay match.Day // the day it is typed; with After, the day its first bank line arrives
	After   bool      // typed after the bank line arrived, the same day
	Day     match.Day
	Payee   string
	Check   string
	Legs    []Leg // bank-side splits: one, or two for a transfer
}

// World is one seed's truth and what the bank makes of it.
type World struct {
	Seed    uint64
	Noise   Noise
	Days    int
	Start   match.Day
	End     match.Day // the last day anything is delivered
	Events  []Event
	Records []*Record
	Manuals []Manual
	window  map[int64]int // daily: how many days back each account delivers
	stmts   []statement   // monthly
}

type statement struct {
	account      int64
	from, to, on match.Day
}

// Delivered is a record as one delivery carries it.
type Delivered struct {
	Rec *Record
	ID  string
	Day match.Day
}

// Bundle is one account's delivery of a day.
type Bundle struct {
	Account  int64
	From, To match.Day
	Records  []Delivered
}

var startDay = match.Day(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400)

// Generate builds the world of a seed: events over days, the records the
// bank delivers for them under noise, and the entries the bookkeeper types.
func Generate(seed uint64, days int, noise Noise) *World {
	if noise.Mode == "" {
		noise.Mode = Daily
	}
	g := &gen{
		r:      rand.New(rand.NewPCG(seed, 0x6d61746368)),
		stores: map[string][]int{},
		w:      &World{Seed: seed, Noise: noise, Days: days, Start: startDay, window: map[int64]int{}},
	}
	g.run()
	return g.w
}

type gen struct {
	r       *rand.Rand
	w       *World
	stores  map[string][]int // payee → its store numbers
	seq     int
	checkNo int
	refs    int
}

func (g *gen) chance(p float64) bool  { return p > 0 && g.r.Float64() < p }
func (g *gen) between(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

func (g *gen) run() {
	w := g.w
	for _, a := range accounts {
		w.window[a] = g.between(7, 30)
	}
	g.checkNo = 1000 + g.r.IntN(500)
	weights := 0
	for _, p := range shops {
		weights += p.weight
	}
	for i := range w.Days {
		day := w.Start + match.Day(i)
		date := time.Unix(int64(day)*86400, 0).UTC()
		dom := date.Day()
		for _, b := range bills {
			if (b.dom != 0 && b.dom == dom) || (b.every != 0 && i >= b.first && (i-b.first)%b.every == 0) {
				amt := g.amount(&b.payee)
				if !b.income {
					amt = -amt
				}
				g.event(Bill, day, b.name, b.category, &b.payee, amt)
			}
		}
		n := []int{0, 1, 1, 2, 2, 2, 3}[g.r.IntN(7)]
		for range n {
			k := g.r.IntN(weights)
			var p *payee
			for j := range shops {
				if k < shops[j].weight {
					p = &shops[j]
					break
				}
				k -= shops[j].weight
			}
			g.purchase(day, p)
		}
		if g.chance(0.08) {
			g.check(day)
		}
		if g.chance(w.Noise.TransferRate) {
			amt := int64(g.between(1, 20)) * 5000
			if g.chance(0.75) {
				g.transfer(day, checking, savings, amt, toSavings)
			} else {
				g.transfer(day, savings, checking, amt, fromSavings)
			}
		}
		if dom == 25 {
			g.transfer(day, checking, card, int64(g.between(40000, 250000)), cardPayments)
		}
	}
	g.schedule()
}

func (g *gen) amount(p *payee) int64 {
	if len(p.prices) > 0 {
		return p.prices[g.r.IntN(len(p.prices))]
	}
	return p.min + g.r.Int64N(p.max-p.min+1)
}

// text fills one of a payee's descriptor templates: a card mask, and a
// number that is the purchase's own reference (an order or ride) or one of
// the payee's 1–3 stores (a biller's one customer id).
func (g *gen) text(p *payee) string {
	s := strings.ReplaceAll(p.texts[g.r.IntN(len(p.texts))], "%m", "XXXX1234")
	if !strings.Contains(s, "%s") {
		return s
	}
	var n int
	if p.refs {
		n = g.r.IntN(10000)
	} else {
		stores := g.stores[p.name]
		if stores == nil {
			for range g.between(1, 3) {
				stores = append(stores, g.r.IntN(10000))
			}
			g.stores[p.name] = stores
		}
		n = stores[g.r.IntN(len(stores))]
	}
	return strings.Replace(s, "%s", fmt.Sprintf("%04d", n), 1)
}

func (g *gen) newEvent(kind Kind, day match.Day, payee, category string, legs ...Leg) *Event {
	w := g.w
	w.Events = append(w.Events, Event{ID: len(w.Events), Kind: kind, Day: day, Payee: payee, Category: category, Legs: legs})
	return &w.Events[len(w.Events)-1]
}

func (g *gen) id(day match.Day) string {
	g.seq++
	return fmt.Sprintf("%s%06d", strings.ReplaceAll(day.String(), "-", ""), g.seq)
}

func (g *gen) record(ev *Event, leg Leg, day match.Day, amount int64, text string) *Record {
	r := &Record{Truth: LegRef{ev.ID, leg.Account}, Account: leg.Account, Day: day, Amount: amount, Text: text, From: day}
	r.ids = []idVersion{{id: g.id(day)}}
	g.w.Records = append(g.w.Records, r)
	return r
}

// event adds a bill: one leg, posted the day it is due, typed at ManualRate
// (a few days early: a bill arrives before it is paid).
func (g *gen) event(kind Kind, day match.Day, name, category string, p *payee, amt int64) {
	ev := g.newEvent(kind, day, name, category, Leg{p.account, amt})
	g.record(ev, ev.Legs[0], day, amt, g.text(p))
	if g.chance(g.w.Noise.ManualRate) {
		m := Manual{Event: ev.ID, TypeDay: day - match.Day(g.r.IntN(4)), Day: day, Payee: name, Legs: ev.Legs}
		if g.chance(0.5) {
			m.After = true
		}
		g.w.Manuals = append(g.w.Manuals, m)
	}
}

// purchase adds a purchase (and at TwinRate its twin): posted 0–2 days
// later, or delivered pending first and posted 1–3 days later with a new id,
// maybe a tip.
func (g *gen) purchase(day match.Day, p *payee) {
	nz := g.w.Noise
	amt := g.amount(p)
	text := g.text(p)
	copies := 1
	if g.chance(nz.TwinRate) {
		copies = 2
	}
	pending := g.chance(nz.PendingRate)
	tip := int64(0)
	if pending && p.tips && g.chance(nz.TipRate) {
		tip = amt * int64(g.between(15, 25)) / 100
	}
	lag := match.Day(g.between(0, 2))
	if pending {
		lag = match.Day(g.between(1, 3))
	}
	manual := g.chance(nz.ManualRate)
	after := g.chance(0.5)
	typed := -(amt + tip)
	if p.fee > 0 {
		// The bank adds its fee; the bookkeeper types the cash taken.
		amt += p.fee
	} else if manual && g.chance(0.05) {
		amt += int64(g.between(50, 300)) // a foreign or convenience fee the receipt did not show
	}
	for range copies {
		ev := g.newEvent(Purchase, day, p.name, p.category, Leg{p.account, -(amt + tip)})
		posted := g.record(ev, ev.Legs[0], day+lag, -(amt + tip), text)
		if pending {
			pr := g.record(ev, ev.Legs[0], day, -amt, text)
			pr.Pending = true
			pr.Until = posted.From
			if g.chance(nz.PendingLinkRate) {
				posted.PendingOf = pr.ids[0].id
			}
		}
		if manual {
			g.w.Manuals = append(g.w.Manuals, Manual{Event: ev.ID, TypeDay: day, After: after, Day: day,
				Payee: p.name, Legs: []Leg{{p.account, typed}}})
		}
	}
}

// check adds a check written today, typed today, cashed 3–14 days later or,
// at LateCheckRate, 21–60.
func (g *gen) check(day match.Day) {
	p := &checkPayees[g.r.IntN(len(checkPayees))]
	amt := -g.amount(p)
	g.checkNo++
	no := fmt.Sprint(g.checkNo)
	ev := g.newEvent(Check, day, p.name, p.category, Leg{checking, amt})
	lag := g.between(3, 14)
	if g.chance(g.w.Noise.LateCheckRate) {
		lag = g.between(21, 60)
	}
	r := g.record(ev, ev.Legs[0], day+match.Day(lag), amt, "CHECK "+no)
	r.Check = no
	g.w.Manuals = append(g.w.Manuals, Manual{Event: ev.ID, TypeDay: day, Day: day, Payee: p.name, Check: no, Legs: ev.Legs})
}

// transfer moves amt from one own account to another: the in leg posts 0–2
// days after the out leg.
func (g *gen) transfer(day match.Day, from, to int64, amt int64, texts [][2]string) {
	ev := g.newEvent(Transfer, day, "", accountNames[to], Leg{from, -amt}, Leg{to, amt})
	t := texts[g.r.IntN(len(texts))]
	g.refs++
	ref := fmt.Sprintf("%07d", 1000000+g.r.IntN(9000000))
	out := strings.Replace(t[0], "%s", ref, 1)
	in := strings.Replace(t[1], "%s", ref, 1)
	g.record(ev, ev.Legs[0], day, -amt, out)
	g.record(ev, ev.Legs[1], day+match.Day(g.between(0, 2)), amt, in)
	if g.chance(g.w.Noise.ManualRate) {
		g.w.Manuals = append(g.w.Manuals, Manual{Event: ev.ID, TypeDay: day, After: g.chance(0.5), Day: day, Legs: ev.Legs})
	}
}

// schedule sets re-keys, date shifts and the re-link on the records, and
// when each account delivers.
func (g *gen) schedule() {
	w := g.w
	nz := w.Noise
	last := w.Start
	for _, r := range w.Records {
		if !r.Pending && g.chance(nz.RekeyRate) {
			g.seq++
			r.ids = append(r.ids, idVersion{from: r.From + match.Day(g.between(1, 5)), id: fmt.Sprintf("K%X%05d", g.r.Uint32(), g.seq)})
		}
		if g.chance(nz.DateShiftRate) {
			r.shiftAt = r.From + match.Day(g.between(1, 5))
			r.shiftBy = match.Day(g.between(1, 2))
			if g.chance(0.5) {
				r.shiftBy = -r.shiftBy
			}
		}
		if nz.RelinkDay > 0 && r.Account == checking {
			r.relinkAt = w.Start + match.Day(nz.RelinkDay)
		}
		if r.From > last {
			last = r.From
		}
	}
	if nz.Mode == Daily {
		w.End = last + 7
		return
	}
	for _, a := range accounts {
		from := w.Start
		for m := 0; ; m++ {
			t := time.Unix(int64(w.Start)*86400, 0).UTC().AddDate(0, m+1, 0)
			to := match.Day(t.Unix()/86400) - 1
			st := statement{account: a, from: from, to: to, on: to + match.Day(g.between(1, 3))}
			w.stmts = append(w.stmts, st)
			w.End = max(w.End, st.on)
			if to >= last {
				break
			}
			from = to + 1 - match.Day(g.between(2, 4))
		}
	}
}

// Deliveries are what the bank delivers on day t, one bundle per account.
func (w *World) Deliveries(t match.Day) []Bundle {
	var out []Bundle
	add := func(a int64, from, to match.Day, pending bool) {
		b := Bundle{Account: a, From: from, To: to}
		for _, r := range w.Records {
			if r.Account != a || r.From > t || (r.Until != 0 && t >= r.Until) || (r.Pending && !pending) {
				continue
			}
			if d := r.DayAt(t); d >= from && d <= to {
				b.Records = append(b.Records, Delivered{Rec: r, ID: r.IDAt(t), Day: d})
			}
		}
		out = append(out, b)
	}
	if w.Noise.Mode == Daily {
		for _, a := range accounts {
			add(a, t-match.Day(w.window[a])+1, t, true)
		}
		return out
	}
	for _, s := range w.stmts {
		if s.on == t {
			add(s.account, s.from, s.to, false)
		}
	}
	return out
}
