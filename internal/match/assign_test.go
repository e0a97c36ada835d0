package match

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func open(key int64, day Day, amt int64, text string) Line {
	return Line{Key: key, Account: 1, IDs: []string{"L" + string(rune('0'+key))}, Day: day, Amount: amt, Text: text}
}

func entry(key int64, day Day, amt int64, payee string) Entry {
	return Entry{Key: key, Account: 1, Day: day, Amount: amt, Payee: payee}
}

// plans compares what matters of line plans: line, zone, entry, score, runner-up.
var plansOnly = cmpopts.IgnoreFields(LinePlan{}, "Labels", "Add", "Exclude")

func TestAssign(t *testing.T) {
	withRef := func(e Entry, ref string) Entry { e.Ref = ref; return e }
	lineRef := func(l Line, ref string) Line { l.Ref = ref; return l }
	tests := []struct {
		name    string
		lines   []Line
		entries []Entry
		want    []LinePlan
	}{
		{
			name:    "auto: high score, no competition",
			lines:   []Line{open(1, D0, -1000, "BLUE BOTTLE COFFEE")},
			entries: []Entry{entry(10, D0, -1000, "Blue Bottle Coffee")},
			want:    []LinePlan{{Line: 1, Zone: ZoneAuto, Entry: 10, Score: 10}},
		},
		{
			name:    "auto at 9 with a runner-up 2 below",
			lines:   []Line{open(1, D0+1, -1000, "BLUE BOTTLE COFFEE")},
			entries: []Entry{entry(10, D0, -1000, "Blue Bottle Coffee"), entry(11, D0+1, -1100, "Blue Bottle Coffee")},
			want:    []LinePlan{{Line: 1, Zone: ZoneAuto, Entry: 10, Score: 9, RunnerUp: 7}},
		},
		{
			name:  "suggest: a runner-up of the line within 2",
			lines: []Line{lineRef(open(1, D0, -1000, "BLUE BOTTLE COFFEE"), "R1")},
			entries: []Entry{
				entry(10, D0, -1000, "Blue Bottle Coffee"),
				withRef(entry(11, D0, -1050, "Blue Bottle Coffee"), "R1"),
			},
			want: []LinePlan{{Line: 1, Zone: ZoneSuggest, Entry: 10, Score: 10, RunnerUp: 9}},
		},
		{
			name: "suggest: another line wants the entry nearly as much",
			lines: []Line{
				open(1, D0, -1000, "BLUE BOTTLE COFFEE"),
				open(2, D0+1, -1000, "BLUE BOTTLE COFFEE"),
			},
			entries: []Entry{entry(10, D0, -1000, "Blue Bottle Coffee")},
			want: []LinePlan{
				{Line: 1, Zone: ZoneSuggest, Entry: 10, Score: 10, RunnerUp: 9},
				{Line: 2, Zone: ZoneNew, Score: 9},
			},
		},
		{
			name: "one to one: the better pair first, the other line takes the other entry",
			lines: []Line{
				open(1, D0+1, -1000, "BLUE BOTTLE COFFEE"),
				open(2, D0+5, -1000, "BLUE BOTTLE COFFEE"),
			},
			entries: []Entry{entry(10, D0, -1000, "Blue Bottle Coffee"), entry(11, D0+12, -1000, "Blue Bottle Coffee")},
			want: []LinePlan{
				{Line: 1, Zone: ZoneAuto, Entry: 10, Score: 9, RunnerUp: 7},
				{Line: 2, Zone: ZoneSuggest, Entry: 11, Score: 6, RunnerUp: 7},
			},
		},
		{
			name: "twins: two lines, two entries alike, paired in order without review (twins.go)",
			lines: []Line{
				open(1, D0, -150, "INTEREST CHARGE"),
				open(2, D0, -150, "INTEREST CHARGE"),
			},
			entries: []Entry{entry(10, D0, -150, "Interest charge"), entry(11, D0, -150, "Interest charge")},
			want: []LinePlan{
				{Line: 1, Zone: ZoneAuto, Entry: 10, Score: 8.5, RunnerUp: 8.5},
				{Line: 2, Zone: ZoneAuto, Entry: 11, Score: 8.5, RunnerUp: 8.5},
			},
		},
		{
			name:    "suggest at 4",
			lines:   []Line{open(1, D0+5, -1000, "BLUE BOTTLE")},
			entries: []Entry{entry(10, D0, -1000, "")},
			want:    []LinePlan{{Line: 1, Zone: ZoneSuggest, Entry: 10, Score: 4}},
		},
		{
			name:    "new below 4: the best score is told, no entry",
			lines:   []Line{open(1, D0+10, -1000, "SHELL OIL")},
			entries: []Entry{entry(10, D0, -1000, "Blue Bottle")},
			want:    []LinePlan{{Line: 1, Zone: ZoneNew, Score: 4 - 1}},
		},
		{
			name:  "new: no candidate",
			lines: []Line{open(1, D0, -1000, "SHELL OIL")},
			want:  []LinePlan{{Line: 1, Zone: ZoneNew}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Process(&Batch{Open: tt.lines, Entries: tt.entries})
			if diff := cmp.Diff(tt.want, p.Lines, plansOnly); diff != "" {
				t.Errorf("plans (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLinesOrder(t *testing.T) {
	// New lines of each delivery in order, merged ones left out, then open.
	b := &Batch{
		Today:  D0,
		Stored: []Line{posted(1, "A", D0, -500, "STARBUCKS")},
		Deliveries: []Delivery{
			delivery(D0-3, D0, nil, posted(10, "B", D0, -700, "X"), posted(11, "C", D0, -500, "STARBUCKS"), posted(12, "D", D0, -800, "Y")),
			{Account: 2, From: D0 - 3, To: D0, Present: []string{"E"}, New: []Line{{Key: 20, Account: 2, IDs: []string{"E"}, Day: D0, Amount: 5}}},
		},
		Open: []Line{open(30, D0-20, -1, "Z"), open(31, D0-21, -2, "Z")},
	}
	var got []int64
	for _, p := range Process(b).Lines {
		got = append(got, p.Line)
	}
	if diff := cmp.Diff([]int64{10, 12, 20, 30, 31}, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

func TestPayeeOf(t *testing.T) {
	b := &Batch{
		Open:    []Line{open(1, D0, -1000, "SQ *BBC 0423")},
		Entries: []Entry{entry(10, D0, -1000, "Blue Bottle Coffee")},
		PayeeOf: func(s string) string {
			if s == "SQ *BBC 0423" {
				return "Blue Bottle Coffee"
			}
			return ""
		},
	}
	if p := Process(b).Lines[0]; p.Zone != ZoneAuto || p.Score != 10 {
		t.Errorf("plan %+v, want auto at 10", p)
	}
	b.PayeeOf = func(string) string { return "" } // nothing learned: the descriptor, unknown
	if p := Process(b).Lines[0]; p.Zone != ZoneSuggest || p.Score != 7 {
		t.Errorf("plan %+v, want suggest at 7", p)
	}
	b.PayeeOf = func(string) string { return "Shell" } // a known other payee
	if p := Process(b).Lines[0]; p.Zone != ZoneSuggest || p.Score != 5 {
		t.Errorf("plan %+v, want suggest at 5", p)
	}
}

// labeler labels by descriptor.
type labeler map[string]Labels

func (m labeler) Label(l *Line) Labels { return m[l.Text] }

func TestLabelsAndAdd(t *testing.T) {
	labels := labeler{
		"NETFLIX":    {Payee: "Netflix", Category: "Streaming", Confidence: 1},
		"BAKERY":     {Category: "Food", Confidence: 0.89},
		"GYM":        {AutoAdd: true},
		"FEE REFUND": {Exclude: true, AutoAdd: true},
		"BLUE":       {AutoAdd: true},
		"TAKEN":      {AutoAdd: true},
	}
	b := &Batch{
		Open: []Line{
			open(1, D0, -1599, "NETFLIX"),
			open(2, D0, -450, "BAKERY"),
			open(3, D0, -3000, "GYM"),
			open(4, D0, 500, "FEE REFUND"),
			open(5, D0, -1000, "BLUE"),  // a candidate: reviewed, not added
			open(6, D0, -1000, "TAKEN"), // its candidate went to line 5: not added either
		},
		Entries: []Entry{entry(10, D0, -1000, "Blue")},
		Labeler: labels,
	}
	p := Process(b)
	type got struct {
		Line         int64
		Add, Exclude bool
		Payee        string
	}
	var gots []got
	for _, lp := range p.Lines {
		gots = append(gots, got{lp.Line, lp.Add, lp.Exclude, lp.Labels.Payee})
	}
	want := []got{
		{1, true, false, "Netflix"},
		{2, false, false, ""},
		{3, true, false, ""},
		{4, false, true, ""},
		{5, false, false, ""},
		{6, false, false, ""},
	}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestProvisional(t *testing.T) {
	labels := labeler{"BLUE BOTTLE COFFEE": {Category: "Meals", Confidence: 1}, "TRANSFER TO SAV": {Transfer: "Savings"}}
	tests := []struct {
		name        string
		lines       []Line
		provisional []int64
		entries     []Entry
		want        []LinePlan
	}{
		{
			name:        "an entry typed 2 days before the line replaces the made one",
			lines:       []Line{open(1, D0+2, -1000, "BLUE BOTTLE COFFEE")},
			provisional: []int64{1},
			entries:     []Entry{entry(10, D0, -1000, "Blue Bottle Coffee")},
			want:        []LinePlan{{Line: 1, Zone: ZoneAuto, Entry: 10, Score: 9}},
		},
		{
			name:        "a repeat purchase's entry replaces it below the bar when the other is no competitor",
			lines:       []Line{open(1, D0+2, -1000, "BLUE BOTTLE COFFEE")},
			provisional: []int64{1},
			entries:     []Entry{entry(10, D0, -1000, "Blue Bottle Coffee"), entry(11, D0+7, -1000, "Blue Bottle Coffee")},
			want:        []LinePlan{{Line: 1, Zone: ZoneAuto, Entry: 10, Score: 7.5, RunnerUp: 5.5}},
		},
		{
			name:        "an entry dated after the line is another purchase: suggested only, no doubt",
			lines:       []Line{open(1, D0, -1000, "BLUE BOTTLE COFFEE")},
			provisional: []int64{1},
			entries:     []Entry{entry(10, D0+2, -1000, "Blue Bottle Coffee")},
			want:        []LinePlan{{Line: 1, Zone: ZoneSuggest, Entry: 10, Score: 8}},
		},
		{
			name:        "an amount larger than the line's: a possible duplicate",
			lines:       []Line{open(1, D0+2, -1000, "BLUE BOTTLE COFFEE")},
			provisional: []int64{1},
			entries:     []Entry{entry(10, D0, -1100, "Blue Bottle Coffee")},
			want:        []LinePlan{{Line: 1, Zone: ZoneSuggest, Entry: 10, Score: 6, Duplicate: true}},
		},
		{
			name:        "the line's amount less a bank's fee: the typed entry replaces the made one",
			lines:       []Line{open(1, D0+2, -10300, "ATM WITHDRAWAL 4186 MAIN ST")},
			provisional: []int64{1},
			entries:     []Entry{entry(10, D0, -10000, "ATM Withdrawal")},
			want:        []LinePlan{{Line: 1, Zone: ZoneAuto, Entry: 10, Score: 6}},
		},
		{
			name:        "more than a fee over the entry (a tip): a possible duplicate",
			lines:       []Line{open(1, D0+2, -10301, "ATM WITHDRAWAL 4186 MAIN ST")},
			provisional: []int64{1},
			entries:     []Entry{entry(10, D0, -10000, "ATM Withdrawal")},
			want:        []LinePlan{{Line: 1, Zone: ZoneSuggest, Entry: 10, Score: 6, Duplicate: true}},
		},
		{
			name:        "a competitor within the margin: a possible duplicate of the nearer entry",
			lines:       []Line{open(1, D0+1, -1000, "BLUE BOTTLE COFFEE")},
			provisional: []int64{1},
			entries:     []Entry{entry(10, D0, -1000, "Blue Bottle Coffee"), entry(11, D0+3, -1000, "Blue Bottle Coffee")},
			want:        []LinePlan{{Line: 1, Zone: ZoneSuggest, Entry: 10, Score: 7.5, RunnerUp: 6.5, Duplicate: true}},
		},
		{
			name:        "a line 7 days after the entry: a possible duplicate",
			lines:       []Line{open(1, D0+7, -1000, "BLUE BOTTLE COFFEE")},
			provisional: []int64{1},
			entries:     []Entry{entry(10, D0, -1000, "Blue Bottle Coffee")},
			want:        []LinePlan{{Line: 1, Zone: ZoneSuggest, Entry: 10, Score: 7, Duplicate: true}},
		},
		{
			name:        "a line 8 days after the entry: suggested only",
			lines:       []Line{open(1, D0+8, -1000, "BLUE BOTTLE COFFEE")},
			provisional: []int64{1},
			entries:     []Entry{entry(10, D0, -1000, "Blue Bottle Coffee")},
			want:        []LinePlan{{Line: 1, Zone: ZoneSuggest, Entry: 10, Score: 6}},
		},
		{
			name:        "a line of the queue nearer the entry wins it, in doubt of the other",
			lines:       []Line{open(1, D0+2, -1000, "BLUE BOTTLE COFFEE"), open(2, D0, -1000, "BLUE BOTTLE COFFEE")},
			provisional: []int64{1},
			entries:     []Entry{entry(10, D0, -1000, "Blue Bottle Coffee")},
			want:        []LinePlan{{Line: 1, Zone: ZoneNew, Score: 9}, {Line: 2, Zone: ZoneSuggest, Entry: 10, Score: 10, RunnerUp: 9}},
		},
		{
			name: "never added, excluded or paired as a transfer",
			lines: []Line{open(1, D0, -1000, "BLUE BOTTLE COFFEE"), open(2, D0, -5000, "TRANSFER TO SAV"),
				{Key: 3, Account: 2, Day: D0, Amount: 5000, Text: "TRANSFER FROM CHK"}},
			provisional: []int64{1, 2},
			want:        []LinePlan{{Line: 1, Zone: ZoneNew}, {Line: 2, Zone: ZoneNew}, {Line: 3, Zone: ZoneNew}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Batch{Open: tt.lines, Entries: tt.entries, Labeler: labels, Provisional: map[int64]bool{}}
			for _, k := range tt.provisional {
				b.Provisional[k] = true
			}
			p := Process(b)
			if diff := cmp.Diff(tt.want, p.Lines, plansOnly); diff != "" {
				t.Errorf("plans (-want +got):\n%s", diff)
			}
			for _, lp := range p.Lines {
				if b.Provisional[lp.Line] && (lp.Add || lp.Exclude) {
					t.Errorf("provisional line %d: add %v, exclude %v", lp.Line, lp.Add, lp.Exclude)
				}
			}
			if len(p.Transfers) != 0 {
				t.Errorf("transfers %+v, want none", p.Transfers)
			}
		})
	}
}
