package ofx

import (
	"errors"
	"strings"

	"github.com/bankfeed/bankfeed"
)

// ErrAmount is wrapped by every ParseAmount error.
var ErrAmount = errors.New("not an amount")

// ParseAmount reads an amount as banks write it: "-12.00", "+16.00",
// "-530,86" (comma decimal), "$120", "R$ 1.234,56", "EUR 12,50",
// "-00000000002571.4500", "(12.00)" and "12.00-" (negative), "12.00 DR"
// (debit: negative) and "12.00 CR", with spaces anywhere. Letters are allowed
// only as a three-letter currency code or a DR/CR marker, so no sign is ever
// lost. Thousands separators must group digits by three ("1.234.567,89"); a
// single separator is the decimal point, as OFX allows either. The result is
// exact.
func ParseAmount(s string) (bankfeed.Decimal, error) {
	// Fast path: plain decimals, the common case.
	if d, err := bankfeed.ParseDecimal(s); err == nil {
		return d, nil
	}
	bad := func(why string) (bankfeed.Decimal, error) {
		return bankfeed.Decimal{}, &FieldError{Value: s, Why: why, Kind: ErrAmount}
	}
	body := strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(body, "(") && strings.HasSuffix(body, ")") {
		neg = true
		body = body[1 : len(body)-1]
	}
	var num strings.Builder
	signs, markers := 0, 0
	rs := []rune(body)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r >= '0' && r <= '9', r == '.', r == ',':
			num.WriteRune(r)
		case r == '-' || r == '\u2212':
			neg = !neg
			signs++
		case r == '+':
			signs++
		case r == ' ' || r == '\t' || r == '\u00a0' || r == '\'':
		case strings.ContainsRune("$€£¥", r):
		case r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z':
			j := i
			for j < len(rs) && (rs[j] >= 'A' && rs[j] <= 'Z' || rs[j] >= 'a' && rs[j] <= 'z') {
				j++
			}
			word := strings.ToUpper(string(rs[i:j]))
			switch {
			case word == "DR" || word == "D":
				neg = !neg
				markers++
			case word == "CR" || word == "C":
				markers++
			case word == "R" && j < len(rs) && rs[j] == '$': // R$, the real
			case len(word) == 3 && rs[i] >= 'A' && rs[i] <= 'Z':
				// a currency code: USD, EUR, BRL
			default:
				return bad("has unexpected letters")
			}
			i = j - 1
		default:
			return bad("has an unexpected character")
		}
	}
	if signs+markers > 1 {
		return bad("has more than one sign")
	}
	text := num.String()
	if text == "" {
		if body == "" {
			return bad("is empty")
		}
		return bad("has no digits")
	}
	text, why := normalizeSeparators(text)
	if why != "" {
		return bad(why)
	}
	d, err := bankfeed.ParseDecimal(text)
	if err != nil {
		return bad("is not a number")
	}
	if neg {
		d = d.Neg()
	}
	return d, nil
}

// normalizeSeparators turns digits with '.' and ',' into a plain decimal.
// The last separator is the decimal point unless the same separator occurs
// more than once; every other separator must group thousands by three. It
// returns why the text is unusable, or "".
func normalizeSeparators(n string) (string, string) {
	dot, comma := strings.LastIndexByte(n, '.'), strings.LastIndexByte(n, ',')
	if dot < 0 && comma < 0 {
		return n, ""
	}
	point := max(dot, comma)
	sep := n[point]
	if strings.Count(n, string(sep)) > 1 {
		point = -1 // "1,234,567" or "1.234.567": no decimal part
	}
	intPart, frac := n, ""
	if point >= 0 {
		intPart, frac = n[:point], n[point+1:]
	}
	if strings.ContainsAny(frac, ".,") {
		return "", misplaced
	}
	if sep == ',' && point >= 0 && len(frac) == 3 && len(intPart) >= 1 && len(intPart) <= 3 && !strings.ContainsAny(intPart, ".,") {
		// "1,000": a thousand with a thousands separator, or one with a
		// decimal comma? Guessing could be off a thousandfold.
		return "", "is ambiguous: the comma may separate thousands or decimals"
	}
	if !strings.ContainsAny(intPart, ".,") {
		if frac == "" && point >= 0 {
			return intPart, orMisplaced(intPart != "")
		}
		return intPart + "." + frac, orMisplaced(intPart != "" || frac != "")
	}
	// Thousands: one separator throughout, a first group of 1 to 3 digits,
	// then groups of exactly 3.
	var groups []string
	thousands, start := byte(0), 0
	for i := 0; i <= len(intPart); i++ {
		if i < len(intPart) && intPart[i] != '.' && intPart[i] != ',' {
			continue
		}
		g := intPart[start:i]
		if len(groups) == 0 && (len(g) == 0 || len(g) > 3) || len(groups) > 0 && len(g) != 3 {
			return "", misplaced
		}
		groups = append(groups, g)
		if i < len(intPart) {
			if thousands != 0 && intPart[i] != thousands {
				return "", misplaced
			}
			thousands = intPart[i]
		}
		start = i + 1
	}
	whole := strings.Join(groups, "")
	if frac == "" && point < 0 {
		return whole, ""
	}
	return whole + "." + frac, ""
}

const misplaced = "has misplaced separators"

func orMisplaced(ok bool) string {
	if ok {
		return ""
	}
	return misplaced
}
