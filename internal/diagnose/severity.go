package diagnose

import (
	"fmt"
	"time"

	"github.com/bankfeed/bankfeed/internal/store"
)

// Severity levels, lowest first.
const (
	LevelLow      = "low"      // fresh, and nothing needs a person
	LevelMedium   = "medium"   // stale, or a person must act
	LevelHigh     = "high"     // stale near a deadline, or stale long while a person must act
	LevelCritical = "critical" // stale with a deadline today or tomorrow
)

// The thresholds of Assess.
const (
	// freshFor is how stale a feed may be and still count as fresh.
	freshFor = 24 * time.Hour
	// staleLong is how long a feed that needs a person may be stale before
	// it is high.
	staleLong = 72 * time.Hour
	// deadlineSoon and deadlineImminent are how many days ahead a
	// deadline makes a stale feed high, and critical.
	deadlineSoon     = 3
	deadlineImminent = 1
)

// Assess says how urgent a connection is, knowing the calendar. now is the
// time of the diagnosis; staleSince the last time the books were up to
// date with the bank (zero: never synced); needsHuman whether a person must
// act; deadlines those configured; loc the calendar's time zone (time.Local
// when nil), in which days, weeks and deadlines are counted.
//
// The level is low when the feed is fresh (stale less than a day) and
// nothing needs a person; medium when it is stale or a person must act;
// high when it is stale and a deadline falls within 3 days, or stale more
// than 3 days while a person must act; critical when it is stale and a
// deadline falls today or tomorrow. Deadline is the deadline that raised
// the level, if one did.
func Assess(now time.Time, staleSince time.Time, needsHuman bool, deadlines []store.Deadline, loc *time.Location) Severity {
	if loc == nil {
		loc = time.Local
	}
	now = now.In(loc)
	never := staleSince.IsZero()
	var s Severity
	lag := 0 // calendar days since the last success
	if !never {
		t := staleSince
		s.StaleSince = &t
		lag = calendarDays(staleSince.In(loc), now)
	}
	stale := never || now.Sub(staleSince) >= freshFor
	staleLonger := never || now.Sub(staleSince) > staleLong
	if stale {
		s.Cost = staleCost(now, never, lag)
	}
	feed := feedWords(stale, never, lag, needsHuman)
	near, in := nearestDeadline(now, deadlines)
	switch {
	case stale && near != nil && in <= deadlineImminent:
		s.Level, s.Deadline = LevelCritical, near
		s.Why = dueWords(near, in) + "; " + feed
	case stale && near != nil && in <= deadlineSoon:
		s.Level, s.Deadline = LevelHigh, near
		s.Why = dueWords(near, in) + "; " + feed
	case stale && needsHuman && staleLonger:
		s.Level, s.Why = LevelHigh, capitalize(feed)
	case stale || needsHuman:
		s.Level, s.Why = LevelMedium, capitalize(feed)
		if near != nil {
			s.Why += fmt.Sprintf("; the next deadline, %s, is due %s (in %s)", near.Name, near.Due.Format(dayLayout), nDays(in))
		}
	default:
		s.Level, s.Why = LevelLow, capitalize(feed)
	}
	return s
}

// dayLayout is how a due date is written: Friday 15 March.
const dayLayout = "Monday 2 January"

// nearestDeadline returns the deadline whose next occurrence on or after
// today comes first (by name on a tie), and in how many days; nil when
// none comes.
func nearestDeadline(now time.Time, deadlines []store.Deadline) (*DeadlineRef, int) {
	var near *DeadlineRef
	nearIn := 0
	for _, d := range deadlines {
		due, ok := d.Next(now)
		if !ok {
			continue
		}
		in := calendarDays(now, due)
		if near == nil || in < nearIn || in == nearIn && d.Name < near.Name {
			near, nearIn = &DeadlineRef{Name: d.Name, Due: due}, in
		}
	}
	return near, nearIn
}

// dueWords says when a deadline in days is due.
func dueWords(d *DeadlineRef, in int) string {
	switch in {
	case 0:
		return d.Name + " is due today, " + d.Due.Format(dayLayout)
	case 1:
		return d.Name + " is due tomorrow, " + d.Due.Format(dayLayout)
	}
	return d.Name + " is due " + d.Due.Format(dayLayout)
}

// feedWords says how current the feed is, and whether it needs a person.
func feedWords(stale, never bool, lag int, needsHuman bool) string {
	var w string
	switch {
	case never:
		w = "the feed has never synced"
	case stale:
		w = "the feed is " + nDays(lag) + " stale"
	case needsHuman:
		return "the feed is up to date, but it needs you to act before it can sync again"
	default:
		return "the feed is up to date and nothing needs you"
	}
	if needsHuman {
		w += " and needs you to act"
	}
	return w
}

// staleCost says what a stale feed costs the books today and at the end of
// the week (Sunday).
func staleCost(now time.Time, never bool, lag int) string {
	if never {
		return "the books hold no bank lines from this connection yet"
	}
	toSunday := (7 - int(now.Weekday())) % 7
	if toSunday == 0 {
		return fmt.Sprintf("today (Sunday, the end of the week): the books miss %s of bank lines", nDays(lag))
	}
	return fmt.Sprintf("today: the books miss %s of bank lines; by the end of the week (Sunday): %s",
		nDays(lag), nDays(lag+toSunday))
}

// calendarDays is the number of calendar days from a's date to b's, each
// read in its own location.
func calendarDays(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	ua := time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)
	ub := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)
	return int(ub.Sub(ua) / (24 * time.Hour))
}

func nDays(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
