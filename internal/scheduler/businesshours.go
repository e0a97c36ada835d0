package scheduler

import "time"

// BusinessHours says when a bank's people can be reached: the hours that
// count toward escalating a failing connection. Times of day are wall-clock
// times in Location, so a day on which the clocks change still opens at
// 09:00 and closes at 17:00.
type BusinessHours struct {
	Location *time.Location // nil means UTC
	Days     []time.Weekday // working days; nil means Monday to Friday
	// Start and End are the wall-clock times of day the hours open and
	// close, from midnight: 9*time.Hour and 17*time.Hour for 09:00-17:00.
	// Both zero means 09:00-17:00; End up to 24h; End before Start, none.
	Start, End time.Duration
	// Holidays are days with no business hours. Only the calendar date
	// each one reports (t.Date()) counts, not its clock or zone, so
	// time.Date(2026, 12, 25, 0, 0, 0, 0, time.UTC) is Christmas in any
	// Location, and so is a date parsed with time.Parse("2006-01-02", ...).
	Holidays []time.Time
}

// Between returns the business time from a to b: the part of [a, b) that
// falls in the hours of a working day that is not a holiday. It is zero
// when b is not after a.
func (h BusinessHours) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	loc := h.Location
	if loc == nil {
		loc = time.UTC
	}
	start, end := h.Start, h.End
	if start == 0 && end == 0 {
		start, end = 9*time.Hour, 17*time.Hour
	}
	start, end = max(start, 0), min(end, 24*time.Hour)
	if end <= start {
		return 0
	}
	days := h.Days
	if days == nil {
		days = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	}
	var working [7]bool
	for _, d := range days {
		if d >= time.Sunday && d <= time.Saturday {
			working[d] = true
		}
	}
	holidays := make(map[civilDate]bool, len(h.Holidays))
	for _, t := range h.Holidays {
		holidays[dateOf(t)] = true
	}

	var total time.Duration
	first := dateOf(a.In(loc))
	// Step through calendar dates, not 24-hour periods: a day on which the
	// clocks change is 23 or 25 hours long.
	for i := 0; ; i++ {
		day := dateOf(time.Date(first.y, first.m, first.d+i, 12, 0, 0, 0, loc))
		opens, closes := day.at(start, loc), day.at(end, loc)
		if !opens.Before(b) {
			break
		}
		if !working[day.weekday()] || holidays[day] {
			continue
		}
		from, to := laterOf(opens, a), earlierOf(closes, b)
		if to.After(from) {
			total += to.Sub(from)
		}
	}
	return total
}

// civilDate is a calendar date with no clock and no zone.
type civilDate struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) civilDate {
	y, m, d := t.Date()
	return civilDate{y, m, d}
}

func (c civilDate) weekday() time.Weekday {
	return time.Date(c.y, c.m, c.d, 12, 0, 0, 0, time.UTC).Weekday()
}

// at returns the instant at wall-clock time of day off (from midnight) on
// the date in loc. Fields are passed separately so that no int overflows on
// 32-bit platforms; time.Date normalizes an hour of 24 to the next midnight.
func (c civilDate) at(off time.Duration, loc *time.Location) time.Time {
	return time.Date(c.y, c.m, c.d, int(off/time.Hour), int(off%time.Hour/time.Minute),
		int(off%time.Minute/time.Second), int(off%time.Second), loc)
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlierOf(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
