package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

// What a decision lacks when review proposes nothing for it. The errors of
// Add, Match and Transfer wrap them, with the code EInvalid and a message
// that names the field ("category: required to add line 12 (review
// proposes no category)"), the same for every face: the CLI may add its
// own flag to them (errors.Is).
var (
	ErrNoCategory  = errors.New("review proposes no category")
	ErrNoEntry     = errors.New("review proposes no entry")
	ErrNoOtherSide = errors.New("review proposes no other side")
)

// noCategory is the error of an add without a category.
func noCategory(line bankfeed.LineID) error {
	return bankfeed.Errorf(bankfeed.EInvalid, "category: required to add line %d (%w)", line, ErrNoCategory)
}

// catSplit is the category side of an entry made from a line.
type catSplit struct {
	Account string
	Amount  bankfeed.Decimal
}

// addEntry makes an entry of a feed line: its bank side in the feed's ledger
// account, linked to the line, and the category side. A category not yet in
// the chart of accounts is added to it.
func addEntry(ctx context.Context, tx *store.Tx, l *store.ReviewLine, payee, memo string, cats []catSplit, origin, actor string) (*bankfeed.Entry, error) {
	la, err := tx.FeedLedgerAccount(ctx, l.AccountID)
	if err != nil {
		return nil, err
	}
	if len(cats) == 0 {
		return nil, noCategory(l.ID)
	}
	if payee == "" {
		payee = strings.TrimSpace(l.Name)
	}
	e := &bankfeed.Entry{Date: l.PostedOn, Payee: payee, Memo: memo, CheckNum: l.CheckNum, Origin: origin, Splits: []bankfeed.Split{
		{AccountID: la.ID, Amount: l.Amount, Currency: l.Currency, Lines: []bankfeed.LineID{l.ID}}}}
	for _, c := range cats {
		if err := ensureAccount(ctx, tx, c.Account, l.Currency); err != nil {
			return nil, err
		}
		e.Splits = append(e.Splits, bankfeed.Split{AccountName: c.Account, Amount: c.Amount, Currency: l.Currency})
	}
	if err := tx.AddEntry(ctx, e, actor); err != nil {
		return nil, err
	}
	return e, nil
}

// ensureAccount adds a category to the chart of accounts when it is not
// there.
func ensureAccount(ctx context.Context, tx *store.Tx, name, currency string) error {
	_, err := tx.LedgerAccountByName(ctx, name)
	if bankfeed.ErrorCodeOf(err) != bankfeed.ENotFound {
		return err
	}
	return tx.AddLedgerAccount(ctx, &bankfeed.LedgerAccount{Name: name, Currency: currency})
}

// transferEntry makes one entry of the two legs of a transfer between own
// accounts, each bank side linked to its line.
func transferEntry(ctx context.Context, tx *store.Tx, out, in *store.ReviewLine, actor string) (*bankfeed.Entry, error) {
	if out.Currency != in.Currency || !out.Amount.Neg().Equal(in.Amount) {
		return nil, bankfeed.Errorf(bankfeed.EInvalid, "lines %d (%s %s) and %d (%s %s) are not the two sides of one transfer",
			out.ID, out.Amount, out.Currency, in.ID, in.Amount, in.Currency)
	}
	lo, err := tx.FeedLedgerAccount(ctx, out.AccountID)
	if err != nil {
		return nil, err
	}
	li, err := tx.FeedLedgerAccount(ctx, in.AccountID)
	if err != nil {
		return nil, err
	}
	date := out.PostedOn
	if in.PostedOn < date {
		date = in.PostedOn
	}
	e := &bankfeed.Entry{Date: date, Payee: "Transfer", Memo: strings.TrimSpace(out.Name), Origin: bankfeed.OriginTransfer, Splits: []bankfeed.Split{
		{AccountID: lo.ID, Amount: out.Amount, Currency: out.Currency, Lines: []bankfeed.LineID{out.ID}},
		{AccountID: li.ID, Amount: in.Amount, Currency: in.Currency, Lines: []bankfeed.LineID{in.ID}}}}
	if err := tx.AddEntry(ctx, e, actor); err != nil {
		return nil, err
	}
	return e, nil
}

// undoEntry takes a line out of its entry: an entry made from lines (feed,
// rule, transfer) is removed, and reopen puts each other line of it (a
// transfer's other leg) back For Review; a person's entry only loses the
// link.
func undoEntry(ctx context.Context, tx *store.Tx, rv *bankfeed.Review, reopenLeg func(line bankfeed.LineID, entry bankfeed.EntryID) error) error {
	if rv.EntryID == nil {
		return nil
	}
	e, err := tx.Entry(ctx, *rv.EntryID)
	if bankfeed.ErrorCodeOf(err) == bankfeed.ENotFound {
		rv.EntryID = nil
		return nil
	}
	if err != nil {
		return err
	}
	if e.Origin == bankfeed.OriginUser {
		if err := tx.UnlinkLine(ctx, rv.LineID); err != nil {
			return err
		}
	} else {
		if err := tx.DeleteEntry(ctx, e.ID); err != nil {
			return err
		}
		for _, s := range e.Splits {
			for _, l := range s.Lines {
				if l == rv.LineID {
					continue
				}
				if err := reopenLeg(l, e.ID); err != nil {
					return err
				}
			}
		}
	}
	rv.EntryID = nil
	return nil
}

// reopen puts a line back For Review because the entry it shared with the
// line cause went (a transfer's other leg undone, voided or claimed by a
// typed entry), and returns the audit detail of the change. No person
// holds the line: the next round proposes for it afresh.
func reopen(rv *bankfeed.Review, entry bankfeed.EntryID, cause bankfeed.LineID, now time.Time) map[string]any {
	detail := map[string]any{"was": rv.State, "entry": entry, "with": cause}
	rv.State, rv.EntryID, rv.Auto, rv.DecidedBy, rv.DecidedAt = bankfeed.ReviewPending, nil, false, "", now
	return detail
}

// audit writes the audit entry of a change to a line's review record.
func audit(ctx context.Context, tx *store.Tx, actor, action string, line bankfeed.LineID, detail any) error {
	b, _ := json.Marshal(detail)
	subject := "line " + strconv.FormatInt(int64(line), 10)
	if err := tx.Audit(ctx, actor, action, subject, string(b)); err != nil {
		return err
	}
	report(ctx, []auditRow{{action: action, subject: subject, line: line}})
	return nil
}

// reopenNow is undoEntry's reopen for a person's decision: the other leg
// is written at once, with its audit entry in the person's name.
func reopenNow(ctx context.Context, tx *store.Tx, actor string, cause bankfeed.LineID) func(bankfeed.LineID, bankfeed.EntryID) error {
	return func(line bankfeed.LineID, entry bankfeed.EntryID) error {
		other, err := tx.Review(ctx, line)
		if err != nil {
			return err
		}
		detail := reopen(other, entry, cause, tx.Now())
		if err := tx.PutReviews(ctx, []*bankfeed.Review{other}); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "review.reopen", line, detail)
	}
}

// Decision is what a person decides about a line.
type Decision struct {
	Line  bankfeed.LineID
	Payee string
	Memo  string
	// Category for an add; Splits instead for an add split across
	// categories (amounts as the category side, summing to minus the
	// line's amount).
	Category string
	Splits   []CategorySplit
	// Entry for a match: the entry whose bank side the line is. 0: the
	// suggestion.
	Entry bankfeed.EntryID
	// With for a transfer: the other line. 0: the proposed one.
	With bankfeed.LineID
}

// CategorySplit is one part of an add split across categories.
type CategorySplit struct {
	Account string
	Amount  bankfeed.Decimal
}

// pending reads a line and its review record, and checks the line is For
// Review.
func pending(ctx context.Context, tx *store.Tx, id bankfeed.LineID) (*store.ReviewLine, *bankfeed.Review, error) {
	rv, err := tx.Review(ctx, id)
	if bankfeed.ErrorCodeOf(err) == bankfeed.ENotFound {
		return nil, nil, bankfeed.Errorf(bankfeed.ENotFound, "line %d is not in review (no such line, or it came before review was kept)", id)
	}
	if err != nil {
		return nil, nil, err
	}
	if rv.State != bankfeed.ReviewPending {
		return nil, nil, bankfeed.Errorf(bankfeed.EConflict, "line %d is already %s; undo it first", id, rv.State)
	}
	l, err := reviewLine(ctx, tx, id)
	return l, rv, err
}

func reviewLine(ctx context.Context, tx *store.Tx, id bankfeed.LineID) (*store.ReviewLine, error) {
	line, err := tx.Line(ctx, id)
	if err != nil {
		return nil, err
	}
	minor, _ := line.Amount.MinorUnits(bankfeed.CurrencyPlaces(line.Currency))
	return &store.ReviewLine{ID: line.ID, AccountID: line.AccountID, PostedOn: line.PostedOn, Amount: line.Amount, Minor: minor,
		Currency: line.Currency, Name: line.Name, Memo: line.Memo, CheckNum: line.CheckNum, RefNum: line.RefNum}, nil
}

// decide records a person's decision and its audit entry.
func decide(ctx context.Context, tx *store.Tx, rv *bankfeed.Review, state bankfeed.ReviewState, actor, action string, detail any) error {
	rv.State, rv.Auto, rv.DecidedBy, rv.DecidedAt = state, false, actor, tx.Now()
	if err := tx.PutReviews(ctx, []*bankfeed.Review{rv}); err != nil {
		return err
	}
	return audit(ctx, tx, actor, action, rv.LineID, detail)
}

// Add adds a line to the books as a new entry, with the category (or
// splits) given, else the one review proposed. A line bankfeed added on its
// own as the person asks (confirmAdded) is theirs from then on.
func (s *Service) Add(ctx context.Context, actor string, d Decision) (*bankfeed.Entry, error) {
	var e *bankfeed.Entry
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if e, err = s.confirmAdded(ctx, tx, actor, d); err != nil || e != nil {
			return err
		}
		l, rv, err := pending(ctx, tx, d.Line)
		if err != nil {
			return err
		}
		payee, memo, category := first(d.Payee, rv.Payee), first(d.Memo, rv.Memo), first(d.Category, rv.Category)
		var cats []catSplit
		if len(d.Splits) > 0 {
			for _, c := range d.Splits {
				cats = append(cats, catSplit(c))
			}
		} else if category != "" {
			cats = []catSplit{{Account: category, Amount: l.Amount.Neg()}}
		}
		if len(cats) == 0 {
			return noCategory(d.Line)
		}
		if e, err = addEntry(ctx, tx, l, payee, memo, cats, bankfeed.OriginFeed, actor); err != nil {
			return err
		}
		rv.EntryID, rv.Payee, rv.Memo = &e.ID, e.Payee, memo
		rv.Category = cats[0].Account
		if err := s.learnAlias(ctx, tx, l, d.Payee); err != nil {
			return err
		}
		if err := decide(ctx, tx, rv, bankfeed.ReviewAdded, actor, "review.add", map[string]any{"entry": e.ID, "payee": e.Payee, "splits": cats}); err != nil {
			return err
		}
		return s.confirmed(ctx, tx, actor)
	})
	return e, err
}

// confirmAdded takes a person's add of a line that bankfeed added without
// review as their confirmation, when the entry made is what they ask for:
// the same category (or splits), and the payee and memo they give, if
// any. This happens when a decision teaches a rule that adds the payee's
// other waiting lines at once, while the person adds them one by one (or
// in bulk) with the same category. The line is then the person's decision,
// with its audit entry, and learning counts it; the entry stays. It
// returns nil for any other line, which Add decides as usual.
func (s *Service) confirmAdded(ctx context.Context, tx *store.Tx, actor string, d Decision) (*bankfeed.Entry, error) {
	rv, err := tx.Review(ctx, d.Line)
	if bankfeed.ErrorCodeOf(err) == bankfeed.ENotFound {
		return nil, nil // Add says so
	}
	if err != nil || rv.State != bankfeed.ReviewAdded || !rv.Auto || rv.EntryID == nil {
		return nil, err
	}
	e, err := tx.Entry(ctx, *rv.EntryID)
	if bankfeed.ErrorCodeOf(err) == bankfeed.ENotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if e.Origin != bankfeed.OriginRule || !asked(e, d, rv.Category) {
		return nil, nil
	}
	l, err := reviewLine(ctx, tx, d.Line)
	if err != nil {
		return nil, err
	}
	if err := s.learnAlias(ctx, tx, l, d.Payee); err != nil {
		return nil, err
	}
	if err := decide(ctx, tx, rv, bankfeed.ReviewAdded, actor, "review.add", map[string]any{"entry": e.ID, "payee": e.Payee, "added_by": Auto}); err != nil {
		return nil, err
	}
	return e, s.confirmed(ctx, tx, actor)
}

// asked reports whether entry e, made from one line, is the add a person
// asks for in d (category "" for the one proposed): its category sides are
// d's splits, or the one category; its payee and memo are d's when given.
func asked(e *bankfeed.Entry, d Decision, proposed string) bool {
	if (d.Payee != "" && d.Payee != e.Payee) || (d.Memo != "" && d.Memo != e.Memo) {
		return false
	}
	var cats []bankfeed.Split // the sides no line is linked to
	for _, sp := range e.Splits {
		if len(sp.Lines) == 0 {
			cats = append(cats, sp)
		}
	}
	if len(d.Splits) > 0 {
		if len(cats) != len(d.Splits) {
			return false
		}
		for i, c := range d.Splits {
			if cats[i].AccountName != c.Account || !cats[i].Amount.Equal(c.Amount) {
				return false
			}
		}
		return true
	}
	return len(cats) == 1 && cats[0].AccountName == first(d.Category, proposed)
}

// Match links a line to an entry already in the books: the split of that
// entry in the line's bank account, not yet linked, of the same amount.
func (s *Service) Match(ctx context.Context, actor string, d Decision) (*bankfeed.Entry, error) {
	var e *bankfeed.Entry
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		l, rv, err := pending(ctx, tx, d.Line)
		if err != nil {
			return err
		}
		id := d.Entry
		if id == 0 {
			if rv.Suggestion == nil {
				return bankfeed.Errorf(bankfeed.EInvalid, "entry_id: required to match line %d (%w)", d.Line, ErrNoEntry)
			}
			id = *rv.Suggestion
		}
		if e, err = tx.Entry(ctx, id); err != nil {
			return err
		}
		la, err := tx.FeedLedgerAccount(ctx, l.AccountID)
		if err != nil {
			return err
		}
		var split *bankfeed.Split
		for i := range e.Splits {
			sp := &e.Splits[i]
			if sp.AccountID == la.ID && len(sp.Lines) == 0 && sp.Status != bankfeed.SplitReconciled {
				split = sp
				break
			}
		}
		if split == nil {
			return bankfeed.Errorf(bankfeed.EInvalid, "entry %d has no open split in %s, the account of line %d", id, la.Name, d.Line)
		}
		if !split.Amount.Equal(l.Amount) {
			return bankfeed.Errorf(bankfeed.EInvalid, "entry %d says %s in %s, line %d says %s: fix the entry or add the line as new",
				id, split.Amount, la.Name, d.Line, l.Amount)
		}
		if err := tx.LinkLine(ctx, split.ID, l.ID); err != nil {
			return err
		}
		rv.EntryID = &e.ID
		if rv.Payee == "" || d.Payee != "" {
			rv.Payee = first(d.Payee, e.Payee)
		}
		for _, sp := range e.Splits {
			if sp.ID != split.ID {
				rv.Category = sp.AccountName
				break
			}
		}
		if err := s.learnAlias(ctx, tx, l, first(d.Payee, e.Payee)); err != nil {
			return err
		}
		if err := decide(ctx, tx, rv, bankfeed.ReviewMatched, actor, "review.match", map[string]any{"entry": e.ID, "split": split.ID}); err != nil {
			return err
		}
		return s.confirmed(ctx, tx, actor)
	})
	return e, err
}

// Transfer makes one transfer entry of a line and its other side in another
// own account.
func (s *Service) Transfer(ctx context.Context, actor string, d Decision) (*bankfeed.Entry, error) {
	var e *bankfeed.Entry
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		l, rv, err := pending(ctx, tx, d.Line)
		if err != nil {
			return err
		}
		with := d.With
		if with == 0 {
			if rv.TransferWith == nil {
				return bankfeed.Errorf(bankfeed.EInvalid, "with: required to make a transfer of line %d (%w)", d.Line, ErrNoOtherSide)
			}
			with = *rv.TransferWith
		}
		o, orv, err := pending(ctx, tx, with)
		if err != nil {
			return err
		}
		if o.AccountID == l.AccountID {
			return bankfeed.Errorf(bankfeed.EInvalid, "with: lines %d and %d are in the same account; a transfer is between two", d.Line, with)
		}
		out, in := l, o
		if l.Amount.Sign() > 0 {
			out, in = o, l
		}
		if e, err = transferEntry(ctx, tx, out, in, actor); err != nil {
			return err
		}
		rv.TransferWith, orv.TransferWith = &o.ID, &l.ID
		for _, r := range []*bankfeed.Review{rv, orv} {
			r.EntryID, r.Payee = &e.ID, e.Payee
			if err := decide(ctx, tx, r, bankfeed.ReviewAdded, actor, "review.transfer", map[string]any{"entry": e.ID}); err != nil {
				return err
			}
		}
		return nil
	})
	return e, err
}

// Exclude keeps a line out of the books.
func (s *Service) Exclude(ctx context.Context, actor string, line bankfeed.LineID, reason string) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		_, rv, err := pending(ctx, tx, line)
		if err != nil {
			return err
		}
		return decide(ctx, tx, rv, bankfeed.ReviewExcluded, actor, "review.exclude", map[string]any{"reason": reason})
	})
}

// Undo puts a decided line back For Review: an entry made from it is
// removed (a person's entry only loses the link), a merged line is its own
// line again.
func (s *Service) Undo(ctx context.Context, actor string, line bankfeed.LineID) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		rv, err := tx.Review(ctx, line)
		if err != nil {
			return err
		}
		was := rv.State
		switch was {
		case bankfeed.ReviewPending:
			return bankfeed.Errorf(bankfeed.EConflict, "line %d is For Review: nothing to undo", line)
		case bankfeed.ReviewAdded, bankfeed.ReviewMatched:
			if err := undoEntry(ctx, tx, rv, reopenNow(ctx, tx, actor, line)); err != nil {
				return err
			}
		case bankfeed.ReviewMerged:
			if rv.SameAs != nil {
				own, err := tx.Line(ctx, line)
				if err != nil {
					return err
				}
				if err := tx.RemoveLineAliases(ctx, own.AccountID, *rv.SameAs, []string{own.FITID}); err != nil {
					return err
				}
			}
			rv.SameAs = nil
		}
		rv.TransferWith = nil
		// A person's own add or match was a vote for its payee's category:
		// taken back, it no longer counts.
		personal := (was == bankfeed.ReviewAdded || was == bankfeed.ReviewMatched) && !rv.Auto && rv.DecidedBy != Auto
		payee := rv.Payee
		// Not matched again at once: the person just took the decision
		// back, and the next delivery proposes afresh.
		if err := decide(ctx, tx, rv, bankfeed.ReviewPending, actor, "review.undo", map[string]any{"was": was}); err != nil {
			return err
		}
		if !personal {
			return nil
		}
		return s.undone(ctx, tx, payee)
	})
}

// learnAlias remembers what a person called the payee of a descriptor.
func (s *Service) learnAlias(ctx context.Context, tx *store.Tx, l *store.ReviewLine, payee string) error {
	if payee == "" || s.normalize == nil {
		return nil
	}
	key := s.normalize(strings.TrimSpace(l.Name + " " + l.Memo))
	if key == "" {
		return nil
	}
	return tx.SetPayeeAlias(ctx, key, payee, "learned")
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// String describes a decision for messages.
func (d Decision) String() string { return fmt.Sprintf("line %d", d.Line) }

// AddEntry adds an entry a person typed, then matches the open queue of the
// feeds it touches again: a line that came before the entry is claimed now.
func (s *Service) AddEntry(ctx context.Context, actor string, e *bankfeed.Entry) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		// A category named for the first time joins the chart of accounts.
		for _, sp := range e.Splits {
			if sp.AccountID == 0 && store.CheckLedgerAccountName(sp.AccountName) == nil {
				if err := ensureAccount(ctx, tx, sp.AccountName, sp.Currency); err != nil {
					return err
				}
			}
		}
		if err := tx.AddEntry(ctx, e, actor); err != nil {
			return err
		}
		b, _ := json.Marshal(e)
		if err := tx.Audit(ctx, actor, "entry.add", "entry "+strconv.FormatInt(int64(e.ID), 10), string(b)); err != nil {
			return err
		}
		feeds, err := feedsOf(ctx, tx, e)
		if err != nil || len(feeds) == 0 {
			return err
		}
		return s.Rematch(ctx, tx, feeds)
	})
}

// RemoveEntry removes an entry; the lines that were added to it or matched
// with it go back For Review.
func (s *Service) RemoveEntry(ctx context.Context, actor string, id bankfeed.EntryID) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		e, err := tx.Entry(ctx, id)
		if err != nil {
			return err
		}
		feeds, err := feedsOf(ctx, tx, e)
		if err != nil {
			return err
		}
		if err := tx.DeleteEntry(ctx, id); err != nil {
			return err
		}
		for _, sp := range e.Splits {
			for _, l := range sp.Lines {
				rv, err := tx.Review(ctx, l)
				if bankfeed.ErrorCodeOf(err) == bankfeed.ENotFound {
					continue
				}
				if err != nil {
					return err
				}
				was := rv.State
				rv.State, rv.EntryID, rv.TransferWith, rv.Auto, rv.DecidedBy, rv.DecidedAt = bankfeed.ReviewPending, nil, nil, false, actor, tx.Now()
				if err := tx.PutReviews(ctx, []*bankfeed.Review{rv}); err != nil {
					return err
				}
				if err := audit(ctx, tx, actor, "review.reopen", l, map[string]any{"was": was, "entry": id}); err != nil {
					return err
				}
			}
		}
		b, _ := json.Marshal(e)
		if err := tx.Audit(ctx, actor, "entry.remove", "entry "+strconv.FormatInt(int64(id), 10), string(b)); err != nil {
			return err
		}
		if len(feeds) == 0 {
			return nil
		}
		return s.Rematch(ctx, tx, feeds)
	})
}

// feedsOf lists the feeds whose ledger accounts an entry has splits in.
func feedsOf(ctx context.Context, tx *store.Tx, e *bankfeed.Entry) ([]bankfeed.AccountID, error) {
	var feeds []bankfeed.AccountID
	for _, sp := range e.Splits {
		if sp.ID == 0 {
			continue
		}
		_, feed, err := tx.SplitEntry(ctx, sp.ID)
		if err != nil {
			return nil, err
		}
		if feed != 0 {
			feeds = append(feeds, feed)
		}
	}
	return feeds, nil
}
