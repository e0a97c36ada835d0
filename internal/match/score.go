package match

// Blocking and scoring of a line against an open entry (design note §7).
//
// A candidate is an entry of the line's account and sign dated within
// DateWindow days (CheckWindow when either side carries a check number: a
// check may be cashed weeks after it was written) whose amount is the
// line's, or within FeeTolerance of it (an ATM or foreign-card fee the
// bank added), or the entry's grown by at most 30% when the payees agree
// (a tip, a final hotel bill). Check numbers that both sides carry and
// that differ rule the candidate out.
//
// The date term reads |Δdays| as the design note's table, one day more
// for a line dated before its entry: a bank posts a purchase on its day
// or later, so a line before the entry is as likely another purchase of
// the same as a line a day further after it. A line dated up to
// postingLag days after its entry scores as one a day after: a card line
// carries the day the bank posted it, one to three days after the
// purchase the person typed (GnuCash's matcher gives up to 4 days the
// same +2), so that lag says nothing against the match.
//
// Equal check numbers on a line dated on or after its entry take no date
// penalty (a check is cashed after it is written, often weeks after), and
// an equal check number or reference lifts the repeat-purchase penalty:
// the number tells the repeats apart.

// Blocking bounds.
const (
	// DateWindow is the largest |Δdays| between a line and a candidate.
	DateWindow = 21
	// CheckWindow is the window when the line or the entry has a check number.
	CheckWindow = 90
	// FeeTolerance is the largest |Δamount| in minor units (3.00) between a
	// line and a candidate of another amount: a fee the bank added or took.
	FeeTolerance = 300
	// GrowthPercent is how much larger than the entry a line may be when
	// their payees agree (similarity ≥ GrowthSimilarity): a tip.
	GrowthPercent    = 30
	GrowthSimilarity = 0.8
)

// postingLag is how many days after a purchase its bank line may be dated
// and still score as a line one day after (design note §7's Δ1): a card
// line is dated when it posts, one to three days after the purchase.
const postingLag = 3

// Score terms.
const (
	scoreExact      = 4.0
	scoreFuzzy      = 1.0
	scoreCheck      = 5.0
	scorePayee      = 3.0 // similarity ≥ 0.8
	scorePayeeHalf  = 1.5 // similarity ≥ 0.5
	scorePayeeOther = -2.0
	scoreRef        = 2.0
	scoreRepeat     = -1.5
)

// dateScore is the date term for |Δdays|.
func dateScore(dd Day) float64 {
	switch {
	case dd == 0:
		return 3
	case dd == 1:
		return 2
	case dd <= 3:
		return 1
	case dd <= 7:
		return 0
	case dd <= 14:
		return -1
	default:
		return -3
	}
}

// payeeScore is the payee term for a similarity; known: the line's payee
// was learned for its descriptor and the entry has a payee, so a low
// similarity means a known other payee (a descriptor nothing was learned
// for may just be the bank's spelling of the entry's payee: unknown).
func payeeScore(sim float64, known bool) float64 {
	switch {
	case sim >= 0.8:
		return scorePayee
	case sim >= 0.5:
		return scorePayeeHalf
	case known && sim < 0.2:
		return scorePayeeOther
	}
	return 0
}

// lineInfo is a line as the candidate search reads it.
type lineInfo struct {
	account  int64
	day      Day
	amt      int64 // absolute amount
	out      bool  // money out
	payee    int32 // text id: the learned payee, else the descriptor ("" for a check's)
	learned  bool  // payee was learned for the descriptor
	transfer bool  // a transfer word in the descriptor
	leg      bool  // another own account has the opposite line (otherLegs)
	check    string
	ref      string
}

func newLineInfo(l *Line, payeeOf func(string) string, tx *textIndex) lineInfo {
	payee, learned := linePayee(l, payeeOf)
	return lineInfo{
		account:  l.Account,
		day:      l.Day,
		amt:      abs(l.Amount),
		out:      l.Amount < 0,
		payee:    tx.intern(payee),
		learned:  learned,
		transfer: HasTransferWord(l.Text),
		check:    normCheck(l.Check),
		ref:      normRef(l.Ref),
	}
}

// amountFits is the amount part of blocking: exact, within the fee
// tolerance, or grown by up to GrowthPercent (which then needs a payee
// check). Amounts are absolute, of the same sign.
func amountFits(line, entry int64) (exact, grown, ok bool) {
	d := line - entry
	switch {
	case d == 0:
		return true, false, true
	case d >= -FeeTolerance && d <= FeeTolerance:
		return false, false, true
	case d > 0 && d*100 <= entry*GrowthPercent:
		return false, true, true
	}
	return false, false, false
}

// score scores the entry at position p for line l at |Δdays| dd, whose
// amounts fit (exact, grown as amountFits said); ok is false when the
// candidate is ruled out (check numbers differ, or a grown amount without a
// matching payee).
func (ix *entryIndex) score(tx *textIndex, l *lineInfo, p int32, dd Day, exact, grown bool) (float64, bool) {
	flags := ix.flags[p]
	checkEq := false
	if l.check != "" && flags&hasCheck != 0 {
		if l.check != ix.check[p] {
			return 0, false
		}
		checkEq = true
	}
	sim, known := ix.payeeSim(tx, l, p)
	if grown && sim < GrowthSimilarity {
		return 0, false
	}
	s := scoreFuzzy
	if exact {
		s = scoreExact
	}
	date := dateScore(dd)
	switch {
	case l.day < ix.day[p]:
		date = dateScore(dd + 1)
	case dd <= postingLag:
		date = dateScore(min(dd, 1))
	}
	if checkEq && l.day >= ix.day[p] {
		// A check is cashed days or weeks after it is written: no
		// penalty for that wait.
		date = max(date, 0)
	}
	s += date
	if checkEq {
		s += scoreCheck
	}
	s += payeeScore(sim, known)
	refEq := l.ref != "" && flags&hasRef != 0 && l.ref == ix.ref[p]
	if refEq {
		s += scoreRef
	}
	if flags&ambiguous != 0 && !checkEq && !refEq {
		// A check number or reference tells repeats apart.
		s += scoreRepeat
	}
	return s, true
}

// replaces reports whether the entry at position p may replace the entry
// made for provisional line l below the auto bar: the line's amount, or
// less by up to FeeTolerance (a fee the bank added to what the person
// paid or took: an ATM's, a foreign card's), a payee that agrees, the
// line dated 0 to ProvisionalDays after the entry (a bank posts a
// purchase on its day or later; a line before the entry is likely an
// earlier purchase of the same) (Batch.Provisional).
func (ix *entryIndex) replaces(tx *textIndex, l *lineInfo, p int32) bool {
	dd := l.day - ix.day[p]
	fee := l.amt - ix.amt[p]
	if fee < 0 || fee > FeeTolerance || dd < 0 || dd > ProvisionalDays {
		return false
	}
	sim, _ := ix.payeeSim(tx, l, p)
	return sim >= GrowthSimilarity
}

// mirrors reports whether the entry at position p, the mirror leg of a
// transfer, may take line l below the auto bar (MirrorDays): the line's
// amount, the line dated 0 to MirrorDays days after it, a descriptor that
// names no payee the person confirmed and no check number.
func (ix *entryIndex) mirrors(l *lineInfo, p int32) bool {
	dd := l.day - ix.day[p]
	return ix.flags[p]&isTransfer != 0 && l.amt == ix.amt[p] && dd >= 0 && dd <= MirrorDays && !l.learned && l.check == ""
}

// payeeSim is how well line l and the entry at position p agree on the
// payee, and whether a disagreement means a known other payee. The mirror
// leg of a transfer has no payee of its own: a transfer word in the line,
// or the opposite line in another own account, agrees with it, and
// nothing else is evidence either way. A transfer
// word against an entry with a payee that the line does not name is
// another payee.
func (ix *entryIndex) payeeSim(tx *textIndex, l *lineInfo, p int32) (sim float64, known bool) {
	if ix.flags[p]&isTransfer != 0 {
		if l.transfer || l.leg {
			return 1, false
		}
		return 0, false
	}
	lp, ep := tx.set(l.payee), tx.set(ix.payee[p])
	if len(ep.ids) == 0 {
		return similarity(lp, ep), false
	}
	// A line that says it is a transfer (TRANSFER TO SAV) is not a
	// payee's entry: a low similarity means another payee, as for a
	// learned one.
	return similarity(lp, ep), (l.learned && len(lp.ids) > 0) || l.transfer
}
