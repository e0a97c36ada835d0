package fakebank

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// FuzzParseScenario: any input is either rejected with an error or yields a
// scenario whose institutions, users and accounts are all usable.
func FuzzParseScenario(f *testing.F) {
	f.Add(SampleScenario())
	f.Add([]byte(testScenario))
	f.Add([]byte(`{"institutions": [{"id": "b", "org": "B", "fid": "1", "users": [], "faults": [{"kind": "latency", "window": "Sat 01:00-05:00", "params": {"delay": "1s"}}]}]}`))
	f.Add([]byte(`{"seed": 1, "start": "2026-02-30"}`))
	f.Add([]byte(`{"institutions": [null, {"id": "b", "org": "B", "fid": "1", "users": [null], "faults": [{"kind": "http-500", "user": "u", "account": "1"}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := ParseScenario(bytes.NewReader(b))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error message")
			}
			return
		}
		if len(sc.Institutions) == 0 || sc.Start.IsZero() || sc.Location() == nil {
			t.Fatalf("accepted an unusable scenario: %+v", sc)
		}
		for _, in := range sc.Institutions {
			if in.ID == "" || in.Org == "" || in.FID == "" || in.Version == "" {
				t.Fatalf("accepted institution %+v", in)
			}
			for _, u := range in.Users {
				for _, a := range u.Accounts {
					if a.Currency == "" || (a.Type != Checking && a.Type != Savings && a.Type != CreditCard) {
						t.Fatalf("accepted account %+v", a)
					}
				}
			}
		}
	})
}

// FuzzParseWindow: a window that parses holds its own start and ends within
// a day after it.
func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"Sat 01:00-05:00", "Mon-Fri 22:00-23:30", "daily 02:00-03:00", "sat,sun 00:00-24:00", "Sat 23:00-02:00", "Fri-Mon 00:00-06:00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := parseWindow(s)
		if err != nil {
			return
		}
		if strings.TrimSpace(s) == "" {
			t.Fatal("an empty window parsed")
		}
		// Find a day the window runs on, and check its start.
		base := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC) // a Sunday
		for d := range 7 {
			day := base.AddDate(0, 0, d)
			if !w.days[day.Weekday()] {
				continue
			}
			at := day.Add(time.Duration(w.start) * time.Minute)
			end, in := w.endOf(at)
			if !in || !end.After(at) || end.Sub(at) > 24*time.Hour {
				t.Fatalf("%q at %s: in %v, end %s", s, at, in, end)
			}
			return
		}
		t.Fatalf("%q runs on no day", s)
	})
}
