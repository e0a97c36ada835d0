package match

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// entryIndex holds the open entries for the candidate search, laid out by
// position: grouped by account and sign (money out or in), each group
// sorted by day, so that a line's candidates are one window of a group,
// read in order. What the scan reads for every entry in the window (day,
// amount) and for every entry it scores (payee, flags) sits in arrays by
// position; check numbers and references are read only when flagged.
// Payees are interned once per distinct string.
type entryIndex struct {
	entries []Entry
	// By position.
	day   []Day
	amt   []int64 // absolute amount
	idx   []int32 // entry index
	payee []int32 // text id of the payee
	flags []uint8
	// By position, for the few entries flagged.
	check map[int32]string // normalized check number
	ref   map[int32]string // normalized reference

	groups map[groupKey]*group
}

// Entry flags.
const (
	hasCheck   = 1 << iota
	hasRef     // a reference
	ambiguous  // a repeat purchase: see repeatDays
	isTransfer // the mirror leg of a transfer
)

// groupKey is an account and a sign.
type groupKey struct {
	account int64
	out     bool
}

// group is a run of positions [lo, hi), split into amount bands, each
// sorted by day (band b holds positions [bands[b], bands[b+1])); and the
// positions of the entries with a check number, by day (searched over the
// wider check window).
type group struct {
	lo, hi int32
	bands  []int32
	checks []int32
}

// Amount bands: band 0 holds amounts under bandBase, band k the amounts in
// [bandBase·1.3^(k-1), bandBase·1.3^k). A line's candidates (its amount
// within the fee tolerance, or grown from the entry's by up to 30%) lie in
// two or three bands, so the scan reads only those of a day window.
const (
	bandBase = 1000
	bands    = 160 // covers every int64
)

var logBand = math.Log(1 + GrowthPercent/100.0)

// band is the amount band of an absolute amount; it never decreases as the
// amount grows.
func band(a int64) int {
	if a < bandBase {
		return 0
	}
	return min(bands-1, 1+int(math.Log(float64(a)/bandBase)/logBand))
}

// bandsOf are the bands that hold every amount a line of absolute amount a
// may be matched with (see amountFits).
func bandsOf(a int64) (int, int) {
	lo := min(a-FeeTolerance, a/(100+GrowthPercent)*100)
	hi := a + FeeTolerance
	if hi < a { // overflow
		hi = math.MaxInt64
	}
	return band(lo), band(hi)
}

// repeatDays is how close two entries of one amount and payee are to make
// either one a doubtful match (design note §7, repeat-purchase ambiguity).
const repeatDays = 7

// repeatSim is how alike two entries' payees are to count as one payee
// for the repeat-purchase ambiguity.
const repeatSim = 0.5

func buildIndex(entries []Entry, tx *textIndex) *entryIndex {
	n := len(entries)
	ix := &entryIndex{
		entries: entries,
		day:     make([]Day, n),
		amt:     make([]int64, n),
		idx:     make([]int32, n),
		payee:   make([]int32, n),
		flags:   make([]uint8, n),
		check:   map[int32]string{},
		ref:     map[int32]string{},
		groups:  map[groupKey]*group{},
	}
	// Groups, in the order of their keys, and each entry's group.
	gid := make([]int32, n)
	var keys []groupKey
	ids := map[groupKey]int32{}
	var last groupKey
	lastID := int32(-1)
	for i := range entries {
		e := &entries[i]
		k := groupKey{e.Account, e.Amount < 0}
		if lastID < 0 || k != last {
			id, ok := ids[k]
			if !ok {
				id = int32(len(keys))
				ids[k] = id
				keys = append(keys, k)
			}
			last, lastID = k, id
		}
		gid[i] = lastID
	}
	order := make([]int32, len(keys)) // group ids by key
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		x, y := keys[a], keys[b]
		return cmp.Or(cmp.Compare(x.account, y.account), -cmpBool(x.out, y.out))
	})
	count := make([]int32, len(keys))
	for _, g := range gid {
		count[g]++
	}
	start := make([]int32, len(keys))
	var at int32
	for _, g := range order {
		start[g] = at
		ix.groups[keys[g]] = &group{lo: at, hi: at + count[g]}
		at += count[g]
	}
	// Entries into their groups in entry order; each group then sorted by
	// day, stably.
	fill := slices.Clone(start)
	for i, g := range gid {
		ix.idx[fill[g]] = int32(i)
		fill[g]++
	}
	groups := make([]*group, len(order))
	for i, g := range order {
		groups[i] = ix.groups[keys[g]]
	}
	parallel(len(groups), func(k int) {
		g := groups[k]
		pos := ix.idx[g.lo:g.hi]
		sortByDay(pos, entries)
		g.bands = sortByBand(pos, entries, g.lo)
		for p := g.lo; p < g.hi; p++ {
			e := &entries[ix.idx[p]]
			ix.day[p], ix.amt[p] = e.Day, abs(e.Amount)
		}
	})
	// Payees interned, checks and references kept, in position order (the
	// text index and the maps are not shared).
	for _, g := range groups {
		for p := g.lo; p < g.hi; p++ {
			e := &entries[ix.idx[p]]
			ix.payee[p] = tx.intern(e.Payee)
			if c := normCheck(e.Check); c != "" {
				ix.check[p] = c
				ix.flags[p] |= hasCheck
				g.checks = append(g.checks, p)
			}
			if r := normRef(e.Ref); r != "" {
				ix.ref[p] = r
				ix.flags[p] |= hasRef
			}
			if e.Transfer {
				ix.flags[p] |= isTransfer
			}
		}
		slices.SortFunc(g.checks, func(a, b int32) int { return cmp.Or(cmp.Compare(ix.day[a], ix.day[b]), cmp.Compare(a, b)) })
	}
	parallel(len(groups), func(k int) { ix.markRepeats(groups[k], tx) })
	return ix
}

// markRepeats flags, in group g, the entries that have another of the same
// amount and a similar payee within repeatDays.
func (ix *entryIndex) markRepeats(g *group, tx *textIndex) {
	type am struct {
		amt int64
		pos int32
	}
	byAmt := make([]am, 0, g.hi-g.lo)
	for p := g.lo; p < g.hi; p++ {
		byAmt = append(byAmt, am{ix.amt[p], p})
	}
	// By amount, then position: within one amount, by day.
	slices.SortFunc(byAmt, func(a, b am) int { return cmp.Or(cmp.Compare(a.amt, b.amt), cmp.Compare(a.pos, b.pos)) })
	for j, x := range byAmt {
		for _, y := range byAmt[j+1:] {
			if y.amt != x.amt || ix.day[y.pos]-ix.day[x.pos] > repeatDays {
				break
			}
			if ix.samePayee(x.pos, y.pos, tx) {
				ix.flags[x.pos] |= ambiguous
				ix.flags[y.pos] |= ambiguous
			}
		}
	}
}

// samePayee: the payees at two positions are one (both unknown counts).
func (ix *entryIndex) samePayee(x, y int32, tx *textIndex) bool {
	px, py := ix.payee[x], ix.payee[y]
	if px == py {
		return true
	}
	a, b := tx.set(px), tx.set(py)
	if len(a.ids) == 0 && len(b.ids) == 0 {
		return true
	}
	return similarity(a, b) >= repeatSim
}

// sortByDay sorts entry indexes (ascending) by day, stably: a counting sort
// when the days span little, else a comparison sort.
func sortByDay(pos []int32, entries []Entry) {
	if len(pos) < 2 {
		return
	}
	lo, hi := entries[pos[0]].Day, entries[pos[0]].Day
	for _, i := range pos {
		lo, hi = min(lo, entries[i].Day), max(hi, entries[i].Day)
	}
	span := int64(hi) - int64(lo) + 1
	if span > 4*int64(len(pos))+1024 {
		slices.SortStableFunc(pos, func(a, b int32) int { return cmp.Compare(entries[a].Day, entries[b].Day) })
		return
	}
	count := make([]int32, span+1)
	for _, i := range pos {
		count[entries[i].Day-lo+1]++
	}
	for d := 1; d < len(count); d++ {
		count[d] += count[d-1]
	}
	out := make([]int32, len(pos))
	for _, i := range pos {
		d := entries[i].Day - lo
		out[count[d]] = i
		count[d]++
	}
	copy(pos, out)
}

// sortByBand sorts day-sorted entry indexes by amount band, stably, and
// returns where each band starts (offset by base), and where the last ends.
func sortByBand(pos []int32, entries []Entry, base int32) []int32 {
	start := make([]int32, bands+1)
	for _, i := range pos {
		start[band(abs(entries[i].Amount))+1]++
	}
	for b := 1; b <= bands; b++ {
		start[b] += start[b-1]
	}
	out := make([]int32, len(pos))
	fill := slices.Clone(start)
	for _, i := range pos {
		b := band(abs(entries[i].Amount))
		out[fill[b]] = i
		fill[b]++
	}
	copy(pos, out)
	for b := range start {
		start[b] += base
	}
	return start
}

// window is the positions of band b of group g dated within [from, to].
func (ix *entryIndex) window(g *group, b int, from, to Day) (int32, int32) {
	lo, hi := g.bands[b], g.bands[b+1]
	days := ix.day[lo:hi]
	x, _ := slices.BinarySearch(days, from)
	y, _ := slices.BinarySearch(days, to+1)
	return lo + int32(x), lo + int32(y)
}

// checkWindow is the part of g.checks dated within [from, to].
func (ix *entryIndex) checkWindow(g *group, from, to Day) []int32 {
	at := func(d Day) int {
		i, _ := slices.BinarySearchFunc(g.checks, d, func(p int32, d Day) int { return cmp.Compare(ix.day[p], d) })
		return i
	}
	return g.checks[at(from):at(to+1)]
}

// parallel calls f(0..n-1) on up to GOMAXPROCS goroutines.
func parallel(n int, f func(int)) {
	workers := min(runtime.GOMAXPROCS(0), maxWorkers, n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// normCheck is a check number without spaces and leading zeros.
func normCheck(s string) string {
	s = strings.TrimSpace(s)
	t := strings.TrimLeft(s, "0")
	if t == "" && s != "" {
		return "0"
	}
	return t
}

// normRef is a reference compared case-insensitively without spaces around.
func normRef(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }
