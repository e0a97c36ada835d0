package match

// AddConfidence is the labeler's confidence in a category from which a line
// with no candidate is added without review.
const AddConfidence = 0.9

// ProvisionalDays is the largest |Δdays| between a provisional line and an
// entry of its amount (or that less a bank's fee) and payee that replaces
// its made entry below the auto bar (Batch.Provisional).
const ProvisionalDays = 3

// MirrorDays is the largest number of days a line may come after the
// mirror leg of a transfer a person typed (an open entry's leg in the
// line's account, the other in another own account) for the entry to take
// it below the auto bar: the line's exact amount, no competitor within
// AutoMargin, and a descriptor that names no payee the person confirmed
// and carries no check number. A transfer's line is the bank's own words
// (DEPOSIT 4411, ONLINE BANKING 9839002): nothing in it names the
// transfer, and its other leg may not be delivered yet, so it scores no
// more than its amount and date; the person's word that money moved
// between own accounts that day stands for the payee.
const MirrorDays = 2

// DuplicateDays is the largest number of days a provisional line may come
// after an entry that resembles it (ZoneSuggest) for the line to go back
// For Review as a possible duplicate of that entry (LinePlan.Duplicate).
// An entry dated after the line, or long before it, is most often
// another purchase from the same payee.
const DuplicateDays = 7

// Process decides about one batch: it merges new lines that are stored
// lines under another id (a re-key, a pending line that posted), voids
// pending lines gone for over 7 days, scores the other new lines and the
// open ones against the open entries and assigns them one to one, labels
// them, and pairs transfers between own accounts. It reads b and never
// changes it; the same batch gives the same plan.
//
// Each LinePlan carries the zone of its line's assigned entry (Entry,
// Score, RunnerUp): ZoneAuto at AutoScore with AutoMargin, for a
// transfer's mirror leg as MirrorDays says, or for lines and entries alike
// as twins.go says. A line left in ZoneNew has Entry 0 and, for
// information, the score of its best candidate (perhaps assigned to
// another line) in Score and the second best in RunnerUp. Add is set only
// when no candidate at all scored SuggestScore and the line is in no
// transfer. The Labeler is called once per planned line, in plan order, on
// a copy of the line. Provisional lines are planned as Batch.Provisional
// says.
func Process(b *Batch) *Plan {
	plan := &Plan{}
	if b == nil {
		return plan
	}
	tx := newTextIndex()
	id := identify(b, tx)
	plan.Merges, plan.Voids, plan.Rekeyed = id.merges, id.voids, id.rekeyed

	// The lines to plan: new lines not merged, in delivery order, then open.
	var lines []*Line
	for di := range b.Deliveries {
		d := &b.Deliveries[di]
		for i := range d.New {
			if !id.merged[newRef{int32(di), int32(i)}] {
				lines = append(lines, &d.New[i])
			}
		}
	}
	for i := range b.Open {
		lines = append(lines, &b.Open[i])
	}

	infos := make([]lineInfo, len(lines))
	keys := make([]int64, len(lines))
	legs := otherLegs(lines, b.Stored)
	for i, l := range lines {
		infos[i] = newLineInfo(l, b.PayeeOf, tx)
		infos[i].leg = legs[i]
		keys[i] = l.Key
	}
	ix := buildIndex(b.Entries, tx)
	m := match(infos, keys, ix, tx)

	tw := &twins{ix: ix, tx: tx, lines: lines, infos: infos}
	plan.Lines = make([]LinePlan, len(lines))
	for i, l := range lines {
		p := &plan.Lines[i]
		p.Line = l.Key
		if e := m.entry[i]; e >= 0 {
			p.Entry = ix.entries[ix.idx[e]].Key
			p.Score = float64(m.score[i])
			p.RunnerUp = float64(m.runnerUp[i])
			p.Zone = ZoneSuggest
			clearMargin := !m.hasRU[i] || p.Score-p.RunnerUp >= AutoMargin
			if clearMargin && (p.Score >= AutoScore || ix.mirrors(&infos[i], e) || (b.Provisional[l.Key] && ix.replaces(tx, &infos[i], e))) {
				p.Zone = ZoneAuto
			} else if p.Score >= AutoScore+scoreRepeat && tw.sure(int32(i), e, m.score[i]) {
				p.Zone = ZoneAuto
			}
		} else if t := &m.best[i]; t.n > 0 {
			p.Score = float64(t.s1)
			if t.n > 1 {
				p.RunnerUp = float64(t.s2)
			}
		}
		if b.Labeler != nil {
			c := *l
			p.Labels = b.Labeler.Label(&c)
		}
		if b.Provisional[l.Key] {
			// Booked already: only an entry may claim it, or doubt it.
			if e := m.entry[i]; p.Zone == ZoneSuggest {
				dd := l.Day - ix.day[e]
				p.Duplicate = dd >= 0 && dd <= DuplicateDays
			}
			continue
		}
		p.Exclude = p.Labels.Exclude
		noCandidate := m.best[i].n == 0 || m.best[i].s1 < SuggestScore
		p.Add = p.Zone == ZoneNew && noCandidate && !p.Exclude &&
			(p.Labels.AutoAdd || (p.Labels.Category != "" && p.Labels.Confidence >= AddConfidence))
	}

	var paired []bool
	plan.Transfers, paired = transfers(lines, plan.Lines, b.TransferPairs, b.Provisional)
	for i := range plan.Lines {
		if paired[i] {
			plan.Lines[i].Add = false
		}
	}
	return plan
}

// linePayee is what a line says of its payee: the payee learned for its
// descriptor (learned), else the descriptor. A descriptor that is only a
// check word and a number ("CHECK 1054") names no payee, learned or not:
// what was learned from it came from another check.
func linePayee(l *Line, payeeOf func(string) string) (payee string, learned bool) {
	if checkOnly(l.Text) {
		return "", false
	}
	if payeeOf != nil {
		if p := payeeOf(l.Text); p != "" {
			return p, true
		}
	}
	return l.Text, false
}
