package syncer

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
)

// inflight counts the requests in flight, per host and per bank account,
// at the HTTP transport, and remembers the most seen at once.
type inflight struct {
	next http.RoundTripper

	mu         sync.Mutex
	host, acct map[string]int
	maxHost    map[string]int
	maxAcct    map[string]int
	seen       int
}

func countInflight(e *env) *inflight {
	f := &inflight{next: e.http.HTTP.Transport, host: map[string]int{}, acct: map[string]int{},
		maxHost: map[string]int{}, maxAcct: map[string]int{}}
	e.http.HTTP.Transport = f
	return f
}

var acctIDRe = regexp.MustCompile(`<ACCTID>([^<\r\n]+)`)

func (f *inflight) RoundTrip(r *http.Request) (*http.Response, error) {
	acct := ""
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		if m := acctIDRe.FindSubmatch(b); m != nil {
			acct = string(m[1])
		}
	}
	f.mu.Lock()
	f.seen++
	f.host[r.URL.Host]++
	f.maxHost[r.URL.Host] = max(f.maxHost[r.URL.Host], f.host[r.URL.Host])
	if acct != "" {
		f.acct[acct]++
		f.maxAcct[acct] = max(f.maxAcct[acct], f.acct[acct])
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.host[r.URL.Host]--
		if acct != "" {
			f.acct[acct]--
		}
		f.mu.Unlock()
	}()
	resp, err := f.next.RoundTrip(r)
	if err == nil {
		// Read the answer while counted: the request is in flight until
		// its body is in.
		b, rerr := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if rerr != nil {
			return nil, rerr
		}
	}
	return resp, err
}

func (f *inflight) report(t *testing.T, e *env) (perHost map[string]int, perAcct map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	perHost = map[string]int{}
	for _, id := range []string{"sgml", "xml", "card"} {
		perHost[id] = f.maxHost[e.bank.Addr(id)]
	}
	perAcct = map[string]int{}
	for k, v := range f.maxAcct {
		perAcct[k] = v
	}
	t.Logf("requests %d; most in flight per institution %v, per account %v", f.seen, perHost, perAcct)
	return perHost, perAcct
}

// TestConcurrentSyncs runs syncs of the same connections side by side, on
// one worker and on several sharing the store, against a slow bank: an
// account is never fetched twice at once, an institution never has more
// than InstitutionLimit requests in flight, and no lease is left behind.
func TestConcurrentSyncs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		workers int      // Syncers on the store
		syncs   []string // connections synced at once, round robin over the workers
		limit   int
	}{
		{"two workers, one connection", 2, []string{"alice", "alice"}, 2},
		{"one worker, one connection twice", 1, []string{"alice", "alice"}, 2},
		{"two workers, two connections", 2, []string{"alice", "dave"}, 2},
		{"three workers, limit 1", 3, []string{"alice", "dave", "alice"}, 1},
		{"one worker, two connections, limit 3", 1, []string{"alice", "dave", "alice", "dave"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, Options{InstitutionLimit: tc.limit})
			e.connect("alice", "sgml", "alice")
			e.connect("dave", "sgml", "dave")
			workers := []*Syncer{e.s}
			for len(workers) < tc.workers {
				workers = append(workers, e.newSyncer(Options{InstitutionLimit: tc.limit}))
			}
			e.fault(fakebank.FaultSpec{Kind: fakebank.FaultLatency, Institution: "sgml", Params: map[string]string{"delay": "60ms"}})
			f := countInflight(e)
			for round := range 2 {
				var wg sync.WaitGroup
				for i, name := range tc.syncs {
					id := e.conn(name).ID
					w := workers[i%len(workers)]
					wg.Go(func() {
						if _, err := w.Sync(t.Context(), id, true); err != nil {
							t.Errorf("round %d: sync %s: %v", round, name, err)
						}
					})
				}
				wg.Wait()
				e.noLeases()
			}
			perHost, perAcct := f.report(t, e)
			if perHost["sgml"] > tc.limit {
				t.Errorf("%d requests at once to sgml, limit %d", perHost["sgml"], tc.limit)
			}
			for acct, n := range perAcct {
				if n > 1 {
					t.Errorf("account %s fetched %d times at once", acct, n)
				}
			}
			checkLines(t, e)
		})
	}
}

// TestNextInLine: while a bank answers its one slot's request, one more
// account holds its lease, ready for the slot; the others take nothing yet.
// All go through, one at a time.
func TestNextInLine(t *testing.T) {
	e := newEnv(t, Options{InstitutionLimit: 1})
	for _, u := range []string{"alice", "dave"} {
		if cr := e.connect(u, "sgml", u); cr.Err != nil {
			t.Fatal(cr.Err)
		}
	}
	e.fault(fakebank.FaultSpec{Kind: fakebank.FaultLatency, Institution: "sgml", Params: map[string]string{"delay": "300ms"}})
	since := e.lastSeq()
	results := make(chan *Result, 2)
	for _, u := range []string{"alice", "dave"} {
		go func() {
			c, err := e.db.FindConnection(t.Context(), u)
			if err != nil {
				t.Error(err)
				results <- nil
				return
			}
			res, err := e.s.Sync(t.Context(), c.ID, true)
			if err != nil {
				t.Error(err)
			}
			results <- res
		}()
	}
	// The first request is at the bank: the other three accounts wait.
	deadline := time.Now().Add(5 * time.Second)
	for e.requests("sgml", since) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // the next in line takes its lease meanwhile
	leases, err := e.db.Leases(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var accounts []string
	for _, l := range leases {
		if strings.HasPrefix(l.Name, "account:") {
			accounts = append(accounts, l.Name)
		}
	}
	if len(accounts) != 2 {
		t.Errorf("account leases while the first request waits for its answer: %v, want the running one and the next in line", accounts)
	}
	synced := 0
	for range 2 {
		res := <-results
		if res == nil {
			continue
		}
		for _, a := range res.Accounts {
			if a.Run == nil || a.Run.Outcome != bankfeed.OutcomeOK {
				t.Errorf("%s: run %+v, skipped %q", a.Account.Number, a.Run, a.Skipped)
				continue
			}
			synced++
		}
	}
	if synced != 4 {
		t.Errorf("%d accounts synced, want 4", synced)
	}
	e.noLeases()
}
