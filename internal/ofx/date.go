package ofx

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Date is an OFX date-time. Valid is false when the element was absent or
// unusable (a warning says which). Time carries the offset the bank gave, or
// UTC when it gave none, as the OFX specification says; Day returns the
// calendar date as written, which is the date the bank means.
type Date struct {
	Time    time.Time
	Valid   bool
	HasTime bool   // the value had a time of day, not just a date
	Raw     string // the text as sent, kept when it was unusable
}

// Day returns the date as YYYY-MM-DD in the bank's own calendar, or "".
func (d Date) Day() string {
	if !d.Valid {
		return ""
	}
	return d.Time.Format(time.DateOnly)
}

// MarshalJSON writes the date in RFC 3339, or null.
func (d Date) MarshalJSON() ([]byte, error) {
	if !d.Valid {
		return []byte("null"), nil
	}
	if !d.HasTime {
		return json.Marshal(d.Day())
	}
	return json.Marshal(d.Time.Format(time.RFC3339Nano))
}

// ErrDate is wrapped by every ParseDate error.
var ErrDate = errors.New("not an OFX date")

// ErrZone is the error of a date whose zone alone is unusable: the date and
// time are still returned, read as UTC. It wraps ErrDate.
var ErrZone = fmt.Errorf("%w: unusable zone", ErrDate)

// FieldError says why a field's text is unusable: `"20120231" is not a real
// date`. It wraps ErrDate or ErrAmount.
type FieldError struct {
	Value string
	Why   string
	Kind  error
}

func (e *FieldError) Error() string { return fmt.Sprintf("%q %s", e.Value, e.Why) }
func (e *FieldError) Unwrap() error { return e.Kind }

// ParseDate reads every form OFX uses: YYYYMMDD, YYYYMMDDHHMM,
// YYYYMMDDHHMMSS and YYYYMMDDHHMMSS.sss, each optionally followed by a zone
// [offset:NAME] where the offset is hours ("-5", "+5:30", "-4.5", "-0300").
// It also reads two forms seen in the wild: YYYY-MM-DD and DD/MM/YYYY (only
// when the day is over 12, so the order is certain). An impossible date
// (month 13, 31 February, all zeros) is an error.
func ParseDate(s string) (Date, error) {
	raw := s
	s = strings.TrimSpace(s)
	bad := func(why string) (Date, error) {
		return Date{Raw: raw}, &FieldError{Value: raw, Why: why, Kind: ErrDate}
	}
	if s == "" {
		return bad("is empty")
	}
	loc := time.UTC
	var zoneErr error
	if i := strings.IndexByte(s, '['); i >= 0 {
		zone := s[i+1:]
		s = strings.TrimSpace(s[:i])
		j := strings.IndexByte(zone, ']')
		if j < 0 {
			return bad("has an unclosed zone")
		}
		l, err := cachedZone(zone[:j])
		if err != nil {
			zoneErr = err // the date and time are still good: read them as UTC
		} else {
			loc = l
		}
	}
	if len(s) == 10 && (s[4] == '-' && s[7] == '-') {
		s = s[:4] + s[5:7] + s[8:10]
	} else if len(s) == 10 && s[2] == '/' && s[5] == '/' {
		if d, _ := strconv.Atoi(s[:2]); d <= 12 {
			return bad("is in an ambiguous day/month order")
		}
		s = s[6:10] + s[3:5] + s[:2]
	}
	var frac string
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s, frac = s[:i], s[i+1:]
		if frac != "" && !allDigits(frac) {
			return bad("has a bad fraction of a second")
		}
	}
	if !allDigits(s) {
		return bad("is not digits")
	}
	var f [6]int // year month day hour minute second
	switch len(s) {
	case 8, 12, 14:
	case 10: // YYYYMMDDHH, seen from a few banks
	default:
		return bad("has the wrong length")
	}
	f[0], _ = strconv.Atoi(s[0:4])
	f[1], _ = strconv.Atoi(s[4:6])
	f[2], _ = strconv.Atoi(s[6:8])
	for k := 3; k < 6 && 2*k+4 <= len(s); k++ {
		f[k], _ = strconv.Atoi(s[2*k+2 : 2*k+4])
	}
	if f[0] == 0 || f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 60 {
		return bad("is not a real date")
	}
	nsec := 0
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		nsec, _ = strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
	}
	t := time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], min(f[5], 59), nsec, loc)
	if t.Day() != f[2] {
		return bad("is not a real date")
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return bad("is out of range")
	}
	d := Date{Time: t, Valid: true, HasTime: len(s) > 8}
	if zoneErr != nil {
		d.Raw = raw
		return d, &FieldError{Value: raw, Why: zoneErr.Error() + "; read as UTC", Kind: ErrZone}
	}
	return d, nil
}

// zones keeps the few zones files use, so dates allocate no location. It
// holds at most maxZones entries, so hostile input cannot grow it.
var zones = struct {
	sync.RWMutex
	m map[string]*time.Location
}{m: map[string]*time.Location{}}

const maxZones = 256

func cachedZone[T ~string | ~[]byte](z T) (*time.Location, error) {
	zones.RLock()
	l, ok := zones.m[string(z)]
	zones.RUnlock()
	if ok {
		return l, nil
	}
	l, err := parseZone(string(z))
	if err == nil {
		zones.Lock()
		if len(zones.m) < maxZones {
			zones.m[string(z)] = l
		}
		zones.Unlock()
	}
	return l, err
}

// parseDateBytes is ParseDate for element text, without allocating for the
// usual forms (YYYYMMDD[HHMM[SS[.sss]]][zone]). Raw is kept only when the
// date is unusable.
func parseDateBytes(v []byte) (Date, error) {
	n := 0
	for n < len(v) && v[n] >= '0' && v[n] <= '9' {
		n++
	}
	if n != 8 && n != 12 && n != 14 {
		return ParseDate(string(v))
	}
	i, nsec := n, 0
	if i < len(v) && v[i] == '.' {
		i++
		scale := 100000000
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			nsec += int(v[i]-'0') * scale
			scale /= 10
			i++
		}
	}
	loc := time.UTC
	if i < len(v) && v[i] == '[' {
		j := i + 1
		for j < len(v) && v[j] != ']' {
			j++
		}
		if j == len(v) {
			return ParseDate(string(v))
		}
		l, err := cachedZone(v[i+1 : j])
		if err != nil {
			return ParseDate(string(v))
		}
		loc, i = l, j+1
	}
	if i != len(v) {
		return ParseDate(string(v))
	}
	num := func(a, b int) int {
		x := 0
		for _, c := range v[a:b] {
			x = x*10 + int(c-'0')
		}
		return x
	}
	var f [6]int
	f[0], f[1], f[2] = num(0, 4), num(4, 6), num(6, 8)
	if n >= 12 {
		f[3], f[4] = num(8, 10), num(10, 12)
	}
	if n == 14 {
		f[5] = num(12, 14)
	}
	if f[0] == 0 || f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 60 || nsec >= 1e9 {
		return ParseDate(string(v))
	}
	t := time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], min(f[5], 59), nsec, loc)
	if y := t.UTC().Year(); t.Day() != f[2] || y < 1 || y > 9999 {
		return ParseDate(string(v))
	}
	return Date{Time: t, Valid: true, HasTime: n > 8}, nil
}

// parseZone reads the inside of [...]: an offset in hours ("-5", "+5.5",
// "-0300"), optionally with minutes ("+5:30"), optionally followed by
// ":NAME". A name that is not letters is ignored.
func parseZone(z string) (*time.Location, error) {
	if t := strings.TrimSpace(z); t != "" && (t[0] >= 'A' && t[0] <= 'Z' || t[0] >= 'a' && t[0] <= 'z') {
		// A zone by name alone: [EST].
		if h, ok := zoneNames[strings.ToUpper(t)]; ok {
			return time.FixedZone(strings.ToUpper(t), int(h*3600)), nil
		}
		return nil, fmt.Errorf("has an unknown zone %q", z)
	}
	off, name, _ := strings.Cut(z, ":")
	mins := 0
	if len(name) >= 2 && allDigits(name[:2]) && (len(name) == 2 || name[2] == ':') {
		mins, _ = strconv.Atoi(name[:2])
		if mins > 59 {
			return nil, fmt.Errorf("has a bad zone %q", z)
		}
		name = strings.TrimPrefix(name[2:], ":")
	}
	off = strings.TrimSpace(off)
	if off == "" {
		return nil, fmt.Errorf("has an empty zone")
	}
	neg := off[0] == '-'
	if off[0] == '-' || off[0] == '+' {
		off = off[1:]
	}
	var secs int
	switch {
	case len(off) == 4 && allDigits(off) && mins == 0: // -0300
		h, _ := strconv.Atoi(off[:2])
		m, _ := strconv.Atoi(off[2:])
		if h > 14 || m > 59 {
			return nil, fmt.Errorf("has a bad zone %q", z)
		}
		secs = h*3600 + m*60
	default:
		if strings.Trim(off, "0123456789.") != "" || strings.Count(off, ".") > 1 {
			return nil, fmt.Errorf("has a bad zone %q", z)
		}
		h, err := strconv.ParseFloat(off, 64)
		if err != nil || h > 14 || h < 0 || mins > 0 && h != float64(int(h)) {
			return nil, fmt.Errorf("has a bad zone %q", z)
		}
		secs = int(h*3600+0.5) + mins*60
	}
	if neg {
		secs = -secs
	}
	if !isZoneName(name) {
		name = formatOffset(secs)
	}
	return time.FixedZone(name, secs), nil
}

// zoneNames are the zones banks name without an offset, in hours from UTC.
// Ambiguous names (IST: India, Ireland or Israel) are left out.
var zoneNames = map[string]float64{
	"UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
	"AKST": -9, "AKDT": -8, "HST": -10, "AST": -4, "ADT": -3, "NST": -3.5, "NDT": -2.5,
	"BRT": -3, "BRST": -2, "ART": -3, "JST": 9, "KST": 9, "HKT": 8, "SGT": 8, "AWST": 8,
	"ACST": 9.5, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
}

// isZoneName reports whether s looks like a zone's name: EST, BRT, GMT.
func isZoneName(s string) bool {
	if s == "" || len(s) > 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

func formatOffset(secs int) string {
	sign := "+"
	if secs < 0 {
		sign, secs = "-", -secs
	}
	return fmt.Sprintf("UTC%s%02d:%02d", sign, secs/3600, secs%3600/60)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// FormatDate writes t as OFX does: YYYYMMDDHHMMSS.sss[offset:NAME].
func FormatDate(t time.Time) string {
	_, off := t.Zone()
	name, _ := t.Zone()
	h := float64(off) / 3600
	zone := strconv.FormatFloat(h, 'f', -1, 64)
	if off >= 0 {
		zone = "+" + zone
	}
	if !isZoneName(name) || strings.HasPrefix(name, "UTC") {
		name = ""
	}
	if name != "" {
		zone += ":" + name
	}
	if off == 0 {
		zone = "0:GMT"
	}
	return t.Format("20060102150405.000") + "[" + zone + "]"
}

// FormatDay writes a date without a time: YYYYMMDD.
func FormatDay(t time.Time) string { return t.Format("20060102") }
