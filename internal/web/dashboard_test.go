package web

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/books"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/source/ofxdirect"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

// feedEnv is a test server whose syncer reaches fakebank's demo banks (on
// 127.0.0.1), with a key, and a SyncNow that notes what it is asked.
type feedEnv struct {
	*testEnv
	bank  *fakebank.Server
	sy    *syncer.Syncer
	conns map[string]*bankfeed.Connection // by fakebank institution id

	mu     sync.Mutex
	queued []bankfeed.ConnectionID
}

func newFeedEnv(t *testing.T) *feedEnv {
	t.Helper()
	base := newTestEnv(t)
	sc, err := fakebank.ParseScenario(bytes.NewReader(fakebank.DemoScenario()))
	if err != nil {
		t.Fatal(err)
	}
	bank, err := fakebank.Start(sc, fakebank.Options{Host: "127.0.0.1", MaxHang: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bank.Close() })
	hc := ofxdirect.NewHTTPClient(&tls.Config{RootCAs: bank.CertPool(), MinVersion: tls.VersionTLS12})
	t.Cleanup(hc.CloseIdleConnections)
	key, err := secret.LoadKey(secret.KeyOptions{DefaultPath: filepath.Join(base.dir, "key")})
	if err != nil {
		t.Fatal(err)
	}
	e := &feedEnv{bank: bank, conns: map[string]*bankfeed.Connection{}}
	e.sy = syncer.New(base.db, key, syncer.Options{HTTP: ofxdirect.Client{HTTP: hc}})
	srv, err := New(Options{DB: base.db, Key: key, Syncer: e.sy, Review: books.ReviewService(base.db),
		SyncNow: func(ctx context.Context, id bankfeed.ConnectionID) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.queued = append(e.queued, id)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e.testEnv = &testEnv{t: t, db: base.db, srv: srv, ts: ts, dir: base.dir}
	return e
}

// profile is how to reach one of fakebank's institutions.
func (e *feedEnv) profile(inst string) (bankfeed.Profile, *fakebank.Institution) {
	in := e.bank.Scenario().Institution(inst)
	if in == nil {
		e.t.Fatalf("no fakebank institution %s", inst)
	}
	return bankfeed.Profile{URL: e.bank.OFXURL(in.ID), Org: in.Org, FID: in.FID, BankID: in.BankID, Version: in.Version,
		ClientUIDRequired: in.ClientUIDRequired, PortalURL: e.bank.PortalURL(in.ID)}, in
}

// troubled connects the three demo banks, syncs them once, sends two of
// them into trouble (maintenance, new terms) and syncs again.
func (e *feedEnv) troubled() {
	e.t.Helper()
	ctx := e.t.Context()
	for _, id := range []string{fakebank.DemoHealthy, fakebank.DemoMaintenance, fakebank.DemoTerms} {
		p, in := e.profile(id)
		u := in.Users[0]
		res, err := e.sy.Connect(ctx, syncer.ConnectRequest{Name: id, Profile: p, UserID: u.ID, Password: secret.String(u.Password)})
		if err != nil || res.Err != nil {
			e.t.Fatalf("connect %s: %v %v", id, err, res.Err)
		}
		e.conns[id] = res.Connection
	}
	e.syncAll()
	for _, f := range fakebank.DemoFaults(time.Now()) {
		if _, err := e.bank.AddFault(f); err != nil {
			e.t.Fatal(err)
		}
	}
	e.syncAll()
}

func (e *feedEnv) syncAll() {
	e.t.Helper()
	for id, c := range e.conns {
		if _, err := e.sy.Sync(e.t.Context(), c.ID, true); err != nil {
			e.t.Fatalf("sync %s: %v", id, err)
		}
	}
}

func (e *feedEnv) password(inst string) string {
	_, in := e.profile(inst)
	return in.Users[0].Password
}

func TestStatusCards(t *testing.T) {
	e := newFeedEnv(t)
	e.troubled()
	var st statusView
	decode(t, e.do(e.signIn("viewer"), "GET", "/api/v1/status", nil), http.StatusOK, &st)
	cards := map[string]*struct {
		class, state, safe, todo, action string
	}{}
	for _, c := range st.Cards {
		cards[c.Connection] = &struct{ class, state, safe, todo, action string }{string(c.Class), string(c.State), c.DataSafe, c.Todo, c.Action}
	}
	tests := []struct {
		conn, class, state, todo, action string
	}{
		{fakebank.DemoMaintenance, string(bankfeed.FailMaintenance), string(bankfeed.ConnWaitingForBank), "nothing", ""},
		{fakebank.DemoTerms, string(bankfeed.FailActionRequired), string(bankfeed.ConnNeedsAction), "I fixed it at my bank", "resume"},
	}
	for _, tt := range tests {
		t.Run(tt.conn, func(t *testing.T) {
			c := cards[tt.conn]
			if c == nil {
				t.Fatalf("no card for %s; cards: %+v", tt.conn, st.Cards)
			}
			if c.class != tt.class || c.state != tt.state || c.action != tt.action {
				t.Errorf("card: class %s, state %s, action %q; want %s, %s, %q", c.class, c.state, c.action, tt.class, tt.state, tt.action)
			}
			if !strings.HasPrefix(c.safe, "Your data is safe") {
				t.Errorf("data safe: %q", c.safe)
			}
			if !strings.Contains(c.todo, tt.todo) || strings.Contains(c.todo, "bankfeed connection") {
				t.Errorf("todo %q, want %q in web words", c.todo, tt.todo)
			}
		})
	}
	if cards[fakebank.DemoHealthy] != nil {
		t.Errorf("a card for the healthy bank: %+v", cards[fakebank.DemoHealthy])
	}
	// Every account has a staleness.
	for _, in := range st.Institutions {
		for _, c := range in.Connections {
			for _, a := range c.Accounts {
				if a.Staleness.Level == "" || a.Staleness.Text == "" {
					t.Errorf("%s %s: staleness %+v", c.Name, a.Number, a.Staleness)
				}
			}
		}
	}
}

func TestDashboardPage(t *testing.T) {
	e := newFeedEnv(t)
	e.troubled()
	tests := []struct {
		user          string
		want, notWant []string
	}{
		{"viewer", []string{"Your data is safe", "state state-waiting_for_bank", "state state-needs_action", "bank.maintenance",
			"last synced", "<svg", "feeds-chart-line"}, []string{"/resume\"", "/sync\""}},
		{"bookkeeper", []string{"I fixed it at my bank — retry now", "Sync now", "/api/v1/connections/"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			res := e.do(e.signIn(tt.user), "GET", "/", nil)
			b := bodyOf(res)
			body := b
			if res.StatusCode != http.StatusOK {
				t.Fatalf("dashboard: %s\n%s", res.Status, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("dashboard lacks %q", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(body, w) {
					t.Errorf("dashboard shows %q to a %s", w, tt.user)
				}
			}
			if strings.Contains(body, "style=") || strings.Contains(body, "onclick") {
				t.Error("inline style or handler: the CSP refuses them")
			}
		})
	}
}

// TestDashboardEmpty: with nothing connected, the board says so.
func TestDashboardEmpty(t *testing.T) {
	e := newTestEnv(t)
	res := e.do(e.signIn("admin"), "GET", "/", nil)
	b := bodyOf(res)
	if res.StatusCode != http.StatusOK || !strings.Contains(b, "No bank connections yet") {
		t.Fatalf("empty dashboard: %s\n%s", res.Status, b)
	}
}

// bodyOf reads an answer's body whole.
func bodyOf(res *http.Response) string {
	b, _ := io.ReadAll(res.Body)
	return string(b)
}
