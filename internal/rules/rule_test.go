package rules

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// good is a sound rule; tests break one thing of it at a time.
func good() *Rule {
	return &Rule{ID: 1, Name: "Amazon", Stage: StageDefault, Enabled: true, Origin: OriginUser, Match: "all",
		Conditions: []Condition{
			{Field: FieldDescription, Op: OpContains, Value: "AMZN"},
			{Field: FieldDirection, Op: OpIs, Value: "out"},
		},
		Actions: []Action{{Set: SetPayee, Value: "Amazon"}, {Set: SetCategory, Value: "Expenses:Office"}},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *Rule)
		want   []string // every problem, in order; none when sound
	}{
		{"sound", func(r *Rule) {}, nil},
		{"empty stage, match and origin are defaults", func(r *Rule) { r.Stage, r.Match, r.Origin = "", "", "" }, nil},
		{"name", func(r *Rule) { r.Name = "  " }, []string{"name: empty"}},
		{"stage, match, origin", func(r *Rule) { r.Stage, r.Match, r.Origin = "late", "most", "robot" }, []string{
			`stage: "late" is not one of pre, default, post`,
			`origin: "robot" is not one of user, learned, proposed`,
			`match: "most" is not one of all, any`,
		}},
		{"no conditions, no actions", func(r *Rule) { r.Conditions, r.Actions = nil, nil }, []string{
			"conditions: none; a rule needs at least one",
			"actions: none; a rule needs at least one",
		}},
		{"unknown op", func(r *Rule) { r.Conditions[1].Op = "startswith" }, []string{
			`conditions[1].op: "startswith" is not one of is, contains, one_of, regex, gt, lt, between, before, after`,
		}},
		{"unknown field", func(r *Rule) { r.Conditions[0].Field = "colour" }, []string{
			`conditions[0].field: "colour" is not one of account, direction, amount, description, payee, memo, check, date`,
		}},
		{"op that does not apply", func(r *Rule) { r.Conditions[0].Op = OpGt }, []string{
			`conditions[0].op: gt does not apply to description; use is, contains, one_of or regex`,
		}},
		{"direction", func(r *Rule) { r.Conditions[1].Value = "sideways" }, []string{
			`conditions[1].value: "sideways" is not one of in, out`,
		}},
		{"empty value", func(r *Rule) { r.Conditions[0].Value = " " }, []string{"conditions[0].value: empty"}},
		{"bad regex", func(r *Rule) { r.Conditions[0] = Condition{Field: FieldDescription, Op: OpRegex, Value: "amzn("} }, []string{
			"conditions[0].value: regex \"amzn(\": missing closing ): `amzn(`",
		}},
		{"one_of without values", func(r *Rule) { r.Conditions[0].Op = OpOneOf }, []string{
			"conditions[0].value: one_of takes values, not a value",
			"conditions[0].values: empty; one_of needs at least one value",
		}},
		{"values without one_of", func(r *Rule) { r.Conditions[0].Values = []string{"x"} }, []string{
			"conditions[0].values: only one_of takes values",
		}},
		{"amounts", func(r *Rule) {
			r.Conditions = []Condition{
				{Field: FieldAmount, Op: OpIs, Value: "12,50"},
				{Field: FieldAmount, Op: OpGt, Value: "-5"},
				{Field: FieldAmount, Op: OpBetween, Value: "20..10"},
				{Field: FieldAmount, Op: OpBetween, Value: "10-20"},
				{Field: FieldAmount, Op: OpOneOf, Values: []string{"1", "x"}},
			}
		}, []string{
			`conditions[0].value: "12,50" is not an amount such as 12.50`,
			`conditions[1].value: "-5" is negative; amounts are compared without their sign (use direction)`,
			`conditions[2].value: "20..10": the first bound is above the second`,
			`conditions[3].value: "10-20" is not a range such as 10..20`,
			`conditions[4].values[1]: "x" is not an amount such as 12.50`,
		}},
		{"dates", func(r *Rule) {
			r.Conditions = []Condition{
				{Field: FieldDate, Op: OpBefore, Value: "14/03/2026"},
				{Field: FieldDate, Op: OpBetween, Value: "2026-03-31..2026-03-01"},
				{Field: FieldDate, Op: OpContains, Value: "2026"},
			}
		}, []string{
			`conditions[0].value: "14/03/2026" is not a date as YYYY-MM-DD`,
			`conditions[1].value: "2026-03-31..2026-03-01": the first date is after the second`,
			`conditions[2].op: contains does not apply to date; use is, one_of, before, after or between`,
		}},
		{"category", func(r *Rule) { r.Actions[1].Value = "Food" }, []string{
			`actions[1].value: category "Food" must start with Income: or Expenses:`,
		}},
		{"actions", func(r *Rule) {
			r.Actions = []Action{
				{Set: "colour", Value: "red"},
				{Set: SetPayee},
				{Set: SetExclude, Value: "maybe"},
				{Set: SetPayee, Value: "Again"},
				{Set: SetMemo, Splits: []SplitPart{{Category: "Expenses:A", Percent: 100}}},
			}
		}, []string{
			`actions[0].set: "colour" is not one of payee, category, memo, split, transfer, exclude, auto_add`,
			"actions[1].value: empty; payee needs a name",
			`actions[2].value: "maybe" is not true or false`,
			"actions[3].set: payee is set twice by this rule (actions[1])",
			"actions[4].splits: only split takes parts",
		}},
		{"exclude and auto_add", func(r *Rule) {
			r.Actions = []Action{{Set: SetExclude}, {Set: SetAutoAdd, Value: "true"}}
		}, []string{"actions[1].set: exclude and auto_add in one rule contradict each other"}},
		{"split and category", func(r *Rule) {
			r.Actions = append(r.Actions, Action{Set: SetSplit, Splits: []SplitPart{{Category: "Expenses:A", Percent: 100}}})
		}, []string{"actions[2].set: split and category in one rule; a split names its categories"}},
		{"split percents", func(r *Rule) {
			r.Actions = []Action{{Set: SetSplit, Value: "x", Splits: []SplitPart{
				{Category: "Expenses:A", Percent: 60},
				{Category: "Expenses:B", Percent: 30},
			}}}
		}, []string{"actions[0].value: split takes parts, not a value", "actions[0].splits: percents add up to 90%, not 100%"}},
		{"split parts", func(r *Rule) {
			r.Actions = []Action{{Set: SetSplit, Splits: []SplitPart{
				{Category: "Assets:Cash", Percent: 50},
				{Category: "Expenses:B", Percent: 150},
				{Category: "Expenses:C"},
				{Category: "Expenses:D", Percent: 5, Amount: "1"},
			}}}
		}, []string{
			`actions[0].splits[0].category: category "Assets:Cash" must start with Income: or Expenses:`,
			"actions[0].splits[1].percent: 150 is not between 1 and 100",
			"actions[0].splits[2]: give a percent or an amount",
			"actions[0].splits[3]: give a percent or an amount, not both",
		}},
		{"split of both kinds", func(r *Rule) {
			r.Actions = []Action{{Set: SetSplit, Splits: []SplitPart{{Category: "Expenses:A", Percent: 100}, {Category: "Expenses:B", Amount: "1"}}}}
		}, []string{"actions[0].splits: parts give both percents and amounts; use one kind"}},
		{"split amounts without an exact amount", func(r *Rule) {
			r.Actions = []Action{{Set: SetSplit, Splits: []SplitPart{{Category: "Expenses:A", Amount: "10"}}}}
		}, []string{`actions[0].splits: amounts must cover the line's exact amount: add the condition "amount is N" or give percents`}},
		{"split amounts that do not add up", func(r *Rule) {
			r.Conditions = append(r.Conditions, Condition{Field: FieldAmount, Op: OpIs, Value: "12.50"})
			r.Actions = []Action{{Set: SetSplit, Splits: []SplitPart{{Category: "Expenses:A", Amount: "10"}, {Category: "Expenses:B", Amount: "x"}}}}
		}, []string{`actions[0].splits[1].amount: "x" is not an amount such as 12.50`}},
		{"split amounts that add up wrong", func(r *Rule) {
			r.Conditions = append(r.Conditions, Condition{Field: FieldAmount, Op: OpIs, Value: "12.50"})
			r.Actions = []Action{{Set: SetSplit, Splits: []SplitPart{{Category: "Expenses:A", Amount: "10"}, {Category: "Expenses:B", Amount: "2.49"}}}}
		}, []string{`actions[0].splits: amounts add up to 12.49, not 12.50 (the amount is condition)`}},
		{"split amounts of a rule matching any", func(r *Rule) {
			r.Match = "any"
			r.Conditions = append(r.Conditions, Condition{Field: FieldAmount, Op: OpIs, Value: "12.50"})
			r.Actions = []Action{{Set: SetSplit, Splits: []SplitPart{{Category: "Expenses:A", Amount: "12.5"}}}}
		}, []string{`actions[0].splits: amounts must cover the line's exact amount: add the condition "amount is N" or give percents`}},
		{"split amounts that add up", func(r *Rule) {
			r.Conditions = append(r.Conditions, Condition{Field: FieldAmount, Op: OpIs, Value: "12.50"})
			r.Actions = []Action{{Set: SetSplit, Splits: []SplitPart{{Category: "Expenses:A", Amount: "10"}, {Category: "Income:Refund", Amount: "2.5"}}}}
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			tc.change(r)
			err := r.Validate()
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
				// Each problem is a *Problem naming its field.
				for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
					var p *Problem
					if !errors.As(e, &p) || p.Field == "" {
						t.Errorf("%v is not a *Problem with a field", e)
					}
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRule(t *testing.T) {
	r, err := ParseRule([]byte(`{"name":"x","stage":"pre","enabled":true,"conditions":[{"field":"payee","op":"is","value":"a"}],"actions":[{"set":"payee","value":"b"}]}`))
	if err != nil || r.Stage != StagePre || len(r.Conditions) != 1 || r.Actions[0].Value != "b" {
		t.Fatalf("ParseRule: %+v, %v", r, err)
	}
	for _, bad := range []string{`{"name":"x","condition":[]}`, `{"name":`, `{} {}`, `[]`} {
		if _, err := ParseRule([]byte(bad)); err == nil {
			t.Errorf("ParseRule(%s): no error", bad)
		}
	}
}

func TestDefinitionRoundTrip(t *testing.T) {
	r := good()
	def := r.Definition()
	want := `{"match":"all","conditions":[{"field":"description","op":"contains","value":"AMZN"},{"field":"direction","op":"is","value":"out"}],"actions":[{"set":"payee","value":"Amazon"},{"set":"category","value":"Expenses:Office"}]}`
	if def != want {
		t.Errorf("Definition\n%s\nwant\n%s", def, want)
	}
	back := &Rule{ID: r.ID, Name: r.Name, Stage: r.Stage, Enabled: r.Enabled, Origin: r.Origin}
	if err := back.SetDefinition(def); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if err := back.SetDefinition("{"); err == nil {
		t.Error("SetDefinition of bad JSON: no error")
	}
}

func TestParseCondition(t *testing.T) {
	tests := []struct {
		in      string
		want    Condition
		wantErr bool
	}{
		{"description contains AMZN MKTP", Condition{Field: "description", Op: "contains", Value: "AMZN MKTP"}, false},
		{"  Direction IS out ", Condition{Field: "direction", Op: "is", Value: "out"}, false},
		{"amount between 10..20", Condition{Field: "amount", Op: "between", Value: "10..20"}, false},
		{`payee one-of Amazon, "AMZN, Inc", Whole Foods`, Condition{Field: "payee", Op: "one_of", Values: []string{"Amazon", `"AMZN`, `Inc"`, "Whole Foods"}}, false},
		{`memo is ""`, Condition{Field: "memo", Op: "is"}, false},
		{`description regex "^SQ \\*"`, Condition{Field: "description", Op: "regex", Value: `^SQ \*`}, false},
		{"description", Condition{Field: "description"}, true},
		{"", Condition{}, true},
	}
	for _, tc := range tests {
		got, err := ParseCondition(tc.in)
		if (err != nil) != tc.wantErr || !tc.wantErr && !cmp.Equal(got, tc.want) {
			t.Errorf("ParseCondition(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseActionAndSplit(t *testing.T) {
	actions := []struct {
		in      string
		want    Action
		wantErr bool
	}{
		{"payee=Amazon", Action{Set: "payee", Value: "Amazon"}, false},
		{"category = Expenses:Office", Action{Set: "category", Value: "Expenses:Office"}, false},
		{"memo=a=b", Action{Set: "memo", Value: "a=b"}, false},
		{"auto-add", Action{Set: "auto_add"}, false},
		{"exclude", Action{Set: "exclude"}, false},
		{"transfer", Action{Set: "transfer"}, false},
		{"payee", Action{}, true},
		{"=x", Action{}, true},
	}
	for _, tc := range actions {
		got, err := ParseAction(tc.in)
		if (err != nil) != tc.wantErr || !tc.wantErr && !cmp.Equal(got, tc.want) {
			t.Errorf("ParseAction(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	splits := []struct {
		in      string
		want    SplitPart
		wantErr bool
	}{
		{"Expenses:Meals=60%", SplitPart{Category: "Expenses:Meals", Percent: 60}, false},
		{"Expenses:Rent = 1200.00", SplitPart{Category: "Expenses:Rent", Amount: "1200.00"}, false},
		{"Expenses:Meals=sixty%", SplitPart{}, true},
		{"Expenses:Meals=0%", SplitPart{}, true},
		{"Expenses:Meals=", SplitPart{}, true},
		{"Expenses:Meals", SplitPart{}, true},
	}
	for _, tc := range splits {
		got, err := ParseSplitPart(tc.in)
		if (err != nil) != tc.wantErr || !tc.wantErr && got != tc.want {
			t.Errorf("ParseSplitPart(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	r := good()
	r.Actions = append(r.Actions, Action{Set: SetAutoAdd})
	want := `if description contains "AMZN" and direction is out: payee = "Amazon", category = "Expenses:Office", auto_add`
	if got := r.Describe(); got != want {
		t.Errorf("Describe\n%s\nwant\n%s", got, want)
	}
	r = &Rule{Match: "any", Conditions: []Condition{{Field: FieldAmount, Op: OpOneOf, Values: []string{"1", "2"}}, {Field: FieldPayee, Op: OpOneOf, Values: []string{"A"}}},
		Actions: []Action{{Set: SetSplit, Splits: []SplitPart{{Category: "Expenses:A", Percent: 60}, {Category: "Expenses:B", Amount: "4"}}}, {Set: SetExclude, Value: "false"}}}
	want = `if amount one_of 1, 2 or payee one_of "A": split Expenses:A 60%, Expenses:B 4, not exclude`
	if got := r.Describe(); got != want {
		t.Errorf("Describe\n%s\nwant\n%s", got, want)
	}
}
