package syncer

import (
	"crypto/tls"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/source/ofxdirect"
	"github.com/bankfeed/bankfeed/internal/store"
)

// Passwords hold characters OFX and JSON escape, so that redaction is
// tested on every form they take.
const (
	pwAlice = `Tr0ub4dor&3<x>"q"`
	pwBob   = "correct-horse-battery-staple"
	pwCarol = "s3cr3t-carol-pa55"
)

var passwords = []string{pwAlice, pwBob, pwCarol}

// testScenario: an SGML 1.02 bank with two logins, an XML 2.1.1 bank that
// wants a CLIENTUID, and an SGML card issuer.
var testScenario = fmt.Sprintf(`{
  "seed": 7,
  "start": "2026-01-01",
  "zone": "America/New_York",
  "institutions": [
    {"id": "sgml", "name": "SGML Bank", "org": "SB", "fid": "1001", "bank_id": "021000021", "version": "102",
     "lockout_after": 3,
     "users": [
       {"id": "alice", "password": %q, "accounts": [
         {"id": "111", "type": "checking", "opening_balance": "1000.00"},
         {"id": "222", "type": "savings", "opening_balance": "5000.00"},
         {"id": "333", "type": "creditcard"}]},
       {"id": "dave", "password": "dave-pass-1234", "accounts": [
         {"id": "777", "type": "checking", "opening_balance": "800.00"}]}]},
    {"id": "xml", "name": "XML Bank", "org": "XB", "fid": "2002", "bank_id": "011000015", "version": "211",
     "clientuid_required": true,
     "users": [{"id": "bob", "password": %q, "accounts": [
       {"id": "444", "type": "checking"},
       {"id": "555", "type": "creditcard"}]}]},
    {"id": "card", "name": "Card Co", "org": "CC", "fid": "3003", "version": "103",
     "users": [{"id": "carol", "password": %q, "accounts": [{"id": "666", "type": "creditcard"}]}]}
  ]
}`, pwAlice, pwBob, pwCarol)

// clock is a settable clock shared by the bank and the syncer.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a fakebank, a store and a syncer on one clock.
type env struct {
	t     *testing.T
	bank  *fakebank.Server
	db    *store.DB
	key   *secret.Key
	s     *Syncer
	clock *clock
	http  ofxdirect.Client
}

// testStart is a Tuesday afternoon in New York.
var testStart = time.Date(2026, time.November, 24, 15, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	sc, err := fakebank.ParseScenario(strings.NewReader(testScenario))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: testStart}
	srv, err := fakebank.Start(sc, fakebank.Options{Now: clk.Now, MaxHang: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	dir := t.TempDir()
	db, err := store.Open(t.Context(), dir, store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	key, err := secret.LoadKey(secret.KeyOptions{Getenv: func(string) string { return "" },
		DefaultPath: filepath.Join(dir, "key")})
	if err != nil {
		t.Fatal(err)
	}
	hc := ofxdirect.NewHTTPClient(&tls.Config{RootCAs: srv.CertPool()})
	t.Cleanup(hc.CloseIdleConnections)
	e := &env{t: t, bank: srv, db: db, key: key, clock: clk, http: ofxdirect.Client{HTTP: hc, Now: clk.Now}}
	opts.HTTP = e.http
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	if opts.Rand == nil {
		opts.Rand = func() float64 { return 0.5 }
	}
	e.s = New(db, key, opts)
	return e
}

// profile is how to reach a fakebank institution.
func (e *env) profile(id string) bankfeed.Profile {
	in := e.bank.Scenario().Institution(id)
	return bankfeed.Profile{URL: e.bank.OFXURL(id), Org: in.Org, FID: in.FID, BankID: in.BankID, Version: in.Version,
		ClientUIDRequired: in.ClientUIDRequired, PortalURL: e.bank.PortalURL(id)}
}

// connect sets up a connection to a fakebank login with its own password.
func (e *env) connect(name, inst, user string) *ConnectResult {
	e.t.Helper()
	u := e.bank.Scenario().Institution(inst).User(user)
	res, err := e.s.Connect(e.t.Context(), ConnectRequest{Name: name, Profile: e.profile(inst), UserID: user,
		Password: secret.String(u.Password)})
	if err != nil {
		e.t.Fatalf("connect %s: %v", name, err)
	}
	return res
}

// sync syncs a connection by name.
func (e *env) sync(name string, manual bool) *Result {
	e.t.Helper()
	c, err := e.db.FindConnection(e.t.Context(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := e.s.Sync(e.t.Context(), c.ID, manual)
	if err != nil {
		e.t.Fatalf("sync %s: %v", name, err)
	}
	return res
}

// lineCount is the number of lines of every account.
func (e *env) lineCount() int64 {
	e.t.Helper()
	counts, err := e.db.LineCounts(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	var n int64
	for _, c := range counts {
		n += c
	}
	return n
}
