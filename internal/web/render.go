package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bankfeed/bankfeed"
)

func init() { routeSets = append(routeSets, (*Server).faviconRoutes) }

// faviconRoutes answers /favicon.ico, which browsers ask for by
// themselves, with the icon every page links to (static/favicon.svg).
func (s *Server) faviconRoutes() {
	s.handle("GET /favicon.ico", Public, func(w http.ResponseWriter, r *http.Request) error {
		b, err := fs.ReadFile(assets, "static/favicon.svg")
		if err != nil {
			return fmt.Errorf("web: favicon: %w", err)
		}
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		_, err = w.Write(b)
		return err
	})
}

// pageData is what every page's template gets. Data is the page's own.
type pageData struct {
	Title string
	// Nav is the menu entry to mark as current ("dashboard", "review", ...).
	Nav  string
	User *bankfeed.User
	// Unreviewed is the number of lines waiting for review, for the menu.
	Unreviewed int64
	// Zone is the time zone the page shows times in (the time zone
	// setting); nil for the server's local zone.
	Zone *time.Location
	Data any
}

// zone is the page's time zone.
func (p pageData) zone() *time.Location {
	if p.Zone == nil {
		return time.Local
	}
	return p.Zone
}

// Time writes a moment in the page's time zone, with the zone's
// abbreviation: "2 Jan 2006 15:04 CET".
func (p pageData) Time(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(p.zone()).Format("2 Jan 2006 15:04 MST")
}

// Day writes the day a moment falls on in the page's time zone.
func (p pageData) Day(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(p.zone()).Format("2 Jan 2006")
}

// Ago says how long ago a moment was ("2 h ago"), with the moment itself,
// zone and all, as its title.
func (p pageData) Ago(t time.Time) template.HTML {
	return p.relative(t, agoText(t))
}

// Until says how long until a moment ("in 14 min"), with the moment
// itself as its title.
func (p pageData) Until(t time.Time) template.HTML {
	return p.relative(t, untilText(t))
}

func (p pageData) relative(t time.Time, text string) template.HTML {
	if t.IsZero() {
		return template.HTML(template.HTMLEscapeString(text))
	}
	return template.HTML(`<time datetime="` + t.UTC().Format(time.RFC3339) + `" title="` +
		template.HTMLEscapeString(p.Time(t)) + `">` + template.HTMLEscapeString(text) + `</time>`)
}

// CanEdit reports whether the user may review, edit rules, reconcile and
// import.
func (p pageData) CanEdit() bool { return p.User != nil && p.User.Role.Allows(bankfeed.RoleBookkeeper) }

// IsAdmin reports whether the user may manage connections, users and
// settings.
func (p pageData) IsAdmin() bool { return p.User != nil && p.User.Role.Allows(bankfeed.RoleAdmin) }

// parsePages parses each page under templates/: layout.html, every partial
// (_*.html), and the page, which defines "content".
func (s *Server) parsePages() error {
	entries, err := fs.ReadDir(assets, "templates")
	if err != nil {
		return err
	}
	shared := []string{"templates/layout.html"}
	var pages []string
	for _, e := range entries {
		switch name := e.Name(); {
		case name == "layout.html" || !strings.HasSuffix(name, ".html"):
		case strings.HasPrefix(name, "_"):
			shared = append(shared, "templates/"+name)
		default:
			pages = append(pages, name)
		}
	}
	s.pages = map[string]*template.Template{}
	for _, p := range pages {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, append(shared, "templates/"+p)...)
		if err != nil {
			return fmt.Errorf("web: page %s: %w", p, err)
		}
		s.pages[strings.TrimSuffix(p, ".html")] = t
	}
	return nil
}

// page renders a page for the signed-in user, with the menu's counts.
func (s *Server) page(w http.ResponseWriter, r *http.Request, name string, p pageData) error {
	p.User = userOf(r.Context())
	if p.Nav == "" {
		p.Nav = name
	}
	if p.User != nil {
		n, err := s.db.CountUnreviewed(r.Context())
		if err != nil {
			return err
		}
		p.Unreviewed = n
	}
	zone, err := s.location(r.Context())
	if err != nil {
		return err
	}
	p.Zone = zone
	return s.render(w, r, name, p)
}

// render executes a page into a buffer first, so that a template error
// becomes an error page rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, p pageData) error {
	t := s.pages[name]
	if t == nil {
		return fmt.Errorf("web: no page %q", name)
	}
	if p.User == nil {
		p.User = userOf(r.Context())
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err := buf.WriteTo(w)
	return err
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("web: encode answer: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// maxBody bounds a JSON request body.
const maxBody = 1 << 20

// decodeJSON reads a JSON request body into v: one object, no unknown
// fields. Its errors name the field and are EInvalid.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return bankfeed.Errorf(bankfeed.EInvalid, "request body: Content-Type %s, want application/json", ct)
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.Is(err, io.EOF):
			return bankfeed.Errorf(bankfeed.EInvalid, "request body: empty, want a JSON object")
		case errors.As(err, &te):
			return bankfeed.Errorf(bankfeed.EInvalid, "request body: field %s: %s, want %s", te.Field, te.Value, te.Type)
		case errors.As(err, &se):
			return bankfeed.Errorf(bankfeed.EInvalid, "request body: not JSON at byte %d: %v", se.Offset, err)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return bankfeed.Errorf(bankfeed.EInvalid, "request body: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return bankfeed.Errorf(bankfeed.EInvalid, "request body: %v", err)
	}
	if dec.More() {
		return bankfeed.Errorf(bankfeed.EInvalid, "request body: more than one JSON value")
	}
	return nil
}

// decodeOptional reads a JSON body into v when there is one: an empty body
// leaves v as it is.
func decodeOptional(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return bankfeed.Errorf(bankfeed.EInvalid, "request body: %v", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return decodeJSON(r, v)
}

// pathID reads a numeric path value; its error names it.
func pathID(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, bankfeed.Errorf(bankfeed.EInvalid, "%s %q: not a positive number", name, v)
	}
	return id, nil
}

func strconvItoa(n int) string { return strconv.Itoa(n) }

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	// money writes an amount with a thousands separator: "-1,234.50".
	"money": func(d bankfeed.Decimal) string { return groupThousands(d.Canonical(2).String()) },
	// minor writes integer minor units (cents) as an amount.
	"minor": func(v int64) string { return groupThousands(bankfeed.NewDecimal(v, 2).String()) },
	"neg":   func(d bankfeed.Decimal) bool { return d.Sign() < 0 },
	// date writes a calendar date (a balance's, a deadline's) as it was
	// given, in no zone. A moment is written by the page's methods, in
	// the page's time zone: {{$.Time t}}, {{$.Day t}}, {{$.Ago t}},
	// {{$.Until t}}.
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Format("2 Jan 2006")
	},
	"iso": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	"json": func(v any) (template.JS, error) {
		b, err := json.Marshal(v)
		return template.JS(b), err
	},
	"base": path.Base,
	"add":  func(a, b int) int { return a + b },
}

// groupThousands puts commas in the integer part of a decimal string.
func groupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if hasFrac {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// agoText says how long ago t was: "just now", "2 h ago", "never".
func agoText(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	if d < time.Minute {
		return "just now"
	}
	return durationText(d) + " ago"
}

// untilText says how long until t: "in 14 min", "now".
func untilText(t time.Time) string {
	if t.IsZero() {
		return "none scheduled"
	}
	d := time.Until(t)
	if d < 30*time.Second {
		return "now"
	}
	return "in " + durationText(d)
}

// durationText writes d roughly: "45 s", "14 min", "2 h 30 min", "3 days".
func durationText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", max(int(d.Round(time.Second)/time.Second), 1))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	case d < 48*time.Hour:
		d = d.Round(time.Minute)
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 || h >= 10 {
			return fmt.Sprintf("%d h", int(d.Round(time.Hour)/time.Hour))
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	return fmt.Sprintf("%d days", int(d.Round(24*time.Hour)/(24*time.Hour)))
}

// zones caches the time zones read from the zone database, by name.
var zones sync.Map

// zoneNamed is the time zone of an IANA name; "" is the server's local
// zone.
func zoneNamed(name string) (*time.Location, error) {
	if name == "" {
		return time.Local, nil
	}
	if z, ok := zones.Load(name); ok {
		return z.(*time.Location), nil
	}
	z, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, z)
	return z, nil
}

// location is the time zone pages show times in: the time zone setting,
// else the server's local zone.
func (s *Server) location(ctx context.Context) (*time.Location, error) {
	m, err := s.db.Settings(ctx)
	if err != nil {
		return nil, err
	}
	z, err := zoneNamed(m[SettingTimeZone])
	if err != nil {
		// A zone checked when it was set, gone from this machine's zone
		// database since.
		s.log.Warn("time zone unknown here", "time_zone", m[SettingTimeZone], "err", err)
		return time.Local, nil
	}
	return z, nil
}
