package syncer_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/source/ofxdirect"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

// The fleet BenchmarkSync1000 syncs: benchInstitutions banks of
// benchUsers logins with a checking account and a card each, every bank
// answering after benchLatency, at most benchLimit syncs at a time per bank.
const (
	benchInstitutions = 50
	benchUsers        = 10
	benchLatency      = 50 * time.Millisecond
	benchLimit        = 2
)

// latency is benchLatency, or BANKFEED_BENCH_LATENCY (a Go duration, more
// than 0) when set: with 1µs, a sync takes the time of its processing
// alone, what this machine needs to do the work with no bank to wait for.
func latency(b *testing.B) time.Duration {
	v := os.Getenv("BANKFEED_BENCH_LATENCY")
	if v == "" {
		return benchLatency
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		b.Fatalf("BANKFEED_BENCH_LATENCY=%q: want a duration over 0, such as 1us or 50ms", v)
	}
	return d
}

// BenchmarkSync1000 syncs 1,000 accounts across 50 fakebank institutions
// (20 accounts each, 50 ms latency, per-institution limit 2), every
// connection's Sync in its own goroutine. The limit makes 10 rounds of 50 ms
// per bank, so no engine can finish in less than the lower bound of 500 ms;
// ratio is the time taken over that bound, and the bar is 1.2.
//
// first is the first sync of a fresh store: 90-day windows, every line new.
// daily is the next day's: 8-day windows, most lines already there. Each
// iteration starts from a fresh store and fresh HTTP connections (one TLS
// handshake per bank and slot, as a new process makes); connecting, and the
// day before's sync for daily, are not timed. Clocks are real; the
// syncer's runs a day behind for the day before.
//
//	go test -run '^$' -bench BenchmarkSync1000 -benchtime 3x ./internal/syncer/
//	bench/sync/run.sh
func BenchmarkSync1000(b *testing.B) {
	sc := benchScenario(b)
	srv, err := fakebank.Start(sc, fakebank.Options{MaxRequests: 10_000})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	lat := latency(b)
	for _, in := range sc.Institutions {
		if _, err := srv.AddFault(fakebank.FaultSpec{Kind: fakebank.FaultLatency, Institution: in.ID,
			Params: map[string]string{"delay": lat.String()}}); err != nil {
			b.Fatal(err)
		}
	}
	// The bank's history is made before any sync is timed: fakebank makes
	// it as it is first asked for, work a real bank does not do on the
	// client's machine.
	today := fakebank.DayOf(time.Now(), sc.Location())
	for _, in := range sc.Institutions {
		for _, u := range in.Users {
			for _, a := range u.Accounts {
				srv.Book().Transactions(in, a, today, today)
			}
		}
	}
	bound := benchLowerBound(sc, lat)
	b.Run("first", func(b *testing.B) { benchSync(b, srv, bound, false) })
	b.Run("daily", func(b *testing.B) { benchSync(b, srv, bound, true) })
}

// BenchmarkHandshakes100 times what a fresh sync of the fleet begins with:
// a TLS handshake per bank and slot, 100 at once, with nothing else
// running. last_ms is when the last one is done, median_ms the median; a
// bank's first round can end no sooner than its second slot's handshake
// and its latency. cpu_ms is the process's CPU time for them, fakebank's
// half included.
func BenchmarkHandshakes100(b *testing.B) {
	sc := benchScenario(b)
	srv, err := fakebank.Start(sc, fakebank.Options{MaxRequests: 10_000})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	conf := &tls.Config{RootCAs: srv.CertPool()}
	var last, median, cpu time.Duration
	for b.Loop() {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var dones []time.Duration
		start, cpuStart := time.Now(), processCPU(b)
		for _, in := range sc.Institutions {
			for range benchLimit {
				wg.Go(func() {
					conn, err := tls.Dial("tcp", srv.Addr(in.ID), conf)
					if err != nil {
						b.Error(err)
						return
					}
					took := time.Since(start)
					_ = conn.Close()
					mu.Lock()
					dones = append(dones, took)
					mu.Unlock()
				})
			}
		}
		wg.Wait()
		cpu += processCPU(b) - cpuStart
		if b.Failed() {
			b.FailNow()
		}
		slices.Sort(dones)
		last += dones[len(dones)-1]
		median += dones[len(dones)/2]
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(b.N) / float64(time.Millisecond) }
	b.ReportMetric(ms(last), "last_ms")
	b.ReportMetric(ms(median), "median_ms")
	b.ReportMetric(ms(cpu), "cpu_ms")
}

// benchLowerBound is the least time the limit allows: the busiest bank's
// accounts, benchLimit at a time, lat each.
func benchLowerBound(sc *fakebank.Scenario, lat time.Duration) time.Duration {
	var bound time.Duration
	for _, in := range sc.Institutions {
		n := 0
		for _, u := range in.Users {
			n += len(u.Accounts)
		}
		rounds := (n + benchLimit - 1) / benchLimit
		bound = max(bound, time.Duration(rounds)*lat)
	}
	return bound
}

func benchSync(b *testing.B, srv *fakebank.Server, bound time.Duration, daily bool) {
	ctx := context.Background()
	worst, lines := 0.0, 0
	var cpu time.Duration
	for range b.N {
		b.StopTimer()
		f := newBenchFleet(b, srv)
		if daily {
			f.shift.Store(int64(-24 * time.Hour))
			f.syncAll(b, ctx)
			f.shift.Store(0)
		}
		f.http.CloseIdleConnections()
		srv.ClearRequests()
		f.stepMu.Lock()
		clear(f.trace) // the untimed part's
		f.stepMu.Unlock()
		stopProfile := profileTimed(b, daily)
		b.StartTimer()
		start, cpuStart := time.Now(), processCPU(b)
		runs := f.syncAll(b, ctx)
		took := time.Since(start)
		cpu += processCPU(b) - cpuStart
		b.StopTimer()
		stopProfile()
		worst = max(worst, float64(took)/float64(bound))
		f.check(b, runs, daily)
		checkPolite(b, srv)
		if os.Getenv("BANKFEED_BENCH_TIMELINE") != "" {
			printTimeline(b, srv, start, f.steps)
			for _, step := range []string{"get conn", "connect", "tls start", "tls done", "wrote"} {
				ts := f.trace[step]
				slices.SortFunc(ts, func(x, y time.Time) int { return x.Compare(y) })
				var at []string
				for _, q := range []int{0, 10, 50, 90, 99} {
					if i := q * len(ts) / 100; i < len(ts) {
						at = append(at, fmt.Sprintf("#%d %.1f", i, float64(ts[i].Sub(start))/1e6))
					}
				}
				b.Logf("%-10s n=%d: %s", step, len(ts), strings.Join(at, "  "))
			}
			clear(f.trace)
		}
		for _, r := range runs {
			lines += r.New
		}
		f.close()
	}
	b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(bound), "ratio")
	b.ReportMetric(worst, "worst_ratio")
	b.ReportMetric(float64(bound)/float64(time.Millisecond), "lower_bound_ms")
	b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(time.Millisecond), "ms_per_sync")
	b.ReportMetric(float64(lines)/float64(b.N), "new_lines")
	b.ReportMetric(float64(cpu)/float64(b.N)/float64(time.Millisecond), "cpu_ms_per_sync")
}

// processCPU is the CPU time the process has used, user and system: the
// work a sync costs, fakebank's included, which the other work on the
// machine changes less than it changes the wall time.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// profileTimed profiles the timed part alone, and returns what stops it:
// its CPU when BANKFEED_BENCH_CPUPROFILE names a file, its allocations when
// BANKFEED_BENCH_MEMPROFILE does (the case's name is added to the name; the
// last iteration's profile is kept). -cpuprofile and -memprofile would
// profile the untimed setup too. The allocation profile is two: .before
// and .after the timed part, read with
//
//	go tool pprof -sample_index=alloc_space -diff_base P.daily.before P.daily.after
func profileTimed(b *testing.B, daily bool) func() {
	name := "first"
	if daily {
		name = "daily"
	}
	create := func(path string) *os.File {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		return f
	}
	writeAllocs := func(path string) {
		runtime.GC() // the profile is as of the last collection
		f := create(path)
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			b.Fatal(err)
		}
	}
	mem := os.Getenv("BANKFEED_BENCH_MEMPROFILE")
	if mem != "" {
		writeAllocs(mem + "." + name + ".before")
	}
	var cpu *os.File
	if path := os.Getenv("BANKFEED_BENCH_CPUPROFILE"); path != "" {
		cpu = create(path + "." + name)
		if err := pprof.StartCPUProfile(cpu); err != nil {
			b.Fatal(err)
		}
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			cpu.Close()
		}
		if mem != "" {
			writeAllocs(mem + "." + name + ".after")
		}
	}
}

// benchFleet is a fresh store and syncer with every login connected.
type benchFleet struct {
	db    *store.DB
	s     *syncer.Syncer
	http  interface{ CloseIdleConnections() }
	shift atomic.Int64 // added to the syncer's clock
	conns []bankfeed.ConnectionID
	// steps, with BANKFEED_BENCH_TIMELINE set: when each account (by
	// number) began fetching and importing.
	stepMu sync.Mutex
	steps  map[string]map[string]time.Time
	trace  map[string][]time.Time // times of the HTTP client's steps
}

func newBenchFleet(b *testing.B, srv *fakebank.Server) *benchFleet {
	ctx := context.Background()
	dir := b.TempDir()
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	key, err := secret.LoadKey(secret.KeyOptions{DefaultPath: filepath.Join(dir, "secret.key")})
	if err != nil {
		b.Fatal(err)
	}
	hc := ofxdirect.NewHTTPClient(&tls.Config{RootCAs: srv.CertPool()})
	f := &benchFleet{db: db, http: hc}
	if os.Getenv("BANKFEED_BENCH_TIMELINE") != "" {
		hc.Transport = &tracingTransport{next: hc.Transport.(*http.Transport), f: f}
	}
	opts := syncer.Options{HTTP: ofxdirect.Client{HTTP: hc}, InstitutionLimit: benchLimit,
		Now: func() time.Time { return time.Now().Add(time.Duration(f.shift.Load())) }}
	if os.Getenv("BANKFEED_BENCH_TIMELINE") != "" {
		f.steps = map[string]map[string]time.Time{"waiting": {}, "fetching": {}, "importing": {}}
		f.trace = map[string][]time.Time{}
		opts.Progress = func(e syncer.Event) {
			if m := f.steps[e.Step]; m != nil && e.Account != nil {
				f.stepMu.Lock()
				m[e.Account.Number] = time.Now()
				f.stepMu.Unlock()
			}
		}
	}
	f.s = syncer.New(db, key, opts)

	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 100)
	for _, in := range srv.Scenario().Institutions {
		p := bankfeed.Profile{URL: srv.OFXURL(in.ID), Org: in.Org, FID: in.FID, BankID: in.BankID, Version: in.Version}
		for _, u := range in.Users {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				res, err := f.s.Connect(ctx, syncer.ConnectRequest{Name: in.ID + "-" + u.ID, Profile: p, UserID: u.ID,
					Password: secret.String(u.Password)})
				if err == nil && res.Err != nil {
					err = res.Err
				}
				if err != nil {
					b.Errorf("connect %s/%s: %v", in.ID, u.ID, err)
					return
				}
				mu.Lock()
				f.conns = append(f.conns, res.Connection.ID)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	return f
}

// syncAll syncs every connection at once, each in its own goroutine, and
// returns the runs recorded.
func (f *benchFleet) syncAll(b *testing.B, ctx context.Context) []*bankfeed.SyncRun {
	results := make([]*syncer.Result, len(f.conns))
	errs := make([]error, len(f.conns))
	var wg sync.WaitGroup
	for i, id := range f.conns {
		wg.Go(func() { results[i], errs[i] = f.s.Sync(ctx, id, true) })
	}
	wg.Wait()
	var runs []*bankfeed.SyncRun
	for i, res := range results {
		if errs[i] != nil {
			b.Fatalf("sync: %v", errs[i])
		}
		for _, ar := range res.Accounts {
			runs = append(runs, ar.Run)
		}
	}
	return runs
}

// check makes sure every account synced, over the window the case is about.
func (f *benchFleet) check(b *testing.B, runs []*bankfeed.SyncRun, daily bool) {
	want := syncer.DefaultFirstWindow
	if daily {
		want = 24*time.Hour + syncer.DefaultOverlap
	}
	if len(runs) != benchInstitutions*benchUsers*2 {
		b.Fatalf("%d runs, want %d", len(runs), benchInstitutions*benchUsers*2)
	}
	for _, r := range runs {
		if r == nil || r.Outcome != bankfeed.OutcomeOK {
			b.Fatalf("run %+v: want ok", r)
		}
		if w := r.WindowEnd.Sub(r.WindowStart); w < want || w > want+time.Minute {
			b.Fatalf("run %d: window of %v, want %v", r.ID, w, want)
		}
	}
}

// checkPolite makes sure, from fakebank's request log, that the sync asked
// each account once and never had more than benchLimit requests at once at
// an institution. A record's interval, from its arrival to its answer, is
// within the client's; its duration is rounded to the millisecond, so a
// millisecond is taken off its end.
func checkPolite(b *testing.B, srv *fakebank.Server) {
	type edge struct {
		at   time.Time
		step int
	}
	recs := srv.Requests(fakebank.Filter{Channel: fakebank.ChannelOFX})
	if want := benchInstitutions * benchUsers * 2; len(recs) != want {
		b.Fatalf("fakebank saw %d requests, want %d", len(recs), want)
	}
	edges := map[string][]edge{}
	for _, r := range recs {
		d, err := time.ParseDuration(r.Duration)
		if err != nil {
			b.Fatalf("request %d: duration %q: %v", r.Seq, r.Duration, err)
		}
		edges[r.Institution] = append(edges[r.Institution], edge{r.Time, 1},
			edge{r.Time.Add(max(d-time.Millisecond, 0)), -1})
	}
	for in, es := range edges {
		slices.SortFunc(es, func(x, y edge) int {
			if c := x.at.Compare(y.at); c != 0 {
				return c
			}
			return x.step - y.step // an end before a start at the same time
		})
		n := 0
		for _, e := range es {
			if n += e.step; n > benchLimit {
				b.Fatalf("%s: %d requests at once at %s, limit %d", in, n, e.at.Format(time.RFC3339Nano), benchLimit)
			}
		}
	}
}

// tracingTransport notes, for the timeline, when each request's TLS
// handshake began and ended and when it was written, by the request's
// order of arrival.
type tracingTransport struct {
	next *http.Transport
	f    *benchFleet
}

func (t *tracingTransport) CloseIdleConnections() { t.next.CloseIdleConnections() }

func (t *tracingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	note := func(step string) {
		t.f.stepMu.Lock()
		t.f.trace[step] = append(t.f.trace[step], time.Now())
		t.f.stepMu.Unlock()
	}
	ctx := httptrace.WithClientTrace(r.Context(), &httptrace.ClientTrace{
		GetConn:           func(string) { note("get conn") },
		ConnectStart:      func(string, string) { note("connect") },
		TLSHandshakeStart: func() { note("tls start") },
		TLSHandshakeDone:  func(tls.ConnectionState, error) { note("tls done") },
		WroteRequest:      func(httptrace.WroteRequestInfo) { note("wrote") },
	})
	return t.next.RoundTrip(r.WithContext(ctx))
}

func (f *benchFleet) close() {
	f.http.CloseIdleConnections()
	_ = f.db.Close()
}

// benchScenario makes the fleet: history from 200 days ago, so a first
// window is full; SGML and XML banks alternately.
func benchScenario(b testing.TB) *fakebank.Scenario {
	sc := &fakebank.Scenario{Seed: 1000, Start: fakebank.DayOf(time.Now().AddDate(0, 0, -200), time.UTC),
		Zone: "America/New_York"}
	for i := range benchInstitutions {
		in := &fakebank.Institution{ID: fmt.Sprintf("bank%02d", i), Org: fmt.Sprintf("B%02d", i),
			FID: fmt.Sprint(5000 + i), BankID: fmt.Sprintf("0%08d", 21000021+i), Version: "102"}
		if i%2 == 1 {
			in.Version = "211"
		}
		for j := range benchUsers {
			in.Users = append(in.Users, &fakebank.User{ID: fmt.Sprintf("user%02d", j),
				Password: fmt.Sprintf("password-%02d-%02d", i, j),
				Accounts: []*fakebank.Account{
					{ID: fmt.Sprintf("1%02d%02d0001", i, j), Type: fakebank.Checking},
					{ID: fmt.Sprintf("4%02d%02d0002", i, j), Type: fakebank.CreditCard},
				}})
		}
		sc.Institutions = append(sc.Institutions, in)
	}
	if err := sc.Validate(); err != nil {
		b.Fatal(err)
	}
	return sc
}

// printTimeline prints, from fakebank's request log, when each bank's
// first request came, how long after a slot's answer the next request
// came (with the limit of 2, request i takes the slot of the answer i-2
// in order of their ends), how long the bank took, and when each bank was
// done; percentiles over the banks or requests, in ms from start.
func printTimeline(b *testing.B, srv *fakebank.Server, start time.Time, steps map[string]map[string]time.Time) {
	byInst := map[string][]fakebank.Record{}
	for _, r := range srv.Requests(fakebank.Filter{Channel: fakebank.ChannelOFX}) {
		byInst[r.Institution] = append(byInst[r.Institution], r)
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	var firsts, gaps, took, done, firstRound, send, read, firstFetch, firstWait []float64
	acct := func(r fakebank.Record) string {
		for _, a := range r.Asked {
			if _, n, ok := strings.Cut(a, "stmt:"); ok {
				return n
			}
		}
		return ""
	}
	for _, recs := range byInst {
		slices.SortFunc(recs, func(x, y fakebank.Record) int { return x.Time.Compare(y.Time) })
		var ends, fetches, waits []time.Time
		for _, r := range recs {
			if t, ok := steps["waiting"][acct(r)]; ok {
				waits = append(waits, t)
			}
			d, _ := time.ParseDuration(r.Duration)
			ends = append(ends, r.Time.Add(d))
			took = append(took, ms(d))
			a := acct(r)
			if t, ok := steps["fetching"][a]; ok {
				send = append(send, ms(r.Time.Sub(t)))
				fetches = append(fetches, t)
			}
			if t, ok := steps["importing"][a]; ok {
				read = append(read, ms(t.Sub(r.Time.Add(d))))
			}
		}
		slices.SortFunc(fetches, func(x, y time.Time) int { return x.Compare(y) })
		if len(fetches) > 0 {
			firstFetch = append(firstFetch, ms(fetches[0].Sub(start)))
		}
		if len(waits) > 0 {
			slices.SortFunc(waits, func(x, y time.Time) int { return x.Compare(y) })
			firstWait = append(firstWait, ms(waits[0].Sub(start)))
		}
		firsts = append(firsts, ms(recs[0].Time.Sub(start)))
		slices.SortFunc(ends, func(x, y time.Time) int { return x.Compare(y) })
		for i := benchLimit; i < len(recs); i++ {
			gaps = append(gaps, ms(recs[i].Time.Sub(ends[i-benchLimit])))
		}
		firstRound = append(firstRound, ms(ends[0].Sub(start)))
		done = append(done, ms(ends[len(ends)-1].Sub(start)))
	}
	pct := func(name string, xs []float64) {
		slices.Sort(xs)
		at := func(p float64) float64 { return xs[min(len(xs)-1, int(p*float64(len(xs))))] }
		b.Logf("%-12s p10 %6.1f  p50 %6.1f  p90 %6.1f  max %6.1f  mean %6.1f", name, at(0.1), at(0.5), at(0.9), xs[len(xs)-1],
			func() float64 {
				t := 0.0
				for _, x := range xs {
					t += x
				}
				return t / float64(len(xs))
			}())
	}
	pct("first sent", firsts)
	pct("first answer", firstRound)
	pct("gap", gaps)
	pct("bank took", took)
	pct("bank done", done)
	if len(send) > 0 {
		pct("first begun", firstWait)
		pct("first fetch", firstFetch)
		pct("fetch→bank", send)
		pct("bank→import", read)
	}
}
