package fakebank

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Where a fault acts, in the order a request meets them.
const (
	layerTLS      = "tls"      // the TLS handshake: which certificate is served
	layerHTTP     = "http"     // the HTTP answer, in place of OFX
	layerDelivery = "delivery" // how the answer travels: latency, trickle
	layerBody     = "body"     // the OFX answer spoiled on its way out
	layerSignon   = "signon"   // the sign-on answers with a non-zero STATUS
	layerAccount  = "account"  // one statement answers with a non-zero STATUS
	layerData     = "data"     // the statement's contents
)

// Portal actions that clear a fault for the user who performs them.
const (
	clearsTerms    = "terms"    // accepting the new terms
	clearsDevice   = "device"   // approving the CLIENTUID
	clearsPassword = "password" // choosing a new password
)

// A Param is a setting of a fault kind, with its default.
type Param struct {
	Name    string `json:"name"`
	Default string `json:"default"`
	Desc    string `json:"description"`
	kind    paramKind
}

type paramKind int

const (
	paramText paramKind = iota
	paramDuration
	paramInt
	paramShare // a fraction in [0, 1]
	paramAmount
)

// Kind describes one fault kind.
type Kind struct {
	Name   string  `json:"name"`
	Layer  string  `json:"layer"`
	Desc   string  `json:"description"`
	Params []Param `json:"params,omitempty"`
	// Clears names the portal action that clears the fault for a user:
	// "terms" or "device".
	Clears string `json:"cleared_by,omitempty"`
}

// Fault kinds.
const (
	FaultMaintenance503   = "maintenance-503"
	FaultMaintenancePage  = "maintenance-page"
	FaultMaintenanceOFX   = "maintenance-ofx"
	FaultHTTP500          = "http-500"
	FaultOFX2000          = "ofx-2000"
	FaultEmptyBody        = "empty-body"
	FaultTruncated        = "truncated"
	FaultMalformed        = "malformed"
	FaultWrongContentType = "wrong-content-type"
	FaultWAF              = "waf-403"
	FaultRejectUserAgent  = "reject-user-agent"
	FaultRejectAppVer     = "reject-appver"
	FaultChangePassword   = "change-password"
	FaultClientUID        = "clientuid"
	FaultAcceptTerms      = "accept-terms"
	FaultBadCredentials   = "bad-credentials"
	FaultLockout          = "lockout"
	FaultMFA              = "mfa"
	FaultAccountNotFound  = "account-not-found"
	FaultRateLimitOFX     = "rate-limit-ofx"
	FaultRateLimit429     = "rate-limit-429"
	FaultLatency          = "latency"
	FaultTrickle          = "trickle"
	FaultHang             = "hang"
	FaultReset            = "reset"
	FaultTLSExpired       = "tls-expired"
	FaultTLSWrongHost     = "tls-wrong-host"
	FaultTLSUntrusted     = "tls-untrusted"
	FaultFITIDRekey       = "fitid-rekey"
	FaultPending          = "pending"
	FaultDuplicateFITID   = "duplicate-fitid"
	FaultBalanceMismatch  = "balance-mismatch"
)

var (
	pRetryAfter = Param{Name: "retry_after", Default: "1h", Desc: "Retry-After when no window end is known", kind: paramDuration}
	pMessage    = func(def string) Param {
		return Param{Name: "message", Default: def, Desc: "the STATUS MESSAGE", kind: paramText}
	}
	pReset = Param{Name: "reset", Default: "1h", Desc: "how long until the limit resets", kind: paramDuration}
)

// Kinds lists every fault kind, in the order `bankfeed fakebank faults`
// shows them.
var Kinds = []Kind{
	{Name: FaultMaintenance503, Layer: layerHTTP, Params: []Param{pRetryAfter},
		Desc: "maintenance: HTTP 503 with Retry-After (the window's end when scheduled); the portal shows the same"},
	{Name: FaultMaintenancePage, Layer: layerHTTP,
		Desc: "maintenance: an HTML splash page with status 200 instead of OFX; the portal shows it too"},
	{Name: FaultMaintenanceOFX, Layer: layerSignon, Params: []Param{pMessage("System unavailable for scheduled maintenance. Please try again later.")},
		Desc: "maintenance: OFX sign-on STATUS 2000, system unavailable"},
	{Name: FaultHTTP500, Layer: layerHTTP, Desc: "HTTP 500 with an HTML error page"},
	{Name: FaultOFX2000, Layer: layerSignon, Params: []Param{pMessage("General error. Please try again later.")},
		Desc: "OFX sign-on STATUS 2000, general error"},
	{Name: FaultEmptyBody, Layer: layerHTTP, Desc: "HTTP 200, Content-Type application/x-ofx, and no body"},
	{Name: FaultTruncated, Layer: layerBody, Params: []Param{{Name: "share", Default: "0.6", Desc: "how much of the body is sent", kind: paramShare}},
		Desc: "the OFX body cut off in the middle of an element"},
	{Name: FaultMalformed, Layer: layerBody,
		Desc: "malformed OFX: a stack trace in the middle of the statement, tags closed blindly, no </OFX>"},
	{Name: FaultWrongContentType, Layer: layerBody, Params: []Param{{Name: "content_type", Default: "text/html; charset=utf-8", Desc: "the Content-Type sent", kind: paramText}},
		Desc: "the OFX answer sent with another Content-Type"},
	{Name: FaultWAF, Layer: layerHTTP, Desc: "a web application firewall's HTML block page with HTTP 403"},
	{Name: FaultRejectUserAgent, Layer: layerHTTP, Params: []Param{{Name: "match", Default: "", Desc: "User-Agent substring refused (case-insensitive); empty refuses all", kind: paramText}},
		Desc: "HTTP 403 access denied for clients whose User-Agent matches"},
	{Name: FaultRejectAppVer, Layer: layerSignon, Params: []Param{{Name: "appvers", Default: "", Desc: "APPVERs refused, comma-separated; empty refuses all", kind: paramText}},
		Desc: "OFX sign-on STATUS 2000: this software version is no longer supported"},
	{Name: FaultChangePassword, Layer: layerSignon, Clears: clearsPassword,
		Desc: "OFX sign-on STATUS 15000: the user must change the password; cleared by choosing a new one in the portal"},
	{Name: FaultClientUID, Layer: layerSignon, Clears: clearsDevice,
		Desc: "OFX sign-on STATUS 15510: CLIENTUID not registered; cleared by approving it in the portal"},
	{Name: FaultAcceptTerms, Layer: layerSignon, Clears: clearsTerms,
		Desc: "OFX sign-on STATUS 2000 asking the user to log in and accept new terms; cleared by accepting them in the portal"},
	{Name: FaultBadCredentials, Layer: layerSignon,
		Desc: "OFX sign-on STATUS 15500 whatever the password; counts toward the lockout like a wrong password"},
	{Name: FaultLockout, Layer: layerSignon,
		Desc: "OFX sign-on STATUS 15502: the user is locked out while the fault is on (as after too many bad sign-ons)"},
	{Name: FaultMFA, Layer: layerSignon, Desc: "OFX sign-on STATUS 3000: an MFA challenge is required"},
	{Name: FaultAccountNotFound, Layer: layerAccount,
		Desc: "statement STATUS 2003, account not found (closed or renumbered); the account drops out of the account list"},
	{Name: FaultRateLimitOFX, Layer: layerSignon, Params: []Param{pReset},
		Desc: "OFX sign-on STATUS 15501: too many requests, with the time the limit resets"},
	{Name: FaultRateLimit429, Layer: layerHTTP, Params: []Param{pReset},
		Desc: "HTTP 429 with Retry-After and X-RateLimit-Reset"},
	{Name: FaultLatency, Layer: layerDelivery, Params: []Param{{Name: "delay", Default: "2s", Desc: "time from the request to the answer", kind: paramDuration}},
		Desc: "a slow answer: the headers go out delay after the request came, the bank's own work counted in it"},
	{Name: FaultTrickle, Layer: layerDelivery, Params: []Param{
		{Name: "chunk", Default: "64", Desc: "bytes per write", kind: paramInt},
		{Name: "interval", Default: "100ms", Desc: "wait between writes", kind: paramDuration}},
		Desc: "a slow answer: the body trickles out a few bytes at a time"},
	{Name: FaultHang, Layer: layerHTTP, Desc: "accepts the request and never answers (until the client gives up)"},
	{Name: FaultReset, Layer: layerHTTP, Desc: "resets the connection (TCP RST) after reading the request"},
	{Name: FaultTLSExpired, Layer: layerTLS, Desc: "TLS: an expired certificate"},
	{Name: FaultTLSWrongHost, Layer: layerTLS, Desc: "TLS: a certificate for another host name"},
	{Name: FaultTLSUntrusted, Layer: layerTLS, Desc: "TLS: a certificate from an issuer no client trusts"},
	{Name: FaultFITIDRekey, Layer: layerData, Params: []Param{{Name: "share", Default: "0.3", Desc: "share of transactions whose FITID changes", kind: paramShare}},
		Desc: "data: FITIDs re-keyed for a share of the transactions (same transaction, new id)"},
	{Name: FaultPending, Layer: layerData, Params: []Param{{Name: "days", Default: "3", Desc: "how recent a transaction is while pending", kind: paramInt}},
		Desc: "data: recent transactions sent as pending, with another FITID and amount, that post later as themselves"},
	{Name: FaultDuplicateFITID, Layer: layerData, Params: []Param{{Name: "share", Default: "0.2", Desc: "share of transactions that reuse the previous one's FITID", kind: paramShare}},
		Desc: "data: two different transactions with one FITID in the same statement"},
	{Name: FaultBalanceMismatch, Layer: layerData, Params: []Param{{Name: "delta", Default: "13.37", Desc: "added to LEDGERBAL", kind: paramAmount}},
		Desc: "data: a LEDGERBAL that the statement's lines do not add up to"},
}

// KindOf returns the kind with the given name.
func KindOf(name string) (Kind, bool) {
	for _, k := range Kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// FaultSpec switches a fault on. Institution is required (a scenario's own
// faults default to their institution); User and Account narrow it. With no
// Window, From/Until, Count or Probability it is always on; with several, all
// must hold.
type FaultSpec struct {
	// ID is given by the server.
	ID          string `json:"id,omitempty"`
	Kind        string `json:"kind"`
	Institution string `json:"institution"`
	User        string `json:"user,omitempty"`
	Account     string `json:"account,omitempty"`
	// Window is a weekly schedule in the scenario's zone: "Sat 01:00-05:00",
	// "Mon-Fri 22:00-23:30", "daily 02:00-03:00". An end before the start
	// runs past midnight.
	Window string `json:"window,omitempty"`
	// From and Until bound the fault in time.
	From  time.Time `json:"from,omitzero"`
	Until time.Time `json:"until,omitzero"`
	// Count is how many requests the fault answers before it ends.
	Count int `json:"count,omitempty"`
	// Probability answers each matching request with this chance.
	Probability float64 `json:"probability,omitempty"`
	// Params are the kind's settings (see Kinds).
	Params map[string]string `json:"params,omitempty"`
}

// check validates the spec against the kinds and the scenario.
func (f *FaultSpec) check(s *Scenario) error {
	var errs []error
	kind, ok := KindOf(f.Kind)
	if !ok {
		errs = append(errs, fmt.Errorf("kind %q unknown (bankfeed fakebank faults lists them)", f.Kind))
	}
	in := s.Institution(f.Institution)
	switch {
	case f.Institution == "":
		errs = append(errs, errors.New("institution missing"))
	case in == nil:
		errs = append(errs, fmt.Errorf("institution %q not in the scenario", f.Institution))
	}
	if in != nil && f.User != "" && in.User(f.User) == nil {
		errs = append(errs, fmt.Errorf("user %q not at %s", f.User, in.ID))
	}
	if in != nil && f.Account != "" {
		u, _ := in.Account(f.Account)
		switch {
		case u == nil:
			errs = append(errs, fmt.Errorf("account %q not at %s", f.Account, in.ID))
		case f.User != "" && u.ID != f.User:
			errs = append(errs, fmt.Errorf("account %q is not %s's", f.Account, f.User))
		}
	}
	if ok && kind.Layer == layerTLS && (f.User != "" || f.Account != "") {
		errs = append(errs, errors.New("a TLS fault acts before any user is known: scope it to the institution"))
	}
	if f.Window != "" {
		if _, err := parseWindow(f.Window); err != nil {
			errs = append(errs, err)
		}
	}
	if !f.From.IsZero() && !f.Until.IsZero() && !f.Until.After(f.From) {
		errs = append(errs, errors.New("until is not after from"))
	}
	if f.Count < 0 {
		errs = append(errs, fmt.Errorf("count %d is negative", f.Count))
	}
	if f.Probability < 0 || f.Probability > 1 {
		errs = append(errs, fmt.Errorf("probability %v: want 0 to 1", f.Probability))
	}
	if ok {
		names := map[string]Param{}
		for _, p := range kind.Params {
			names[p.Name] = p
		}
		for _, k := range sortedKeys(f.Params) {
			p, known := names[k]
			if !known {
				errs = append(errs, fmt.Errorf("param %q unknown for %s", k, kind.Name))
				continue
			}
			if err := p.check(f.Params[k]); err != nil {
				errs = append(errs, fmt.Errorf("param %s: %w", k, err))
			}
		}
	}
	return errors.Join(errs...)
}

func (p Param) check(v string) error {
	switch p.kind {
	case paramDuration:
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("%q: want a duration such as 90s or 2h", v)
		}
	case paramInt:
		if n, err := strconv.Atoi(v); err != nil || n < 1 {
			return fmt.Errorf("%q: want a positive whole number", v)
		}
	case paramShare:
		if x, err := strconv.ParseFloat(v, 64); err != nil || x < 0 || x > 1 {
			return fmt.Errorf("%q: want a fraction from 0 to 1", v)
		}
	case paramAmount:
		if _, err := parseAmount(v); err != nil {
			return fmt.Errorf("%q: want an amount such as 13.37", v)
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// param returns a parameter's value or its kind's default.
func (f *FaultSpec) param(name string) string {
	if v, ok := f.Params[name]; ok {
		return v
	}
	k, _ := KindOf(f.Kind)
	for _, p := range k.Params {
		if p.Name == name {
			return p.Default
		}
	}
	return ""
}

func (f *FaultSpec) duration(name string) time.Duration {
	d, _ := time.ParseDuration(f.param(name))
	return d
}

func (f *FaultSpec) intParam(name string) int {
	n, _ := strconv.Atoi(f.param(name))
	return n
}

func (f *FaultSpec) share(name string) float64 {
	x, _ := strconv.ParseFloat(f.param(name), 64)
	return x
}

// window is a weekly schedule: on the given weekdays, from start to end
// minutes after midnight (end ≤ start runs into the next day).
type window struct {
	days       [7]bool
	start, end int
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// parseWindow reads "Sat 01:00-05:00", "Mon-Fri 22:00-23:30",
// "Sat,Sun 00:00-06:00", "daily 02:00-03:00" or "02:00-03:00".
func parseWindow(s string) (window, error) {
	var w window
	bad := func(why string) (window, error) {
		return window{}, fmt.Errorf("window %q: %s (want e.g. \"Sat 01:00-05:00\" or \"daily 02:00-03:00\")", s, why)
	}
	fields := strings.Fields(s)
	var days, span string
	switch len(fields) {
	case 1:
		days, span = "daily", fields[0]
	case 2:
		days, span = fields[0], fields[1]
	default:
		return bad("want days and times")
	}
	if strings.EqualFold(days, "daily") {
		for i := range w.days {
			w.days[i] = true
		}
	} else {
		for part := range strings.SplitSeq(strings.ToLower(days), ",") {
			from, to, isRange := strings.Cut(part, "-")
			a, ok1 := dayNames[from]
			b, ok2 := a, true
			if isRange {
				b, ok2 = dayNames[to]
			}
			if !ok1 || !ok2 {
				return bad("unknown day " + part)
			}
			for d := a; ; d = (d + 1) % 7 {
				w.days[d] = true
				if d == b {
					break
				}
			}
		}
	}
	from, to, ok := strings.Cut(span, "-")
	if !ok {
		return bad("want HH:MM-HH:MM")
	}
	var err1, err2 error
	w.start, err1 = clockMinutes(from)
	w.end, err2 = clockMinutes(to)
	if err1 != nil || err2 != nil {
		return bad("want HH:MM-HH:MM")
	}
	if w.start == w.end {
		return bad("empty: start equals end")
	}
	return w, nil
}

func clockMinutes(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		if s == "24:00" {
			return 24 * 60, nil
		}
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// endOf returns when the window that holds t ends, or false when t is outside
// every window.
func (w window) endOf(t time.Time) (time.Time, bool) {
	y, m, d := t.Date()
	loc := t.Location()
	// A window that began yesterday may run past midnight into today. Times
	// are wall-clock times of the zone, so a DST change moves no window.
	for _, back := range []int{0, 1} {
		day := time.Date(y, m, d-back, 0, 0, 0, 0, loc)
		if !w.days[day.Weekday()] {
			continue
		}
		endMin := w.end
		if endMin <= w.start {
			endMin += 24 * 60
		}
		start := time.Date(y, m, d-back, 0, w.start, 0, 0, loc)
		end := time.Date(y, m, d-back, 0, endMin, 0, 0, loc)
		if !t.Before(start) && t.Before(end) {
			return end, true
		}
	}
	return time.Time{}, false
}

// fault is a switched-on fault with its run-time state.
type fault struct {
	spec    FaultSpec
	kind    Kind
	window  *window
	left    int             // requests left when spec.Count > 0
	cleared map[string]bool // users who cleared it in the portal
	seq     int
}

func newFault(spec FaultSpec, seq int) *fault {
	k, _ := KindOf(spec.Kind)
	f := &fault{spec: spec, kind: k, left: spec.Count, cleared: map[string]bool{}, seq: seq}
	if spec.Window != "" {
		w, _ := parseWindow(spec.Window)
		f.window = &w
	}
	return f
}

// target is what a request is about, for matching faults.
type target struct {
	institution string
	user        string   // "" for a request with no sign-on user (profile, TLS)
	accounts    []string // accounts the request asks about
}

// matches reports whether the fault's scope covers the target. An account
// fault matches a request about that account; a user fault, requests that
// sign on as the user.
func (f *fault) matches(t target) bool {
	s := &f.spec
	if s.Institution != t.institution {
		return false
	}
	if s.User != "" && s.User != t.user {
		return false
	}
	if s.Account != "" && !slices.Contains(t.accounts, s.Account) {
		return false
	}
	return !f.cleared[t.user]
}

// active reports whether the schedule holds at now (not counting Count and
// Probability, which consume).
func (f *fault) active(now time.Time, loc *time.Location) bool {
	s := &f.spec
	if !s.From.IsZero() && now.Before(s.From) {
		return false
	}
	if !s.Until.IsZero() && !now.Before(s.Until) {
		return false
	}
	if s.Count > 0 && f.left <= 0 {
		return false
	}
	if f.window != nil {
		if _, ok := f.window.endOf(now.In(loc)); !ok {
			return false
		}
	}
	return true
}

// ends returns when the fault is next expected to end, for Retry-After and
// "back at" messages; zero when unknown.
func (f *fault) ends(now time.Time, loc *time.Location) time.Time {
	var end time.Time
	if f.window != nil {
		end, _ = f.window.endOf(now.In(loc))
	}
	if u := f.spec.Until; !u.IsZero() && (end.IsZero() || u.Before(end)) {
		end = u
	}
	return end
}

func (f *fault) param(name string) string           { return f.spec.param(name) }
func (f *fault) duration(name string) time.Duration { return f.spec.duration(name) }
func (f *fault) intParam(name string) int           { return f.spec.intParam(name) }
func (f *fault) share(name string) float64          { return f.spec.share(name) }
