package match

import (
	"cmp"
	"slices"
)

// Identity: which new lines are lines already stored under another id.
//
// Exact ids were deduplicated by the caller, so what is left are the
// provider's links (a posted line naming its pending line) and orphans: a
// stored line whose ids are all missing from a delivery that covers its
// date, or an open pending line missing from the delivery, is paired one
// to one with an unknown incoming line that looks like it (same amount, a
// day or two apart, a similar descriptor; for a pending line, a posted
// line a few days later with a tip of up to 30%). Descriptors whose
// normalized tokens are the same (even none: WITHDRAWAL 5294731) are
// alike, and the very same text is preferred to a look-alike. Two pending
// lines never merge by fingerprint: a new pending line like a stored one
// is a second purchase.
//
// Safety rules, from the field (design note §6): ids present together in one
// delivery never merge with each other (new lines are merged only with
// stored ones, and a stored line whose id any delivery of its account
// carries is no orphan); a delivery that does not cover a stored line's date
// makes no orphan of it.

// Windows and bounds of identity (design note §7).
const (
	rekeyDays      = 2   // posted orphan: |Δdays| ≤ 2
	pendingDays    = 5   // pending orphan: |Δdays| ≤ 5
	rekeySim       = 0.5 // descriptor similarity for an exact amount
	pendingTipSim  = 0.8 // descriptor similarity for a grown amount (a tip)
	voidAfterDays  = 7   // a pending line missing for longer is voided
	rekeyedMin     = 5   // a re-keyed notice needs at least this many re-keys
	rekeyedPercent = 30  // ...and more than this share of a delivery's new lines
)

// VoidWhy is the reason given for a voided pending line.
const VoidWhy = "pending for over 7 days and never posted"

// Merge reasons.
const (
	WhyRekey   = "rekey"
	WhyPending = "pending"
)

// newRef names a new line: its delivery and its place in Delivery.New.
type newRef struct{ d, i int32 }

type identity struct {
	merged  map[newRef]bool
	merges  []Merge
	voids   []Void
	rekeyed []int64
}

type idKey struct {
	account int64
	id      string
}

// identify finds merges, voids and re-keyed accounts.
func identify(b *Batch, tx *textIndex) *identity {
	out := &identity{merged: map[newRef]bool{}}
	if len(b.Deliveries) == 0 || len(b.Stored) == 0 {
		return out
	}
	// Every id any delivery of an account carries.
	present := map[idKey]bool{}
	delivered := map[int64][]int{} // account → delivery indexes
	for di := range b.Deliveries {
		d := &b.Deliveries[di]
		delivered[d.Account] = append(delivered[d.Account], di)
		for _, id := range d.Present {
			present[idKey{d.Account, id}] = true
		}
	}
	absent := func(l *Line) bool {
		for _, id := range l.IDs {
			if present[idKey{l.Account, id}] {
				return false
			}
		}
		return true
	}
	// Stored lines of delivered accounts; pending ones by id.
	byAccount := map[int64][]int{}
	pendingByID := map[idKey]int{}
	for si := range b.Stored {
		s := &b.Stored[si]
		if delivered[s.Account] == nil {
			continue
		}
		byAccount[s.Account] = append(byAccount[s.Account], si)
		if s.Pending {
			for _, id := range s.IDs {
				k := idKey{s.Account, id}
				if _, dup := pendingByID[k]; !dup {
					pendingByID[k] = si
				}
			}
		}
	}
	taken := make([]bool, len(b.Stored))
	type merge struct {
		ref newRef
		m   Merge
	}
	var merges []merge
	rekeys := make([]int, len(b.Deliveries))

	// 1. The provider's own link from a posted line to its pending line.
	for di := range b.Deliveries {
		d := &b.Deliveries[di]
		for i := range d.New {
			l := &d.New[i]
			if l.PendingOf == "" {
				continue
			}
			si, ok := pendingByID[idKey{d.Account, l.PendingOf}]
			if !ok || taken[si] {
				continue
			}
			taken[si] = true
			ref := newRef{int32(di), int32(i)}
			out.merged[ref] = true
			merges = append(merges, merge{ref, Merge{
				New: l.Key, Old: b.Stored[si].Key, Why: WhyPending,
				AmountChanged: l.Amount != b.Stored[si].Amount,
			}})
		}
	}

	// 2. Orphans paired by fingerprint, best pairs first.
	type pair struct {
		ref   newRef
		old   int
		score float64
		dd    Day
	}
	var pairs []pair
	for di := range b.Deliveries {
		d := &b.Deliveries[di]
		var orphans []int
		for _, si := range byAccount[d.Account] {
			s := &b.Stored[si]
			if taken[si] || !absent(s) {
				continue
			}
			if s.Pending || (s.Day >= d.From && s.Day <= d.To) {
				orphans = append(orphans, si)
			}
		}
		if len(orphans) == 0 {
			continue
		}
		slices.SortFunc(orphans, func(a, c int) int {
			return cmp.Or(cmp.Compare(b.Stored[a].Day, b.Stored[c].Day), cmp.Compare(a, c))
		})
		for i := range d.New {
			ref := newRef{int32(di), int32(i)}
			if out.merged[ref] {
				continue
			}
			l := &d.New[i]
			lt := tx.set(tx.intern(l.Text))
			lo, _ := slices.BinarySearchFunc(orphans, l.Day-pendingDays, func(si int, day Day) int {
				return cmp.Compare(b.Stored[si].Day, day)
			})
			for _, si := range orphans[lo:] {
				s := &b.Stored[si]
				if s.Day > l.Day+pendingDays {
					break
				}
				score, ok := fingerprint(l, s, lt, tx.set(tx.intern(s.Text)))
				if ok {
					pairs = append(pairs, pair{ref, si, score, absDay(l.Day - s.Day)})
				}
			}
		}
	}
	slices.SortFunc(pairs, func(a, c pair) int {
		return cmp.Or(
			cmp.Compare(c.score, a.score),
			cmp.Compare(a.dd, c.dd),
			cmp.Compare(a.ref.d, c.ref.d),
			cmp.Compare(a.ref.i, c.ref.i),
			cmp.Compare(a.old, c.old))
	})
	for _, p := range pairs {
		if taken[p.old] || out.merged[p.ref] {
			continue
		}
		taken[p.old] = true
		out.merged[p.ref] = true
		l, s := &b.Deliveries[p.ref.d].New[p.ref.i], &b.Stored[p.old]
		why := WhyRekey
		if s.Pending && !l.Pending {
			why = WhyPending
		} else {
			rekeys[p.ref.d]++
		}
		merges = append(merges, merge{p.ref, Merge{
			New: l.Key, Old: s.Key, Why: why, AmountChanged: l.Amount != s.Amount,
		}})
	}
	slices.SortFunc(merges, func(a, c merge) int {
		return cmp.Or(cmp.Compare(a.ref.d, c.ref.d), cmp.Compare(a.ref.i, c.ref.i))
	})
	for _, m := range merges {
		out.merges = append(out.merges, m.m)
	}

	// 3. A re-keyed notice per account.
	for di, n := range rekeys {
		d := &b.Deliveries[di]
		if n >= rekeyedMin && n*100 > len(d.New)*rekeyedPercent && !slices.Contains(out.rekeyed, d.Account) {
			out.rekeyed = append(out.rekeyed, d.Account)
		}
	}

	// 4. Pending lines gone for over 7 days from a delivery that covers them.
	for si := range b.Stored {
		s := &b.Stored[si]
		if !s.Pending || taken[si] || s.Day >= b.Today-voidAfterDays || !absent(s) {
			continue
		}
		for _, di := range delivered[s.Account] {
			if d := &b.Deliveries[di]; d.From <= s.Day && d.To >= b.Today {
				out.voids = append(out.voids, Void{Line: s.Key, Why: VoidWhy})
				break
			}
		}
	}
	return out
}

// fingerprint tells whether new line l may be stored line s under another
// id, and how well they agree (higher is better).
func fingerprint(l, s *Line, lt, st *tokenSet) (float64, bool) {
	dd := absDay(l.Day - s.Day)
	exact := l.Amount == s.Amount
	if !s.Pending {
		// A posted line is re-keyed as it was: never from a pending one.
		if l.Pending || !exact || dd > rekeyDays {
			return 0, false
		}
	} else if l.Pending || dd > pendingDays {
		// A pending line is settled by a posted one only: a new pending
		// line is another purchase (the same one would carry its id).
		return 0, false
	}
	sim := similarity(lt, st)
	same := slices.Equal(lt.ids, st.ids)
	if same {
		// The same descriptor, or two that say nothing but numbers
		// (WITHDRAWAL 5294731): as alike as can be.
		sim = 1
	}
	switch {
	case exact && sim >= rekeySim:
	case !exact && s.Pending && tipped(s.Amount, l.Amount) && sim >= pendingTipSim:
	default:
		return 0, false
	}
	score := sim - 0.1*float64(dd)
	if exact {
		score += 2
	}
	if l.Text == s.Text {
		score += 0.5 // the bank's very words: rather this one than a look-alike
	}
	return score, true
}

// tipped reports whether amount b is amount a grown by 0–30% in the same
// direction (a tip added to a card line, a hotel's final bill).
func tipped(a, b int64) bool {
	if (a < 0) != (b < 0) || a == 0 {
		return false
	}
	a, b = abs(a), abs(b)
	return b >= a && b*10 <= a*13
}

func abs(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}

func absDay(d Day) Day {
	if d < 0 {
		return -d
	}
	return d
}
