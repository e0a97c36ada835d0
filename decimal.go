package bankfeed

import (
	"errors"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// Decimal is an exact decimal number, coef × 10^-scale. Money is never a float:
// a parsed amount keeps the digits the bank sent (-3.77000 stays -3.77000
// until Canonical trims it) and sums are exact however many places they
// carry. The zero value is 0.
//
// Small values live in an int64; a value that does not fit moves to a big.Int,
// so arithmetic never overflows and never rounds.
type Decimal struct {
	coef  int64
	big   *big.Int // set when the coefficient does not fit coef
	scale int32
}

// MaxDecimalDigits bounds the digits ParseDecimal accepts, so hostile input
// cannot make a number that is expensive to add.
const MaxDecimalDigits = 60

// ErrDecimalSyntax is returned for text that is not a plain decimal number.
var ErrDecimalSyntax = errors.New("not a decimal number")

var pow10 = [19]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// NewDecimal returns coef × 10^-scale.
func NewDecimal(coef int64, scale int32) Decimal { return Decimal{coef: coef, scale: scale} }

// ParseDecimal reads a plain decimal: an optional sign, digits, an optional
// point and more digits ("-12", "+0.50", ".5", "12."). Tolerant forms (comma
// decimals, currency symbols) are the readers' business, not this one's.
func ParseDecimal(s string) (Decimal, error) { return parseDecimal(s) }

// ParseDecimalBytes is ParseDecimal for bytes; it does not allocate for
// numbers of up to 18 digits.
func ParseDecimalBytes(b []byte) (Decimal, error) { return parseDecimal(b) }

func parseDecimal[T ~string | ~[]byte](s T) (Decimal, error) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	var coef uint64
	var scale int32
	digits, sig := 0, 0
	seenPoint := false
	overflow := false
	start := i
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			if sig > 0 || c != '0' {
				sig++
			}
			if seenPoint {
				scale++
			}
			if !overflow {
				hi, lo := bits.Mul64(coef, 10)
				lo, carry := bits.Add64(lo, uint64(c-'0'), 0)
				if hi != 0 || carry != 0 || lo > math.MaxInt64 {
					overflow = true
				} else {
					coef = lo
				}
			}
		case c == '.' && !seenPoint:
			seenPoint = true
		default:
			return Decimal{}, ErrDecimalSyntax
		}
	}
	if digits == 0 || sig > MaxDecimalDigits || scale > MaxDecimalDigits {
		return Decimal{}, ErrDecimalSyntax
	}
	if overflow {
		b, ok := new(big.Int).SetString(strings.Replace(string(s[start:]), ".", "", 1), 10)
		if !ok {
			return Decimal{}, ErrDecimalSyntax
		}
		if neg {
			b.Neg(b)
		}
		return Decimal{big: b, scale: scale}, nil
	}
	d := Decimal{coef: int64(coef), scale: scale}
	if neg {
		d.coef = -d.coef
	}
	return d, nil
}

// MustDecimal is ParseDecimal for constants in code and tests; it panics on error.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic("bankfeed: bad decimal " + strconv.Quote(s))
	}
	return d
}

// Scale returns the number of digits after the point.
func (d Decimal) Scale() int32 { return d.scale }

func (d Decimal) bigInt() *big.Int {
	if d.big != nil {
		return d.big
	}
	return big.NewInt(d.coef)
}

// rescale returns the coefficient at a larger scale, exactly.
func (d Decimal) rescale(scale int32) Decimal {
	if scale <= d.scale {
		return d
	}
	k := scale - d.scale
	if d.big == nil && k < int32(len(pow10)) {
		hi, lo := bits.Mul64(uint64(abs64(d.coef)), uint64(pow10[k]))
		if hi == 0 && lo <= math.MaxInt64 && d.coef != math.MinInt64 {
			c := int64(lo)
			if d.coef < 0 {
				c = -c
			}
			return Decimal{coef: c, scale: scale}
		}
	}
	m := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil)
	return Decimal{big: m.Mul(m, d.bigInt()), scale: scale}
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Add returns d + o, exactly, at the larger of the two scales.
func (d Decimal) Add(o Decimal) Decimal {
	s := max(d.scale, o.scale)
	a, b := d.rescale(s), o.rescale(s)
	if a.big == nil && b.big == nil {
		sum := a.coef + b.coef
		// Overflow happened when both operands share a sign the sum lacks.
		if (a.coef >= 0) != (b.coef >= 0) || (sum >= 0) == (a.coef >= 0) {
			return Decimal{coef: sum, scale: s}
		}
	}
	r := new(big.Int).Add(a.bigInt(), b.bigInt())
	if r.IsInt64() {
		return Decimal{coef: r.Int64(), scale: s}
	}
	return Decimal{big: r, scale: s}
}

// Neg returns -d.
func (d Decimal) Neg() Decimal {
	if d.big != nil {
		return Decimal{big: new(big.Int).Neg(d.big), scale: d.scale}
	}
	if d.coef == math.MinInt64 {
		return Decimal{big: new(big.Int).Neg(big.NewInt(d.coef)), scale: d.scale}
	}
	return Decimal{coef: -d.coef, scale: d.scale}
}

// Sub returns d - o.
func (d Decimal) Sub(o Decimal) Decimal { return d.Add(o.Neg()) }

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int {
	if d.big != nil {
		return d.big.Sign()
	}
	switch {
	case d.coef < 0:
		return -1
	case d.coef > 0:
		return 1
	}
	return 0
}

// IsZero reports whether d is zero at any scale.
func (d Decimal) IsZero() bool { return d.Sign() == 0 }

// Cmp compares numerically: -1.50 and -1.5 are equal.
func (d Decimal) Cmp(o Decimal) int { return d.Sub(o).Sign() }

// Equal reports whether d and o are the same number.
func (d Decimal) Equal(o Decimal) bool { return d.Cmp(o) == 0 }

// Canonical returns d with trailing fractional zeros removed, keeping at least
// minScale places: Canonical(2) of 3.77000 is 3.77, of 30.000 is 30.00.
func (d Decimal) Canonical(minScale int32) Decimal {
	if d.scale <= minScale {
		return d.rescale(minScale)
	}
	if d.big == nil {
		c, s := d.coef, d.scale
		for s > minScale && c%10 == 0 {
			c /= 10
			s--
		}
		return Decimal{coef: c, scale: s}
	}
	b, s := new(big.Int).Set(d.big), d.scale
	ten, q, r := big.NewInt(10), new(big.Int), new(big.Int)
	for s > minScale {
		q.QuoRem(b, ten, r)
		if r.Sign() != 0 {
			break
		}
		b.Set(q)
		s--
	}
	if b.IsInt64() {
		return Decimal{coef: b.Int64(), scale: s}
	}
	return Decimal{big: b, scale: s}
}

// MinorUnits returns d as an integer count of 10^-places units (cents for
// places=2) when that is exact and fits an int64.
func (d Decimal) MinorUnits(places int32) (int64, bool) {
	c := d.Canonical(0)
	if c.scale > places {
		return 0, false
	}
	c = c.rescale(places)
	if c.big != nil {
		return 0, false
	}
	return c.coef, true
}

// String formats d with exactly its scale: "-33.77000", "0", "-0.50".
func (d Decimal) String() string {
	var digits string
	neg := false
	if d.big != nil {
		neg = d.big.Sign() < 0
		digits = new(big.Int).Abs(d.big).String()
	} else {
		neg = d.coef < 0
		if d.coef == math.MinInt64 {
			digits = strings.TrimPrefix(strconv.FormatInt(d.coef, 10), "-")
		} else {
			digits = strconv.FormatInt(abs64(d.coef), 10)
		}
	}
	if d.scale > 0 {
		if pad := int(d.scale) + 1 - len(digits); pad > 0 {
			digits = strings.Repeat("0", pad) + digits
		}
		cut := len(digits) - int(d.scale)
		digits = digits[:cut] + "." + digits[cut:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// MarshalText makes a Decimal a JSON string, never a JSON number, so no
// reader turns it into a float.
func (d Decimal) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := ParseDecimal(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
