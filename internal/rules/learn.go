package rules

import (
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/bankfeed/bankfeed/internal/match"
)

// Confirmation is a decision a person confirmed in review: this line
// (descriptor, account, day, amount) is this payee and category. Only
// confirmed decisions teach the Learner; what rules or learning merely
// suggested does not, until a person confirms it.
type Confirmation struct {
	Account  string // the bank-side ledger account's name
	Text     string // the bank's descriptor
	Payee    string
	Category string // "" for a transfer or a split
	Day      match.Day
	Amount   int64
	// Suggested: the person accepted what a rule or learning proposed
	// rather than choosing it. It counts for aliases, categories and the
	// classifier, not toward a proposed rule.
	Suggested bool
}

// Learning thresholds (design note §7).
const (
	// CategoryWindow and CategoryVotes: a payee's category is learned when
	// CategoryVotes of its last CategoryWindow confirmed decisions agree.
	CategoryWindow = 5
	CategoryVotes  = 3
	// ProposeAfter identical manual choices for one normalized descriptor
	// make a proposed rule.
	ProposeAfter = 3
	// MinGuessConfidence is the least confidence at which the classifier's
	// guess is used.
	MinGuessConfidence = 0.9
	// LearnedConfidence is the confidence of a learned payee → category.
	LearnedConfidence = 0.95
)

// Learner learns from confirmed decisions, in memory: descriptor → payee
// aliases, payee → category by votes, a token classifier, and rules to
// propose. It is safe for concurrent use.
type Learner struct {
	mu      sync.RWMutex
	aliases map[string]string   // normalized descriptor → payee
	payees  map[string]*history // lower-case payee → its recent categories
	streaks map[string]streak   // normalized descriptor → the same manual choice, repeated
	nb      bayes
}

// history is a payee's last CategoryWindow confirmed categories, oldest
// first.
type history struct {
	payee string
	last  []string
}

// streak is one manual choice made n times in a row for a descriptor.
type streak struct {
	payee, category string
	n               int
}

// NewLearner returns a Learner that knows nothing yet.
func NewLearner() *Learner {
	return &Learner{
		aliases: map[string]string{},
		payees:  map[string]*history{},
		streaks: map[string]streak{},
		nb:      newBayes(),
	}
}

// Confirm learns from one confirmed decision.
func (l *Learner) Confirm(c Confirmation) {
	desc := NormalizeDescriptor(c.Text)
	payee := strings.TrimSpace(c.Payee)
	category := strings.TrimSpace(c.Category)
	l.mu.Lock()
	defer l.mu.Unlock()
	if desc != "" && payee != "" {
		l.aliases[desc] = payee
	}
	if payee != "" && category != "" {
		key := strings.ToLower(payee)
		h := l.payees[key]
		if h == nil {
			h = &history{}
			l.payees[key] = h
		}
		h.payee = payee
		h.last = append(h.last, category)
		if len(h.last) > CategoryWindow {
			h.last = slices.Delete(h.last, 0, len(h.last)-CategoryWindow)
		}
	}
	if desc != "" && category != "" {
		l.nb.add(desc, category)
	}
	if desc != "" && payee != "" && !c.Suggested {
		s := l.streaks[desc]
		if s.payee == payee && s.category == category {
			s.n++
		} else {
			s = streak{payee: payee, category: category, n: 1}
		}
		l.streaks[desc] = s
	}
}

// Payee returns the payee a confirmed decision gave the descriptor text
// (compared normalized), if any.
func (l *Learner) Payee(text string) (string, bool) {
	desc := NormalizeDescriptor(text)
	l.mu.RLock()
	defer l.mu.RUnlock()
	p, ok := l.aliases[desc]
	return p, ok && desc != ""
}

// Category returns the category of payee when at least CategoryVotes of
// its last CategoryWindow confirmed decisions agree.
func (l *Learner) Category(payee string) (string, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	h := l.payees[strings.ToLower(strings.TrimSpace(payee))]
	if h == nil {
		return "", false
	}
	return h.category()
}

func (h *history) category() (string, bool) {
	votes := map[string]int{}
	for _, c := range h.last {
		votes[c]++
		if votes[c] >= CategoryVotes {
			return c, true
		}
	}
	return "", false
}

// Guess is the classifier's category for a descriptor and its confidence
// in [0, 1]: "" and 0 when no word of the descriptor was seen in a
// confirmed decision. Callers use it at MinGuessConfidence or more.
func (l *Learner) Guess(text string) (category string, confidence float64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.nb.guess(NormalizeDescriptor(text))
}

// CategoryRules are the learned payee → category pairs as rules a person
// can see, edit or turn off: origin learned, enabled, stage default,
// "payee is X" → category. ID is 0: the caller stores them. Sorted by
// payee.
func (l *Learner) CategoryRules() []*Rule {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []*Rule
	for _, key := range slices.Sorted(maps.Keys(l.payees)) {
		h := l.payees[key]
		c, ok := h.category()
		if !ok || categoryProblem(c) != "" {
			continue
		}
		out = append(out, &Rule{
			Name:       "Learned: " + h.payee,
			Stage:      StageDefault,
			Enabled:    true,
			Origin:     OriginLearned,
			Match:      "all",
			Conditions: []Condition{{Field: FieldPayee, Op: OpIs, Value: h.payee}},
			Actions:    []Action{{Set: SetCategory, Value: c}},
		})
	}
	return out
}

// Proposals are rules for descriptors a person gave the same payee and
// category ProposeAfter times in a row by hand: origin proposed, disabled
// until a person enables one; "description contains" the normalized
// descriptor → payee and category. Sorted by descriptor.
func (l *Learner) Proposals() []*Rule {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []*Rule
	for _, desc := range slices.Sorted(maps.Keys(l.streaks)) {
		s := l.streaks[desc]
		if s.n < ProposeAfter {
			continue
		}
		actions := []Action{{Set: SetPayee, Value: s.payee}}
		if s.category != "" && categoryProblem(s.category) == "" {
			actions = append(actions, Action{Set: SetCategory, Value: s.category})
		}
		out = append(out, &Rule{
			Name:       "Proposed: " + desc,
			Stage:      StageDefault,
			Enabled:    false,
			Origin:     OriginProposed,
			Match:      "all",
			Conditions: []Condition{{Field: FieldDescription, Op: OpContains, Value: desc}},
			Actions:    actions,
		})
	}
	return out
}

// Aliases returns the learned descriptor → payee aliases (descriptors
// normalized), to keep in the store.
func (l *Learner) Aliases() map[string]string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return maps.Clone(l.aliases)
}

// LoadAlias restores an alias kept in the store. The descriptor is
// normalized (a stored one already is).
func (l *Learner) LoadAlias(descriptor, payee string) {
	desc, payee := NormalizeDescriptor(descriptor), strings.TrimSpace(payee)
	if desc == "" || payee == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.aliases[desc] = payee
}
