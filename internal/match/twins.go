package match

import (
	"cmp"
	"slices"
)

// Twins: two purchases of one price at one payee on one day, typed twice
// by the person and delivered twice by the bank, make four pairs of equal
// score. Each line's runner-up is its twin's score, so neither clears the
// margin, and each entry counts the other as a repeat purchase (−1.5): the
// person was asked to choose between equals. Which line goes with which
// entry changes nothing in the books when the lines are alike in
// everything the engine reads (account, amount, day, descriptor, check
// number, reference, pending) and so are the entries (account, amount,
// day, payee, check number, reference, transfer), and there are as many
// lines alike as entries alike: the assignment's order (by key) pairs
// them, and each pair is judged without its twins. It is matched without
// review when, its twins aside, it would be: at AutoScore, with no other
// entry and no other line within AutoMargin of it.

// twins judges pairs among twins for one Process. Lines by account and
// sign, sorted by day, are built on the first question only.
type twins struct {
	ix    *entryIndex
	tx    *textIndex
	lines []*Line
	infos []lineInfo
	byGrp map[groupKey][]int32
}

// entryTwin: the entries at positions p and q are alike in everything the
// engine reads.
func (t *twins) entryTwin(p, q int32) bool {
	a, b := &t.ix.entries[t.ix.idx[p]], &t.ix.entries[t.ix.idx[q]]
	return a.Account == b.Account && a.Amount == b.Amount && a.Day == b.Day && a.Payee == b.Payee &&
		a.Check == b.Check && a.Ref == b.Ref && a.Transfer == b.Transfer
}

// lineTwin: lines i and j are alike in everything the engine reads.
func (t *twins) lineTwin(i, j int32) bool {
	a, b := t.lines[i], t.lines[j]
	return a.Account == b.Account && a.Amount == b.Amount && a.Day == b.Day && a.Text == b.Text &&
		a.Check == b.Check && a.Ref == b.Ref && a.Pending == b.Pending
}

// sure reports whether line i, assigned the entry at position e with the
// score s, is matched without review once its twins are set aside.
func (t *twins) sure(i, e int32, s float32) bool {
	ix, l := t.ix, &t.infos[i]
	own := s
	if ix.flags[e]&ambiguous != 0 && t.repeatsAreTwins(e) {
		flags := ix.flags[e]
		ix.flags[e] &^= ambiguous
		exact, grown, _ := amountFits(l.amt, ix.amt[e])
		sc, ok := ix.score(t.tx, l, e, absDay(ix.day[e]-l.day), exact, grown)
		ix.flags[e] = flags
		if !ok {
			return false
		}
		own = float32(sc)
	}
	if own < AutoScore {
		return false
	}
	bar := own - AutoMargin
	// Every other entry of the line, its twins aside, and every other line
	// of the entry, the line's twins aside, scores bar or less.
	entryTwins, lineTwins := 0, 0
	for _, c := range t.candidates(l) {
		if t.entryTwin(c.entry, e) {
			entryTwins++
		} else if c.score > bar {
			return false
		}
	}
	g := groupKey{l.account, l.out}
	for _, j := range t.near(g, ix.day[e]) {
		if j == i || t.lineTwin(i, j) {
			lineTwins++
			continue
		}
		o := &t.infos[j]
		exact, grown, ok := amountFits(o.amt, ix.amt[e])
		if !ok {
			continue
		}
		dd := absDay(ix.day[e] - o.day)
		if dd > DateWindow && o.check == "" && ix.flags[e]&hasCheck == 0 {
			continue
		}
		if sc, ok := ix.score(t.tx, o, e, dd, exact, grown); ok && float32(sc) > bar {
			return false
		}
	}
	// As many lines alike as entries alike: any pairing is the same
	// books. A line alone among entries alike may be the one whose
	// twins are still to come: the person says.
	return entryTwins <= lineTwins
}

// repeatsAreTwins: every entry that makes the one at p a repeat purchase
// (its amount, a like payee, within repeatDays) is its twin.
func (t *twins) repeatsAreTwins(p int32) bool {
	ix := t.ix
	e := &ix.entries[ix.idx[p]]
	g := ix.groups[groupKey{e.Account, e.Amount < 0}]
	if g == nil {
		return false
	}
	b := band(ix.amt[p])
	x, y := ix.window(g, b, clampDay(int64(ix.day[p])-repeatDays), clampDay(int64(ix.day[p])+repeatDays))
	for q := x; q < y; q++ {
		if q != p && ix.amt[q] == ix.amt[p] && ix.samePayee(p, q, t.tx) && !t.entryTwin(p, q) {
			return false
		}
	}
	return true
}

// candidates are every entry line l may be, with its score.
func (t *twins) candidates(l *lineInfo) []pair {
	ix := t.ix
	var out []pair
	ix.eachCandidate(l, func(p int32) {
		exact, grown, ok := amountFits(l.amt, ix.amt[p])
		if !ok {
			return
		}
		dd := absDay(ix.day[p] - l.day)
		if s, ok := ix.score(t.tx, l, p, dd, exact, grown); ok {
			out = append(out, pair{entry: p, score: float32(s), dd: dd})
		}
	})
	return out
}

// near are the lines of group g dated within CheckWindow of day, the
// widest any line reaches.
func (t *twins) near(g groupKey, day Day) []int32 {
	if t.byGrp == nil {
		t.byGrp = map[groupKey][]int32{}
		for i := range t.infos {
			k := groupKey{t.infos[i].account, t.infos[i].out}
			t.byGrp[k] = append(t.byGrp[k], int32(i))
		}
		for _, ls := range t.byGrp {
			slices.SortFunc(ls, func(a, b int32) int { return cmp.Or(cmp.Compare(t.infos[a].day, t.infos[b].day), cmp.Compare(a, b)) })
		}
	}
	ls := t.byGrp[g]
	byDay := func(i int32, d int64) int { return cmp.Compare(int64(t.infos[i].day), d) }
	x, _ := slices.BinarySearchFunc(ls, int64(day)-CheckWindow, byDay)
	y, _ := slices.BinarySearchFunc(ls, int64(day)+CheckWindow+1, byDay)
	return ls[x:y]
}
