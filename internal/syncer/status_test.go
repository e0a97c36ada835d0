package syncer

import (
	"crypto/tls"
	"encoding/json"
	"github.com/bankfeed/bankfeed/internal/books"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
)

// approveDevice approves every CLIENTUID waiting for a user at the bank's
// portal, as the user would.
func (e *env) approveDevice(inst, user string) {
	e.t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.bank.CertPool()}}}
	defer hc.CloseIdleConnections()
	form := url.Values{"userid": {user}, "password": {e.bank.Scenario().Institution(inst).User(user).Password}}
	resp, err := hc.PostForm(strings.TrimSuffix(e.bank.PortalURL(inst), "/")+"/device/approve", form)
	if err != nil {
		e.t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("approve device: HTTP %d", resp.StatusCode)
	}
}

// board returns the status board's accounts and connections by name.
func (e *env) board() (*Board, map[string]*AccountStatus, map[string]*ConnectionStatus) {
	e.t.Helper()
	b, err := e.s.Status(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := json.Marshal(b); err != nil {
		e.t.Fatal(err)
	}
	accts, conns := map[string]*AccountStatus{}, map[string]*ConnectionStatus{}
	for _, is := range b.Institutions {
		for _, cs := range is.Connections {
			conns[cs.Name] = cs
			for _, as := range cs.Accounts {
				accts[as.Number] = as
			}
		}
	}
	return b, accts, conns
}

// TestStatus reads the board with accounts in every state: ok, retrying
// (carol's statements cut short), waiting_for_bank (alice's bank down, and
// dave's, at the same bank), needs_action (a CLIENTUID the bank wants
// approved, a rejected password); how stale each is, and its unreviewed
// lines.
func TestStatus(t *testing.T) {
	e := newEnv(t, Options{})
	// New lines wait in the review queue, which the board counts.
	e.s = New(e.db, e.key, Options{HTTP: e.http, Now: e.clock.Now, Rand: func() float64 { return 0.5 },
		Review: books.ReviewService(e.db).Ingest})
	for _, c := range [][3]string{{"alice", "sgml", "alice"}, {"dave", "sgml", "dave"}, {"carol", "card", "carol"}} {
		e.connect(c[0], c[1], c[2])
		e.sync(c[0], false)
	}
	// bob's bank wants this application approved first.
	if cr := e.connect("bob", "xml", "bob"); cr.Class != bankfeed.FailActionRequired {
		t.Fatalf("bob: %v %s", cr.Err, cr.Class)
	}
	t0 := e.clock.Now()
	e.clock.Add(5 * time.Hour)

	counts, err := e.db.UnreviewedCounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, accts, conns := e.board()
	for _, n := range []string{"111", "222", "333", "777", "666"} {
		as := accts[n]
		if as == nil {
			t.Fatalf("account %s not on the board", n)
		}
		if as.State != bankfeed.ConnOK || !as.LastSuccess.Equal(t0) || as.Stale != 5*time.Hour ||
			as.Unreviewed != counts[as.AccountID] || as.Unreviewed == 0 || as.LastRun == nil || as.LastRun.Outcome != bankfeed.OutcomeOK {
			t.Errorf("account %s: %+v", n, as)
		}
	}
	if cs := conns["bob"]; cs == nil || cs.State != bankfeed.ConnNeedsAction || !cs.Next.IsZero() || len(cs.Accounts) != 0 {
		t.Errorf("bob: %+v", cs)
	}

	// A day later: carol's statements cut short, dave's password refused,
	// alice's bank down.
	e.clock.Add(20 * time.Hour)
	e.fault(fakebank.FaultSpec{Kind: fakebank.FaultTruncated, Institution: "card", User: "carol"})
	e.fault(fakebank.FaultSpec{Kind: fakebank.FaultBadCredentials, Institution: "sgml", User: "dave"})
	e.sync("carol", false)
	e.sync("dave", false)
	e.fault(fakebank.FaultSpec{Kind: fakebank.FaultMaintenance503, Institution: "sgml", User: "alice"})
	e.sync("alice", false)
	e.clock.Add(10 * time.Minute)
	cir := e.circuitOf(e.conn("alice"))
	b, accts, conns := e.board()
	for _, tc := range []struct {
		numbers []string
		state   bankfeed.ConnectionState
		next    time.Time
	}{
		{[]string{"666"}, bankfeed.ConnRetrying, e.conn("carol").NextAttemptAt},
		{[]string{"777"}, bankfeed.ConnNeedsAction, time.Time{}},
		{[]string{"111", "222", "333"}, bankfeed.ConnWaitingForBank, cir.NextProbeAt},
	} {
		for _, n := range tc.numbers {
			as := accts[n]
			if as.State != tc.state || !as.Next.Equal(tc.next) || as.Reason == "" {
				t.Errorf("account %s: %s next %v (%s), want %s next %v", n, as.State, as.Next, as.Reason, tc.state, tc.next)
			}
			if !as.LastSuccess.Equal(t0) || as.Stale != 25*time.Hour+10*time.Minute || as.Unreviewed != counts[as.AccountID] {
				t.Errorf("account %s: last success %v, stale %v, unreviewed %d", n, as.LastSuccess, as.Stale, as.Unreviewed)
			}
		}
	}
	for name, want := range map[string]bankfeed.ConnectionState{"carol": bankfeed.ConnRetrying, "dave": bankfeed.ConnNeedsAction,
		"alice": bankfeed.ConnWaitingForBank, "bob": bankfeed.ConnNeedsAction} {
		if cs := conns[name]; cs.State != want {
			t.Errorf("connection %s: %s, want %s", name, cs.State, want)
		}
	}
	for _, is := range b.Institutions {
		if is.Institution.ID == e.conn("alice").InstitutionID && (is.Circuit == nil || !is.Circuit.Open) {
			t.Errorf("sgml circuit %+v, want open", is.Circuit)
		}
	}

	// Everything fixed: bob's device approved, dave's password entered
	// again, the banks back.
	e.bank.ClearFaults()
	e.approveDevice("xml", "bob")
	if err := e.s.Resume(t.Context(), e.conn("bob").ID); err != nil {
		t.Fatal(err)
	}
	if err := e.s.SetPassword(t.Context(), e.conn("dave").ID, "dave-pass-1234"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "dave", "carol", "bob"} {
		e.sync(name, true)
	}
	counts, err = e.db.UnreviewedCounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, accts, conns = e.board()
	for n, as := range accts {
		if as.State != bankfeed.ConnOK || !as.LastSuccess.Equal(e.clock.Now()) || as.Stale != 0 || as.Unreviewed != counts[as.AccountID] {
			t.Errorf("account %s once fixed: %+v", n, as)
		}
	}
	if len(accts) != 7 {
		t.Errorf("%d accounts on the board, want 7", len(accts))
	}
	for name, cs := range conns {
		if cs.State != bankfeed.ConnOK {
			t.Errorf("connection %s once fixed: %s (%s)", name, cs.State, cs.Reason)
		}
	}
	checkLines(t, e)
}
