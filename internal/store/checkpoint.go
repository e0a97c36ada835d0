package store

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"
)

// checkpointEvery is how often, at most, the checkpointer copies the WAL
// into the database file while commits come: about as often as SQLite's
// own 1,000-page threshold would at a sync's pace, without making the
// writer do it.
const checkpointEvery = 50 * time.Millisecond

// checkpointer copies the WAL into the database file on a connection of its
// own (PRAGMA wal_checkpoint(PASSIVE)), after commits, so the writer never
// stops to copy pages and sync the file: a lease that lets a bank's request
// go does not wait behind a checkpoint. A passive checkpoint waits for no
// one: it copies what readers and the writer allow and leaves the rest to
// the next. The zero value does nothing (an engine without a WAL).
type checkpointer struct {
	conn *sql.DB
	kc   chan struct{} // a commit happened
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
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
			// The writer checkpoints a WAL that grows too long itself.
			slog.Warn("store: checkpoint", "err", err)
		}
	}
}

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
