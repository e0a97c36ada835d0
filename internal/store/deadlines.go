package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
)

// Deadline is a date the books must be current by: payroll, a tax filing,
// a month's close. A stale feed near one is urgent.
type Deadline struct {
	ID   int64
	Name string
	// DueOn is the first (or only) due date, YYYY-MM-DD. A repeating
	// deadline keeps it as its anchor: a monthly one due on the 31st falls
	// on each month's last day when the month is shorter.
	DueOn string
	// Every is how it repeats: "" (once), "week", "month", "quarter" or
	// "year".
	Every string
}

// DateLayout is how a deadline's date is written.
const DateLayout = "2006-01-02"

// Repeats lists the values Deadline.Every takes besides "" (once).
var Repeats = []string{"week", "month", "quarter", "year"}

// check returns every problem of d, naming the field; nil when d is sound.
func (d *Deadline) check() []string {
	var problems []string
	if strings.TrimSpace(d.Name) == "" {
		problems = append(problems, "name: empty")
	}
	if _, err := time.Parse(DateLayout, d.DueOn); err != nil {
		problems = append(problems, "due date: "+strconv.Quote(d.DueOn)+" is not a date as YYYY-MM-DD")
	}
	switch d.Every {
	case "", "week", "month", "quarter", "year":
	default:
		problems = append(problems, "every: "+strconv.Quote(d.Every)+" is not one of "+strings.Join(Repeats, ", "))
	}
	return problems
}

// Next returns the deadline's first occurrence on or after the day of on
// (its date in on's location), as midnight of that date in on's location.
// ok is false when there is none: a one-off deadline that has passed, or a
// date that does not parse.
func (d Deadline) Next(on time.Time) (due time.Time, ok bool) {
	anchor, err := time.Parse(DateLayout, d.DueOn)
	if err != nil {
		return time.Time{}, false
	}
	loc := on.Location()
	y, m, dd := on.Date()
	day := time.Date(y, m, dd, 0, 0, 0, 0, loc)
	first := time.Date(anchor.Year(), anchor.Month(), anchor.Day(), 0, 0, 0, 0, loc)
	if !first.Before(day) {
		return first, true
	}
	var step int // months per occurrence
	switch d.Every {
	case "week":
		days := daysBetween(first, day)
		return first.AddDate(0, 0, (days+6)/7*7), true
	case "month":
		step = 1
	case "quarter":
		step = 3
	case "year":
		step = 12
	default:
		return time.Time{}, false
	}
	months := (y-anchor.Year())*12 + int(m) - int(anchor.Month())
	k := months / step
	for {
		occ := addMonthsClamped(first, k*step)
		if !occ.Before(day) {
			return occ, true
		}
		k++
	}
}

// addMonthsClamped adds n months to t, keeping its day of the month or the
// month's last day when the month is shorter (Jan 31 + 1 month = Feb 28).
func addMonthsClamped(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	firstOfMonth := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, t.Location())
	last := firstOfMonth.AddDate(0, 1, -1).Day()
	return firstOfMonth.AddDate(0, 0, min(d, last)-1)
}

// daysBetween is the number of calendar days from a to b, both midnights.
func daysBetween(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	ua := time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)
	ub := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)
	return int(ub.Sub(ua).Hours() / 24)
}

// AddDeadline stores a new deadline; d.ID is set. A bad field is invalid
// (every problem is named), a name in use a conflict; nothing is written
// then.
func (db *DB) AddDeadline(ctx context.Context, d *Deadline) error {
	d.Name = strings.TrimSpace(d.Name)
	if problems := d.check(); len(problems) > 0 {
		return bankfeed.Errorf(bankfeed.EInvalid, "add deadline %s: %s", strconv.Quote(d.Name), strings.Join(problems, "; "))
	}
	return db.Update(ctx, func(tx *Tx) error {
		err := tx.q().QueryRowContext(ctx, tx.d.rebind(`INSERT INTO deadlines (name, due_on, every) VALUES (?, ?, ?)
			RETURNING id`), d.Name, d.DueOn, d.Every).Scan(&d.ID)
		if bankfeed.ErrorCodeOf(tx.d.mapError(err)) == bankfeed.EConflict {
			return bankfeed.Errorf(bankfeed.EConflict, "add deadline: a deadline named %s exists already", strconv.Quote(d.Name))
		}
		return tx.d.wrap("add deadline", err)
	})
}

// Deadlines lists the deadlines by due date, then name.
func (db *DB) Deadlines(ctx context.Context) ([]Deadline, error) {
	var out []Deadline
	err := db.view(ctx, func(tx cachedTx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, name, due_on, every FROM deadlines ORDER BY due_on, name`)
		if err != nil {
			return db.d.wrap("list deadlines", err)
		}
		defer rows.Close()
		for rows.Next() {
			var d Deadline
			if err := rows.Scan(&d.ID, &d.Name, &d.DueOn, &d.Every); err != nil {
				return db.d.wrap("list deadlines", err)
			}
			out = append(out, d)
		}
		return db.d.wrap("list deadlines", rows.Err())
	})
	return out, err
}

// RemoveDeadline removes the deadline named name; not found when there is
// none.
func (db *DB) RemoveDeadline(ctx context.Context, name string) error {
	name = strings.TrimSpace(name)
	return db.Update(ctx, func(tx *Tx) error {
		res, err := tx.q().ExecContext(ctx, tx.d.rebind(`DELETE FROM deadlines WHERE name = ?`), name)
		if err != nil {
			return tx.d.wrap("remove deadline", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return bankfeed.Errorf(bankfeed.ENotFound, "remove deadline: no deadline named %s", strconv.Quote(name))
		}
		return nil
	})
}
