package rules

import (
	"math/bits"
	"strconv"
	"strings"

	"github.com/bankfeed/bankfeed"
)

// amount is a non-negative exact decimal from a rule: a condition's bound
// or a split part. It is compared with a line's absolute amount in integer
// minor units at the line's scale, never through a float.
type amount struct{ d bankfeed.Decimal }

// parseAmount reads a rule's amount, or says what is wrong with it.
func parseAmount(s string) (amount, string) {
	d, err := bankfeed.ParseDecimal(s)
	if err != nil {
		return amount{}, strconv.Quote(s) + " is not an amount such as 12.50"
	}
	if d.Sign() < 0 {
		return amount{}, strconv.Quote(s) + " is negative; amounts are compared without their sign (use direction)"
	}
	return amount{d}, ""
}

func (a amount) cmp(b amount) int        { return a.d.Cmp(b.d) }
func (a amount) add(b amount) amount     { return amount{a.d.Add(b.d)} }
func (a amount) String() string          { return a.d.Canonical(2).String() }
func (a amount) minorAt(scale int) minor { return minorOf(a.d.String(), scale) }

// minor is an amount in minor units at one scale: floor(v × 10^scale),
// whether that is exact, and whether it fits at all (ok false: larger than
// any line).
type minor struct {
	floor     uint64
	exact, ok bool
}

// minorOf converts the plain decimal text s (no sign) at scale.
func minorOf(s string, scale int) minor {
	whole, frac, _ := strings.Cut(s, ".")
	m := minor{exact: true, ok: true}
	digits := whole
	if len(frac) > scale {
		digits += frac[:scale]
		m.exact = strings.Trim(frac[scale:], "0") == ""
	} else {
		digits += frac + strings.Repeat("0", scale-len(frac))
	}
	for i := 0; i < len(digits); i++ {
		hi, lo := bits.Mul64(m.floor, 10)
		lo, carry := bits.Add64(lo, uint64(digits[i]-'0'), 0)
		if hi != 0 || carry != 0 {
			return minor{}
		}
		m.floor = lo
	}
	return m
}

// cmpMinor compares a line's absolute amount x with v: -1, 0 or +1.
func cmpMinor(x uint64, v minor) int {
	switch {
	case !v.ok || x < v.floor:
		return -1
	case x > v.floor:
		return 1
	case v.exact:
		return 0
	}
	return -1 // x is v's floor, and v has digits below the scale
}

// cachedScales are the scales a compiled amount keeps converted.
const cachedScales = 5

// compiledAmount is an amount with its minor units at the usual scales.
type compiledAmount struct {
	a  amount
	at [cachedScales]minor
}

func compileAmount(a amount) compiledAmount {
	c := compiledAmount{a: a}
	s := a.d.String()
	for i := range c.at {
		c.at[i] = minorOf(s, i)
	}
	return c
}

func (c *compiledAmount) minor(scale int) minor {
	if scale >= 0 && scale < cachedScales {
		return c.at[scale]
	}
	return c.a.minorAt(max(scale, 0))
}

// abs is |v| without overflow.
func abs(v int64) uint64 {
	if v < 0 {
		return uint64(-(v + 1)) + 1
	}
	return uint64(v)
}

// signed gives m the sign of like (m ≤ |like|, so it fits).
func signed(m uint64, like int64) int64 {
	if like < 0 {
		return -int64(m-1) - 1
	}
	return int64(m)
}

// percentOf is floor(m × p / 100), exact for any m.
func percentOf(m uint64, p int) uint64 {
	hi, lo := bits.Mul64(m, uint64(p))
	q, _ := bits.Div64(hi, lo, 100)
	return q
}
