package diagnose

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bankfeed/bankfeed/internal/store"
)

func TestAssess(t *testing.T) {
	loc := time.FixedZone("UTC+2", 2*3600)
	// Wednesday 13 March 2024, 10:00; Friday is the 15th, Sunday the 17th.
	now := time.Date(2024, 3, 13, 10, 0, 0, 0, loc)
	ago := func(d time.Duration) time.Time { return now.Add(-d).UTC() }
	ptr := func(t time.Time) *time.Time { return &t }
	day := func(d int) time.Time { return time.Date(2024, 3, d, 0, 0, 0, 0, loc) }
	payroll := store.Deadline{Name: "Payroll", DueOn: "2024-01-15", Every: "month"} // Friday 15 March
	tomorrow := store.Deadline{Name: "VAT", DueOn: "2024-03-14"}
	today := store.Deadline{Name: "Rent", DueOn: "2024-01-13", Every: "month"}
	yesterday := store.Deadline{Name: "Audit", DueOn: "2024-03-12"}
	nextWeek := store.Deadline{Name: "Close", DueOn: "2024-03-20"}
	const twoDays = "today: the books miss 2 days of bank lines; by the end of the week (Sunday): 6 days"
	const never = "the books hold no bank lines from this connection yet"
	tests := []struct {
		name       string
		now        time.Time
		staleSince time.Time
		needsHuman bool
		deadlines  []store.Deadline
		want       Severity
	}{
		{"fresh, nothing to do", now, ago(2 * time.Hour), false, nil,
			Severity{Level: LevelLow, Why: "The feed is up to date and nothing needs you", StaleSince: ptr(ago(2 * time.Hour))}},
		{"23 hours is still fresh", now, ago(23 * time.Hour), false, []store.Deadline{tomorrow},
			Severity{Level: LevelLow, Why: "The feed is up to date and nothing needs you", StaleSince: ptr(ago(23 * time.Hour))}},
		{"fresh, a person must act", now, ago(time.Hour), true, nil,
			Severity{Level: LevelMedium, Why: "The feed is up to date, but it needs you to act before it can sync again",
				StaleSince: ptr(ago(time.Hour))}},
		{"a day is stale", now, ago(24 * time.Hour), false, nil,
			Severity{Level: LevelMedium, Why: "The feed is 1 day stale", StaleSince: ptr(ago(24 * time.Hour)),
				Cost: "today: the books miss 1 day of bank lines; by the end of the week (Sunday): 5 days"}},
		{"stale, no deadline near", now, ago(48 * time.Hour), false, []store.Deadline{nextWeek, yesterday},
			Severity{Level: LevelMedium, StaleSince: ptr(ago(48 * time.Hour)), Cost: twoDays,
				Why: "The feed is 2 days stale; the next deadline, Close, is due Wednesday 20 March (in 7 days)"}},
		{"stale, a person must act, 2 days", now, ago(48 * time.Hour), true, nil,
			Severity{Level: LevelMedium, Why: "The feed is 2 days stale and needs you to act",
				StaleSince: ptr(ago(48 * time.Hour)), Cost: twoDays}},
		{"stale exactly 3 days, a person must act", now, ago(72 * time.Hour), true, nil,
			Severity{Level: LevelMedium, Why: "The feed is 3 days stale and needs you to act",
				StaleSince: ptr(ago(72 * time.Hour)),
				Cost:       "today: the books miss 3 days of bank lines; by the end of the week (Sunday): 7 days"}},
		{"stale over 3 days, a person must act", now, ago(4 * 24 * time.Hour), true, nil,
			Severity{Level: LevelHigh, Why: "The feed is 4 days stale and needs you to act",
				StaleSince: ptr(ago(4 * 24 * time.Hour)),
				Cost:       "today: the books miss 4 days of bank lines; by the end of the week (Sunday): 8 days"}},
		{"stale over 3 days, nothing for a person", now, ago(4 * 24 * time.Hour), false, nil,
			Severity{Level: LevelMedium, Why: "The feed is 4 days stale", StaleSince: ptr(ago(4 * 24 * time.Hour)),
				Cost: "today: the books miss 4 days of bank lines; by the end of the week (Sunday): 8 days"}},
		{"stale, payroll in 2 days", now, ago(48 * time.Hour), false, []store.Deadline{payroll, nextWeek},
			Severity{Level: LevelHigh, Why: "Payroll is due Friday 15 March; the feed is 2 days stale",
				StaleSince: ptr(ago(48 * time.Hour)), Cost: twoDays,
				Deadline: &DeadlineRef{Name: "Payroll", Due: day(15)}}},
		{"stale, due tomorrow", now, ago(48 * time.Hour), false, []store.Deadline{payroll, tomorrow},
			Severity{Level: LevelCritical, Why: "VAT is due tomorrow, Thursday 14 March; the feed is 2 days stale",
				StaleSince: ptr(ago(48 * time.Hour)), Cost: twoDays,
				Deadline: &DeadlineRef{Name: "VAT", Due: day(14)}}},
		{"stale, due today, a person must act", now, ago(48 * time.Hour), true, []store.Deadline{today, payroll},
			Severity{Level: LevelCritical,
				Why:        "Rent is due today, Wednesday 13 March; the feed is 2 days stale and needs you to act",
				StaleSince: ptr(ago(48 * time.Hour)), Cost: twoDays,
				Deadline: &DeadlineRef{Name: "Rent", Due: day(13)}}},
		{"fresh, due today", now, ago(time.Hour), false, []store.Deadline{today},
			Severity{Level: LevelLow, Why: "The feed is up to date and nothing needs you", StaleSince: ptr(ago(time.Hour))}},
		{"passed yesterday counts no more", now, ago(48 * time.Hour), false, []store.Deadline{yesterday},
			Severity{Level: LevelMedium, Why: "The feed is 2 days stale", StaleSince: ptr(ago(48 * time.Hour)), Cost: twoDays}},
		{"never synced", now, time.Time{}, false, nil,
			Severity{Level: LevelMedium, Why: "The feed has never synced", Cost: never}},
		{"never synced, a person must act", now, time.Time{}, true, nil,
			Severity{Level: LevelHigh, Why: "The feed has never synced and needs you to act", Cost: never}},
		{"never synced, due tomorrow", now, time.Time{}, false, []store.Deadline{tomorrow},
			Severity{Level: LevelCritical, Why: "VAT is due tomorrow, Thursday 14 March; the feed has never synced",
				Cost: never, Deadline: &DeadlineRef{Name: "VAT", Due: day(14)}}},
		{"days are counted in the calendar's zone", time.Date(2024, 3, 13, 23, 30, 0, 0, time.UTC), // Thursday 01:30 there
			time.Date(2024, 3, 11, 23, 30, 0, 0, time.UTC), false, []store.Deadline{payroll},
			Severity{Level: LevelCritical, Why: "Payroll is due tomorrow, Friday 15 March; the feed is 2 days stale",
				StaleSince: ptr(time.Date(2024, 3, 11, 23, 30, 0, 0, time.UTC)),
				Cost:       "today: the books miss 2 days of bank lines; by the end of the week (Sunday): 5 days",
				Deadline:   &DeadlineRef{Name: "Payroll", Due: day(15)}}},
		{"on Sunday the week ends today", time.Date(2024, 3, 17, 9, 0, 0, 0, loc), time.Date(2024, 3, 15, 8, 0, 0, 0, loc),
			false, nil,
			Severity{Level: LevelMedium, Why: "The feed is 2 days stale", StaleSince: ptr(time.Date(2024, 3, 15, 8, 0, 0, 0, loc)),
				Cost: "today (Sunday, the end of the week): the books miss 2 days of bank lines"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Assess(tc.now, tc.staleSince, tc.needsHuman, tc.deadlines, loc)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Assess (-want +got):\n%s", diff)
			}
		})
	}
}
