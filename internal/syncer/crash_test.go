package syncer_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

// crashKills is how many times TestCrashDuringSync kills a syncing process.
const crashKills = 50

// crashPassword is every crash scenario user's password.
const crashPassword = "crash-test-password-1"

// crashScenario: three banks, six logins, thirteen accounts. History runs
// from 2006; the syncing process's clock starts in 2008 with a two-year
// first window (hundreds of lines per account: imports that take a while)
// and moves four weeks a round.
var crashScenario = fmt.Sprintf(`{
  "seed": 41,
  "start": "2006-01-01",
  "zone": "America/New_York",
  "institutions": [
    {"id": "north", "name": "North Bank", "org": "NB", "fid": "4001", "bank_id": "021000021", "version": "102",
     "users": [
       {"id": "ann", "password": %[1]q, "accounts": [
         {"id": "1101", "type": "checking"}, {"id": "1102", "type": "savings"}, {"id": "1103", "type": "creditcard"}]},
       {"id": "ben", "password": %[1]q, "accounts": [
         {"id": "1201", "type": "checking"}, {"id": "1202", "type": "savings"}, {"id": "1203", "type": "creditcard"}]}]},
    {"id": "south", "name": "South Bank", "org": "SB", "fid": "4002", "bank_id": "011000015", "version": "211",
     "users": [
       {"id": "cat", "password": %[1]q, "accounts": [{"id": "2101", "type": "checking"}, {"id": "2102", "type": "creditcard"}]},
       {"id": "dan", "password": %[1]q, "accounts": [{"id": "2201", "type": "checking"}, {"id": "2202", "type": "creditcard"}]}]},
    {"id": "card", "name": "Card Co", "org": "CC", "fid": "4003", "version": "103",
     "users": [
       {"id": "eve", "password": %[1]q, "accounts": [{"id": "3101", "type": "creditcard"}]},
       {"id": "fay", "password": %[1]q, "accounts": [{"id": "3201", "type": "creditcard"}, {"id": "3202", "type": "creditcard"}]}]}
  ]
}`, crashPassword)

// crashLatency spreads the runs' timing: each bank answers at its own pace.
var crashLatency = map[string]string{"north": "15ms", "south": "40ms", "card": "70ms"}

// crashBankNow is the bank's clock: later than any round, so a statement
// always ends where its window does (history stops 20 years after 2006).
var crashBankNow = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// crashStart, crashStep, crashFirstWindow and crashOverlap drive the
// syncing process's clock and windows. The overlap is long so that every
// statement is a few hundred lines, most of them already in the feed.
const (
	crashStart       = "2008-01-01T12:00:00Z"
	crashStep        = 28 * 24 * time.Hour
	crashFirstWindow = 2 * 365 * 24 * time.Hour
	crashOverlap     = 60 * 24 * time.Hour
)

// TestCrashDuringSync SIGKILLs a process that syncs every connection of a
// fakebank round after round, crashKills times, at random points: while it
// starts and connects, while it waits for a slot, fetches, imports a
// statement, commits, and between runs. The fakebank runs here, so it lives
// through the kills. After every kill the store must pass PRAGMA
// integrity_check and hold no partial run and no duplicate line: every run
// has its outcome, an ok run has all its lines, every line belongs to an ok
// run, each cursor stands at its latest ok run's end, and each account's
// lines are exactly the bank's transactions over its ok runs' windows. Then
// one start that is not killed must resume: it takes over the dead
// processes' leases at once (not at their expiry) and syncs every account.
func TestCrashDuringSync(t *testing.T) {
	work := t.TempDir()
	bin := buildSyncCrashcheck(t, work)

	sc, err := fakebank.ParseScenario(strings.NewReader(crashScenario))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := fakebank.Start(sc, fakebank.Options{Now: func() time.Time { return crashBankNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	logins, accounts := 0, 0
	for _, in := range sc.Institutions {
		if _, err := srv.AddFault(fakebank.FaultSpec{Kind: fakebank.FaultLatency, Institution: in.ID,
			Params: map[string]string{"delay": crashLatency[in.ID]}}); err != nil {
			t.Fatal(err)
		}
		for _, u := range in.Users {
			logins++
			accounts += len(u.Accounts)
		}
	}

	scenarioFile := crashWriteFile(t, work, "scenario.json", crashScenario)
	keyFile := filepath.Join(work, "secret.key")
	if _, err := secret.LoadKey(secret.KeyOptions{DefaultPath: keyFile}); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(work, "data")
	syncArgs := []string{"sync", "-data", dataDir, "-key", keyFile, "-fakebank", srv.AdminURL(),
		"-ca", crashWriteFile(t, work, "ca.pem", string(srv.CACertPEM())),
		"-password-file", crashWriteFile(t, work, "password", crashPassword),
		"-start", crashStart, "-step", crashStep.String(), "-first-window", crashFirstWindow.String(),
		"-overlap", crashOverlap.String()}
	check := func() *crashReport { return crashCheck(t, bin, dataDir, scenarioFile) }

	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("BANKFEED_CRASH_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("kill points drawn with seed %d (rerun with BANKFEED_CRASH_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	tally := crashTally{plans: map[string]int{}}
	prev := &crashReport{}
	start := time.Now()
	for i := range crashKills {
		plan := drawCrashPlan(rng, accounts)
		if i == crashKills-1 {
			// The last kill lands while runs hold their leases, for the
			// final start to take over.
			plan = crashPlan{marker: "fetching", nth: 1 + rng.IntN(accounts), after: 5 * time.Millisecond}
		}
		out := runCrashcheck(t, bin, syncArgs, &plan)
		rep := check()
		if len(rep.Problems) > 0 {
			t.Fatalf("kill %d (%s): the store is inconsistent (%d problems more):\n%s\nmarkers:\n%s", i, plan,
				rep.MoreProblems, strings.Join(rep.Problems, "\n"), strings.Join(out.markers, "\n"))
		}
		checkMarkers(t, fmt.Sprintf("kill %d (%s)", i, plan), out, rep)
		committed := rep.Runs - prev.Runs
		midRun := out.count("fetching") - committed
		if midRun < 0 {
			t.Fatalf("kill %d (%s): %d runs committed and only %d fetched", i, plan, committed, out.count("fetching"))
		}
		for _, l := range rep.Leases {
			if l.Alive {
				t.Fatalf("kill %d: lease %s held by %s, which still runs", i, l.Name, l.Holder)
			}
		}
		if d, ok := out.first("fetching"); ok && len(prev.Leases) > 0 {
			// The start after a kill that left leases: it fetches only once
			// it has taken them over.
			tally.takeovers++
			tally.takeoverMax = max(tally.takeoverMax, d)
		}
		if len(rep.Leases) > 0 {
			tally.leftLeases++
		}
		if rep.LatestStart.After(crashBankNow) {
			t.Fatalf("kill %d: the syncing clock (%s) outran the bank's; shorten crashStep", i, rep.LatestStart)
		}
		if n := out.inFlight(); n > 0 {
			tally.inImport++
		}
		tally.importTimes = append(tally.importTimes, out.importTimes()...)
		tally.midRun += midRun
		tally.partial += rep.Partial
		tally.duplicates += rep.Duplicates
		tally.plans[plan.kind()]++
		t.Logf("kill %2d after %-26s %3d runs committed, %d killed mid-run, %d leases left; %d runs, %d lines in all",
			i, plan.String()+":", committed, midRun, len(rep.Leases), rep.Runs, rep.Lines)
		prev = rep
	}
	killed := time.Since(start)

	// The next start resumes: one round, not killed.
	held := prev.Leases
	if len(held) == 0 {
		t.Fatal("the last kill left no lease for the next start to take over")
	}
	oldest := held[0].ExpiresAt
	for _, l := range held {
		oldest = minOf(oldest, l.ExpiresAt)
	}
	began := time.Now()
	out := runCrashcheck(t, bin, append(syncArgs, "-rounds", "1"), nil)
	took := time.Since(began)
	if !began.Add(took).Before(oldest) {
		t.Fatalf("the next start took %v: the dead processes' leases expired (at %s) before it was done", took, oldest)
	}
	rep := check()
	if len(rep.Problems) > 0 {
		t.Fatalf("after the next start: the store is inconsistent:\n%s", strings.Join(rep.Problems, "\n"))
	}
	checkMarkers(t, "the next start", out, rep)
	if rep.Connections != logins || len(rep.Accounts) != accounts {
		t.Fatalf("after the next start: %d connections and %d accounts, want every login and all %d accounts",
			rep.Connections, len(rep.Accounts), accounts)
	}
	for _, a := range rep.Accounts {
		if a.LastOutcome != "ok" || !a.LastWindowEnd.Equal(rep.LatestStart) {
			t.Errorf("account %s (%s): its latest run is %q to %s, want ok to %s", a.Number, a.Login, a.LastOutcome,
				a.LastWindowEnd.Format(time.RFC3339), rep.LatestStart.Format(time.RFC3339))
		}
	}
	if len(rep.Leases) > 0 {
		t.Errorf("after the next start, leases are still held: %+v", rep.Leases)
	}
	if out.count("done") != accounts {
		t.Errorf("the next start finished %d runs, want %d", out.count("done"), accounts)
	}

	slices.Sort(tally.importTimes)
	if n := len(tally.importTimes); n > 0 {
		t.Logf("kill points: %v; %d kills landed while a statement was being imported or committed (import and commit took %v median, %v at most)",
			tally.plans, tally.inImport, tally.importTimes[n/2].Round(10*time.Microsecond), tally.importTimes[n-1].Round(10*time.Microsecond))
	}
	t.Logf("%d kills left leases behind (they last %v); the %d starts after them did not wait for them (first fetch within %v)",
		tally.leftLeases, syncer.DefaultLeaseTTL, tally.takeovers, tally.takeoverMax.Round(time.Millisecond))
	t.Logf("the next start took over %d leases of dead processes (expiring at %s) and synced all %d accounts in %v: %d runs, %d lines, no gap, no duplicate",
		len(held), oldest.Format(time.TimeOnly), accounts, took.Round(time.Millisecond), rep.Runs, rep.Lines)
	t.Logf("after %d kills: %d runs committed, %d killed mid-run, %d partial, %d duplicates (%v)",
		crashKills, prev.Runs, tally.midRun, tally.partial, tally.duplicates, killed.Round(time.Millisecond))
}

type crashTally struct {
	midRun, partial, duplicates, leftLeases, inImport, takeovers int
	plans                                                        map[string]int
	importTimes                                                  []time.Duration
	takeoverMax                                                  time.Duration
}

// crashPlan is when to kill: at a time after the start, or a while after
// the nth marker of a kind (round, waiting, fetching, importing, done).
type crashPlan struct {
	marker string
	nth    int
	after  time.Duration
}

func (p crashPlan) kind() string {
	if p.marker == "" {
		return "time"
	}
	return p.marker
}

func (p crashPlan) String() string {
	if p.marker == "" {
		return fmt.Sprintf("%v from the start", p.after.Round(time.Millisecond))
	}
	return fmt.Sprintf("%v after %s #%d", p.after.Round(10*time.Microsecond), p.marker, p.nth)
}

// drawCrashPlan spreads the kills: a fifth at any time (starting up,
// connecting, syncing), the rest a little after a step, two rounds' worth of
// steps deep. The delays fit the step: a fetch lasts the bank's latency, an
// import and its commit a few milliseconds.
func drawCrashPlan(rng *rand.Rand, accounts int) crashPlan {
	nth := 1 + rng.IntN(2*accounts)
	switch rng.IntN(10) {
	case 0, 1:
		return crashPlan{after: time.Duration(rng.Int64N(int64(800 * time.Millisecond)))}
	case 2:
		return crashPlan{marker: "round", nth: 1 + rng.IntN(3), after: time.Duration(rng.Int64N(int64(3 * time.Millisecond)))}
	case 3:
		return crashPlan{marker: "waiting", nth: nth, after: time.Duration(rng.Int64N(int64(2 * time.Millisecond)))}
	case 4, 5:
		return crashPlan{marker: "fetching", nth: nth, after: time.Duration(rng.Int64N(int64(70 * time.Millisecond)))}
	case 6, 7:
		return crashPlan{marker: "importing", nth: nth, after: time.Duration(rng.Int64N(int64(6 * time.Millisecond)))}
	default:
		return crashPlan{marker: "done", nth: nth, after: time.Duration(rng.Int64N(int64(time.Millisecond)))}
	}
}

// crashOutput is what a crashcheck sync printed before it ended, and when
// each line arrived.
type crashOutput struct {
	start   time.Time
	markers []string
	at      []time.Time
}

// first returns how long after the start the first marker of a step came,
// and whether one did.
func (o crashOutput) first(step string) (time.Duration, bool) {
	for i, m := range o.markers {
		if strings.HasPrefix(m, step+" ") {
			return o.at[i].Sub(o.start), true
		}
	}
	return 0, false
}

// inFlight counts the runs that were importing or committing when the
// process died: an importing marker and no done or failed after it.
func (o crashOutput) inFlight() int {
	return o.count("importing") - o.count("done") - o.count("failed")
}

// importTimes returns how long each finished run took from its importing
// marker to its done marker: reading, deduping and committing the statement.
func (o crashOutput) importTimes() []time.Duration {
	began := map[string]time.Time{}
	var out []time.Duration
	for i, m := range o.markers {
		f := strings.Fields(m)
		if len(f) < 3 {
			continue
		}
		who := f[1] + " " + f[2]
		switch f[0] {
		case "importing":
			began[who] = o.at[i]
		case "done":
			if t, ok := began[who]; ok {
				out = append(out, o.at[i].Sub(t))
				delete(began, who)
			}
		}
	}
	return out
}

func (o crashOutput) count(step string) int {
	n := 0
	for _, m := range o.markers {
		if strings.HasPrefix(m, step+" ") {
			n++
		}
	}
	return n
}

// runCrashcheck runs crashcheck sync and kills it with SIGKILL as plan
// says; with no plan it must end by itself, and well.
func runCrashcheck(t *testing.T, bin string, args []string, plan *crashPlan) crashOutput {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := crashOutput{start: time.Now()}
	lines := make(chan string, 256)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	seen, ended := 0, false
	kill := func() {
		err := cmd.Process.Signal(syscall.SIGKILL)
		switch {
		case errors.Is(err, os.ErrProcessDone):
			ended = true
		case err != nil:
			t.Fatalf("kill: %v", err)
		}
	}
	var timer <-chan time.Time
	if plan != nil && plan.marker == "" {
		timer = time.After(plan.after)
	}
	guard := time.After(30 * time.Second)
loop:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				ended = true
				break loop
			}
			out.markers, out.at = append(out.markers, l), append(out.at, time.Now())
			if plan != nil && plan.marker != "" && strings.HasPrefix(l, plan.marker+" ") {
				if seen++; seen == plan.nth {
					time.Sleep(plan.after)
					kill()
					break loop
				}
			}
		case <-timer:
			kill()
			break loop
		case <-guard:
			kill()
			t.Fatalf("crashcheck sync (%s) made no progress in 30s; it printed:\n%s\nstderr:\n%s", plan,
				strings.Join(out.markers, "\n"), stderr.String())
		}
	}
	for l := range lines {
		out.markers, out.at = append(out.markers, l), append(out.at, time.Now())
	}
	err = cmd.Wait()
	switch {
	case plan != nil && ended:
		t.Fatalf("crashcheck sync (%s) ended before its kill: %v\n%s", plan, err, stderr.String())
	case plan == nil && err != nil:
		t.Fatalf("crashcheck sync: %v\n%s", err, stderr.String())
	}
	return out
}

// checkMarkers checks what a process printed against the store it left:
// every run it said was done is there, ok, and no run failed or was
// skipped (the bank is slow, never failing, and one process syncs at a
// time).
func checkMarkers(t *testing.T, what string, out crashOutput, rep *crashReport) {
	t.Helper()
	runs := map[int64]crashRun{}
	for _, r := range rep.RunList {
		runs[r.ID] = r
	}
	for _, m := range out.markers {
		f := strings.Fields(m)
		switch f[0] {
		case "failed", "skipped":
			t.Errorf("%s: %s", what, m)
		case "done":
			var id int64
			if _, err := fmt.Sscanf(f[3], "run=%d", &id); err != nil {
				t.Fatalf("%s: marker %q: %v", what, m, err)
			}
			if r, ok := runs[id]; !ok || r.Outcome != "ok" || r.Account != f[2] {
				t.Errorf("%s: %q, and the store holds run %d as %+v", what, m, id, r)
			}
		}
	}
}

// crashReport is what crashcheck check prints (crashcheck.Report).
type crashReport struct {
	Runs        int       `json:"runs"`
	Lines       int       `json:"lines"`
	Connections int       `json:"connections"`
	LatestStart time.Time `json:"latest_start"`
	Accounts    []struct {
		Login         string    `json:"login"`
		Number        string    `json:"number"`
		LastOutcome   string    `json:"last_outcome"`
		LastWindowEnd time.Time `json:"last_window_end"`
	} `json:"accounts"`
	RunList []crashRun `json:"run_list"`
	Leases  []struct {
		Name      string    `json:"name"`
		Holder    string    `json:"holder"`
		ExpiresAt time.Time `json:"expires_at"`
		Alive     bool      `json:"alive"`
	} `json:"leases"`
	Partial      int      `json:"partial"`
	Duplicates   int      `json:"duplicates"`
	Problems     []string `json:"problems"`
	MoreProblems int      `json:"more_problems"`
}

type crashRun struct {
	ID      int64  `json:"id"`
	Account string `json:"account"`
	Outcome string `json:"outcome"`
}

// crashCheck opens the store in crashcheck check, as the next start would.
func crashCheck(t *testing.T, bin, dataDir, scenarioFile string) *crashReport {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "check", "-data", dataDir, "-scenario", scenarioFile)
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("crashcheck check: %v\n%s", err, stderr.String())
	}
	var rep crashReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("crashcheck check: %v: %.200q", err, b)
	}
	return &rep
}

// buildSyncCrashcheck builds crashcheck into dir, without the race detector
// whatever this test runs with.
func buildSyncCrashcheck(t *testing.T, dir string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	bin := filepath.Join(dir, "crashcheck")
	start := time.Now()
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/bankfeed/bankfeed/internal/syncer/crashcheck")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built crashcheck in %v", time.Since(start).Round(time.Millisecond))
	return bin
}

func crashWriteFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func minOf(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
