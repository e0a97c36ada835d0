package match

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Assignment is global greedy and one to one: every (line, entry) pair that
// scores at least SuggestScore, best first (ties: the nearer date, then
// the line's and the entry's keys, then their places in the batch); a pair
// is taken when neither its line nor its entry is.
//
// A pair's runner-up is the best score of competition from either side:
// the line's best score for any other entry, and the best score any other
// line has for the entry, whether or not those pairs were taken. Every
// candidate pair counts, whatever its score.
//
// Scoring runs on up to GOMAXPROCS workers (at most maxWorkers) over chunks
// of lines; each worker keeps its own per-entry top two, merged after, so
// the answer does not depend on the schedule.

const (
	chunkLines = 512
	maxWorkers = 8
)

// top2 keeps the best and second-best score of one side of the pairs, with
// the other side of the best (an entry for a line, a line for an entry).
type top2 struct {
	s1, s2 float32
	who    int32 // the other side of the best pair
	n      uint8 // pairs seen, up to 2
}

// add records a pair's score; who breaks ties (the smaller wins the best
// place) so that the result does not depend on the order of the calls.
func (t *top2) add(s float32, who int32) {
	switch {
	case t.n == 0:
		t.s1, t.who, t.n = s, who, 1
	case s > t.s1 || (s == t.s1 && who < t.who):
		t.s2, t.s1, t.who, t.n = t.s1, s, who, 2
	case t.n == 1 || s > t.s2:
		t.s2, t.n = s, 2
	}
}

// merge adds the pairs u kept into t.
func (t *top2) merge(u top2) {
	if u.n == 0 {
		return
	}
	t.add(u.s1, u.who)
	if u.n == 2 {
		// u.s2 takes the best place only in a tie with u.s1, which is
		// then the score of the others whoever asks.
		t.add(u.s2, math.MaxInt32)
	}
}

// other is the best score of the pairs other than the one with who.
func (t *top2) other(who int32) (float32, bool) {
	switch {
	case t.n == 0:
		return 0, false
	case t.who != who:
		return t.s1, true
	case t.n == 2:
		return t.s2, true
	}
	return 0, false
}

// pair is a candidate pair worth assigning (score ≥ SuggestScore); entry
// is a position in the index.
type pair struct {
	line, entry int32
	score       float32
	dd          Day
}

// matched is the outcome of matching for each line.
type matched struct {
	entry    []int32 // assigned entry position, -1 for none
	score    []float32
	runnerUp []float32
	hasRU    []bool
	best     []top2 // every candidate of the line
}

// match scores every line against its candidates and assigns them.
func match(lines []lineInfo, keys []int64, ix *entryIndex, tx *textIndex) *matched {
	n := len(lines)
	res := &matched{
		entry:    make([]int32, n),
		score:    make([]float32, n),
		runnerUp: make([]float32, n),
		hasRU:    make([]bool, n),
		best:     make([]top2, n),
	}
	for i := range res.entry {
		res.entry[i] = -1
	}
	if n == 0 || len(ix.entries) == 0 {
		return res
	}
	// Lines in the order of the index (account, sign, day), so that a
	// chunk reads and writes few parts of it.
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		x, y := &lines[a], &lines[b]
		return cmp.Or(cmp.Compare(x.account, y.account), cmpBool(y.out, x.out), cmp.Compare(x.day, y.day), cmp.Compare(a, b))
	})
	chunks := (n + chunkLines - 1) / chunkLines
	workers := min(runtime.GOMAXPROCS(0), maxWorkers, chunks)
	kept := make([][]pair, chunks)
	tops := make([][]top2, workers) // per worker, per entry
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		tops[w] = make([]top2, len(ix.entries))
		wg.Go(func() {
			sc := scanner{ix: ix, tx: tx, best: res.best, entries: tops[w]}
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				sc.kept = nil
				for _, li := range order[c*chunkLines : min(n, (c+1)*chunkLines)] {
					sc.line(li, &lines[li])
				}
				kept[c] = sc.kept
			}
		})
	}
	wg.Wait()
	entryTop := tops[0]
	for _, t := range tops[1:] {
		for i := range t {
			entryTop[i].merge(t[i])
		}
	}

	var pairs []pair
	for _, k := range kept {
		pairs = append(pairs, k...)
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		return cmp.Or(
			cmp.Compare(b.score, a.score),
			cmp.Compare(a.dd, b.dd),
			cmp.Compare(keys[a.line], keys[b.line]),
			cmp.Compare(ix.entries[ix.idx[a.entry]].Key, ix.entries[ix.idx[b.entry]].Key),
			cmp.Compare(a.line, b.line),
			cmp.Compare(ix.idx[a.entry], ix.idx[b.entry]))
	})
	taken := make([]bool, len(ix.entries))
	for _, p := range pairs {
		if res.entry[p.line] >= 0 || taken[p.entry] {
			continue
		}
		taken[p.entry] = true
		res.entry[p.line] = p.entry
		res.score[p.line] = p.score
		a, okA := res.best[p.line].other(p.entry)
		b, okB := entryTop[p.entry].other(p.line)
		switch {
		case okA && okB:
			res.runnerUp[p.line], res.hasRU[p.line] = max(a, b), true
		case okA:
			res.runnerUp[p.line], res.hasRU[p.line] = a, true
		case okB:
			res.runnerUp[p.line], res.hasRU[p.line] = b, true
		}
	}
	return res
}

// scanner is one worker's candidate search.
type scanner struct {
	ix      *entryIndex
	tx      *textIndex
	best    []top2 // per line (each line is written by one worker only)
	entries []top2 // this worker's, per entry position
	kept    []pair
}

func (sc *scanner) line(li int32, l *lineInfo) {
	sc.ix.eachCandidate(l, func(p int32) { sc.try(li, l, p) })
}

// eachCandidate calls fn with the position of every entry line l may be
// matched to: its account and sign, an amount band it fits, within
// DateWindow (CheckWindow for a line with a check number), and entries
// with a check number within CheckWindow.
func (ix *entryIndex) eachCandidate(l *lineInfo, fn func(p int32)) {
	g := ix.groups[groupKey{l.account, l.out}]
	if g == nil {
		return
	}
	w := Day(DateWindow)
	if l.check != "" {
		w = CheckWindow
	}
	from, to := clampDay(int64(l.day)-int64(w)), clampDay(int64(l.day)+int64(w))
	lo, hi := bandsOf(l.amt)
	for b := lo; b <= hi; b++ {
		x, y := ix.window(g, b, from, to)
		for p := x; p < y; p++ {
			fn(p)
		}
	}
	if l.check != "" {
		return
	}
	for _, p := range ix.checkWindow(g, clampDay(int64(l.day)-CheckWindow), clampDay(int64(l.day)+CheckWindow)) {
		if absDay(ix.day[p]-l.day) > DateWindow {
			fn(p)
		}
	}
}

// try scores the entry at position p for line li.
func (sc *scanner) try(li int32, l *lineInfo, p int32) {
	exact, grown, ok := amountFits(l.amt, sc.ix.amt[p])
	if !ok {
		return
	}
	dd := absDay(sc.ix.day[p] - l.day)
	s, ok := sc.ix.score(sc.tx, l, p, dd, exact, grown)
	if !ok {
		return
	}
	s32 := float32(s)
	sc.best[li].add(s32, p)
	sc.entries[p].add(s32, li)
	if s >= SuggestScore {
		sc.kept = append(sc.kept, pair{li, p, s32, dd})
	}
}

// clampDay keeps a window's bound a Day that a day can be one past.
func clampDay(d int64) Day {
	return Day(min(max(d, math.MinInt32), math.MaxInt32-1))
}
