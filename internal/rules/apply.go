package rules

import (
	"cmp"
	"errors"
	"fmt"
	"math/bits"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/bankfeed/bankfeed/internal/match"
)

// Input is the line a rule set is applied to.
type Input struct {
	Account string // the bank-side ledger account's name
	Amount  int64  // minor units, signed: negative is money out
	Scale   int    // digits of minor units in Amount: 2 for most currencies
	// Description is the bank's descriptor: name and memo as it wrote them.
	Description string
	Memo        string
	// Payee is the payee before the rules: a learned alias, or the cleaned
	// descriptor. Rules may change it; later rules see the change.
	Payee string
	Check string
	Date  match.Day
}

// Result is what the rules set.
type Result struct {
	Payee, Category, Memo string
	Splits                []match.LabelSplit
	Transfer              string
	Exclude, AutoAdd      bool
	// SetBy names, for each field a rule set ("payee", "category", "memo",
	// "split", "transfer", "exclude", "auto_add"), the rule that set it
	// last: "rule 12".
	SetBy map[string]string
	// Fired are the rules that matched, in the order they applied.
	Fired []int64
}

// Set is a compiled rule set: the enabled rules in the order they apply,
// regexes compiled once.
type Set struct {
	rules []*compiled // pre, then default, then post; each in apply order
	byID  map[int64]*Rule
}

// Compile validates and compiles rs; disabled rules are skipped. Every
// problem of every enabled rule is returned, joined.
func Compile(rs []*Rule) (*Set, error) {
	s := &Set{byID: map[int64]*Rule{}}
	var errs []error
	for _, r := range rs {
		if r == nil || !r.Enabled {
			continue
		}
		if err := r.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("rule %d (%s): %w", r.ID, r.Name, err))
			continue
		}
		s.rules = append(s.rules, compileRule(r))
		s.byID[r.ID] = r
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortStableFunc(s.rules, func(a, b *compiled) int {
		return cmp.Or(cmp.Compare(a.stage, b.stage), cmp.Compare(a.r.Priority, b.r.Priority),
			cmp.Compare(a.specificity, b.specificity), cmp.Compare(a.r.ID, b.r.ID))
	})
	return s, nil
}

// Sort puts rs in the order a Set applies them: by stage (pre, default,
// post), then priority, then Specificity, then id, all ascending.
func Sort(rs []*Rule) {
	type keyed struct {
		r                  *Rule
		stage, specificity int
	}
	ks := make([]keyed, len(rs))
	for i, r := range rs {
		ks[i] = keyed{r, stageIndex(r.Stage), Specificity(r)}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.stage, b.stage), cmp.Compare(a.r.Priority, b.r.Priority),
			cmp.Compare(a.specificity, b.specificity), cmp.Compare(a.r.ID, b.r.ID))
	})
	for i, k := range ks {
		rs[i] = k.r
	}
}

// stageIndex is a stage's place in the order: 0 pre, 1 default, 2 post.
func stageIndex(stage string) int {
	switch stage {
	case StagePre:
		return 0
	case StagePost:
		return 2
	}
	return 1
}

// Len is the number of rules in the set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.rules)
}

// Rules returns the set's rules in the order they apply.
func (s *Set) Rules() []*Rule {
	if s == nil {
		return nil
	}
	out := make([]*Rule, len(s.rules))
	for i, c := range s.rules {
		out[i] = c.r
	}
	return out
}

// Rule returns the rule of the set with that id, or nil.
func (s *Set) Rule(id int64) *Rule {
	if s == nil {
		return nil
	}
	return s.byID[id]
}

// Specificity weighs a rule's conditions: is 10, one_of 9, regex 6,
// between 5, gt, lt, before and after 1, contains 0, summed, and doubled
// when every condition is is or one_of. Within a stage and a priority,
// rules apply in ascending specificity, so the most specific writes last.
func Specificity(r *Rule) int {
	sum, exact := 0, true
	for _, c := range r.Conditions {
		switch c.Op {
		case OpIs:
			sum += 10
		case OpOneOf:
			sum += 9
		case OpRegex:
			sum += 6
			exact = false
		case OpBetween:
			sum += 5
			exact = false
		case OpGt, OpLt, OpBefore, OpAfter:
			sum++
			exact = false
		default:
			exact = false
		}
	}
	if exact && len(r.Conditions) > 0 {
		sum *= 2
	}
	return sum
}

// compiled is a rule ready to apply.
type compiled struct {
	r           *Rule
	by          string // "rule 12"
	stage       int    // 0 pre, 1 default, 2 post
	specificity int
	any         bool
	conds       []cond
	splits      []compiledPart
}

type compiledPart struct {
	category string
	percent  int
	amount   compiledAmount
}

// cond is a compiled condition.
type cond struct {
	field, op string
	text0     int    // for text fields: iAccount … iCheck
	text      string // lower case
	norm      string // description: the value normalized, padded with spaces; "" for none
	texts     []string
	norms     []string
	re        *regexp.Regexp
	out       bool // direction is out
	lo, hi    compiledAmount
	amts      []compiledAmount
	dlo, dhi  match.Day
	days      []match.Day
}

func compileRule(r *Rule) *compiled {
	c := &compiled{r: r, by: "rule " + strconv.FormatInt(r.ID, 10), specificity: Specificity(r), any: r.Match == "any"}
	c.stage = stageIndex(r.Stage)
	for _, x := range r.Conditions {
		c.conds = append(c.conds, compileCond(x))
	}
	for _, a := range r.Actions {
		if a.Set != SetSplit {
			continue
		}
		for _, p := range a.Splits {
			cp := compiledPart{category: p.Category, percent: p.Percent}
			if p.Amount != "" {
				v, _ := parseAmount(p.Amount)
				cp.amount = compileAmount(v)
			}
			c.splits = append(c.splits, cp)
		}
	}
	return c
}

// compileCond compiles a valid condition.
func compileCond(x Condition) cond {
	c := cond{field: x.Field, op: x.Op, text0: textIndex(x.Field)}
	values := x.Values
	if x.Op != OpOneOf {
		values = []string{x.Value}
	}
	switch x.Field {
	case FieldDirection:
		c.out = x.Value == "out"
	case FieldAmount:
		if x.Op == OpBetween {
			lo, hi, _ := strings.Cut(x.Value, "..")
			a, _ := parseAmount(strings.TrimSpace(lo))
			b, _ := parseAmount(strings.TrimSpace(hi))
			c.lo, c.hi = compileAmount(a), compileAmount(b)
			break
		}
		for _, v := range values {
			a, _ := parseAmount(v)
			c.amts = append(c.amts, compileAmount(a))
		}
	case FieldDate:
		if x.Op == OpBetween {
			lo, hi, _ := strings.Cut(x.Value, "..")
			c.dlo, _ = match.DayOf(strings.TrimSpace(lo))
			c.dhi, _ = match.DayOf(strings.TrimSpace(hi))
			break
		}
		for _, v := range values {
			d, _ := match.DayOf(v)
			c.days = append(c.days, d)
		}
	default:
		if x.Op == OpRegex {
			c.re = regexp.MustCompile("(?i)" + x.Value)
			break
		}
		for _, v := range values {
			c.texts = append(c.texts, strings.ToLower(strings.TrimSpace(v)))
			if x.Field == FieldDescription {
				n := ""
				if nv := NormalizeDescriptor(v); nv != "" {
					n = " " + nv + " "
				}
				c.norms = append(c.norms, n)
			}
		}
		c.text = c.texts[0]
		if c.norms != nil {
			c.norm = c.norms[0]
		}
	}
	return c
}

// state is a line as the rules see it while they run.
type state struct {
	in    *Input
	res   *Result
	lower [5]string // account, description, payee, memo, check; lower case
	have  [5]bool
	norm  string // the description normalized, padded with spaces
	normd bool
}

// textIndex is where state keeps a text field.
func textIndex(field string) int {
	switch field {
	case FieldAccount:
		return iAccount
	case FieldDescription:
		return iDescription
	case FieldPayee:
		return iPayee
	case FieldMemo:
		return iMemo
	}
	return iCheck
}

const (
	iAccount = iota
	iDescription
	iPayee
	iMemo
	iCheck
)

func (st *state) text(i int) string {
	if !st.have[i] {
		var s string
		switch i {
		case iAccount:
			s = st.in.Account
		case iDescription:
			s = st.in.Description
		case iPayee:
			s = st.res.Payee
		case iMemo:
			s = st.res.Memo
		case iCheck:
			s = st.in.Check
		}
		st.lower[i], st.have[i] = strings.ToLower(strings.TrimSpace(s)), true
	}
	return st.lower[i]
}

func (st *state) raw(i int) string {
	switch i {
	case iAccount:
		return st.in.Account
	case iDescription:
		return st.in.Description
	case iPayee:
		return st.res.Payee
	case iMemo:
		return st.res.Memo
	}
	return st.in.Check
}

func (st *state) normalized() string {
	if !st.normd {
		st.norm, st.normd = " "+NormalizeDescriptor(st.in.Description)+" ", true
	}
	return st.norm
}

// Apply runs the set's rules on in: pre, default, then post; within each,
// every matching rule in order. Conditions on payee and memo see what the
// rules before set.
func (s *Set) Apply(in *Input) Result {
	res := Result{Payee: in.Payee, Memo: in.Memo}
	if s == nil {
		return res
	}
	st := state{in: in, res: &res}
	for _, c := range s.rules {
		if !c.matches(&st) {
			continue
		}
		res.Fired = append(res.Fired, c.r.ID)
		c.apply(&st)
	}
	return res
}

func (c *compiled) matches(st *state) bool {
	for i := range c.conds {
		ok := c.conds[i].matches(st)
		if ok && c.any {
			return true
		}
		if !ok && !c.any {
			return false
		}
	}
	return !c.any
}

func (c *cond) matches(st *state) bool {
	switch c.field {
	case FieldDirection:
		return (st.in.Amount < 0) == c.out
	case FieldAmount:
		x := abs(st.in.Amount)
		switch c.op {
		case OpGt:
			return cmpMinor(x, c.amts[0].minor(st.in.Scale)) > 0
		case OpLt:
			return cmpMinor(x, c.amts[0].minor(st.in.Scale)) < 0
		case OpBetween:
			return cmpMinor(x, c.lo.minor(st.in.Scale)) >= 0 && cmpMinor(x, c.hi.minor(st.in.Scale)) <= 0
		}
		for i := range c.amts {
			if cmpMinor(x, c.amts[i].minor(st.in.Scale)) == 0 {
				return true
			}
		}
		return false
	case FieldDate:
		d := st.in.Date
		switch c.op {
		case OpBefore:
			return d < c.days[0]
		case OpAfter:
			return d > c.days[0]
		case OpBetween:
			return d >= c.dlo && d <= c.dhi
		}
		return slices.Contains(c.days, d)
	}
	i := c.text0
	if c.op == OpRegex {
		return c.re.MatchString(st.raw(i))
	}
	s := st.text(i)
	for k, t := range c.texts {
		var ok bool
		if c.op == OpContains {
			ok = strings.Contains(s, t)
		} else {
			ok = s == t
		}
		if ok {
			return true
		}
		// A descriptor also matches with its digits and punctuation
		// noise taken out: "contains SQ BLUE BOTTLE" matches
		// "SQ *BLUE BOTTLE 1234", whole words only.
		if i == iDescription && c.norms[k] != "" {
			n := st.normalized()
			if c.op == OpContains && strings.Contains(n, c.norms[k]) || n == c.norms[k] {
				return true
			}
		}
	}
	return false
}

// apply sets what the rule's actions say.
func (c *compiled) apply(st *state) {
	res := st.res
	set := func(field string) {
		if res.SetBy == nil {
			res.SetBy = make(map[string]string, 4)
		}
		res.SetBy[field] = c.by
	}
	for _, a := range c.r.Actions {
		switch a.Set {
		case SetPayee:
			res.Payee, st.have[iPayee] = a.Value, false
		case SetCategory:
			res.Category = a.Value
		case SetMemo:
			res.Memo, st.have[iMemo] = a.Value, false
		case SetTransfer:
			res.Transfer = a.Value
		case SetExclude:
			res.Exclude = isTrue(a.Value)
		case SetAutoAdd:
			res.AutoAdd = isTrue(a.Value)
		case SetSplit:
			splits, ok := c.split(st.in)
			if !ok {
				continue
			}
			res.Splits = splits
		default:
			continue
		}
		set(a.Set)
	}
}

// split divides the line's amount among the rule's parts: by percent
// (floor each, the minor units left over go one each to the first parts),
// or by exact amounts, which must add up to the line's amount at its scale.
func (c *compiled) split(in *Input) ([]match.LabelSplit, bool) {
	m := abs(in.Amount)
	out := make([]match.LabelSplit, len(c.splits))
	var sum uint64
	parts := make([]uint64, len(c.splits))
	for i, p := range c.splits {
		if p.percent > 0 {
			parts[i] = percentOf(m, p.percent)
		} else {
			v := p.amount.minor(in.Scale)
			if !v.ok || !v.exact {
				return nil, false
			}
			parts[i] = v.floor
		}
		var carry uint64
		if sum, carry = bits.Add64(sum, parts[i], 0); carry != 0 {
			return nil, false
		}
	}
	if c.splits[0].percent > 0 {
		for i := 0; sum < m; i++ { // fewer left over than there are parts
			parts[i]++
			sum++
		}
	}
	if sum != m {
		return nil, false
	}
	for i, p := range c.splits {
		out[i] = match.LabelSplit{Category: p.category, Amount: signed(parts[i], in.Amount)}
	}
	return out, true
}
