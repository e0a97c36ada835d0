package rules

import "strings"

// A bank writes one merchant several ways: WHOLEFDS MKT #3457 and WHOLE
// FOODS MARKET 1234 SAN FRANCISCO CA; AMAZON MKTPL*1A2B and
// AMAZON.COM*8548 AMZN.COM/BILL WA; OAK STREET PROP DES:RENT and ONLINE
// PMT OAK STREET PROPERTIES. An alias is learned per normalized
// descriptor, so each new form would start unknown although it names a
// payee the person has confirmed. payeeNames finds that payee.
//
// A descriptor names a confirmed payee when every word of the payee's name
// (but a bank's or processor's word) is a word of the descriptor, at least one of them whole
// and the others whole or cut short by the bank (PROP for PROPERTIES, JOE
// S for JOES, three letters at least); or when a word of the descriptor
// runs the name's words together with letters dropped (WHOLEFDS,
// OFFICEDEPOT: it begins with the name's first abbrevPrefix letters, is
// longer than the name's first word, and is a subsequence of the name's
// letters). A word that merely begins like the name's is not it: SHELLYS
// does not name Shell, and THE HOME DEPOT does not name Office Depot (a
// word of the name is missing). When several payees are named, the one
// with the most words wins; a tie names none.

// abbrevPrefix is how many leading letters a run-together word shares with
// the name it abbreviates.
const abbrevPrefix = 4

// payeeName is a confirmed payee as descriptors may name it.
type payeeName struct {
	payee  string
	words  []string // the words of the name, normalized (nameWords)
	squash string   // their letters, run together
}

// payeeNames indexes the confirmed payees by the words of their names.
type payeeNames struct {
	byKey    map[string]int // lower-case payee → index in names
	names    []payeeName
	byWord   map[string][]int // a name's word → the names holding it
	byPrefix map[string][]int // the first abbrevPrefix letters of a name of two words or more → the names
}

func newPayeeNames() payeeNames {
	return payeeNames{byKey: map[string]int{}, byWord: map[string][]int{}, byPrefix: map[string][]int{}}
}

// add learns a confirmed payee's name.
func (pn *payeeNames) add(payee string) {
	k := strings.ToLower(strings.TrimSpace(payee))
	if k == "" {
		return
	}
	if _, ok := pn.byKey[k]; ok {
		return
	}
	words := nameWords(NormalizeDescriptor(payee))
	squash := strings.Join(words, "")
	if len(squash) < 3 {
		return // too short to be told in a descriptor's words
	}
	i := len(pn.names)
	pn.byKey[k] = i
	pn.names = append(pn.names, payeeName{payee: strings.TrimSpace(payee), words: words, squash: squash})
	for _, w := range words {
		pn.byWord[w] = append(pn.byWord[w], i)
	}
	if len(words) > 1 && len(squash) >= abbrevPrefix {
		p := squash[:abbrevPrefix]
		pn.byPrefix[p] = append(pn.byPrefix[p], i)
	}
}

// nameWords are the words of a normalized name or descriptor that may
// name a payee: not a bank's or a card processor's word (PG&E is PG E).
func nameWords(desc string) []string {
	ws := distinct(desc)
	out := ws[:0]
	for _, w := range ws {
		if !bankWords[w] && !processorWords[w] {
			out = append(out, w)
		}
	}
	return out
}

// find returns the payee the normalized descriptor desc names, if one.
func (pn *payeeNames) find(desc string) (string, bool) {
	words := nameWords(desc)
	best, bestN, tie := -1, 0, false
	try := func(i int) {
		n := &pn.names[i]
		if !n.namedBy(words) || i == best {
			return
		}
		switch {
		case len(n.words) > bestN:
			best, bestN, tie = i, len(n.words), false
		case len(n.words) == bestN && pn.names[best].payee != n.payee:
			tie = true
		}
	}
	for _, w := range words {
		for _, i := range pn.byWord[w] {
			try(i)
		}
		if len(w) > abbrevPrefix {
			for _, i := range pn.byPrefix[w[:abbrevPrefix]] {
				try(i)
			}
		}
	}
	if best < 0 || tie {
		return "", false
	}
	return pn.names[best].payee, true
}

// namedBy reports whether a descriptor's words (nameWords) name n.
func (n *payeeName) namedBy(words []string) bool {
	whole := 0
	for _, nw := range n.words {
		found := false
		for _, w := range words {
			if w == nw {
				whole++
				found = true
				break
			}
			if len(w) >= 3 && strings.HasPrefix(nw, w) {
				found = true
			}
		}
		if !found {
			return n.abbreviatedBy(words)
		}
	}
	return whole > 0 || n.abbreviatedBy(words)
}

// abbreviatedBy reports whether a word runs the name's words together with
// letters dropped.
func (n *payeeName) abbreviatedBy(words []string) bool {
	if len(n.words) < 2 {
		return false
	}
	for _, w := range words {
		if len(w) <= len(n.words[0]) || len(w) < abbrevPrefix || w[:abbrevPrefix] != n.squash[:abbrevPrefix] {
			continue
		}
		i := 0
		for j := 0; i < len(w) && j < len(n.squash); j++ {
			if w[i] == n.squash[j] {
				i++
			}
		}
		if i == len(w) {
			return true
		}
	}
	return false
}
