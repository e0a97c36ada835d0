package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestFavicon: /favicon.ico, which browsers ask for by themselves, is the
// icon every page links to, for anyone.
func TestFavicon(t *testing.T) {
	e := newTestEnv(t)
	anon := e.client()
	for _, p := range []string{"/favicon.ico", "/static/favicon.svg"} {
		res := e.do(anon, "GET", p, nil)
		b := readAll(res)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(b, "<svg") {
			t.Errorf("GET %s: %s %s: %.40q", p, res.Status, res.Header.Get("Content-Type"), b)
		}
	}
	link := `<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">`
	if page := readAll(e.do(anon, "GET", "/login", nil)); !strings.Contains(page, link) {
		t.Error("the login page links to no icon")
	}
	if page := readAll(e.do(e.signIn("viewer"), "GET", "/", nil)); !strings.Contains(page, link) {
		t.Error("the dashboard links to no icon")
	}
}
