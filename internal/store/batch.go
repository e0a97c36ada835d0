package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// maxBatch bounds the calls one shared transaction of Batch takes, and
// maxSlow those of them that came through Batch rather than BatchFirst: a
// quick call waits for at most one batch of slow ones.
const (
	maxBatch = 64
	maxSlow  = 4
)

// batchCall is one fn waiting for Batch's committer.
type batchCall struct {
	ctx   context.Context
	fn    func(tx *Tx) error
	done  chan batchResult
	first bool // came through BatchFirst
}

type batchResult struct {
	err   error
	panic any
}

// batcher runs the calls of Batch on one goroutine, several to a
// transaction.
type batcher struct {
	once   sync.Once
	mu     sync.RWMutex
	closed bool
	calls  chan batchCall // slow calls
	first  chan batchCall // quick calls, run before the slow ones
	wg     sync.WaitGroup
}

// Batch runs fn in a write transaction that it may share with the fns of
// other goroutines calling Batch at the same time, so that they commit
// together: under load, one commit for many small transactions instead of
// one each, and no wait for the writer between them.
//
// Each fn runs in its own savepoint: an error (or a panic) rolls back its
// own writes only, and is returned to its caller alone. When the shared
// commit fails, the fns that succeeded run again, each alone in its own
// transaction (as Update runs it), so fn must be safe to run twice, from
// the start. fn must not expect a read outside tx (a Snapshot) to see what
// another fn of the batch wrote: that is not committed yet.
//
// Batch returns once fn's writes are committed or rolled back, whatever ctx
// says meanwhile; ctx is what fn's statements run under, and a fn whose ctx
// is done before its turn does not run.
func (db *DB) Batch(ctx context.Context, fn func(tx *Tx) error) error {
	return db.batchCall(ctx, fn, false)
}

// BatchFirst is Batch for a quick fn that others wait for (taking a lease):
// it goes into the next batch ahead of the calls of Batch.
func (db *DB) BatchFirst(ctx context.Context, fn func(tx *Tx) error) error {
	return db.batchCall(ctx, fn, true)
}

func (db *DB) batchCall(ctx context.Context, fn func(tx *Tx) error, first bool) error {
	b := &db.batch
	b.once.Do(func() {
		b.calls = make(chan batchCall, maxBatch)
		b.first = make(chan batchCall, maxBatch)
		b.wg.Add(1)
		go db.commitBatches()
	})
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return fmt.Errorf("batch: %w", sql.ErrConnDone)
	}
	c := batchCall{ctx: ctx, fn: fn, done: make(chan batchResult, 1), first: first}
	if first {
		b.first <- c
	} else {
		b.calls <- c
	}
	b.mu.RUnlock()
	r := <-c.done
	if r.panic != nil {
		panic(r.panic)
	}
	return r.err
}

// closeBatches stops the committer once the calls queued are done.
func (db *DB) closeBatches() {
	b := &db.batch
	b.once.Do(func() {}) // no committer starts after Close
	b.mu.Lock()
	if !b.closed && b.calls != nil {
		close(b.calls)
		close(b.first)
	}
	b.closed = true
	b.mu.Unlock()
	b.wg.Wait()
}

// commitBatches is the committer: it takes the calls waiting, quick ones
// first, runs them in one transaction and commits.
func (db *DB) commitBatches() {
	b := &db.batch
	defer b.wg.Done()
	first, calls := b.first, b.calls
	for first != nil || calls != nil {
		var batch []batchCall
		select {
		case c, ok := <-first:
			if !ok {
				first = nil
				continue
			}
			batch = append(batch, c)
		case c, ok := <-calls:
			if !ok {
				calls = nil
				continue
			}
			batch = append(batch, c)
		}
		// Every quick call waiting, then slow ones up to maxSlow.
		slow := 0
		if !batch[0].first {
			slow = 1
		}
		for len(batch) < maxBatch {
			c, ok, got := receive(first)
			if !got && slow < maxSlow {
				if c, ok, got = receive(calls); got && ok {
					slow++
				}
				if got && !ok {
					calls = nil
				}
			} else if got && !ok {
				first = nil
			}
			if !got {
				break
			}
			if ok {
				batch = append(batch, c)
			}
		}
		db.runBatch(batch)
	}
}

// receive takes a call from ch if one is waiting: got is false when none
// is, ok false when ch is closed (or nil).
func receive(ch chan batchCall) (c batchCall, ok, got bool) {
	if ch == nil {
		return batchCall{}, false, false
	}
	select {
	case c, ok = <-ch:
		return c, ok, true
	default:
		return batchCall{}, false, false
	}
}

func (db *DB) runBatch(calls []batchCall) {
	if len(calls) == 1 {
		c := calls[0]
		c.done <- db.runAlone(c)
		return
	}
	ctx := context.Background()
	results := make([]batchResult, len(calls))
	err := db.Update(ctx, func(tx *Tx) error {
		for i, c := range calls {
			var broken error
			if results[i], broken = db.runSavepoint(tx, c); broken != nil {
				// A call's writes could not be undone: none of the batch
				// commits.
				return broken
			}
		}
		return nil
	})
	for i, c := range calls {
		r := results[i]
		if err != nil && r.err == nil && r.panic == nil {
			// The shared commit failed: this fn's writes are gone. Alone,
			// it commits or fails by itself.
			r = db.runAlone(c)
		}
		c.done <- r
	}
}

// runAlone runs one call in its own transaction.
func (db *DB) runAlone(c batchCall) (r batchResult) {
	if err := context.Cause(c.ctx); err != nil {
		return batchResult{err: err}
	}
	defer func() {
		if p := recover(); p != nil {
			r = batchResult{panic: p}
		}
	}()
	return batchResult{err: db.Update(c.ctx, c.fn)}
}

// runSavepoint runs one call of a shared transaction in its own savepoint.
// broken is set when the call's writes could not be rolled back: the shared
// transaction must not commit.
func (db *DB) runSavepoint(tx *Tx, c batchCall) (r batchResult, broken error) {
	if err := context.Cause(c.ctx); err != nil {
		return batchResult{err: err}, nil
	}
	// A fresh context for the savepoint's own statements: the call's may
	// be what failed it.
	bg := context.Background()
	if _, err := tx.tx.ExecContext(bg, `SAVEPOINT batch_call`); err != nil {
		return batchResult{err: db.d.wrap("savepoint", err)}, db.d.wrap("savepoint", err)
	}
	undo := func() {
		_, err := tx.tx.ExecContext(bg, `ROLLBACK TO batch_call`)
		if err == nil {
			_, err = tx.tx.ExecContext(bg, `RELEASE batch_call`)
		}
		if err != nil {
			broken = db.d.wrap("roll back to savepoint", err)
		}
	}
	defer func() {
		if p := recover(); p != nil {
			undo()
			r = batchResult{panic: p}
		}
	}()
	if err := c.fn(tx); err != nil {
		undo()
		return batchResult{err: err}, broken
	}
	if _, err := tx.tx.ExecContext(bg, `RELEASE batch_call`); err != nil {
		undo()
		return batchResult{err: db.d.wrap("release savepoint", err)}, broken
	}
	return batchResult{}, nil
}
