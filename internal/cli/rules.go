package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/match"
	"github.com/bankfeed/bankfeed/internal/rules"
	"github.com/bankfeed/bankfeed/internal/store"
)

func init() { extraCommands = append(extraCommands, newRulesCmd) }

const rulesLong = `Bank rules name, categorize, split, exclude or auto-add feed lines in
review. A rule has conditions (all of them, or any, must hold) and actions.
Rules run in three stages: pre (normalize, rename the payee), default
(categorize) and post (overrides, auto-add). Within a stage every rule that
matches applies, least specific first, so the most specific writes last; a
higher --priority applies later still. docs/rules.md has the details.

Without a subcommand, rules lists them in the order they apply. With
--json, one JSON object per rule, one per line.`

const ruleFlagsHelp = `Conditions (--if, repeated) are FIELD OP VALUE:
  fields  account, direction (in, out), amount (without its sign),
          description, payee, memo, check, date (YYYY-MM-DD)
  ops     is, contains, one_of (values split at commas), regex,
          gt, lt, between (10..20), before, after
Actions: --set payee=NAME, --set category=Expenses:..., --set memo=TEXT,
--set transfer=ACCOUNT, --split CATEGORY=60% (or =AMOUNT, repeated),
--auto-add, --exclude.`

func newRulesCmd(e *env) *cobra.Command {
	var asJSON bool
	list := withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
		rs, err := loadRules(ctx, db)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(e.stdout)
		if err := printRules(w, rs, asJSON); err != nil {
			return err
		}
		return w.Flush()
	})
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List, add, edit and test bank rules",
		Long:  rulesLong,
		Example: `  bankfeed rules add --name Amazon --stage pre --if 'description contains AMZN' --set payee=Amazon
  bankfeed rules add --name "Office supplies" --if 'payee is Amazon' --if 'amount between 10..200' \
      --set category=Expenses:Office --auto-add
  bankfeed rules test --description 'AMZN Mktp US*2K3' --amount -29.99
  bankfeed rules
  bankfeed rules disable 2`,
		Args: cobra.NoArgs,
		RunE: list,
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per rule, one per line")
	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List the rules in the order they apply",
		Args:  cobra.NoArgs,
		RunE:  list,
	}
	listCmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per rule, one per line")
	cmd.AddCommand(listCmd, newRuleShowCmd(e), newRuleAddCmd(e), newRuleEditCmd(e),
		newRuleSwitchCmd(e, true), newRuleSwitchCmd(e, false), newRuleRemoveCmd(e), newRuleTestCmd(e))
	return cmd
}

// ruleJSON is a rule as rules --json and rules show --json print it.
type ruleJSON struct {
	*rules.Rule
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// storedRule is a rule and its record.
type storedRule struct {
	r   *rules.Rule
	rec *store.RuleRecord
}

func (s storedRule) json() ruleJSON {
	return ruleJSON{Rule: s.r, CreatedAt: s.rec.CreatedAt, UpdatedAt: s.rec.UpdatedAt}
}

// readRule reads rule id and its record in tx.
func readRule(ctx context.Context, tx *store.Tx, id int64) (*rules.Rule, *store.RuleRecord, error) {
	rec, err := tx.Rule(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	r, err := ruleOf(rec)
	return r, rec, err
}

// loadRules reads every rule, in the order they apply.
func loadRules(ctx context.Context, db *store.DB) ([]storedRule, error) {
	recs, err := db.Rules(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*store.RuleRecord{}
	rs := make([]*rules.Rule, 0, len(recs))
	for _, rec := range recs {
		r, err := ruleOf(rec)
		if err != nil {
			return nil, err
		}
		byID[r.ID] = rec
		rs = append(rs, r)
	}
	rules.Sort(rs)
	out := make([]storedRule, len(rs))
	for i, r := range rs {
		out[i] = storedRule{r, byID[r.ID]}
	}
	return out, nil
}

func printRules(w io.Writer, rs []storedRule, asJSON bool) error {
	if asJSON {
		enc := newJSONEncoder(w, false)
		for _, s := range rs {
			if err := enc.Encode(s.json()); err != nil {
				return err
			}
		}
		return nil
	}
	if len(rs) == 0 {
		_, err := fmt.Fprintln(w, "No rules yet: bankfeed rules add --name NAME --if 'description contains AMZN' --set payee=Amazon adds one.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTAGE\tPRIORITY\tENABLED\tORIGIN\tRULE")
	for _, s := range rs {
		r := s.r
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\n", r.ID, r.Name, r.Stage, r.Priority, yesNo(r.Enabled), r.Origin, r.Describe())
	}
	return tw.Flush()
}

func printRule(w io.Writer, s storedRule) {
	r := s.r
	fmt.Fprintf(w, "Rule %d: %s\n", r.ID, r.Name)
	fmt.Fprintf(w, "  stage     %s, priority %d (specificity %d)\n", r.Stage, r.Priority, rules.Specificity(r))
	fmt.Fprintf(w, "  enabled   %s\n", yesNo(r.Enabled))
	fmt.Fprintf(w, "  origin    %s\n", r.Origin)
	which := "all of"
	if r.Match == "any" {
		which = "any of"
	}
	fmt.Fprintf(w, "  when      %s\n", which)
	for _, c := range r.Conditions {
		fmt.Fprintf(w, "              %s\n", c)
	}
	fmt.Fprintln(w, "  then")
	for _, a := range r.Actions {
		fmt.Fprintf(w, "              %s\n", a)
	}
	fmt.Fprintf(w, "  created   %s\n", s.rec.CreatedAt.Format(time.DateTime+" MST"))
	fmt.Fprintf(w, "  updated   %s\n", s.rec.UpdatedAt.Format(time.DateTime+" MST"))
}

func newRuleShowCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one rule",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			id, err := ruleID(args[0])
			if err != nil {
				return err
			}
			var s storedRule
			err = db.Update(ctx, func(tx *store.Tx) error {
				r, rec, err := readRule(ctx, tx, id)
				s = storedRule{r, rec}
				return err
			})
			if err != nil {
				return err
			}
			w := bufio.NewWriter(e.stdout)
			if asJSON {
				enc := newJSONEncoder(w, true)
				if err := enc.Encode(s.json()); err != nil {
					return err
				}
			} else {
				printRule(w, s)
			}
			return w.Flush()
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the rule as JSON")
	return cmd
}

// ruleID reads a rule id argument.
func ruleID(arg string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(arg), 10, 64)
	if err != nil || id <= 0 {
		return 0, &exitError{code: exitUsage, err: fmt.Errorf("rule id %s: not a rule number (bankfeed rules lists them)", strconv.Quote(arg))}
	}
	return id, nil
}

func newRuleAddCmd(e *env) *cobra.Command {
	var f ruleFlags
	cmd := &cobra.Command{
		Use:   "add --name NAME --if 'FIELD OP VALUE'... (--set FIELD=VALUE | --split CATEGORY=N% | --auto-add | --exclude)...",
		Short: "Add a rule",
		Long:  "Add adds a rule. Invalid input is refused whole, every problem named, and nothing is written.\n\n" + ruleFlagsHelp,
		Example: `  bankfeed rules add --name Amazon --stage pre --if 'description contains AMZN' --set payee=Amazon
  bankfeed rules add --name Lunch --if 'payee one_of Chipotle, Sweetgreen' --split 'Expenses:Meals=50%' --split 'Expenses:Gifts=50%'
  bankfeed rules add --file rule.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Checked before the store is opened: invalid input writes
			// nothing, not even an empty database.
			r, err := f.build(cmd, e, &rules.Rule{Stage: rules.StageDefault, Match: "all", Enabled: true, Origin: rules.OriginUser})
			if err != nil {
				return err
			}
			return withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
				return addRule(ctx, e, db, r)
			})(cmd, args)
		},
	}
	f.register(cmd)
	return cmd
}

// addRule stores a new rule and audits it, then says so.
func addRule(ctx context.Context, e *env, db *store.DB, r *rules.Rule) error {
	err := db.Update(ctx, func(tx *store.Tx) error {
		rec := recordOf(r)
		if err := tx.AddRule(ctx, rec); err != nil {
			return err
		}
		r.ID = rec.ID
		return tx.Audit(ctx, actor(), "rule.add", ruleSubject(r.ID), ruleDetail(r))
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "Added rule %d (%s)%s: %s\n", r.ID, r.Name, offNote(r), r.Describe())
	return err
}

// offNote says that a rule is switched off.
func offNote(r *rules.Rule) string {
	if r.Enabled {
		return ""
	}
	return ", disabled"
}

func newRuleEditCmd(e *env) *cobra.Command {
	var f ruleFlags
	cmd := &cobra.Command{
		Use:   "edit ID [flags of add]",
		Short: "Change a rule: the flags given replace those parts",
		Long: `Edit changes rule ID. Each kind of flag given replaces that part of the
rule: --if replaces every condition, any of --set, --split, --auto-add and
--exclude replace every action; --name, --stage, --match, --priority and
--disabled replace theirs. --file replaces the whole rule.

` + ruleFlagsHelp,
		Example: `  bankfeed rules edit 3 --set category=Expenses:Office:Supplies
  bankfeed rules edit 3 --priority 5`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := ruleID(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			db, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer db.Close()
			var after *rules.Rule
			err = db.Update(ctx, func(tx *store.Tx) error {
				before, _, err := readRule(ctx, tx, id)
				if err != nil {
					return err
				}
				if after, err = f.build(cmd, e, before); err != nil {
					return err
				}
				if err := tx.UpdateRule(ctx, recordOf(after)); err != nil {
					return err
				}
				detail := `{"before":` + ruleDetail(before) + `,"after":` + ruleDetail(after) + `}`
				return tx.Audit(ctx, actor(), "rule.edit", ruleSubject(id), detail)
			})
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "Changed rule %d (%s)%s: %s\n", after.ID, after.Name, offNote(after), after.Describe())
			return err
		},
	}
	f.register(cmd)
	return cmd
}

// newRuleSwitchCmd is rules enable (on) or rules disable.
func newRuleSwitchCmd(e *env, on bool) *cobra.Command {
	verb, action := "disable", "rule.disable"
	if on {
		verb, action = "enable", "rule.enable"
	}
	return &cobra.Command{
		Use:   verb + " ID",
		Short: strings.ToUpper(verb[:1]) + verb[1:] + " a rule",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			id, err := ruleID(args[0])
			if err != nil {
				return err
			}
			var r *rules.Rule
			already := false
			err = db.Update(ctx, func(tx *store.Tx) error {
				if r, _, err = readRule(ctx, tx, id); err != nil {
					return err
				}
				if r.Enabled == on {
					already = true
					return nil
				}
				r.Enabled = on
				if err := r.Validate(); on && err != nil {
					return bankfeed.Errorf(bankfeed.EInvalid, "rule %d cannot run as it is (bankfeed rules edit %d fixes it):\n%v", id, id, err)
				}
				if err := tx.UpdateRule(ctx, recordOf(r)); err != nil {
					return err
				}
				return tx.Audit(ctx, actor(), action, ruleSubject(id), ruleDetail(r))
			})
			if err != nil {
				return err
			}
			if already {
				_, err = fmt.Fprintf(e.stdout, "Rule %d (%s) is %sd already.\n", r.ID, r.Name, verb)
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "%sd rule %d (%s).\n", strings.ToUpper(verb[:1])+verb[1:], r.ID, r.Name)
			return err
		}),
	}
}

func newRuleRemoveCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "remove ID",
		Short: "Remove a rule",
		Args:  cobra.ExactArgs(1),
		RunE: withStore(e, func(ctx context.Context, db *store.DB, args []string) error {
			id, err := ruleID(args[0])
			if err != nil {
				return err
			}
			var r *rules.Rule
			err = db.Update(ctx, func(tx *store.Tx) error {
				if r, _, err = readRule(ctx, tx, id); err != nil {
					return err
				}
				if err := tx.RemoveRule(ctx, id); err != nil {
					return err
				}
				return tx.Audit(ctx, actor(), "rule.remove", ruleSubject(id), ruleDetail(r))
			})
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "Removed rule %d (%s).\n", r.ID, r.Name)
			return err
		}),
	}
}

// ruleTestJSON is what rules test --json prints.
type ruleTestJSON struct {
	PayeeBefore string            `json:"payee_before"`
	Fired       []firedJSON       `json:"fired"`
	Payee       string            `json:"payee"`
	Category    string            `json:"category"`
	Memo        string            `json:"memo"`
	Splits      []splitJSON       `json:"splits,omitempty"`
	Transfer    string            `json:"transfer,omitempty"`
	Exclude     bool              `json:"exclude"`
	AutoAdd     bool              `json:"auto_add"`
	Confidence  float64           `json:"confidence"`
	SetBy       map[string]string `json:"set_by"`
}

// splitJSON is a part of a split line: the amount is exact decimal text.
type splitJSON struct {
	Category string           `json:"category"`
	Amount   bankfeed.Decimal `json:"amount"`
}

type firedJSON struct {
	ID    int64    `json:"id"`
	Name  string   `json:"name"`
	Stage string   `json:"stage"`
	Set   []string `json:"set"`
}

func newRuleTestCmd(e *env) *cobra.Command {
	var desc, amountText, account, date, check string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "test --description TEXT --amount AMOUNT [--account NAME] [--date YYYY-MM-DD]",
		Short: "Show which rules fire on a line, in order, and what each sets",
		Long: `Test runs the enabled rules, with the payee aliases learned so far, on a
line you describe, as review would: the payee before the rules (a learned
alias, or the descriptor cleaned), every rule that fires in the order it
applies and what it sets, then the labels the line ends with and which rule
set each.`,
		Example: `  bankfeed rules test --description 'AMZN Mktp US*2K3' --amount -29.99 --account Liabilities:Card`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var problems []string
			if strings.TrimSpace(desc) == "" {
				problems = append(problems, "--description: empty; the bank's descriptor, such as 'AMZN Mktp US*2K3'")
			}
			var minor int64
			if d, err := bankfeed.ParseDecimal(strings.TrimSpace(amountText)); err != nil {
				problems = append(problems, "--amount "+strconv.Quote(amountText)+": not an amount such as -12.50 (negative is money out)")
			} else if m, ok := d.MinorUnits(2); !ok {
				problems = append(problems, "--amount "+strconv.Quote(amountText)+": more than 2 decimal places")
			} else {
				minor = m
			}
			day, _ := match.DayOf(time.Now().Format(time.DateOnly))
			if date != "" {
				d, err := match.DayOf(date)
				if err != nil {
					problems = append(problems, "--date "+strconv.Quote(date)+": not a date as YYYY-MM-DD")
				}
				day = d
			}
			if len(problems) > 0 {
				return usageError("%s", strings.Join(problems, "\n  "))
			}
			return withStore(e, func(ctx context.Context, db *store.DB, _ []string) error {
				stored, err := loadRules(ctx, db)
				if err != nil {
					return err
				}
				rs := make([]*rules.Rule, len(stored))
				for i, s := range stored {
					rs[i] = s.r
				}
				set, err := rules.Compile(rs)
				if err != nil {
					return fmt.Errorf("the rules cannot run:\n%w", err)
				}
				aliases, err := db.PayeeAliases(ctx)
				if err != nil {
					return err
				}
				learner := rules.NewLearner()
				for d, p := range aliases {
					learner.LoadAlias(d, p)
				}
				lb := &rules.Labeler{Rules: set, Learner: learner, AccountName: func(int64) string { return account }}
				line := &match.Line{Amount: minor, Text: desc, Check: check, Day: day}
				labels, res := lb.Explain(line)
				before, learned := learner.Payee(desc)
				if !learned {
					before = rules.CleanPayee(desc)
				}
				out := ruleTestJSON{PayeeBefore: before, Fired: []firedJSON{}, Payee: labels.Payee, Category: labels.Category,
					Memo: labels.Memo, Transfer: labels.Transfer, Exclude: labels.Exclude,
					AutoAdd: labels.AutoAdd, Confidence: labels.Confidence, SetBy: labels.SetBy}
				for _, p := range labels.Splits {
					out.Splits = append(out.Splits, splitJSON{p.Category, bankfeed.NewDecimal(p.Amount, 2)})
				}
				for _, id := range res.Fired {
					r := set.Rule(id)
					f := firedJSON{ID: id, Name: r.Name, Stage: r.Stage}
					for _, a := range r.Actions {
						f.Set = append(f.Set, a.String())
					}
					out.Fired = append(out.Fired, f)
				}
				w := bufio.NewWriter(e.stdout)
				if asJSON {
					if err := newJSONEncoder(w, true).Encode(out); err != nil {
						return err
					}
					return w.Flush()
				}
				how := "the descriptor cleaned"
				if learned {
					how = "a learned alias"
				}
				fmt.Fprintf(w, "Payee before the rules: %s (%s)\n", before, how)
				if len(out.Fired) == 0 {
					fmt.Fprintln(w, "No rule fires.")
				} else {
					fmt.Fprintln(w, "Rules that fire, in order:")
					tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
					for i, f := range out.Fired {
						fmt.Fprintf(tw, "  %d.\trule %d\t%s\t%s\t%s\n", i+1, f.ID, f.Stage, f.Name, strings.Join(f.Set, ", "))
					}
					tw.Flush()
				}
				fmt.Fprintln(w, "The line ends with:")
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				row := func(field, value string) {
					if by := labels.SetBy[field]; by != "" {
						value += "\t" + by
					}
					fmt.Fprintf(tw, "  %s\t%s\n", field, value)
				}
				row("payee", labels.Payee)
				switch {
				case labels.Category != "":
					row("category", fmt.Sprintf("%s (confidence %.2f)", labels.Category, labels.Confidence))
				case labels.Splits == nil:
					row("category", "-")
				}
				for _, p := range labels.Splits {
					row("split", fmt.Sprintf("%s %s", p.Category, bankfeed.NewDecimal(p.Amount, 2)))
				}
				if labels.Memo != "" {
					row("memo", labels.Memo)
				}
				if _, ok := labels.SetBy["transfer"]; ok {
					row("transfer", dash(labels.Transfer))
				}
				if _, ok := labels.SetBy["exclude"]; ok {
					row("exclude", yesNo(labels.Exclude))
				}
				if _, ok := labels.SetBy["auto_add"]; ok {
					row("auto_add", yesNo(labels.AutoAdd))
				}
				tw.Flush()
				return w.Flush()
			})(cmd, args)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&desc, "description", "", "the bank's descriptor (name and memo)")
	fs.StringVar(&amountText, "amount", "", "the signed amount: -12.50 is money out")
	fs.StringVar(&account, "account", "", "the bank-side ledger account, for account conditions")
	fs.StringVar(&date, "date", "", "the line's date, YYYY-MM-DD (default today)")
	fs.StringVar(&check, "check", "", "the check number")
	fs.BoolVar(&asJSON, "json", false, "print the outcome as JSON")
	return cmd
}
