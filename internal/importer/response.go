package importer

import (
	"context"
	"crypto/sha256"

	"github.com/bankfeed/bankfeed/internal/ofx"
	"github.com/bankfeed/bankfeed/internal/store"
)

// ImportResponse imports a statement response already read whole with
// ofx.Read (a sync's answer, which the OFX client parsed) inside the
// caller's transaction; raw is the answer as received, for the import's
// size and hash. It writes what ImportTx would write for raw.
//
// The stages run one after another on the caller's goroutine, with no
// pipeline to start: an answer is small, and a transaction shared with
// other commits must not wait on a second parse of it. Every lookup of
// earlier lines is made in tx before the first line is written, so, like a
// file import's snapshot, it sees the store as it was before this import.
func (im *Importer) ImportResponse(ctx context.Context, tx *store.Tx, resp *ofx.Response, raw []byte, name string, opts Options) (*Result, error) {
	return im.ImportPrepared(ctx, tx, PrepareResponse(resp, raw), name, opts)
}

// PreparedResponse is a response made ready for its import before the
// transaction that imports it: its lines copied out of the statements,
// the answer hashed. A transaction shared with other commits waits for
// none of it.
type PreparedResponse struct {
	resp *ofx.Response
	size int64
	sum  [sha256.Size]byte
	msgs []message
	used bool // msgs were handed to an import, which changes them
}

// PrepareResponse prepares resp, read from raw, for ImportPrepared.
func PrepareResponse(resp *ofx.Response, raw []byte) *PreparedResponse {
	return &PreparedResponse{resp: resp, size: int64(len(raw)), sum: sha256.Sum256(raw), msgs: responseMessages(resp)}
}

// ImportPrepared is ImportResponse for a prepared response. It may run
// again on the same one (a shared transaction's fn runs again alone when
// the shared commit fails).
func (im *Importer) ImportPrepared(ctx context.Context, tx *store.Tx, p *PreparedResponse, name string, opts Options) (*Result, error) {
	res, err := im.importResponse(ctx, tx, p, name, opts)
	if err != nil {
		return nil, importError(ctx, name, err)
	}
	return res, nil
}

func (im *Importer) importResponse(ctx context.Context, tx *store.Tx, p *PreparedResponse, name string, opts Options) (*Result, error) {
	res, rec, w, err := im.begin(ctx, tx, name, p.size, opts)
	if err != nil {
		return nil, err
	}
	msgs := p.msgs
	if p.used {
		msgs = responseMessages(p.resp) // the first import changed them
	}
	p.used = true
	w.lineHint, w.hintExact = 0, true
	for _, m := range msgs {
		w.lineHint += len(m.lines)
	}
	defer w.close()

	pr := &preparer{snap: tx, forced: w.forced, accounts: map[string]*prepAccount{}}
	for i := range msgs {
		if err := pr.prepare(ctx, &msgs[i]); err != nil {
			return nil, err
		}
	}
	if w.forced != 0 {
		if a := pr.accounts[accountKey(w.forced, nil)]; a != nil {
			w.forcedAcct = a.stored // read in tx, which has written no account since
		}
	}
	cl := &classifier{accounts: map[string]*classAccount{}, hint: w.lineHint}
	for i := range msgs {
		cl.handle(&msgs[i])
	}
	for _, m := range msgs {
		if err := w.handle(ctx, m); err != nil {
			return nil, err
		}
	}
	if err := w.finish(ctx); err != nil {
		return nil, err
	}
	if err := review(ctx, tx, rec.ID, w, opts); err != nil {
		return nil, err
	}
	return res, end(ctx, tx, res, rec, p.resp, p.size, p.sum[:])
}

// responseMessages is what the reading stage would send for resp: for each
// statement, its start, its transactions in batches, its end.
func responseMessages(resp *ofx.Response) []message {
	var out []message
	for i := range resp.Statements {
		st := resp.Statements[i]
		info := infoOf(st)
		out = append(out, message{kind: msgStart, st: info})
		for start := 0; start < len(st.Transactions); start += batchSize {
			txns := st.Transactions[start:min(start+batchSize, len(st.Transactions))]
			lines := make([]rawLine, len(txns))
			for k := range txns {
				copyLine(&lines[k], &txns[k])
			}
			out = append(out, message{kind: msgLines, lines: lines})
		}
		out = append(out, message{kind: msgEnd, st: info})
	}
	return out
}
