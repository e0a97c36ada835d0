package ofx

import (
	"errors"
	"strings"

	"github.com/bankfeed/bankfeed"
)

// ErrAmount is wrapped by every ParseAmount error.
var ErrAmount = errors.New("not an amount")

// ParseAmount reads an amount as banks write it: "-12.00", "+16.00",
// "-530,86" (comma decimal), "$120", "R$ 1.234,56", "-00000000002571.4500",
// "(12.00)" and "12.00-" (negative), with spaces anywhere. Thousands
// separators are allowed when a decimal separator follows them or when there
// are several. The result is exact.
func ParseAmount(s string) (bankfeed.Decimal, error) {
	// Fast path: plain decimals, the common case.
	if d, err := bankfeed.ParseDecimal(s); err == nil {
		return d, nil
	}
	bad := func(why string) (bankfeed.Decimal, error) {
		return bankfeed.Decimal{}, &FieldError{Value: s, Why: why, Kind: ErrAmount}
	}
	neg := false
	var b strings.Builder
	body := strings.TrimSpace(s)
	if strings.HasPrefix(body, "(") && strings.HasSuffix(body, ")") {
		neg = true
		body = body[1 : len(body)-1]
	}
	signs := 0
	for _, r := range body {
		switch {
		case r >= '0' && r <= '9', r == '.', r == ',':
			b.WriteRune(r)
		case r == '-' || r == '\u2212':
			neg = !neg
			signs++
		case r == '+':
			signs++
		case r == ' ' || r == '\t' || r == '\u00a0' || r == '\'':
		case strings.ContainsRune("$€£¥R", r) || (r >= 'A' && r <= 'Z' && len(body) > 3):
			// currency symbols and codes (R$, USD, EUR)
		default:
			return bad("has an unexpected character")
		}
	}
	if signs > 1 {
		return bad("has more than one sign")
	}
	num := b.String()
	if num == "" {
		if body == "" {
			return bad("is empty")
		}
		return bad("has no digits")
	}
	lastDot, lastComma := strings.LastIndexByte(num, '.'), strings.LastIndexByte(num, ',')
	dots, commas := strings.Count(num, "."), strings.Count(num, ",")
	switch {
	case dots > 0 && commas > 0:
		if lastComma > lastDot { // 1.234,56
			num = strings.ReplaceAll(num[:lastComma], ".", "") + "." + num[lastComma+1:]
			if strings.Contains(num[:strings.LastIndexByte(num, '.')], ",") {
				return bad("mixes separators")
			}
		} else { // 1,234.56
			num = strings.ReplaceAll(num, ",", "")
		}
	case commas == 1:
		num = strings.Replace(num, ",", ".", 1)
	case commas > 1:
		num = strings.ReplaceAll(num, ",", "")
	case dots > 1:
		num = strings.ReplaceAll(num, ".", "")
	}
	if strings.Count(num, ".") > 1 {
		return bad("has several decimal points")
	}
	d, err := bankfeed.ParseDecimal(num)
	if err != nil {
		return bad("is not a number")
	}
	if neg {
		d = d.Neg()
	}
	return d, nil
}
