package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// checkpointEvery is how often, at most, the checkpointer copies the WAL
// into the database file while commits come: about as often as SQLite's
// own 1,000-page threshold would at a sync's pace, without making the
// writer do it.
const checkpointEvery = 50 * time.Millisecond

// walPagesCap is the WAL's length, in pages, past which the writer has
// SQLite write it from its start again: half the writer's own threshold
// (wal_autocheckpoint, 10,000 pages), so that the file stays under that
// threshold's 40 MiB of 4 KiB pages though the writer goes on while a
// checkpoint finds the WAL long.
const walPagesCap = 5_000

// checkpointer copies the WAL into the database file on a connection of its
// own (PRAGMA wal_checkpoint(PASSIVE)), after commits, so the writer never
// stops to copy pages and sync the file: a lease that lets a bank's request
// go does not wait behind a checkpoint. A passive checkpoint waits for no
// one: it copies what readers and the writer allow and leaves the rest to
// the next. The zero value does nothing (an engine without a WAL).
//
// SQLite writes the WAL from its start again only when a write transaction
// begins with every frame copied and no reader in the WAL. A writer that
// never pauses (a long import) begins its next transaction before any
// checkpoint beside it is done, so the WAL grows with every commit, however
// well the checkpointer keeps up, until the writer's own threshold; and the
// writer's own passive checkpoint gives way when this one holds the lock,
// so the file grew past that too (a RESTART checkpoint here would wait for
// the writer, which never lets go). So when a checkpoint finds the WAL over
// walPagesCap pages, it marks it overdue, and after its next commit the
// writer runs a RESTART checkpoint itself (restartIfOverdue), with no
// writer to race: it copies what is left (little: the passive checkpoints
// copied the rest), and once no reader is in the WAL, the writer's next
// transaction starts the WAL again.
type checkpointer struct {
	conn    *sql.DB
	kc      chan struct{} // a commit happened
	done    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	overdue atomic.Bool
	retryAt atomic.Int64 // unix nanoseconds: not before, after a busy restart
}

func (c *checkpointer) start(driver, dsn string) error {
	conn, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	conn.SetMaxOpenConns(1)
	conn.SetMaxIdleConns(1)
	conn.SetConnMaxLifetime(0)
	conn.SetConnMaxIdleTime(0)
	c.conn, c.kc, c.done = conn, make(chan struct{}, 1), make(chan struct{})
	c.wg.Add(1)
	go c.run()
	return nil
}

// kick tells the checkpointer a commit happened; it never blocks.
func (c *checkpointer) kick() {
	if c.kc == nil {
		return
	}
	select {
	case c.kc <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer c.wg.Done()
	var last time.Time
	for {
		select {
		case <-c.done:
			return
		case <-c.kc:
		}
		if wait := checkpointEvery - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-c.done:
				t.Stop()
				return
			case <-t.C:
			}
		}
		last = time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var busy, log, done int
		err := c.conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done)
		cancel()
		if err != nil {
			slog.Warn("store: checkpoint", "err", err)
		} else if log > walPagesCap {
			c.overdue.Store(true)
		}
	}
}

// restartIfOverdue runs the checkpoint that starts the WAL again when the
// checkpointer found it overdue, on the writer's connection w, between two
// of its transactions. It waits for no one (busy_timeout 0 for it): when
// the checkpointer's own checkpoint is under way (SQLite gives a second
// one no wait) or a reader still reads older pages (an export, say), it
// copies what it can and leaves the WAL overdue, for a commit at least
// restartRetry later; the writer is never held up behind a reader.
func (c *checkpointer) restartIfOverdue(ctx context.Context, w *sql.DB) {
	now := time.Now().UnixNano()
	if !c.overdue.Load() || now < c.retryAt.Load() {
		return
	}
	conn, err := w.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	var busy, log, done int
	if _, err = conn.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err == nil {
		err = conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(RESTART)`).Scan(&busy, &log, &done)
		if _, rerr := conn.ExecContext(ctx, `PRAGMA busy_timeout = `+busyTimeoutMS); rerr != nil {
			// A writer left with no busy timeout would fail at once on
			// another process's lock: the pool drops this connection
			// and opens a new one, configured afresh.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			if err == nil {
				err = rerr
			}
		}
	}
	switch {
	case err != nil:
		slog.Warn("store: checkpoint (restart)", "err", err)
		c.overdue.Store(false)
	case busy == 0:
		c.overdue.Store(false)
	default:
		c.retryAt.Store(now + int64(restartRetry))
	}
}

// restartRetry is how long the writer waits before it tries again a
// RESTART checkpoint that found the WAL busy.
const restartRetry = 5 * time.Millisecond

// stop ends the checkpointer; the last connection to close checkpoints
// what is left.
func (c *checkpointer) stop() {
	if c.conn == nil {
		return
	}
	c.once.Do(func() {
		close(c.done)
		c.wg.Wait()
		_ = c.conn.Close()
	})
}
