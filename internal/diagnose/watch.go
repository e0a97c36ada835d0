package diagnose

import (
	"context"
	"log/slog"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/syncer"
)

// Watcher syncs through a Syncer and diagnoses each sync that failed, as
// soon as it failed; Notify, when set, hears every verdict (and an "ok" one
// after a sync that went through), to tell the user once per change.
// A Watcher is what the job runner syncs with.
type Watcher struct {
	Syncer    *syncer.Syncer
	Diagnoser *Diagnoser
	Notify    func(ctx context.Context, v *Verdict) error
	Logger    *slog.Logger
}

// Due lists the connections due for an automatic sync.
func (w *Watcher) Due(ctx context.Context, now time.Time) ([]bankfeed.ConnectionID, error) {
	return w.Syncer.Due(ctx, now)
}

// SyncConnection syncs a connection, then diagnoses it if an account failed.
// A diagnosis's own failure is logged, not returned: the sync is recorded.
func (w *Watcher) SyncConnection(ctx context.Context, id bankfeed.ConnectionID, manual bool) error {
	res, err := w.Syncer.Sync(ctx, id, manual)
	if err != nil {
		return err
	}
	w.After(ctx, res)
	return nil
}

// After diagnoses a sync's connection when one of its accounts failed, and
// passes the verdict on.
func (w *Watcher) After(ctx context.Context, res *syncer.Result) *Verdict {
	if res == nil || res.Connection == nil || ctx.Err() != nil {
		return nil
	}
	failed, ran := false, false
	for _, ar := range res.Accounts {
		if ar.Run != nil {
			ran = true
			failed = failed || ar.Run.Outcome == bankfeed.OutcomeFailed
		}
	}
	c := res.Connection
	var v *Verdict
	switch {
	case failed:
		var err error
		v, err = w.Diagnoser.diagnose(ctx, c.ID, true)
		if err != nil {
			w.log().Warn("diagnose after a failed sync", "connection", c.Name, "err", err)
			return nil
		}
	case ran:
		v = &Verdict{Connection: c.Name, ConnectionID: c.ID, Class: ClassOK, Code: "BF-OK", Title: "Syncing normally",
			CheckedAt: w.Diagnoser.opts.now().UTC()}
	default:
		return nil
	}
	if w.Notify != nil {
		if err := w.Notify(ctx, v); err != nil {
			w.log().Warn("notify", "connection", c.Name, "err", err)
		}
	}
	return v
}

func (w *Watcher) log() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.New(slog.DiscardHandler)
}
