package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/jobs"
	"github.com/bankfeed/bankfeed/internal/store"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

func init() { extraCommands = append(extraCommands, newWorkerCmd) }

type workerFlags struct {
	tick     time.Duration
	workers  int
	limit    int
	once     bool
	stopWait time.Duration
}

func newWorkerCmd(e *env) *cobra.Command {
	f := &workerFlags{}
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Sync every connection on its schedule, until stopped",
		Long: `Runs the sync schedule: every connection is synced when it is due (daily, with
jitter, by default), failed syncs are retried by the retry policy, and an
institution whose circuit is open waits for its probe. Jobs are kept in the
database (River), so the schedule survives restarts; several workers may
share one database.

Rejected passwords are never retried: such a connection waits until you set
a new password (bankfeed connection password) or say you acted (bankfeed
connection resume).

--once syncs what is due now, waits for it to finish, and exits: for cron.
It exits 1 when a sync failed.
SIGINT or SIGTERM stops the worker after the syncs running finish.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runWorker(cmd.Context(), e, f) },
	}
	cmd.Flags().DurationVar(&f.tick, "tick", jobs.DefaultTick, "how often to look for connections that are due")
	cmd.Flags().IntVar(&f.workers, "workers", jobs.DefaultWorkers, "connections synced at once by this worker")
	cmd.Flags().IntVar(&f.limit, "institution-limit", syncer.DefaultInstitutionLimit, "syncs at once per institution, across workers")
	cmd.Flags().BoolVar(&f.once, "once", false, "sync what is due now, then exit")
	cmd.Flags().DurationVar(&f.stopWait, "stop-wait", 2*time.Minute, "on SIGINT/SIGTERM, how long to let running syncs finish")
	return cmd
}

func runWorker(ctx context.Context, e *env, f *workerFlags) error {
	if f.tick <= 0 || f.workers <= 0 || f.limit <= 0 {
		return &exitError{code: exitUsage, err: fmt.Errorf("--tick, --workers and --institution-limit must be positive")}
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	key, err := loadKey()
	if err != nil {
		return err
	}
	db, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := jobs.Migrate(ctx, db.Writer()); err != nil {
		return err
	}
	s := syncer.New(db, key, syncer.Options{InstitutionLimit: f.limit, Logger: log, Review: reviewService(db).Ingest})
	// Each failed sync is diagnosed at once, and the webhook told.
	r, err := jobs.New(db.Writer(), newWatcher(db, s, log), jobs.Options{Tick: f.tick, Workers: f.workers, Logger: log})
	if err != nil {
		return err
	}
	started := time.Now()
	if f.once {
		// Queue what is due ourselves: the periodic pass may come seconds
		// after the start.
		due, err := s.Due(ctx, time.Now())
		if err != nil {
			return err
		}
		for _, id := range due {
			if _, err := r.SyncNow(ctx, id, false); err != nil {
				return err
			}
		}
	}
	if err := r.Start(ctx); err != nil {
		return err
	}
	log.Info("worker started", "tick", f.tick, "workers", f.workers, "institution_limit", f.limit)
	if f.once {
		err = r.WaitIdle(ctx)
	} else {
		<-ctx.Done()
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.stopWait)
	defer cancel()
	if serr := r.Stop(stopCtx); serr != nil {
		return serr
	}
	log.Info("worker stopped")
	if err != nil && ctx.Err() == nil {
		return err
	}
	if f.once {
		return onceSummary(context.WithoutCancel(ctx), e, db, started)
	}
	return nil
}

// onceSummary says what a --once pass did, and fails when a sync failed, so
// that cron tells the user.
func onceSummary(ctx context.Context, e *env, db *store.DB, since time.Time) error {
	runs, err := db.FindSyncRuns(ctx, store.SyncRunFilter{Since: since})
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range runs {
		if r.Outcome == bankfeed.OutcomeFailed {
			failed++
			fmt.Fprintf(e.stderr, "sync run %d (account %d) failed: %s\n", r.ID, r.AccountID, r.FailureClass)
		}
	}
	fmt.Fprintf(e.stdout, "%d sync runs, %d failed\n", len(runs), failed)
	if failed > 0 {
		return &exitError{code: exitFailure, err: fmt.Errorf("%d of %d sync runs failed; see bankfeed status", failed, len(runs))}
	}
	return nil
}
