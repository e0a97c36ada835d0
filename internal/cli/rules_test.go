package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed/internal/store"
)

// TestRulesCommands adds, lists, edits, tests, switches and removes rules
// through the command line, and checks the audit log of every change.
func TestRulesCommands(t *testing.T) {
	t.Setenv("BANKFEED_ACTOR", "alice")
	dir := t.TempDir()
	bf := func(args ...string) (int, string, string) {
		t.Helper()
		return run(t, "", append([]string{"--data-dir", dir}, args...)...)
	}
	if code, out, errOut := bf("rules"); code != 0 || !strings.Contains(out, "No rules yet") {
		t.Fatalf("rules on an empty store: exit %d\n%s%s", code, out, errOut)
	}
	file := filepath.Join(t.TempDir(), "rule.json")
	if err := os.WriteFile(file, []byte(`{"name":"Fees","stage":"post","conditions":[{"field":"description","op":"contains","value":"MONTHLY FEE"},
		{"field":"amount","op":"lt","value":"20"}],"actions":[{"set":"category","value":"Expenses:Bank Fees"},{"set":"auto_add"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	badFile := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(badFile, []byte(`{"name":"x","conditions":[{"field":"memo","op":"startswith","value":"x"}],"actions":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string // each in stdout
		wantErr  []string // each in stderr
	}{
		{"add a pre rule", []string{"rules", "add", "--name", "Amazon", "--stage", "pre", "--if", "description contains AMZN", "--set", "payee=Amazon"},
			0, []string{`Added rule 1 (Amazon): if description contains "AMZN": payee = "Amazon"`}, nil},
		{"add a default rule", []string{"rules", "add", "--name", "Office", "--if", "payee is Amazon", "--if", "direction is out",
			"--if", "amount between 10..200", "--set", "category=Expenses:Office"},
			0, []string{`Added rule 2 (Office): if payee is "Amazon" and direction is out and amount between 10..200: category = "Expenses:Office"`}, nil},
		{"add a disabled split", []string{"rules", "add", "--name", "Lunch", "--match", "any", "--if", "payee one_of Chipotle, Sweetgreen",
			"--if", "description regex ^TST\\*", "--split", "Expenses:Meals=60%", "--split", "Expenses:Gifts=40%", "--disabled"},
			0, []string{`Added rule 3 (Lunch), disabled: if payee one_of "Chipotle", "Sweetgreen" or description regex "^TST\\*": split Expenses:Meals 60%, Expenses:Gifts 40%`}, nil},
		{"add from a file", []string{"rules", "add", "--file", file}, 0, []string{"Added rule 4 (Fees)"}, nil},
		{"every problem named, nothing written", []string{"rules", "add", "--name", " ", "--stage", "late",
			"--if", "description startswith X", "--if", "amount between 20..10", "--if", "direction", "--set", "category=Food",
			"--set", "colour=red", "--split", "Expenses:A=60%", "--split", "Expenses:B=30%", "--split", "Expenses:C=x%"},
			exitUsage, nil, []string{
				"rule not saved:",
				`--if "direction": not FIELD OP VALUE, such as "description contains AMZN"`,
				`--split "Expenses:C=x%": "x%" is not a whole percent such as 60%`,
				"--name: empty",
				`--stage: "late" is not one of pre, default, post`,
				`--if "description startswith X": op: "startswith" is not one of is, contains, one_of, regex, gt, lt, between, before, after`,
				`--if "amount between 20..10": value: "20..10": the first bound is above the second`,
				`--set "category=Food": value: category "Food" must start with Income: or Expenses:`,
				`--set "colour=red": set: "colour" is not one of payee, category, memo, split, transfer, exclude, auto_add`,
				"--split: set: split and category in one rule",
			}},
		{"split parts named", []string{"rules", "add", "--name", "x", "--if", "amount is 12", "--split", "Expenses:A=10", "--split", "Food=2"},
			exitUsage, nil, []string{`--split "Food=2": category: category "Food" must start with Income: or Expenses:`}},
		{"split amounts need the exact amount", []string{"rules", "add", "--name", "x", "--if", "amount gt 12", "--split", "Expenses:A=10"},
			exitUsage, nil, []string{`--split: amounts must cover the line's exact amount`}},
		{"no conditions, no actions", []string{"rules", "add", "--name", "x"},
			exitUsage, nil, []string{"--if: none; a rule needs at least one", "--set: none; a rule needs at least one"}},
		{"a bad file", []string{"rules", "add", "--file", badFile}, exitUsage, nil, []string{
			badFile + `: conditions[0].op: "startswith" is not one of`, badFile + ": actions: none; a rule needs at least one"}},
		{"a file and flags", []string{"rules", "add", "--file", file, "--name", "x"}, exitUsage, nil,
			[]string{"--name: --file holds the whole rule; give one or the other"}},
		{"a file that is not JSON", []string{"rules", "add", "--file", filepath.Join(dir, "missing.json")}, exitUsage, nil,
			[]string{"--file " + filepath.Join(dir, "missing.json") + ": open"}},
		{"test: rules fire in order", []string{"rules", "test", "--description", "AMZN Mktp US*2K3", "--amount", "-29.99", "--date", "2026-03-14"},
			0, []string{
				"Payee before the rules: Amzn Mktp Us (the descriptor cleaned)",
				"1.  rule 1  pre      Amazon  payee = \"Amazon\"",
				"2.  rule 2  default  Office  category = \"Expenses:Office\"",
				"payee     Amazon                             rule 1",
				"category  Expenses:Office (confidence 1.00)  rule 2",
			}, nil},
		{"test: nothing fires", []string{"rules", "test", "--description", "ZIPCAR 123 BOSTON MA", "--amount", "12"},
			0, []string{"Payee before the rules: Zipcar Boston", "No rule fires.", "category  -"}, nil},
		{"test: bad input", []string{"rules", "test", "--description", " ", "--amount", "1.234", "--date", "14/03/2026"},
			exitUsage, nil, []string{"--description: empty", `--amount "1.234": more than 2 decimal places`, `--date "14/03/2026": not a date as YYYY-MM-DD`}},
		{"edit: the flags given replace", []string{"rules", "edit", "2", "--priority", "3", "--set", "category=Expenses:Office:Supplies", "--set", "memo=office"},
			0, []string{`Changed rule 2 (Office): if payee is "Amazon" and direction is out and amount between 10..200: category = "Expenses:Office:Supplies", memo = "office"`}, nil},
		{"edit: invalid", []string{"rules", "edit", "2", "--if", "amount gt ten"}, exitUsage, nil, []string{`--if "amount gt ten": value: "ten" is not an amount such as 12.50`}},
		{"edit: missing", []string{"rules", "edit", "99", "--priority", "1"}, exitFailure, nil, []string{"no rule 99"}},
		{"enable", []string{"rules", "enable", "3"}, 0, []string{"Enabled rule 3 (Lunch)."}, nil},
		{"enable again", []string{"rules", "enable", "3"}, 0, []string{"Rule 3 (Lunch) is enabled already."}, nil},
		{"disable", []string{"rules", "disable", "4"}, 0, []string{"Disabled rule 4 (Fees)."}, nil},
		{"test: the split", []string{"rules", "test", "--description", "TST* CHIPOTLE 0042", "--amount", "-20.01", "--date", "2026-03-14"},
			0, []string{"rule 3  default  Lunch  split Expenses:Meals 60%, Expenses:Gifts 40%", "split  Expenses:Meals -12.01  rule 3", "split  Expenses:Gifts -8.00   rule 3"}, nil},
		{"remove", []string{"rules", "remove", "1"}, 0, []string{"Removed rule 1 (Amazon)."}, nil},
		{"remove again", []string{"rules", "remove", "1"}, exitFailure, nil, []string{"no rule 1"}},
		{"a bad id", []string{"rules", "show", "one"}, exitUsage, nil, []string{`rule id "one": not a rule number`}},
		{"show", []string{"rules", "show", "2"}, 0, []string{"Rule 2: Office", "stage     default, priority 3 (specificity 25)", `payee is "Amazon"`, `memo = "office"`}, nil},
		{"list", []string{"rules", "list"}, 0, []string{
			"ID  NAME    STAGE    PRIORITY  ENABLED  ORIGIN  RULE",
			"3   Lunch   default  0         yes      user",
			"2   Office  default  3         yes      user",
			"4   Fees    post     0         no       user",
		}, nil},
		{"unknown subcommand", []string{"rules", "frobnicate"}, exitUsage, nil, []string{"unknown command"}},
	}
	for _, st := range steps {
		code, out, errOut := bf(st.args...)
		ok := code == st.wantCode
		for _, w := range st.wantOut {
			ok = ok && strings.Contains(out, w)
		}
		for _, w := range st.wantErr {
			ok = ok && strings.Contains(errOut, w)
		}
		if !ok {
			t.Errorf("%s: bankfeed %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", st.name, strings.Join(st.args, " "),
				code, st.wantCode, out, errOut)
		}
	}

	// The JSON list, in the order the rules apply.
	code, out, errOut := bf("rules", "--json")
	if code != 0 {
		t.Fatalf("rules --json: exit %d\n%s", code, errOut)
	}
	var ids []int64
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r ruleJSON
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if r.CreatedAt.IsZero() || r.Rule == nil || len(r.Conditions) == 0 {
			t.Errorf("rule %s", l)
		}
		ids = append(ids, r.ID)
	}
	if got, want := fmt.Sprint(ids), "[3 2 4]"; got != want {
		t.Errorf("rules --json ids %s, want %s", got, want)
	}

	// Every change was audited, by alice, with the rule's JSON.
	ctx := context.Background()
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log, err := db.AuditLog(ctx, store.AuditFilter{Action: "rule."})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(log) - 1; i >= 0; i-- {
		a := log[i]
		got = append(got, a.Action+" "+a.Subject)
		if a.Actor != "alice" || !strings.HasPrefix(a.Detail, "{") {
			t.Errorf("audit %+v", a)
		}
		if a.Action == "rule.edit" && (!strings.Contains(a.Detail, `"before":{"id":2`) || !strings.Contains(a.Detail, `"after":{"id":2`) ||
			!strings.Contains(a.Detail, "Expenses:Office:Supplies")) {
			t.Errorf("edit audit detail %s", a.Detail)
		}
	}
	want := []string{"rule.add rule 1", "rule.add rule 2", "rule.add rule 3", "rule.add rule 4", "rule.edit rule 2",
		"rule.enable rule 3", "rule.disable rule 4", "rule.remove rule 1"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRulesTestAlias: rules test starts from a learned alias, as review
// does, and prints JSON.
func TestRulesTestAlias(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		return tx.SetPayeeAlias(ctx, "SQ BLUE BOTTLE OAKLAND CA", "Blue Bottle", "learned")
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "", "--data-dir", dir, "rules", "add", "--name", "Coffee", "--if", "payee is Blue Bottle",
		"--if", "account is Assets:Bank:Checking", "--set", "category=Expenses:Coffee")
	if code != 0 {
		t.Fatalf("add: exit %d\n%s", code, errOut)
	}
	code, out, errOut := run(t, "", "--data-dir", dir, "rules", "test", "--json", "--description", "SQ *BLUE BOTTLE 9876 OAKLAND CA",
		"--amount", "-4.50", "--account", "Assets:Bank:Checking")
	if code != 0 {
		t.Fatalf("test: exit %d\n%s", code, errOut)
	}
	var got ruleTestJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.PayeeBefore != "Blue Bottle" || got.Payee != "Blue Bottle" || got.Category != "Expenses:Coffee" ||
		got.SetBy["payee"] != "learned" || got.SetBy["category"] != "rule 1" || len(got.Fired) != 1 || got.Confidence != 1 {
		t.Errorf("rules test --json:\n%s", out)
	}
}
