package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/jobs"
	"github.com/bankfeed/bankfeed/internal/secret"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
	"github.com/bankfeed/bankfeed/internal/web"
)

func init() { extraCommands = append(extraCommands, newServeCmd) }

const serveLong = `Serve runs bankfeed's web interface, its JSON API (/api/v1, described at
/api/v1/openapi.json) and its metrics (/metrics, for Prometheus), and syncs
every connection on its schedule as bankfeed worker does, in one process.

It listens on 127.0.0.1:8080 unless --addr says otherwise. Every page but
the sign-in page needs a user: add the first with
  bankfeed user add NAME --role admin
Scripts use API tokens (bankfeed user token NAME, or the settings page).

Behind a proxy that speaks HTTPS, give --secure-cookies. SIGINT or SIGTERM
stops taking requests, lets those under way and the running syncs finish,
then exits.`

type serveFlags struct {
	addr          string
	workers       int
	tick          time.Duration
	limit         int
	secureCookies bool
	noSync        bool
	stopWait      time.Duration
	verbose       bool
}

func newServeCmd(e *env) *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web interface, the JSON API and metrics, and sync on schedule",
		Long:  serveLong,
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return runServe(cmd.Context(), e, f) },
	}
	cmd.Flags().StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().IntVar(&f.workers, "workers", jobs.DefaultWorkers, "connections synced at once by this process")
	cmd.Flags().DurationVar(&f.tick, "tick", jobs.DefaultTick, "how often to look for connections that are due")
	cmd.Flags().IntVar(&f.limit, "institution-limit", syncer.DefaultInstitutionLimit, "syncs at once per institution, across processes")
	cmd.Flags().BoolVar(&f.secureCookies, "secure-cookies", false, "mark cookies Secure (when a proxy serves HTTPS in front)")
	cmd.Flags().BoolVar(&f.noSync, "no-sync", false, "do not sync on schedule here (separate bankfeed worker processes do)")
	cmd.Flags().DurationVar(&f.stopWait, "stop-wait", 30*time.Second, "on SIGINT/SIGTERM, how long to let requests and syncs finish")
	cmd.Flags().BoolVarP(&f.verbose, "verbose", "v", false, "log every request")
	return cmd
}

func runServe(ctx context.Context, e *env, f *serveFlags) error {
	if f.workers <= 0 || f.limit <= 0 || f.tick <= 0 {
		return &exitError{code: exitUsage, err: fmt.Errorf("--workers, --tick and --institution-limit must be positive")}
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	key, err := loadKey()
	if err != nil {
		return err
	}
	db, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return bankfeed.Errorf(bankfeed.EInvalid, "serve: listen on %s: %w", f.addr, err)
	}
	srv, err := startWeb(ctx, db, key, webOptions{log: log, workers: f.workers, tick: f.tick, limit: f.limit,
		secureCookies: f.secureCookies, noSync: f.noSync, stopWait: f.stopWait}, ln)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "bankfeed serving on http://%s/ (Ctrl-C stops)\n", ln.Addr())
	if users, err := db.Users(ctx); err == nil && len(users) == 0 {
		fmt.Fprintln(e.stdout, "No users yet: add one with  bankfeed user add NAME --role admin")
	}
	return srv.wait()
}

// webOptions configure startWeb.
type webOptions struct {
	log           *slog.Logger
	workers       int
	tick          time.Duration
	limit         int
	secureCookies bool
	noSync        bool
	stopWait      time.Duration
	// httpClient, when set, is the syncer's client (the demo's banks have
	// their own certificate authority).
	syncOpts func(*syncer.Options)
}

// runningWeb is a web server and, unless noSync, the job runner behind it.
type runningWeb struct {
	srv    *web.Server
	runner *jobs.Runner
	done   chan error
	stop   time.Duration
}

// startWeb starts the web server on ln and the sync schedule; both stop
// when ctx is done, and wait returns then.
func startWeb(ctx context.Context, db *store.DB, key *secret.Key, o webOptions, ln net.Listener) (*runningWeb, error) {
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if o.stopWait <= 0 {
		o.stopWait = 30 * time.Second
	}
	if err := jobs.Migrate(ctx, db.Writer()); err != nil {
		return nil, err
	}
	var srv *web.Server
	rs := reviewService(db)
	sopts := syncer.Options{InstitutionLimit: o.limit, Logger: o.log, Review: rs.Ingest,
		Progress: func(ev syncer.Event) {
			if srv != nil {
				srv.Progress(ev)
			}
		}}
	if o.syncOpts != nil {
		o.syncOpts(&sopts)
	}
	s := syncer.New(db, key, sopts)
	runner, err := jobs.New(db.Writer(), newWatcher(db, s, o.log), jobs.Options{Tick: o.tick, Workers: o.workers, Logger: o.log})
	if err != nil {
		return nil, err
	}
	srv, err = web.New(web.Options{DB: db, Key: key, Syncer: s, Review: rs, Logger: o.log, SecureCookies: o.secureCookies,
		SyncNow: func(ctx context.Context, id bankfeed.ConnectionID) error {
			_, err := runner.SyncNow(ctx, id, true)
			return err
		}})
	if err != nil {
		return nil, err
	}
	rw := &runningWeb{srv: srv, done: make(chan error, 1), stop: o.stopWait}
	if !o.noSync {
		// A runner that is not started still queues: another process's
		// worker runs what the web interface asks for.
		if err := runner.Start(ctx); err != nil {
			return nil, err
		}
		rw.runner = runner
	}
	go func() {
		err := srv.Serve(ctx, ln, o.stopWait)
		if rw.runner != nil {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.stopWait)
			err = errors.Join(err, rw.runner.Stop(sctx))
			cancel()
		}
		rw.done <- err
	}()
	return rw, nil
}

// wait waits until the server and its runner have stopped.
func (rw *runningWeb) wait() error { return <-rw.done }
