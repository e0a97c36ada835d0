package syncer

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/store"
)

// How many random sequences TestDedupeSequences replays, and how long:
// -seeds 300 -steps 40 for a longer look.
var (
	sequenceSeeds = flag.Int("seeds", 30, "random sequences TestDedupeSequences replays")
	sequenceSteps = flag.Int("steps", 15, "steps of each random sequence")
)

// logins are the connections the sequences play with: two at one bank,
// one at another.
var logins = []struct{ name, inst, user string }{
	{"alice", "sgml", "alice"},
	{"dave", "sgml", "dave"},
	{"carol", "card", "carol"},
}

// transientKinds are the faults a sequence switches on for a few requests:
// every kind that fails a request without the user, but the slow ones and
// those of the TLS handshake (TestSyncFaults has them).
var transientKinds = []string{
	fakebank.FaultMaintenance503, fakebank.FaultMaintenancePage, fakebank.FaultMaintenanceOFX,
	fakebank.FaultHTTP500, fakebank.FaultOFX2000, fakebank.FaultEmptyBody, fakebank.FaultTruncated,
	fakebank.FaultMalformed, fakebank.FaultReset, fakebank.FaultRateLimit429, fakebank.FaultRateLimitOFX,
	fakebank.FaultAccountNotFound,
}

// userKinds are the faults only the user clears.
var userKinds = []string{fakebank.FaultBadCredentials, fakebank.FaultLockout, fakebank.FaultMFA, fakebank.FaultAcceptTerms}

// op is one step of a sequence.
type op struct {
	what  string
	login int // index in logins
	n     int // hours or days; a fault's count
	kind  string
}

func (o op) String() string {
	switch o.what {
	case "hours", "days":
		return fmt.Sprintf("+%d %s", o.n, o.what)
	case "fault":
		return fmt.Sprintf("fault %s x%d on %s", o.kind, o.n, logins[o.login].name)
	case "user-fault":
		return fmt.Sprintf("fault %s on %s", o.kind, logins[o.login].name)
	case "auto":
		return "automatic round"
	case "race":
		return "two workers syncing everything at once"
	case "clear":
		return "clear faults"
	}
	return o.what + " " + logins[o.login].name
}

// randomOps draws a sequence.
func randomOps(rng *rand.Rand, n int) []op {
	ops := make([]op, n)
	for i := range ops {
		o := op{login: rng.IntN(len(logins))}
		switch r := rng.IntN(100); {
		case r < 12:
			o.what, o.n = "hours", 1+rng.IntN(12)
		case r < 22:
			o.what, o.n = "days", 1+rng.IntN(4)
		case r < 37:
			o.what, o.kind, o.n = "fault", transientKinds[rng.IntN(len(transientKinds))], 1+rng.IntN(4)
		case r < 43:
			o.what, o.kind = "user-fault", userKinds[rng.IntN(len(userKinds))]
		case r < 50:
			o.what = "clear"
		case r < 65:
			o.what = "manual"
		case r < 82:
			o.what = "auto"
		case r < 88:
			o.what = "reset"
		case r < 91:
			o.what = "reconnect"
		case r < 95:
			o.what = "relink"
		default:
			o.what = "race"
		}
		ops[i] = o
	}
	return ops
}

// sequencePlayer plays ops against an env and checks the store after each.
type sequencePlayer struct {
	t      *testing.T
	e      *env
	ledger *ledger
	conns  map[string]bankfeed.ConnectionID
	other  *Syncer // a second worker on the store
	// As at the last check: the store's lines and runs, and the steps and
	// syncs played.
	lines                            int64
	okRuns, failedRuns, steps, syncs int
}

// connected returns a login's connection id, 0 when it has none.
func (p *sequencePlayer) connected(name string) bankfeed.ConnectionID { return p.conns[name] }

// connect sets a login up; with links, to the feed accounts its numbers
// had. A connection the bank refuses is not kept.
func (p *sequencePlayer) connect(i int, links bool) {
	e, l := p.e, logins[i]
	req := ConnectRequest{Name: l.name, Profile: e.profile(l.inst), UserID: l.user,
		Password: secret.String(e.bank.Scenario().Institution(l.inst).User(l.user).Password)}
	if links {
		req.Links = map[string]bankfeed.AccountID{}
		accts, err := e.db.Accounts(p.t.Context(), bankfeed.AccountFilter{})
		if err != nil {
			p.t.Fatal(err)
		}
		u := e.bank.Scenario().Institution(l.inst).User(l.user)
		for _, a := range accts {
			for _, ba := range u.Accounts {
				if ba.ID == a.Number {
					req.Links[a.Number] = a.ID
				}
			}
		}
	}
	res, err := e.s.Connect(p.t.Context(), req)
	if err != nil {
		p.t.Fatalf("connect %s: %v", l.name, err)
	}
	delete(p.conns, l.name)
	if res.Connection.ID != 0 {
		p.conns[l.name] = res.Connection.ID
	}
}

func (p *sequencePlayer) sync(i int, manual bool) {
	name := logins[i].name
	id := p.connected(name)
	if id == 0 {
		return
	}
	if _, err := p.e.s.Sync(p.t.Context(), id, manual); err != nil {
		p.t.Fatalf("sync %s: %v", name, err)
	}
	p.syncs++
}

func (p *sequencePlayer) play(o op) {
	e, l := p.e, logins[o.login]
	switch o.what {
	case "hours":
		e.clock.Add(time.Duration(o.n) * time.Hour)
	case "days":
		e.clock.Add(time.Duration(o.n) * 24 * time.Hour)
	case "fault":
		spec := fakebank.FaultSpec{Kind: o.kind, Institution: l.inst, User: l.user, Count: o.n}
		if o.kind == fakebank.FaultAccountNotFound {
			spec.Account = e.bank.Scenario().Institution(l.inst).User(l.user).Accounts[0].ID
		}
		e.fault(spec)
	case "user-fault":
		e.fault(fakebank.FaultSpec{Kind: o.kind, Institution: l.inst, User: l.user})
	case "clear":
		e.bank.ClearFaults()
		for _, l := range logins {
			_ = e.bank.Unlock(l.inst, l.user)
		}
	case "manual":
		p.sync(o.login, true)
	case "auto":
		// The scheduler's round: every connection due, with the checks
		// that nothing goes to a login waiting for its user or to a bank
		// whose circuit is open.
		quiet := map[string]string{}
		cs, err := e.db.Connections(p.t.Context(), store.ConnectionFilter{})
		if err != nil {
			p.t.Fatal(err)
		}
		cirs, err := e.db.Circuits(p.t.Context())
		if err != nil {
			p.t.Fatal(err)
		}
		for _, c := range cs {
			if c.State == bankfeed.ConnNeedsAction && c.NextAttemptAt.IsZero() {
				quiet["user:"+c.UserID] = "waits for its user"
			}
			if cir := cirs[c.InstitutionID]; cir != nil && cir.Open && (cir.NextProbeAt.IsZero() || cir.NextProbeAt.After(e.clock.Now())) {
				for _, l := range logins {
					if l.user == c.UserID {
						quiet["inst:"+l.inst] = "circuit open until " + cir.NextProbeAt.String()
					}
				}
			}
		}
		since := e.lastSeq()
		due, err := e.s.Due(p.t.Context(), e.clock.Now())
		if err != nil {
			p.t.Fatal(err)
		}
		for _, id := range due {
			if _, err := e.s.Sync(p.t.Context(), id, false); err != nil {
				p.t.Fatalf("sync %d: %v", id, err)
			}
			p.syncs++
		}
		for _, r := range e.bank.Requests(fakebank.Filter{Channel: fakebank.ChannelOFX, Since: since}) {
			if why := quiet["user:"+r.User]; why != "" && r.Signon {
				p.t.Errorf("automatic round signed %s on, which %s", r.User, why)
			}
			if why := quiet["inst:"+r.Institution]; why != "" {
				p.t.Errorf("automatic round asked %s, whose %s", r.Institution, why)
			}
		}
	case "race":
		var wg sync.WaitGroup
		for k, w := range []*Syncer{e.s, p.other} {
			for _, id := range p.conns {
				wg.Go(func() {
					if _, err := w.Sync(p.t.Context(), id, k == 0); err != nil {
						p.t.Errorf("sync %d: %v", id, err)
					}
				})
			}
		}
		wg.Wait()
		p.syncs += 2 * len(p.conns)
	case "reset":
		if id := p.connected(l.name); id != 0 {
			if err := e.s.Reset(p.t.Context(), id, ""); err != nil {
				p.t.Fatal(err)
			}
		}
	case "reconnect", "relink":
		if id := p.connected(l.name); id != 0 {
			if err := e.s.Remove(p.t.Context(), id); err != nil {
				p.t.Fatal(err)
			}
		}
		p.connect(o.login, o.what == "relink")
	}
}

// check checks the store after a step.
func (p *sequencePlayer) check(step int, o op) {
	p.t.Helper()
	e := p.e
	p.steps++
	e.noLeases()
	for _, err := range p.ledger.check() {
		p.t.Errorf("step %d (%s): %v", step, o, err)
	}
	n, ok, runs := p.ledger.lines, p.ledger.okRuns, p.ledger.runs
	switch {
	case n < p.lines:
		p.t.Errorf("step %d (%s): lines went from %d to %d", step, o, p.lines, n)
	case n > p.lines && ok == p.okRuns:
		p.t.Errorf("step %d (%s): %d new lines with no successful run", step, o, n-p.lines)
	}
	p.lines, p.okRuns, p.failedRuns = n, ok, runs-ok
}

// playSequence plays ops on a fresh env with every login connected.
func playSequence(t *testing.T, ops []op) *sequencePlayer {
	e := newEnv(t, Options{})
	p := &sequencePlayer{t: t, e: e, ledger: newLedger(e), conns: map[string]bankfeed.ConnectionID{}, other: e.newSyncer(Options{})}
	for i := range logins {
		p.connect(i, false)
	}
	for i, o := range ops {
		p.play(o)
		p.check(i, o)
		if t.Failed() {
			var s []string
			for _, o := range ops[:i+1] {
				s = append(s, o.String())
			}
			t.Fatalf("after: %s", strings.Join(s, "; "))
		}
	}
	return p
}

// TestDedupeSequences replays sequences of clock steps, faults, manual and
// automatic syncs (some on two workers at once), resets, reconnects and
// relinks, and after every step
// finds no FITID twice in an account, every line in the bank's book and in
// a successful run's window, every such window's lines all there, failed
// runs without lines, and lines that only grow, by successful runs.
func TestDedupeSequences(t *testing.T) {
	named := map[string][]op{
		"overlapping daily rounds": {{what: "auto"}, {what: "days", n: 1}, {what: "auto"}, {what: "hours", n: 5},
			{what: "manual"}, {what: "days", n: 3}, {what: "auto"}, {what: "manual", login: 1}},
		"failures then retries": {{what: "auto"}, {what: "fault", kind: fakebank.FaultTruncated, n: 2}, {what: "days", n: 1},
			{what: "auto"}, {what: "hours", n: 1}, {what: "auto"}, {what: "hours", n: 1}, {what: "auto"}, {what: "manual"}},
		"reset then first window again": {{what: "auto"}, {what: "days", n: 2}, {what: "auto"}, {what: "reset"},
			{what: "auto"}, {what: "days", n: 1}, {what: "reset"}, {what: "manual"}},
		"remove, connect, relink": {{what: "auto"}, {what: "days", n: 2}, {what: "reconnect"}, {what: "auto"},
			{what: "days", n: 1}, {what: "relink"}, {what: "manual"}, {what: "reconnect", login: 1}, {what: "auto"}},
		"credentials refused, then fixed": {{what: "auto"}, {what: "user-fault", kind: fakebank.FaultBadCredentials},
			{what: "days", n: 1}, {what: "auto"}, {what: "days", n: 1}, {what: "auto"}, {what: "clear"}, {what: "reset"},
			{what: "auto"}},
		"bank down across a reset": {{what: "fault", kind: fakebank.FaultMaintenance503, n: 3}, {what: "auto"},
			{what: "reset", login: 1}, {what: "hours", n: 2}, {what: "auto"}, {what: "manual", login: 1}, {what: "auto"}},
	}
	for name, ops := range named {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			playSequence(t, ops)
		})
	}

	seeds, steps := *sequenceSeeds, *sequenceSteps
	var total struct {
		steps, syncs, okRuns, failedRuns, duplicates int
	}
	var results = make(chan *sequencePlayer, seeds)
	t.Run("random", func(t *testing.T) {
		for seed := range seeds {
			t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
				t.Parallel()
				results <- playSequence(t, randomOps(rand.New(rand.NewPCG(uint64(seed), 0xbf)), steps))
			})
		}
	})
	close(results)
	for p := range results {
		total.steps += p.steps
		total.syncs += p.syncs
		total.okRuns += p.okRuns
		total.failedRuns += p.failedRuns
		total.duplicates += p.ledger.duplicates
	}
	t.Logf("random sequences replayed: %d, of %d steps each (%d steps checked, %d syncs, %d runs ok, %d failed); duplicates found: %d",
		seeds, steps, total.steps, total.syncs, total.okRuns, total.failedRuns, total.duplicates)
}
