// Package books wires the review queue to the store's bank rules and to what
// confirmed decisions teach. Every face (the CLI, the web interface, the API)
// builds its review service here, so all of them decide alike.
package books

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/bankfeed/bankfeed/internal/match"
	"github.com/bankfeed/bankfeed/internal/review"
	"github.com/bankfeed/bankfeed/internal/rules"
	"github.com/bankfeed/bankfeed/internal/store"
)

// learnFrom is how many of the newest confirmed decisions learning reads.
const learnFrom = 5000

// ReviewService is the review queue over db, labelling lines with the
// store's bank rules and what its confirmed decisions teach, and writing
// what they teach down as rules a person can see.
func ReviewService(db *store.DB) *review.Service {
	s := review.New(db, func(ctx context.Context, tx *store.Tx) (match.Labeler, func(string) string, error) {
		lb, err := Labeler(ctx, db, tx)
		if err != nil {
			return nil, nil, err
		}
		return lb, func(text string) string {
			p, _ := lb.Learner.Payee(text)
			return p
		}, nil
	}, rules.NormalizeDescriptor)
	s.OnConfirmed(func(ctx context.Context, tx *store.Tx, actor string) (bool, error) { return WriteLearned(ctx, db, tx) })
	s.OnUndone(func(ctx context.Context, tx *store.Tx, payee string) (bool, error) {
		return Unlearn(ctx, db, tx, payee)
	})
	return s
}

// Unlearn takes down the learned rule of payee when its votes are gone (a
// person took back the adds that taught it: 3 of the payee's last 5
// confirmed decisions no longer agree), and writes what the remaining
// decisions still teach (WriteLearned). Only payee's rule is looked at: a
// rule whose votes merely fell out of the decisions the learner reads
// stays. Taking a rule down is in the audit log (rule.unlearn), by
// "bankfeed"; what the rule added stays added.
func Unlearn(ctx context.Context, db *store.DB, tx *store.Tx, payee string) (relabel bool, err error) {
	l, err := Learner(ctx, db, tx)
	if err != nil {
		return false, err
	}
	backed := map[string]bool{}
	for _, r := range l.CategoryRules() {
		backed[strings.ToLower(r.Name)] = true
	}
	recs, err := tx.Rules(ctx)
	if err != nil {
		return false, err
	}
	for _, rec := range recs {
		if rec.Origin != rules.OriginLearned || backed[strings.ToLower(rec.Name)] {
			continue
		}
		r, err := RuleOf(rec)
		if err != nil || !learnedFor(r, payee) {
			continue
		}
		if err := tx.RemoveRule(ctx, rec.ID); err != nil {
			return false, err
		}
		if err := auditRule(ctx, tx, "rule.unlearn", rec); err != nil {
			return false, err
		}
		relabel = relabel || rec.Enabled
	}
	more, err := writeLearned(ctx, tx, l)
	return relabel || more, err
}

// learnedFor reports whether r is the learned category rule of payee.
func learnedFor(r *rules.Rule, payee string) bool {
	return len(r.Conditions) == 1 && r.Conditions[0].Field == rules.FieldPayee && r.Conditions[0].Op == rules.OpIs &&
		strings.EqualFold(strings.TrimSpace(r.Conditions[0].Value), strings.TrimSpace(payee))
}

// Labeler builds the rules and the learner from the store.
func Labeler(ctx context.Context, db *store.DB, tx *store.Tx) (*rules.Labeler, error) {
	recs, err := tx.Rules(ctx)
	if err != nil {
		return nil, err
	}
	rs := make([]*rules.Rule, 0, len(recs))
	for _, r := range recs {
		rule, err := RuleOf(r)
		if err != nil {
			return nil, err
		}
		rs = append(rs, rule)
	}
	set, err := rules.Compile(rs)
	if err != nil {
		return nil, err
	}
	l, err := Learner(ctx, db, tx)
	if err != nil {
		return nil, err
	}
	accounts, err := tx.LedgerAccounts(ctx)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, a := range accounts {
		if a.FeedAccountID != nil {
			names[int64(*a.FeedAccountID)] = a.Name
		}
	}
	return &rules.Labeler{Rules: set, Learner: l, AccountName: func(feed int64) string { return names[feed] }}, nil
}

// Learner replays the stored aliases and confirmed decisions.
func Learner(ctx context.Context, db *store.DB, tx *store.Tx) (*rules.Learner, error) {
	l := rules.NewLearner()
	aliases, err := db.PayeeAliases(ctx)
	if err != nil {
		return nil, err
	}
	for d, p := range aliases {
		l.LoadAlias(d, p)
	}
	decisions, err := tx.Decisions(ctx, learnFrom)
	if err != nil {
		return nil, err
	}
	for _, d := range decisions {
		day, _ := match.DayOf(d.PostedOn)
		l.Confirm(rules.Confirmation{Text: d.Text, Payee: d.Payee, Category: d.Category, Day: day, Amount: d.Minor})
	}
	return l, nil
}

// WriteLearned writes down what confirmed decisions taught: a payee's
// category once 3 of its last 5 agree (a learned rule, enabled), and a rule
// proposed after 3 identical choices for a descriptor (disabled until a
// person enables it). A rule already there keeps what a person set (enabled
// or not); a learned rule follows its payee's new category. Each change is
// in the audit log, by "bankfeed". relabel reports a change to an enabled
// rule, which labels lines another way from now on (a proposed rule is
// disabled and changes nothing until a person enables it).
func WriteLearned(ctx context.Context, db *store.DB, tx *store.Tx) (relabel bool, err error) {
	l, err := Learner(ctx, db, tx)
	if err != nil {
		return false, err
	}
	return writeLearned(ctx, tx, l)
}

// writeLearned is WriteLearned with the learner built.
func writeLearned(ctx context.Context, tx *store.Tx, l *rules.Learner) (relabel bool, err error) {
	recs, err := tx.Rules(ctx)
	if err != nil {
		return false, err
	}
	byName := map[string]*store.RuleRecord{}
	for _, r := range recs {
		byName[r.Name] = r
	}
	for _, r := range append(l.CategoryRules(), l.Proposals()...) {
		def := r.Definition()
		old := byName[r.Name]
		switch {
		case old == nil:
			rec := &store.RuleRecord{Name: r.Name, Stage: r.Stage, Enabled: r.Enabled, Origin: r.Origin, Definition: def}
			if err := tx.AddRule(ctx, rec); err != nil {
				return false, err
			}
			if err := auditRule(ctx, tx, "rule.learn", rec); err != nil {
				return false, err
			}
			relabel = relabel || rec.Enabled
		case old.Origin == rules.OriginLearned && old.Definition != def:
			old.Definition = def
			if err := tx.UpdateRule(ctx, old); err != nil {
				return false, err
			}
			if err := auditRule(ctx, tx, "rule.relearn", old); err != nil {
				return false, err
			}
			relabel = relabel || old.Enabled
		}
	}
	return relabel, nil
}

func auditRule(ctx context.Context, tx *store.Tx, action string, r *store.RuleRecord) error {
	b, _ := json.Marshal(map[string]any{"name": r.Name, "origin": r.Origin, "enabled": r.Enabled, "definition": json.RawMessage(r.Definition)})
	return tx.Audit(ctx, review.Auto, action, "rule "+strconv.FormatInt(r.ID, 10), string(b))
}

// RuleOf reads a rule from its record.
func RuleOf(rec *store.RuleRecord) (*rules.Rule, error) {
	r := &rules.Rule{ID: rec.ID, Name: rec.Name, Stage: rec.Stage, Priority: rec.Priority, Enabled: rec.Enabled, Origin: rec.Origin}
	if err := r.SetDefinition(rec.Definition); err != nil {
		return nil, err
	}
	return r, nil
}

// RecordOf is the record of a rule.
func RecordOf(r *rules.Rule) *store.RuleRecord {
	return &store.RuleRecord{ID: r.ID, Name: r.Name, Stage: r.Stage, Priority: r.Priority, Enabled: r.Enabled,
		Origin: r.Origin, Definition: r.Definition()}
}
