package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/auth"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/source/ofxdirect"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

func init() { extraCommands = append(extraCommands, newDemoCmd) }

const demoLong = `Demo shows bank feeds at work, and failing well, in a few seconds and
without a network: it starts fakebank (bankfeed's bank simulator, real OFX
Direct Connect over HTTPS on 127.0.0.1) with three banks, connects one login
at each, syncs, and then, as two of the banks run into trouble, syncs again
and shows the status board:

  Maple Street Bank      works (checking, savings, a card)
  Harbor Credit Union    goes into scheduled maintenance for 2h30m
  Summit Card Services   wants its new terms accepted on its web site

Everything goes into a throwaway data directory, with its own key, removed
at the end unless --keep; --data-dir DIR uses DIR instead (new or empty of
bankfeed data) and keeps it. BANKFEED_DATA_DIR and your own key are never
used, so the demo cannot touch your real data. --serve keeps the banks
running after the demo, until Ctrl-C, to try the commands against them.`

// demoConnections names the demo's connections, in the scenario's order.
var demoConnections = map[string]string{
	fakebank.DemoHealthy:     "maple",
	fakebank.DemoMaintenance: "harbor",
	fakebank.DemoTerms:       "summit",
}

func newDemoCmd(e *env) *cobra.Command {
	var keep, serve, noWeb bool
	var addr string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Watch bankfeed sync three simulated banks, two of them in trouble",
		Long:  demoLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := ""
			if f := cmd.Flags().Lookup("data-dir"); f != nil && f.Changed {
				dir = e.cfg.DataDir
			}
			return runDemo(cmd.Context(), e, dir, demoFlags{keep: keep || serve, serve: serve, web: !noWeb, addr: addr})
		},
	}
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the throwaway data directory, to look around after")
	cmd.Flags().BoolVar(&serve, "serve", false, "keep the banks and the web interface running after the demo until Ctrl-C (implies --keep); the default on a terminal")
	cmd.Flags().BoolVar(&noWeb, "no-web", false, "do not start the web interface")
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "where the web interface listens (another free port when that one is taken)")
	return cmd
}

// demo is one run of the demo.
type demo struct {
	e     *env
	w     io.Writer
	dir   string
	srv   *fakebank.Server
	db    *store.DB
	key   *secret.Key
	s     *syncer.Syncer
	opts  syncer.Options
	http  *http.Client
	conns []*bankfeed.Connection
	names map[string]string // fakebank institution id → its name
}

// demoFlags are the demo's choices.
type demoFlags struct {
	keep, serve, web bool
	addr             string
}

// demoPasswordEnv, when set, is the password of the demo's web users (for
// scripts and tests); otherwise a random one is made and printed.
const demoPasswordEnv = "BANKFEED_DEMO_PASSWORD"

func runDemo(ctx context.Context, e *env, dir string, f demoFlags) (err error) {
	began := time.Now()
	keep, serve := f.keep, f.serve
	if f.web && !serve {
		if in, ok := e.stdin.(*os.File); ok && isTerminal(in) && isTerminal(e.stdout) {
			// A person at a terminal gets the web interface until Ctrl-C.
			serve = true
		}
	}
	if dir != "" {
		keep = true // a directory the user named is theirs
	} else {
		if dir, err = os.MkdirTemp("", "bankfeed-demo-"); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if !keep {
			defer os.RemoveAll(dir)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err == nil {
		return bankfeed.Errorf(bankfeed.EInvalid, "demo: %s holds a bankfeed database already; give a new or empty directory", dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("demo: %w", err)
	}
	d := &demo{e: e, w: e.stdout, dir: dir, names: map[string]string{}}
	if err := d.start(ctx); err != nil {
		return err
	}
	defer d.stop()
	closeDB := func() error {
		if d.db == nil {
			return nil
		}
		err := d.db.Close()
		d.db = nil
		return err
	}
	defer closeDB()

	fmt.Fprintf(d.w, "bankfeed demo: three simulated banks on 127.0.0.1, one person's three logins.\n")
	fmt.Fprintf(d.w, "Data directory: %s (its own key; your real data is not touched)\n", dir)
	if err := d.connect(ctx); err != nil {
		return err
	}
	first, err := d.sync(ctx, "2. First sync: 90 days of each account")
	if err != nil {
		return err
	}
	back := d.trouble(time.Now())
	second, err := d.sync(ctx, "4. Sync again")
	if err != nil {
		return err
	}
	if err := d.board(ctx); err != nil {
		return err
	}
	d.explain(first, second, back)
	if err := d.explainReview(ctx); err != nil {
		return err
	}
	d.lookAround(ctx, keep, serve)
	if f.web {
		return d.web(ctx, f.addr, serve, began)
	}
	fmt.Fprintf(d.w, "\n(demo took %.1f s)\n", time.Since(began).Seconds())
	if !serve {
		return nil
	}
	if err := closeDB(); err != nil {
		return err
	}
	fmt.Fprintln(d.w, "\nServing the three banks until Ctrl-C.")
	<-ctx.Done()
	return nil
}

// web opens the web interface over the demo's store, with two users: demo
// (an admin) and viewer (read-only). When serve, it runs until ctx is done
// (Ctrl-C); otherwise it stops at once, once its address is printed.
func (d *demo) web(ctx context.Context, addr string, serve bool, began time.Time) error {
	pw := os.Getenv(demoPasswordEnv)
	if pw == "" {
		var err error
		if pw, err = auth.NewSecret(""); err != nil {
			return err
		}
		pw = pw[:16]
	}
	if err := auth.CheckNewPassword(pw); err != nil {
		return fmt.Errorf("demo: %s: %w", demoPasswordEnv, err)
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	err = d.db.Update(ctx, func(tx *store.Tx) error {
		for _, u := range []*bankfeed.User{{Name: "demo", Role: bankfeed.RoleAdmin}, {Name: "viewer", Role: bankfeed.RoleViewer}} {
			if err := tx.AddUser(ctx, u, hash); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		// Taken, most likely: any free port on the same host will do.
		host, _, _ := net.SplitHostPort(addr)
		if host == "" {
			host = "127.0.0.1"
		}
		if ln, err = net.Listen("tcp", net.JoinHostPort(host, "0")); err != nil {
			return fmt.Errorf("demo: web interface: %w", err)
		}
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	rw, err := startWeb(wctx, d.db, d.key, webOptions{tick: time.Minute, workers: 4, limit: syncer.DefaultInstitutionLimit,
		stopWait: 5 * time.Second, syncOpts: func(o *syncer.Options) { o.HTTP = d.opts.HTTP }}, ln)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(d.w, "\n6. The same, in the web interface (bankfeed serve)\n")
	fmt.Fprintf(d.w, "   %s\n", url)
	fmt.Fprintf(d.w, "   Sign in as demo (an admin) or viewer (read-only), password: %s\n", pw)
	fmt.Fprintf(d.w, "   The dashboard shows each bank's trouble; Review holds the lines waiting for you.\n")
	if serve {
		fmt.Fprintf(d.w, "\n(demo took %.1f s) Serving the web interface and the three banks until Ctrl-C.\n", time.Since(began).Seconds())
		<-ctx.Done()
	} else {
		fmt.Fprintf(d.w, "   Not a terminal, so it stops with the demo: bankfeed demo --serve keeps it running.\n")
		fmt.Fprintf(d.w, "\n(demo took %.1f s)\n", time.Since(began).Seconds())
	}
	stop()
	return rw.wait()
}

// start starts the banks, writes their CA, and opens the store and key.
func (d *demo) start(ctx context.Context) error {
	sc, err := fakebank.ParseScenario(bytes.NewReader(fakebank.DemoScenario()))
	if err != nil {
		return fmt.Errorf("demo scenario: %w", err)
	}
	for _, in := range sc.Institutions {
		d.names[in.ID] = in.Name
	}
	if d.srv, err = fakebank.Start(sc, fakebank.Options{Host: "127.0.0.1"}); err != nil {
		return fmt.Errorf("demo: start the banks: %w", err)
	}
	// The demo's own client trusts the banks' CA, as the connections do
	// through their CA file, and lets go of its connections before the
	// banks stop: a connection the client opened and never used would hold
	// the server's shutdown for 5 s.
	d.http = ofxdirect.NewHTTPClient(&tls.Config{RootCAs: d.srv.CertPool(), MinVersion: tls.VersionTLS12})
	d.opts = syncer.Options{HTTP: ofxdirect.Client{HTTP: d.http}}
	fail := func(err error) error {
		d.stop()
		return err
	}
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return fail(fmt.Errorf("demo: %w", err))
	}
	if err := os.WriteFile(d.caFile(), d.srv.CACertPEM(), 0o644); err != nil {
		return fail(fmt.Errorf("demo: write the banks' CA: %w", err))
	}
	// The demo's own key: neither BANKFEED_KEY nor the user's key file.
	if d.key, err = secret.LoadKey(secret.KeyOptions{DefaultPath: d.keyFile()}); err != nil {
		return fail(err)
	}
	if d.db, err = store.Open(ctx, d.dir, store.Options{}); err != nil {
		return fail(err)
	}
	d.opts.Review = reviewService(d.db).Ingest
	d.s = syncer.New(d.db, d.key, d.opts)
	return nil
}

// stop stops the banks.
func (d *demo) stop() {
	d.http.CloseIdleConnections()
	_ = d.srv.Close()
}

func (d *demo) caFile() string  { return filepath.Join(d.dir, "fakebank-ca.pem") }
func (d *demo) keyFile() string { return filepath.Join(d.dir, "key") }

// connect connects the one login of each bank.
func (d *demo) connect(ctx context.Context) error {
	fmt.Fprintf(d.w, "\n1. Connect one login at each bank (bankfeed connect)\n")
	var rows [][]string
	for _, in := range d.srv.Scenario().Institutions {
		u := in.Users[0]
		p := bankfeed.Profile{URL: d.srv.OFXURL(in.ID), Org: in.Org, FID: in.FID, BankID: in.BankID, Version: in.Version,
			ClientUIDRequired: in.ClientUIDRequired, CAFile: d.caFile(), PortalURL: d.srv.PortalURL(in.ID)}
		res, err := d.s.Connect(ctx, syncer.ConnectRequest{Name: demoConnections[in.ID], Profile: p, UserID: u.ID,
			Password: secret.String(u.Password)})
		if err != nil {
			return fmt.Errorf("demo: connect %s: %w", in.ID, err)
		}
		if res.Err != nil {
			return fmt.Errorf("demo: connect %s: %w", in.ID, res.Err)
		}
		var accts []string
		for _, a := range res.Connection.Accounts {
			accts = append(accts, kindWord(a)+" "+a.Number)
		}
		rows = append(rows, []string{res.Connection.Name, in.Name, u.ID, strings.Join(accts, ", ")})
		d.conns = append(d.conns, res.Connection)
	}
	if err := writeTable(d.w, "   ", []string{"CONNECTION", "BANK", "USER", "ACCOUNTS FOUND"}, rows); err != nil {
		return err
	}
	fmt.Fprintln(d.w, "   Each password is sealed with the demo's key; each account got a feed.")
	return nil
}

func kindWord(a *bankfeed.ConnectionAccount) string {
	switch {
	case a.Kind == bankfeed.KindCreditCard:
		return "card"
	case a.Type != "":
		return strings.ToLower(a.Type)
	}
	return string(a.Kind)
}

// syncCounts is what a sync of the demo's connections added, per
// connection.
type syncCounts map[string]bankfeed.ImportCounts

func (c syncCounts) total() bankfeed.ImportCounts {
	var t bankfeed.ImportCounts
	for _, n := range c {
		t.Add(n)
	}
	return t
}

// sync syncs every connection and prints the summary table.
func (d *demo) sync(ctx context.Context, title string) (syncCounts, error) {
	fmt.Fprintf(d.w, "\n%s (bankfeed sync)\n", title)
	var prog *syncProgress
	if isTerminal(d.e.stderr) {
		prog = newSyncProgress(d.e.stderr, true)
	}
	results := syncWith(ctx, d.db, d.key, d.opts, d.conns, prog)
	counts := syncCounts{}
	for _, r := range results {
		if r.err != nil {
			return nil, fmt.Errorf("demo: sync %s: %w", r.conn.Name, r.err)
		}
		n := counts[r.conn.Name]
		for _, a := range r.res.Accounts {
			if a.Run != nil {
				n.Add(a.Run.ImportCounts)
			}
		}
		counts[r.conn.Name] = n
	}
	if err := writeTable(d.w, "   ", syncHead, syncRows(results, time.Now()), 3, 4); err != nil {
		return nil, err
	}
	return counts, nil
}

// trouble switches on the two banks' faults and says so; it returns when
// the maintenance ends.
func (d *demo) trouble(now time.Time) time.Time {
	var back time.Time
	for _, f := range fakebank.DemoFaults(now) {
		if _, err := d.srv.AddFault(f); err != nil {
			// The demo's own faults are valid; say so if one is not.
			fmt.Fprintf(d.e.stderr, "bankfeed: demo: fault %s: %v\n", f.Kind, err)
		}
		if f.Kind == fakebank.FaultMaintenance503 {
			back = f.Until
		}
	}
	fmt.Fprintf(d.w, "\n3. Meanwhile, at the banks\n")
	fmt.Fprintf(d.w, "   %s goes into scheduled maintenance until %s.\n", d.names[fakebank.DemoMaintenance], clockText(back, now))
	fmt.Fprintf(d.w, "   %s posts new terms that must be accepted on its web site.\n", d.names[fakebank.DemoTerms])
	return back
}

// board prints the status board with its explanations.
func (d *demo) board(ctx context.Context) error {
	fmt.Fprintf(d.w, "\n5. Where each feed stands (bankfeed status)\n\n")
	b, err := statusBoard(ctx, d.db)
	if err != nil {
		return err
	}
	more, err := moreOf(ctx, d.db)
	if err != nil {
		return err
	}
	return printBoard(&indent{w: d.w, prefix: "   "}, b, more)
}

// explain says what just happened.
func (d *demo) explain(first, second syncCounts, back time.Time) {
	now := time.Now()
	again := second[demoConnections[fakebank.DemoHealthy]]
	fmt.Fprintf(d.w, "\nWhat just happened\n")
	fmt.Fprintf(d.w, "   - fakebank served three banks over HTTPS on 127.0.0.1 with real OFX Direct Connect; the\n")
	fmt.Fprintf(d.w, "     connections trust its CA through their CA file (connect --ca-file): %s\n", d.caFile())
	fmt.Fprintf(d.w, "   - The first sync stored %d lines, each account in one transaction with its run record.\n", first.total().New)
	fmt.Fprintf(d.w, "   - The second sync asked %s again from a week before where it had got to (the\n", d.names[fakebank.DemoHealthy])
	fmt.Fprintf(d.w, "     overlap that catches late postings): %d %s came back as duplicates and none was stored\n",
		again.Duplicate, plural(again.Duplicate, "line", "lines"))
	fmt.Fprintf(d.w, "     twice; %d %s new.\n", again.New, plural(again.New, "was", "were"))
	fmt.Fprintf(d.w, "   - %s answered HTTP 503 with a Retry-After: bankfeed opened its circuit, so no\n", d.names[fakebank.DemoMaintenance])
	fmt.Fprintf(d.w, "     connection there asks again before %s, when it said it would be back.\n", clockText(back, now))
	fmt.Fprintf(d.w, "   - %s wants its terms accepted: no retry can do that, so bankfeed does not retry;\n", d.names[fakebank.DemoTerms])
	fmt.Fprintf(d.w, "     it waits for you, and bankfeed connection resume summit says you did it.\n")
	fmt.Fprintf(d.w, "   - The failed syncs wrote only their run records: every line stored before is intact.\n")
}

// explainReview says what review made of the lines the syncs brought.
func (d *demo) explainReview(ctx context.Context) error {
	items, err := d.db.Reviews(ctx, store.ReviewFilter{})
	if err != nil {
		return err
	}
	n := map[bankfeed.ReviewState]int{}
	for _, it := range items {
		n[it.State]++
	}
	fmt.Fprintf(d.w, "   - Review saw every new line in the transaction that stored it: %d added by themselves\n", n[bankfeed.ReviewAdded])
	fmt.Fprintf(d.w, "     (transfers between the accounts, known payees), %d matched, %d wait For Review with a\n", n[bankfeed.ReviewMatched], n[bankfeed.ReviewPending])
	fmt.Fprintf(d.w, "     proposal (bankfeed review), each decision in the audit log (bankfeed audit).\n")
	return nil
}

// lookAround says how to look at what the demo left.
func (d *demo) lookAround(ctx context.Context, keep, serve bool) {
	run := d.failedRun(ctx, fakebank.DemoMaintenance)
	flag := "--data-dir " + shellQuote(d.dir)
	fmt.Fprintf(d.w, "\nLook around\n")
	if !keep {
		flag = "--data-dir DIR"
		fmt.Fprintf(d.w, "   The data directory is removed now. bankfeed demo --keep keeps it; then, with the DIR it names:\n")
	} else {
		fmt.Fprintf(d.w, "   The data directory is kept: %s\n", d.dir)
	}
	fmt.Fprintf(d.w, "     bankfeed status %s\n", flag)
	fmt.Fprintf(d.w, "     bankfeed runs %s\n", flag)
	switch {
	case !keep:
		fmt.Fprintf(d.w, "     bankfeed runs show ID %s    # a run's exchange with its bank, password redacted\n", flag)
	case run != 0:
		fmt.Fprintf(d.w, "     bankfeed runs show %d %s    # the 503 as the bank sent it, password redacted\n", run, flag)
	}
	fmt.Fprintf(d.w, "     bankfeed lines --account 1 %s\n", flag)
	fmt.Fprintf(d.w, "     bankfeed review %s    # what waits For Review, with proposals\n", flag)
	fmt.Fprintf(d.w, "     bankfeed export --format hledger %s\n", flag)
	if !serve {
		fmt.Fprintf(d.w, "   The banks stop with the demo; bankfeed demo --serve keeps them running to try syncs against.\n")
		return
	}
	in := d.srv.Scenario().Institution(fakebank.DemoTerms)
	fmt.Fprintf(d.w, "   The banks keep running. To settle Summit's terms as you would:\n")
	fmt.Fprintf(d.w, "     open %s, log in as %s (password %s), accept the terms, then:\n",
		d.srv.PortalURL(in.ID), in.Users[0].ID, in.Users[0].Password)
	fmt.Fprintf(d.w, "     export BANKFEED_KEY_FILE=%s\n", shellQuote(d.keyFile()))
	fmt.Fprintf(d.w, "     bankfeed connection resume summit %s\n", flag)
	fmt.Fprintf(d.w, "     bankfeed sync %s\n", flag)
	fmt.Fprintf(d.w, "   Your browser will not know the banks' CA: accept the warning, or import %s.\n", d.caFile())
}

// failedRun returns the id of the latest failed run at a demo bank, or 0.
func (d *demo) failedRun(ctx context.Context, inst string) bankfeed.SyncRunID {
	for _, c := range d.conns {
		if c.Name != demoConnections[inst] {
			continue
		}
		runs, err := d.db.FindSyncRuns(ctx, store.SyncRunFilter{ConnectionID: c.ID})
		if err != nil {
			return 0
		}
		for _, r := range runs {
			if r.Outcome == bankfeed.OutcomeFailed {
				return r.ID
			}
		}
	}
	return 0
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+=:,@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// indent writes each line after a prefix.
type indent struct {
	w      io.Writer
	prefix string
	mid    bool // the last write ended inside a line
}

func (in *indent) Write(p []byte) (int, error) {
	var b strings.Builder
	for line := range strings.SplitAfterSeq(string(p), "\n") {
		if line == "" {
			continue
		}
		if !in.mid && line != "\n" {
			b.WriteString(in.prefix)
		}
		b.WriteString(line)
		in.mid = !strings.HasSuffix(line, "\n")
	}
	if _, err := io.WriteString(in.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}
