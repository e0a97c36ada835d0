package cli

import (
	"context"

	"github.com/bankfeed/bankfeed/internal/match"
	"github.com/bankfeed/bankfeed/internal/review"
	"github.com/bankfeed/bankfeed/internal/rules"
	"github.com/bankfeed/bankfeed/internal/store"
)

// learnFrom is how many of the newest confirmed decisions learning reads.
const learnFrom = 5000

// reviewService is the review queue over db, labelling lines with the
// store's bank rules and what its confirmed decisions teach.
func reviewService(db *store.DB) *review.Service {
	return review.New(db, func(ctx context.Context, tx *store.Tx) (match.Labeler, func(string) string, error) {
		return labeler(ctx, db, tx)
	}, rules.NormalizeDescriptor)
}

// labeler builds the rules and the learner from the store.
func labeler(ctx context.Context, db *store.DB, tx *store.Tx) (*rules.Labeler, func(string) string, error) {
	recs, err := db.Rules(ctx)
	if err != nil {
		return nil, nil, err
	}
	rs := make([]*rules.Rule, 0, len(recs))
	for _, r := range recs {
		rule := &rules.Rule{ID: r.ID, Name: r.Name, Stage: r.Stage, Priority: r.Priority, Enabled: r.Enabled, Origin: r.Origin}
		if err := rule.SetDefinition(r.Definition); err != nil {
			return nil, nil, err
		}
		rs = append(rs, rule)
	}
	set, err := rules.Compile(rs)
	if err != nil {
		return nil, nil, err
	}
	l := rules.NewLearner()
	aliases, err := db.PayeeAliases(ctx)
	if err != nil {
		return nil, nil, err
	}
	for d, p := range aliases {
		l.LoadAlias(d, p)
	}
	decisions, err := tx.Decisions(ctx, learnFrom)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range decisions {
		day, _ := match.DayOf(d.PostedOn)
		l.Confirm(rules.Confirmation{Account: "", Text: d.Text, Payee: d.Payee, Category: d.Category, Day: day, Amount: d.Minor})
	}
	accounts, err := tx.LedgerAccounts(ctx)
	if err != nil {
		return nil, nil, err
	}
	names := map[int64]string{}
	for _, a := range accounts {
		if a.FeedAccountID != nil {
			names[int64(*a.FeedAccountID)] = a.Name
		}
	}
	lb := &rules.Labeler{Rules: set, Learner: l, AccountName: func(feed int64) string { return names[feed] }}
	payeeOf := func(text string) string {
		p, _ := l.Payee(text)
		return p
	}
	return lb, payeeOf, nil
}
