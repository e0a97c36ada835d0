// Package web is bankfeed's web interface, its JSON API (/api/v1) and its
// metrics (/metrics), over the same services the CLI uses.
//
// Routes register themselves: each file adds a func(*Server) to routeSets
// in its init, and that func calls s.handle for each route with the role
// the route needs. Every route but the login page and static assets needs a
// signed-in user (a session cookie) or an API token; TestRoutesNeedAuth
// walks them all. State-changing requests from browsers must come from this
// site (net/http's cross-origin protection).
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/review"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

//go:embed templates static
var assets embed.FS

// Options configure a Server.
type Options struct {
	DB *store.DB
	// Key seals the passwords of new connections; nil refuses connection
	// setup.
	Key *secret.Key
	// Syncer gives the status board and connects; it also syncs when
	// SyncNow is nil.
	Syncer *syncer.Syncer
	// SyncNow queues a sync of a connection that a person asked for (the
	// job runner's SyncNow). When nil, the sync runs in the background of
	// this process.
	SyncNow func(ctx context.Context, id bankfeed.ConnectionID) error
	// Review is the review queue.
	Review *review.Service
	Logger *slog.Logger
	// SecureCookies marks cookies Secure even over plain HTTP (behind a
	// proxy that speaks HTTPS). Over TLS they are Secure anyway.
	SecureCookies bool
	// SessionTTL is how long a sign-in lasts; 7 days when zero.
	SessionTTL time.Duration
}

// Need is what a route needs of its caller.
type Need int

// Needs, from least to most.
const (
	Public     Need = iota // anyone: the login page, static assets
	Viewer                 // any signed-in user
	Bookkeeper             // review, rules, entries, reconcile, import, sync now
	Admin                  // connections, users, settings, audit log
)

func (n Need) role() bankfeed.Role {
	switch n {
	case Bookkeeper:
		return bankfeed.RoleBookkeeper
	case Admin:
		return bankfeed.RoleAdmin
	}
	return bankfeed.RoleViewer
}

func (n Need) String() string {
	if n == Public {
		return "public"
	}
	return string(n.role())
}

// Route is one registered route.
type Route struct {
	// Pattern is as net/http's ServeMux takes it: "GET /api/v1/lines".
	Pattern string
	Need    Need
}

// HandlerFunc handles a request; an error it returns is answered by
// Server.fail (JSON under /api/, a page elsewhere).
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// routeSets is filled by each file's init.
var routeSets []func(*Server)

// Server serves the web interface, the API and metrics.
type Server struct {
	opts    Options
	db      *store.DB
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []Route
	pages   map[string]*template.Template
	limiter *limiter
	hub     *Hub
	metrics *Metrics
	handler http.Handler

	bg       sync.WaitGroup // background syncs (SyncNow nil)
	stop     chan struct{}  // closed when the server shuts down
	stopOnce sync.Once
}

// New returns a Server; it starts nothing.
func New(opts Options) (*Server, error) {
	if opts.DB == nil {
		return nil, errors.New("web: no store")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 7 * 24 * time.Hour
	}
	s := &Server{opts: opts, db: opts.DB, log: opts.Logger, mux: http.NewServeMux(),
		limiter: newLimiter(loginFailures, loginWindow), hub: newHub(), stop: make(chan struct{})}
	s.metrics = newMetrics(s)
	if err := s.parsePages(); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(assets, "static")
	s.handle("GET /static/", Public, func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		http.StripPrefix("/static/", http.FileServerFS(static)).ServeHTTP(w, r)
		return nil
	})
	for _, add := range routeSets {
		add(s)
	}
	sort.Slice(s.routes, func(i, j int) bool { return s.routes[i].Pattern < s.routes[j].Pattern })
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, bankfeed.Errorf(bankfeed.EUnauthorized, "refused: a change sent from another site (cross-origin request)"))
	}))
	s.handler = s.logged(securityHeaders(cop.Handler(s.mux)))
	return s, nil
}

// Handler is the server's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes lists every route, sorted, for tests and the API document.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// Progress hears of a sync's progress (syncer.Options.Progress): it feeds
// the live view and the metrics. It is quick and safe for concurrent use.
func (s *Server) Progress(ev syncer.Event) {
	s.metrics.progress(ev)
	s.hub.publish(ev)
}

// done is closed when the server shuts down: long answers (event
// streams) end.
func (s *Server) done() <-chan struct{} { return s.stop }

// Serve answers on ln until ctx is done, then shuts down gracefully:
// it stops taking requests, ends event streams, lets the requests under
// way finish (up to wait), and waits for the syncs it started.
func (s *Server) Serve(ctx context.Context, ln net.Listener, wait time.Duration) error {
	hs := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) }}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.stopOnce.Do(func() { close(s.stop) })
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wait)
	defer cancel()
	err := hs.Shutdown(sctx)
	s.Wait()
	if err != nil {
		return fmt.Errorf("web: shut down: %w", err)
	}
	return nil
}

// Wait waits for the syncs this server started itself (Options.SyncNow
// nil) to end.
func (s *Server) Wait() { s.bg.Wait() }

// handle registers a route. pattern is "METHOD /path".
func (s *Server) handle(pattern string, need Need, h HandlerFunc) {
	if !strings.Contains(pattern, " ") {
		panic("web: route without a method: " + pattern)
	}
	s.routes = append(s.routes, Route{Pattern: pattern, Need: need})
	s.mux.Handle(pattern, s.guard(need, h))
}

// guard authenticates the caller, checks their role and answers errors.
func (s *Server) guard(need Need, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w = answering(w)
		if need != Public {
			u, err := s.authenticate(w, r)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if u == nil {
				s.unauthenticated(w, r)
				return
			}
			if !u.Role.Allows(need.role()) {
				s.fail(w, r, bankfeed.Errorf(bankfeed.EUnauthorized, "refused: this needs the %s role, and %s is %s", need.role(), u.Name, withArticle(string(u.Role))))
				return
			}
			r = r.WithContext(withUser(r.Context(), u))
		} else if u, _ := s.authenticate(w, r); u != nil {
			r = r.WithContext(withUser(r.Context(), u))
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// answering makes sure w remembers whether an answer began: the server's
// own chain (logged) gives every route a statusWriter; a route served
// another way gets one here.
func answering(w http.ResponseWriter) http.ResponseWriter {
	if answerOf(w) != nil {
		return w
	}
	return &statusWriter{ResponseWriter: w}
}

// answerOf finds the statusWriter in w's chain of wrappers, or nil.
func answerOf(w http.ResponseWriter) *statusWriter {
	for w != nil {
		if sw, ok := w.(*statusWriter); ok {
			return sw
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}

func withArticle(role string) string {
	if role == "admin" {
		return "an admin"
	}
	return "a " + role
}

// isAPI reports whether r is for the JSON API.
func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/metrics"
}

// statusOf maps an error code to an HTTP status.
func statusOf(code bankfeed.ErrorCode) int {
	switch code {
	case bankfeed.EInvalid:
		return http.StatusBadRequest
	case bankfeed.ENotFound:
		return http.StatusNotFound
	case bankfeed.EConflict:
		return http.StatusConflict
	case bankfeed.EUnauthorized:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// apiError is the body of every failed API call.
type apiError struct {
	Error struct {
		Code    bankfeed.ErrorCode `json:"code"`
		Message string             `json:"message"`
	} `json:"error"`
}

// fail answers an error: JSON for the API, a page otherwise. An internal
// error is logged, and the caller sees no detail of it. When the answer
// has begun already (its status and perhaps part of its body sent), the
// error is only logged: a second status or a second body would corrupt
// the first.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the caller went away
	}
	if sw := answerOf(w); sw != nil && sw.began() {
		s.log.Error("request failed after its answer began", "method", r.Method, "path", r.URL.Path, "status", sw.status, "err", err)
		return
	}
	code := bankfeed.ErrorCodeOf(err)
	status := statusOf(code)
	var tooMany *tooManyError
	if errors.As(err, &tooMany) {
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", fmt.Sprint(int(tooMany.wait.Seconds())+1))
	}
	msg := err.Error()
	if code == bankfeed.EInternal {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error: bankfeed could not do this; the server's log has the details"
	}
	if isAPI(r) || wantsJSON(r) {
		var body apiError
		body.Error.Code, body.Error.Message = code, msg
		_ = writeJSON(w, status, body)
		return
	}
	w.WriteHeader(status)
	_ = s.render(w, r, "error", pageData{Title: http.StatusText(status), Data: map[string]any{"Status": status, "Message": msg}})
}

// unauthenticated answers a caller who is not signed in: 401 for the API,
// the login page for a browser.
func (s *Server) unauthenticated(w http.ResponseWriter, r *http.Request) {
	if isAPI(r) || wantsJSON(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="bankfeed"`)
		var body apiError
		body.Error.Code, body.Error.Message = bankfeed.EUnauthorized, "sign in first: a session cookie or an API token (Authorization: Bearer ...)"
		_ = writeJSON(w, http.StatusUnauthorized, body)
		return
	}
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		next = "/"
	}
	http.Redirect(w, r, "/login?next="+urlQueryEscape(next), http.StatusSeeOther)
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json") && !strings.Contains(r.Header.Get("Accept"), "text/html")
}

// securityHeaders sets the headers every answer carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status of an answer, and so whether it began:
// once the status is sent, an error can no longer be answered (Server.fail).
// It flushes (server-sent events) and unwraps (http.ResponseController).
type statusWriter struct {
	http.ResponseWriter
	status int // 0 until the answer began
}

// began reports whether the answer's status was sent.
func (w *statusWriter) began() bool { return w.status != 0 }

func (w *statusWriter) WriteHeader(code int) {
	// An informational status (103 Early Hints) is not the answer's.
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets server-sent events through; it sends the status (200 unless
// one was set).
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logged logs each request at debug level, and counts it.
func (s *Server) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		took := time.Since(start)
		s.metrics.request(r, sw.status, took)
		// The query may hold a "next" URL but never a secret; the
		// Authorization header and cookies are not logged.
		s.log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", sw.status, "took", took)
	})
}
