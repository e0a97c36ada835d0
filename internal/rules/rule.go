// Package rules holds bank rules and what bankfeed learns from the decisions
// a person confirms. It is pure and in memory: the store keeps rules as
// records, the command line and review load them here.
//
// A rule says: when a line's fields meet its conditions (all of them, or
// any), set its payee, category, memo, split, transfer, exclude or
// auto-add. Rules run in three stages, pre (normalize, rename the payee),
// default (categorize) and post (overrides, auto-add); within a stage every
// rule that matches applies, least specific first, so the most specific one
// writes last (docs/rules.md). A Learner learns descriptor → payee aliases,
// payee → category and a token classifier from confirmed decisions only; a
// Labeler puts rules and learning together for review (match.Labeler).
//
// Amounts are exact: a rule's amounts are decimal text compared with a
// line's integer minor units, never through a float.
package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/match"
)

// Rule is a bank rule.
type Rule struct {
	ID   int64  `json:"id,omitempty"`
	Name string `json:"name"`
	// Stage is when it runs: "pre", "default" or "post" ("" is default).
	Stage string `json:"stage"`
	// Priority orders rules of one stage before specificity does: a higher
	// priority applies later, so it has the last word.
	Priority int  `json:"priority,omitempty"`
	Enabled  bool `json:"enabled"`
	// Origin is who made it: "user", "learned" (payee → category, from
	// confirmed decisions) or "proposed" (after repeated manual choices,
	// disabled until a person enables it). "" is user.
	Origin string `json:"origin,omitempty"`
	// Match is "all" (every condition holds; "" is all) or "any".
	Match      string      `json:"match,omitempty"`
	Conditions []Condition `json:"conditions"`
	Actions    []Action    `json:"actions"`
}

// Condition is one test of a line's field: Field Op Value, or Field one_of
// Values.
type Condition struct {
	Field  string   `json:"field"`
	Op     string   `json:"op"`
	Value  string   `json:"value,omitempty"`
	Values []string `json:"values,omitempty"`
}

// Action is what a rule sets.
type Action struct {
	Set    string      `json:"set"`
	Value  string      `json:"value,omitempty"`
	Splits []SplitPart `json:"splits,omitempty"`
}

// SplitPart is one part of a split: a category and either a percent of the
// line or an exact amount.
type SplitPart struct {
	Category string `json:"category"`
	Percent  int    `json:"percent,omitempty"`
	Amount   string `json:"amount,omitempty"`
}

// Stages, in the order they run.
const (
	StagePre     = "pre"
	StageDefault = "default"
	StagePost    = "post"
)

// Origins of a rule.
const (
	OriginUser     = "user"
	OriginLearned  = "learned"
	OriginProposed = "proposed"
)

// Fields a condition tests.
const (
	FieldAccount     = "account"     // the bank-side ledger account's name
	FieldDirection   = "direction"   // in or out
	FieldAmount      = "amount"      // absolute, exact decimal
	FieldDescription = "description" // the bank's descriptor: name and memo
	FieldPayee       = "payee"       // as earlier rules and learning left it
	FieldMemo        = "memo"
	FieldCheck       = "check"
	FieldDate        = "date" // YYYY-MM-DD
)

// Ops of a condition.
const (
	OpIs       = "is"
	OpContains = "contains"
	OpOneOf    = "one_of"
	OpRegex    = "regex"
	OpGt       = "gt"
	OpLt       = "lt"
	OpBetween  = "between" // "a..b", both included
	OpBefore   = "before"
	OpAfter    = "after"
)

// Actions' fields.
const (
	SetPayee    = "payee"
	SetCategory = "category"
	SetMemo     = "memo"
	SetSplit    = "split"
	SetTransfer = "transfer"
	SetExclude  = "exclude"
	SetAutoAdd  = "auto_add"
)

var (
	stages  = []string{StagePre, StageDefault, StagePost}
	origins = []string{OriginUser, OriginLearned, OriginProposed}
	fields  = []string{FieldAccount, FieldDirection, FieldAmount, FieldDescription, FieldPayee, FieldMemo, FieldCheck, FieldDate}
	ops     = []string{OpIs, OpContains, OpOneOf, OpRegex, OpGt, OpLt, OpBetween, OpBefore, OpAfter}
	sets    = []string{SetPayee, SetCategory, SetMemo, SetSplit, SetTransfer, SetExclude, SetAutoAdd}
	textOps = []string{OpIs, OpContains, OpOneOf, OpRegex}
	// fieldOps lists the ops each field takes.
	fieldOps = map[string][]string{
		FieldAccount:     textOps,
		FieldDescription: textOps,
		FieldPayee:       textOps,
		FieldMemo:        textOps,
		FieldCheck:       textOps,
		FieldDirection:   {OpIs},
		FieldAmount:      {OpIs, OpOneOf, OpGt, OpLt, OpBetween},
		FieldDate:        {OpIs, OpOneOf, OpBefore, OpAfter, OpBetween},
	}
)

// Problem is one thing wrong with a rule, naming its field as a path:
// "conditions[1].op", "actions[0].splits[2].percent".
type Problem struct {
	Field   string
	Message string
}

func (p *Problem) Error() string { return p.Field + ": " + p.Message }

// Validate returns every problem of r, joined (errors.Join of *Problem),
// or nil when r is sound.
func (r *Rule) Validate() error {
	var ps []error
	add := func(field, format string, args ...any) {
		ps = append(ps, &Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(r.Name) == "" {
		add("name", "empty")
	}
	if r.Stage != "" && !oneOf(r.Stage, stages) {
		add("stage", "%s is not one of %s", strconv.Quote(r.Stage), strings.Join(stages, ", "))
	}
	if r.Origin != "" && !oneOf(r.Origin, origins) {
		add("origin", "%s is not one of %s", strconv.Quote(r.Origin), strings.Join(origins, ", "))
	}
	if r.Match != "" && r.Match != "all" && r.Match != "any" {
		add("match", "%s is not one of all, any", strconv.Quote(r.Match))
	}
	if len(r.Conditions) == 0 {
		add("conditions", "none; a rule needs at least one")
	}
	for i, c := range r.Conditions {
		for _, p := range c.problems() {
			p.Field = fmt.Sprintf("conditions[%d].%s", i, p.Field)
			ps = append(ps, p)
		}
	}
	if len(r.Actions) == 0 {
		add("actions", "none; a rule needs at least one")
	}
	first := map[string]int{}
	for i, a := range r.Actions {
		at := fmt.Sprintf("actions[%d]", i)
		if j, dup := first[a.Set]; dup && a.Set != "" {
			add(at+".set", "%s is set twice by this rule (actions[%d])", a.Set, j)
		} else {
			first[a.Set] = i
		}
		for _, p := range a.problems(r) {
			p.Field = at + "." + p.Field
			ps = append(ps, p)
		}
	}
	if i, ok := first[SetSplit]; ok {
		if j, ok := first[SetCategory]; ok {
			add(fmt.Sprintf("actions[%d].set", max(i, j)), "split and category in one rule; a split names its categories")
		}
	}
	if i, ok := first[SetExclude]; ok && isTrue(r.Actions[i].Value) {
		if j, ok := first[SetAutoAdd]; ok && isTrue(r.Actions[j].Value) {
			add(fmt.Sprintf("actions[%d].set", max(i, j)), "exclude and auto_add in one rule contradict each other")
		}
	}
	return errors.Join(ps...)
}

// problems of one condition, with paths relative to it.
func (c Condition) problems() []*Problem {
	var ps []*Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, &Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	fieldOK := oneOf(c.Field, fields)
	if !fieldOK {
		add("field", "%s is not one of %s", strconv.Quote(c.Field), strings.Join(fields, ", "))
	}
	switch {
	case !oneOf(c.Op, ops):
		add("op", "%s is not one of %s", strconv.Quote(c.Op), strings.Join(ops, ", "))
		return ps
	case !fieldOK:
		return ps
	case !oneOf(c.Op, fieldOps[c.Field]):
		add("op", "%s does not apply to %s; use %s", c.Op, c.Field, orList(fieldOps[c.Field]))
		return ps
	}
	if c.Op == OpOneOf {
		if c.Value != "" {
			add("value", "one_of takes values, not a value")
		}
		if len(c.Values) == 0 {
			add("values", "empty; one_of needs at least one value")
		}
		for i, v := range c.Values {
			if msg := valueProblem(c.Field, OpIs, v); msg != "" {
				add(fmt.Sprintf("values[%d]", i), "%s", msg)
			}
		}
		return ps
	}
	if len(c.Values) > 0 {
		add("values", "only one_of takes values")
	}
	if msg := valueProblem(c.Field, c.Op, c.Value); msg != "" {
		add("value", "%s", msg)
	}
	return ps
}

// valueProblem says what is wrong with v as the value of field op, or "".
func valueProblem(field, op, v string) string {
	if strings.TrimSpace(v) == "" {
		// "memo is" with nothing tests for a line without one.
		if v == "" && op == OpIs && (field == FieldMemo || field == FieldCheck || field == FieldPayee) {
			return ""
		}
		return "empty"
	}
	switch field {
	case FieldDirection:
		if v != "in" && v != "out" {
			return strconv.Quote(v) + " is not one of in, out"
		}
	case FieldAmount:
		if op == OpBetween {
			lo, hi, ok := strings.Cut(v, "..")
			if !ok {
				return strconv.Quote(v) + " is not a range such as 10..20"
			}
			a, ea := parseAmount(strings.TrimSpace(lo))
			b, eb := parseAmount(strings.TrimSpace(hi))
			switch {
			case ea != "":
				return strconv.Quote(v) + ": " + ea
			case eb != "":
				return strconv.Quote(v) + ": " + eb
			case a.cmp(b) > 0:
				return strconv.Quote(v) + ": the first bound is above the second"
			}
			return ""
		}
		if _, msg := parseAmount(v); msg != "" {
			return msg
		}
	case FieldDate:
		if op == OpBetween {
			lo, hi, ok := strings.Cut(v, "..")
			if !ok {
				return strconv.Quote(v) + " is not a range such as 2026-01-01..2026-03-31"
			}
			a, ea := match.DayOf(strings.TrimSpace(lo))
			b, eb := match.DayOf(strings.TrimSpace(hi))
			switch {
			case ea != nil || eb != nil:
				return strconv.Quote(v) + " is not a range of dates as YYYY-MM-DD..YYYY-MM-DD"
			case a > b:
				return strconv.Quote(v) + ": the first date is after the second"
			}
			return ""
		}
		if _, err := match.DayOf(v); err != nil {
			return strconv.Quote(v) + " is not a date as YYYY-MM-DD"
		}
	default:
		if op == OpRegex {
			if _, err := regexp.Compile(v); err != nil {
				return "regex " + strconv.Quote(v) + ": " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")
			}
		}
	}
	return ""
}

// problems of one action of r, with paths relative to it.
func (a Action) problems(r *Rule) []*Problem {
	var ps []*Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, &Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !oneOf(a.Set, sets) {
		add("set", "%s is not one of %s", strconv.Quote(a.Set), strings.Join(sets, ", "))
		return ps
	}
	if a.Set != SetSplit && len(a.Splits) > 0 {
		add("splits", "only split takes parts")
	}
	switch a.Set {
	case SetPayee:
		if strings.TrimSpace(a.Value) == "" {
			add("value", "empty; payee needs a name")
		}
	case SetCategory:
		if msg := categoryProblem(a.Value); msg != "" {
			add("value", "%s", msg)
		}
	case SetExclude, SetAutoAdd:
		if a.Value != "" && a.Value != "true" && a.Value != "false" {
			add("value", "%s is not true or false", strconv.Quote(a.Value))
		}
	case SetSplit:
		if a.Value != "" {
			add("value", "split takes parts, not a value")
		}
		ps = append(ps, splitProblems(a.Splits, r)...)
	}
	return ps
}

// splitProblems checks that parts cover 100% of the line, or exactly the
// amount an "amount is" condition fixes.
func splitProblems(parts []SplitPart, r *Rule) []*Problem {
	var ps []*Problem
	add := func(field, format string, args ...any) {
		ps = append(ps, &Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if len(parts) == 0 {
		add("splits", "none; a split needs its parts")
		return ps
	}
	percents, amounts := 0, 0
	pctSum := 0
	var sum amount
	sumOK := true
	for i, p := range parts {
		at := fmt.Sprintf("splits[%d]", i)
		if msg := categoryProblem(p.Category); msg != "" {
			add(at+".category", "%s", msg)
		}
		switch {
		case p.Percent != 0 && p.Amount != "":
			add(at, "give a percent or an amount, not both")
		case p.Percent == 0 && p.Amount == "":
			add(at, "give a percent or an amount")
		case p.Amount != "":
			amounts++
			v, msg := parseAmount(p.Amount)
			if msg != "" {
				add(at+".amount", "%s", msg)
				sumOK = false
				continue
			}
			sum = sum.add(v)
		default:
			percents++
			if p.Percent < 1 || p.Percent > 100 {
				add(at+".percent", "%d is not between 1 and 100", p.Percent)
				continue
			}
			pctSum += p.Percent
		}
	}
	switch {
	case percents > 0 && amounts > 0:
		add("splits", "parts give both percents and amounts; use one kind")
	case percents > 0 && pctSum != 100 && len(ps) == 0:
		add("splits", "percents add up to %d%%, not 100%%", pctSum)
	case amounts > 0 && sumOK:
		fixed, ok := fixedAmount(r)
		switch {
		case !ok:
			add("splits", "amounts must cover the line's exact amount: add the condition \"amount is N\" or give percents")
		case sum.cmp(fixed) != 0:
			add("splits", "amounts add up to %s, not %s (the amount is condition)", sum, fixed)
		}
	}
	return ps
}

// fixedAmount is the amount a rule's "amount is" condition fixes, when every
// line it matches has that amount.
func fixedAmount(r *Rule) (amount, bool) {
	if r.Match == "any" && len(r.Conditions) > 1 {
		return amount{}, false
	}
	for _, c := range r.Conditions {
		if c.Field == FieldAmount && c.Op == OpIs {
			v, msg := parseAmount(c.Value)
			return v, msg == ""
		}
	}
	return amount{}, false
}

// categoryProblem says what is wrong with a category name, or "".
func categoryProblem(name string) string {
	for _, root := range []string{"Income:", "Expenses:"} {
		if rest, ok := strings.CutPrefix(name, root); ok && strings.TrimSpace(rest) != "" {
			return ""
		}
	}
	if name == "" {
		return "empty; a category such as Expenses:Office"
	}
	return "category " + strconv.Quote(name) + " must start with Income: or Expenses:"
}

// isTrue reads an exclude or auto_add action's value: "" is true.
func isTrue(v string) bool { return v == "" || v == "true" }

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

// orList writes "a, b or c".
func orList(xs []string) string {
	if len(xs) == 1 {
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}

// ParseRule decodes a rule from JSON, refusing fields it does not know. A
// rule that does not say "enabled" is enabled. It does not validate.
func ParseRule(data []byte) (*Rule, error) {
	r := Rule{Enabled: true}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, bankfeed.Errorf(bankfeed.EInvalid, "read rule: %v", err)
	}
	if dec.More() {
		return nil, bankfeed.Errorf(bankfeed.EInvalid, "read rule: more than one JSON value")
	}
	return &r, nil
}

// definition is what the store keeps of a rule as JSON, beside its name,
// stage, priority, enabled and origin columns.
type definition struct {
	Match      string      `json:"match"`
	Conditions []Condition `json:"conditions"`
	Actions    []Action    `json:"actions"`
}

// Definition returns the JSON of r's match, conditions and actions.
func (r *Rule) Definition() string {
	b, err := json.Marshal(definition{Match: r.Match, Conditions: r.Conditions, Actions: r.Actions})
	if err != nil { // only strings, ints and slices of them
		panic("rules: marshal definition: " + err.Error())
	}
	return string(b)
}

// SetDefinition reads what Definition wrote into r.
func (r *Rule) SetDefinition(def string) error {
	var d definition
	if err := json.Unmarshal([]byte(def), &d); err != nil {
		return fmt.Errorf("read the definition of rule %d: %w", r.ID, err)
	}
	r.Match, r.Conditions, r.Actions = d.Match, d.Conditions, d.Actions
	return nil
}
