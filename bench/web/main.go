// Command web measures the web interface and the JSON API over a large
// store: a million feed lines across 20 accounts, most decided, about 5,000
// waiting for review. It times the dashboard (GET /), the review page
// (GET /review) and their API counterparts (GET /api/v1/status, GET
// /api/v1/review) and says whether each answers within 100 ms at the 95th
// percentile:
//
//	go run ./bench/web                 # builds the store once under bench/out, then measures
//	go run ./bench/web -n 500          # more requests per page
//	go run ./bench/web -explain        # and the query plans of the pages' heaviest queries
//	go run ./bench/web -decide 20      # and review decisions through the API, on a copy of the store
//
// README.md says what is measured and the latest figures.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/auth"
	"github.com/bankfeed/bankfeed/internal/books"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
	"github.com/bankfeed/bankfeed/internal/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "web:", err)
		os.Exit(2)
	}
}

// page is one thing timed.
type page struct {
	name, path string
}

var pages = []page{
	{"dashboard", "/"},
	{"review page", "/review"},
	{"api status", "/api/v1/status"},
	{"api review", "/api/v1/review"},
}

// bar is the 95th percentile each page must answer within.
const bar = 100 * time.Millisecond

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("web", flag.ContinueOnError)
	flags.SetOutput(stderr)
	var (
		sh      shape
		n       = flags.Int("n", 200, "timed requests per page")
		out     = flags.String("out", "bench/out", "where the built store is kept")
		rebuild = flags.Bool("rebuild", false, "build the store again even when it is cached")
		explain = flags.Bool("explain", false, "print the query plans of the pages' heaviest queries")
		cpuprof = flags.String("cpuprofile", "", "write a CPU profile of the timed requests to this file")
		decide  = flags.Int("decide", 0, "also time this many review decisions of each kind (add, undo, exclude) on a copy of the store")
	)
	flags.IntVar(&sh.lines, "lines", 1_000_000, "feed lines in all")
	flags.IntVar(&sh.accounts, "accounts", 20, "feed accounts (5 per institution)")
	flags.IntVar(&sh.waiting, "waiting", 5000, "lines waiting for review")
	if err := flags.Parse(args); err != nil {
		return err
	}
	dir := filepath.Join(*out, "web-"+sh.key())
	if _, err := os.Stat(filepath.Join(dir, builtMarker)); *rebuild || errors.Is(err, fs.ErrNotExist) {
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		if err := build(ctx, dir, sh, stderr); err != nil {
			return fmt.Errorf("build the store: %w", err)
		}
	} else if err != nil {
		return err
	}
	db, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	key, err := secret.LoadKey(secret.KeyOptions{Getenv: func(string) string { return "" }, DefaultPath: filepath.Join(dir, "key")})
	if err != nil {
		return err
	}
	if *explain {
		if err := explainPages(ctx, db, stdout); err != nil {
			return err
		}
	}
	base, client, stopServer, err := serve(ctx, db, key)
	if err != nil {
		return err
	}
	defer stopServer()

	var counts struct{ lines, waiting int64 }
	_ = db.Writer().QueryRowContext(ctx, `SELECT count(*), (SELECT count(*) FROM line_reviews WHERE state = 'review') FROM lines`).Scan(&counts.lines, &counts.waiting)
	fmt.Fprintf(stdout, "store: %s: %d lines, %d waiting for review, %d accounts\n", dir, counts.lines, counts.waiting, sh.accounts)
	fmt.Fprintf(stdout, "%d requests per page, one at a time, after 5 untimed\n\n", *n)
	fmt.Fprintf(stdout, "%-12s %-16s %8s %8s %8s %8s  %s\n", "PAGE", "PATH", "p50 ms", "p95 ms", "p99 ms", "max ms", "p95 < 100 ms")
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	failed := false
	for _, p := range pages {
		took, err := timePage(ctx, client, base+p.path, *n)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		verdict := "PASS"
		if pct(took, 0.95) >= bar {
			verdict, failed = "FAIL", true
		}
		fmt.Fprintf(stdout, "%-12s %-16s %8.1f %8.1f %8.1f %8.1f  %s\n", p.name, p.path,
			ms(pct(took, 0.50)), ms(pct(took, 0.95)), ms(pct(took, 0.99)), ms(took[len(took)-1]), verdict)
	}
	if *decide > 0 {
		if err := timeDecisions(ctx, dir, *decide, stdout); err != nil {
			return fmt.Errorf("decisions: %w", err)
		}
	}
	if failed {
		return errors.New("a page is over the bar")
	}
	return nil
}

// serve starts the web server over db on 127.0.0.1 as bankfeed serve does
// (without the sync schedule), and returns its address and a client
// signed in as an admin.
func serve(ctx context.Context, db *store.DB, key *secret.Key) (string, *http.Client, func(), error) {
	const name, password = "bench", "bench-password-123"
	if _, _, err := db.UserByName(ctx, name); bankfeed.ErrorCodeOf(err) == bankfeed.ENotFound {
		hash, err := auth.HashPassword(password)
		if err != nil {
			return "", nil, nil, err
		}
		err = db.Update(ctx, func(tx *store.Tx) error {
			return tx.AddUser(ctx, &bankfeed.User{Name: name, Role: bankfeed.RoleAdmin}, hash)
		})
		if err != nil {
			return "", nil, nil, err
		}
	} else if err != nil {
		return "", nil, nil, err
	}
	rs := books.ReviewService(db)
	srv, err := web.New(web.Options{DB: db, Key: key, Syncer: syncer.New(db, key, syncer.Options{Review: rs.Ingest}), Review: rs})
	if err != nil {
		return "", nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln, 5*time.Second) }()
	stop := func() {
		cancel()
		<-done
	}
	base := "http://" + ln.Addr().String()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: time.Minute}
	res, err := c.Post(base+"/api/v1/session", "application/json", strings.NewReader(`{"name":"`+name+`","password":"`+password+`"}`))
	if err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			err = fmt.Errorf("sign in: %s", res.Status)
		}
	}
	if err != nil {
		stop()
		return "", nil, nil, err
	}
	return base, c, stop, nil
}

// timePage gets url n times, after 5 untimed, and returns the times,
// sorted.
func timePage(ctx context.Context, c *http.Client, url string, n int) ([]time.Duration, error) {
	var took []time.Duration
	for i := range n + 5 {
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		res, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		d := time.Since(start)
		if err != nil {
			return nil, err
		}
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", url, res.Status)
		}
		if i >= 5 {
			took = append(took, d)
		}
	}
	slices.Sort(took)
	return took, nil
}

// pct is the p-th percentile of sorted times (nearest rank).
func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
