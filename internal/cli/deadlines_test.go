package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed/internal/store"
)

// TestDeadlinesCommands adds, lists and removes deadlines through the
// command line.
func TestDeadlinesCommands(t *testing.T) {
	dir := t.TempDir()
	bf := func(args ...string) (int, string, string) {
		t.Helper()
		return run(t, "", append([]string{"--data-dir", dir}, args...)...)
	}
	if code, out, errOut := bf("deadlines"); code != 0 || !strings.Contains(out, "No deadlines yet") {
		t.Fatalf("deadlines on an empty store: exit %d\n%s%s", code, out, errOut)
	}
	steps := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // in stdout
		wantErr  string // in stderr
	}{
		{"monthly", []string{"deadlines", "add", "Payroll", "2020-01-31", "--every", "Month"}, 0, "Added Payroll: due every month, next on ", ""},
		{"quarterly, name with a space", []string{"deadlines", "add", "VAT return", "2099-04-30", "--every", "quarter"}, 0,
			"Added VAT return: due every quarter, next on Thursday 30 April 2099.", ""},
		{"once", []string{"deadlines", "add", "Audit", "2099-06-30"}, 0, "Added Audit: due on Tuesday 30 June 2099.", ""},
		{"once, passed", []string{"deadlines", "add", "Old", "2001-02-03"}, 0, "Added Old: due on 2001-02-03, which has passed.", ""},
		{"bad date", []string{"deadlines", "add", "X", "31/01/2026"}, exitFailure, "", "due date: \"31/01/2026\" is not a date as YYYY-MM-DD"},
		{"unknown repeat", []string{"deadlines", "add", "X", "2026-01-31", "--every", "fortnight"}, exitFailure, "",
			"every: \"fortnight\" is not one of week, month, quarter, year"},
		{"empty name", []string{"deadlines", "add", " ", "2026-01-31"}, exitFailure, "", "name: empty"},
		{"duplicate", []string{"deadlines", "add", "Payroll", "2026-02-15"}, exitFailure, "", "a deadline named \"Payroll\" exists already"},
		{"missing date", []string{"deadlines", "add", "X"}, exitUsage, "", "accepts 2 arg(s)"},
		{"remove", []string{"deadlines", "remove", "Audit"}, 0, "Removed Audit.", ""},
		{"remove again", []string{"deadlines", "remove", "Audit"}, exitFailure, "", "no deadline named \"Audit\""},
		{"unknown subcommand", []string{"deadlines", "list"}, exitUsage, "", "unknown command"},
	}
	for _, st := range steps {
		code, out, errOut := bf(st.args...)
		if code != st.wantCode || !strings.Contains(out, st.wantOut) || !strings.Contains(errOut, st.wantErr) {
			t.Errorf("%s: bankfeed %s: exit %d, want %d\nstdout: %s\nstderr: %s", st.name, strings.Join(st.args, " "),
				code, st.wantCode, out, errOut)
		}
	}

	code, out, errOut := bf("deadlines", "--json")
	if code != 0 {
		t.Fatalf("deadlines --json: exit %d\n%s", code, errOut)
	}
	var got []deadlineJSON
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var d deadlineJSON
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got = append(got, d)
	}
	payrollNext, _ := store.Deadline{DueOn: "2020-01-31", Every: "month"}.Next(time.Now())
	want := []deadlineJSON{
		{Name: "Payroll", DueOn: "2020-01-31", Every: "month", Next: payrollNext.Format(store.DateLayout)},
		{Name: "VAT return", DueOn: "2099-04-30", Every: "quarter", Next: "2099-04-30"},
		{Name: "Old", DueOn: "2001-02-03"},
	}
	if len(got) != len(want) {
		t.Fatalf("deadlines --json:\n%s", out)
	}
	for i := range want {
		want[i].ID = got[i].ID
		if got[i] != want[i] || got[i].ID == 0 {
			t.Errorf("deadline %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestPrintDeadlines(t *testing.T) {
	now := time.Date(2026, 3, 13, 18, 0, 0, 0, time.UTC) // a Friday
	ds := []store.Deadline{
		{ID: 1, Name: "Close", DueOn: "2026-03-31"},
		{ID: 2, Name: "Payroll", DueOn: "2026-01-15", Every: "month"},
		{ID: 3, Name: "Rent", DueOn: "2026-01-13", Every: "month"},
		{ID: 4, Name: "Old", DueOn: "2025-12-01"},
		{ID: 5, Name: "Weekly", DueOn: "2026-03-07", Every: "week"},
	}
	tests := []struct {
		name   string
		ds     []store.Deadline
		asJSON bool
		want   string
	}{
		{"none", nil, false, "No deadlines yet: bankfeed deadlines add NAME YYYY-MM-DD [--every month] adds one.\n"},
		{"table, by next due date", ds, false, `NAME     NEXT DUE                IN        REPEATS  FROM
Rent     Friday 13 March 2026    today     month    2026-01-13
Weekly   Saturday 14 March 2026  tomorrow  week     2026-03-07
Payroll  Sunday 15 March 2026    2 days    month    2026-01-15
Close    Tuesday 31 March 2026   18 days   once     2026-03-31
Old      passed                  -         once     2025-12-01
`},
		{"JSON", ds[2:4], true, `{"id":3,"name":"Rent","due_on":"2026-01-13","every":"month","next":"2026-03-13"}
{"id":4,"name":"Old","due_on":"2025-12-01","every":"","next":""}
`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := printDeadlines(&b, tc.ds, now, tc.asJSON); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
}
