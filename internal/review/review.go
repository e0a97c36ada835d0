// Package review keeps the review queue of the books: every new feed line is
// For Review until it is added as a new entry, matched to an entry already
// there, or excluded, by a person or automatically. The decisions are the
// match engine's (internal/match): this package loads what the engine needs
// from the store, in the transaction of the import or sync that brought the
// lines, and applies its plan there, so a delivery and its review land
// together or not at all. Every decision is in the audit log.
package review

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/importer"
	"github.com/bankfeed/bankfeed/internal/match"
	"github.com/bankfeed/bankfeed/internal/store"
)

// Auto is who the audit log names for automatic decisions.
const Auto = "bankfeed"

// Labels builds, in a transaction, the labeler of lines (bank rules and
// learning) and the descriptor → payee function for payee similarity.
type Labels func(ctx context.Context, tx *store.Tx) (match.Labeler, func(text string) string, error)

// Service is the review queue over one store.
type Service struct {
	db     *store.DB
	labels Labels
	// normalize keys the learned payee aliases by descriptor.
	normalize func(text string) string
	// learned runs after each confirmed decision, in its transaction:
	// what it taught is written down (learned and proposed rules). It
	// reports whether that changes how lines are labelled.
	learned func(ctx context.Context, tx *store.Tx, actor string) (relabel bool, err error)
	// unlearned runs after a person takes back an add or a match that
	// named payee: what no longer has its votes is taken down.
	unlearned func(ctx context.Context, tx *store.Tx, payee string) (relabel bool, err error)
}

// OnUndone sets what runs when a person takes back one of their own adds
// or matches, in its transaction, with the payee it named. f reports
// whether that changes how lines are labelled (a learned rule taken down or
// given another category): then the lines still For Review are planned
// again at once, as after a decision that teaches a rule.
func (s *Service) OnUndone(f func(ctx context.Context, tx *store.Tx, payee string) (relabel bool, err error)) {
	s.unlearned = f
}

// undone runs what taking back a person's decision unteaches.
func (s *Service) undone(ctx context.Context, tx *store.Tx, payee string) error {
	if s.unlearned == nil || payee == "" {
		return nil
	}
	relabel, err := s.unlearned(ctx, tx, payee)
	if err != nil || !relabel {
		return err
	}
	return s.Rematch(ctx, tx, nil)
}

// OnConfirmed sets what runs after each confirmed decision (an add or a
// match by a person), in its transaction. f reports whether what the
// decision taught changes how lines are labelled (a learned rule added, or
// given another category): then the lines still For Review are planned
// again at once, in the same transaction.
func (s *Service) OnConfirmed(f func(ctx context.Context, tx *store.Tx, actor string) (relabel bool, err error)) {
	s.learned = f
}

// confirmed runs what a person's confirmed decision teaches. When it
// taught a rule, the open queue is planned again as a sync plans it: a
// line the engine is now sure of is added (or matched, or excluded) by
// "bankfeed", with its audit entry, and the others get fresh proposals,
// so a payee's other lines waiting For Review follow the rule at once
// rather than at the next sync. A line a person put back For Review keeps
// waiting for that person (heldByPerson).
func (s *Service) confirmed(ctx context.Context, tx *store.Tx, actor string) error {
	if s.learned == nil {
		return nil
	}
	relabel, err := s.learned(ctx, tx, actor)
	if err != nil || !relabel {
		return err
	}
	return s.Rematch(ctx, tx, nil)
}

// New returns the review service. labels may be nil (no rules, no
// learning); normalize keys learned payee aliases (nil: none are kept).
func New(db *store.DB, labels Labels, normalize func(text string) string) *Service {
	return &Service{db: db, labels: labels, normalize: normalize}
}

// Options returns importer options that review what an import delivers.
func (s *Service) Options(opts importer.Options) importer.Options {
	opts.Review = s.Ingest
	return opts
}

// Ingest reviews what an import delivered, in its transaction: new lines
// that are a stored line under a new id are merged into it, pending lines
// that never posted are voided, the others are matched, labelled, paired as
// transfers, and added, matched or excluded when sure, or queued For Review
// with a proposal.
func (s *Service) Ingest(ctx context.Context, tx *store.Tx, importID bankfeed.ImportID, ds []importer.Delivered) error {
	fresh, err := tx.ReviewLines(ctx, store.ReviewLineQuery{ImportID: importID})
	if err != nil {
		return err
	}
	r := s.newRound(tx)
	byAccount := map[bankfeed.AccountID][]*store.ReviewLine{}
	for _, l := range fresh {
		byAccount[l.AccountID] = append(byAccount[l.AccountID], l)
	}
	// One delivery per account: an import with two statements of one
	// account delivers their union.
	var accounts, active, quiet []bankfeed.AccountID
	dels := map[bankfeed.AccountID]*match.Delivery{}
	for _, d := range ds {
		md := dels[d.AccountID]
		f, t := r.day(d.From), r.day(d.To)
		if md == nil {
			md = &match.Delivery{Account: int64(d.AccountID), From: f, To: t}
			dels[d.AccountID] = md
			accounts = append(accounts, d.AccountID)
		}
		md.From, md.To = min(md.From, f), max(md.To, t)
		md.Present = append(md.Present, d.Present...)
	}
	// The stored lines a new line may be the same as: those of its
	// account near its dates. An account with nothing new is asked only
	// for its open pending lines, which may have to be voided.
	from, to := "", ""
	for _, a := range accounts {
		md := dels[a]
		if len(byAccount[a]) == 0 {
			quiet = append(quiet, a)
		} else {
			active = append(active, a)
			if f := md.From.String(); from == "" || f < from {
				from = f
			}
			if t := md.To.String(); t > to {
				to = t
			}
		}
		for _, l := range byAccount[a] {
			md.New = append(md.New, r.add(l))
			md.Present = append(md.Present, l.IDs...)
		}
		r.batch.Deliveries = append(r.batch.Deliveries, *md)
	}
	var stored []*store.ReviewLine
	if len(active) > 0 {
		if stored, err = tx.ReviewLines(ctx, store.ReviewLineQuery{Accounts: active, From: shiftDate(from, -7), To: to, Except: importID}); err != nil {
			return err
		}
	}
	if len(quiet) > 0 {
		pending, err := tx.ReviewLines(ctx, store.ReviewLineQuery{Accounts: quiet, PendingOnly: true})
		if err != nil {
			return err
		}
		stored = append(stored, pending...)
	}
	if len(fresh) == 0 && len(stored) == 0 {
		return nil // an exact re-delivery: nothing to review
	}
	for _, l := range stored {
		r.batch.Stored = append(r.batch.Stored, r.add(l))
	}
	return r.run(ctx, s, accounts, from, to)
}

// Rematch matches the open queue again: an entry typed after its line came
// claims it. feeds limits it to those accounts (nil for all).
func (s *Service) Rematch(ctx context.Context, tx *store.Tx, feeds []bankfeed.AccountID) error {
	r := s.newRound(tx)
	return r.run(ctx, s, feeds, "", "")
}

// round is one pass of the engine: the batch, the lines and splits it
// names by key, and the review records it writes.
type round struct {
	tx      *store.Tx
	batch   match.Batch
	lines   map[int64]*store.ReviewLine
	splits  map[int64]store.OpenSplit
	reviews map[bankfeed.LineID]*bankfeed.Review
	order   []bankfeed.LineID
	audit   []auditRow
}

// auditRow is an audit entry a round writes; line is the line it is about
// (0 for an account's).
type auditRow struct {
	action, subject, detail string
	line                    bankfeed.LineID
}

func (s *Service) newRound(tx *store.Tx) *round {
	return &round{tx: tx, lines: map[int64]*store.ReviewLine{}, splits: map[int64]store.OpenSplit{},
		reviews: map[bankfeed.LineID]*bankfeed.Review{}}
}

func (r *round) day(s string) match.Day {
	d, err := match.DayOf(s)
	if err != nil {
		return 0
	}
	return d
}

// add makes a match.Line of a stored line and remembers it by key.
func (r *round) add(l *store.ReviewLine) match.Line {
	r.lines[int64(l.ID)] = l
	return match.Line{Key: int64(l.ID), Account: int64(l.AccountID), IDs: l.IDs, Day: r.day(l.PostedOn), Amount: l.Minor,
		Text: strings.TrimSpace(l.Name + " " + l.Memo), Check: l.CheckNum, Ref: l.RefNum, Pending: l.Pending, PendingOf: l.PendingOf}
}

// shiftDate moves a YYYY-MM-DD date by days; "" stays "".
func shiftDate(s string, days int) string {
	d, err := match.DayOf(s)
	if err != nil {
		return s
	}
	return (d + match.Day(days)).String()
}

// run loads the open queue and the open entries, runs the engine and
// applies its plan. accounts are the delivered feeds (nil: every feed with
// an open line); from and to bound the delivered dates ("" for none).
func (r *round) run(ctx context.Context, s *Service, accounts []bankfeed.AccountID, from, to string) error {
	tx := r.tx
	// After a delivery, the open lines near its dates (the other side of
	// a transfer, a line that may pair with a new one); for a rematch, all.
	q := store.ReviewLineQuery{Open: true}
	if from != "" {
		q.From, q.To = shiftDate(from, -match.TransferDays-3), shiftDate(to, match.TransferDays+3)
	}
	open, err := tx.ReviewLines(ctx, q)
	if err != nil {
		return err
	}
	want := map[bankfeed.AccountID]bool{}
	for _, a := range accounts {
		want[a] = true
	}
	feeds := append([]bankfeed.AccountID(nil), accounts...)
	some := accounts != nil && len(r.batch.Deliveries) == 0 // a rematch of some accounts only
	for _, l := range open {
		if some && !want[l.AccountID] {
			continue
		}
		if !want[l.AccountID] {
			want[l.AccountID] = true
			feeds = append(feeds, l.AccountID)
		}
		r.batch.Open = append(r.batch.Open, r.add(l))
		if from == "" || l.PostedOn < from {
			from = l.PostedOn
		}
		if l.PostedOn > to {
			to = l.PostedOn
		}
	}
	n, err := r.provisional(ctx, want, some, feeds)
	if err != nil {
		return err
	}
	feeds = n.feeds
	if n.from != "" && (from == "" || n.from < from) {
		from = n.from
	}
	if n.to > to {
		to = n.to
	}
	if len(r.batch.Deliveries) == 0 && len(r.batch.Open) == 0 {
		return nil
	}
	splits, err := tx.OpenSplits(ctx, feeds, shiftDate(from, -90), shiftDate(to, 90))
	if err != nil {
		return err
	}
	for _, sp := range splits {
		r.splits[sp.ID] = sp
		r.batch.Entries = append(r.batch.Entries, match.Entry{Key: sp.ID, Account: int64(sp.Feed), Day: r.day(sp.Date), Amount: sp.Minor,
			Payee: sp.Payee, Check: sp.CheckNum, Transfer: sp.Transfer})
	}
	r.batch.Today = r.day(tx.Now().Format(store.DateLayout))
	if s.labels != nil {
		if r.batch.Labeler, r.batch.PayeeOf, err = s.labels(ctx, tx); err != nil {
			return err
		}
	}
	plan := match.Process(&r.batch)
	if err := r.apply(ctx, plan); err != nil {
		return err
	}
	return r.flush(ctx)
}

// provisionalDays is how long a line booked without review may still be
// claimed by an entry a person types: counted from the day bankfeed booked
// it, not from the bank's date, so that a monthly statement's early lines
// (a month old when they arrive) get the same 30 days as a daily feed's.
const provisionalDays = 30

// provisional adds to the batch the lines booked without review in the
// last 30 days, which an entry a person typed may claim (Batch.Provisional).
func (r *round) provisional(ctx context.Context, want map[bankfeed.AccountID]bool, some bool, feeds []bankfeed.AccountID) (span, error) {
	n := span{feeds: feeds}
	since := r.tx.Now().AddDate(0, 0, -provisionalDays)
	lines, err := r.tx.ReviewLines(ctx, store.ReviewLineQuery{Provisional: true, BookedSince: since})
	if err != nil {
		return n, err
	}
	for _, l := range lines {
		if _, seen := r.lines[int64(l.ID)]; seen || (some && !want[l.AccountID]) {
			continue
		}
		if r.batch.Provisional == nil {
			r.batch.Provisional = map[int64]bool{}
		}
		r.batch.Open = append(r.batch.Open, r.add(l))
		r.batch.Provisional[int64(l.ID)] = true
		if !want[l.AccountID] {
			want[l.AccountID] = true
			n.feeds = append(n.feeds, l.AccountID)
		}
		if n.from == "" || l.PostedOn < n.from {
			n.from = l.PostedOn
		}
		if l.PostedOn > n.to {
			n.to = l.PostedOn
		}
	}
	return n, nil
}

// span is the feeds and dates a round's lines cover.
type span struct {
	feeds    []bankfeed.AccountID
	from, to string
}

// review returns the review record being written for a line: its stored
// one for a line of the queue, a new For Review one otherwise.
func (r *round) review(ctx context.Context, key int64) (*bankfeed.Review, error) {
	id := bankfeed.LineID(key)
	if rv := r.reviews[id]; rv != nil {
		return rv, nil
	}
	l := r.lines[key]
	if l == nil {
		return nil, fmt.Errorf("review: the engine named line %d, which it was not given", key)
	}
	var rv *bankfeed.Review
	if l.State != "" {
		var err error
		if rv, err = r.tx.Review(ctx, id); err != nil {
			return nil, err
		}
	} else {
		rv = &bankfeed.Review{LineID: id, AccountID: l.AccountID, State: bankfeed.ReviewPending}
	}
	r.reviews[id] = rv
	r.order = append(r.order, id)
	return rv, nil
}

// decided marks a review record decided automatically now.
func (r *round) decided(rv *bankfeed.Review, state bankfeed.ReviewState) {
	rv.State, rv.Auto, rv.DecidedBy, rv.DecidedAt = state, true, Auto, r.tx.Now()
}

func (r *round) note(action string, line int64, detail any) {
	b, _ := json.Marshal(detail)
	r.audit = append(r.audit, auditRow{action: action, subject: "line " + strconv.FormatInt(line, 10), detail: string(b),
		line: bankfeed.LineID(line)})
}

func (r *round) apply(ctx context.Context, plan *match.Plan) error {
	for _, m := range plan.Merges {
		if err := r.merge(ctx, m); err != nil {
			return err
		}
	}
	for _, v := range plan.Voids {
		if err := r.void(ctx, v); err != nil {
			return err
		}
	}
	for _, a := range plan.Rekeyed {
		r.audit = append(r.audit, auditRow{action: "review.rekeyed", subject: "account " + strconv.FormatInt(a, 10),
			detail: `"the bank gave most of this delivery's lines new ids; they were recognised as lines already in the feed"`})
	}
	inTransfer := map[int64]bool{}
	for _, t := range plan.Transfers {
		if err := r.transfer(ctx, t); err != nil {
			return err
		}
		if t.Auto {
			inTransfer[t.Out], inTransfer[t.In] = true, true
		}
	}
	for i := range plan.Lines {
		if err := r.plan(ctx, &plan.Lines[i], inTransfer); err != nil {
			return err
		}
	}
	return nil
}

// merge: a new line is a stored one under a new id (or a pending line that
// posted): its ids become the stored line's aliases, and a pending line
// takes the posted amount and date.
func (r *round) merge(ctx context.Context, m match.Merge) error {
	nl, old := r.lines[m.New], r.lines[m.Old]
	if nl == nil || old == nil {
		return fmt.Errorf("review: merge of unknown lines %d and %d", m.New, m.Old)
	}
	rv, err := r.review(ctx, m.New)
	if err != nil {
		return err
	}
	oldID := old.ID
	r.decided(rv, bankfeed.ReviewMerged)
	rv.SameAs = &oldID
	if err := r.tx.AddLineAliases(ctx, old.AccountID, old.ID, nl.IDs); err != nil {
		return err
	}
	if m.Why == "pending" {
		if err := r.tx.SettlePending(ctx, old.ID, nl.Amount, nl.PostedOn); err != nil {
			return err
		}
	}
	r.note("review.merge", m.New, map[string]any{"same_as": old.ID, "why": m.Why, "ids": nl.IDs, "amount_changed": m.AmountChanged})
	return nil
}

// void: a pending line that never posted leaves the books.
func (r *round) void(ctx context.Context, v match.Void) error {
	rv, err := r.review(ctx, v.Line)
	if err != nil {
		return err
	}
	if rv.EntryID != nil {
		if err := r.undoEntry(ctx, rv); err != nil {
			return err
		}
	}
	r.decided(rv, bankfeed.ReviewVoided)
	r.note("review.void", v.Line, v.Why)
	return nil
}

// undoEntry takes a line out of the entry it was added to or matched with:
// an entry made from the line goes (its other lines back For Review, each
// with its audit entry), a person's entry only loses the link.
func (r *round) undoEntry(ctx context.Context, rv *bankfeed.Review) error {
	cause := rv.LineID
	return undoEntry(ctx, r.tx, rv, func(line bankfeed.LineID, entry bankfeed.EntryID) error {
		return r.reopen(ctx, line, entry, cause)
	})
}

// reopen puts the other line of an entry the round removes back For
// Review, in the round's records (a line the round also plans keeps one
// record, so the round never writes an older copy over it), and notes it.
func (r *round) reopen(ctx context.Context, line bankfeed.LineID, entry bankfeed.EntryID, cause bankfeed.LineID) error {
	other := r.reviews[line]
	if other == nil {
		var err error
		if _, known := r.lines[int64(line)]; known {
			other, err = r.review(ctx, int64(line))
		} else {
			// A leg outside this round: read it, and write it with the
			// round's records.
			if other, err = r.tx.Review(ctx, line); err == nil {
				r.reviews[line], r.order = other, append(r.order, line)
			}
		}
		if err != nil {
			return err
		}
	}
	r.note("review.reopen", int64(line), reopen(other, entry, cause, r.tx.Now()))
	return nil
}

// transfer makes one transfer entry of two lines, or proposes it.
func (r *round) transfer(ctx context.Context, t match.Transfer) error {
	out, in := r.lines[t.Out], r.lines[t.In]
	if out == nil || in == nil {
		return fmt.Errorf("review: transfer of unknown lines %d and %d", t.Out, t.In)
	}
	ro, err := r.review(ctx, t.Out)
	if err != nil {
		return err
	}
	ri, err := r.review(ctx, t.In)
	if err != nil {
		return err
	}
	ro.TransferWith, ri.TransferWith = &in.ID, &out.ID
	if !t.Auto || heldByPerson(ro) || heldByPerson(ri) {
		return nil
	}
	e, err := transferEntry(ctx, r.tx, out, in, Auto)
	if err != nil {
		return err
	}
	for _, rv := range []*bankfeed.Review{ro, ri} {
		r.decided(rv, bankfeed.ReviewAdded)
		rv.EntryID = &e.ID
		rv.Payee = e.Payee
	}
	r.note("review.auto_transfer", t.Out, map[string]any{"entry": e.ID, "with": in.ID})
	r.note("review.auto_transfer", t.In, map[string]any{"entry": e.ID, "with": out.ID})
	return nil
}

// heldByPerson reports whether a person put a line back For Review (undo):
// then that person decides it, and later rounds only propose.
func heldByPerson(rv *bankfeed.Review) bool {
	return rv.State == bankfeed.ReviewPending && !rv.Auto && rv.DecidedBy != "" && rv.DecidedBy != Auto
}

// plan applies one line's plan: auto match, auto add, exclude, or a
// proposal For Review.
func (r *round) plan(ctx context.Context, p *match.LinePlan, inTransfer map[int64]bool) error {
	rv, err := r.review(ctx, p.Line)
	if err != nil {
		return err
	}
	if r.batch.Provisional[p.Line] {
		return r.replace(ctx, p, rv)
	}
	if rv.State != bankfeed.ReviewPending {
		return nil // decided in this round already (a transfer)
	}
	l := r.lines[p.Line]
	var dupOf bankfeed.EntryID // a possible duplicate stays one while it suggests the same entry
	if PossibleDuplicate(rv) {
		dupOf = *rv.Suggestion
	}
	rv.Payee, rv.Category, rv.Memo, rv.SetBy = p.Labels.Payee, p.Labels.Category, p.Labels.Memo, p.Labels.SetBy
	rv.Suggestion, rv.Score = nil, 0
	if p.Zone >= match.ZoneSuggest {
		sp, ok := r.splits[p.Entry]
		if !ok {
			return fmt.Errorf("review: the engine named split %d, which it was not given", p.Entry)
		}
		e := sp.EntryID
		rv.Suggestion, rv.Score = &e, p.Score
		if e == dupOf {
			markDuplicate(rv)
		}
	}
	switch {
	case inTransfer[p.Line], heldByPerson(rv):
		return nil
	case p.Zone == match.ZoneAuto:
		sp := r.splits[p.Entry]
		if err := r.tx.LinkLine(ctx, sp.ID, l.ID); err != nil {
			return err
		}
		e := sp.EntryID
		r.decided(rv, bankfeed.ReviewMatched)
		rv.EntryID = &e
		r.note("review.auto_match", p.Line, map[string]any{"entry": e, "score": p.Score, "runner_up": p.RunnerUp})
	case p.Exclude:
		r.decided(rv, bankfeed.ReviewExcluded)
		r.note("review.auto_exclude", p.Line, map[string]any{"set_by": p.Labels.SetBy["exclude"]})
	case p.Add:
		e, err := addEntry(ctx, r.tx, l, p.Labels.Payee, p.Labels.Memo, categorySplits(l, p.Labels), bankfeed.OriginRule, Auto)
		if err != nil {
			return err
		}
		r.decided(rv, bankfeed.ReviewAdded)
		rv.EntryID = &e.ID
		r.note("review.auto_add", p.Line, map[string]any{"entry": e.ID, "category": p.Labels.Category, "set_by": p.Labels.SetBy})
	}
	return nil
}

// replace: an entry a person typed claims a line booked without review. The
// entry made for the line goes (a transfer's other leg back For Review,
// unless its own plan links it too) and the line is linked to the typed
// entry. An entry that may be the line's event but is not safe to take for
// it (LinePlan.Duplicate) puts the line back For Review instead, its made
// entry gone, with the typed entry as its suggestion: the person says
// whether they typed what bankfeed had booked, rather than find both in
// the books. Any other plan leaves a provisional line as it is.
func (r *round) replace(ctx context.Context, p *match.LinePlan, rv *bankfeed.Review) error {
	if p.Zone != match.ZoneAuto && !p.Duplicate {
		return nil
	}
	sp, ok := r.splits[p.Entry]
	if !ok {
		return fmt.Errorf("review: the engine named split %d, which it was not given", p.Entry)
	}
	made, was := rv.EntryID, rv.State
	if err := r.unbook(ctx, rv); err != nil {
		return err
	}
	e := sp.EntryID
	if p.Duplicate {
		rv.State, rv.EntryID, rv.Auto, rv.DecidedBy, rv.DecidedAt = bankfeed.ReviewPending, nil, false, "", r.tx.Now()
		rv.Payee, rv.Category, rv.Memo, rv.SetBy = p.Labels.Payee, p.Labels.Category, p.Labels.Memo, p.Labels.SetBy
		rv.Suggestion, rv.Score, rv.TransferWith = &e, p.Score, nil
		markDuplicate(rv)
		r.note("review.reopen", p.Line, map[string]any{"was": was, "entry": made, "duplicate_of": e, "score": p.Score})
		return nil
	}
	if err := r.tx.LinkLine(ctx, sp.ID, bankfeed.LineID(p.Line)); err != nil {
		return err
	}
	r.decided(rv, bankfeed.ReviewMatched)
	rv.EntryID, rv.TransferWith = &e, nil
	r.note("review.auto_replace", p.Line, map[string]any{"entry": e, "replaced": made, "score": p.Score})
	return nil
}

// PossibleDuplicate reports whether a line's suggestion is an entry a
// person typed after bankfeed had booked the line without review, which
// may be the same event (its SetBy says "suggestion": "duplicate"): the
// line was put back For Review so that the person matches it to that entry
// or adds it again, and faces say so.
func PossibleDuplicate(rv *bankfeed.Review) bool {
	return rv.Suggestion != nil && rv.SetBy["suggestion"] == "duplicate"
}

// markDuplicate marks a line's suggestion a possible duplicate.
func markDuplicate(rv *bankfeed.Review) {
	by := make(map[string]string, len(rv.SetBy)+1)
	for k, v := range rv.SetBy {
		by[k] = v
	}
	by["suggestion"] = "duplicate"
	rv.SetBy = by
}

// unbook deletes the entry bankfeed made for a line booked without review;
// the other lines of that entry (a transfer's other leg) go back For
// Review, unless the round's plan links them too.
func (r *round) unbook(ctx context.Context, rv *bankfeed.Review) error {
	if rv.EntryID == nil {
		return nil
	}
	e, err := r.tx.Entry(ctx, *rv.EntryID)
	switch {
	case bankfeed.ErrorCodeOf(err) == bankfeed.ENotFound:
		return nil
	case err != nil:
		return err
	}
	if err := r.tx.DeleteEntry(ctx, e.ID); err != nil {
		return err
	}
	for _, s := range e.Splits {
		for _, l := range s.Lines {
			if l == rv.LineID {
				continue
			}
			if err := r.reopen(ctx, l, e.ID, rv.LineID); err != nil {
				return err
			}
			r.reviews[l].TransferWith = nil
		}
	}
	return nil
}

// categorySplits turns labels into the category side of an entry: the
// rule's split parts, or the one category.
func categorySplits(l *store.ReviewLine, lb match.Labels) []catSplit {
	places := bankfeed.CurrencyPlaces(l.Currency)
	if len(lb.Splits) > 0 {
		out := make([]catSplit, len(lb.Splits))
		for i, s := range lb.Splits {
			out[i] = catSplit{Account: s.Category, Amount: bankfeed.NewDecimal(-s.Amount, places)}
		}
		return out
	}
	if lb.Category == "" {
		return nil
	}
	return []catSplit{{Account: lb.Category, Amount: l.Amount.Neg()}}
}

// flush writes the review records and the audit entries of the round.
func (r *round) flush(ctx context.Context) error {
	sort.Slice(r.order, func(i, j int) bool { return r.order[i] < r.order[j] })
	rs := make([]*bankfeed.Review, len(r.order))
	for i, id := range r.order {
		rs[i] = r.reviews[id]
	}
	if err := r.tx.PutReviews(ctx, rs); err != nil {
		return err
	}
	for _, a := range r.audit {
		if err := r.tx.Audit(ctx, Auto, a.action, a.subject, a.detail); err != nil {
			return err
		}
	}
	report(ctx, r.audit)
	return nil
}
