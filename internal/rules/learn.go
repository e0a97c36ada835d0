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
	// A guess from fewer votes is never more sure than that.
	LearnedConfidence = 0.95
)

// Learner learns from confirmed decisions, in memory: descriptor → payee
// aliases, payee → category by votes, a token classifier, and rules to
// propose. It is safe for concurrent use.
//
// Descriptors without a distinctive word (CHECK 1054, DEPOSIT 88123: bank
// words and numbers) teach no alias, no proposal and no classifier word,
// and get no alias or guess: the next check is another payee.
type Learner struct {
	mu      sync.RWMutex
	aliases map[string]string   // normalized descriptor → payee
	payees  map[string]*history // lower-case payee → its recent categories
	streaks map[string]streak   // normalized descriptor → the same manual choice, repeated
	nb      bayes
	calib   map[evidence]tally // how often each kind of evidence was right
	names   payeeNames         // the confirmed payees, to find them named in other descriptors
}

// history is a payee's last CategoryWindow confirmed categories, oldest
// first, and whether all its confirmed categories so far agree.
type history struct {
	payee string
	last  []string
	n     int    // confirmed decisions with a category
	first string // the first one's category
	mixed bool   // some other decision had another category
}

// evidence is what a guess rests on before the votes settle a category:
// every confirmed decision of the line's payee agreeing (route 'p'; route
// 'n' when the payee is one the descriptor names in another form than any
// confirmed, Learner.NamedPayee), or
// every distinctive word of the descriptor seen before, and all those seen
// under one category only agreeing (route 'w', clean when no word was seen
// under another category too); n is how many decisions back it, 3 for 3
// or more.
type evidence struct {
	route byte // 0 in the tally of all guesses
	n     int
	clean bool
}

// tally counts the guesses of one kind of evidence that confirmed
// decisions proved right. The calibration keeps one per kind, one per
// route (evidence{route: r}) and one for all guesses (evidence{}).
type tally struct{ hits, trials int }

// calibWeight is how many guesses the rate of the wider kind counts for
// in a narrower kind's.
const calibWeight = 2

// rate is the share of right guesses, with calibWeight guesses at the
// prior rate counted beforehand.
func (t tally) rate(prior float64) float64 {
	return (float64(t.hits) + calibWeight*prior) / float64(t.trials+calibWeight)
}

// confidence is the calibrated confidence of a guess on evidence ev: the
// share of guesses that the person's confirmed decisions proved right,
// for ev's kind, drawn toward its route's share while the kind has few
// guesses, that toward the share of all guesses, and that toward one
// half. All guesses right needs 8 of them to reach 0.9. Capped at
// LearnedConfidence. l.mu is held.
func (l *Learner) confidence(ev evidence) float64 {
	all := l.calib[evidence{}].rate(0.5)
	route := l.calib[evidence{route: ev.route}].rate(all)
	return min(l.calib[ev].rate(route), LearnedConfidence)
}

// score records whether a guess on evidence ev was right. l.mu is held.
func (l *Learner) score(ev evidence, right bool) {
	for _, k := range []evidence{{}, {route: ev.route}, ev} {
		t := l.calib[k]
		t.trials++
		if right {
			t.hits++
		}
		l.calib[k] = t
	}
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
		calib:   map[evidence]tally{},
		names:   newPayeeNames(),
	}
}

// key is the descriptor text normalized, or "" when no word of it is
// distinctive: such a descriptor names no payee.
func key(text string) string {
	desc := NormalizeDescriptor(text)
	if len(distinctiveWords(desc)) == 0 {
		return ""
	}
	return desc
}

// Confirm learns from one confirmed decision.
func (l *Learner) Confirm(c Confirmation) {
	desc := key(c.Text)
	payee := strings.TrimSpace(c.Payee)
	category := strings.TrimSpace(c.Category)
	l.mu.Lock()
	defer l.mu.Unlock()
	if desc != "" && category != "" {
		// Score the guess the labeler would have made, before learning
		// from the answer.
		labelPayee, ok := l.aliases[desc]
		named := false
		if !ok {
			labelPayee, named = l.names.find(desc)
			if !named {
				labelPayee = CleanPayee(c.Text)
			}
		}
		if guess, ev, ok := l.predict(labelPayee, desc, named); ok {
			l.score(ev, guess == category)
		}
	}
	if desc != "" && payee != "" {
		l.aliases[desc] = payee
	}
	if payee != "" {
		l.names.add(payee)
	}
	if payee != "" && category != "" {
		key := strings.ToLower(payee)
		h := l.payees[key]
		if h == nil {
			h = &history{}
			l.payees[key] = h
		}
		h.payee = payee
		h.n++
		if h.n == 1 {
			h.first = category
		} else if category != h.first {
			h.mixed = true
		}
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

// Payee returns the payee learned for the descriptor text: the one a
// confirmed decision gave it (compared normalized), else the confirmed
// payee it names in another form (NamedPayee). A descriptor without a
// distinctive word has none.
func (l *Learner) Payee(text string) (string, bool) {
	desc := key(text)
	if desc == "" {
		return "", false
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if p, ok := l.aliases[desc]; ok {
		return p, true
	}
	return l.names.find(desc)
}

// NamedPayee returns the confirmed payee that descriptor text names
// without an alias of its own: the bank's other form of a payee already
// confirmed ("WHOLE FOODS MARKET 1234" after "WHOLEFDS MKT", "AMAZON
// MKTPL*1A2B" for Amazon). See payeeNames.find. A descriptor without a
// distinctive word names none.
func (l *Learner) NamedPayee(text string) (string, bool) {
	desc := key(text)
	if desc == "" {
		return "", false
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.names.find(desc)
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
// in [0, 1]: "" and 0 when no distinctive word of the descriptor was seen
// in a confirmed decision. Callers use it at MinGuessConfidence or more.
// It is GuessFor without a payee.
func (l *Learner) Guess(text string) (category string, confidence float64) {
	return l.GuessFor("", text)
}

// GuessFor is the category of a line with descriptor text and payee
// (learned or cleaned) whose last votes do not settle one, and its
// confidence in [0, 1]; "" and 0 when nothing learned bears on it.
//
// When every confirmed decision of the payee agrees (even one), or the
// descriptor's distinctive words were each seen under one category only,
// the guess is that category at the calibrated confidence of that kind of
// evidence (Learner.confidence), raised to the naive-Bayes posterior when
// that agrees. (When it does not, it rests on the categories' sizes: the
// words and the payee said one thing.) Otherwise it is the naive-Bayes
// guess. Descriptors without a distinctive word get
// none.
func (l *Learner) GuessFor(payee, text string) (category string, confidence float64) {
	desc := key(text)
	if desc == "" {
		return "", 0
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	nbCat, nbConf := l.nb.guess(desc)
	named := false
	if _, ok := l.aliases[desc]; !ok {
		n, ok := l.names.find(desc)
		named = ok && strings.EqualFold(n, strings.TrimSpace(payee))
	}
	c, ev, ok := l.predict(payee, desc, named)
	if !ok {
		return nbCat, nbConf
	}
	conf := l.confidence(ev)
	if nbCat == c {
		conf = max(conf, nbConf)
	}
	return c, conf
}

// predict is the category every confirmed decision of payee agrees on,
// else the one the distinctive words of the normalized descriptor desc
// were seen under, and the evidence for it. Every distinctive word must
// have been seen (an unseen one may be another merchant: "OFFICE DEPOT"
// is not "HOME DEPOT"); those seen under one category must agree, and
// those seen under several must include it. named: the payee is the one
// desc names (NamedPayee), not its alias. l.mu is held.
func (l *Learner) predict(payee, desc string, named bool) (string, evidence, bool) {
	words := distinctiveWords(desc)
	if len(words) == 0 {
		return "", evidence{}, false
	}
	if h := l.payees[strings.ToLower(strings.TrimSpace(payee))]; h != nil && h.n > 0 && !h.mixed {
		route := byte('p')
		if named {
			route = 'n'
		}
		return h.first, evidence{route: route, n: min(h.n, 3)}, true
	}
	cat, n := "", 0
	var shared []map[string]int // the words seen under several categories
	for _, w := range words {
		m := l.nb.counts[w]
		switch len(m) {
		case 0:
			return "", evidence{}, false
		case 1:
			for c, k := range m {
				if cat != "" && c != cat {
					return "", evidence{}, false
				}
				cat, n = c, max(n, k)
			}
		default:
			shared = append(shared, m)
		}
	}
	if cat == "" {
		return "", evidence{}, false
	}
	for _, m := range shared {
		if m[cat] == 0 {
			return "", evidence{}, false
		}
	}
	return cat, evidence{route: 'w', n: min(n, 3), clean: len(shared) == 0}, true
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
	desc, payee := key(descriptor), strings.TrimSpace(payee)
	if desc == "" || payee == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.aliases[desc] = payee
	l.names.add(payee)
}
