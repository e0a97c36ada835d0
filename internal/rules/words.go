package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// String says the condition in words, as ParseCondition reads it:
// `description contains "AMZN"`, `amount between 10..20`.
func (c Condition) String() string {
	if c.Op == OpOneOf {
		qs := make([]string, len(c.Values))
		for i, v := range c.Values {
			qs[i] = quoteText(c.Field, v)
		}
		return c.Field + " one_of " + strings.Join(qs, ", ")
	}
	return c.Field + " " + c.Op + " " + quoteText(c.Field, c.Value)
}

// quoteText quotes the values of text fields, so spaces show.
func quoteText(field, v string) string {
	switch field {
	case FieldAmount, FieldDate, FieldDirection:
		return v
	}
	return strconv.Quote(v)
}

// String says the action in words: `payee = "Amazon"`, `split
// Expenses:A 60%, Expenses:B 40%`, `auto_add`.
func (a Action) String() string {
	switch a.Set {
	case SetSplit:
		parts := make([]string, len(a.Splits))
		for i, p := range a.Splits {
			if p.Amount != "" {
				parts[i] = p.Category + " " + p.Amount
			} else {
				parts[i] = fmt.Sprintf("%s %d%%", p.Category, p.Percent)
			}
		}
		return "split " + strings.Join(parts, ", ")
	case SetExclude, SetAutoAdd:
		if a.Value == "false" {
			return "not " + a.Set
		}
		return a.Set
	case SetTransfer:
		if a.Value == "" {
			return "transfer"
		}
	}
	return a.Set + " = " + strconv.Quote(a.Value)
}

// Describe says the rule's conditions and actions in words: `if
// description contains "AMZN" and direction is out: payee = "Amazon",
// category = "Expenses:Office"`.
func (r *Rule) Describe() string {
	join := " and "
	if r.Match == "any" {
		join = " or "
	}
	cs := make([]string, len(r.Conditions))
	for i, c := range r.Conditions {
		cs[i] = c.String()
	}
	as := make([]string, len(r.Actions))
	for i, a := range r.Actions {
		as[i] = a.String()
	}
	return "if " + strings.Join(cs, join) + ": " + strings.Join(as, ", ")
}

// ParseCondition reads a condition written "FIELD OP VALUE": `description
// contains AMZN`, `direction is out`, `amount between 10..20`, `payee
// one_of Amazon, AMZN` (values split at commas). A value may be quoted.
// It checks only the shape; Validate checks the rest.
func ParseCondition(s string) (Condition, error) {
	field, rest, _ := strings.Cut(strings.TrimSpace(s), " ")
	op, value, _ := strings.Cut(strings.TrimSpace(rest), " ")
	c := Condition{Field: strings.ToLower(field), Op: strings.ReplaceAll(strings.ToLower(op), "-", "_")}
	if c.Field == "" || c.Op == "" {
		return c, fmt.Errorf("%s is not FIELD OP VALUE, such as \"description contains AMZN\"", strconv.Quote(s))
	}
	value = strings.TrimSpace(value)
	if c.Op == OpOneOf {
		for _, v := range strings.Split(value, ",") {
			c.Values = append(c.Values, unquote(strings.TrimSpace(v)))
		}
		return c, nil
	}
	c.Value = unquote(value)
	return c, nil
}

// unquote takes the quotes off a value written "like this".
func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		if u, err := strconv.Unquote(`"` + v[1:len(v)-1] + `"`); err == nil {
			return u
		}
		return v[1 : len(v)-1]
	}
	return v
}

// ParseAction reads an action written "FIELD=VALUE" (payee=Amazon,
// category=Expenses:Office, memo=..., transfer=Assets:Bank:Savings) or a
// bare flag (exclude, auto_add, transfer). Splits are ParseSplitPart's.
func ParseAction(s string) (Action, error) {
	set, value, hasValue := strings.Cut(s, "=")
	a := Action{Set: strings.ReplaceAll(strings.ToLower(strings.TrimSpace(set)), "-", "_"), Value: unquote(strings.TrimSpace(value))}
	if a.Set == "" || !hasValue && a.Set != SetExclude && a.Set != SetAutoAdd && a.Set != SetTransfer {
		return a, fmt.Errorf("%s is not FIELD=VALUE, such as payee=Amazon or category=Expenses:Office", strconv.Quote(s))
	}
	return a, nil
}

// ParseSplitPart reads a split part written "CATEGORY=PERCENT%" or
// "CATEGORY=AMOUNT": Expenses:Meals=60%, Expenses:Rent=1200.00.
func ParseSplitPart(s string) (SplitPart, error) {
	i := strings.LastIndex(s, "=")
	if i < 0 {
		return SplitPart{}, fmt.Errorf("%s is not CATEGORY=PERCENT%% or CATEGORY=AMOUNT, such as Expenses:Meals=60%%", strconv.Quote(s))
	}
	p := SplitPart{Category: strings.TrimSpace(s[:i])}
	v := strings.TrimSpace(s[i+1:])
	if pct, ok := strings.CutSuffix(v, "%"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(pct))
		if err != nil {
			return p, fmt.Errorf("%s: %s is not a whole percent such as 60%%", strconv.Quote(s), strconv.Quote(v))
		}
		p.Percent = n
		if n == 0 {
			return p, fmt.Errorf("%s: 0%% is not a part", strconv.Quote(s))
		}
		return p, nil
	}
	p.Amount = v
	if v == "" {
		return p, fmt.Errorf("%s: no percent or amount after =", strconv.Quote(s))
	}
	return p, nil
}
