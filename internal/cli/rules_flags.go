package cli

// The flags that make a rule (rules add and rules edit): reading them into
// a rule, and naming the flag behind each problem Validate finds.

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed/internal/rules"
)

// ruleFlags are the flags that make a rule, for add and edit.
type ruleFlags struct {
	name, stage, match, file string
	ifs, sets, splits        []string
	autoAdd, exclude         bool
	disabled                 bool
	priority                 int
}

func (f *ruleFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.name, "name", "", "the rule's name")
	fs.StringVar(&f.stage, "stage", rules.StageDefault, "when it runs: pre, default or post")
	fs.StringVar(&f.match, "match", "all", "all conditions must hold, or any")
	fs.StringArrayVar(&f.ifs, "if", nil, "a condition, FIELD OP VALUE (repeat for more)")
	fs.StringArrayVar(&f.sets, "set", nil, "an action, FIELD=VALUE: payee, category, memo, transfer (repeat for more)")
	fs.StringArrayVar(&f.splits, "split", nil, "a part of a split, CATEGORY=PERCENT% or CATEGORY=AMOUNT (repeat for each part)")
	fs.BoolVar(&f.autoAdd, "auto-add", false, "add matching lines to the books without review (when nothing in the books matches them)")
	fs.BoolVar(&f.exclude, "exclude", false, "keep matching lines out of the books")
	fs.IntVar(&f.priority, "priority", 0, "a higher priority applies later, after more specific rules")
	fs.BoolVar(&f.disabled, "disabled", false, "store the rule switched off")
	fs.StringVar(&f.file, "file", "", "read the whole rule from a JSON file (- for standard input) instead of the flags")
}

// ruleFlagNames are the flags --file replaces.
var ruleFlagNames = []string{"name", "stage", "match", "if", "set", "split", "auto-add", "exclude", "priority", "disabled"}

// build makes the rule the flags say, on top of base (a new rule, or the
// one edited: only the flags given replace its parts). Every problem is
// named with the flag and the value that caused it, and is a usage error.
func (f *ruleFlags) build(cmd *cobra.Command, e *env, base *rules.Rule) (*rules.Rule, error) {
	changed := cmd.Flags().Changed
	var problems []string
	// badIf, badAction, badSplit: a flag did not parse; Validate's "none"
	// and split sums would only echo it.
	badIf, badAction, badSplit := false, false, false
	src := ruleSources{}
	var r *rules.Rule
	if f.file != "" {
		for _, n := range ruleFlagNames {
			if changed(n) {
				problems = append(problems, "--"+n+": --file holds the whole rule; give one or the other")
			}
		}
		data, err := readRuleFile(e, f.file)
		if err == nil {
			r, err = rules.ParseRule(data)
		}
		if err != nil {
			return nil, usageError("rule not saved: --file %s: %v", f.file, err)
		}
		r.ID = base.ID
		if r.Origin == "" {
			r.Origin = base.Origin
		}
		src.file = f.file
	} else {
		c := *base
		r = &c
		if changed("name") || base.ID == 0 {
			r.Name = strings.TrimSpace(f.name)
		}
		if changed("stage") || base.ID == 0 {
			r.Stage = strings.ToLower(strings.TrimSpace(f.stage))
		}
		if changed("match") || base.ID == 0 {
			r.Match = strings.ToLower(strings.TrimSpace(f.match))
		}
		if changed("priority") {
			r.Priority = f.priority
		}
		if changed("disabled") || base.ID == 0 {
			r.Enabled = !f.disabled
		}
		if changed("if") || base.ID == 0 {
			r.Conditions = nil
			for _, s := range f.ifs {
				c, err := rules.ParseCondition(s)
				if err != nil {
					problems = append(problems, flagProblem("--if", s, err))
					badIf = true
					continue
				}
				r.Conditions = append(r.Conditions, c)
				src.conds = append(src.conds, "--if "+strconv.Quote(s))
			}
		}
		if changed("set") || changed("split") || changed("auto-add") || changed("exclude") || base.ID == 0 {
			r.Actions = nil
			for _, s := range f.sets {
				a, err := rules.ParseAction(s)
				if err == nil && a.Set == rules.SetSplit {
					err = errors.New("a split takes its parts from --split")
				}
				if err != nil {
					problems = append(problems, flagProblem("--set", s, err))
					badAction = true
					continue
				}
				r.Actions = append(r.Actions, a)
				src.actions = append(src.actions, "--set "+strconv.Quote(s))
			}
			if len(f.splits) > 0 {
				a := rules.Action{Set: rules.SetSplit}
				for _, s := range f.splits {
					p, err := rules.ParseSplitPart(s)
					if err != nil {
						problems = append(problems, flagProblem("--split", s, err))
						badSplit = true
						continue
					}
					a.Splits = append(a.Splits, p)
					src.splits = append(src.splits, "--split "+strconv.Quote(s))
				}
				r.Actions = append(r.Actions, a)
				src.actions = append(src.actions, "--split")
			}
			if f.autoAdd {
				r.Actions = append(r.Actions, rules.Action{Set: rules.SetAutoAdd})
				src.actions = append(src.actions, "--auto-add")
			}
			if f.exclude {
				r.Actions = append(r.Actions, rules.Action{Set: rules.SetExclude})
				src.actions = append(src.actions, "--exclude")
			}
		}
	}
	if r.Stage == "" {
		r.Stage = rules.StageDefault
	}
	if r.Match == "" {
		r.Match = "all"
	}
	if r.Origin == "" {
		r.Origin = rules.OriginUser
	}
	if err := r.Validate(); err != nil {
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var p *rules.Problem
			if errors.As(e, &p) && (badIf && p.Field == "conditions" ||
				badAction && p.Field == "actions" || badSplit && strings.Contains(p.Field, "splits")) {
				continue
			}
			problems = append(problems, src.name(e))
		}
	}
	if len(problems) > 0 {
		return nil, usageError("rule not saved:\n  %s", strings.Join(problems, "\n  "))
	}
	return r, nil
}

// flagProblem names a flag's value that does not parse.
func flagProblem(flag, value string, err error) string {
	q := strconv.Quote(value)
	msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), q+": "), q+" is ")
	return flag + " " + q + ": " + msg
}

// ruleSources say which flag each condition and action came from, so a
// problem names the flag and its value rather than a position.
type ruleSources struct {
	file                   string
	conds, actions, splits []string
}

// name says a problem of Validate in the words of the flags.
func (s ruleSources) name(err error) string {
	var p *rules.Problem
	if !errors.As(err, &p) {
		return err.Error()
	}
	if s.file != "" {
		return s.file + ": " + p.Error()
	}
	switch p.Field {
	case "name", "stage", "match":
		return "--" + p.Field + ": " + p.Message
	case "conditions":
		return "--if: " + p.Message
	case "actions":
		return "--set: " + p.Message
	}
	if i, rest, ok := indexed(p.Field, "conditions"); ok && i < len(s.conds) {
		return s.conds[i] + ": " + rest + p.Message
	}
	if i, rest, ok := indexed(p.Field, "actions"); ok && i < len(s.actions) {
		if j, rest2, ok := indexed(strings.TrimSuffix(rest, ": "), "splits"); ok && s.actions[i] == "--split" && j < len(s.splits) {
			return s.splits[j] + ": " + rest2 + p.Message
		}
		if s.actions[i] == "--split" && rest == "splits: " {
			rest = ""
		}
		return s.actions[i] + ": " + rest + p.Message
	}
	return p.Error()
}

// indexed reads "list[i].rest" as i and "rest: " ("" when nothing follows).
func indexed(field, list string) (int, string, bool) {
	rest, ok := strings.CutPrefix(field, list+"[")
	if !ok {
		return 0, "", false
	}
	num, rest, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(num)
	if !ok || err != nil {
		return 0, "", false
	}
	if rest = strings.TrimPrefix(rest, "."); rest != "" {
		rest += ": "
	}
	return i, rest, true
}

// readRuleFile reads a rule file, or standard input for "-".
func readRuleFile(e *env, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(e.stdin)
	}
	return os.ReadFile(name)
}

// ruleDetail is what the audit log keeps of a rule: its JSON.
func ruleDetail(r *rules.Rule) string {
	b, err := json.Marshal(r)
	if err != nil { // strings, ints and bools only
		panic("marshal rule: " + err.Error())
	}
	return string(b)
}

func ruleSubject(id int64) string { return "rule " + strconv.FormatInt(id, 10) }
