package store

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// maxBatch bounds the calls one shared transaction of Batch takes, and
// slowBudget how long it goes on taking calls of Batch (slow ones) after it
// began: a quick call (BatchFirst), which joins the transaction under way
// at once, waits for about that long and the commit. A longer transaction
// commits fewer times for as many calls: each commit writes the pages its
// calls changed to the WAL, a page that several calls changed once.
const (
	maxBatch   = 64
	slowBudget = 10 * time.Millisecond
	yieldEvery = time.Millisecond
)

// batchCall is one fn waiting for Batch's committer.
type batchCall struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	done chan batchResult
	now  bool // came through BatchNow
}

// The queues of Batch, BatchFirst and BatchNow.
const (
	queueSlow = iota
	queueFirst
	queueNow
)

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
	now    chan batchCall // calls a request waits on, run before the quick ones
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
	return db.batchCall(ctx, fn, queueSlow)
}

// BatchFirst is Batch for a quick fn that others wait for (taking a lease):
// it goes into the next batch ahead of the calls of Batch.
func (db *DB) BatchFirst(ctx context.Context, fn func(tx *Tx) error) error {
	return db.batchCall(ctx, fn, queueFirst)
}

// BatchNow is BatchFirst for a quick fn that something waits on right
// now (a lease that lets a request go): it goes ahead of the calls of
// BatchFirst, which many may make at once, and the transaction it joins
// takes no more calls but those of BatchNow, and commits at once.
func (db *DB) BatchNow(ctx context.Context, fn func(tx *Tx) error) error {
	return db.batchCall(ctx, fn, queueNow)
}

func (db *DB) batchCall(ctx context.Context, fn func(tx *Tx) error, queue int) error {
	b := &db.batch
	b.once.Do(func() {
		b.calls = make(chan batchCall, maxBatch)
		b.first = make(chan batchCall, maxBatch)
		b.now = make(chan batchCall, maxBatch)
		b.wg.Add(1)
		go db.commitBatches()
	})
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return fmt.Errorf("batch: %w", sql.ErrConnDone)
	}
	c := batchCall{ctx: ctx, fn: fn, done: make(chan batchResult, 1), now: queue == queueNow}
	switch queue {
	case queueNow:
		b.now <- c
	case queueFirst:
		b.first <- c
	default:
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
		close(b.now)
	}
	b.closed = true
	b.mu.Unlock()
	b.wg.Wait()
}

// commitBatches is the committer: it takes a call, and when others wait,
// runs it in a transaction with them and with the calls that come while it
// runs, quick ones first, slow ones while the transaction is young (see
// slowBudget), then commits.
func (db *DB) commitBatches() {
	b := &db.batch
	defer b.wg.Done()
	q := &batchQueue{now: b.now, first: b.first, calls: b.calls}
	for {
		c, ok := q.wait()
		if !ok {
			return
		}
		if !q.waiting() {
			c.done <- db.runAlone(c)
			continue
		}
		db.runBatch(c, q)
	}
}

// batchQueue is the committer's side of Batch's channels; a channel is nil
// once closed.
type batchQueue struct {
	now, first, calls chan batchCall
}

// wait returns the next call, a quick one first, waiting for one; false
// once the channels are closed and drained.
func (q *batchQueue) wait() (batchCall, bool) {
	for q.now != nil || q.first != nil || q.calls != nil {
		if c, ok := q.next(true); ok {
			return c, true
		}
		if q.now == nil && q.first == nil && q.calls == nil {
			break
		}
		select {
		case c, ok := <-q.now:
			if ok {
				return c, true
			}
			q.now = nil
		case c, ok := <-q.first:
			if ok {
				return c, true
			}
			q.first = nil
		case c, ok := <-q.calls:
			if ok {
				return c, true
			}
			q.calls = nil
		}
	}
	return batchCall{}, false
}

// next returns a call already waiting, a quick one first, a slow one only
// when slow is true.
func (q *batchQueue) next(slow bool) (batchCall, bool) {
	if c, ok := receive(&q.now); ok {
		return c, true
	}
	if c, ok := receive(&q.first); ok {
		return c, true
	}
	if slow {
		return receive(&q.calls)
	}
	return batchCall{}, false
}

// waiting reports whether a call waits.
func (q *batchQueue) waiting() bool {
	return len(q.now) > 0 || len(q.first) > 0 || len(q.calls) > 0
}

// receive takes a call from *ch if one is waiting, and sets *ch to nil when
// it is closed.
func receive(ch *chan batchCall) (batchCall, bool) {
	if *ch == nil {
		return batchCall{}, false
	}
	select {
	case c, ok := <-*ch:
		if !ok {
			*ch = nil
		}
		return c, ok
	default:
		return batchCall{}, false
	}
}

// runBatch runs first, then the calls q has, in one transaction.
func (db *DB) runBatch(first batchCall, q *batchQueue) {
	calls := []batchCall{first}
	var results []batchResult
	began := time.Now()
	urgent := false // a call of BatchNow is in: no more calls but its kind
	yielded := began
	err := db.Update(context.Background(), func(tx *Tx) error {
		for i := 0; ; i++ {
			urgent = urgent || calls[i].now
			r, broken := db.runSavepoint(tx, calls[i])
			results = append(results, r)
			if broken != nil {
				// A call's writes could not be undone: none of the batch
				// commits.
				return broken
			}
			if len(calls) == maxBatch {
				return nil
			}
			var c batchCall
			var ok bool
			if urgent {
				// A request waits on this commit: only calls as
				// urgent join it, and the committer does not yield.
				c, ok = receive(&q.now)
			} else {
				// The committer is busy for as long as calls come;
				// now and then between two, the goroutines that wait
				// for a CPU (a request to send, an answer to read) run
				// first. Not when a call of BatchNow waits.
				if len(q.now) == 0 && time.Since(yielded) >= yieldEvery {
					runtime.Gosched()
					yielded = time.Now()
				}
				c, ok = q.next(time.Since(began) < slowBudget)
			}
			if !ok {
				return nil
			}
			calls = append(calls, c)
		}
	})
	for i, c := range calls {
		var r batchResult
		if i < len(results) {
			r = results[i]
		}
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
	if _, err := tx.q().ExecContext(bg, `SAVEPOINT batch_call`); err != nil {
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
	if _, err := tx.q().ExecContext(bg, `RELEASE batch_call`); err != nil {
		undo()
		return batchResult{err: db.d.wrap("release savepoint", err)}, broken
	}
	return batchResult{}, nil
}
