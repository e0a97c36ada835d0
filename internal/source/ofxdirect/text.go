package ofxdirect

import (
	"bytes"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// maxMessage bounds a FetchError's Message, in characters.
const maxMessage = 300

// sanitize makes a bank's text safe to show: valid UTF-8, control
// characters as spaces, runs of space as one, at most maxMessage
// characters and an ellipsis.
func sanitize(s string) string {
	s = strings.ToValidUTF8(s, "?")
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\uFEFF' {
			space = b.Len() > 0
			continue
		}
		need := 1
		if space {
			need = 2
		}
		if n+need > maxMessage {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		n += need
	}
	return b.String()
}

// looksHTML reports an HTML page: by its Content-Type, or by how it starts.
func looksHTML(contentType string, body []byte) bool {
	if strings.Contains(mediaType(contentType), "html") && !bytes.Contains(bytes.ToUpper(body[:min(len(body), 64<<10)]), []byte("<OFX>")) {
		return true
	}
	head := bytes.ToLower(bytes.TrimLeft(body[:min(len(body), 1024)], " \t\r\n\uFEFF"))
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html")) ||
		bytes.HasPrefix(head, []byte("<head")) || bytes.HasPrefix(head, []byte("<body"))
}

var (
	reScriptStyle = regexp.MustCompile(`(?is)<(script|style)\b.*?</(script|style)\s*>`)
	reHead        = regexp.MustCompile(`(?is)<head\b.*?</head\s*>`)
	reTag         = regexp.MustCompile(`(?s)<[^>]*>`)
)

// pageText returns the words of an HTML page, sanitized: those of its body,
// or its title when the body has none.
func pageText(body []byte) string {
	s := reScriptStyle.ReplaceAllString(string(body[:min(len(body), 64<<10)]), " ")
	words := func(s string) string { return sanitize(html.UnescapeString(reTag.ReplaceAllString(s, " "))) }
	if text := words(reHead.ReplaceAllString(s, " ")); text != "" {
		return text
	}
	return words(s)
}

// retryAfterHeader reads a Retry-After header: seconds, or an HTTP date.
func retryAfterHeader(v string, now time.Time) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 || secs > maxRetryAhead {
			return time.Time{}
		}
		return now.Add(time.Duration(secs) * time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		return notBefore(t, now)
	}
	return time.Time{}
}

// notBefore returns t, now when t is past, or zero when t is further ahead
// than maxRetryAhead.
func notBefore(t, now time.Time) time.Time {
	switch {
	case t.Before(now):
		return now
	case t.Sub(now) > maxRetryAhead*time.Second:
		return time.Time{}
	}
	return t
}

// maxRetryAhead bounds a retry time a bank gives, in seconds (30 days).
const maxRetryAhead = 30 * 24 * 3600

// rateLimitReset reads an X-RateLimit-Reset header: a Unix time, or (when
// too small to be one) seconds from now, as some servers send.
func rateLimitReset(v string, now time.Time) time.Time {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	switch {
	case err != nil || n < 0:
		return time.Time{}
	case n < 1e9:
		if n > maxRetryAhead {
			return time.Time{}
		}
		return now.Add(time.Duration(n) * time.Second)
	}
	return notBefore(time.Unix(n, 0), now)
}

// zoneOffsets are the time zone abbreviations banks write, with their
// offsets in hours (Go's parser knows only the local zone's).
var zoneOffsets = map[string]float64{
	"UTC": 0, "GMT": 0, "Z": 0,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
	"AKST": -9, "AKDT": -8, "HST": -10, "AST": -4, "NST": -3.5, "NDT": -2.5,
	"ET": -5, "CT": -6, "MT": -7, "PT": -8, // generic names: standard time
	"BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "WET": 0, "WEST": 1,
}

var (
	reIn = regexp.MustCompile(`(?i)\bin\s+(\d{1,7})\s*(seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h)\b`)
	// 2026-11-24 11:30 EST, 2026-11-24T11:30:00Z, 11/24/2026 11:30 AM EST
	reISO = regexp.MustCompile(`(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(?::\d{2})?)\s*(Z|[+-]\d{2}:?\d{2}|[A-Z]{1,4}\b)?`)
	reUS  = regexp.MustCompile(`(?i)(\d{1,2}/\d{1,2}/\d{4})\s+(\d{1,2}:\d{2})\s*(AM|PM)?\s*([A-Z]{1,4}\b)?`)
	// "back by Tuesday 16:00 EST"
	reWeekday = regexp.MustCompile(`(Sunday|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday)\s+(\d{1,2}:\d{2})\s*([A-Z]{1,4}\b)?`)
)

// retryFromText finds when a bank's message says to come back: "in 3600
// seconds", "after 2026-11-24 11:30 EST", "back by Tuesday 16:00 EST". A
// time without a zone is taken in now's. It returns zero when the message
// names no time ahead of now (within 30 days).
func retryFromText(msg string, now time.Time) time.Time {
	ahead := func(t time.Time) time.Time {
		if t.After(now) && t.Sub(now) <= maxRetryAhead*time.Second {
			return t
		}
		return time.Time{}
	}
	if m := reIn.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := time.Second
		switch u := strings.ToLower(m[2]); {
		case strings.HasPrefix(u, "m"):
			unit = time.Minute
		case strings.HasPrefix(u, "h"):
			unit = time.Hour
		}
		return ahead(now.Add(time.Duration(n) * unit))
	}
	if m := reISO.FindStringSubmatch(msg); m != nil {
		clock := m[2]
		if len(clock) <= 5 {
			clock += ":00"
		}
		if len(clock) == 7 {
			clock = "0" + clock
		}
		if loc, ok := zoneOf(m[3], now); ok {
			if t, err := time.ParseInLocation("2006-01-02 15:04:05", m[1]+" "+clock, loc); err == nil {
				return ahead(t)
			}
		}
	}
	if m := reUS.FindStringSubmatch(msg); m != nil {
		layout, value := "1/2/2006 15:04", m[1]+" "+m[2]
		if m[3] != "" {
			layout, value = "1/2/2006 3:04 PM", value+" "+strings.ToUpper(m[3])
		}
		if loc, ok := zoneOf(strings.ToUpper(m[4]), now); ok {
			if t, err := time.ParseInLocation(layout, value, loc); err == nil {
				return ahead(t)
			}
		}
	}
	if m := reWeekday.FindStringSubmatch(msg); m != nil {
		loc, ok := zoneOf(m[3], now)
		clock, err := time.Parse("15:04", m[2])
		if ok && err == nil {
			local := now.In(loc)
			for d := 0; d <= 7; d++ {
				day := local.AddDate(0, 0, d)
				if day.Weekday().String() != m[1] {
					continue
				}
				t := time.Date(day.Year(), day.Month(), day.Day(), clock.Hour(), clock.Minute(), 0, 0, loc)
				if t.After(now) {
					return ahead(t)
				}
			}
		}
	}
	return time.Time{}
}

// zoneOf returns the location a zone names: an abbreviation, "Z" or a
// numeric offset; now's zone when there is none. An unknown abbreviation
// is refused rather than guessed.
func zoneOf(z string, now time.Time) (*time.Location, bool) {
	if z == "" {
		return now.Location(), true
	}
	if h, ok := zoneOffsets[z]; ok {
		return time.FixedZone(z, int(h*3600)), true
	}
	if z[0] == '+' || z[0] == '-' {
		digits := strings.ReplaceAll(z[1:], ":", "")
		if len(digits) == 4 {
			hh, err1 := strconv.Atoi(digits[:2])
			mm, err2 := strconv.Atoi(digits[2:])
			if err1 == nil && err2 == nil {
				off := hh*3600 + mm*60
				if z[0] == '-' {
					off = -off
				}
				return time.FixedZone(z, off), true
			}
		}
	}
	return nil, false
}
