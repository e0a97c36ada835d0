package importer

import (
	"context"
	"io"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx"
	"github.com/bankfeed/bankfeed/internal/store"
)

// batchSize is the transactions the reader hands the writer at a time.
const batchSize = 1000

// rawLine is what the importer keeps of one transaction, copied on the
// reading goroutine (the reader reuses its Transaction).
type rawLine struct {
	line          int
	kind, trnType string
	fitid         string
	postedValid   bool
	postedDay     string
	postedAt      time.Time // zero unless the bank gave a time of day
	userDay       string
	amount        bankfeed.Decimal
	amountSet     bool
	name, memo    string
	checkNum      string
	refNum        string
	srvrTID       string
	currency      string
	securityID    string
	units         string
	unitPrice     string
	// Set by the preparing stage.
	skip        string // why the line cannot be imported, or ""
	synthesized bool   // fitid was made up
	// Set by the classifier.
	verdict  verdict
	seq      int64     // the order in which new lines are written
	conflict *conflict // for a collision
}

func copyLine(dst *rawLine, t *ofx.Transaction) {
	*dst = rawLine{
		line: t.Line, kind: t.Kind, trnType: t.TrnType, fitid: t.FITID,
		postedValid: t.Posted.Valid, amount: t.Amount, amountSet: t.AmountSet,
		name: t.Name, memo: t.Memo, checkNum: t.CheckNum, refNum: t.RefNum, srvrTID: t.SrvrTID, currency: t.Currency,
		securityID: t.SecID.UniqueID, units: t.Units, unitPrice: t.UnitPrice,
	}
	if dst.name == "" {
		dst.name = t.Payee
	}
	if t.Posted.Valid {
		dst.postedDay = t.Posted.Day()
		if t.Posted.HasTime {
			dst.postedAt = t.Posted.Time
		}
	}
	if t.User.Valid {
		dst.userDay = t.User.Day()
	}
}

// stmtInfo is a copy of a statement as the reader had it: at its first
// transaction for a start message, complete for an end message.
type stmtInfo struct {
	ofx.Statement
	signon ofx.Signon
}

func infoOf(st *ofx.Statement) *stmtInfo {
	info := &stmtInfo{Statement: *st}
	info.Transactions = nil
	if st.Signon != nil {
		info.signon = *st.Signon
	}
	info.Statement.Signon = &info.signon
	return info
}

type msgKind int

const (
	msgStart msgKind = iota // a statement begins: its account is known
	msgLines                // a batch of its transactions
	msgEnd                  // it ended: every field known
)

type message struct {
	kind  msgKind
	st    *stmtInfo
	lines []rawLine
	// acctKey names the statement's account for a start message, "" when
	// it has none (set by the preparer).
	acctKey string
	// prior holds, for a batch of lines, the lines earlier imports stored
	// under the same ids (set by the preparer).
	prior map[string][]store.AliasMatch
	// flags are the seqs of earlier lines of this file that lines of this
	// batch collide with (set by the classifier).
	flags []int64
}

// parser runs on the reading goroutine: it copies transactions into batches
// and sends them, with the statements' starts and ends, to the writer.
type parser struct {
	ctx    context.Context
	out    chan<- message
	free   chan []rawLine
	forced bool // an account was chosen: the file's need not name one
	cur    *parseStmt
}

// parseStmt is the statement being read. A statement whose account or
// currency is not known at its first transaction (an out-of-order file) is
// held whole until it ends.
type parseStmt struct {
	index    int
	started  bool
	deferred bool
	batch    []rawLine
	held     [][]rawLine
}

func (p *parser) send(m message) error {
	select {
	case p.out <- m:
		return nil
	case <-p.ctx.Done():
		return context.Cause(p.ctx)
	}
}

func (p *parser) newBatch() []rawLine {
	select {
	case b := <-p.free:
		return b[:0]
	default:
		return make([]rawLine, 0, batchSize)
	}
}

func (p *parser) transaction(st *ofx.Statement, t *ofx.Transaction) error {
	if p.cur == nil || p.cur.index != st.Index {
		p.cur = &parseStmt{index: st.Index, batch: p.newBatch()}
		p.cur.deferred = (!p.forced && st.Account.AcctID == "") || st.Currency == ""
		if !p.cur.deferred {
			p.cur.started = true
			if err := p.send(message{kind: msgStart, st: infoOf(st)}); err != nil {
				return err
			}
		}
	}
	c := p.cur
	c.batch = c.batch[:len(c.batch)+1]
	copyLine(&c.batch[len(c.batch)-1], t)
	if len(c.batch) == cap(c.batch) {
		if c.deferred {
			c.held = append(c.held, c.batch)
		} else if err := p.send(message{kind: msgLines, lines: c.batch}); err != nil {
			return err
		}
		c.batch = p.newBatch()
	}
	return nil
}

func (p *parser) statementEnd(st *ofx.Statement) error {
	c := p.cur
	if c == nil || c.index != st.Index {
		c = &parseStmt{index: st.Index}
	}
	p.cur = nil
	info := infoOf(st)
	if !c.started {
		if err := p.send(message{kind: msgStart, st: info}); err != nil {
			return err
		}
	}
	for _, b := range c.held {
		if err := p.send(message{kind: msgLines, lines: b}); err != nil {
			return err
		}
	}
	if len(c.batch) > 0 {
		if err := p.send(message{kind: msgLines, lines: c.batch}); err != nil {
			return err
		}
	}
	return p.send(message{kind: msgEnd, st: info})
}

// run streams src through four stages, each on its own goroutine: the
// reader copies transactions into batches; the preparer checks them,
// completes their ids and looks up earlier lines on a reader connection; the
// classifier dedupes; the writer (this goroutine, the transaction's) writes.
// Stages overlap on two cores. On any error every stage stops and the first
// error is returned.
func (w *writer) run(ctx context.Context, src io.Reader, opts ofx.Options) (*ofx.Response, error) {
	snap, err := w.db.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	read := make(chan message, 4)
	free := make(chan []rawLine, 16)
	var resp *ofx.Response
	go func() {
		defer close(read)
		p := &parser{ctx: ctx, out: read, free: free, forced: w.forced != 0}
		var err error
		resp, err = ofx.Stream(src, opts, ofx.Handler{Transaction: p.transaction, StatementEnd: p.statementEnd})
		if err == nil {
			// Hash what follows the document too: the hash is the file's.
			_, err = io.Copy(io.Discard, src)
		}
		if err != nil {
			cancel(err)
		}
	}()
	pr := &preparer{snap: snap, forced: w.forced, accounts: map[string]*prepAccount{}}
	prepared := stage(ctx, cancel, read, func(m *message) error { return pr.prepare(ctx, m) })
	cl := &classifier{accounts: map[string]*classAccount{}, hint: w.lineHint}
	classified := stage(ctx, cancel, prepared, func(m *message) error {
		cl.handle(m)
		return nil
	})
	failed := false
	for m := range classified {
		if failed {
			continue // drain until the other stages see the cancellation
		}
		if err := w.handle(ctx, m); err != nil {
			cancel(err)
			failed = true
			continue
		}
		if m.lines != nil {
			select {
			case free <- m.lines:
			default:
			}
		}
	}
	// Every stage has ended (each closes its output after its input
	// closed), and every error canceled ctx: its cause is the first.
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return resp, nil
}

// stage runs fn on every message of in, on its own goroutine, and passes
// them on. After an error (which cancels ctx) it drains in.
func stage(ctx context.Context, cancel context.CancelCauseFunc, in <-chan message, fn func(*message) error) <-chan message {
	out := make(chan message, 4)
	go func() {
		defer close(out)
		failed := false
		for m := range in {
			if failed {
				continue
			}
			if err := fn(&m); err != nil {
				cancel(err)
				failed = true
				continue
			}
			select {
			case out <- m:
			case <-ctx.Done():
				failed = true
			}
		}
	}()
	return out
}
