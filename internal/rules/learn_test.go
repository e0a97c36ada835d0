package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bankfeed/bankfeed/internal/match"
)

func TestNormalizeDescriptor(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SQ *BLUE BOTTLE 1234 OAKLAND CA", "SQ BLUE BOTTLE OAKLAND CA"},
		{"SQ *BLUE BOTTLE 9876 OAKLAND CA", "SQ BLUE BOTTLE OAKLAND CA"},
		{"sq *Blue  Bottle #0042   Oakland, CA", "SQ BLUE BOTTLE OAKLAND CA"},
		{"AMZN Mktp US*2K3L45JX0", "AMZN MKTP US"},
		{"POS DEBIT 03/14 XXXX1234 STARBUCKS STORE 05521", "POS DEBIT STARBUCKS STORE"},
		{"CHECKCARD 0314 XXXXXXXXXXXX4321 MCDONALD'S F1234", "CHECKCARD MCDONALDS"},
		{"Café Müller 2026-03-14", "CAFÉ MÜLLER"},
		{"XXXX-XXXX-XXXX-1234 SHELL OIL 57444", "SHELL OIL"},
		{"12345 67890", ""},
		{"", ""},
	}
	for _, tc := range tests {
		got := NormalizeDescriptor(tc.in)
		if got != tc.want {
			t.Errorf("NormalizeDescriptor(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if again := NormalizeDescriptor(got); again != got {
			t.Errorf("NormalizeDescriptor(%q) = %q: not idempotent", got, again)
		}
	}
}

func TestCleanPayee(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SQ *BLUE BOTTLE 1234 OAKLAND CA", "Blue Bottle Oakland"},
		{"TST* JOE'S PIZZA 0042", "Joes Pizza"},
		{"AMZN Mktp US*2K3L45JX0", "Amzn Mktp Us"},
		{"SHELL OIL 57444", "Shell Oil"},
		{" 12345 ", "12345"},
	}
	for _, tc := range tests {
		if got := CleanPayee(tc.in); got != tc.want {
			t.Errorf("CleanPayee(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAliasesAcrossStoreNumbers(t *testing.T) {
	l := NewLearner()
	if _, ok := l.Payee("SQ *BLUE BOTTLE 1234 OAKLAND CA"); ok {
		t.Fatal("alias before any decision")
	}
	l.Confirm(Confirmation{Text: "SQ *BLUE BOTTLE 1234 OAKLAND CA", Payee: "Blue Bottle Coffee", Category: "Expenses:Coffee"})
	for _, text := range []string{"SQ *BLUE BOTTLE 9876 OAKLAND CA", "sq *blue bottle #55 oakland, ca"} {
		if p, ok := l.Payee(text); !ok || p != "Blue Bottle Coffee" {
			t.Errorf("Payee(%q) = %q, %v", text, p, ok)
		}
	}
	if _, ok := l.Payee("SQ *BLUE BOTTLE 1234 BERKELEY CA"); ok {
		t.Error("another city has the alias")
	}
	if _, ok := l.Payee("1234"); ok {
		t.Error("a descriptor of digits has an alias")
	}
	want := map[string]string{"SQ BLUE BOTTLE OAKLAND CA": "Blue Bottle Coffee"}
	if diff := cmp.Diff(want, l.Aliases()); diff != "" {
		t.Errorf("Aliases (-want +got):\n%s", diff)
	}
	// Restored into a new learner, as from the store.
	l2 := NewLearner()
	for d, p := range l.Aliases() {
		l2.LoadAlias(d, p)
	}
	l2.LoadAlias("", "x")
	l2.LoadAlias("AMZN Mktp US*2K3", "Amazon")
	if p, ok := l2.Payee("AMZN MKTP US*9Z9"); !ok || p != "Amazon" {
		t.Errorf("loaded alias: %q, %v", p, ok)
	}
	if p, ok := l2.Payee("SQ *BLUE BOTTLE 1 OAKLAND CA"); !ok || p != "Blue Bottle Coffee" {
		t.Errorf("restored alias: %q, %v", p, ok)
	}
}

// TestCategoryThreeOfFive: a payee's category is learned when 3 of its
// last 5 confirmed decisions agree, and shown as an enabled learned rule.
func TestCategoryThreeOfFive(t *testing.T) {
	confirm := func(l *Learner, payee string, cats ...string) {
		for _, c := range cats {
			l.Confirm(Confirmation{Text: payee + " 123", Payee: payee, Category: c})
		}
	}
	tests := []struct {
		name string
		cats []string
		want string
	}{
		{"two are not enough", []string{"Expenses:Food", "Expenses:Food"}, ""},
		{"three agree", []string{"Expenses:Food", "Expenses:Food", "Expenses:Food"}, "Expenses:Food"},
		{"three of five", []string{"Expenses:Food", "Expenses:Gifts", "Expenses:Food", "Expenses:Office", "Expenses:Food"}, "Expenses:Food"},
		{"two and two and one", []string{"Expenses:A", "Expenses:B", "Expenses:A", "Expenses:B", "Expenses:C"}, ""},
		{"only the last five count", []string{"Expenses:A", "Expenses:A", "Expenses:A", "Expenses:B", "Expenses:B", "Expenses:B", "Expenses:C"}, "Expenses:B"},
		{"old votes age out", []string{"Expenses:A", "Expenses:A", "Expenses:A", "Expenses:B", "Expenses:C", "Expenses:D"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := NewLearner()
			confirm(l, "Corner Deli", tc.cats...)
			got, ok := l.Category("corner deli")
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("Category = %q, %v; want %q", got, ok, tc.want)
			}
			rs := l.CategoryRules()
			if tc.want == "" {
				if len(rs) != 0 {
					t.Errorf("CategoryRules = %v, want none", rs)
				}
				return
			}
			want := []*Rule{{Name: "Learned: Corner Deli", Stage: StageDefault, Enabled: true, Origin: OriginLearned, Match: "all",
				Conditions: []Condition{{Field: FieldPayee, Op: OpIs, Value: "Corner Deli"}},
				Actions:    []Action{{Set: SetCategory, Value: tc.want}}}}
			if diff := cmp.Diff(want, rs); diff != "" {
				t.Errorf("CategoryRules (-want +got):\n%s", diff)
			}
			for _, r := range rs {
				if err := r.Validate(); err != nil {
					t.Errorf("learned rule is invalid: %v", err)
				}
			}
		})
	}
}

func TestProposals(t *testing.T) {
	l := NewLearner()
	choose := func(text, payee, category string, suggested bool) {
		l.Confirm(Confirmation{Text: text, Payee: payee, Category: category, Suggested: suggested})
	}
	// Three identical manual choices for one descriptor, across store
	// numbers: proposed.
	choose("SQ *BLUE BOTTLE 1234 OAKLAND CA", "Blue Bottle", "Expenses:Coffee", false)
	choose("SQ *BLUE BOTTLE 9876 OAKLAND CA", "Blue Bottle", "Expenses:Coffee", false)
	if len(l.Proposals()) != 0 {
		t.Fatal("proposed after two choices")
	}
	choose("SQ *BLUE BOTTLE 5555 OAKLAND CA", "Blue Bottle", "Expenses:Coffee", false)
	// A different choice restarts the count.
	choose("SHELL OIL 1", "Shell", "Expenses:Fuel", false)
	choose("SHELL OIL 2", "Shell", "Expenses:Car", false)
	choose("SHELL OIL 3", "Shell", "Expenses:Fuel", false)
	choose("SHELL OIL 4", "Shell", "Expenses:Fuel", false)
	// Accepted suggestions are not manual choices.
	for range 4 {
		choose("NETFLIX.COM", "Netflix", "Expenses:Streaming", true)
	}
	want := []*Rule{{
		Name: "Proposed: SQ BLUE BOTTLE OAKLAND CA", Stage: StageDefault, Enabled: false, Origin: OriginProposed, Match: "all",
		Conditions: []Condition{{Field: FieldDescription, Op: OpContains, Value: "SQ BLUE BOTTLE OAKLAND CA"}},
		Actions:    []Action{{Set: SetPayee, Value: "Blue Bottle"}, {Set: SetCategory, Value: "Expenses:Coffee"}},
	}}
	got := l.Proposals()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Proposals (-want +got):\n%s", diff)
	}
	// The proposal is valid, and matches the next such line once enabled.
	got[0].ID, got[0].Enabled = 40, true
	s, err := Compile(got)
	if err != nil {
		t.Fatal(err)
	}
	res := s.Apply(&Input{Description: "SQ *BLUE BOTTLE 4242 OAKLAND CA", Amount: -450, Scale: 2})
	if res.Payee != "Blue Bottle" || res.Category != "Expenses:Coffee" || res.SetBy["category"] != "rule 40" {
		t.Errorf("enabled proposal: %+v", res)
	}
	choose("SHELL OIL 5", "Shell", "Expenses:Fuel", false)
	if n := len(l.Proposals()); n != 2 {
		t.Errorf("after a third Shell choice in a row: %d proposals, want 2", n)
	}
}

func TestGuess(t *testing.T) {
	l := NewLearner()
	train := []struct{ text, cat string }{
		{"STARBUCKS STORE 1234 SEATTLE WA", "Expenses:Coffee"},
		{"STARBUCKS STORE 777 PORTLAND OR", "Expenses:Coffee"},
		{"STARBUCKS 555 SEATTLE WA", "Expenses:Coffee"},
		{"STARBUCKS STORE 31 TACOMA WA", "Expenses:Coffee"},
		{"STARBUCKS STORE 9 SEATTLE WA", "Expenses:Coffee"},
		{"SHELL OIL 4411 PORTLAND OR", "Expenses:Fuel"},
		{"SHELL OIL 11 SEATTLE WA", "Expenses:Fuel"},
		{"PEETS COFFEE 12 BERKELEY CA", "Expenses:Coffee"},
		{"SHELL OIL 57444 SEATTLE WA", "Expenses:Fuel"},
		{"SHELL OIL 1203 TACOMA WA", "Expenses:Fuel"},
		{"CHEVRON 0042 PORTLAND OR", "Expenses:Fuel"},
		{"CHEVRON 0099 SEATTLE WA", "Expenses:Fuel"},
		{"SAFEWAY 1444 SEATTLE WA", "Expenses:Groceries"},
		{"SAFEWAY 2020 TACOMA WA", "Expenses:Groceries"},
		{"WHOLEFDS MKT 102 SEATTLE WA", "Expenses:Groceries"},
		{"TRADER JOE S 555 PORTLAND OR", "Expenses:Groceries"},
	}
	for _, x := range train {
		l.Confirm(Confirmation{Text: x.text, Payee: CleanPayee(x.text), Category: x.cat})
	}
	tests := []struct {
		name    string
		text    string
		want    string
		atLeast float64 // confidence ≥; 0 and want "": abstains
		below   float64 // confidence <; 0: no bound
	}{
		{"unseen words: abstains", "ZIPCAR 8888 BOSTON MA", "", 0, 0},
		{"digits only: abstains", "1234 5678", "", 0, 0},
		{"seen merchant, new store", "STARBUCKS STORE 9999 TACOMA WA", "Expenses:Coffee", MinGuessConfidence, 0},
		{"seen merchant, new city", "SHELL OIL 1 BOISE ID", "Expenses:Fuel", MinGuessConfidence, 0},
		{"only a shared city: not sure", "SEATTLE WA", "Expenses:Coffee", 0, MinGuessConfidence},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, conf := l.Guess(tc.text)
			if tc.want == "" {
				if got != "" || conf != 0 {
					t.Errorf("Guess = %q, %.3f; want to abstain", got, conf)
				}
				return
			}
			if tc.below > 0 {
				if conf >= tc.below {
					t.Errorf("Guess = %q, %.3f; want confidence below %.2f", got, conf, tc.below)
				}
				return
			}
			if got != tc.want || conf < tc.atLeast || conf > 1 {
				t.Errorf("Guess = %q, %.3f; want %q at ≥ %.2f", got, conf, tc.want, tc.atLeast)
			}
		})
	}
	// A learner that saw one decision is never sure.
	one := NewLearner()
	one.Confirm(Confirmation{Text: "ZIPCAR 1", Payee: "Zipcar", Category: "Expenses:Car"})
	if c, conf := one.Guess("ZIPCAR 2"); conf >= MinGuessConfidence {
		t.Errorf("after one decision: Guess = %q, %.3f", c, conf)
	}
}

// TestCheckOnlyDescriptors: a check's descriptor names no payee and no
// category, whatever the last check was.
func TestCheckOnlyDescriptors(t *testing.T) {
	l := NewLearner()
	for i, p := range []string{"Jane Smith Cleaning", "Jane Smith Cleaning", "Jane Smith Cleaning"} {
		l.Confirm(Confirmation{Text: "CHECK 105" + string(rune('0'+i)), Payee: p, Category: "Expenses:Cleaning"})
	}
	l.Confirm(Confirmation{Text: "DEPOSIT 88123", Payee: "Globex", Category: "Income:Sales"})
	for _, text := range []string{"CHECK 1054", "CHK# 0042", "DEPOSIT 77001"} {
		if p, ok := l.Payee(text); ok {
			t.Errorf("Payee(%q) = %q", text, p)
		}
		if c, conf := l.Guess(text); c != "" || conf != 0 {
			t.Errorf("Guess(%q) = %q, %.3f", text, c, conf)
		}
	}
	if len(l.Aliases()) != 0 || len(l.Proposals()) != 0 {
		t.Errorf("aliases %v, proposals %v: want none", l.Aliases(), l.Proposals())
	}
	l.LoadAlias("CHECK", "Jane Smith Cleaning")
	if p, ok := l.Payee("CHECK 2001"); ok {
		t.Errorf("a stored check alias names %q", p)
	}
	lb := &Labeler{Learner: l}
	if got := lb.Label(&match.Line{Amount: -18000, Text: "CHECK 1054", Check: "1054"}); got.Category != "" || got.Payee != "Check" {
		t.Errorf("Label(CHECK 1054) = %+v", got)
	}
}

// TestGuessBeforeVotes: before 3 votes agree, a payee whose every
// confirmed decision agrees, or a descriptor whose every distinctive word
// was seen under one category, gets that category at the confidence its
// kind of evidence earned: how often such guesses were right.
func TestGuessBeforeVotes(t *testing.T) {
	l := NewLearner()
	// Nothing earned yet: one decision is not enough.
	l.Confirm(Confirmation{Text: "ZIPCAR 1 BOSTON MA", Payee: "Zipcar", Category: "Expenses:Car"})
	if c, conf := l.GuessFor("Zipcar", "ZIPCAR 2 BOSTON MA"); c != "Expenses:Car" || conf >= MinGuessConfidence {
		t.Errorf("cold: GuessFor = %q, %.3f; want Expenses:Car under %.2f", c, conf, MinGuessConfidence)
	}
	// Twelve payees confirmed twice each, always the same way: the
	// second of each is a right guess.
	for i := range 12 {
		name := "MERCHANT" + string(rune('A'+i))
		for range 2 {
			l.Confirm(Confirmation{Text: name + " 12", Payee: name, Category: "Expenses:" + name})
		}
	}
	if c, conf := l.GuessFor("Zipcar", "ZIPCAR 3 BOSTON MA"); c != "Expenses:Car" || conf < MinGuessConfidence || conf > LearnedConfidence {
		t.Errorf("earned: GuessFor = %q, %.3f; want Expenses:Car at ≥ %.2f", c, conf, MinGuessConfidence)
	}
	if _, ok := l.Category("Zipcar"); ok {
		t.Error("one vote made a learned category")
	}
	// Words: every distinctive word seen, under one category.
	if c, conf := l.Guess("POS DEBIT ZIPCAR 9 BOSTON"); c != "Expenses:Car" || conf < MinGuessConfidence {
		t.Errorf("words: Guess = %q, %.3f", c, conf)
	}
	// An unseen word may be another merchant.
	if c, conf := l.Guess("ZIPCAR RENTALS BOSTON"); conf >= MinGuessConfidence {
		t.Errorf("unseen word: Guess = %q, %.3f", c, conf)
	}
	// Words seen under other categories: no guess from them.
	l.Confirm(Confirmation{Text: "BOSTON MARKET 1", Payee: "Boston Market", Category: "Expenses:Meals"})
	if c, conf := l.Guess("MERCHANTA BOSTON"); conf >= MinGuessConfidence {
		t.Errorf("conflicting words: Guess = %q, %.3f", c, conf)
	}
	// A payee whose decisions disagree gets no guess of its own.
	l.Confirm(Confirmation{Text: "ZIPCAR 4 BOSTON MA", Payee: "Zipcar", Category: "Expenses:Travel"})
	if c, conf := l.GuessFor("Zipcar", "ZIPCAR 5 BOSTON MA"); c == "Expenses:Car" && conf >= MinGuessConfidence {
		t.Errorf("mixed payee: GuessFor = %q, %.3f", c, conf)
	}
	// Wrong guesses lower the confidence they earned.
	w := NewLearner()
	for i := range 12 {
		name := "SHOP" + string(rune('A'+i))
		w.Confirm(Confirmation{Text: name, Payee: name, Category: "Expenses:A"})
		w.Confirm(Confirmation{Text: name, Payee: name, Category: "Expenses:B"})
	}
	w.Confirm(Confirmation{Text: "KIOSK", Payee: "Kiosk", Category: "Expenses:A"})
	if c, conf := w.GuessFor("Kiosk", "KIOSK"); conf >= MinGuessConfidence {
		t.Errorf("inconsistent person: GuessFor = %q, %.3f", c, conf)
	}
}

func TestNamedPayee(t *testing.T) {
	l := NewLearner()
	for _, c := range []Confirmation{
		{Text: "WHOLEFDS MKT #3457", Payee: "Whole Foods", Category: "Expenses:Groceries"},
		{Text: "OFFICE DEPOT #1234", Payee: "Office Depot", Category: "Expenses:Office"},
		{Text: "OAK STREET PROP DES:RENT ID:42", Payee: "Oak Street Properties", Category: "Expenses:Rent"},
		{Text: "TRADER JOES 12 QPS", Payee: "Trader Joe's", Category: "Expenses:Groceries"},
		{Text: "SHELL OIL 57444", Payee: "Shell", Category: "Expenses:Fuel"},
		{Text: "PG&E DES:WEB ONLINE ID:1480", Payee: "PG&E", Category: "Expenses:Utilities"},
		{Text: "AMZN MKTP US*2K3", Payee: "Amazon", Category: "Expenses:Supplies"},
		{Text: "STARBUCKS STORE 1", Payee: "Starbucks", Category: "Expenses:Meals"},
		{Text: "STARBUCKS RESERVE 1", Payee: "Starbucks Reserve", Category: "Expenses:Meals"},
		{Text: "CHECK 1054", Payee: "Jane Smith", Category: "Expenses:Cleaning"},
	} {
		l.Confirm(c)
	}
	tests := []struct{ text, want string }{
		{"WHOLE FOODS MARKET 1234 SAN FRANCISCO CA", "Whole Foods"},
		{"WHOLEFDS SFO 2197", "Whole Foods"},     // an alias of another form: the same payee
		{"OFFICEDEPOT.COM 7351", "Office Depot"}, // run together
		{"ONLINE PMT OAK STREET PROPERTIES", "Oak Street Properties"},
		{"TRADER JOE S #9320", "Trader Joe's"}, // cut short
		{"SHELL SERVICE STATION 3499", "Shell"},
		{"PG&E WEB ONLINE 77", "PG&E"},
		{"AMAZON.COM*8548 AMZN.COM/BILL WA", "Amazon"},
		{"STARBUCKS RESERVE ROASTERY", "Starbucks Reserve"}, // the longer name
		{"THE HOME DEPOT #4410", ""},                        // DEPOT alone is not Office Depot
		{"SHELLYS DINER", ""},                               // a word that begins like it is not it
		{"JANE SMITH CLEANING", "Jane Smith"},
		{"CHECK 2077", ""},
	}
	for _, tc := range tests {
		got, ok := l.NamedPayee(tc.text)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("NamedPayee(%q) = %q, %v; want %q", tc.text, got, ok, tc.want)
		}
	}
	// The labeler names the payee, and its category follows.
	lb := &Labeler{Learner: l}
	for range 2 {
		l.Confirm(Confirmation{Text: "WHOLEFDS MKT #3457", Payee: "Whole Foods", Category: "Expenses:Groceries"})
	}
	got := lb.Label(&match.Line{Amount: -4210, Text: "WHOLE FOODS MARKET 99 SAN FRANCISCO CA"})
	if got.Payee != "Whole Foods" || got.Category != "Expenses:Groceries" || got.SetBy["payee"] != "learned" {
		t.Errorf("Label = %+v", got)
	}
}
