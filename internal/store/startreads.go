package store

import (
	"context"
	"sync"

	"github.com/bankfeed/bankfeed"
)

// startBatch bounds the connections one read transaction of SyncStartRuns
// reads, and startReaders the transactions that read at once: the other
// readers stay free for the reads a sync makes as it goes.
const (
	startBatch   = 32
	startReaders = 2
)

// startReads queues the calls of SyncStartRuns.
type startReads struct {
	mu      sync.Mutex
	queue   []*startCall
	readers int // goroutines reading batches
}

type startCall struct {
	id    bankfeed.ConnectionID
	limit int
	st    *SyncStart
	err   error
	done  chan struct{}
}

// read queues one call and waits for it, starting a reader when fewer
// than startReaders run.
func (r *startReads) read(ctx context.Context, db *DB, id bankfeed.ConnectionID, limit int) (*SyncStart, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := &startCall{id: id, limit: limit, done: make(chan struct{})}
	r.mu.Lock()
	r.queue = append(r.queue, c)
	start := r.readers < startReaders
	if start {
		r.readers++
	}
	r.mu.Unlock()
	if start {
		go r.run(db)
	}
	select {
	case <-c.done:
		return c.st, c.err
	case <-ctx.Done():
		// The call is read anyway, and its answer dropped.
		return nil, context.Cause(ctx)
	}
}

// run reads batches of queued calls, oldest first, until none is left.
// A batch takes the calls of the oldest one's limit.
func (r *startReads) run(db *DB) {
	for {
		r.mu.Lock()
		if len(r.queue) == 0 {
			r.readers--
			r.mu.Unlock()
			return
		}
		limit := r.queue[0].limit
		var batch []*startCall
		rest := r.queue[:0]
		for _, c := range r.queue {
			if len(batch) < startBatch && c.limit == limit {
				batch = append(batch, c)
			} else {
				rest = append(rest, c)
			}
		}
		clear(r.queue[len(rest):])
		r.queue = rest
		r.mu.Unlock()
		r.readBatch(db, batch, limit)
	}
}

// readBatch reads every call of batch in one read transaction. A call's
// own failure (a connection gone) is its own; a failure of the
// transaction is every call's that it left unread.
func (r *startReads) readBatch(db *DB, batch []*startCall, limit int) {
	ctx := context.Background()
	read := 0
	err := db.view(ctx, func(tx cachedTx) error {
		for _, c := range batch {
			c.st, c.err = db.readSyncStart(ctx, tx, c.id, limit)
			if c.err != nil && bankfeed.ErrorCodeOf(c.err) != bankfeed.ENotFound {
				return c.err
			}
			read++
		}
		return nil
	})
	for i, c := range batch {
		if i >= read {
			c.st, c.err = nil, err
		}
		close(c.done)
	}
}
