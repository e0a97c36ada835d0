package main

import (
	"github.com/bankfeed/bankfeed/internal/match"
	"github.com/bankfeed/bankfeed/internal/rules"
)

// The user is the oracle bookkeeper. It types the entries the world says
// it types, when it says, and resolves the queue every day as a careful
// person would: it knows what really happened (the truth) but decides only
// what a person looking at the line, the suggestion and the books would;
// it never tells the engine anything but confirmed decisions.

// typeEntries types the manual entries due on day t: those typed before
// their bank line, or, with after, those whose bank line has arrived.
func (b *Books) typeEntries(t match.Day, after bool) {
	for i := range b.w.Manuals {
		m := &b.w.Manuals[i]
		if b.typed[i] || m.After != after {
			continue
		}
		if after {
			if d, ok := b.arrived[m.Event]; !ok || d > t {
				continue
			}
		} else if m.TypeDay > t {
			continue
		}
		b.typed[i] = true
		ev := &b.w.Events[m.Event]
		b.newEntry("user", m.Event, ev.Category, m.Payee, m.Day, m.Check, m.Legs, ev.Kind == Transfer)
	}
}

// transferWait is how long the person leaves one side of a transfer For
// Review for the other side to arrive and be paired with it: the engine's
// window.
const transferWait = 4

// resolve decides every line of the queue on day t.
func (b *Books) resolve(t match.Day) {
	for _, l := range b.queue() {
		if l.state == stReview {
			b.decide(t, l)
		}
	}
}

func (b *Books) decide(t match.Day, l *line) {
	ev := &b.w.Events[l.truth.Event]
	if l.Pending {
		// A person waits for a pending line to post, unless it already
		// has: then the stale pending line goes.
		if b.liveLine(l.truth, l.Key, func(o *line) bool { return !o.Pending }) != nil {
			b.decision("stale pending excluded")
			b.touch(l)
			l.state = stExcluded
		}
		return
	}
	// The same bank transaction is in the books already: a duplicate line.
	booked := func(o *line) bool { return o.state == stAdded || o.state == stMatched }
	if o := b.liveLine(l.truth, l.Key, booked); o != nil {
		b.decision("duplicate excluded")
		b.touch(l)
		if o.Pending {
			// Booked from its pending line: the posted one takes its place.
			b.touch(o)
			s := b.splits[o.split]
			o.split, o.state = 0, stExcluded
			b.link(l, s, "user")
			s.Amount = l.Amount
			l.state = stMatched
			return
		}
		l.state = stExcluded
		return
	}
	if ev.Kind == Transfer {
		if p := b.lines[l.xfer]; p != nil && p.state == stReview && !p.Pending && p.truth.Event == l.truth.Event && p.truth.Account != l.truth.Account {
			out, in := l, p
			if out.Amount > 0 {
				out, in = in, out
			}
			b.decision("transfer pair confirmed")
			b.m.transferMade(b, out, in, false)
			b.pairTransfer(out, in, "suggested")
			return
		}
	}
	if s := b.splits[l.plan.Entry]; l.plan.Zone == match.ZoneSuggest && s != nil && s.line == 0 && s.truth == l.truth {
		b.decision("suggested match confirmed")
		b.userMatch(l, s, true)
		return
	}
	for _, s := range b.openSplits() {
		if s.truth == l.truth {
			b.decision("matched by hand")
			b.userMatch(l, s, false)
			return
		}
	}
	if ev.Kind == Transfer {
		if t-l.first < transferWait && b.otherSide(l, ev) == nil {
			return // the other side has not arrived yet
		}
		b.decision("transfer booked by hand")
		b.userTransfer(l, ev)
		return
	}
	b.touch(l)
	b.decision("added by hand" + b.why(l, ev))
	b.addFrom(l, "feed", ev.Category, "user")
	b.confirm(l, ev, l.plan.Labels.Category == ev.Category)
}

// why tells why a line the person adds by hand was not added on its own:
// its payee was never confirmed before (a floor no learning lowers), or
// confirmed fewer times than the learner's category votes, or often enough
// and the labeler still had no confident category.
func (b *Books) why(l *line, ev *Event) string {
	lb := l.plan.Labels
	switch n := b.confirmed[ev.Payee]; {
	case ev.Payee == "":
		return " (no payee)"
	case n == 0:
		return " (payee first seen)"
	case n < rules.CategoryVotes:
		return " (payee confirmed 1-2 times)"
	case lb.Category == "":
		return " (payee confirmed 3+ times, no category)"
	case lb.Category != ev.Category:
		return " (payee confirmed 3+ times, wrong category)"
	case lb.Confidence < match.AddConfidence:
		return " (payee confirmed 3+ times, confidence under 0.9)"
	}
	return " (payee confirmed 3+ times, a candidate)"
}

// liveLine finds another live line of the same leg that ok accepts.
func (b *Books) liveLine(leg LegRef, not int64, ok func(*line) bool) *line {
	for _, k := range b.order {
		if o := b.lines[k]; k != not && o.live() && o.truth == leg && ok(o) {
			return o
		}
	}
	return nil
}

// userMatch links a line to the split it truly is; the amount becomes the
// bank's (the person accepts the update).
func (b *Books) userMatch(l *line, s *split, suggested bool) {
	b.touch(l)
	by := "user"
	if suggested {
		by = "suggested"
	}
	b.link(l, s, by)
	s.Amount = l.Amount
	l.state = stMatched
	ev := &b.w.Events[l.truth.Event]
	b.confirm(l, ev, suggested)
}

// pairTransfer makes one transfer entry of two lines the person confirmed.
func (b *Books) pairTransfer(out, in *line, by string) {
	b.touch(out)
	b.touch(in)
	b.addTransfer(out, in, by)
	b.pairs[[2]int64{out.Account, in.Account}] = true
	ev := &b.w.Events[out.truth.Event]
	b.confirm(out, ev, true)
	b.confirm(in, ev, true)
}

// userTransfer books a transfer line the engine did not pair: with the
// other side's line when it is there, else with a mirror split the other
// side's line will match.
func (b *Books) userTransfer(l *line, ev *Event) {
	p := b.otherSide(l, ev)
	other := ev.Legs[0]
	if other.Account == l.Account {
		other = ev.Legs[1]
	}
	if p != nil && p.state == stAdded {
		// Added on its own from the other side: make it the transfer.
		if s := b.splits[p.split]; s != nil && b.entries[s.entry].origin != "user" {
			b.touch(p)
			b.unlink(p)
			p.state = stReview
		}
	}
	if p != nil && p.state == stReview {
		out, in := l, p
		if out.Amount > 0 {
			out, in = in, out
		}
		b.pairTransfer(out, in, "user")
		return
	}
	b.touch(l)
	legs := []Leg{{l.Account, l.Amount}, {other.Account, -l.Amount}}
	e := b.newEntry("user", ev.ID, accountNames[other.Account], "", l.Day, "", legs, true)
	b.link(l, b.splits[e.splits[0]], "user")
	l.state = stAdded
	b.pairs[pairOf(l.Account, l.Amount, other.Account)] = true
	b.confirm(l, ev, false)
}

// otherSide is the posted line of a transfer's other leg, if it arrived.
func (b *Books) otherSide(l *line, ev *Event) *line {
	for _, lg := range ev.Legs {
		if lg.Account != l.Account {
			return b.liveLine(LegRef{ev.ID, lg.Account}, 0, func(o *line) bool { return !o.Pending })
		}
	}
	return nil
}

// pairOf is the (out, in) account pair of a transfer seen from one side.
func pairOf(acct, amount, other int64) [2]int64 {
	if amount < 0 {
		return [2]int64{acct, other}
	}
	return [2]int64{other, acct}
}

func (b *Books) touch(l *line) { l.touched = true }

// decision counts what the person did about a line of the queue.
func (b *Books) decision(what string) { b.m.Decisions[what]++ }

// confirm teaches the Learner one decision the person made.
func (b *Books) confirm(l *line, ev *Event, suggested bool) {
	c := rules.Confirmation{Account: accountName(l.Account), Text: l.Text, Payee: ev.Payee,
		Category: ev.Category, Day: l.Day, Amount: l.Amount, Suggested: suggested}
	if ev.Kind == Transfer {
		c.Category = ""
	}
	b.learner.Confirm(c)
	if ev.Payee != "" {
		b.confirmed[ev.Payee]++
	}
}
