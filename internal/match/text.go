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

// tokenSet is a text's normalized tokens as sorted vocabulary ids, with a
// 64-bit signature (one bit per token id mod 64): two sets whose signatures
// share no bit share no token.
type tokenSet struct {
	ids []uint32
	sig uint64
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
	forEachToken(s, false, func(t string) {
		v, ok := x.vocab[t]
		if !ok {
			v = uint32(len(x.vocab))
			x.vocab[t] = v
		}
		ts.ids = append(ts.ids, v)
	})
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

// similarity is |A∩B| / min(|A|, |B|), 0 when either is empty.
func similarity(a, b *tokenSet) float64 {
	if len(a.ids) == 0 || len(b.ids) == 0 || a.sig&b.sig == 0 {
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
