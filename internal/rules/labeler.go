package rules

import (
	"maps"

	"github.com/bankfeed/bankfeed/internal/match"
)

// Labeler gives review's lines their labels (match.Labeler): the payee
// learned for the descriptor (an alias, else the confirmed payee it names
// in another form: Learner.Payee), else the cleaned descriptor; then the rules, which
// override it; then the category of a rule (confidence 1), else the
// payee's learned category (LearnedConfidence), else the learner's guess
// (Learner.GuessFor) at MinGuessConfidence or more (its confidence). Auto-add, exclude,
// memo, split and transfer come from rules only.
type Labeler struct {
	Rules   *Set     // nil: no rules
	Learner *Learner // nil: nothing learned
	// AccountName names a feed account's bank-side ledger account, for
	// "account" conditions; nil leaves it "".
	AccountName func(feed int64) string
}

var _ match.Labeler = (*Labeler)(nil)

// lineScale is the minor digits of a review line's amount.
const lineScale = 2

// Label returns the line's labels.
func (lb *Labeler) Label(l *match.Line) match.Labels {
	labels, _ := lb.Explain(l)
	return labels
}

// Explain returns the line's labels and what the rules did to it.
func (lb *Labeler) Explain(l *match.Line) (match.Labels, Result) {
	var payee string
	learned := false
	if lb.Learner != nil {
		payee, learned = lb.Learner.Payee(l.Text)
	}
	if !learned {
		payee = CleanPayee(l.Text)
	}
	in := Input{Amount: l.Amount, Scale: lineScale, Description: l.Text, Payee: payee, Check: l.Check, Date: l.Day}
	if lb.AccountName != nil {
		in.Account = lb.AccountName(l.Account)
	}
	res := lb.Rules.Apply(&in)
	labels := match.Labels{
		Payee:    res.Payee,
		Category: res.Category,
		Memo:     res.Memo,
		Splits:   res.Splits,
		Exclude:  res.Exclude,
		AutoAdd:  res.AutoAdd,
		Transfer: res.Transfer,
		SetBy:    maps.Clone(res.SetBy),
	}
	setBy := func(field, by string) {
		if labels.SetBy == nil {
			labels.SetBy = map[string]string{}
		}
		labels.SetBy[field] = by
	}
	if learned && res.SetBy["payee"] == "" {
		setBy("payee", "learned")
	}
	_, transfer := res.SetBy[SetTransfer]
	switch {
	case res.Category != "" || res.Splits != nil:
		labels.Confidence = 1
	case transfer || lb.Learner == nil:
	default:
		if c, ok := lb.Learner.Category(labels.Payee); ok {
			labels.Category, labels.Confidence = c, LearnedConfidence
			setBy("category", "learned")
		} else if c, conf := lb.Learner.GuessFor(labels.Payee, l.Text); c != "" && conf >= MinGuessConfidence {
			labels.Category, labels.Confidence = c, conf
			setBy("category", "learned")
		}
	}
	return labels, res
}
