package scheduler

import (
	"testing"
	"time"
)

func newYork(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	return loc
}

func TestBusinessHoursBetween(t *testing.T) {
	ny := newYork(t)
	at := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, ny) }
	weekdays := BusinessHours{Location: ny, Start: 9 * time.Hour, End: 17 * time.Hour}
	allDay := BusinessHours{Location: ny, End: 24 * time.Hour, Days: []time.Weekday{
		time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}}
	christmas := weekdays
	christmas.Holidays = []time.Time{time.Date(2026, 12, 25, 0, 0, 0, 0, time.UTC)} // UTC midnight is Dec 24 in New York
	parsed, err := time.Parse("2006-01-02", "2026-12-25")
	if err != nil {
		t.Fatal(err)
	}
	parsedHoliday := weekdays
	parsedHoliday.Holidays = []time.Time{parsed}
	sundays := weekdays
	sundays.Days = []time.Weekday{time.Sunday}
	saturdayMornings := BusinessHours{Location: ny, Days: []time.Weekday{time.Saturday}, Start: 8*time.Hour + 30*time.Minute, End: 12 * time.Hour}

	tests := []struct {
		name  string
		hours BusinessHours
		a, b  time.Time
		want  time.Duration
	}{
		{"within a day", weekdays, at(2026, 3, 3, 10, 0), at(2026, 3, 3, 12, 30), 2*time.Hour + 30*time.Minute},
		{"a whole day", weekdays, at(2026, 3, 3, 0, 0), at(2026, 3, 4, 0, 0), 8 * time.Hour},
		{"an evening", weekdays, at(2026, 3, 3, 17, 30), at(2026, 3, 4, 8, 0), 0},
		{"evening to next morning", weekdays, at(2026, 3, 3, 16, 0), at(2026, 3, 4, 10, 0), 2 * time.Hour},
		{"starts before opening", weekdays, at(2026, 3, 3, 6, 0), at(2026, 3, 3, 9, 15), 15 * time.Minute},
		{"a weekend", weekdays, at(2026, 2, 28, 10, 0), at(2026, 3, 1, 16, 0), 0},
		{"Friday 16:00 to Monday 10:00", weekdays, at(2026, 2, 27, 16, 0), at(2026, 3, 2, 10, 0), 2 * time.Hour},
		{"a week", weekdays, at(2026, 3, 2, 0, 0), at(2026, 3, 9, 0, 0), 40 * time.Hour},
		{"48 business hours is six business days", weekdays, at(2026, 3, 2, 9, 0), at(2026, 3, 10, 9, 0), 48 * time.Hour},
		{"b before a", weekdays, at(2026, 3, 4, 10, 0), at(2026, 3, 3, 10, 0), 0},
		{"b equals a", weekdays, at(2026, 3, 3, 10, 0), at(2026, 3, 3, 10, 0), 0},
		{"inputs in another zone", weekdays, at(2026, 3, 3, 10, 0).UTC(), at(2026, 3, 3, 11, 0).UTC(), time.Hour},
		{"holiday given as UTC midnight", christmas, at(2026, 12, 24, 16, 0), at(2026, 12, 28, 10, 0), 2 * time.Hour},
		{"the day before the holiday counts", christmas, at(2026, 12, 24, 9, 0), at(2026, 12, 24, 17, 0), 8 * time.Hour},
		{"holiday parsed from a date", parsedHoliday, at(2026, 12, 24, 16, 0), at(2026, 12, 28, 10, 0), 2 * time.Hour},
		{"spring forward: 23-hour day", allDay, at(2026, 3, 8, 0, 0), at(2026, 3, 9, 0, 0), 23 * time.Hour},
		{"fall back: 25-hour day", allDay, at(2026, 11, 1, 0, 0), at(2026, 11, 2, 0, 0), 25 * time.Hour},
		{"spring forward: 09:00-17:00 is still 8 hours", sundays, at(2026, 3, 8, 0, 0), at(2026, 3, 9, 0, 0), 8 * time.Hour},
		{"spring forward: opens at 09:00 wall clock", sundays, at(2026, 3, 8, 0, 0), at(2026, 3, 8, 10, 0), time.Hour},
		{"weekend with the clock change", weekdays, at(2026, 3, 6, 16, 0), at(2026, 3, 9, 10, 0), 2 * time.Hour},
		{"custom days and hours", saturdayMornings, at(2026, 2, 27, 0, 0), at(2026, 3, 9, 0, 0), 7 * time.Hour},
		{"zero value: weekdays 09:00-17:00 UTC", BusinessHours{},
			time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC), 9 * time.Hour},
		{"no days", BusinessHours{Location: ny, Days: []time.Weekday{}}, at(2026, 3, 2, 0, 0), at(2026, 3, 9, 0, 0), 0},
		{"closes before it opens", BusinessHours{Location: ny, Start: 17 * time.Hour, End: 9 * time.Hour},
			at(2026, 3, 2, 0, 0), at(2026, 3, 9, 0, 0), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.hours.Between(tt.a, tt.b); got != tt.want {
				t.Errorf("Between(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// TestBusinessHoursAdditive checks that splitting a span anywhere does not
// change its business time, across a clock change.
func TestBusinessHoursAdditive(t *testing.T) {
	ny := newYork(t)
	h := BusinessHours{Location: ny, Days: []time.Weekday{time.Sunday, time.Monday, time.Friday}, Start: time.Hour, End: 23 * time.Hour}
	a := time.Date(2026, 3, 5, 13, 0, 0, 0, ny)
	b := time.Date(2026, 3, 10, 4, 0, 0, 0, ny)
	whole := h.Between(a, b)
	for m := a; m.Before(b); m = m.Add(97 * time.Minute) {
		if got := h.Between(a, m) + h.Between(m, b); got != whole {
			t.Fatalf("split at %v: %v, want %v", m, got, whole)
		}
	}
}
