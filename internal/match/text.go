package match

import (
	"slices"
	"strings"
	"unicode"
)

// Descriptor similarity is token containment: |A∩B| / min(|A|, |B|) over the
// normalized token sets of two texts. Normalizing upper-cases, splits on
// anything that is not a letter or a digit (an apostrophe joins: MCDONALD'S
// is MCDONALDS), and drops tokens made of digits only (store numbers,
// dates, amounts), card masks (XXXX1234, 1234XXXX5678) and a few words
// banks add to every card line (POS, DEBIT, PURCHASE...), which would
// otherwise make unrelated lines look alike.
//
// Banks also run words together and abbreviate them (WHOLEFDS for WHOLE
// FOODS, OFFICEDEPOT.COM for OFFICE DEPOT), which shares no token. So when
// containment is under abbrevSimilarity, the texts' letters are compared
// squashed (the letters of their tokens, in order, without spaces): they
// count as abbrevSimilarity alike when their squashed letters begin with
// the same abbrevPrefix letters, and the first token of one is longer than
// the other's first token (it spans a word of the other) and is a
// subsequence of the other's squashed letters (letters dropped, none
// added). BLUE BOTTLE and BLUE RIDGE, or SHELL and SHELLYS DINER, are not.

// noise are tokens that say how a line was paid, never who was paid.
var noise = map[string]bool{
	"POS": true, "DEBIT": true, "PURCHASE": true, "CHECKCARD": true, "VISA": true,
	"ACH": true, "WITHDRAWAL": true, "PENDING": true, "RECURRING": true,
	"TRANSACTION": true, "AUTHORIZED": true, "ON": true,
}

// Tokens returns the normalized tokens of a descriptor, deduplicated, in the
// order they first appear.
func Tokens(s string) []string {
	var out []string
	forEachToken(s, false, func(t string) {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	})
	return out
}

// Similarity is the token containment of two descriptors in [0, 1]; 0 when
// either has no token left after normalizing.
func Similarity(a, b string) float64 {
	x := newTextIndex()
	return similarity(x.set(x.intern(a)), x.set(x.intern(b)))
}

// forEachToken calls f with each upper-cased token of s; with raw it keeps
// the digit-only, card-mask and noise tokens (transfer words need them).
func forEachToken(s string, raw bool, f func(string)) {
	var b strings.Builder
	flush := func() {
		if b.Len() == 0 {
			return
		}
		t := b.String()
		b.Reset()
		if raw || keep(t) {
			f(t)
		}
	}
	for _, r := range s {
		switch {
		case r == '\'' || r == '’':
			// joins: MCDONALD'S → MCDONALDS
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToUpper(r))
		default:
			flush()
		}
	}
	flush()
}

// checkWords are the words of a check's descriptor.
var checkWords = map[string]bool{"CHECK": true, "CHK": true, "CHEQUE": true, "CK": true, "NO": true, "NUMBER": true, "PAID": true}

// checkOnly reports whether a descriptor is only check words and numbers
// (CHECK 1054, CHK# 0042): it names no payee.
func checkOnly(s string) bool {
	word, other := false, false
	forEachToken(s, true, func(t string) {
		switch {
		case t == "CHECK" || t == "CHK" || t == "CHEQUE":
			word = true
		case checkWords[t] || strings.Trim(t, "0123456789") == "":
		default:
			other = true
		}
	})
	return word && !other
}

// keep reports whether a token says something of the payee.
func keep(t string) bool {
	digits, xs := 0, 0
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == 'X':
			xs++
		}
	}
	switch {
	case digits == len(t): // 1234, 20240105
		return false
	case digits+xs == len(t) && digits > 0: // XXXX1234, 1234XXXXXXXX5678
		return false
	case xs == len(t) && xs >= 3: // XXXX
		return false
	}
	return !noise[t]
}

// Abbreviations: how many leading letters two squashed texts share at least,
// and the similarity they then count as.
const (
	abbrevPrefix     = 4
	abbrevSimilarity = 0.8
)

// tokenSet is a text's normalized tokens as sorted vocabulary ids, with a
// 64-bit signature (one bit per token id mod 64): two sets whose signatures
// share no bit share no token. sq is the letters of its tokens in order,
// first the letters of its first token, for abbreviations.
type tokenSet struct {
	ids   []uint32
	sig   uint64
	sq    string
	first string
}

// textIndex interns texts and tokens, so each distinct text is tokenized
// once and compared as small integer slices. It is built before the
// parallel phases and only read during them.
type textIndex struct {
	vocab map[string]uint32
	texts map[string]int32
	sets  []tokenSet
}

func newTextIndex() *textIndex {
	return &textIndex{vocab: map[string]uint32{}, texts: map[string]int32{}}
}

// intern returns the id of text s, tokenizing it the first time.
func (x *textIndex) intern(s string) int32 {
	if id, ok := x.texts[s]; ok {
		return id
	}
	var ts tokenSet
	var sq []byte
	forEachToken(s, false, func(t string) {
		v, ok := x.vocab[t]
		if !ok {
			v = uint32(len(x.vocab))
			x.vocab[t] = v
		}
		ts.ids = append(ts.ids, v)
		n := len(sq)
		for i := 0; i < len(t); i++ {
			if c := t[i]; c >= 'A' && c <= 'Z' {
				sq = append(sq, c)
			}
		}
		if n == 0 {
			ts.first = string(sq)
		}
	})
	ts.sq = string(sq)
	slices.Sort(ts.ids)
	ts.ids = slices.Compact(ts.ids)
	for _, v := range ts.ids {
		ts.sig |= 1 << (v & 63)
	}
	id := int32(len(x.sets))
	x.sets = append(x.sets, ts)
	x.texts[s] = id
	return id
}

func (x *textIndex) set(id int32) *tokenSet { return &x.sets[id] }

// similarity is |A∩B| / min(|A|, |B|), 0 when either is empty, raised to
// abbrevSimilarity when one abbreviates the other.
func similarity(a, b *tokenSet) float64 {
	if len(a.ids) == 0 || len(b.ids) == 0 {
		return 0
	}
	c := containment(a, b)
	if c < abbrevSimilarity && abbreviates(a, b) {
		return abbrevSimilarity
	}
	return c
}

// abbreviates: the squashed letters of a and b share their first
// abbrevPrefix letters, and the first token of one spans the other's first
// token and is a subsequence of the other's letters.
func abbreviates(a, b *tokenSet) bool {
	if len(a.sq) < abbrevPrefix || len(b.sq) < abbrevPrefix || a.sq[:abbrevPrefix] != b.sq[:abbrevPrefix] {
		return false
	}
	return spans(a, b) || spans(b, a)
}

// spans: the first token of a is longer than b's and is b's squashed
// letters with letters dropped.
func spans(a, b *tokenSet) bool {
	s, t := a.first, b.sq
	if len(s) <= len(b.first) {
		return false
	}
	i := 0
	for j := 0; i < len(s) && j < len(t); j++ {
		if s[i] == t[j] {
			i++
		}
	}
	return i == len(s)
}

// containment is |A∩B| / min(|A|, |B|) of two sets that are not empty.
func containment(a, b *tokenSet) float64 {
	if a.sig&b.sig == 0 {
		return 0
	}
	if len(a.ids) == 1 && len(b.ids) == 1 {
		if a.ids[0] == b.ids[0] {
			return 1
		}
		return 0
	}
	n, i, j := 0, 0, 0
	for i < len(a.ids) && j < len(b.ids) {
		switch {
		case a.ids[i] < b.ids[j]:
			i++
		case a.ids[i] > b.ids[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return float64(n) / float64(min(len(a.ids), len(b.ids)))
}
