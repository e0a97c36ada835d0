package rules

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bankfeed/bankfeed/internal/match"
)

// FuzzRule decodes a rule from JSON, validates it and compiles it: a rule
// Validate accepts must compile, apply to any line without panicking, keep
// its splits summing to the line, and survive its definition's round trip.
func FuzzRule(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Amazon","stage":"pre","enabled":true,"conditions":[{"field":"description","op":"contains","value":"AMZN"}],"actions":[{"set":"payee","value":"Amazon"}]}`,
		`{"name":"office","enabled":true,"match":"any","conditions":[{"field":"payee","op":"one_of","values":["Amazon","Staples"]},{"field":"amount","op":"between","value":"10..20"}],"actions":[{"set":"category","value":"Expenses:Office"},{"set":"auto_add"}]}`,
		`{"name":"rent","stage":"post","priority":3,"enabled":true,"conditions":[{"field":"amount","op":"is","value":"1200"},{"field":"direction","op":"is","value":"out"}],"actions":[{"set":"split","splits":[{"category":"Expenses:Rent","amount":"1000"},{"category":"Expenses:Parking","amount":"200.00"}]}]}`,
		`{"name":"meals","enabled":true,"conditions":[{"field":"description","op":"regex","value":"^(tst|sq) \\*"}],"actions":[{"set":"split","splits":[{"category":"Expenses:Meals","percent":60},{"category":"Expenses:Gifts","percent":40}]}]}`,
		`{"name":"q1","enabled":true,"conditions":[{"field":"date","op":"between","value":"2026-01-01..2026-03-31"},{"field":"check","op":"is"}],"actions":[{"set":"memo","value":"q1"},{"set":"exclude","value":"false"}]}`,
		`{"name":"savings","enabled":true,"conditions":[{"field":"account","op":"contains","value":"checking"},{"field":"date","op":"after","value":"2026-01-01"}],"actions":[{"set":"transfer","value":"Assets:Bank:Savings"}]}`,
		`{"name":"bad","conditions":[{"field":"amount","op":"gt","value":"-1"}],"actions":[{"set":"category","value":"Food"}]}`,
		`{"name":"x","enabled":true,"conditions":[{"field":"amount","op":"lt","value":"0.001"}],"actions":[{"set":"split","splits":[{"category":"Income:A","percent":100}]}]}`,
	} {
		f.Add([]byte(seed), int64(-1250), uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, amount int64, scale uint8) {
		r, err := ParseRule(data)
		if err != nil {
			return
		}
		if r.Validate() != nil {
			return
		}
		r.Enabled = true
		s, err := Compile([]*Rule{r})
		if err != nil {
			t.Fatalf("a valid rule does not compile: %v", err)
		}
		in := &Input{Amount: amount, Scale: int(scale % 12), Description: "AMZN Mktp US*2K3", Payee: "Amazon", Account: "Assets:Bank:Checking"}
		res := s.Apply(in)
		if res.Splits != nil {
			var sum int64
			for _, p := range res.Splits {
				sum += p.Amount
			}
			if sum != amount {
				t.Fatalf("splits %v sum to %d, not %d", res.Splits, sum, amount)
			}
		}
		back := &Rule{ID: r.ID, Name: r.Name, Stage: r.Stage, Priority: r.Priority, Enabled: r.Enabled, Origin: r.Origin}
		if err := back.SetDefinition(r.Definition()); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r, back, cmpEmpty); diff != "" {
			t.Fatalf("definition round trip (-want +got):\n%s", diff)
		}
		_ = r.Describe()
	})
}

// cmpEmpty treats nil and empty slices alike (omitempty drops both).
var cmpEmpty = cmp.Transformer("empty", func(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	return v
})

// BenchmarkApply applies 200 rules to 100,000 lines.
func BenchmarkApply(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	merchants := []string{"AMZN MKTP US", "SQ *BLUE BOTTLE", "STARBUCKS STORE", "SHELL OIL", "SAFEWAY", "TST* JOES PIZZA",
		"UBER TRIP", "NETFLIX.COM", "COMCAST CABLE", "PG&E WEB ONLINE", "CHEVRON", "WHOLEFDS MKT", "TRADER JOE S", "LYFT RIDE"}
	var rs []*Rule
	for i := range 200 {
		m := merchants[i%len(merchants)]
		r := &Rule{ID: int64(i + 1), Name: fmt.Sprint("r", i), Enabled: true, Stage: stages[i%3], Priority: i % 4}
		switch i % 5 {
		case 0:
			r.Conditions = []Condition{{Field: FieldDescription, Op: OpContains, Value: fmt.Sprintf("%s %d", m, i)}}
		case 1:
			r.Conditions = []Condition{{Field: FieldPayee, Op: OpIs, Value: fmt.Sprint("Payee ", i)}, {Field: FieldDirection, Op: OpIs, Value: "out"}}
		case 2:
			r.Conditions = []Condition{{Field: FieldDescription, Op: OpRegex, Value: fmt.Sprintf(`^%s \d+ %d`, regexp.QuoteMeta(m), i)}}
		case 3:
			r.Conditions = []Condition{{Field: FieldAmount, Op: OpBetween, Value: fmt.Sprintf("%d..%d.99", i, i+5)}, {Field: FieldDescription, Op: OpContains, Value: m}}
		default:
			r.Match = "any"
			r.Conditions = []Condition{{Field: FieldPayee, Op: OpOneOf, Values: []string{fmt.Sprint("P", i), fmt.Sprint("Q", i)}},
				{Field: FieldDate, Op: OpBefore, Value: "2020-01-01"}}
		}
		r.Actions = []Action{{Set: SetCategory, Value: fmt.Sprint("Expenses:C", i)}}
		rs = append(rs, r)
	}
	s, err := Compile(rs)
	if err != nil {
		b.Fatal(err)
	}
	d0, _ := match.DayOf("2026-01-01")
	lines := make([]Input, 100_000)
	for i := range lines {
		m := merchants[rng.IntN(len(merchants))]
		lines[i] = Input{
			Account:     "Assets:Bank:Checking",
			Amount:      -rng.Int64N(50_000),
			Scale:       2,
			Description: fmt.Sprintf("%s %d %d SEATTLE WA", m, rng.IntN(10_000), rng.IntN(200)),
			Payee:       fmt.Sprint("Payee ", rng.IntN(400)),
			Date:        d0 + match.Day(rng.IntN(365)),
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	fired := 0
	for b.Loop() {
		for i := range lines {
			fired += len(s.Apply(&lines[i]).Fired)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/line")
	if fired == 0 {
		b.Fatal("no rule fired")
	}
}
