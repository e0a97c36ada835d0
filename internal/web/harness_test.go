package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/auth"
	"github.com/bankfeed/bankfeed/internal/books"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

// testPassword is every test user's password.
const testPassword = "test-password-123"

// testEnv is a server over a new store with one user of each role: "admin",
// "bookkeeper" and "viewer".
type testEnv struct {
	t   *testing.T
	db  *store.DB
	srv *Server
	ts  *httptest.Server
	dir string
}

// hashOnce: hashing is slow by design; every test user shares one hash.
var hashOnce = sync.OnceValues(func() (string, error) { return auth.HashPassword(testPassword) })

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(t.Context(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	hash, err := hashOnce()
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(t.Context(), func(tx *store.Tx) error {
		for _, r := range bankfeed.Roles {
			if err := tx.AddUser(t.Context(), &bankfeed.User{Name: string(r), Role: r}, hash); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{DB: db, Syncer: syncer.New(db, nil, syncer.Options{}), Review: books.ReviewService(db)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &testEnv{t: t, db: db, srv: srv, ts: ts, dir: dir}
}

// client is an HTTP client with its own cookies, not following redirects.
func (e *testEnv) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signIn returns a client signed in as name (one of the roles).
func (e *testEnv) signIn(name string) *http.Client {
	e.t.Helper()
	c := e.client()
	res := e.do(c, "POST", "/api/v1/session", map[string]string{"name": name, "password": testPassword})
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("sign in as %s: %s", name, res.Status)
	}
	return c
}

// do sends a request with a JSON body (nil for none) and reads the answer
// whole.
func (e *testEnv) do(c *http.Client, method, path string, body any) *http.Response {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(b))
	return res
}

// decode reads a JSON answer into v, failing on a status other than want.
func decode(t *testing.T, res *http.Response, want int, v any) {
	t.Helper()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %s, want %d: %s", res.Request.Method, res.Request.URL.Path, res.Status, want, strings.TrimSpace(string(b)))
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v: %s", res.Request.URL.Path, err, b)
		}
	}
}
