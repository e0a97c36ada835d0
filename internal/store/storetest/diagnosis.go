package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

func testDeadlines(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t, NewClock().Now)
	payroll := store.Deadline{Name: " Payroll ", DueOn: "2026-03-15", Every: "month"}
	if err := db.AddDeadline(ctx, &payroll); err != nil {
		t.Fatal(err)
	}
	if payroll.ID == 0 || payroll.Name != "Payroll" {
		t.Errorf("added %+v: want an id and the name trimmed", payroll)
	}
	vat := store.Deadline{Name: "VAT return", DueOn: "2026-01-31", Every: "quarter"}
	if err := db.AddDeadline(ctx, &vat); err != nil {
		t.Fatal(err)
	}
	once := store.Deadline{Name: "Audit", DueOn: "2026-06-30"}
	if err := db.AddDeadline(ctx, &once); err != nil {
		t.Fatal(err)
	}
	want := []store.Deadline{vat, payroll, once}

	bad := []struct {
		name     string
		in       store.Deadline
		wantCode bankfeed.ErrorCode
		wantIn   []string // what the message names
	}{
		{"empty name", store.Deadline{Name: "  ", DueOn: "2026-03-15"}, bankfeed.EInvalid, []string{"name"}},
		{"bad date", store.Deadline{Name: "X", DueOn: "15/03/2026"}, bankfeed.EInvalid, []string{"due date", "15/03/2026"}},
		{"no such day", store.Deadline{Name: "X", DueOn: "2026-02-30"}, bankfeed.EInvalid, []string{"due date"}},
		{"unknown every", store.Deadline{Name: "X", DueOn: "2026-03-15", Every: "fortnight"}, bankfeed.EInvalid,
			[]string{"every", "fortnight", "week, month, quarter, year"}},
		{"every problem at once", store.Deadline{DueOn: "soon", Every: "daily"}, bankfeed.EInvalid,
			[]string{"name", "due date", "every"}},
		{"duplicate name", store.Deadline{Name: "Payroll", DueOn: "2026-04-01"}, bankfeed.EConflict, []string{"Payroll"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.in
			err := db.AddDeadline(ctx, &d)
			if code := bankfeed.ErrorCodeOf(err); code != tc.wantCode {
				t.Fatalf("err = %v (code %q), want code %q", err, code, tc.wantCode)
			}
			for _, w := range tc.wantIn {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
	got, err := db.Deadlines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Deadlines after bad input, by due date (-want +got):\n%s", diff)
	}

	if err := db.RemoveDeadline(ctx, "Payroll"); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveDeadline(ctx, "Payroll"); bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound {
		t.Errorf("remove twice: %v, want not_found", err)
	}
	got, err = db.Deadlines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.Deadline{vat, once}, got); diff != "" {
		t.Errorf("Deadlines after remove (-want +got):\n%s", diff)
	}
	// A removed name can be used again.
	if err := db.AddDeadline(ctx, &store.Deadline{Name: "Payroll", DueOn: "2026-04-15"}); err != nil {
		t.Errorf("add a removed name again: %v", err)
	}
}

// testDeadlineNext checks the calendar of repeating deadlines; it needs no
// database, and is here with the rest of the deadlines.
func testDeadlineNext(t *testing.T, _ Opener) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	day := func(s string) time.Time {
		d, err := time.ParseInLocation(store.DateLayout, s, paris)
		if err != nil {
			t.Fatal(err)
		}
		return d.Add(15 * time.Hour) // any time of the day
	}
	tests := []struct {
		name         string
		dueOn, every string
		on           string
		want         string // "" for none
	}{
		{"once, ahead", "2026-03-15", "", "2026-03-01", "2026-03-15"},
		{"once, today", "2026-03-15", "", "2026-03-15", "2026-03-15"},
		{"once, passed", "2026-03-15", "", "2026-03-16", ""},
		{"weekly, same weekday", "2026-01-02", "week", "2026-03-06", "2026-03-06"},
		{"weekly, later", "2026-01-02", "week", "2026-03-07", "2026-03-13"},
		{"weekly, across a clock change", "2026-03-20", "week", "2026-04-02", "2026-04-03"},
		{"monthly 15th", "2026-01-15", "month", "2026-03-16", "2026-04-15"},
		{"monthly, first not yet due", "2026-05-15", "month", "2026-03-16", "2026-05-15"},
		{"Jan 31 monthly in February", "2026-01-31", "month", "2026-02-01", "2026-02-28"},
		{"Jan 31 monthly in a leap February", "2028-01-31", "month", "2028-02-10", "2028-02-29"},
		{"Jan 31 monthly keeps the 31st in March", "2026-01-31", "month", "2026-03-01", "2026-03-31"},
		{"Jan 31 monthly in April", "2026-01-31", "month", "2026-04-01", "2026-04-30"},
		{"Jan 31 monthly, across a year", "2025-01-31", "month", "2026-12-31", "2026-12-31"},
		{"quarterly", "2026-01-31", "quarter", "2026-02-01", "2026-04-30"},
		{"quarterly, due today", "2026-01-31", "quarter", "2026-07-31", "2026-07-31"},
		{"yearly", "2025-04-15", "year", "2026-04-16", "2027-04-15"},
		{"Feb 29 yearly", "2024-02-29", "year", "2025-01-01", "2025-02-28"},
		{"Feb 29 yearly, leap again", "2024-02-29", "year", "2028-02-01", "2028-02-29"},
		{"unknown repeat", "2026-01-01", "fortnight", "2026-03-01", ""},
		{"bad date", "someday", "month", "2026-03-01", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := store.Deadline{Name: "X", DueOn: tc.dueOn, Every: tc.every}.Next(day(tc.on))
			if tc.want == "" {
				if ok {
					t.Errorf("Next = %v, want none", got)
				}
				return
			}
			if !ok || got.Format(store.DateLayout) != tc.want {
				t.Fatalf("Next = %v, %v; want %s", got, ok, tc.want)
			}
			if got.Location() != paris || got.Hour() != 0 || got.Minute() != 0 {
				t.Errorf("Next = %v: want midnight in the day's location", got)
			}
		})
	}
}

func testNotifications(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := NewClock()
	db := open(t, clock.Now)
	inst := institution(t, db, "B1", "10898")
	a := createConnection(t, db, newConnection("a", inst))
	b := createConnection(t, db, newConnection("b", inst))
	steps := []struct {
		name     string
		set      bankfeed.ConnectionID // 0: set nothing
		key      string
		wantA    string
		wantB    string
		wantCode bankfeed.ErrorCode
	}{
		{"never told", 0, "", "", "", ""},
		{"told of a class", a.ID, "auth.invalid_credentials", "auth.invalid_credentials", "", ""},
		{"escalated", a.ID, "auth.invalid_credentials+escalate", "auth.invalid_credentials+escalate", "", ""},
		{"another connection", b.ID, "bank.action_required", "auth.invalid_credentials+escalate", "bank.action_required", ""},
		{"recovered", a.ID, "", "", "bank.action_required", ""},
		{"no such connection", 9999, "x", "", "bank.action_required", bankfeed.ENotFound},
	}
	for _, st := range steps {
		if st.set != 0 {
			clock.Advance(time.Minute)
			err := db.SetNotifiedState(ctx, st.set, st.key)
			if code := bankfeed.ErrorCodeOf(err); code != st.wantCode {
				t.Fatalf("%s: SetNotifiedState = %v, want code %q", st.name, err, st.wantCode)
			}
		}
		for _, c := range []struct {
			id   bankfeed.ConnectionID
			want string
		}{{a.ID, st.wantA}, {b.ID, st.wantB}} {
			got, err := db.NotifiedState(ctx, c.id)
			if err != nil || got != c.want {
				t.Errorf("%s: NotifiedState(%d) = %q, %v; want %q", st.name, c.id, got, err, c.want)
			}
		}
	}
	// A removed connection's state goes with it.
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteConnection(ctx, b.ID) })
	if got, err := db.NotifiedState(ctx, b.ID); err != nil || got != "" {
		t.Errorf("state of a removed connection = %q, %v; want none", got, err)
	}
}
