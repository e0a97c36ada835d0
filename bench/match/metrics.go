package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/bankfeed/bankfeed/internal/match"
)

// Metrics are one run's counts against the truth. The hooks are called by
// the books as the engine's plans are applied; finish adds what is counted
// on the final books.
type Metrics struct {
	repeat bool // the round is an exact re-delivery
	seed   uint64

	Events int // events with a line delivered
	Lines  int // true posted lines delivered (legs)

	RepeatRecords, RepeatDeduped, RepeatMerges int

	Duplicates int            // extra book transactions: entries beyond one per event
	DupKinds   map[string]int // duplicates by the origins of the entries, oldest first ("rule+user": auto-added, then typed)
	Unmerged   int            // extra live lines per posted leg (identity misses, caught or not)

	Merges, FalseMerges int // FalseMerges: merges, auto matches and auto transfers joining different events

	AutoMatches, AutoMatchesOK int
	RecallBase, RecallHit      int            // lines offered their true open entry; of those, auto-matched to it
	RecallMisses               map[string]int // the others, by event kind and the zone and score of their last plan
	AutoAdds, AutoExcludes     int

	Touched  int // lines the user decided about
	LeftOpen int // lines still For Review at the end

	TrueTransfers              int // transfer events with both posted legs delivered
	TransfersMade, TransfersOK int // pairs the engine made (auto) or suggested and the user confirmed
	TransfersAuto              int
	// TransfersHit: true transfers that end as one entry linking both
	// lines, each link made by the engine or suggested by it and
	// confirmed (a pair, or each side matched to a typed transfer's leg).
	TransfersHit int

	Drift int64 // Σ over accounts of |books − truth| at the end, minor units

	CatBase, CatHit, CatAbstain int // lines of payees confirmed ≥ 3 times before

	Violations int // plans that break the contract (merging a line not in the batch, …)

	Decisions map[string]int // what the person did, by kind

	Examples map[string][]string
	legs     map[LegRef]bool
}

const maxExamples = 8

func newMetrics() *Metrics {
	return &Metrics{RecallMisses: map[string]int{}, DupKinds: map[string]int{}, Decisions: map[string]int{}, Examples: map[string][]string{}, legs: map[LegRef]bool{}}
}

func (m *Metrics) example(kind, format string, args ...any) {
	if len(m.Examples[kind]) < maxExamples {
		m.Examples[kind] = append(m.Examples[kind], fmt.Sprintf("seed %d: ", m.seed)+fmt.Sprintf(format, args...))
	}
}

// describe names a line for an example: date, amount, text, ids, truth.
func describe(w *World, l *line) string {
	p := ""
	if l.Pending {
		p = " pending"
	}
	return fmt.Sprintf("line %d%s %s %s %q ids %s (event %d, %s)", l.Key, p, l.Day, money(l.Amount), l.Text,
		strings.Join(l.IDs, ","), l.truth.Event, eventName(w, l.truth.Event))
}

func describeSplit(w *World, s *split) string {
	if s == nil {
		return "none"
	}
	return fmt.Sprintf("split %d %s %s %q check %q (event %d, %s)", s.Key, s.Day, money(s.Amount), s.Payee, s.Check,
		s.truth.Event, eventName(w, s.truth.Event))
}

func eventName(w *World, id int) string {
	ev := &w.Events[id]
	switch ev.Kind {
	case Transfer:
		return "transfer to " + ev.Category
	case Check:
		return "check to " + ev.Payee
	}
	return ev.Payee
}

func money(v int64) string {
	s := ""
	if v < 0 {
		s, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", s, v/100, v%100)
}

func (m *Metrics) bad(format string, args ...any) {
	m.Violations++
	m.example("contract", format, args...)
}

func (m *Metrics) delivered(r *Record, dup bool) {
	if !r.Pending {
		m.legs[r.Truth] = true
	}
	if m.repeat {
		m.RepeatRecords++
		if dup {
			m.RepeatDeduped++
		}
	}
}

func (m *Metrics) merge(b *Books, nl, ol *line, mg match.Merge) {
	m.Merges++
	if m.repeat {
		m.RepeatMerges++
		m.example("re-delivery merge", "%s into %s", describe(b.w, nl), describe(b.w, ol))
	}
	if nl.truth != ol.truth {
		m.FalseMerges++
		m.example("false merge", "%s merged (%s) into %s", describe(b.w, nl), mg.Why, describe(b.w, ol))
	}
}

func (m *Metrics) void(b *Books, l *line) {
	if !l.Pending {
		m.example("void of a posted line", "%s", describe(b.w, l))
	}
}

// entriesOffered notes, for each line of a batch, whether its true open
// entry was among the batch's entries: the base of auto-match recall.
func (m *Metrics) entriesOffered(b *Books, bt *match.Batch) {
	open := map[LegRef]bool{}
	for _, e := range bt.Entries {
		open[b.splits[e.Key].truth] = true
	}
	for _, d := range bt.Deliveries {
		for _, nl := range d.New {
			if l := b.lines[nl.Key]; open[l.truth] {
				l.hadTrue = true
			}
		}
	}
	for _, ol := range bt.Open {
		if l := b.lines[ol.Key]; open[l.truth] {
			l.hadTrue = true
		}
	}
}

// planned scores a line's first plan for category: only lines whose payee
// the user confirmed at least 3 times before count.
func (m *Metrics) planned(b *Books, l *line, lp match.LinePlan) {
	if l.planned {
		return
	}
	l.planned = true
	ev := &b.w.Events[l.truth.Event]
	if ev.Kind == Transfer || b.confirmed[ev.Payee] < 3 {
		return
	}
	m.CatBase++
	switch lp.Labels.Category {
	case ev.Category:
		m.CatHit++
	case "":
		m.CatAbstain++
		m.example("category abstained", "%s: payee %q, confirmed %d times", describe(b.w, l), lp.Labels.Payee, b.confirmed[ev.Payee])
	default:
		m.example("category wrong", "%s: said %q (payee %q), truth %q", describe(b.w, l), lp.Labels.Category, lp.Labels.Payee, ev.Category)
	}
}

func (m *Metrics) autoMatch(b *Books, l *line, s *split) {
	m.AutoMatches++
	if s.truth == l.truth {
		m.AutoMatchesOK++
		l.autoOK = true
		return
	}
	m.FalseMerges++
	m.example("false auto match", "%s matched to %s (score %.1f, runner-up %.1f)", describe(b.w, l), describeSplit(b.w, s), l.plan.Score, l.plan.RunnerUp)
}

func (m *Metrics) transferMade(b *Books, out, in *line, auto bool) {
	m.TransfersMade++
	if auto {
		m.TransfersAuto++
	}
	ok := out.truth.Event == in.truth.Event && b.w.Events[out.truth.Event].Kind == Transfer
	if ok {
		m.TransfersOK++
		return
	}
	if auto {
		m.FalseMerges++
	}
	m.example("wrong transfer pair", "auto=%v: %s with %s", auto, describe(b.w, out), describe(b.w, in))
}

func (m *Metrics) autoAdd(b *Books, l *line) { m.AutoAdds++ }

func (m *Metrics) autoExclude(b *Books, l *line) {
	m.AutoExcludes++
	m.example("auto exclude", "%s", describe(b.w, l))
}

// finish counts what the final books show.
func (m *Metrics) finish(b *Books) {
	w := b.w
	events := map[int]bool{}
	for leg := range m.legs {
		events[leg.Event] = true
	}
	m.Events = len(events)
	m.Lines = len(m.legs)

	// Duplicates: entries beyond one per event.
	perEvent := map[int]map[int]bool{}
	for _, e := range b.entries {
		if e.removed {
			continue
		}
		for _, k := range e.splits {
			ev := b.splits[k].truth.Event
			if perEvent[ev] == nil {
				perEvent[ev] = map[int]bool{}
			}
			perEvent[ev][e.id] = true
		}
	}
	for ev, es := range perEvent {
		if len(es) > 1 {
			m.Duplicates += len(es) - 1
			var parts, origins []string
			for _, id := range slices.Sorted(maps.Keys(es)) {
				e := b.entries[id]
				parts = append(parts, fmt.Sprintf("entry %d (%s)", id, e.origin))
				origins = append(origins, e.origin)
			}
			m.DupKinds[strings.Join(origins, "+")] += len(es) - 1
			m.example("duplicate", "event %d (%s, %s): %s", ev, eventName(w, ev), w.Events[ev].Day, strings.Join(parts, ", "))
		}
	}

	perLeg := map[LegRef][]*line{}
	for _, k := range b.order {
		l := b.lines[k]
		if l.live() {
			perLeg[l.truth] = append(perLeg[l.truth], l)
		}
		if l.touched {
			m.Touched++
		}
		if l.state == stReview {
			m.LeftOpen++
		}
		if l.hadTrue && l.live() {
			m.RecallBase++
			if l.autoOK {
				m.RecallHit++
			} else {
				m.RecallMisses[fmt.Sprintf("%s %s %.1f", kindNames[w.Events[l.truth.Event].Kind], l.plan.Zone, l.plan.Score)]++
				m.example("auto recall miss", "%s: zone %s, entry %d, score %.1f, runner-up %.1f; true %s", describe(w, l),
					l.plan.Zone, l.plan.Entry, l.plan.Score, l.plan.RunnerUp, describeSplit(w, b.trueSplit(l)))
			}
		}
	}
	for _, ls := range perLeg {
		if len(ls) > 1 {
			m.Unmerged += len(ls) - 1
			var parts []string
			for _, l := range ls {
				parts = append(parts, describe(w, l))
			}
			m.example("unmerged", "%s", strings.Join(parts, " | "))
		}
	}

	for _, ev := range w.Events {
		if ev.Kind == Transfer && m.legs[LegRef{ev.ID, ev.Legs[0].Account}] && m.legs[LegRef{ev.ID, ev.Legs[1].Account}] {
			m.TrueTransfers++
			if b.engineTransfer(&ev) {
				m.TransfersHit++
				continue
			}
			var parts []string
			for _, lg := range ev.Legs {
				if l := b.liveLine(LegRef{ev.ID, lg.Account}, 0, func(l *line) bool { return !l.Pending }); l != nil {
					parts = append(parts, fmt.Sprintf("%s [linked by %s, zone %s, score %.1f]", describe(w, l), l.by, l.plan.Zone, l.plan.Score))
				}
			}
			m.example("transfer not paired", "%s", strings.Join(parts, " | "))
		}
	}

	books, truth := map[int64]int64{}, map[int64]int64{}
	for _, e := range b.entries {
		if !e.removed {
			for _, k := range e.splits {
				books[b.splits[k].Account] += b.splits[k].Amount
			}
		}
	}
	for leg := range m.legs {
		for _, lg := range w.Events[leg.Event].Legs {
			if lg.Account == leg.Account {
				truth[leg.Account] += lg.Amount
			}
		}
	}
	for _, a := range accounts {
		d := books[a] - truth[a]
		if d < 0 {
			d = -d
		}
		m.Drift += d
	}
}

// ratio is n/d, or -1 when d is 0 (nothing to measure).
func ratio(n, d int) float64 {
	if d == 0 {
		return -1
	}
	return float64(n) / float64(d)
}

// engineTransfer says a true transfer ended as one entry linking both its
// lines, every link made by the engine or suggested by it.
func (b *Books) engineTransfer(ev *Event) bool {
	entry := -1
	for _, lg := range ev.Legs {
		l := b.liveLine(LegRef{ev.ID, lg.Account}, 0, func(l *line) bool { return l.split != 0 })
		if l == nil || l.by == "user" {
			return false
		}
		s := b.splits[l.split]
		if entry >= 0 && s.entry != entry {
			return false
		}
		entry = s.entry
	}
	return true
}
