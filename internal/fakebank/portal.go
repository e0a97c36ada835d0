package fakebank

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// sessionCookie names the cookie of a portal session, with the institution
// after it: cookies ignore ports, and every institution lives on 127.0.0.1.
const sessionCookie = "fakebank_session_"

// maxSessions bounds the open portal sessions; beyond it the oldest go.
const maxSessions = 10000

// maxForm bounds a portal form.
const maxForm = 64 << 10

// The portal's pages share one layout.
var portalTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}.notice{border:2px solid #c60;padding:1em;margin:1em 0}
table{border-collapse:collapse}td,th{padding:.2em .8em;text-align:left}</style></head>
<body><h1>{{.Heading}}</h1>
{{if .Text}}<p>{{.Text}}</p>{{end}}
{{if .Login}}<form method="post" action="/login">
<label>User ID <input name="userid" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Log in</button></form>{{end}}
{{if .Home}}{{with .Home}}
{{if .Terms}}<div class="notice" id="terms"><h2>Updated Terms and Conditions</h2>
<p>We have updated our Online Banking Terms and Conditions. Please read and accept them to continue using online banking and connected software.</p>
<form method="post" action="/terms/accept"><button type="submit">I accept</button></form></div>{{end}}
{{if .Devices}}<div class="notice" id="devices"><h2>Approve an application</h2>
<p>An application asked to connect to your accounts. Approve it only if it is yours.</p>
{{range .Devices}}<form method="post" action="/device/approve"><input type="hidden" name="clientuid" value="{{.}}">
<code>{{.}}</code> <button type="submit">Approve</button></form>{{end}}</div>{{end}}
{{if .Password}}<div class="notice" id="password"><h2>Choose a new password</h2>
<form method="post" action="/password"><label>New password <input name="new_password" type="password"></label>
<button type="submit">Change password</button></form></div>{{end}}
<h2>Your accounts</h2><table><tr><th>Account</th><th>Type</th><th>Balance</th></tr>
{{range .Accounts}}<tr><td>{{.Desc}} (…{{.Last4}})</td><td>{{.Type}}</td><td>{{.Balance}} {{.Currency}}</td></tr>{{end}}</table>
<form method="post" action="/logout"><button type="submit">Log out</button></form>
{{end}}{{end}}
</body></html>
`))

type portalPage struct {
	Title, Heading, Text string
	Login                bool
	Home                 *homePage
}

type homePage struct {
	Terms, Password bool
	Devices         []string
	Accounts        []homeAccount
}

type homeAccount struct {
	Desc, Last4, Type, Balance, Currency string
}

// htmlPage renders a page with a heading and a paragraph.
func htmlPage(title, heading, text string) string {
	var b strings.Builder
	_ = portalTmpl.Execute(&b, portalPage{Title: title, Heading: heading, Text: text})
	return b.String()
}

func (s *Server) portalRoutes(mux *http.ServeMux, in *Institution) {
	p := &portal{s: s, in: in}
	mux.HandleFunc("GET /{$}", p.handle("index", p.index))
	mux.HandleFunc("POST /login", p.handle("login", p.login))
	mux.HandleFunc("GET /home", p.handle("home", p.home))
	mux.HandleFunc("POST /terms/accept", p.handle("accept-terms", p.acceptTerms))
	mux.HandleFunc("POST /device/approve", p.handle("approve-device", p.approveDevice))
	mux.HandleFunc("POST /password", p.handle("change-password", p.changePassword))
	mux.HandleFunc("POST /logout", p.handle("logout", p.logout))
}

// portal serves one institution's web site.
type portal struct {
	s  *Server
	in *Institution
}

// portalFunc answers a portal request and says with which status.
type portalFunc func(w http.ResponseWriter, r *http.Request, rec *Record) int

func (p *portal) handle(action string, fn portalFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		now := p.s.now()
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		rec := &Record{Time: now, Institution: p.in.ID, Channel: ChannelPortal, Method: r.Method, Path: r.URL.Path,
			Remote: r.RemoteAddr, UserAgent: r.UserAgent(), Asked: []string{action}}
		// The page is built aside and sent once the request is recorded.
		bw := &bufferedWriter{header: http.Header{}}
		if f := p.maintenance(now); f != nil {
			rec.Fault, rec.FaultID = f.spec.Kind, f.spec.ID
			status := http.StatusOK
			back := f.ends(now, p.s.sc.Location())
			if f.spec.Kind == FaultMaintenance503 {
				status = http.StatusServiceUnavailable
				secs := retryAfter(now, back, f.duration("retry_after"))
				bw.Header().Set("Retry-After", fmt.Sprint(secs))
				back = now.Add(time.Duration(secs) * time.Second)
			}
			rec.HTTPStatus = p.render(bw, status, portalPage{Title: p.in.Name, Heading: "Scheduled maintenance",
				Text: maintenanceText(back, p.s.sc.Location())})
		} else {
			rec.HTTPStatus = fn(bw, r, rec)
		}
		p.s.record(rec)
		bw.sendTo(w)
	}
}

// bufferedWriter holds an answer until it is sent.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

func (b *bufferedWriter) sendTo(w http.ResponseWriter) {
	maps.Copy(w.Header(), b.header)
	w.WriteHeader(cmp.Or(b.status, http.StatusOK))
	_, _ = w.Write(b.body.Bytes())
}

// maintenance returns the maintenance fault the portal shows, if any: one
// of the whole institution (a user's fault does not take the site down).
// Looking does not use up a count; a probability is drawn as for OFX.
func (p *portal) maintenance(now time.Time) *fault {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		k := f.spec.Kind
		if (k == FaultMaintenance503 || k == FaultMaintenancePage) && f.spec.Institution == p.in.ID &&
			f.spec.User == "" && f.spec.Account == "" && f.active(now, s.sc.Location()) &&
			(f.spec.Probability == 0 || s.draw() < f.spec.Probability) {
			return f
		}
	}
	return nil
}

func (p *portal) render(w http.ResponseWriter, status int, page portalPage) int {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = portalTmpl.Execute(w, page)
	return status
}

func (p *portal) index(w http.ResponseWriter, r *http.Request, rec *Record) int {
	if user := p.sessionUser(r); user != "" {
		http.Redirect(w, r, "/home", http.StatusSeeOther)
		return http.StatusSeeOther
	}
	return p.render(w, http.StatusOK, portalPage{Title: p.in.Name, Heading: p.in.Name + " Online Banking", Login: true})
}

// checkLogin checks a user ID and password as the OFX sign-on does,
// counting a bad one toward the lockout.
func (p *portal) checkLogin(userID, password string) (ok bool, why string) {
	st := p.s.checkPassword(p.in, userID, password)
	return st.Code == codeOK, st.Message
}

func (p *portal) login(w http.ResponseWriter, r *http.Request, rec *Record) int {
	userID := r.PostFormValue("userid")
	rec.User, rec.Signon = userID, true
	if ok, why := p.checkLogin(userID, r.PostFormValue("password")); !ok {
		rec.Error = why
		return p.render(w, http.StatusUnauthorized, portalPage{Title: p.in.Name, Heading: "Log in failed", Text: why, Login: true})
	}
	token := make([]byte, 16)
	_, _ = rand.Read(token)
	id := hex.EncodeToString(token)
	p.s.mu.Lock()
	if len(p.s.sessions) >= maxSessions {
		clear(p.s.sessions)
	}
	p.s.sessions[id] = userKey{p.in.ID, userID}
	p.s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie + p.in.ID, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/home", http.StatusSeeOther)
	return http.StatusSeeOther
}

// sessionUser returns the user of the request's session, or "".
func (p *portal) sessionUser(r *http.Request) string {
	c, err := r.Cookie(sessionCookie + p.in.ID)
	if err != nil {
		return ""
	}
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	k, ok := p.s.sessions[c.Value]
	if !ok || k.inst != p.in.ID {
		return ""
	}
	return k.user
}

// actor returns who performs an action: the session's user, or the user
// whose userid and password the form carries (how a test posts directly).
func (p *portal) actor(w http.ResponseWriter, r *http.Request, rec *Record) (string, int) {
	if user := p.sessionUser(r); user != "" {
		rec.User = user
		return user, 0
	}
	userID := r.PostFormValue("userid")
	if userID == "" {
		return "", p.render(w, http.StatusUnauthorized, portalPage{Title: p.in.Name, Heading: "Please log in", Login: true})
	}
	rec.User, rec.Signon = userID, true
	if ok, why := p.checkLogin(userID, r.PostFormValue("password")); !ok {
		rec.Error = why
		return "", p.render(w, http.StatusUnauthorized, portalPage{Title: p.in.Name, Heading: "Log in failed", Text: why, Login: true})
	}
	return userID, 0
}

func (p *portal) home(w http.ResponseWriter, r *http.Request, rec *Record) int {
	user := p.sessionUser(r)
	if user == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return http.StatusSeeOther
	}
	rec.User = user
	now := p.s.now()
	s := p.s
	h := &homePage{
		Terms:    len(s.pendingFor(p.in.ID, user, FaultAcceptTerms, now)) > 0,
		Password: len(s.pendingFor(p.in.ID, user, FaultChangePassword, now)) > 0,
	}
	s.mu.Lock()
	h.Devices = slices.Clone(s.userState(p.in.ID, user).pending)
	s.mu.Unlock()
	if len(h.Devices) == 0 && len(s.pendingFor(p.in.ID, user, FaultClientUID, now)) > 0 {
		h.Devices = []string{"(this application)"}
	}
	today := DayOf(now, s.sc.Location())
	for _, a := range p.in.User(user).Accounts {
		desc := a.Desc
		if desc == "" {
			desc = strings.ToUpper(a.Type[:1]) + a.Type[1:]
		}
		h.Accounts = append(h.Accounts, homeAccount{Desc: desc, Last4: last4(a.ID), Type: a.Type,
			Balance: s.book.Ledger(p.in, a, today).String(), Currency: a.Currency})
	}
	return p.render(w, http.StatusOK, portalPage{Title: p.in.Name, Heading: "Welcome, " + nameOf(p.in.User(user)), Home: h})
}

func nameOf(u *User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.ID
}

// done answers an action: back to the home page in a browser session, or a
// short page for a direct POST.
func (p *portal) done(w http.ResponseWriter, r *http.Request, text string) int {
	if p.sessionUser(r) != "" {
		http.Redirect(w, r, "/home", http.StatusSeeOther)
		return http.StatusSeeOther
	}
	return p.render(w, http.StatusOK, portalPage{Title: p.in.Name, Heading: "Done", Text: text})
}

func (p *portal) acceptTerms(w http.ResponseWriter, r *http.Request, rec *Record) int {
	user, status := p.actor(w, r, rec)
	if user == "" {
		return status
	}
	n := p.s.clearFor(p.in.ID, user, clearsTerms, p.s.now())
	return p.done(w, r, fmt.Sprintf("Thank you: the new terms are accepted (%d notice cleared).", n))
}

func (p *portal) approveDevice(w http.ResponseWriter, r *http.Request, rec *Record) int {
	user, status := p.actor(w, r, rec)
	if user == "" {
		return status
	}
	cuid := r.PostFormValue("clientuid")
	s := p.s
	s.mu.Lock()
	st := s.userState(p.in.ID, user)
	var approved []string
	for _, c := range st.pending {
		if cuid == "" || cuid == c {
			st.clientUIDs[c] = true
			approved = append(approved, c)
		}
	}
	if cuid != "" && cuid != "(this application)" && !slices.Contains(approved, cuid) {
		st.clientUIDs[cuid] = true
		approved = append(approved, cuid)
	}
	st.pending = slices.DeleteFunc(st.pending, func(c string) bool { return st.clientUIDs[c] })
	s.mu.Unlock()
	n := s.clearFor(p.in.ID, user, clearsDevice, s.now())
	return p.done(w, r, fmt.Sprintf("Approved %d application(s); %d notice cleared.", len(approved), n))
}

func (p *portal) changePassword(w http.ResponseWriter, r *http.Request, rec *Record) int {
	user, status := p.actor(w, r, rec)
	if user == "" {
		return status
	}
	pw := r.PostFormValue("new_password")
	if pw == "" || strings.TrimSpace(pw) != pw {
		return p.render(w, http.StatusBadRequest, portalPage{Title: p.in.Name, Heading: "Choose a new password",
			Text: "The new password must not be empty or begin or end with a space."})
	}
	s := p.s
	s.mu.Lock()
	s.userState(p.in.ID, user).password = pw
	s.mu.Unlock()
	n := s.clearFor(p.in.ID, user, clearsPassword, s.now())
	return p.done(w, r, fmt.Sprintf("Your password is changed (%d notice cleared). Use the new one in your software.", n))
}

func (p *portal) logout(w http.ResponseWriter, r *http.Request, rec *Record) int {
	if c, err := r.Cookie(sessionCookie + p.in.ID); err == nil {
		p.s.mu.Lock()
		delete(p.s.sessions, c.Value)
		p.s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie + p.in.ID, Value: "", Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return http.StatusSeeOther
}
