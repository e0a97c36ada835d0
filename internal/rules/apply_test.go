package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bankfeed/bankfeed/internal/match"
)

func day(t testing.TB, s string) match.Day {
	t.Helper()
	d, err := match.DayOf(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// rule is a one-condition rule in the default stage that sets the category
// "Expenses:Hit".
func rule(id int64, conds ...Condition) *Rule {
	return &Rule{ID: id, Name: "r", Enabled: true, Conditions: conds,
		Actions: []Action{{Set: SetCategory, Value: "Expenses:Hit"}}}
}

func TestOps(t *testing.T) {
	line := func() *Input {
		return &Input{
			Account:     "Assets:Bank:Checking",
			Amount:      -1250, // 12.50 out
			Scale:       2,
			Description: "SQ *Blue Bottle 1234 OAKLAND CA",
			Memo:        "Latte",
			Payee:       "Blue Bottle",
			Check:       "1001",
			Date:        day(t, "2026-03-14"),
		}
	}
	tests := []struct {
		name string
		c    Condition
		in   func(*Input)
		want bool
	}{
		{"account is", Condition{Field: FieldAccount, Op: OpIs, Value: "assets:bank:checking"}, nil, true},
		{"account is, other", Condition{Field: FieldAccount, Op: OpIs, Value: "Assets:Bank"}, nil, false},
		{"account contains", Condition{Field: FieldAccount, Op: OpContains, Value: "CHECK"}, nil, true},
		{"direction out", Condition{Field: FieldDirection, Op: OpIs, Value: "out"}, nil, true},
		{"direction in", Condition{Field: FieldDirection, Op: OpIs, Value: "in"}, nil, false},
		{"direction in, deposit", Condition{Field: FieldDirection, Op: OpIs, Value: "in"}, func(in *Input) { in.Amount = 500 }, true},
		{"amount is, sign ignored", Condition{Field: FieldAmount, Op: OpIs, Value: "12.5"}, nil, true},
		{"amount is, trailing zeros", Condition{Field: FieldAmount, Op: OpIs, Value: "12.5000"}, nil, true},
		{"amount is, a cent off", Condition{Field: FieldAmount, Op: OpIs, Value: "12.51"}, nil, false},
		{"amount is, below a cent", Condition{Field: FieldAmount, Op: OpIs, Value: "12.501"}, nil, false},
		{"amount one_of", Condition{Field: FieldAmount, Op: OpOneOf, Values: []string{"9.99", "12.50"}}, nil, true},
		{"amount gt", Condition{Field: FieldAmount, Op: OpGt, Value: "12.49"}, nil, true},
		{"amount gt, equal", Condition{Field: FieldAmount, Op: OpGt, Value: "12.50"}, nil, false},
		{"amount gt, below a cent", Condition{Field: FieldAmount, Op: OpGt, Value: "12.499"}, nil, true},
		{"amount gt, just above", Condition{Field: FieldAmount, Op: OpGt, Value: "12.501"}, nil, false},
		{"amount lt", Condition{Field: FieldAmount, Op: OpLt, Value: "12.51"}, nil, true},
		{"amount lt, equal", Condition{Field: FieldAmount, Op: OpLt, Value: "12.5"}, nil, false},
		{"amount lt, just above", Condition{Field: FieldAmount, Op: OpLt, Value: "12.501"}, nil, true},
		{"amount lt, huge", Condition{Field: FieldAmount, Op: OpLt, Value: "99999999999999999999999"}, nil, true},
		{"amount between", Condition{Field: FieldAmount, Op: OpBetween, Value: "10..20"}, nil, true},
		{"amount between, bounds included", Condition{Field: FieldAmount, Op: OpBetween, Value: "12.50..12.50"}, nil, true},
		{"amount between, outside", Condition{Field: FieldAmount, Op: OpBetween, Value: "12.51..20"}, nil, false},
		{"amount at scale 3", Condition{Field: FieldAmount, Op: OpIs, Value: "12.5"}, func(in *Input) { in.Amount, in.Scale = -12500, 3 }, true},
		{"amount at scale 0", Condition{Field: FieldAmount, Op: OpIs, Value: "1250"}, func(in *Input) { in.Scale = 0 }, true},
		{"amount at scale 8", Condition{Field: FieldAmount, Op: OpIs, Value: "0.0000125"}, func(in *Input) { in.Scale = 8 }, true},
		{"amount of the least int64", Condition{Field: FieldAmount, Op: OpGt, Value: "1"}, func(in *Input) { in.Amount = -1 << 63 }, true},
		{"description contains, any case", Condition{Field: FieldDescription, Op: OpContains, Value: "blue bottle"}, nil, true},
		{"description contains, normalized", Condition{Field: FieldDescription, Op: OpContains, Value: "SQ BLUE BOTTLE OAKLAND"}, nil, true},
		{"description contains, whole words when normalized", Condition{Field: FieldDescription, Op: OpContains, Value: "SQ BLUE BOTT OAKLAND"}, nil, false},
		{"description contains, other", Condition{Field: FieldDescription, Op: OpContains, Value: "starbucks"}, nil, false},
		{"description is", Condition{Field: FieldDescription, Op: OpIs, Value: "sq *blue bottle 1234 oakland ca"}, nil, true},
		{"description is, normalized", Condition{Field: FieldDescription, Op: OpIs, Value: "SQ BLUE BOTTLE OAKLAND CA"}, nil, true},
		{"description is, part", Condition{Field: FieldDescription, Op: OpIs, Value: "blue bottle"}, nil, false},
		{"description one_of", Condition{Field: FieldDescription, Op: OpOneOf, Values: []string{"x", "SQ *BLUE BOTTLE 1234 OAKLAND CA"}}, nil, true},
		{"description regex", Condition{Field: FieldDescription, Op: OpRegex, Value: `^sq \*blue bottle \d+`}, nil, true},
		{"description regex, no match", Condition{Field: FieldDescription, Op: OpRegex, Value: `^blue`}, nil, false},
		{"payee is", Condition{Field: FieldPayee, Op: OpIs, Value: "BLUE BOTTLE"}, nil, true},
		{"payee one_of", Condition{Field: FieldPayee, Op: OpOneOf, Values: []string{"Starbucks", "blue bottle"}}, nil, true},
		{"payee is empty", Condition{Field: FieldPayee, Op: OpIs}, func(in *Input) { in.Payee = "" }, true},
		{"memo contains", Condition{Field: FieldMemo, Op: OpContains, Value: "LAT"}, nil, true},
		{"memo regex", Condition{Field: FieldMemo, Op: OpRegex, Value: `^latte$`}, nil, true},
		{"check is", Condition{Field: FieldCheck, Op: OpIs, Value: "1001"}, nil, true},
		{"check regex", Condition{Field: FieldCheck, Op: OpRegex, Value: `^10\d\d$`}, nil, true},
		{"date is", Condition{Field: FieldDate, Op: OpIs, Value: "2026-03-14"}, nil, true},
		{"date one_of", Condition{Field: FieldDate, Op: OpOneOf, Values: []string{"2026-03-13", "2026-03-15"}}, nil, false},
		{"date before", Condition{Field: FieldDate, Op: OpBefore, Value: "2026-03-15"}, nil, true},
		{"date before, same day", Condition{Field: FieldDate, Op: OpBefore, Value: "2026-03-14"}, nil, false},
		{"date after", Condition{Field: FieldDate, Op: OpAfter, Value: "2026-03-13"}, nil, true},
		{"date after, same day", Condition{Field: FieldDate, Op: OpAfter, Value: "2026-03-14"}, nil, false},
		{"date between", Condition{Field: FieldDate, Op: OpBetween, Value: "2026-03-01..2026-03-14"}, nil, true},
		{"date between, outside", Condition{Field: FieldDate, Op: OpBetween, Value: "2026-01-01..2026-03-13"}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Compile([]*Rule{rule(1, tc.c)})
			if err != nil {
				t.Fatal(err)
			}
			in := line()
			if tc.in != nil {
				tc.in(in)
			}
			res := s.Apply(in)
			if got := len(res.Fired) == 1; got != tc.want {
				t.Errorf("%s on %+v: matched %v, want %v", tc.c, in, got, tc.want)
			}
		})
	}
}

func TestMatchAllAny(t *testing.T) {
	hit := Condition{Field: FieldDirection, Op: OpIs, Value: "out"}
	miss := Condition{Field: FieldPayee, Op: OpIs, Value: "nobody"}
	tests := []struct {
		name  string
		match string
		conds []Condition
		want  bool
	}{
		{"all, both hold", "all", []Condition{hit, hit}, true},
		{"all, one fails", "all", []Condition{hit, miss}, false},
		{"empty is all", "", []Condition{miss, hit}, false},
		{"any, one holds", "any", []Condition{miss, hit}, true},
		{"any, none holds", "any", []Condition{miss, miss}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rule(1, tc.conds...)
			r.Match = tc.match
			s, err := Compile([]*Rule{r})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(s.Apply(&Input{Amount: -1, Scale: 2}).Fired) == 1; got != tc.want {
				t.Errorf("matched %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSpecificity(t *testing.T) {
	c := func(op string) Condition { return Condition{Field: FieldPayee, Op: op} }
	tests := []struct {
		name  string
		conds []Condition
		want  int
	}{
		{"is, doubled", []Condition{c(OpIs)}, 20},
		{"one_of, doubled", []Condition{c(OpOneOf)}, 18},
		{"is and one_of, doubled", []Condition{c(OpIs), c(OpOneOf)}, 38},
		{"regex", []Condition{c(OpRegex)}, 6},
		{"between", []Condition{c(OpBetween)}, 5},
		{"gt lt before after", []Condition{c(OpGt), c(OpLt), c(OpBefore), c(OpAfter)}, 4},
		{"contains", []Condition{c(OpContains)}, 0},
		{"is and contains, not doubled", []Condition{c(OpIs), c(OpContains)}, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Specificity(&Rule{Conditions: tc.conds}); got != tc.want {
				t.Errorf("Specificity = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestOrder holds the order rules apply in: stages, then priority, then
// specificity, then id; the last writer wins and SetBy names it.
func TestOrder(t *testing.T) {
	contains := Condition{Field: FieldDescription, Op: OpContains, Value: "AMZN"}
	is := Condition{Field: FieldDescription, Op: OpIs, Value: "AMZN MKTP US"}
	regex := Condition{Field: FieldDescription, Op: OpRegex, Value: "^amzn"}
	cat := func(id int64, stage string, prio int, c Condition, category string) *Rule {
		return &Rule{ID: id, Name: category, Stage: stage, Priority: prio, Enabled: true,
			Conditions: []Condition{c}, Actions: []Action{{Set: SetCategory, Value: category}}}
	}
	tests := []struct {
		name      string
		rules     []*Rule
		wantFired []int64
		wantCat   string
		wantBy    string
	}{
		{"most specific writes last", []*Rule{
			cat(1, "", 0, is, "Expenses:Exact"),
			cat(2, "", 0, contains, "Expenses:Loose"),
			cat(3, "", 0, regex, "Expenses:Regex"),
		}, []int64{2, 3, 1}, "Expenses:Exact", "rule 1"},
		{"same specificity: by id", []*Rule{
			cat(9, "", 0, contains, "Expenses:Nine"),
			cat(4, "", 0, contains, "Expenses:Four"),
		}, []int64{4, 9}, "Expenses:Nine", "rule 9"},
		{"post overrides default", []*Rule{
			cat(1, StagePost, 0, contains, "Expenses:Post"),
			cat(2, StageDefault, 0, is, "Expenses:Default"),
			cat(3, StagePre, 0, is, "Expenses:Pre"),
		}, []int64{3, 2, 1}, "Expenses:Post", "rule 1"},
		{"priority overrides specificity", []*Rule{
			cat(1, "", 0, is, "Expenses:Exact"),
			cat(2, "", 5, contains, "Expenses:Priority"),
		}, []int64{1, 2}, "Expenses:Priority", "rule 2"},
		{"disabled rules are skipped", []*Rule{
			cat(1, "", 0, contains, "Expenses:On"),
			func() *Rule { r := cat(2, "", 0, is, "Expenses:Off"); r.Enabled = false; return r }(),
		}, []int64{1}, "Expenses:On", "rule 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Compile(tc.rules)
			if err != nil {
				t.Fatal(err)
			}
			res := s.Apply(&Input{Description: "AMZN MKTP US", Amount: -100, Scale: 2})
			if diff := cmp.Diff(tc.wantFired, res.Fired); diff != "" {
				t.Errorf("fired (-want +got):\n%s", diff)
			}
			if res.Category != tc.wantCat || res.SetBy["category"] != tc.wantBy {
				t.Errorf("category %q set by %q, want %q by %q", res.Category, res.SetBy["category"], tc.wantCat, tc.wantBy)
			}
			// Sort lists the rules in the same order, disabled ones too.
			var enabled []int64
			sorted := append([]*Rule(nil), tc.rules...)
			Sort(sorted)
			for _, r := range sorted {
				if r.Enabled {
					enabled = append(enabled, r.ID)
				}
			}
			if diff := cmp.Diff(tc.wantFired, enabled); diff != "" {
				t.Errorf("Sort (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPayeeAcrossStages: the payee a pre rule sets is what default rules'
// payee conditions see; SetBy records each field's last writer.
func TestPayeeAcrossStages(t *testing.T) {
	rs := []*Rule{
		{ID: 7, Name: "categorize Amazon", Stage: StageDefault, Enabled: true,
			Conditions: []Condition{{Field: FieldPayee, Op: OpIs, Value: "Amazon"}},
			Actions:    []Action{{Set: SetCategory, Value: "Expenses:Office"}, {Set: SetMemo, Value: "office"}}},
		{ID: 3, Name: "rename", Stage: StagePre, Enabled: true,
			Conditions: []Condition{{Field: FieldDescription, Op: OpContains, Value: "AMZN"}},
			Actions:    []Action{{Set: SetPayee, Value: "Amazon"}}},
		{ID: 5, Name: "big ones", Stage: StagePost, Enabled: true,
			Conditions: []Condition{{Field: FieldAmount, Op: OpGt, Value: "100"}, {Field: FieldMemo, Op: OpIs, Value: "office"}},
			Actions:    []Action{{Set: SetAutoAdd}, {Set: SetTransfer, Value: "Liabilities:Card"}, {Set: SetExclude, Value: "false"}}},
		// More specific than rule 3, so it runs after it in pre and sees
		// its payee; rule 5 in post takes its exclude back.
		{ID: 8, Name: "exclude Amazon", Stage: StagePre, Enabled: true,
			Conditions: []Condition{{Field: FieldPayee, Op: OpIs, Value: "Amazon"}},
			Actions:    []Action{{Set: SetExclude}}},
	}
	s, err := Compile(rs)
	if err != nil {
		t.Fatal(err)
	}
	res := s.Apply(&Input{Description: "AMZN Mktp US*2K3", Payee: "Amzn Mktp Us", Amount: -12999, Scale: 2})
	want := Result{
		Payee: "Amazon", Category: "Expenses:Office", Memo: "office", Transfer: "Liabilities:Card", AutoAdd: true,
		SetBy: map[string]string{"payee": "rule 3", "category": "rule 7", "memo": "rule 7", "auto_add": "rule 5",
			"transfer": "rule 5", "exclude": "rule 5"},
		Fired: []int64{3, 8, 7, 5},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Apply (-want +got):\n%s", diff)
	}
}

func TestSplits(t *testing.T) {
	pct := func(parts ...SplitPart) *Rule {
		return &Rule{ID: 1, Name: "split", Enabled: true,
			Conditions: []Condition{{Field: FieldDirection, Op: OpIs, Value: "out"}},
			Actions:    []Action{{Set: SetSplit, Splits: parts}}}
	}
	fixed := pct(SplitPart{Category: "Expenses:Rent", Amount: "1000"}, SplitPart{Category: "Expenses:Parking", Amount: "200.00"})
	fixed.Conditions = append(fixed.Conditions, Condition{Field: FieldAmount, Op: OpIs, Value: "1200"})
	tests := []struct {
		name   string
		r      *Rule
		amount int64
		want   []match.LabelSplit
	}{
		{"percents, left-over cents to the first parts", pct(
			SplitPart{Category: "Expenses:A", Percent: 33}, SplitPart{Category: "Expenses:B", Percent: 33},
			SplitPart{Category: "Expenses:C", Percent: 34}), -1001,
			[]match.LabelSplit{{Category: "Expenses:A", Amount: -331}, {Category: "Expenses:B", Amount: -330}, {Category: "Expenses:C", Amount: -340}}},
		{"60/40", pct(SplitPart{Category: "Expenses:A", Percent: 60}, SplitPart{Category: "Expenses:B", Percent: 40}), -1999,
			[]match.LabelSplit{{Category: "Expenses:A", Amount: -1200}, {Category: "Expenses:B", Amount: -799}}},
		{"amounts", fixed, -120000, []match.LabelSplit{{Category: "Expenses:Rent", Amount: -100000}, {Category: "Expenses:Parking", Amount: -20000}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Compile([]*Rule{tc.r})
			if err != nil {
				t.Fatal(err)
			}
			res := s.Apply(&Input{Amount: tc.amount, Scale: 2})
			if diff := cmp.Diff(tc.want, res.Splits); diff != "" {
				t.Errorf("splits (-want +got):\n%s", diff)
			}
			var sum int64
			for _, p := range res.Splits {
				sum += p.Amount
			}
			if sum != tc.amount || res.SetBy["split"] != "rule 1" {
				t.Errorf("splits sum to %d, want %d; set by %q", sum, tc.amount, res.SetBy["split"])
			}
		})
	}
}

func TestCompileReportsEveryRule(t *testing.T) {
	_, err := Compile([]*Rule{
		{ID: 1, Name: "a", Enabled: true, Conditions: []Condition{{Field: "colour", Op: OpIs, Value: "x"}},
			Actions: []Action{{Set: SetPayee, Value: "x"}}},
		{ID: 2, Name: "b", Enabled: true, Conditions: []Condition{{Field: FieldPayee, Op: OpRegex, Value: "("}},
			Actions: []Action{{Set: SetPayee, Value: "x"}}},
		{ID: 3, Name: "off", Enabled: false},
	})
	want := "rule 1 (a): conditions[0].field: \"colour\" is not one of account, direction, amount, description, payee, memo, check, date\n" +
		"rule 2 (b): conditions[0].value: regex \"(\": missing closing ): `(`"
	if err == nil || err.Error() != want {
		t.Errorf("Compile error\n%v\nwant\n%s", err, want)
	}
}

func TestApplyNilSet(t *testing.T) {
	var s *Set
	res := s.Apply(&Input{Payee: "x"})
	if res.Payee != "x" || res.Fired != nil {
		t.Errorf("nil set: %+v", res)
	}
}
