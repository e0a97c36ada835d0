package match

import (
	"cmp"
	"math"
	"slices"
)

// Transfers between own accounts: among the lines left without a ledger
// candidate (ZoneNew), not excluded and not provisional, money out of one account paired
// with the same amount into another account within TransferDays.
//
// A pair is unambiguous when each side has exactly one candidate. It is
// paired without review (Auto) when unambiguous and something says it is a
// transfer: a transfer word in both descriptors, a rule's Labels.Transfer
// on either side, or an account pair the user confirmed before
// (Batch.TransferPairs, either order). An unambiguous pair with no such
// sign is suggested. Where a side has several candidates, pairs with a
// transfer word or a transfer rule on at least one side are suggested, best
// first (words on both sides, then the nearer date, then batch order); the
// others are left alone.

// TransferDays is the largest |Δdays| between the two legs of a transfer.
const TransferDays = 4

// transfer words: single tokens, and phrases of consecutive tokens.
var (
	transferWords = map[string]bool{
		"TRANSFER": true, "TRANSFERS": true, "XFER": true, "TFR": true, "TRF": true,
		"TRNSFR": true, "AUTOPAY": true, "EPAY": true, "EPAYMENT": true,
	}
	transferPhrases = [][]string{
		{"PAYMENT", "THANK", "YOU"}, // a card's side of its payment
		{"AUTO", "PAY"},
		{"CARD", "PAYMENT"},
		{"CRD", "PMT"},
		{"CC", "PMT"},
		{"CC", "PAYMENT"},
		{"PAYMENT", "RECEIVED"},
		{"ONLINE", "PAYMENT"},
		{"INTERNET", "PAYMENT"},
	}
)

// HasTransferWord reports whether a descriptor says it is a transfer
// (TRANSFER, XFER, TFR, AUTOPAY, PAYMENT THANK YOU...).
func HasTransferWord(text string) bool {
	var toks []string
	forEachToken(text, true, func(t string) { toks = append(toks, t) })
	for i, t := range toks {
		if transferWords[t] {
			return true
		}
		for _, ph := range transferPhrases {
			if len(toks)-i >= len(ph) && slices.Equal(toks[i:i+len(ph)], ph) {
				return true
			}
		}
	}
	return false
}

// transfers pairs the legs among lines (with their plans, in plan order);
// paired tells which lines are in a pair.
func transfers(lines []*Line, plans []LinePlan, known map[[2]int64]bool, provisional map[int64]bool) (ts []Transfer, paired []bool) {
	type leg struct {
		i    int  // place in lines
		word bool // a transfer word in the descriptor
		rule bool // a rule says transfer
		n    int  // candidates on the other side
	}
	legs := map[int]*leg{}
	ins := map[int64][]int{} // amount → places of money-in lines
	var outs []int
	for i, l := range lines {
		p := &plans[i]
		if p.Zone != ZoneNew || p.Exclude || l.Amount == 0 || provisional[l.Key] {
			continue
		}
		if l.Amount > 0 {
			ins[l.Amount] = append(ins[l.Amount], i)
		} else {
			outs = append(outs, i)
		}
	}
	get := func(i int) *leg {
		g := legs[i]
		if g == nil {
			g = &leg{i: i, word: HasTransferWord(lines[i].Text), rule: plans[i].Labels.Transfer != ""}
			legs[i] = g
		}
		return g
	}
	type cand struct {
		out, in *leg
		dd      Day
	}
	var cands []cand
	for _, o := range outs {
		lo := lines[o]
		for _, in := range ins[-lo.Amount] {
			li := lines[in]
			if li.Account == lo.Account || absDay(li.Day-lo.Day) > TransferDays {
				continue
			}
			c := cand{get(o), get(in), absDay(li.Day - lo.Day)}
			c.out.n++
			c.in.n++
			cands = append(cands, c)
		}
	}
	type legPair struct {
		out, in int
		auto    bool
	}
	used := map[int]bool{}
	var out []legPair
	var ambiguous []cand
	for _, c := range cands {
		if c.out.n != 1 || c.in.n != 1 {
			ambiguous = append(ambiguous, c)
			continue
		}
		lo, li := lines[c.out.i], lines[c.in.i]
		auto := (c.out.word && c.in.word) || c.out.rule || c.in.rule ||
			known[[2]int64{lo.Account, li.Account}] || known[[2]int64{li.Account, lo.Account}]
		used[c.out.i], used[c.in.i] = true, true
		out = append(out, legPair{c.out.i, c.in.i, auto})
	}
	both := func(c cand) int {
		n := 0
		for _, g := range []*leg{c.out, c.in} {
			if g.word || g.rule {
				n++
			}
		}
		return n
	}
	slices.SortStableFunc(ambiguous, func(a, b cand) int {
		return cmp.Or(cmp.Compare(both(b), both(a)), cmp.Compare(a.dd, b.dd),
			cmp.Compare(a.out.i, b.out.i), cmp.Compare(a.in.i, b.in.i))
	})
	for _, c := range ambiguous {
		if both(c) == 0 || used[c.out.i] || used[c.in.i] {
			continue
		}
		used[c.out.i], used[c.in.i] = true, true
		out = append(out, legPair{c.out.i, c.in.i, false})
	}
	// In the order of the lines' plans, by the money-out leg.
	slices.SortFunc(out, func(a, b legPair) int { return cmp.Compare(a.out, b.out) })
	paired = make([]bool, len(lines))
	for _, p := range out {
		ts = append(ts, Transfer{Out: lines[p.out].Key, In: lines[p.in].Key, Auto: p.auto})
		paired[p.out], paired[p.in] = true, true
	}
	return ts, paired
}

// otherLegs tells which lines have a line of the opposite amount in another
// own account within TransferDays, among lines and stored: likely one leg
// of a transfer whose other leg the bank delivered too, whatever their
// descriptors say (DEPOSIT 4822277 for WITHDRAWAL 4822277). Against a
// transfer's mirror leg such a line agrees as a transfer word does.
// Pending lines are neither legs nor counterparts.
func otherLegs(lines []*Line, stored []Line) []bool {
	type at struct {
		day     Day
		account int64
	}
	by := map[int64][]at{} // amount → where lines of it are, by day once sorted
	add := func(l *Line) {
		if !l.Pending && l.Amount != 0 {
			by[l.Amount] = append(by[l.Amount], at{l.Day, l.Account})
		}
	}
	for _, l := range lines {
		add(l)
	}
	for i := range stored {
		add(&stored[i])
	}
	sorted := map[int64]bool{}
	out := make([]bool, len(lines))
	for i, l := range lines {
		if l.Pending || l.Amount == 0 || l.Amount == math.MinInt64 {
			continue
		}
		o := by[-l.Amount]
		if len(o) == 0 {
			continue
		}
		if !sorted[-l.Amount] {
			slices.SortFunc(o, func(a, b at) int { return cmp.Compare(a.day, b.day) })
			sorted[-l.Amount] = true
		}
		j, _ := slices.BinarySearchFunc(o, l.Day-TransferDays, func(a at, d Day) int { return cmp.Compare(a.day, d) })
		for ; j < len(o) && o[j].day <= l.Day+TransferDays; j++ {
			if o[j].account != l.Account {
				out[i] = true
				break
			}
		}
	}
	return out
}
