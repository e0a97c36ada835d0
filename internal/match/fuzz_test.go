package match

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// smallBatch makes a batch from a seed, drawn from small pools so that ids,
// amounts, days and descriptors collide often. Keys are unique: lines from
// 1, entries from 1000.
func smallBatch(seed uint64, size uint8) *Batch {
	r := rand.New(rand.NewPCG(seed, uint64(size)))
	n := 1 + int(size%24)
	texts := []string{"STARBUCKS #12", "STARBUCKS SEATTLE", "TRANSFER TO SAV", "TRANSFER FROM CHK",
		"PAYMENT THANK YOU", "SHELL OIL", "", "XXXX1234", "OLIVE GARDEN", "CHECK 101"}
	amounts := []int64{-500, 500, -600, -650, -2000, -2400, 2000, 0, -150}
	line := func(key int64) Line {
		l := Line{
			Key:     key,
			Account: int64(1 + r.IntN(3)),
			Day:     D0 + Day(r.IntN(20)),
			Amount:  amounts[r.IntN(len(amounts))],
			Text:    texts[r.IntN(len(texts))],
			Pending: r.IntN(4) == 0,
		}
		for range r.IntN(3) {
			l.IDs = append(l.IDs, fmt.Sprint("id", r.IntN(12)))
		}
		if r.IntN(6) == 0 {
			l.PendingOf = fmt.Sprint("id", r.IntN(12))
		}
		if r.IntN(8) == 0 {
			l.Check = fmt.Sprint(100 + r.IntN(3))
		}
		if r.IntN(8) == 0 {
			l.Ref = fmt.Sprint("R", r.IntN(3))
		}
		return l
	}
	b := &Batch{Today: D0 + Day(r.IntN(30)), TransferPairs: map[[2]int64]bool{{1, 2}: r.IntN(2) == 0}}
	key := int64(1)
	next := func() int64 { key++; return key - 1 }
	for range r.IntN(3) {
		d := Delivery{Account: int64(1 + r.IntN(3)), From: D0 + Day(r.IntN(10)), To: D0 + Day(10+r.IntN(20))}
		for range r.IntN(n) {
			l := line(next())
			l.Account = d.Account
			d.New = append(d.New, l)
			d.Present = append(d.Present, l.IDs...)
		}
		for range r.IntN(4) {
			d.Present = append(d.Present, fmt.Sprint("id", r.IntN(12)))
		}
		b.Deliveries = append(b.Deliveries, d)
	}
	for range r.IntN(n) {
		b.Stored = append(b.Stored, line(next()))
	}
	for range r.IntN(n) {
		l := line(next())
		if r.IntN(4) == 0 {
			if b.Provisional == nil {
				b.Provisional = map[int64]bool{}
			}
			b.Provisional[l.Key] = true
		}
		b.Open = append(b.Open, l)
	}
	for i := range r.IntN(2 * n) {
		l := line(0)
		b.Entries = append(b.Entries, Entry{Key: int64(1000 + i), Account: l.Account, Day: l.Day,
			Amount: l.Amount, Payee: l.Text, Check: l.Check, Ref: l.Ref, Transfer: r.IntN(5) == 0})
	}
	if r.IntN(2) == 0 {
		b.Labeler = fuzzLabeler{}
	}
	return b
}

type fuzzLabeler struct{}

func (fuzzLabeler) Label(l *Line) Labels {
	return Labels{
		AutoAdd:    l.Key%3 == 0,
		Exclude:    l.Key%7 == 0,
		Category:   "c",
		Confidence: float64(l.Key%10) / 10,
		Transfer:   map[bool]string{true: "x"}[l.Key%5 == 0],
	}
}

// checkPlan checks what any plan must hold.
func checkPlan(t *testing.T, b *Batch, p *Plan) {
	t.Helper()
	newKeys, oldKeys := map[int64]bool{}, map[int64]bool{}
	for _, d := range b.Deliveries {
		for _, l := range d.New {
			newKeys[l.Key] = true
		}
	}
	for _, l := range b.Stored {
		oldKeys[l.Key] = true
	}
	merged, mergedOld := map[int64]bool{}, map[int64]bool{}
	for _, m := range p.Merges {
		if !newKeys[m.New] || !oldKeys[m.Old] {
			t.Fatalf("merge %+v: not a new line with a stored one", m)
		}
		if merged[m.New] || mergedOld[m.Old] {
			t.Fatalf("merge %+v: a line merged twice", m)
		}
		merged[m.New], mergedOld[m.Old] = true, true
	}
	for _, v := range p.Voids {
		if !oldKeys[v.Line] || mergedOld[v.Line] {
			t.Fatalf("void %+v: not a stored line, or merged", v)
		}
	}
	want := len(b.Open) - len(p.Merges)
	for _, d := range b.Deliveries {
		want += len(d.New)
	}
	if len(p.Lines) != want {
		t.Fatalf("%d line plans, want %d", len(p.Lines), want)
	}
	planned, entries := map[int64]*LinePlan{}, map[int64]bool{}
	for i := range p.Lines {
		lp := &p.Lines[i]
		if merged[lp.Line] {
			t.Fatalf("merged line %d planned", lp.Line)
		}
		planned[lp.Line] = lp
		switch {
		case lp.Zone == ZoneNew && lp.Entry != 0:
			t.Fatalf("line %d new with entry %d", lp.Line, lp.Entry)
		case lp.Zone != ZoneNew && entries[lp.Entry]:
			t.Fatalf("entry %d assigned twice", lp.Entry)
		case lp.Zone == ZoneAuto && lp.Score-lp.RunnerUp < AutoMargin && !twinOf(b, lp):
			t.Fatalf("line %d auto at %v over %v", lp.Line, lp.Score, lp.RunnerUp)
		case lp.Zone == ZoneAuto && lp.Score < AutoScore && !b.Provisional[lp.Line] && !mirrorOf(b, lp) && !twinOf(b, lp):
			t.Fatalf("line %d auto at %v", lp.Line, lp.Score)
		case b.Provisional[lp.Line] && (lp.Add || lp.Exclude):
			t.Fatalf("provisional line %d added %v, excluded %v", lp.Line, lp.Add, lp.Exclude)
		case lp.Duplicate && (!b.Provisional[lp.Line] || lp.Zone != ZoneSuggest):
			t.Fatalf("line %d a possible duplicate in zone %v, provisional %v", lp.Line, lp.Zone, b.Provisional[lp.Line])
		case lp.Zone == ZoneSuggest && lp.Score < SuggestScore:
			t.Fatalf("line %d suggested at %v", lp.Line, lp.Score)
		case lp.Add && (lp.Zone != ZoneNew || lp.Exclude):
			t.Fatalf("line %d added in zone %v, excluded %v", lp.Line, lp.Zone, lp.Exclude)
		}
		entries[lp.Entry] = lp.Zone != ZoneNew
	}
	inTransfer := map[int64]bool{}
	for _, tr := range p.Transfers {
		for _, k := range []int64{tr.Out, tr.In} {
			lp := planned[k]
			if lp == nil || inTransfer[k] || lp.Zone != ZoneNew || lp.Add || b.Provisional[k] {
				t.Fatalf("transfer %+v: line %d not a new plan, in two transfers, or added", tr, k)
			}
			inTransfer[k] = true
		}
	}
}

func FuzzProcess(f *testing.F) {
	for seed := range uint64(20) {
		f.Add(seed, uint8(seed*7))
	}
	f.Fuzz(func(t *testing.T, seed uint64, size uint8) {
		b := smallBatch(seed, size)
		before := smallBatch(seed, size)
		p := Process(b)
		checkPlan(t, b, p)
		if diff := cmp.Diff(before, b, cmp.Comparer(func(a, b Labeler) bool { return (a == nil) == (b == nil) })); diff != "" {
			t.Fatalf("Process changed its batch (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(p, Process(b)); diff != "" {
			t.Fatalf("two runs differ (-first +second):\n%s", diff)
		}
	})
}

func TestProcessNil(t *testing.T) {
	if p := Process(nil); p == nil || len(p.Lines) != 0 {
		t.Errorf("Process(nil) = %+v", p)
	}
	if p := Process(&Batch{}); len(p.Lines)+len(p.Merges)+len(p.Transfers) != 0 {
		t.Errorf("Process(empty) = %+v", p)
	}
}

func TestProcessDeterministicLarge(t *testing.T) {
	// Many chunks on one worker or several: the same plan every time.
	b, _ := genBooks(7, 20_000, 5_000)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	first := Process(b)
	checkPlan(t, b, first)
	for _, procs := range []int{2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		if diff := cmp.Diff(first, Process(b)); diff != "" {
			t.Fatalf("GOMAXPROCS %d gives another plan:\n%s", procs, diff)
		}
	}
}

func TestProcessExtremes(t *testing.T) {
	// Days and amounts at the ends of their types: no panic, plans hold.
	days := []Day{math.MinInt32, math.MinInt32 + 1, -1, 0, math.MaxInt32 - 1, math.MaxInt32}
	amounts := []int64{math.MinInt64, math.MinInt64 + 1, -1, 0, 1, math.MaxInt64}
	b := &Batch{Today: math.MaxInt32}
	d := Delivery{Account: 1, From: math.MinInt32, To: math.MaxInt32}
	key := int64(1)
	for _, day := range days {
		for _, amt := range amounts {
			l := Line{Key: key, Account: 1 + key%2, IDs: []string{fmt.Sprint(key)}, Day: day, Amount: amt, Text: "TRANSFER", Check: "1"}
			key++
			if l.Account == 1 {
				d.New = append(d.New, l)
			} else {
				b.Open = append(b.Open, l)
			}
			b.Stored = append(b.Stored, Line{Key: key + 1000, Account: 1, IDs: []string{"s" + fmt.Sprint(key)}, Day: day, Amount: amt, Text: "TRANSFER", Pending: key%2 == 0})
			b.Entries = append(b.Entries, Entry{Key: key, Account: 1 + key%2, Day: day, Amount: amt, Payee: "TRANSFER", Check: "1"})
		}
	}
	b.Deliveries = []Delivery{d}
	checkPlan(t, b, Process(b))
}

// twinOf reports whether a plan's line has another alike in the batch
// (twins.go: there are at least as many lines alike as entries alike).
func twinOf(b *Batch, lp *LinePlan) bool {
	var lines []Line
	for _, d := range b.Deliveries {
		lines = append(lines, d.New...)
	}
	lines = append(lines, b.Open...)
	for _, l := range lines {
		if l.Key != lp.Line {
			continue
		}
		for _, o := range lines {
			if o.Key != l.Key && o.Account == l.Account && o.Amount == l.Amount && o.Day == l.Day && o.Text == l.Text &&
				o.Check == l.Check && o.Ref == l.Ref && o.Pending == l.Pending {
				return true
			}
		}
	}
	return false
}

// mirrorOf reports whether a plan's entry is a transfer's mirror leg of
// the line's amount dated 0 to MirrorDays days before it.
func mirrorOf(b *Batch, lp *LinePlan) bool {
	var l *Line
	for di := range b.Deliveries {
		for i := range b.Deliveries[di].New {
			if b.Deliveries[di].New[i].Key == lp.Line {
				l = &b.Deliveries[di].New[i]
			}
		}
	}
	for i := range b.Open {
		if b.Open[i].Key == lp.Line {
			l = &b.Open[i]
		}
	}
	for _, e := range b.Entries {
		if l != nil && e.Key == lp.Entry {
			dd := l.Day - e.Day
			return e.Transfer && e.Amount == l.Amount && dd >= 0 && dd <= MirrorDays && l.Check == ""
		}
	}
	return false
}
