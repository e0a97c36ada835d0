package syncer

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"sync"
	"testing"

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
