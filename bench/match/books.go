package main

import (
	"slices"

	"github.com/bankfeed/bankfeed/internal/match"
	"github.com/bankfeed/bankfeed/internal/rules"
)

// lineState is where a line of the simulated books stands.
type lineState uint8

const (
	stNew      lineState = iota // delivered this round, not planned yet
	stReview                    // in the review queue
	stAdded                     // a new entry was made from it
	stMatched                   // linked to an entry already in the books
	stExcluded                  // kept out of the books
	stMerged                    // the same bank transaction as an earlier line
	stVoided                    // a pending line that never posted
)

// line is a feed line of the simulated books, with the truth behind it
// (which the engine never sees).
type line struct {
	match.Line
	truth LegRef
	state lineState
	split int64 // the split it is linked to, 0 none
	plan  match.LinePlan
	xfer  int64 // the line a suggested transfer pairs it with
	first match.Day

	// metrics
	planned bool      // its first plan was scored for category
	hadTrue bool      // a Batch offered it its true open entry
	autoOK  bool      // auto-matched to its true entry
	touched bool      // the user decided about it
	by      string    // who linked it: "auto", "suggested" (the user confirmed the engine's suggestion), "user"
	booked  match.Day // the day it was linked
}

// split is a bank-side split of an entry: the leg of an entry in a feed
// account's ledger account.
type split struct {
	match.Entry
	entry int   // the entry it belongs to
	line  int64 // linked line, 0 while open
	truth LegRef
}

// entry is one transaction of the books.
type entry struct {
	id       int
	origin   string // "user", "feed" (added from a line), "transfer", "rule"
	event    int    // the true event it stands for
	category string
	splits   []int64
	removed  bool
}

// Books stand in for the store and the review service: feed lines with
// alias sets, exact-id dedupe, the review queue, entries with bank-side
// splits, and the Learner that the user's confirmations teach.
type Books struct {
	w       *World
	lines   map[int64]*line
	order   []int64                      // line keys in creation order
	ids     map[int64]map[string][]int64 // account → id → lines holding it
	splits  map[int64]*split
	entries []*entry
	learner learner
	labeler match.Labeler
	pairs   map[[2]int64]bool // account pairs whose transfers the user confirmed
	nextKey int64
	today   match.Day // the day of the round under way

	// the user's side
	typed     map[int]bool      // manual entries typed, by index
	arrived   map[int]match.Day // event → the day its first line arrived
	confirmed map[string]int    // payee → decisions confirmed
	m         *Metrics
}

// NewBooks returns empty books for world w, recording into m.
func NewBooks(w *World, m *Metrics) *Books {
	b := &Books{
		w:      w,
		lines:  map[int64]*line{},
		ids:    map[int64]map[string][]int64{},
		splits: map[int64]*split{},
		pairs:  map[[2]int64]bool{},
		m:      m,

		typed:     map[int]bool{},
		arrived:   map[int]match.Day{},
		confirmed: map[string]int{},
	}
	b.learner = learner{Learner: rules.NewLearner(), b: b}
	b.labeler = &rules.Labeler{Learner: b.learner.Learner, AccountName: accountName}
	return b
}

// learner is the Learner the person's confirmations teach. A confirmation
// that changes the learned category rules (a payee's category settled by
// CategoryVotes of its last votes, or changed) plans the open queue again
// at once, as internal/review does after a decision whose learned rule
// the store writes down (books.WriteLearned): the payee's other lines
// waiting in the queue are added by it, not at the next round.
type learner struct {
	*rules.Learner
	b *Books
}

// Confirm learns from one confirmed decision. Only the decision's payee
// can change its learned category.
func (l learner) Confirm(c rules.Confirmation) {
	before, had := l.Category(c.Payee)
	l.Learner.Confirm(c)
	if after, has := l.Category(c.Payee); has != had || after != before {
		l.b.replan()
	}
}

// replan runs the engine over the open queue (the lines For Review and
// those booked without review that an entry may still claim) on the day
// of the round under way, with no delivery: the round a sync runs, and
// the one internal/review runs after a decision that taught a rule.
func (b *Books) replan() {
	b.round(b.today, nil)
}

func (b *Books) key() int64 { b.nextKey++; return b.nextKey }

// live says the line is still a transaction of its own: not merged or voided.
func (l *line) live() bool { return l.state != stMerged && l.state != stVoided }

// deliver runs exact-id dedupe on one bundle as the store does: a record
// whose id the account knows with the same amount is a duplicate and
// changes nothing; an unknown id, or a known id with another amount (a
// collision), makes a new line.
func (b *Books) deliver(t match.Day, bu Bundle) match.Delivery {
	d := match.Delivery{Account: bu.Account, From: bu.From, To: bu.To}
	known := b.ids[bu.Account]
	if known == nil {
		known = map[string][]int64{}
		b.ids[bu.Account] = known
	}
	for _, r := range bu.Records {
		d.Present = append(d.Present, r.ID)
		if _, ok := b.arrived[r.Rec.Truth.Event]; !ok {
			b.arrived[r.Rec.Truth.Event] = t
		}
		dup := false
		for _, k := range known[r.ID] {
			if b.lines[k].Amount == r.Rec.Amount {
				dup = true
			}
		}
		b.m.delivered(r.Rec, dup)
		if dup {
			continue
		}
		l := &line{Line: match.Line{
			Key: b.key(), Account: bu.Account, IDs: []string{r.ID}, Day: r.Day, Amount: r.Rec.Amount,
			Text: r.Rec.Text, Check: r.Rec.Check, Pending: r.Rec.Pending, PendingOf: r.Rec.PendingOf,
		}, truth: r.Rec.Truth, state: stNew, first: t}
		b.lines[l.Key] = l
		b.order = append(b.order, l.Key)
		known[r.ID] = append(known[r.ID], l.Key)
		d.New = append(d.New, l.Line)
	}
	return d
}

// queue returns the lines For Review, in creation order.
func (b *Books) queue() []*line {
	var q []*line
	for _, k := range b.order {
		if l := b.lines[k]; l.state == stReview {
			q = append(q, l)
		}
	}
	return q
}

// batch builds the Batch of one round as match.Batch says: stored lines in
// the windows (from 7 days before From) and open pending lines of the
// delivered accounts, the open queue, open splits within 90 days.
func (b *Books) batch(t match.Day, ds []match.Delivery) *match.Batch {
	bt := &match.Batch{
		Today:      t,
		Deliveries: ds,
		Labeler:    b.labeler,
		PayeeOf: func(text string) string {
			p, _ := b.learner.Payee(text)
			return p
		},
		TransferPairs: map[[2]int64]bool{},
	}
	for k, v := range b.pairs {
		bt.TransferPairs[k] = v
	}
	fresh := map[int64]bool{}
	concerned := map[int64]bool{}
	lo, hi := match.Day(1<<30), match.Day(-1<<30)
	see := func(d match.Day) { lo, hi = min(lo, d), max(hi, d) }
	for _, d := range ds {
		concerned[d.Account] = true
		see(d.From)
		see(d.To)
		for _, l := range d.New {
			fresh[l.Key] = true
			see(l.Day)
		}
	}
	for _, k := range b.order {
		l := b.lines[k]
		if fresh[k] || !l.live() {
			continue
		}
		for _, d := range ds {
			if l.Account == d.Account && (l.Pending || (l.Day >= d.From-7 && l.Day <= d.To)) {
				bt.Stored = append(bt.Stored, b.copyLine(l))
				break
			}
		}
	}
	for _, l := range b.queue() {
		bt.Open = append(bt.Open, b.copyLine(l))
		concerned[l.Account] = true
		see(l.Day)
	}
	for _, l := range b.provisional(t) {
		if bt.Provisional == nil {
			bt.Provisional = map[int64]bool{}
		}
		bt.Provisional[l.Key] = true
		bt.Open = append(bt.Open, b.copyLine(l))
		concerned[l.Account] = true
		see(l.Day)
	}
	for _, s := range b.openSplits() {
		if concerned[s.Account] && s.Day >= lo-90 && s.Day <= hi+90 {
			bt.Entries = append(bt.Entries, s.Entry)
		}
	}
	return bt
}

// provisionalDays is how far back lines booked without review are offered
// again to entries typed later (match.Batch.Provisional).
const provisionalDays = 30

// provisional are the lines booked without review that no one confirmed
// since (an auto-add, a leg of an auto-paired transfer), booked within
// provisionalDays of t (as internal/review counts: from the booking, not
// the bank's date), in creation order.
func (b *Books) provisional(t match.Day) []*line {
	var out []*line
	for _, k := range b.order {
		l := b.lines[k]
		if l.by != "auto" || l.touched || l.booked < t-provisionalDays || (l.state != stAdded && l.state != stMatched) {
			continue
		}
		if s := b.splits[l.split]; s != nil && !b.entries[s.entry].removed {
			if o := b.entries[s.entry].origin; o == "rule" || o == "transfer" {
				out = append(out, l)
			}
		}
	}
	return out
}

func (b *Books) copyLine(l *line) match.Line {
	c := l.Line
	c.IDs = slices.Clone(l.IDs)
	return c
}

// openSplits are the bank-side splits no line is linked to, by key.
func (b *Books) openSplits() []*split {
	var out []*split
	for _, e := range b.entries {
		if e.removed {
			continue
		}
		for _, k := range e.splits {
			if s := b.splits[k]; s.line == 0 {
				out = append(out, s)
			}
		}
	}
	return out
}

// round delivers the bundles of day t, asks the engine and applies its
// plan. It returns how many merges the plan made.
func (b *Books) round(t match.Day, bundles []Bundle) int {
	b.today = t
	var ds []match.Delivery
	for _, bu := range bundles {
		ds = append(ds, b.deliver(t, bu))
	}
	bt := b.batch(t, ds)
	if len(bt.Open) == 0 && countNew(ds) == 0 && len(bt.Stored) == 0 {
		return 0
	}
	p := match.Process(bt)
	b.m.entriesOffered(b, bt)
	b.apply(p)
	return len(p.Merges)
}

func countNew(ds []match.Delivery) int {
	n := 0
	for _, d := range ds {
		n += len(d.New)
	}
	return n
}

// apply carries out a plan: merges, voids, auto matches, auto transfers,
// adds and excludes; every other line joins the queue.
func (b *Books) apply(p *match.Plan) {
	for _, m := range p.Merges {
		nl, ol := b.lines[m.New], b.lines[m.Old]
		if nl == nil || ol == nil || nl.state != stNew || !ol.live() {
			b.m.bad("merge of lines %d into %d not in the batch or not live", m.New, m.Old)
			continue
		}
		b.m.merge(b, nl, ol, m)
		nl.state = stMerged
		for _, id := range nl.IDs {
			ks := b.ids[nl.Account][id]
			for i, k := range ks {
				if k == nl.Key {
					ks[i] = ol.Key
				}
			}
			ol.IDs = append(ol.IDs, id)
		}
		// A pending line settles with the posted amount and date, and an
		// entry made from it alone follows (the store's SettlePending); a
		// person's entry is left for them to fix.
		if m.Why == "pending" || m.AmountChanged {
			ol.Amount, ol.Day = nl.Amount, nl.Day
			if s := b.splits[ol.split]; s != nil && b.entries[s.entry].fromFeed() {
				s.Amount, s.Day = nl.Amount, nl.Day
			}
		}
		if m.Why == "pending" {
			ol.Pending = false
		}
	}
	for _, v := range p.Voids {
		l := b.lines[v.Line]
		if l == nil || !l.live() {
			b.m.bad("void of line %d not live", v.Line)
			continue
		}
		b.m.void(b, l)
		b.unlink(l)
		l.state = stVoided
	}
	b.replace(p)
	// As the review service does: auto transfers first, then each line's
	// plan (auto match, exclude, add, or the queue with a proposal).
	for _, lp := range p.Lines {
		if l := b.lines[lp.Line]; l != nil && (l.state == stNew || l.state == stReview) {
			l.plan, l.xfer = lp, 0
			b.m.planned(b, l, lp)
		}
	}
	free := func(l *line) bool { return l.state == stNew || l.state == stReview }
	for _, tr := range p.Transfers {
		out, in := b.lines[tr.Out], b.lines[tr.In]
		switch {
		case out == nil || in == nil:
			b.m.bad("transfer of unknown lines %d, %d", tr.Out, tr.In)
		case !free(out) || !free(in):
			b.m.bad("transfer of lines %d, %d already decided", tr.Out, tr.In)
		case !tr.Auto:
			out.xfer, in.xfer = in.Key, out.Key
		default:
			b.m.transferMade(b, out, in, true)
			b.addTransfer(out, in, "auto")
		}
	}
	for _, lp := range p.Lines {
		l := b.lines[lp.Line]
		if l == nil || !free(l) {
			continue
		}
		switch {
		case lp.Zone == match.ZoneAuto:
			s := b.splits[lp.Entry]
			if s == nil || s.line != 0 {
				b.m.bad("auto match of line %d to split %d that is not open", l.Key, lp.Entry)
				l.state = stReview
				continue
			}
			b.m.autoMatch(b, l, s)
			b.link(l, s, "auto")
			l.state = stMatched
		case lp.Exclude:
			b.m.autoExclude(b, l)
			l.state = stExcluded
		case lp.Add:
			b.m.autoAdd(b, l)
			b.addFrom(l, "rule", lp.Labels.Category, "auto")
		default:
			l.state = stReview
		}
	}
	for _, k := range b.order {
		if l := b.lines[k]; l.state == stNew {
			b.m.bad("line %d had no plan", k)
			l.state = stReview
		}
	}
}

// replace carries out the plans of provisional lines as
// match.Batch.Provisional says: in ZoneAuto the entry made for the line is
// deleted and the line linked to the plan's entry; a possible duplicate
// (LinePlan.Duplicate) loses its made entry too and goes back For Review
// with the plan's entry as its suggestion. The other leg of a deleted auto
// transfer goes For Review unless its own plan links it.
func (b *Books) replace(p *match.Plan) {
	booked := map[int64]bool{} // the provisional lines, before any is replaced
	for _, lp := range p.Lines {
		if l := b.lines[lp.Line]; l != nil && (l.state == stAdded || l.state == stMatched) {
			booked[l.Key] = true
		}
	}
	for _, lp := range p.Lines {
		l := b.lines[lp.Line]
		if !booked[lp.Line] {
			continue
		}
		if lp.Duplicate {
			b.unbook(l)
			l.plan, l.state = lp, stReview
			continue
		}
		if lp.Zone != match.ZoneAuto {
			continue
		}
		s := b.splits[lp.Entry]
		if s == nil || s.line != 0 {
			b.m.bad("provisional line %d replaced by split %d that is not open", l.Key, lp.Entry)
			continue
		}
		b.unbook(l)
		l.plan = lp
		b.m.autoMatch(b, l, s)
		b.link(l, s, "auto")
		l.state = stMatched
	}
}

// unbook deletes the entry made for a line booked without review; the
// other leg of a transfer goes For Review.
func (b *Books) unbook(l *line) {
	if made := b.splits[l.split]; made != nil {
		e := b.entries[made.entry]
		e.removed = true
		for _, k := range e.splits {
			if o := b.lines[b.splits[k].line]; o != nil && o != l {
				o.split, o.state, o.by = 0, stReview, ""
			}
			b.splits[k].line = 0
		}
	}
	l.split, l.by = 0, ""
}

// link ties a line to an open split; by says who did.
func (b *Books) link(l *line, s *split, by string) {
	s.line = l.Key
	l.split = s.Key
	l.by = by
	l.booked = b.today
}

// unlink undoes a line's link: an entry made from it alone goes; a split
// typed by the user or the other side of a transfer opens again.
func (b *Books) unlink(l *line) {
	s := b.splits[l.split]
	if s == nil {
		return
	}
	l.split = 0
	s.line = 0
	e := b.entries[s.entry]
	if e.fromFeed() {
		e.removed = true
	}
}

// newEntry adds an entry with one bank-side split per leg.
func (b *Books) newEntry(origin string, event int, category, payee string, day match.Day, check string, legs []Leg, transfer bool) *entry {
	e := &entry{id: len(b.entries), origin: origin, event: event, category: category}
	b.entries = append(b.entries, e)
	for _, lg := range legs {
		s := &split{Entry: match.Entry{Key: b.key(), Account: lg.Account, Day: day, Amount: lg.Amount,
			Payee: payee, Check: check, Transfer: transfer}, entry: e.id, truth: LegRef{event, lg.Account}}
		b.splits[s.Key] = s
		e.splits = append(e.splits, s.Key)
	}
	return e
}

// addFrom adds a new entry from a line and links it.
func (b *Books) addFrom(l *line, origin, category, by string) {
	e := b.newEntry(origin, l.truth.Event, category, "", l.Day, l.Check, []Leg{{l.Account, l.Amount}}, false)
	b.link(l, b.splits[e.splits[0]], by)
	b.splits[e.splits[0]].truth = l.truth
	l.state = stAdded
}

// addTransfer adds one transfer entry linking both lines.
func (b *Books) addTransfer(out, in *line, by string) {
	e := b.newEntry("transfer", out.truth.Event, accountNames[in.Account], "", out.Day, "",
		[]Leg{{out.Account, out.Amount}, {in.Account, in.Amount}}, true)
	b.link(out, b.splits[e.splits[0]], by)
	b.link(in, b.splits[e.splits[1]], by)
	b.splits[e.splits[0]].truth, b.splits[e.splits[1]].truth = out.truth, in.truth
	out.state, in.state = stMatched, stMatched
}

// trueSplit is the split a line truly is, open or not; nil if none.
func (b *Books) trueSplit(l *line) *split {
	for _, e := range b.entries {
		for _, k := range e.splits {
			if s := b.splits[k]; s.truth == l.truth && b.entries[s.entry].origin == "user" {
				return s
			}
		}
	}
	return nil
}

// fromFeed says the entry was made from one line (in review, or by an
// auto-add): it follows the line, and goes when the line is voided.
func (e *entry) fromFeed() bool { return e.origin == "feed" || e.origin == "rule" }
