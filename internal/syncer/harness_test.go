package syncer

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
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
	db, err := openStore(t, dir, clk.Now)
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

// emptyStore is a new store's file, made once: migrating a store takes
// longer than a test that uses it.
var emptyStore struct {
	once  sync.Once
	bytes []byte
	err   error
}

// openStore opens a new store in dir, from a copy of emptyStore.
func openStore(t *testing.T, dir string, now func() time.Time) (*store.DB, error) {
	emptyStore.once.Do(func() {
		tmp := t.TempDir()
		db, err := store.Open(context.Background(), tmp, store.Options{})
		if err == nil {
			err = db.Close()
		}
		if err == nil {
			emptyStore.bytes, err = os.ReadFile(filepath.Join(tmp, store.FileName))
		}
		emptyStore.err = err
	})
	if emptyStore.err != nil {
		return nil, emptyStore.err
	}
	if err := os.WriteFile(filepath.Join(dir, store.FileName), emptyStore.bytes, 0o600); err != nil {
		return nil, err
	}
	return store.Open(t.Context(), dir, store.Options{Now: now})
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

// conn returns a connection by name.
func (e *env) conn(name string) *bankfeed.Connection {
	e.t.Helper()
	c, err := e.db.FindConnection(e.t.Context(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// lastSeq is the sequence number of fakebank's latest request record.
func (e *env) lastSeq() int64 {
	rs := e.bank.Requests(fakebank.Filter{})
	if len(rs) == 0 {
		return 0
	}
	return rs[len(rs)-1].Seq
}

var yes = true

// signons counts the OFX requests that carried user's credentials after
// sequence number since.
func (e *env) signons(user string, since int64) int {
	return e.bank.Count(fakebank.Filter{User: user, Channel: fakebank.ChannelOFX, Signon: &yes, Since: since})
}

// requests counts the OFX requests to an institution after since.
func (e *env) requests(inst string, since int64) int {
	return e.bank.Count(fakebank.Filter{Institution: inst, Channel: fakebank.ChannelOFX, Since: since})
}

// fault switches a fault on.
func (e *env) fault(spec fakebank.FaultSpec) {
	e.t.Helper()
	if _, err := e.bank.AddFault(spec); err != nil {
		e.t.Fatal(err)
	}
}

// accountID returns the feed account of a bank account number.
func (e *env) accountID(number string) bankfeed.AccountID {
	e.t.Helper()
	accts, err := e.db.Accounts(e.t.Context(), bankfeed.AccountFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range accts {
		if a.Number == number {
			return a.ID
		}
	}
	e.t.Fatalf("no feed account for %s", number)
	return 0
}

// runs lists an account's runs, newest first.
func (e *env) runs(id bankfeed.AccountID) []*bankfeed.SyncRun {
	e.t.Helper()
	runs, err := e.db.FindSyncRuns(e.t.Context(), store.SyncRunFilter{AccountID: id})
	if err != nil {
		e.t.Fatal(err)
	}
	return runs
}

// linesByRun counts the lines each sync run wrote.
func (e *env) linesByRun() map[bankfeed.SyncRunID]int {
	e.t.Helper()
	out := map[bankfeed.SyncRunID]int{}
	err := e.db.EachLine(e.t.Context(), bankfeed.LineFilter{}, func(l *bankfeed.Line) error {
		if l.SyncRunID != nil {
			out[*l.SyncRunID]++
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// noLeases fails when a lease is left behind.
func (e *env) noLeases() {
	e.t.Helper()
	ls, err := e.db.Leases(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	if len(ls) > 0 {
		e.t.Errorf("leases left: %+v", ls)
	}
}

// newSyncer returns another worker on the same store, bank and clock.
func (e *env) newSyncer(opts Options) *Syncer {
	opts.HTTP = e.http
	if opts.Now == nil {
		opts.Now = e.clock.Now
	}
	if opts.Rand == nil {
		opts.Rand = func() float64 { return 0.5 }
	}
	return New(e.db, e.key, opts)
}
