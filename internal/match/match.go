// Package match is review's engine, pure and in memory: it tells which new
// feed lines are the same bank transaction as lines already stored (re-keyed
// ids, pending lines that posted), scores them against the open entries of
// the books and assigns them one to one, pairs transfers between own
// accounts, and asks a Labeler (bank rules, learning) for payee and
// category. The store-backed review service and the matching benchmark
// (bench/match) both drive it through Process; neither holds matching logic
// of its own.
//
// Amounts are integer minor units, dates are Days: the engine never parses
// and never touches floats for money.
package match

import (
	"fmt"
	"time"
)

// Day is a calendar date, as days since 1970-01-01.
type Day int32

// DayOf parses YYYY-MM-DD.
func DayOf(s string) (Day, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return 0, fmt.Errorf("date %q: not YYYY-MM-DD", s)
	}
	return Day(t.Unix() / 86400), nil
}

// String formats the day as YYYY-MM-DD.
func (d Day) String() string { return time.Unix(int64(d)*86400, 0).UTC().Format("2006-01-02") }

// Line is a bank line as review sees it.
type Line struct {
	Key       int64    // the caller's id (a store LineID)
	Account   int64    // the caller's feed account id
	IDs       []string // every id the provider gave it: FITID first, then aliases
	Day       Day
	Amount    int64  // minor units, signed: negative is money out
	Text      string // descriptor: name and memo as the bank wrote them
	Check     string
	Ref       string
	Pending   bool
	PendingOf string // the provider's id of the pending line this one posts, when it says
}

// Entry is an open bank-side split of the books: the leg of an entry in a
// feed account's ledger account that no line is linked to yet (typed by a
// person, scheduled, or the mirror of a transfer entered on the other side).
type Entry struct {
	Key      int64 // the caller's id (a store split id)
	Account  int64 // the feed account whose ledger account the split is in
	Day      Day
	Amount   int64
	Payee    string
	Check    string
	Ref      string
	Transfer bool // the mirror leg of a transfer
}

// Delivery is what one fetch or one file brought for one account, after
// exact-id dedupe (the store's): New holds the lines none of whose ids were
// known; Present every id the delivery carried, known or new.
type Delivery struct {
	Account  int64
	From, To Day // the dates it covers: the statement's start and end, or its lines' first and last
	Present  []string
	New      []Line
}

// Labels are what bank rules and learning say of a line.
type Labels struct {
	Payee, Category, Memo string
	// SetBy names, for each field set ("payee", "category", "memo",
	// "exclude", "auto_add", "transfer"), the rule ("rule 12") or "learned".
	SetBy map[string]string
	// Splits, when a rule splits the line: category → minor units, summing
	// to the line's amount.
	Splits   []LabelSplit
	Exclude  bool
	AutoAdd  bool   // add without review when no candidate scores ≥ SuggestScore
	Transfer string // a rule marks it a transfer (to this account name, or "" unknown)
	// Confidence of Category in [0, 1]: 1 for a rule, the learner's
	// estimate otherwise. Review adds a line on its own only at ≥ 0.9.
	Confidence float64
}

// LabelSplit is one part of a split line.
type LabelSplit struct {
	Category string
	Amount   int64
}

// Labeler gives a line its labels: the bank rules in their stages, then
// learning. The rules package provides one.
type Labeler interface {
	Label(l *Line) Labels
}

// Zone is what the score of a line's best candidate makes of it.
type Zone uint8

// Zones.
const (
	ZoneNew     Zone = iota // no candidate worth showing: add as new (or auto-add)
	ZoneSuggest             // a candidate to confirm: For Review with a suggestion
	ZoneAuto                // matched without review: high score (or a transfer's mirror, MirrorDays), clear margin
)

func (z Zone) String() string { return [...]string{"new", "suggest", "auto"}[z] }

// Thresholds of the zones (design note §7).
const (
	AutoScore    = 9.0
	AutoMargin   = 2.0
	SuggestScore = 4.0
)
