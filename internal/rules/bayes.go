package rules

import (
	"math"
	"strings"
)

// bayes is a multinomial naive-Bayes classifier of normalized descriptors
// into categories, over their distinct distinctive words (bank and
// processor words, state codes and single letters say nothing of the
// category), with Laplace (add-one)
// smoothing. Beside the categories it keeps a "none of them" class of one
// pseudo-document that has seen no word: a word seen under one category
// only, a handful of times, is weak evidence, and the confidence says so.
type bayes struct {
	docs   map[string]int            // category → confirmed decisions
	words  map[string]int            // category → words counted
	counts map[string]map[string]int // word → category → count
	n      int                       // decisions
}

func newBayes() bayes {
	return bayes{docs: map[string]int{}, words: map[string]int{}, counts: map[string]map[string]int{}}
}

// add learns that the normalized descriptor desc is category.
func (b *bayes) add(desc, category string) {
	b.n++
	b.docs[category]++
	for _, w := range distinctiveWords(desc) {
		m := b.counts[w]
		if m == nil {
			m = map[string]int{}
			b.counts[w] = m
		}
		m[category]++
		b.words[category]++
	}
}

// guess returns the most probable category of desc and its posterior
// probability, or "" and 0 when none of desc's words was ever seen or
// "none of them" is likelier.
func (b *bayes) guess(desc string) (string, float64) {
	var known []string
	for _, w := range distinctiveWords(desc) {
		if b.counts[w] != nil {
			known = append(known, w)
		}
	}
	if len(known) == 0 {
		return "", 0
	}
	vocab := float64(len(b.counts))
	prior := math.Log(float64(b.n + 1))
	// log P(none) + Σ log P(w | none): one pseudo-document, no words.
	none := -prior - float64(len(known))*math.Log(vocab)
	best, bestScore := "", math.Inf(-1)
	scores := make(map[string]float64, len(b.docs))
	for c, docs := range b.docs {
		s := math.Log(float64(docs)) - prior
		denom := math.Log(float64(b.words[c]) + vocab)
		for _, w := range known {
			s += math.Log(float64(b.counts[w][c]+1)) - denom
		}
		scores[c] = s
		if s > bestScore || s == bestScore && c < best {
			best, bestScore = c, s
		}
	}
	if none >= bestScore {
		return "", 0
	}
	// The posterior of best: 1 / Σ exp(s - bestScore).
	sum := math.Exp(none - bestScore)
	for _, s := range scores {
		sum += math.Exp(s - bestScore)
	}
	return best, 1 / sum
}

// distinct returns desc's words, each once.
func distinct(desc string) []string {
	ws := strings.Fields(desc)
	out := ws[:0]
	seen := make(map[string]bool, len(ws))
	for _, w := range ws {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}
