package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/bankfeed/bankfeed"
)

// Job kinds and queues. The kinds are stored in river_job: renaming one
// strands the jobs queued under the old name.
const (
	kindSync     = "sync_connection"
	kindSchedule = "schedule_syncs"

	// Syncs and schedule passes have queues of their own, so a schedule
	// pass never waits behind a full set of slow syncs.
	queueSync     = "sync"
	queueSchedule = "schedule"
)

const (
	// syncMaxAttempts bounds the runs of a sync job whose engine fails:
	// River retries with its backoff (about 1s, then 16s) and then discards
	// the job. The next tick queues the connection again if it is still due.
	syncMaxAttempts = 3
	// scheduleTimeout bounds one schedule pass.
	scheduleTimeout = time.Minute
)

// activeStates are the states in which a job holds its unique key: while a
// sync of a connection is in one of them, no second one is queued. Completed
// and discarded jobs release it.
var activeStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStatePending,
	rivertype.JobStateRetryable,
	rivertype.JobStateRunning,
	rivertype.JobStateScheduled,
}

// syncArgs are a sync_connection job: one sync of one connection. Only the
// connection id is in the unique key, so a manual request finds an automatic
// sync already queued and does not add a second.
type syncArgs struct {
	ConnectionID bankfeed.ConnectionID `json:"connection_id" river:"unique"`
	Manual       bool                  `json:"manual"`
}

func (syncArgs) Kind() string { return kindSync }

func (syncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       queueSync,
		MaxAttempts: syncMaxAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: activeStates},
	}
}

// syncWorker runs sync_connection jobs.
type syncWorker struct {
	river.WorkerDefaults[syncArgs]
	r *Runner
}

func (w *syncWorker) Work(ctx context.Context, job *river.Job[syncArgs]) error {
	id := job.Args.ConnectionID
	err := w.r.syncer.SyncConnection(ctx, id, job.Args.Manual)
	if err == nil {
		return nil
	}
	attrs := []any{
		slog.Int64("connection_id", int64(id)),
		slog.Int64("job_id", job.ID),
		slog.Int("attempt", job.Attempt),
		slog.Int("max_attempts", job.MaxAttempts),
		slog.Any("error", err),
	}
	if ctx.Err() != nil {
		w.r.log.WarnContext(ctx, "sync interrupted", attrs...)
	} else {
		w.r.log.ErrorContext(ctx, "sync engine failed", attrs...)
	}
	return fmt.Errorf("sync connection %d: %w", id, err)
}

// NextRetry is River's backoff unless a test shortened it.
func (w *syncWorker) NextRetry(*river.Job[syncArgs]) time.Time {
	if w.r.retry > 0 {
		return time.Now().Add(w.r.retry)
	}
	return time.Time{}
}

// scheduleArgs are a schedule_syncs job: one pass that queues what is due.
// One pass at a time: a slow pass makes the next tick's a duplicate.
type scheduleArgs struct{}

func (scheduleArgs) Kind() string { return kindSchedule }

func (scheduleArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue: queueSchedule,
		// A failed pass is not retried; the next tick is the retry.
		MaxAttempts: 1,
		UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
			rivertype.JobStateAvailable,
			rivertype.JobStatePending,
			rivertype.JobStateRunning,
			rivertype.JobStateScheduled,
		}},
	}
}

// scheduleWorker runs schedule_syncs jobs.
type scheduleWorker struct {
	river.WorkerDefaults[scheduleArgs]
	r *Runner
}

func (w *scheduleWorker) Timeout(*river.Job[scheduleArgs]) time.Duration { return scheduleTimeout }

func (w *scheduleWorker) Work(ctx context.Context, job *river.Job[scheduleArgs]) error {
	queued, due, err := w.r.queueDue(ctx)
	if err != nil {
		w.r.log.ErrorContext(ctx, "schedule syncs", slog.Int64("job_id", job.ID), slog.Any("error", err))
		return err
	}
	if due > 0 {
		w.r.log.DebugContext(ctx, "scheduled syncs", slog.Int("due", due), slog.Int("queued", queued))
	}
	return nil
}

// queueDue asks the syncer what is due and queues a sync of each connection
// that has none queued or running. It returns how many it queued and how
// many were due.
func (r *Runner) queueDue(ctx context.Context) (queued, due int, err error) {
	ids, err := r.syncer.Due(ctx, r.now())
	if err != nil {
		return 0, 0, fmt.Errorf("list due connections: %w", err)
	}
	// One batch must not hold a connection twice: River rejects the batch.
	seen := make(map[bankfeed.ConnectionID]bool, len(ids))
	params := make([]river.InsertManyParams, 0, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		params = append(params, river.InsertManyParams{Args: syncArgs{ConnectionID: id}})
	}
	if len(params) == 0 {
		return 0, 0, nil
	}
	res, err := r.client.InsertMany(ctx, params)
	if err != nil {
		return 0, len(params), fmt.Errorf("queue %d due syncs: %w", len(params), err)
	}
	for _, x := range res {
		if !x.UniqueSkippedAsDuplicate {
			queued++
		}
	}
	return queued, len(params), nil
}
