package match

// Batch is everything Process needs to decide about one round of deliveries:
// the new lines, what is stored near them, the open queue and the open
// entries of the books. The caller loads it (the store, or the benchmark's
// in-memory books) and applies the Plan that comes back.
type Batch struct {
	Today      Day
	Deliveries []Delivery
	// Stored are the lines of the delivered accounts dated inside the
	// deliveries' windows (from 7 days before From), plus every open
	// pending line of those accounts, whatever its date: the candidates
	// for re-keying and for pending → posted links. Lines already merged
	// or voided are not in it.
	Stored []Line
	// Open are lines still For Review (any account), matched again
	// against the entries: an entry typed after the import claims them.
	Open []Line
	// Entries are the open bank-side splits of the books in the accounts
	// concerned, dated within 90 days of the lines.
	Entries []Entry
	// Labeler labels new and open lines; nil labels nothing.
	Labeler Labeler
	// PayeeOf maps a descriptor to the payee learned for it ("" if none),
	// for payee similarity; nil means descriptors compare as they are.
	PayeeOf func(text string) string
	// TransferPairs are pairs of own feed accounts the user confirmed a
	// transfer between before: a pair found between them is auto-paired.
	TransferPairs map[[2]int64]bool
	// Provisional are keys of lines in Open that were booked without
	// review (auto-added, or one leg of an auto-paired transfer) and that
	// no person has confirmed since; the entry made for them is not in
	// Entries. They are offered to the entries like the lines of the
	// queue, so that an entry a person types after the import can claim
	// its line instead of doubling it; the caller passes those of the
	// last 30 days.
	//
	// Process never sets Add or Exclude on a provisional line and never
	// puts one in a Transfer. Its plan means one thing: in ZoneAuto, the
	// caller replaces the entry made automatically by the plan's Entry:
	// it deletes the made entry (for an auto-paired transfer, the whole
	// transfer: the other leg goes For Review unless its own plan links
	// it too) and links the line to Entry, as an auto match. A provisional
	// line is in ZoneAuto at the auto bar (AutoScore, AutoMargin), or when
	// its entry has the line's amount, or that less a fee the bank added
	// (up to FeeTolerance: an ATM's, a foreign card's), a payee that agrees
	// (similarity ≥ GrowthSimilarity), is dated 0 to ProvisionalDays days
	// before the line (a bank posts a purchase on its day or later) and
	// has no competitor within AutoMargin: the made entry was only the
	// engine's guess, the typed one the person's word. In ZoneSuggest
	// with Duplicate set (LinePlan), the typed entry may be the line's
	// event but is not safe to take for it: the caller deletes the made
	// entry as above and puts the line back For Review with Entry as its
	// suggestion (a possible duplicate of the entry the person typed),
	// rather than keep both. In any other case the caller changes
	// nothing (Entry and Score are for information).
	Provisional map[int64]bool
}

// Merge says a new line is the same bank transaction as a stored one: its
// ids become aliases of the stored line and it is not reviewed again.
type Merge struct {
	New, Old int64  // line keys
	Why      string // "rekey": the bank changed its id; "pending": a pending line posted
	// Amount changed (a tip on a pending card line): the stored line takes
	// the posted amount and date.
	AmountChanged bool
}

// Void is a pending line that vanished without posting for over 7 days.
type Void struct {
	Line int64
	Why  string
}

// LinePlan is what review proposes for one line (new or open).
type LinePlan struct {
	Line     int64
	Zone     Zone
	Entry    int64   // the best candidate's Entry.Key, 0 for none
	Score    float64 // its score
	RunnerUp float64 // the second-best score for this line, 0 for none
	Labels   Labels
	// Add: add as a new entry without review (an auto-add rule, or a
	// category the labeler is confident of, and no candidate ≥
	// SuggestScore). Exclude: keep out of the books without review.
	Add, Exclude bool
	// Duplicate, for a provisional line in ZoneSuggest only: its Entry
	// is dated 0 to DuplicateDays days before it, so the person may
	// have typed the event bankfeed booked already (Batch.Provisional).
	Duplicate bool
}

// Transfer pairs two lines of two own accounts: money out of one, the same
// amount into the other within 4 days. Auto: paired without review (a
// transfer word in both descriptors, a rule, or an account pair confirmed
// before, and exactly one candidate each way); otherwise suggested.
type Transfer struct {
	Out, In int64 // line keys
	Auto    bool
}

// Plan is Process's answer.
type Plan struct {
	Merges []Merge
	Voids  []Void
	// Rekeyed lists the accounts where more than 30% of a delivery's ids
	// changed at once: one "the bank re-keyed its lines" notice each.
	Rekeyed []int64
	// Lines has one plan per new line not merged, and per open line, in
	// the order of Deliveries then Open. A line in a Transfer is in it too
	// (with the Zone its entry candidates give).
	Lines     []LinePlan
	Transfers []Transfer
}
