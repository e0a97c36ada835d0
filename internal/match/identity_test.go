package match

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// D0 is the day the test batches revolve around.
const D0 = Day(20000)

func posted(key int64, id string, day Day, amt int64, text string) Line {
	return Line{Key: key, Account: 1, IDs: []string{id}, Day: day, Amount: amt, Text: text}
}

func pending(key int64, id string, day Day, amt int64, text string) Line {
	l := posted(key, id, day, amt, text)
	l.Pending = true
	return l
}

// delivery of account 1 over [from, to] with new lines and other ids present.
func delivery(from, to Day, others []string, lines ...Line) Delivery {
	d := Delivery{Account: 1, From: from, To: to, New: lines}
	d.Present = append(d.Present, others...)
	for _, l := range lines {
		d.Present = append(d.Present, l.IDs...)
	}
	return d
}

func TestIdentity(t *testing.T) {
	starbucks := posted(1, "A", D0, -500, "STARBUCKS #1234 SEATTLE WA")
	olive := pending(2, "P", D0, -2000, "OLIVE GARDEN 0042")
	withPendingOf := func(l Line, of string) Line { l.PendingOf = of; return l }
	asPending := func(l Line) Line { l.Pending = true; return l }
	many := func(n, rekeyed int) (stored, fresh []Line) {
		for i := range n {
			text := "SHOP " + string(rune('A'+i)) + "X"
			l := posted(int64(100+i), "N"+string(rune('A'+i)), D0, int64(-100-i), text)
			fresh = append(fresh, l)
			if i < rekeyed {
				stored = append(stored, posted(int64(200+i), "O"+string(rune('A'+i)), D0, int64(-100-i), text))
			}
		}
		return stored, fresh
	}
	stored6, fresh10 := many(10, 6)
	stored5, fresh20 := many(20, 5)
	stored4, fresh4 := many(4, 4)

	tests := []struct {
		name        string
		in          Batch
		wantMerges  []Merge
		wantVoids   []Void
		wantRekeyed []int64
		wantLines   int // plans of new lines not merged
	}{
		{
			name: "re-key: same amount, a day later, similar descriptor",
			in: Batch{Today: D0 + 3, Stored: []Line{starbucks},
				Deliveries: []Delivery{delivery(D0-5, D0+3, nil, posted(10, "B", D0+1, -500, "STARBUCKS SEATTLE"))}},
			wantMerges: []Merge{{New: 10, Old: 1, Why: "rekey"}},
		},
		{
			name: "re-key needs the same amount",
			in: Batch{Today: D0 + 3, Stored: []Line{starbucks},
				Deliveries: []Delivery{delivery(D0-5, D0+3, nil, posted(10, "B", D0, -501, "STARBUCKS SEATTLE"))}},
			wantLines: 1,
		},
		{
			name: "re-key within 2 days only",
			in: Batch{Today: D0 + 3, Stored: []Line{starbucks},
				Deliveries: []Delivery{delivery(D0-5, D0+3, nil, posted(10, "B", D0+3, -500, "STARBUCKS SEATTLE"))}},
			wantLines: 1,
		},
		{
			name: "re-key needs a similar descriptor",
			in: Batch{Today: D0 + 3, Stored: []Line{starbucks},
				Deliveries: []Delivery{delivery(D0-5, D0+3, nil, posted(10, "B", D0, -500, "SHELL OIL 5734"))}},
			wantLines: 1,
		},
		{
			name: "a new pending line never re-keys a posted one",
			in: Batch{Today: D0 + 3, Stored: []Line{starbucks},
				Deliveries: []Delivery{delivery(D0-5, D0+3, nil, asPending(posted(10, "B", D0, -500, "STARBUCKS")))}},
			wantLines: 1,
		},
		{
			name: "a stored line whose id the delivery carries is no orphan",
			in: Batch{Today: D0 + 3, Stored: []Line{starbucks},
				Deliveries: []Delivery{delivery(D0-5, D0+3, []string{"A"}, posted(10, "B", D0, -500, "STARBUCKS SEATTLE"))}},
			wantLines: 1,
		},
		{
			name: "a delivery that does not cover the stored line's date makes no orphan",
			in: Batch{Today: D0 + 10, Stored: []Line{starbucks},
				Deliveries: []Delivery{delivery(D0+1, D0+10, nil, posted(10, "B", D0+1, -500, "STARBUCKS SEATTLE"))}},
			wantLines: 1,
		},
		{
			name: "another account's delivery makes no orphan",
			in: Batch{Today: D0 + 3, Stored: []Line{starbucks},
				Deliveries: []Delivery{{Account: 2, From: D0 - 5, To: D0 + 3, Present: []string{"B"},
					New: []Line{{Key: 10, Account: 2, IDs: []string{"B"}, Day: D0, Amount: -500, Text: "STARBUCKS"}}}}},
			wantLines: 1,
		},
		{
			name: "co-present twins: one merges with the one stored, the other is new",
			in: Batch{Today: D0 + 3, Stored: []Line{starbucks},
				Deliveries: []Delivery{delivery(D0-5, D0+3, nil,
					posted(10, "B", D0, -500, "STARBUCKS SEATTLE"),
					posted(11, "C", D0, -500, "STARBUCKS SEATTLE"))}},
			wantMerges: []Merge{{New: 10, Old: 1, Why: "rekey"}},
			wantLines:  1,
		},
		{
			name: "co-present twins never merge with each other",
			in: Batch{Today: D0 + 3,
				Deliveries: []Delivery{delivery(D0-5, D0+3, nil,
					posted(10, "B", D0, -150, "INTEREST"),
					posted(11, "C", D0, -150, "INTEREST"))}},
			wantLines: 2,
		},
		{
			name: "pending posts with a tip: grown 20%, two days later",
			in: Batch{Today: D0 + 3, Stored: []Line{olive},
				Deliveries: []Delivery{delivery(D0-5, D0+3, nil, posted(10, "B", D0+2, -2400, "OLIVE GARDEN SEATTLE"))}},
			wantMerges: []Merge{{New: 10, Old: 2, Why: "pending", AmountChanged: true}},
		},
		{
			name: "pending posts at the same amount five days later",
			in: Batch{Today: D0 + 6, Stored: []Line{olive},
				Deliveries: []Delivery{delivery(D0+4, D0+6, nil, posted(10, "B", D0+5, -2000, "OLIVE GARDEN"))}},
			wantMerges: []Merge{{New: 10, Old: 2, Why: "pending"}},
		},
		{
			name: "pending grown over 30% is another transaction",
			in: Batch{Today: D0 + 3, Stored: []Line{olive},
				Deliveries: []Delivery{delivery(D0-5, D0+3, nil, posted(10, "B", D0+2, -2700, "OLIVE GARDEN"))}},
			wantLines: 1,
		},
		{
			name: "pending grown needs a descriptor similarity of 0.8",
			in: Batch{Today: D0 + 3, Stored: []Line{olive},
				Deliveries: []Delivery{delivery(D0-5, D0+3, nil, posted(10, "B", D0+2, -2400, "OLIVE TREE"))}},
			wantLines: 1,
		},
		{
			name: "pending shrunk is another transaction",
			in: Batch{Today: D0 + 3, Stored: []Line{olive},
				Deliveries: []Delivery{delivery(D0-5, D0+3, nil, posted(10, "B", D0+2, -1900, "OLIVE GARDEN"))}},
			wantLines: 1,
		},
		{
			name: "a new pending line like a stored pending one is another purchase",
			in: Batch{Today: D0 + 3, Stored: []Line{olive},
				Deliveries: []Delivery{delivery(D0-5, D0+3, nil, pending(10, "Q", D0+1, -2000, "OLIVE GARDEN"))}},
			wantLines: 1,
		},
		{
			name: "a descriptor of numbers only re-keyed: the same (empty) tokens are alike",
			in: Batch{Today: D0 + 3, Stored: []Line{posted(2, "A", D0, -45000, "WITHDRAWAL 5294731")},
				Deliveries: []Delivery{delivery(D0-5, D0+3, nil, posted(10, "B", D0, -45000, "WITHDRAWAL 5294731"))}},
			wantMerges: []Merge{{New: 10, Old: 2, Why: "rekey"}},
		},
		{
			name: "a posted line settles the pending line of its very words before a look-alike",
			in: Batch{Today: D0 + 3, Stored: []Line{pending(2, "P", D0+1, -525, "SQ *BLUE BOTTLE COFFEE 0800"), pending(3, "Q", D0, -525, "SQ *BLUE BOTTLE COFFEE")},
				Deliveries: []Delivery{delivery(D0-5, D0+3, nil, posted(10, "B", D0+1, -525, "SQ *BLUE BOTTLE COFFEE"))}},
			wantMerges: []Merge{{New: 10, Old: 3, Why: "pending"}},
		},
		{
			name: "the provider's pending link wins over a fingerprint",
			in: Batch{Today: D0 + 9, Stored: []Line{olive},
				Deliveries: []Delivery{delivery(D0-5, D0+9, []string{"P"},
					posted(10, "B", D0+1, -2000, "OLIVE GARDEN"),
					withPendingOf(posted(11, "C", D0+8, -2600, "OG RESTAURANTS"), "P"))}},
			wantMerges: []Merge{{New: 11, Old: 2, Why: "pending", AmountChanged: true}},
			wantLines:  1,
		},
		{
			name: "a pending link to an unknown id is no link",
			in: Batch{Today: D0 + 9, Stored: []Line{olive},
				Deliveries: []Delivery{delivery(D0-5, D0+9, []string{"P"},
					withPendingOf(posted(11, "C", D0+8, -2000, "OLIVE GARDEN"), "Z"))}},
			wantLines: 1,
		},
		{
			name: "pending gone for over 7 days is voided",
			in: Batch{Today: D0 + 8, Stored: []Line{olive},
				Deliveries: []Delivery{delivery(D0-5, D0+8, nil)}},
			wantVoids: []Void{{Line: 2, Why: "pending for over 7 days and never posted"}},
		},
		{
			name: "pending gone for 7 days is kept",
			in: Batch{Today: D0 + 7, Stored: []Line{olive},
				Deliveries: []Delivery{delivery(D0-5, D0+7, nil)}},
		},
		{
			name: "pending still delivered is kept",
			in: Batch{Today: D0 + 20, Stored: []Line{olive},
				Deliveries: []Delivery{delivery(D0-5, D0+20, []string{"P"})}},
		},
		{
			name: "pending outside a delivery that stops before today is kept",
			in: Batch{Today: D0 + 20, Stored: []Line{olive},
				Deliveries: []Delivery{delivery(D0-5, D0+19, nil)}},
		},
		{
			name: "pending outside a delivery that starts after it is kept",
			in: Batch{Today: D0 + 20, Stored: []Line{olive},
				Deliveries: []Delivery{delivery(D0+1, D0+20, nil)}},
		},
		{
			name:        "re-keyed notice: 6 of 10 lines re-keyed",
			in:          Batch{Today: D0 + 1, Stored: stored6, Deliveries: []Delivery{delivery(D0-5, D0+1, nil, fresh10...)}},
			wantMerges:  rekeys(6),
			wantRekeyed: []int64{1},
			wantLines:   4,
		},
		{
			name:       "no notice for 5 of 20 (25%)",
			in:         Batch{Today: D0 + 1, Stored: stored5, Deliveries: []Delivery{delivery(D0-5, D0+1, nil, fresh20...)}},
			wantMerges: rekeys(5),
			wantLines:  15,
		},
		{
			name:       "no notice for 4 of 4 (fewer than 5)",
			in:         Batch{Today: D0 + 1, Stored: stored4, Deliveries: []Delivery{delivery(D0-5, D0+1, nil, fresh4...)}},
			wantMerges: rekeys(4),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Process(&tt.in)
			if diff := cmp.Diff(tt.wantMerges, p.Merges, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("merges (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantVoids, p.Voids, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("voids (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantRekeyed, p.Rekeyed, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("rekeyed (-want +got):\n%s", diff)
			}
			if len(p.Lines) != tt.wantLines {
				t.Errorf("%d line plans, want %d", len(p.Lines), tt.wantLines)
			}
		})
	}
}

// rekeys are the merges of many's first n lines.
func rekeys(n int) []Merge {
	var ms []Merge
	for i := range n {
		ms = append(ms, Merge{New: int64(100 + i), Old: int64(200 + i), Why: "rekey"})
	}
	return ms
}

func TestRekeyBestPairsFirst(t *testing.T) {
	// Two stored lines, two new: the closer descriptor and date win, one to one.
	b := &Batch{
		Today: D0 + 2,
		Stored: []Line{
			posted(1, "A", D0, -900, "AMAZON MKTPLACE"),
			posted(2, "B", D0+1, -900, "AMAZON PRIME"),
		},
		Deliveries: []Delivery{delivery(D0-5, D0+2, nil,
			posted(10, "C", D0+1, -900, "AMAZON PRIME VIDEO"),
			posted(11, "D", D0, -900, "AMAZON MKTPLACE PMTS"))},
	}
	want := []Merge{{New: 10, Old: 2, Why: "rekey"}, {New: 11, Old: 1, Why: "rekey"}}
	if diff := cmp.Diff(want, Process(b).Merges); diff != "" {
		t.Errorf("merges (-want +got):\n%s", diff)
	}
}

func TestTokensAndSimilarity(t *testing.T) {
	tests := []struct {
		a, b   string
		tokens []string
		want   float64
	}{
		{"POS DEBIT STARBUCKS #1234 SEATTLE", "Starbucks", []string{"STARBUCKS", "SEATTLE"}, 1},
		{"McDonald's 0042", "MCDONALDS", []string{"MCDONALDS"}, 1},
		{"AMAZON.COM*MK1234 XXXX5678", "amazon com", []string{"AMAZON", "COM", "MK1234"}, 1},
		{"SHELL OIL 57442", "CHEVRON 0091", []string{"SHELL", "OIL"}, 0},
		{"BLUE BOTTLE", "BLUE RIDGE", []string{"BLUE", "BOTTLE"}, 0.5},
		{"1234 5678", "XXXX", nil, 0},
		{"WHOLEFDS MKT #3904", "Whole Foods", []string{"WHOLEFDS", "MKT"}, 0.8},
		{"OFFICEDEPOT.COM 7351", "Office Depot", []string{"OFFICEDEPOT", "COM"}, 0.8},
		{"SHELLYS DINER", "Shell", []string{"SHELLYS", "DINER"}, 0},
		{"STARK INDUSTRIES", "Starbucks", []string{"STARK", "INDUSTRIES"}, 0},
		{"TRADERVICS 12", "Trader Joe's", []string{"TRADERVICS"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.a, func(t *testing.T) {
			if diff := cmp.Diff(tt.tokens, Tokens(tt.a)); diff != "" {
				t.Errorf("Tokens (-want +got):\n%s", diff)
			}
			if got := Similarity(tt.a, tt.b); got != tt.want {
				t.Errorf("Similarity = %v, want %v", got, tt.want)
			}
		})
	}
}
