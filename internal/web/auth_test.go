package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// concrete turns a route pattern into a path: every {name} becomes 1.
func concrete(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	path = regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "1")
	if strings.HasSuffix(path, "/") && path != "/" {
		path += "x"
	}
	return method, path
}

// TestRoutesNeedAuth walks every route: without a session or token each
// one but the login page and static assets is refused (401 for the API,
// the login page for a browser), and a user whose role is too low is
// refused with 403 before anything runs.
func TestRoutesNeedAuth(t *testing.T) {
	e := newTestEnv(t)
	anon := e.client()
	routes := e.srv.Routes()
	if len(routes) < 5 {
		t.Fatalf("only %d routes", len(routes))
	}
	publics := map[string]bool{"GET /login": true, "POST /login": true, "POST /api/v1/session": true, "GET /static/": true,
		"GET /favicon.ico": true} // a static asset browsers ask for at the root
	roleClients := map[Need]*http.Client{Viewer: e.signIn("viewer"), Bookkeeper: e.signIn("bookkeeper")}
	for _, rt := range routes {
		method, path := concrete(rt.Pattern)
		if rt.Need == Public {
			if !publics[rt.Pattern] {
				t.Errorf("%s is public; only the login and static assets may be", rt.Pattern)
			}
			continue
		}
		res := e.do(anon, method, path, nil)
		switch {
		case strings.HasPrefix(path, "/api/") || path == "/metrics":
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s without a session: %s, want 401", rt.Pattern, res.Status)
			}
		default:
			loc := res.Header.Get("Location")
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
				t.Errorf("%s without a session: %s to %q, want 303 to /login", rt.Pattern, res.Status, loc)
			}
		}
		// Each role below the one the route needs is refused.
		for need, c := range roleClients {
			if need >= rt.Need {
				continue
			}
			res := e.do(c, method, path, nil)
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s as a %s: %s, want 403", rt.Pattern, need, res.Status)
			}
		}
		// A bad token is no better.
		req, _ := http.NewRequest(method, e.ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer bft_not-a-token")
		if res, err := anon.Do(req); err != nil {
			t.Fatal(err)
		} else {
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized && res.StatusCode != http.StatusSeeOther {
				t.Errorf("%s with a bad token: %s", rt.Pattern, res.Status)
			}
		}
	}
}

// TestCrossOrigin: a change sent by another site's page is refused, with
// the signed-in user's cookie or not.
func TestCrossOrigin(t *testing.T) {
	e := newTestEnv(t)
	c := e.signIn("admin")
	req, _ := http.NewRequest("POST", e.ts.URL+"/logout", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %s, want 403", res.Status)
	}
	// The session is still there.
	if res := e.do(c, "GET", "/api/v1/me", nil); res.StatusCode != http.StatusOK {
		t.Errorf("after the refused logout: %s", res.Status)
	}
}

// TestLoginLimit: after 5 failed sign-ins for one name, even the right
// password is refused, with 429 and Retry-After.
func TestLoginLimit(t *testing.T) {
	e := newTestEnv(t)
	c := e.client()
	for i := range loginFailures {
		res := e.do(c, "POST", "/api/v1/session", map[string]string{"name": "viewer", "password": "wrong-password-" + string(rune('a'+i))})
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("failure %d: %s", i+1, res.Status)
		}
	}
	res := e.do(c, "POST", "/api/v1/session", map[string]string{"name": "viewer", "password": testPassword})
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("right password after 5 failures: %s, Retry-After %q", res.Status, res.Header.Get("Retry-After"))
	}
	// Once the window has passed, it works.
	e.srv.limiter.now = func() time.Time { return time.Now().Add(loginWindow + time.Second) }
	if res := e.do(c, "POST", "/api/v1/session", map[string]string{"name": "viewer", "password": testPassword}); res.StatusCode != http.StatusOK {
		t.Fatalf("after the window: %s", res.Status)
	}
}

// TestSessionCookie: the cookie is HttpOnly and SameSite, and signing out
// ends the session on the server too.
func TestSessionCookie(t *testing.T) {
	e := newTestEnv(t)
	c := e.client()
	res := e.do(c, "POST", "/api/v1/session", map[string]string{"name": "admin", "password": testPassword})
	var ck *http.Cookie
	for _, x := range res.Cookies() {
		if x.Name == sessionCookie {
			ck = x
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || len(ck.Value) < 40 {
		t.Fatalf("session cookie %+v", ck)
	}
	if res := e.do(c, "DELETE", "/api/v1/session", nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("sign out: %s", res.Status)
	}
	// The old cookie, replayed, no longer works.
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/me", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: ck.Value})
	res2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != http.StatusUnauthorized {
		t.Errorf("replayed cookie after sign-out: %s", res2.Status)
	}
	// The login page answers, and a wrong password says so.
	lr := e.do(e.client(), "POST", "/login", nil)
	if lr.StatusCode != http.StatusBadRequest && lr.StatusCode != http.StatusForbidden {
		t.Errorf("empty login form: %s", lr.Status)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{"": "/", "/review?x=1": "/review?x=1", "//evil.example/": "/",
		"https://evil.example/": "/", "/\\evil": "/", "review": "/"} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
