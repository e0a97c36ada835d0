package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeDescriptor reduces a bank's descriptor to what stays the same
// from one purchase to the next: upper case; words holding a digit (store
// numbers, card masks, dates, references) and runs of X (masks) removed;
// punctuation made a space, apostrophes dropped; spaces collapsed. "SQ *BLUE
// BOTTLE 1234 OAKLAND CA" and "SQ *BLUE BOTTLE 9876 OAKLAND CA" are both
// "SQ BLUE BOTTLE OAKLAND CA". Normalizing twice changes nothing.
func NormalizeDescriptor(text string) string {
	buf := make([]byte, 0, len(text))
	start := 0 // where the current word starts in buf
	digit := false
	end := func() {
		if w := buf[start:]; len(w) > 0 && (digit || isMask(w)) {
			buf = buf[:start]
		}
		if len(buf) > start { // a word was kept: a space before the next
			buf = append(buf, ' ')
		}
		start, digit = len(buf), false
	}
	for _, r := range text {
		switch {
		case r == '\'' || r == '’' || r == '`':
			// MCDONALD'S is MCDONALDS
		case r < utf8.RuneSelf && ('0' <= r && r <= '9'):
			digit = true
			buf = append(buf, byte(r))
		case r < utf8.RuneSelf && ('a' <= r && r <= 'z'):
			buf = append(buf, byte(r-'a'+'A'))
		case r < utf8.RuneSelf && ('A' <= r && r <= 'Z'):
			buf = append(buf, byte(r))
		case r >= utf8.RuneSelf && unicode.IsDigit(r):
			digit = true
			buf = utf8.AppendRune(buf, r)
		case r >= utf8.RuneSelf && unicode.IsLetter(r):
			buf = utf8.AppendRune(buf, unicode.ToUpper(r))
		default:
			end()
		}
	}
	end()
	return strings.TrimSuffix(string(buf), " ")
}

// isMask reports a run of three or more X: a card number's hidden digits.
func isMask(w []byte) bool {
	if len(w) < 3 {
		return false
	}
	for _, c := range w {
		if c != 'X' {
			return false
		}
	}
	return true
}

// processorWords are what card processors and banks put before a
// merchant's name: SQ *, TST*, PAYPAL *, POS DEBIT.
var processorWords = map[string]bool{
	"SQ": true, "TST": true, "SP": true, "PAYPAL": true, "PP": true, "POS": true, "DEBIT": true,
	"PURCHASE": true, "CARD": true, "CHECKCARD": true, "VISA": true, "ACH": true, "RECURRING": true,
}

// bankWords say how money moved, not who was paid, or only what kind of
// business it is: a descriptor made of them and numbers ("CHECK 1054", "DEPOSIT 88123", "ONLINE TRANSFER REF
// 42") names no payee and no category.
var bankWords = map[string]bool{
	"CHECK": true, "CHK": true, "CHEQUE": true, "CK": true, "NO": true, "NUMBER": true,
	"DEPOSIT": true, "TRANSFER": true, "XFER": true, "WITHDRAWAL": true, "WITHDRAW": true,
	"PAYMENT": true, "PMT": true, "PAID": true, "ONLINE": true, "WEB": true, "BANKING": true,
	"CREDIT": true, "DES": true, "ID": true, "REF": true, "TO": true, "FROM": true, "THE": true,
	// and what follows a business's name
	"INC": true, "LLC": true, "LTD": true, "CORP": true, "COM": true, "WWW": true,
}

// distinctive reports whether a normalized descriptor's word can tell a
// payee from another: not a bank's or a card processor's word, not a state
// code, not a single letter. Words with digits are gone already.
func distinctive(w string) bool {
	return utf8.RuneCountInString(w) > 1 && !bankWords[w] && !processorWords[w] && !usStates[w]
}

// distinctiveWords returns the distinctive words of a normalized
// descriptor, each once.
func distinctiveWords(desc string) []string {
	ws := distinct(desc)
	out := ws[:0]
	for _, w := range ws {
		if distinctive(w) {
			out = append(out, w)
		}
	}
	return out
}

// usStates are two-letter codes a descriptor often ends with.
var usStates = map[string]bool{}

func init() {
	for _, s := range strings.Fields(`AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI
		MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY`) {
		usStates[s] = true
	}
}

// CleanPayee makes a payee name of a descriptor no alias or rule names:
// normalized, processor prefixes and a trailing state code taken off, in
// title case. "SQ *BLUE BOTTLE 1234 OAKLAND CA" is "Blue Bottle Oakland".
// A descriptor with nothing left is returned trimmed.
func CleanPayee(text string) string {
	words := strings.Fields(NormalizeDescriptor(text))
	for len(words) > 1 && processorWords[words[0]] {
		words = words[1:]
	}
	if len(words) > 2 && usStates[words[len(words)-1]] {
		words = words[:len(words)-1]
	}
	if len(words) == 0 {
		return strings.TrimSpace(text)
	}
	for i, w := range words {
		r := []rune(strings.ToLower(w))
		r[0] = unicode.ToUpper(r[0])
		words[i] = string(r)
	}
	return strings.Join(words, " ")
}
