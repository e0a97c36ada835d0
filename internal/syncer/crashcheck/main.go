// Command crashcheck is both sides of the syncer's crash test
// (TestCrashDuringSync): the process that is killed, and the checker that
// reads the store it left behind.
//
//	crashcheck sync -data DIR -key FILE -fakebank URL -ca FILE -password-file FILE -start TIME [-step D] [-first-window D] [-overlap D] [-rounds N]
//	crashcheck check -data DIR -scenario FILE
//
// sync connects every login that the fakebank at URL serves (its admin API
// lists them) and that the store has no connection for yet, then syncs every
// connection at once, round after round, until it is killed (or for -rounds
// rounds). Its clock is simulated: the first round is at -start, or one
// -step after the latest run in the store, and each round comes -step later,
// so each round asks for new days. It prints a line on stdout at every step,
// for the test to kill it at:
//
//	open
//	connected LOGIN
//	round N TIME
//	waiting|fetching|importing LOGIN ACCOUNT
//	done LOGIN ACCOUNT run=ID new=N duplicate=N
//	failed LOGIN ACCOUNT CLASS
//	skipped LOGIN ACCOUNT WHY
//	round N end
//
// check opens the store as the next start would (which recovers the WAL a
// kill left), runs PRAGMA integrity_check, and prints as JSON what the test
// asserts: every run has its outcome, no ok run lacks a line, no line lacks
// its ok run, each cursor stands at its latest ok run's end, no FITID is
// held twice, and each account's lines are exactly the scenario's
// transactions over the windows its ok runs asked for.
//
// The test builds it without the race detector, which would make reading
// the store through SQLite take seconds.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: crashcheck sync|check FLAGS")
		os.Exit(2)
	}
	ctx := context.Background()
	var err error
	switch os.Args[1] {
	case "sync":
		err = syncMain(ctx, os.Args[2:])
	case "check":
		err = checkMain(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q: want sync or check", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashcheck:", err)
		os.Exit(1)
	}
}

// clock is the simulated clock of the syncer; the store keeps the real one,
// so leases expire in real time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// markers prints one line per step, whole, from any goroutine.
type markers struct {
	mu sync.Mutex
	w  io.Writer
}

func (m *markers) print(format string, args ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(m.w, format+"\n", args...)
}

func (m *markers) event(e syncer.Event) {
	if e.Account == nil {
		return
	}
	who := e.Connection.Name + " " + e.Account.Number
	switch e.Step {
	case "done":
		m.print("done %s run=%d new=%d duplicate=%d", who, e.Run.ID, e.Run.New, e.Run.Duplicate)
	case "failed":
		m.print("failed %s %s", who, e.Run.FailureClass)
	case "skipped":
		m.print("skipped %s %s", who, e.Why)
	default:
		m.print("%s %s", e.Step, who)
	}
}

func syncMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	dataDir := fs.String("data", "", "the store's data directory")
	keyFile := fs.String("key", "", "the key file that seals passwords")
	bankURL := fs.String("fakebank", "", "the fakebank's admin URL")
	caFile := fs.String("ca", "", "the fakebank's CA, PEM")
	pwFile := fs.String("password-file", "", "the password of every fakebank user")
	startAt := fs.String("start", "", "the first round's time (RFC 3339) when the store holds no run")
	step := fs.Duration("step", 28*24*time.Hour, "how far the clock moves on each round")
	firstWindow := fs.Duration("first-window", syncer.DefaultFirstWindow, "how far back an account's first sync asks")
	overlap := fs.Duration("overlap", syncer.DefaultOverlap, "how far before the last statement's end a window starts")
	rounds := fs.Int("rounds", 0, "rounds to run; 0 runs until killed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dataDir == "" || *keyFile == "" || *bankURL == "" || *caFile == "" || *pwFile == "" || *startAt == "" {
		return errors.New("sync: -data, -key, -fakebank, -ca, -password-file and -start are required")
	}
	first, err := time.Parse(time.RFC3339, *startAt)
	if err != nil {
		return fmt.Errorf("sync: -start: %w", err)
	}
	pw, err := os.ReadFile(*pwFile)
	if err != nil {
		return err
	}
	key, err := secret.LoadKey(secret.KeyOptions{DefaultPath: *keyFile})
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, *dataDir, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	m := &markers{w: os.Stdout}
	m.print("open")

	clk := &clock{t: first.Add(-*step)}
	latest, err := db.FindSyncRuns(ctx, store.SyncRunFilter{Limit: 1})
	if err != nil {
		return err
	}
	if len(latest) == 1 {
		clk.Set(latest[0].StartedAt)
	}
	s := syncer.New(db, key, syncer.Options{
		FirstWindow: *firstWindow,
		Overlap:     *overlap,
		Now:         clk.Now,
		Rand:        func() float64 { return 0.5 },
		Logger:      slog.New(slog.NewTextHandler(os.Stderr, nil)),
		Progress:    m.event,
	})
	if err := connectAll(ctx, s, db, m, *bankURL, *caFile, strings.TrimSpace(string(pw))); err != nil {
		return err
	}
	for n := 1; *rounds == 0 || n <= *rounds; n++ {
		clk.Set(clk.Now().Add(*step))
		m.print("round %d %s", n, clk.Now().Format(time.RFC3339))
		cs, err := db.Connections(ctx, store.ConnectionFilter{})
		if err != nil {
			return err
		}
		errs := make([]error, len(cs))
		var wg sync.WaitGroup
		for i, c := range cs {
			wg.Go(func() { _, errs[i] = s.Sync(ctx, c.ID, true) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		m.print("round %d end", n)
	}
	return db.Close()
}

// connectAll connects, one after the other, each login of the fakebank that
// has no connection yet: a start killed while connecting left some.
func connectAll(ctx context.Context, s *syncer.Syncer, db *store.DB, m *markers, bankURL, caFile, pw string) error {
	resp, err := http.Get(strings.TrimSuffix(bankURL, "/") + "/admin/institutions")
	if err != nil {
		return fmt.Errorf("list the fakebank's institutions: %w", err)
	}
	defer resp.Body.Close()
	var insts []fakebank.InstitutionInfo
	if err := json.NewDecoder(resp.Body).Decode(&insts); err != nil {
		return fmt.Errorf("list the fakebank's institutions: %w", err)
	}
	cs, err := db.Connections(ctx, store.ConnectionFilter{})
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, c := range cs {
		have[c.Name] = true
	}
	for _, in := range insts {
		p := bankfeed.Profile{URL: in.OFXURL, Org: in.Org, FID: in.FID, BankID: in.BankID, Version: in.Version,
			ClientUIDRequired: in.ClientUIDRequired, CAFile: caFile, PortalURL: in.PortalURL}
		for _, u := range in.Users {
			name := loginName(in.ID, u.ID)
			if have[name] {
				continue
			}
			res, err := s.Connect(ctx, syncer.ConnectRequest{Name: name, Profile: p, UserID: u.ID, Password: secret.String(pw)})
			if err != nil {
				return fmt.Errorf("connect %s: %w", name, err)
			}
			if res.Err != nil {
				return fmt.Errorf("connect %s: %s: %w", name, res.Class, res.Err)
			}
			m.print("connected %s", name)
		}
	}
	return nil
}

func loginName(inst, user string) string { return inst + "-" + user }

// Report is what check prints.
type Report struct {
	Runs        int             `json:"runs"`
	OK          int             `json:"ok"`
	Failed      int             `json:"failed"`
	Lines       int             `json:"lines"`
	Connections int             `json:"connections"`
	LatestStart time.Time       `json:"latest_start,omitzero"`
	Accounts    []AccountReport `json:"accounts"`
	RunList     []RunReport     `json:"run_list"`
	Leases      []LeaseReport   `json:"leases"`
	// Partial counts ok runs whose lines are not all in the store.
	Partial int `json:"partial"`
	// Duplicates counts lines whose account and FITID another line has.
	Duplicates int `json:"duplicates"`
	// Problems says what is wrong, the first maxProblems of it.
	Problems     []string `json:"problems"`
	MoreProblems int      `json:"more_problems,omitempty"`
}

// AccountReport is one synced account.
type AccountReport struct {
	ID     bankfeed.AccountID `json:"id"`
	Login  string             `json:"login"`
	Number string             `json:"number"`
	OKRuns int                `json:"ok_runs"`
	Lines  int                `json:"lines"`
	// LastOutcome and LastWindowEnd are those of the account's latest run;
	// "" and zero when it has none.
	LastOutcome   string    `json:"last_outcome,omitempty"`
	LastWindowEnd time.Time `json:"last_window_end,omitzero"`
}

// RunReport is one sync run.
type RunReport struct {
	ID      bankfeed.SyncRunID `json:"id"`
	Account string             `json:"account"`
	Outcome string             `json:"outcome"`
	New     int                `json:"new"`
}

// LeaseReport is one lease held.
type LeaseReport struct {
	Name      string    `json:"name"`
	Holder    string    `json:"holder"`
	ExpiresAt time.Time `json:"expires_at"`
	// Alive is true when the holder is a process of this host that still
	// runs.
	Alive bool `json:"alive"`
}

const maxProblems = 50

func (r *Report) problem(format string, args ...any) {
	if len(r.Problems) >= maxProblems {
		r.MoreProblems++
		return
	}
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

func checkMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	dataDir := fs.String("data", "", "the store's data directory")
	scenario := fs.String("scenario", "", "the fakebank's scenario file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dataDir == "" || *scenario == "" {
		return errors.New("check: -data and -scenario are required")
	}
	sc, err := fakebank.LoadScenario(*scenario)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(*dataDir, store.FileName)); err != nil {
		// Killed before the store was made: nothing to check.
		return json.NewEncoder(os.Stdout).Encode(&Report{Accounts: []AccountReport{}, RunList: []RunReport{},
			Leases: []LeaseReport{}, Problems: []string{}})
	}
	db, err := store.Open(ctx, *dataDir, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := check(ctx, db, sc)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		return err
	}
	return db.Close()
}

// bankAccount is where an account's lines come from in the scenario.
type bankAccount struct {
	in    *fakebank.Institution
	acct  *fakebank.Account
	login string
}

func check(ctx context.Context, db *store.DB, sc *fakebank.Scenario) (*Report, error) {
	rep := &Report{Accounts: []AccountReport{}, RunList: []RunReport{}, Leases: []LeaseReport{}, Problems: []string{}}
	if err := db.IntegrityCheck(ctx); err != nil {
		rep.problem("%v", err)
		return rep, nil
	}

	// Which scenario account each store account is, by its connection.
	cs, err := db.Connections(ctx, store.ConnectionFilter{})
	if err != nil {
		return nil, err
	}
	rep.Connections = len(cs)
	bank := map[bankfeed.AccountID]bankAccount{}
	var ids []bankfeed.AccountID
	for _, c := range cs {
		var in *fakebank.Institution
		for _, i := range sc.Institutions {
			if i.Org == c.Profile.Org && i.FID == c.Profile.FID {
				in = i
			}
		}
		if in == nil {
			rep.problem("connection %s: no institution %s/%s in the scenario", c.Name, c.Profile.Org, c.Profile.FID)
			continue
		}
		for _, ca := range c.Accounts {
			u, a := in.Account(ca.Number)
			if a == nil || u.ID != c.UserID {
				rep.problem("connection %s: account %s is not %s's at %s", c.Name, ca.Number, c.UserID, in.ID)
				continue
			}
			bank[ca.AccountID] = bankAccount{in: in, acct: a, login: c.Name}
			ids = append(ids, ca.AccountID)
		}
	}
	slices.Sort(ids)

	// Runs: each has its outcome; the ok ones by account, oldest first.
	runs, err := db.FindSyncRuns(ctx, store.SyncRunFilter{})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(runs, func(a, b *bankfeed.SyncRun) int { return int(a.ID - b.ID) })
	rep.Runs = len(runs)
	byID := map[bankfeed.SyncRunID]*bankfeed.SyncRun{}
	okRuns := map[bankfeed.AccountID][]*bankfeed.SyncRun{}
	lastRun := map[bankfeed.AccountID]*bankfeed.SyncRun{}
	for _, r := range runs {
		byID[r.ID] = r
		lastRun[r.AccountID] = r
		number := "?"
		if b, ok := bank[r.AccountID]; ok {
			number = b.acct.ID
		}
		rep.RunList = append(rep.RunList, RunReport{ID: r.ID, Account: number, Outcome: r.Outcome, New: r.New})
		if r.StartedAt.After(rep.LatestStart) {
			rep.LatestStart = r.StartedAt
		}
		switch {
		case r.FinishedAt == nil:
			rep.problem("run %d (%s) has no end", r.ID, r.Outcome)
		case r.Outcome == bankfeed.OutcomeOK:
			rep.OK++
			okRuns[r.AccountID] = append(okRuns[r.AccountID], r)
		case r.Outcome == bankfeed.OutcomeFailed:
			rep.Failed++
		default:
			rep.problem("run %d has outcome %q", r.ID, r.Outcome)
		}
	}

	// Lines: each in an ok run, none twice.
	perRun := map[bankfeed.SyncRunID]int{}
	lines := map[bankfeed.AccountID]map[string]*bankfeed.Line{}
	err = db.EachLine(ctx, bankfeed.LineFilter{}, func(l *bankfeed.Line) error {
		rep.Lines++
		switch {
		case l.SyncRunID == nil:
			rep.problem("line %d (account %d, FITID %s) has no sync run", l.ID, l.AccountID, l.FITID)
		case byID[*l.SyncRunID] == nil:
			rep.problem("line %d: its sync run %d is not in the store", l.ID, *l.SyncRunID)
		case byID[*l.SyncRunID].Outcome != bankfeed.OutcomeOK:
			rep.problem("line %d: its sync run %d is %s", l.ID, *l.SyncRunID, byID[*l.SyncRunID].Outcome)
		default:
			perRun[*l.SyncRunID]++
		}
		m := lines[l.AccountID]
		if m == nil {
			m = map[string]*bankfeed.Line{}
			lines[l.AccountID] = m
		}
		if d := m[l.FITID]; d != nil {
			rep.Duplicates++
			rep.problem("account %d: FITID %s twice (lines %d and %d)", l.AccountID, l.FITID, d.ID, l.ID)
		}
		m[l.FITID] = l
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		if r.Outcome == bankfeed.OutcomeOK && perRun[r.ID] != r.New {
			rep.Partial++
			rep.problem("run %d counted %d new lines and %d are in the store", r.ID, r.New, perRun[r.ID])
		}
	}

	cursors, err := db.Cursors(ctx)
	if err != nil {
		return nil, err
	}
	loc, book := sc.Location(), fakebank.NewBook(sc)
	for _, id := range ids {
		b := bank[id]
		ar := AccountReport{ID: id, Login: b.login, Number: b.acct.ID, OKRuns: len(okRuns[id]), Lines: len(lines[id])}
		if r := lastRun[id]; r != nil {
			ar.LastOutcome, ar.LastWindowEnd = r.Outcome, r.WindowEnd
		}
		rep.Accounts = append(rep.Accounts, ar)
		checkAccount(rep, book, b, id, okRuns[id], cursors[id], lines[id], loc)
	}
	for id := range cursors {
		if _, ok := bank[id]; !ok {
			rep.problem("cursor of account %d, which no connection feeds", id)
		}
	}

	leases, err := db.Leases(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range leases {
		rep.Leases = append(rep.Leases, LeaseReport{Name: l.Name, Holder: l.Holder, ExpiresAt: l.ExpiresAt, Alive: alive(l.Holder)})
	}
	return rep, nil
}

// checkAccount checks one account: its cursor stands at the end of its
// latest ok run, its ok runs' windows leave no gap, and its lines are
// exactly the bank's transactions over those windows.
func checkAccount(rep *Report, book *fakebank.Book, b bankAccount, id bankfeed.AccountID, ok []*bankfeed.SyncRun,
	cur *bankfeed.SyncCursor, lines map[string]*bankfeed.Line, loc *time.Location) {
	if len(ok) == 0 {
		if cur != nil {
			rep.problem("account %d (%s) has a cursor and no ok run", id, b.acct.ID)
		}
		if len(lines) > 0 {
			rep.problem("account %d (%s) has %d lines and no ok run", id, b.acct.ID, len(lines))
		}
		return
	}
	last := ok[len(ok)-1]
	switch {
	case cur == nil:
		rep.problem("account %d (%s): ok run %d and no cursor", id, b.acct.ID, last.ID)
	case cur.SyncRunID != last.ID || !cur.StatementEnd.Equal(last.WindowEnd):
		rep.problem("account %d (%s): cursor at %s by run %d, latest ok run %d ends at %s", id, b.acct.ID,
			cur.StatementEnd.Format(time.RFC3339), cur.SyncRunID, last.ID, last.WindowEnd.Format(time.RFC3339))
	}
	from, to := ok[0].WindowStart, ok[0].WindowEnd
	for i, r := range ok[1:] {
		if r.WindowStart.After(ok[i].WindowEnd) {
			rep.problem("account %d (%s): gap between run %d (to %s) and run %d (from %s)", id, b.acct.ID,
				ok[i].ID, ok[i].WindowEnd.Format(time.RFC3339), r.ID, r.WindowStart.Format(time.RFC3339))
		}
		from, to = minTime(from, r.WindowStart), maxTime(to, r.WindowEnd)
	}
	txns := book.Transactions(b.in, b.acct, requestDay(from, loc), requestDay(to, loc))
	seen := map[string]bool{}
	for _, t := range txns {
		seen[t.FITID] = true
		l := lines[t.FITID]
		switch {
		case l == nil:
			rep.problem("account %d (%s): the bank's %s of %s (FITID %s) is missing", id, b.acct.ID,
				t.Amount, t.Posted.Time.Format(time.DateOnly), t.FITID)
		case l.PostedOn != t.Posted.Time.Format(time.DateOnly) || !l.Amount.Equal(t.Amount):
			rep.problem("account %d (%s): FITID %s is %s on %s, the bank's is %s on %s", id, b.acct.ID, t.FITID,
				l.Amount, l.PostedOn, t.Amount, t.Posted.Time.Format(time.DateOnly))
		}
	}
	for fitid, l := range lines {
		if !seen[fitid] {
			rep.problem("account %d (%s): line %d (FITID %s, %s) is not one of the bank's from %s to %s", id,
				b.acct.ID, l.ID, fitid, l.PostedOn, from.Format(time.DateOnly), to.Format(time.DateOnly))
		}
	}
}

// requestDay is the bank's day a window's end names, as fakebank reads it:
// a bare date (midnight UTC) is that day, a time is placed in the bank's
// zone.
func requestDay(t time.Time, loc *time.Location) fakebank.Day {
	if t.Location() == time.UTC && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return fakebank.DayOf(t, time.UTC)
	}
	return fakebank.DayOf(t, loc)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// alive reports whether a lease holder (host/pid/random) is a process of
// this host that still runs. It is written again here, not shared with the
// syncer, so that the checker does not take the checked code's word.
func alive(holder string) bool {
	parts := strings.Split(holder, "/")
	if len(parts) != 3 {
		return false
	}
	host, _ := os.Hostname()
	pid, err := strconv.Atoi(parts[1])
	if parts[0] != host || err != nil || pid <= 0 {
		return false
	}
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
