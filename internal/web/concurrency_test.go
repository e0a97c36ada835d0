package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

// concClock is the banks', syncer's and store's clock: it starts 60 days
// back and each sync round moves it on, so that every round brings new
// lines.
type concClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *concClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// advance moves the clock on by d, never past the real time.
func (c *concClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if next := c.t.Add(d); next.Before(time.Now()) {
		c.t = next
	}
}

// concScenario is two banks with one login of six accounts each.
func concScenario() []byte {
	var insts []string
	for i, b := range []struct{ id, version string }{{"conc-a", "102"}, {"conc-b", "211"}} {
		var accts []string
		for j := range 6 {
			typ := "checking"
			switch j % 3 {
			case 1:
				typ = "savings"
			case 2:
				typ = "creditcard"
			}
			bal := ""
			if typ != "creditcard" {
				bal = `, "opening_balance": "5000.00"`
			}
			accts = append(accts, fmt.Sprintf(`{"id": "%d%03d", "type": %q%s}`, 8800+i, j, typ, bal))
		}
		insts = append(insts, fmt.Sprintf(`{"id": %q, "name": "Bank %s", "org": "ORG%d", "fid": "%d", "bank_id": "0210000%02d", "version": %q,
		  "users": [{"id": "owner%d", "password": "conc-password-%d", "pay": "3100.00", "employer": "ACME PAYROLL", "accounts": [%s]}]}`,
			b.id, b.id, i, 5100+i, 21+i, b.version, i, i, strings.Join(accts, ", ")))
	}
	return []byte(`{"seed": 99, "start": "2026-01-01", "zone": "America/Chicago", "institutions": [` + strings.Join(insts, ",\n") + `]}`)
}

// concDuration is how long the clients and syncs run: a minute in CI or a
// soak, ten seconds otherwise.
func concDuration() time.Duration {
	if os.Getenv("CI") == "true" || os.Getenv("BANKFEED_SOAK") == "1" {
		return 60 * time.Second
	}
	return 10 * time.Second
}

// concDecision is a decision a client was answered 200 for.
type concDecision struct {
	line   bankfeed.LineID
	action string // add, exclude, undo
	seq    int    // the client's count of its decisions
}

// concWant is the state a decision leaves a line in.
func (d concDecision) concWant() bankfeed.ReviewState {
	switch d.action {
	case "add":
		return bankfeed.ReviewAdded
	case "exclude":
		return bankfeed.ReviewExcluded
	}
	return bankfeed.ReviewPending
}

// concProblems gathers what went wrong across goroutines.
type concProblems struct {
	mu   sync.Mutex
	list []string
	n    atomic.Int64
}

func (p *concProblems) add(format string, args ...any) {
	p.n.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.list) < 50 {
		p.list = append(p.list, fmt.Sprintf(format, args...))
	}
}

// concCheck reports an answer that must never reach a client: a 5xx, or
// the store's lock showing through.
func (p *concProblems) check(who, what string, a apiAnswer, err error) bool {
	switch {
	case err != nil:
		p.add("%s %s: %v", who, what, err)
		return false
	case a.Status >= 500:
		p.add("%s %s: %d: %s", who, what, a.Status, a.Body)
		return false
	}
	low := strings.ToLower(string(a.Body))
	locked := strings.Contains(low, "database is locked") || strings.Contains(low, "database table is locked") || strings.Contains(low, "sqlite_busy")
	if locked || a.Status >= 400 && strings.Contains(low, "busy") {
		p.add("%s %s: the store's lock reached the client: %d: %s", who, what, a.Status, a.Body)
		return false
	}
	return true
}

// TestConcurrentClients: 20 bookkeepers, each signed in, read the queue
// and decide lines (add, exclude, undo) and read the dashboard and status
// while the syncer syncs two banks of six accounts each in a loop. No
// request fails with a 5xx or sees the store's lock, every decision a
// client was answered 200 for is in the store and the audit log at the
// end, every line's state is the one its newest audit entry leaves it in,
// and the syncs ran.
//
// A client records a decision only from its answer, so every request,
// even one under way at the deadline, runs to its answer: a decision the
// server committed while its client had stopped listening would be in the
// store and the audit log but not in the client's record, and the line
// would look overwritten.
func TestConcurrentClients(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for seconds")
	}
	const clients = 20
	clk := &concClock{t: time.Now().Add(-60 * 24 * time.Hour).Truncate(time.Second)}
	w := newAPIWorld(t, apiWorldOptions{scenario: concScenario(), bankNow: clk.Now,
		logins: map[string]string{"conc-a": "alpha", "conc-b": "beta"}})
	ctx := t.Context()
	for _, c := range w.conns {
		w.sync(ctx, c)
	}
	hash, err := hashOnce()
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, clients)
	err = w.db.Update(ctx, func(tx *store.Tx) error {
		for i := range names {
			names[i] = "keeper" + strconv.Itoa(i+1)
			if err := tx.AddUser(ctx, &bankfeed.User{Name: names[i], Role: bankfeed.RoleBookkeeper}, hash); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	routes := w.apiRouteSet()
	var before []int64
	if counts, err := w.db.SyncRunCounts(ctx); err == nil {
		before = append(before, concRuns(counts))
	}

	var probs concProblems
	// The loops stop at the deadline; a request under way then runs to
	// its answer, so that every decision's outcome is known.
	runCtx, stop := context.WithTimeout(ctx, concDuration())
	defer stop()

	// The syncs: each connection synced in a loop, the clock moving on 6
	// hours a round; every fourth round asked for through the API.
	syncer := w.apiSignIn("bookkeeper")
	var rounds atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for round := 0; runCtx.Err() == nil; round++ {
			clk.advance(6 * time.Hour)
			var sw sync.WaitGroup
			for _, c := range w.conns {
				sw.Go(func() {
					if round%4 == 3 && routes["POST /api/v1/connections/{id}/sync"] {
						a, err := syncer.do(ctx, "POST", "/api/v1/connections/"+strconv.FormatInt(int64(c.ID), 10)+"/sync", nil, "")
						if probs.check("sync", c.Name, a, err) && a.Status != http.StatusAccepted {
							probs.add("sync %s through the API: %d: %s", c.Name, a.Status, a.Body)
						}
						return
					}
					res, err := w.sy.Sync(ctx, c.ID, true)
					if err != nil {
						probs.add("sync %s: %v", c.Name, err)
						return
					}
					for _, ar := range res.Accounts {
						if ar.Run != nil && ar.Run.Outcome == bankfeed.OutcomeFailed {
							probs.add("sync %s account %s: %s %s", c.Name, ar.Account.Number, ar.Run.FailureClass, ar.Run.Error)
						}
					}
				})
			}
			sw.Wait()
			rounds.Add(1)
		}
	})

	// The clients: client i decides the lines whose id is i modulo 20, so
	// that no two people decide one line and each line's last decision is
	// known.
	decided := make([][]concDecision, clients)
	var requests atomic.Int64
	var tookMu sync.Mutex
	var took []time.Duration // of each request answered
	timed := func(start time.Time) {
		d := time.Since(start)
		tookMu.Lock()
		took = append(took, d)
		tookMu.Unlock()
	}
	for i := range clients {
		c := w.apiSignIn(names[i])
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			mine := map[bankfeed.LineID]bankfeed.ReviewState{}
			seq := 0
			get := func(path string) apiAnswer {
				start := time.Now()
				a, err := c.do(ctx, "GET", path, nil, "")
				timed(start)
				requests.Add(1)
				if probs.check(c.who, "GET "+path, a, err) && a.Status != http.StatusOK {
					probs.add("%s GET %s: %d: %s", c.who, path, a.Status, a.Body)
				}
				return a
			}
			for runCtx.Err() == nil {
				switch n := rng.IntN(10); {
				case n == 0:
					get("/api/v1/status")
					continue
				case n == 1:
					get("/")
					continue
				}
				// Read a page of the queue (the first, or one further on),
				// and decide some of this client's lines on it.
				path := "/api/v1/review?limit=100"
				if rng.IntN(3) == 0 {
					path += "&cursor=" + strconv.Itoa(rng.IntN(2000))
				}
				a := get(path)
				var page store.QueuePage
				if a.Status != http.StatusOK || json.Unmarshal(a.Body, &page) != nil {
					continue
				}
				var todo []bankfeed.LineID
				for _, it := range page.Items {
					if int(it.LineID)%clients == i {
						todo = append(todo, it.LineID)
					}
				}
				// Now and then, undo one of its own decisions.
				var undo []bankfeed.LineID
				for id, st := range mine {
					if st != bankfeed.ReviewPending && rng.IntN(8) == 0 {
						undo = append(undo, id)
					}
					if len(undo) == 2 {
						break
					}
				}
				type job struct {
					line   bankfeed.LineID
					action string
				}
				var jobs []job
				for _, id := range undo {
					jobs = append(jobs, job{id, "undo"})
				}
				for k, id := range todo {
					if k == 3 {
						break
					}
					action := "add"
					if rng.IntN(3) == 0 {
						action = "exclude"
					}
					jobs = append(jobs, job{id, action})
				}
				for _, j := range jobs {
					// An add names its category: a line's proposal can change
					// under a sync's relabelling between the read and the add.
					var body any
					if j.action == "add" {
						body = map[string]string{"category": "Expenses:Concurrent"}
					}
					path := apiLinePath(j.line, j.action)
					start := time.Now()
					a, err := c.do(ctx, "POST", path, body, "")
					timed(start)
					requests.Add(1)
					if !probs.check(c.who, "POST "+path, a, err) {
						continue
					}
					switch a.Status {
					case http.StatusOK:
						seq++
						d := concDecision{line: j.line, action: j.action, seq: seq}
						decided[i] = append(decided[i], d)
						mine[j.line] = d.concWant()
					case http.StatusConflict:
						// Decided meanwhile without a person (a sync's
						// automatic match): not this client's decision.
					default:
						probs.add("%s POST %s: %d: %s", c.who, path, a.Status, a.Body)
					}
				}
			}
		})
	}
	wg.Wait()
	w.srv.Wait()
	for _, p := range probs.list {
		t.Error(p)
	}
	if n := probs.n.Load(); n > int64(len(probs.list)) {
		t.Errorf("... and %d more", n-int64(len(probs.list)))
	}

	// The syncs ran: rounds of them, each recorded.
	counts, err := w.db.SyncRunCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	runs := concRuns(counts)
	if rounds.Load() < 2 || len(before) == 0 || runs < before[0]+rounds.Load() {
		t.Errorf("syncs: %d rounds, %d runs recorded (%v before)", rounds.Load(), runs, before)
	}

	// No change unrecorded: each line's state is the one its newest audit
	// entry leaves it in (For Review when it has none).
	items, err := w.db.Reviews(ctx, store.ReviewFilter{})
	if err != nil {
		t.Fatal(err)
	}
	state := map[bankfeed.LineID]bankfeed.ReviewState{}
	for _, it := range items {
		state[it.LineID] = it.State
	}
	log, err := w.db.AuditLog(ctx, store.AuditFilter{Action: "review."})
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		actor, action, subject string
	}
	logged := map[key]int{}
	lastOf := map[key]int64{}                        // the newest entry of each actor, action and line
	bySubject := map[string][]*bankfeed.AuditEntry{} // each subject's entries, newest first
	for _, e := range log {
		k := key{e.Actor, e.Action, e.Subject}
		logged[k]++
		lastOf[k] = max(lastOf[k], e.ID)
		bySubject[e.Subject] = append(bySubject[e.Subject], e)
	}
	history := func(subject string) []string {
		var h []string
		for _, e := range slices.Backward(bySubject[subject]) {
			h = append(h, fmt.Sprintf("#%d %s by %s %s", e.ID, e.Action, e.Actor, e.Detail))
		}
		return h
	}
	for id, got := range state {
		subject := "line " + strconv.FormatInt(int64(id), 10)
		want := bankfeed.ReviewPending
		if es := bySubject[subject]; len(es) > 0 {
			e := es[0]
			st, ok := concLeaves[e.Action]
			if !ok {
				t.Errorf("line %d: audit action %s: which state does it leave?", id, e.Action)
				continue
			}
			want = st
		}
		if got != want {
			t.Errorf("line %d is %q, but its audit log leaves it %q: a change without its entry; audit: %v", id, got, want, history(subject))
		}
	}

	// No decision lost or overridden: after a client's last decision about
	// a line, the audit log has nothing more about it but what may follow a
	// person's decision (its entry going with another line, a pending line
	// voided), and without that the line is as the decision left it.
	total := 0
	actions := map[string]int{}
	for i, ds := range decided {
		last := map[bankfeed.LineID]concDecision{}
		made := map[key]int{}
		for _, d := range ds {
			last[d.line] = d
			made[key{names[i], "review." + d.action, "line " + strconv.FormatInt(int64(d.line), 10)}]++
			total++
			actions[d.action]++
		}
		for k, n := range made {
			if logged[k] < n {
				t.Errorf("%s: %d × %s of %s answered 200, %d in the audit log", k.actor, n, k.action, k.subject, logged[k])
			}
		}
		for id, d := range last {
			subject := "line " + strconv.FormatInt(int64(id), 10)
			mine := lastOf[key{names[i], "review." + d.action, subject}]
			later := 0
			for _, e := range bySubject[subject] {
				if e.ID <= mine {
					break
				}
				later++
				if !concAfterPerson[e.Action] {
					t.Errorf("%s: line %d: %s by %s after its %s (#%d) was answered 200: a person's decision overridden; audit: %v",
						names[i], id, e.Action, e.Actor, d.action, d.seq, history(subject))
				}
			}
			if got := state[id]; later == 0 && got != d.concWant() {
				t.Errorf("%s: line %d is %q; its last decision (%s, #%d) was answered 200 and nothing after it is in the audit log; audit: %v",
					names[i], id, got, d.action, d.seq, history(subject))
			}
		}
	}
	if total < clients {
		t.Errorf("only %d decisions made by %d clients", total, clients)
	}
	slices.Sort(took)
	pct := func(p float64) time.Duration {
		if len(took) == 0 {
			return 0
		}
		return took[min(len(took)-1, int(p*float64(len(took))))].Round(time.Millisecond)
	}
	t.Logf("%s: %d requests (p50 %s, p99 %s, max %s), decisions %v, %d sync rounds, %d runs recorded",
		concDuration(), requests.Load(), pct(0.5), pct(0.99), pct(1), actions, rounds.Load(), runs)
}

// concLeaves is the state each review action of the audit log leaves its
// line in.
var concLeaves = map[string]bankfeed.ReviewState{
	"review.add": bankfeed.ReviewAdded, "review.auto_add": bankfeed.ReviewAdded,
	"review.transfer": bankfeed.ReviewAdded, "review.auto_transfer": bankfeed.ReviewAdded,
	"review.match": bankfeed.ReviewMatched, "review.auto_match": bankfeed.ReviewMatched, "review.auto_replace": bankfeed.ReviewMatched,
	"review.exclude": bankfeed.ReviewExcluded, "review.auto_exclude": bankfeed.ReviewExcluded,
	"review.undo": bankfeed.ReviewPending, "review.reopen": bankfeed.ReviewPending,
	"review.merge": bankfeed.ReviewMerged, "review.void": bankfeed.ReviewVoided,
}

// concAfterPerson are the review actions that may follow a person's
// decision about a line: its entry went with another line (a transfer's
// other leg undone), or it was a pending line that never posted. No
// automatic decision may.
var concAfterPerson = map[string]bool{"review.reopen": true, "review.void": true}

// concRuns counts the sync runs recorded.
func concRuns(counts []store.RunCount) int64 {
	var n int64
	for _, c := range counts {
		n += int64(c.N)
	}
	return n
}
