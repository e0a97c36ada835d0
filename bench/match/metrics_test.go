package main

import (
	"testing"

	"github.com/bankfeed/bankfeed/internal/match"
)

// A hand-made world: two coffees of the same amount on the same day, and
// the bookkeeper's entry for the second one.
func coffees() (*World, []*Record) {
	d := startDay
	w := &World{Start: d, End: d + 10, Days: 10, Noise: Noise{Mode: Daily}}
	var recs []*Record
	for i := range 2 {
		w.Events = append(w.Events, Event{ID: i, Kind: Purchase, Day: d, Payee: "Blue Bottle", Category: "Expenses:Meals",
			Legs: []Leg{{card, -450}}})
		r := &Record{Truth: LegRef{i, card}, Account: card, Day: d, Amount: -450, Text: "SQ *BLUE BOTTLE", From: d,
			ids: []idVersion{{id: string(rune('A' + i))}}}
		recs = append(recs, r)
		w.Records = append(w.Records, r)
	}
	w.Manuals = []Manual{{Event: 1, TypeDay: d, Day: d, Payee: "Blue Bottle", Legs: []Leg{{card, -450}}}}
	return w, recs
}

// deliverOnly delivers records under ids and applies a plan built from the
// new lines' keys, without the engine.
func deliverOnly(b *Books, t match.Day, recs []*Record, ids []string, plan func(keys []int64) *match.Plan) {
	bu := Bundle{Account: card, From: t - 7, To: t}
	for i, r := range recs {
		bu.Records = append(bu.Records, Delivered{Rec: r, ID: ids[i], Day: r.Day})
	}
	d := b.deliver(t, bu)
	var keys []int64
	for _, l := range d.New {
		keys = append(keys, l.Key)
	}
	b.apply(plan(keys))
}

func queueAll(keys []int64) *match.Plan {
	p := &match.Plan{}
	for _, k := range keys {
		p.Lines = append(p.Lines, match.LinePlan{Line: k})
	}
	return p
}

func TestMetrics(t *testing.T) {
	tests := []struct {
		name  string
		run   func(w *World, recs []*Record, b *Books)
		check func(m *Metrics) bool
	}{
		{
			name: "an auto-add the typed entry does not claim is a duplicate",
			run: func(w *World, recs []*Record, b *Books) {
				deliverOnly(b, w.Start, recs[1:], []string{"B"}, func(keys []int64) *match.Plan {
					return &match.Plan{Lines: []match.LinePlan{{Line: keys[0], Add: true, Labels: match.Labels{Category: "Expenses:Meals"}}}}
				})
				b.typeEntries(w.Start, false)
			},
			check: func(m *Metrics) bool { return m.Duplicates == 1 && m.DupKinds["rule+user"] == 1 && m.Events == 1 },
		},
		{
			name: "a line matched to its typed entry is no duplicate",
			run: func(w *World, recs []*Record, b *Books) {
				b.typeEntries(w.Start, false)
				deliverOnly(b, w.Start, recs[1:], []string{"B"}, queueAll)
				b.resolve(w.Start)
			},
			check: func(m *Metrics) bool {
				return m.Duplicates == 0 && m.Touched == 1 && m.Decisions["matched by hand"] == 1 && m.Drift == 0
			},
		},
		{
			name: "a merge of the other coffee is a false merge",
			run: func(w *World, recs []*Record, b *Books) {
				deliverOnly(b, w.Start, recs[:1], []string{"A"}, queueAll)
				deliverOnly(b, w.Start+1, recs[1:], []string{"B"}, func(keys []int64) *match.Plan {
					return &match.Plan{Merges: []match.Merge{{New: keys[0], Old: 1, Why: "rekey"}}}
				})
			},
			check: func(m *Metrics) bool { return m.Merges == 1 && m.FalseMerges == 1 && m.Unmerged == 0 },
		},
		{
			name: "a merge of the same coffee re-keyed is right",
			run: func(w *World, recs []*Record, b *Books) {
				deliverOnly(b, w.Start, recs[:1], []string{"A"}, queueAll)
				deliverOnly(b, w.Start+1, recs[:1], []string{"A2"}, func(keys []int64) *match.Plan {
					return &match.Plan{Merges: []match.Merge{{New: keys[0], Old: 1, Why: "rekey"}}}
				})
			},
			check: func(m *Metrics) bool { return m.Merges == 1 && m.FalseMerges == 0 && m.Unmerged == 0 },
		},
		{
			name: "a re-keyed line not merged is an unmerged line",
			run: func(w *World, recs []*Record, b *Books) {
				deliverOnly(b, w.Start, recs[:1], []string{"A"}, queueAll)
				deliverOnly(b, w.Start+1, recs[:1], []string{"A2"}, queueAll)
			},
			check: func(m *Metrics) bool { return m.Unmerged == 1 && m.FalseMerges == 0 },
		},
		{
			name: "an auto match to the other coffee's entry is a false merge",
			run: func(w *World, recs []*Record, b *Books) {
				b.typeEntries(w.Start, false)
				deliverOnly(b, w.Start, recs[:1], []string{"A"}, func(keys []int64) *match.Plan {
					return &match.Plan{Lines: []match.LinePlan{{Line: keys[0], Zone: match.ZoneAuto, Entry: b.openSplits()[0].Key, Score: 10}}}
				})
			},
			check: func(m *Metrics) bool {
				return m.AutoMatches == 1 && m.AutoMatchesOK == 0 && m.FalseMerges == 1 && m.RecallBase == 0
			},
		},
		{
			name: "an exact re-delivery is deduped",
			run: func(w *World, recs []*Record, b *Books) {
				deliverOnly(b, w.Start, recs, []string{"A", "B"}, queueAll)
				b.m.repeat = true
				deliverOnly(b, w.Start, recs, []string{"A", "B"}, queueAll)
			},
			check: func(m *Metrics) bool { return m.RepeatRecords == 2 && m.RepeatDeduped == 2 },
		},
		{
			name: "the same id with another amount is a collision, a new line",
			run: func(w *World, recs []*Record, b *Books) {
				deliverOnly(b, w.Start, recs[:1], []string{"A"}, queueAll)
				other := *recs[1]
				other.Amount = -999
				b.m.repeat = true
				deliverOnly(b, w.Start, []*Record{&other}, []string{"A"}, queueAll)
			},
			check: func(m *Metrics) bool { return m.RepeatRecords == 1 && m.RepeatDeduped == 0 },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, recs := coffees()
			m := newMetrics()
			b := NewBooks(w, m)
			tt.run(w, recs, b)
			m.finish(b)
			if !tt.check(m) {
				t.Errorf("metrics: %+v", *m)
			}
			if m.Violations != 0 {
				t.Errorf("contract: %v", m.Examples["contract"])
			}
		})
	}
}
