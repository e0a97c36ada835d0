package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/auth"
	"github.com/bankfeed/bankfeed/internal/store"
)

func init() { routeSets = append(routeSets, (*Server).sessionRoutes) }

// sessionCookie names the cookie that holds a session id.
const sessionCookie = "bankfeed_session"

// Login rate limiting: after loginFailures failed sign-ins within
// loginWindow, from one address or for one user name, sign-in is refused
// until the window has passed.
const (
	loginFailures = 5
	loginWindow   = 15 * time.Minute
)

type userKey struct{}

func withUser(ctx context.Context, u *bankfeed.User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// userOf returns the signed-in user of a request's context, or nil.
func userOf(ctx context.Context) *bankfeed.User {
	u, _ := ctx.Value(userKey{}).(*bankfeed.User)
	return u
}

// actor names the signed-in user in the audit log.
func actor(r *http.Request) string {
	if u := userOf(r.Context()); u != nil {
		return u.Name
	}
	return "anonymous"
}

// authenticate returns the caller: the user of a bearer token, else of a
// session cookie; nil when neither is there or valid. A bad token is an
// error (the caller meant to use one); a stale cookie is cleared.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*bankfeed.User, error) {
	if u := userOf(r.Context()); u != nil {
		return u, nil
	}
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || !strings.HasPrefix(tok, auth.TokenPrefix) {
			return nil, nil
		}
		u, t, err := s.db.TokenUser(r.Context(), auth.Hash(tok))
		if err != nil || u == nil {
			return nil, err
		}
		if time.Since(t.LastUsed) > 5*time.Minute {
			// Best effort: a failure to note the use fails no request.
			if err := s.db.TouchToken(r.Context(), t.ID); err != nil {
				s.log.Warn("note token use", "err", err)
			}
		}
		return u, nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	u, _, err := s.db.SessionUser(r.Context(), auth.Hash(c.Value))
	if err != nil {
		return nil, err
	}
	if u == nil {
		s.clearCookie(w, r)
	}
	return u, nil
}

func (s *Server) secure(r *http.Request) bool { return s.opts.SecureCookies || r.TLS != nil }

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
}

// SignIn checks a user name and password and returns the user, counting
// failures against the caller's address and the name.
func (s *Server) SignIn(ctx context.Context, addr, name, password string) (*bankfeed.User, error) {
	name = strings.TrimSpace(name)
	keys := []string{"addr " + addr, "user " + strings.ToLower(name)}
	if wait := s.limiter.wait(keys...); wait > 0 {
		return nil, &tooManyError{wait: wait}
	}
	u, hash, err := s.db.UserByName(ctx, name)
	switch {
	case bankfeed.ErrorCodeOf(err) == bankfeed.ENotFound:
		auth.Waste(password)
	case err != nil:
		return nil, err
	}
	if u == nil || !auth.CheckPassword(hash, password) || u.Disabled {
		s.limiter.fail(keys...)
		s.metrics.loginFailed()
		return nil, bankfeed.Errorf(bankfeed.EUnauthorized, "wrong user name or password")
	}
	s.limiter.reset(keys[1])
	return u, nil
}

// startSession signs u in: a new session and its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *bankfeed.User) error {
	id, err := auth.NewSecret("")
	if err != nil {
		return err
	}
	expires := time.Now().Add(s.opts.SessionTTL)
	err = s.db.Update(r.Context(), func(tx *store.Tx) error {
		if err := tx.AddSession(r.Context(), auth.Hash(id), u.ID, expires); err != nil {
			return err
		}
		return tx.Audit(r.Context(), u.Name, "user.login", "user "+u.Name, "from "+clientAddr(r))
	})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", Expires: expires,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	return nil
}

// clientAddr is the caller's address, without the port.
func clientAddr(r *http.Request) string {
	a := r.RemoteAddr
	if i := strings.LastIndexByte(a, ':'); i > 0 && !strings.HasSuffix(a, "]") {
		a = a[:i]
	}
	return strings.Trim(a, "[]")
}

func (s *Server) sessionRoutes() {
	s.handle("GET /login", Public, s.loginPage)
	s.handle("POST /login", Public, s.loginSubmit)
	s.handle("POST /logout", Viewer, s.logout)
	s.handle("POST /api/v1/session", Public, s.apiLogin)
	s.handle("DELETE /api/v1/session", Viewer, s.logout)
	s.handle("GET /api/v1/me", Viewer, func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, http.StatusOK, userOf(r.Context()))
	})
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	if userOf(r.Context()) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	users, err := s.db.Users(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, "login", pageData{Title: "Sign in", Data: map[string]any{
		"Next": safeNext(r.URL.Query().Get("next")), "NoUsers": len(users) == 0}})
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return bankfeed.Errorf(bankfeed.EInvalid, "sign in: %v", err)
	}
	next := safeNext(r.PostForm.Get("next"))
	u, err := s.SignIn(r.Context(), clientAddr(r), r.PostForm.Get("name"), r.PostForm.Get("password"))
	if err != nil {
		code := bankfeed.ErrorCodeOf(err)
		status := statusOf(code)
		msg := err.Error()
		if te, ok := err.(*tooManyError); ok {
			status = http.StatusTooManyRequests
			w.Header().Set("Retry-After", strconvItoa(int(te.wait.Seconds())+1))
		} else if code == bankfeed.EInternal {
			return err
		}
		w.WriteHeader(status)
		return s.render(w, r, "login", pageData{Title: "Sign in", Data: map[string]any{
			"Next": next, "Error": msg, "Name": r.PostForm.Get("name")}})
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// loginRequest is the body of POST /api/v1/session.
type loginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	u, err := s.SignIn(r.Context(), clientAddr(r), req.Name, req.Password)
	if err != nil {
		return err
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := s.db.RemoveSession(r.Context(), auth.Hash(c.Value)); err != nil {
			return err
		}
	}
	s.clearCookie(w, r)
	if isAPI(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// safeNext keeps a redirect target on this site: a path, not a URL.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// tooManyError refuses a sign-in while too many have failed.
type tooManyError struct{ wait time.Duration }

func (e *tooManyError) Error() string {
	return "too many failed sign-ins: try again in " + (e.wait.Round(time.Minute) + time.Minute).String()
}

// limiter counts failures per key in a sliding window.
type limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	fails map[string][]time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, now: time.Now, fails: map[string][]time.Time{}}
}

// wait returns how long until any of keys may try again; 0 when all may.
func (l *limiter) wait(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var longest time.Duration
	for _, k := range keys {
		ts := l.prune(k, now)
		if len(ts) >= l.max {
			if w := ts[0].Add(l.window).Sub(now); w > longest {
				longest = w
			}
		}
	}
	return longest
}

func (l *limiter) fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range keys {
		l.fails[k] = append(l.prune(k, now), now)
	}
	if len(l.fails) > 10000 { // bound memory under a spray of names
		for k := range l.fails {
			if len(l.prune(k, now)) == 0 {
				delete(l.fails, k)
			}
		}
	}
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

// prune drops a key's failures older than the window; l.mu is held.
func (l *limiter) prune(k string, now time.Time) []time.Time {
	ts := l.fails[k]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, k)
		return nil
	}
	l.fails[k] = ts
	return ts
}
