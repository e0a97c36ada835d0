package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bankfeed/bankfeed/internal/match"
)

func TestLabeler(t *testing.T) {
	rs := []*Rule{
		{ID: 1, Name: "Amazon", Stage: StagePre, Enabled: true,
			Conditions: []Condition{{Field: FieldDescription, Op: OpContains, Value: "AMZN"}},
			Actions:    []Action{{Set: SetPayee, Value: "Amazon"}}},
		{ID: 2, Name: "office", Enabled: true,
			Conditions: []Condition{{Field: FieldPayee, Op: OpIs, Value: "Amazon"}, {Field: FieldAccount, Op: OpIs, Value: "Liabilities:Card:Business"}},
			Actions:    []Action{{Set: SetCategory, Value: "Expenses:Office"}}},
		{ID: 3, Name: "fees", Stage: StagePost, Enabled: true,
			Conditions: []Condition{{Field: FieldDescription, Op: OpContains, Value: "MONTHLY FEE"}, {Field: FieldAmount, Op: OpLt, Value: "20"}},
			Actions:    []Action{{Set: SetCategory, Value: "Expenses:Bank Fees"}, {Set: SetAutoAdd}}},
		{ID: 4, Name: "savings", Enabled: true,
			Conditions: []Condition{{Field: FieldDescription, Op: OpContains, Value: "TRANSFER TO SAV"}},
			Actions:    []Action{{Set: SetTransfer, Value: "Assets:Bank:Savings"}}},
	}
	set, err := Compile(rs)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLearner()
	for range 3 {
		l.Confirm(Confirmation{Text: "SQ *BLUE BOTTLE 1234 OAKLAND CA", Payee: "Blue Bottle", Category: "Expenses:Coffee"})
	}
	l.Confirm(Confirmation{Text: "TRANSFER TO SAV 0001", Payee: "Savings", Category: "Expenses:Wrong"})
	l.Confirm(Confirmation{Text: "TRANSFER TO SAV 0002", Payee: "Savings", Category: "Expenses:Wrong"})
	l.Confirm(Confirmation{Text: "TRANSFER TO SAV 0003", Payee: "Savings", Category: "Expenses:Wrong"})
	// The classifier: many decisions for a merchant seen under other
	// payee names.
	for _, city := range []string{"SEATTLE WA", "TACOMA WA", "PORTLAND OR", "BOISE ID", "RENO NV", "AUSTIN TX"} {
		l.Confirm(Confirmation{Text: "SHELL OIL 1 " + city, Payee: "Shell " + city, Category: "Expenses:Fuel"})
		l.Confirm(Confirmation{Text: "SAFEWAY 1 " + city, Payee: "Safeway " + city, Category: "Expenses:Groceries"})
	}
	lb := &Labeler{Rules: set, Learner: l, AccountName: func(feed int64) string {
		return map[int64]string{1: "Assets:Bank:Checking", 2: "Liabilities:Card:Business"}[feed]
	}}
	tests := []struct {
		name string
		line match.Line
		want match.Labels
	}{
		{"rules rename and categorize", match.Line{Account: 2, Amount: -2999, Text: "AMZN Mktp US*2K3"}, match.Labels{
			Payee: "Amazon", Category: "Expenses:Office", Confidence: 1,
			SetBy: map[string]string{"payee": "rule 1", "category": "rule 2"}}},
		{"a rule's payee, another account: no category", match.Line{Account: 1, Amount: -2999, Text: "AMZN Mktp US*2K3"}, match.Labels{
			Payee: "Amazon", SetBy: map[string]string{"payee": "rule 1"}}},
		{"learned alias and category", match.Line{Account: 1, Amount: -450, Text: "SQ *BLUE BOTTLE 9876 OAKLAND CA"}, match.Labels{
			Payee: "Blue Bottle", Category: "Expenses:Coffee", Confidence: LearnedConfidence,
			SetBy: map[string]string{"payee": "learned", "category": "learned"}}},
		{"auto-add only from a rule", match.Line{Account: 1, Amount: -1200, Text: "MONTHLY FEE"}, match.Labels{
			Payee: "Monthly Fee", Category: "Expenses:Bank Fees", AutoAdd: true, Confidence: 1,
			SetBy: map[string]string{"category": "rule 3", "auto_add": "rule 3"}}},
		{"a transfer gets no learned category", match.Line{Account: 1, Amount: -10000, Text: "TRANSFER TO SAV 0004"}, match.Labels{
			Payee: "Savings", Transfer: "Assets:Bank:Savings",
			SetBy: map[string]string{"payee": "learned", "transfer": "rule 4"}}},
		{"unknown: the cleaned descriptor, nothing else", match.Line{Account: 1, Amount: -800, Text: "ZIPCAR 8812 BOSTON MA"}, match.Labels{
			Payee: "Zipcar Boston"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := lb.Label(&tc.line)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Label (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("classifier guess", func(t *testing.T) {
		got := lb.Label(&match.Line{Account: 1, Amount: -4000, Text: "SHELL OIL 99 DENVER CO"})
		if got.Category != "Expenses:Fuel" || got.Confidence < MinGuessConfidence || got.Confidence > 1 || got.SetBy["category"] != "learned" {
			t.Errorf("Label = %+v", got)
		}
	})
	t.Run("nothing configured", func(t *testing.T) {
		got := (&Labeler{}).Label(&match.Line{Amount: -1, Text: "SQ *BLUE BOTTLE 1 OAKLAND CA"})
		if diff := cmp.Diff(match.Labels{Payee: "Blue Bottle Oakland"}, got); diff != "" {
			t.Errorf("Label (-want +got):\n%s", diff)
		}
	})
}
