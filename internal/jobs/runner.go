package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/procid"
)

// Syncer runs syncs; *syncer.Syncer implements it.
type Syncer interface {
	// Due lists the connections whose next automatic sync is due at now
	// (not disabled, not waiting for the user, next_attempt_at <= now).
	Due(ctx context.Context, now time.Time) ([]bankfeed.ConnectionID, error)
	// SyncConnection runs one sync of a connection. manual bypasses backoff
	// (the user asked). Bank failures are recorded by the syncer and are
	// NOT errors here; an error means the engine itself failed.
	SyncConnection(ctx context.Context, id bankfeed.ConnectionID, manual bool) error
}

// Options configure New. Zero values take the defaults.
type Options struct {
	// Tick is how often the leader asks the syncer what is due; 1 minute
	// when zero.
	Tick time.Duration
	// Workers bounds the syncs that run at once in this process; 16 when
	// zero.
	Workers int
	// FetchPoll is how often each queue looks for new jobs; 200ms when zero.
	// A job inserted by this process is usually picked up sooner.
	FetchPoll time.Duration
	// Logger receives the runner's logs, and River's warnings and errors;
	// discarded when nil.
	Logger *slog.Logger
	// Now is the clock passed to Syncer.Due; time.Now when nil. River keeps
	// its own timestamps (retries, leases) on the wall clock.
	Now func() time.Time
	// ID names this worker in River's jobs (attempted_by); host/pid/random
	// when empty, which is what Dead understands.
	ID string
	// Dead reports whether the worker named id is gone for good, so its
	// running syncs can run again at once instead of after River's rescue
	// delay. When nil, a worker of this host whose process no longer runs
	// is dead.
	Dead func(id string) bool

	// retryDelay, when set, replaces River's backoff between attempts of a
	// failed sync, so tests need not wait for it.
	retryDelay time.Duration
}

// Defaults for Options.
const (
	DefaultTick      = time.Minute
	DefaultWorkers   = 16
	DefaultFetchPoll = 200 * time.Millisecond
)

const (
	// fetchCooldown is the least time between two fetches of one queue, so
	// a burst of inserts costs one fetch, not one each.
	fetchCooldown = 50 * time.Millisecond
	// syncTimeout cancels the context of a sync that runs longer.
	syncTimeout = 10 * time.Minute
	// rescueAfter is when River takes a job still marked running (its
	// process died) and retries it. It must exceed syncTimeout, or a slow
	// sync would run twice; until then, the connection's unique key keeps
	// it from being queued again.
	rescueAfter = syncTimeout + 5*time.Minute
	// hardStopGrace is how long Stop waits for cancelled syncs to return
	// once its own deadline has passed.
	hardStopGrace = 10 * time.Second
)

// Runner queues and works sync jobs.
type Runner struct {
	db     *sql.DB
	dead   func(id string) bool
	client *river.Client[*sql.Tx]
	syncer Syncer
	log    *slog.Logger
	now    func() time.Time
	poll   time.Duration
	retry  time.Duration
}

// New returns a Runner over db, which must hold River's tables (Migrate) and
// should be the store's single-connection writer. New starts nothing; Start
// does. A Runner that is never started still queues jobs with SyncNow, for a
// process that does not work them.
func New(db *sql.DB, s Syncer, opts Options) (*Runner, error) {
	if db == nil || s == nil {
		return nil, bankfeed.Errorf(bankfeed.EInvalid, "new job runner: no database or no syncer")
	}
	var problems []error
	if opts.Tick < 0 {
		problems = append(problems, fmt.Errorf("tick %s is negative", opts.Tick))
	}
	if opts.Workers < 0 {
		problems = append(problems, fmt.Errorf("workers %d is negative", opts.Workers))
	}
	if opts.FetchPoll < 0 {
		problems = append(problems, fmt.Errorf("fetch poll %s is negative", opts.FetchPoll))
	}
	if err := errors.Join(problems...); err != nil {
		return nil, &bankfeed.Error{Code: bankfeed.EInvalid, Message: "invalid job runner options", Err: err}
	}
	if opts.Tick == 0 {
		opts.Tick = DefaultTick
	}
	if opts.Workers == 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.FetchPoll == 0 {
		opts.FetchPoll = DefaultFetchPoll
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}

	if opts.ID == "" {
		opts.ID = procid.New()
	}
	if opts.Dead == nil {
		opts.Dead = procid.Dead
	}
	r := &Runner{
		db:     db,
		dead:   opts.Dead,
		syncer: s,
		log:    opts.Logger,
		now:    opts.Now,
		poll:   opts.FetchPoll,
		retry:  opts.retryDelay,
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &syncWorker{r: r}); err != nil {
		return nil, fmt.Errorf("new job runner: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &scheduleWorker{r: r}); err != nil {
		return nil, fmt.Errorf("new job runner: %w", err)
	}
	client, err := river.NewClient(riversqlite.New(db), &river.Config{
		ID:      opts.ID,
		Logger:  slog.New(warnAndAbove{opts.Logger.Handler()}),
		Workers: workers,
		Queues: map[string]river.QueueConfig{
			queueSync:     {MaxWorkers: opts.Workers},
			queueSchedule: {MaxWorkers: 1},
		},
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(
				river.PeriodicInterval(opts.Tick),
				func() (river.JobArgs, *river.InsertOpts) { return scheduleArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true},
			),
		},
		FetchPollInterval:    opts.FetchPoll,
		FetchCooldown:        min(fetchCooldown, opts.FetchPoll),
		JobTimeout:           syncTimeout,
		RescueStuckJobsAfter: rescueAfter,
		MaxAttempts:          syncMaxAttempts,
	})
	if err != nil {
		return nil, fmt.Errorf("new job runner: %w", err)
	}
	r.client = client
	return r, nil
}

// Start starts working jobs in the background and, on the elected leader,
// the periodic schedule. Cancelling ctx stops the runner hard, like a Stop
// whose deadline has passed; prefer Stop.
func (r *Runner) Start(ctx context.Context) error {
	if err := r.rescueDead(ctx); err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	if err := r.client.Start(ctx); err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for the running syncs to finish. When
// ctx ends first, it cancels them, waits a little for them to return, and
// returns an error wrapping ctx's; the cancelled jobs run again on the next
// start. Stop on a runner that is not running does nothing.
func (r *Runner) Stop(ctx context.Context) error {
	err := r.client.Stop(ctx)
	if err == nil {
		return nil
	}
	if ctx.Err() == nil {
		return fmt.Errorf("stop jobs: %w", err)
	}
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), hardStopGrace)
	defer cancel()
	if herr := r.client.StopAndCancel(hard); herr != nil {
		return fmt.Errorf("stop jobs: cancelled syncs did not return: %w", errors.Join(err, herr))
	}
	return fmt.Errorf("stop jobs: cancelled running syncs: %w", err)
}

// SyncNow queues a sync of connection id to run as soon as a worker is free.
// manual says the user asked, so the syncer bypasses its backoff. queued is
// false when a sync of that connection is already queued, waiting to retry
// or running; that one stands, with its own manual flag. The caller must not
// hold a transaction on the database: River needs its one connection.
func (r *Runner) SyncNow(ctx context.Context, id bankfeed.ConnectionID, manual bool) (queued bool, err error) {
	if id <= 0 {
		return false, bankfeed.Errorf(bankfeed.EInvalid, "sync connection %d: no such connection id", id)
	}
	res, err := r.client.Insert(ctx, syncArgs{ConnectionID: id, Manual: manual}, nil)
	if err != nil {
		return false, fmt.Errorf("queue sync of connection %d: %w", id, err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// WaitIdle returns once no job of this package is queued to run now or
// running: every sync queued so far, and every schedule pass with the syncs
// it queued, has finished. A failed sync waiting out a long backoff before
// its retry does not count. It sees only jobs already inserted, so right
// after Start the first schedule pass may not be queued yet; queue syncs
// with SyncNow first when that matters.
func (r *Runner) WaitIdle(ctx context.Context) error {
	t := time.NewTicker(r.poll)
	defer t.Stop()
	for {
		busy, err := r.busy(ctx)
		if err != nil {
			return fmt.Errorf("wait for idle jobs: %w", err)
		}
		if !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for idle jobs: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// busy reports whether a job is running, or queued with its time come.
func (r *Runner) busy(ctx context.Context) (bool, error) {
	active, err := r.client.JobList(ctx, river.NewJobListParams().
		Kinds(kindSync, kindSchedule).
		States(rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning).
		First(1))
	if err != nil {
		return false, err
	}
	if len(active.Jobs) > 0 {
		return true, nil
	}
	waiting, err := r.client.JobList(ctx, river.NewJobListParams().
		Kinds(kindSync, kindSchedule).
		States(rivertype.JobStateScheduled, rivertype.JobStateRetryable).
		OrderBy(river.JobListOrderByScheduledAt, river.SortOrderAsc).
		First(1))
	if err != nil {
		return false, err
	}
	// River schedules on the wall clock, not on Options.Now.
	return len(waiting.Jobs) > 0 && !waiting.Jobs[0].ScheduledAt.After(time.Now()), nil
}

// warnAndAbove passes on River's warnings and errors only: its info logs
// report routine counts every few seconds, and the runner logs what matters
// about a job itself.
type warnAndAbove struct{ slog.Handler }

func (h warnAndAbove) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h warnAndAbove) WithAttrs(attrs []slog.Attr) slog.Handler {
	return warnAndAbove{h.Handler.WithAttrs(attrs)}
}

func (h warnAndAbove) WithGroup(name string) slog.Handler {
	return warnAndAbove{h.Handler.WithGroup(name)}
}

// rescueDead makes the syncs that a dead worker left running available
// again, so a sync killed with its process resumes on the next start
// instead of after River's rescue delay. The syncer's leases keep this
// safe: a run is committed whole or not at all.
func (r *Runner) rescueDead(ctx context.Context) error {
	res, err := r.client.JobList(ctx, river.NewJobListParams().Kinds(kindSync).
		States(rivertype.JobStateRunning).First(10000))
	if err != nil {
		return fmt.Errorf("list running syncs: %w", err)
	}
	for _, j := range res.Jobs {
		if len(j.AttemptedBy) == 0 || !r.dead(j.AttemptedBy[len(j.AttemptedBy)-1]) {
			continue
		}
		if _, err := r.db.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE id = ? AND state = 'running'`,
			j.ID); err != nil {
			return fmt.Errorf("rescue sync job %d: %w", j.ID, err)
		}
		r.log.Info("a sync left running by a stopped worker runs again", "job", j.ID, "worker", j.AttemptedBy[len(j.AttemptedBy)-1])
	}
	return nil
}
