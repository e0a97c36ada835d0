// Package importer imports statement files into the store: each file in one
// transaction, all or nothing, with lines deduplicated per account by the ids
// the bank gave them.
//
// The file is read once: it is hashed as it streams through the OFX reader.
// Reading, looking up earlier lines, deduping and writing are stages on
// their own goroutines (pipeline.go), so they overlap on two cores.
package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/ofx"
	"github.com/bankfeed/bankfeed/internal/store"
)

// Options change how a file is imported.
type Options struct {
	// AccountID, when set, sends every statement of the file to that
	// account instead of the one the file names.
	AccountID bankfeed.AccountID
	// Progress, when set, is called as the file is read with the bytes
	// read so far and the file's size (0 when unknown). It runs on the
	// reading goroutine and must be quick.
	Progress func(read, total int64)
	// Reader limits; zero values are the reader's defaults.
	Reader ofx.Options
	// SyncRunID, when set, is recorded on every new line: the sync run
	// that fetched the statement.
	SyncRunID bankfeed.SyncRunID
	// Review, when set, runs in the import's transaction once every line
	// is written, with what each statement delivered: the review queue is
	// filled (or the whole import rolled back) together with the lines.
	Review func(ctx context.Context, tx *store.Tx, importID bankfeed.ImportID, ds []Delivered) error
}

// Delivered is what one statement of an import brought for one account:
// the dates it covers and every id it carried, new or already known. Its new
// lines are the import's lines of that account.
type Delivered struct {
	AccountID bankfeed.AccountID
	From, To  string // YYYY-MM-DD: the statement's start and end, else its lines' first and last date
	Present   []string
}

// Importer imports files into one store.
type Importer struct {
	db *store.DB
}

// New returns an importer writing to db.
func New(db *store.DB) *Importer { return &Importer{db: db} }

// ImportFile imports the file at path. A file that cannot be read whole
// (cut short, hostile, unreadable) writes nothing and returns an error with
// code invalid that wraps the reader's *ofx.SyntaxError.
func (im *Importer) ImportFile(ctx context.Context, path string, opts Options) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, bankfeed.Errorf(bankfeed.EInvalid, "open %s: %w", path, err)
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	return im.Import(ctx, f, path, size, opts)
}

// Import imports one statement file read from r; name is recorded with the
// import, size (0 if unknown) feeds the progress callback.
func (im *Importer) Import(ctx context.Context, r io.Reader, name string, size int64, opts Options) (*Result, error) {
	var res *Result
	err := im.db.Update(ctx, func(tx *store.Tx) (err error) {
		res, err = im.importTx(ctx, tx, r, name, size, opts)
		return err
	})
	if err != nil {
		return nil, importError(ctx, name, err)
	}
	return res, nil
}

// ImportTx imports one statement read from r inside the caller's
// transaction, which commits it together with whatever else it writes (a
// sync run, its cursor) or rolls it all back.
func (im *Importer) ImportTx(ctx context.Context, tx *store.Tx, r io.Reader, name string, size int64, opts Options) (*Result, error) {
	res, err := im.importTx(ctx, tx, r, name, size, opts)
	if err != nil {
		return nil, importError(ctx, name, err)
	}
	return res, nil
}

func (im *Importer) importTx(ctx context.Context, tx *store.Tx, r io.Reader, name string, size int64, opts Options) (*Result, error) {
	h := sha256.New()
	src := &countingReader{r: io.TeeReader(r, h), total: size, progress: opts.Progress}
	res, rec, w, err := im.begin(ctx, tx, name, size, opts)
	if err != nil {
		return nil, err
	}
	// A transaction takes 150 to 250 bytes of SGML; err on the low side.
	w.lineHint = int(min(size/250, 4_000_000))
	defer w.close()
	resp, err := w.run(ctx, src, opts.Reader)
	if err != nil {
		return nil, err
	}
	if err := w.finish(ctx); err != nil {
		return nil, err
	}
	if err := review(ctx, tx, rec.ID, w, opts); err != nil {
		return nil, err
	}
	if res.AlreadyImported, err = tx.EarlierImport(ctx, hex.EncodeToString(h.Sum(nil)), rec.ID); err != nil {
		return nil, err
	}
	return res, end(ctx, tx, res, rec, resp, src.n, h.Sum(nil))
}

// begin records the import and returns its result and writer.
func (im *Importer) begin(ctx context.Context, tx *store.Tx, name string, size int64, opts Options) (*Result, *bankfeed.Import, *writer, error) {
	res := &Result{File: name, Statements: []*StatementResult{}, Skipped: []Skip{}, Collisions: []Collision{}, Warnings: []string{}}
	rec := &bankfeed.Import{FileName: name, FileSize: size}
	if err := tx.CreateImport(ctx, rec); err != nil {
		return nil, nil, nil, err
	}
	w := newWriter(im.db, tx, res, rec.ID, opts.AccountID)
	w.review = opts.Review != nil
	if opts.SyncRunID != 0 {
		id := opts.SyncRunID
		w.syncRun = &id
	}
	return res, rec, w, nil
}

// end completes the result with what the reader said of the document, and
// the import's record with the result.
func end(ctx context.Context, tx *store.Tx, res *Result, rec *bankfeed.Import, resp *ofx.Response, size int64, sum []byte) error {
	res.ImportID = rec.ID
	res.Size = size
	res.SHA256 = hex.EncodeToString(sum)
	res.Format, res.Version = resp.Format, resp.Version
	for _, s := range resp.Warnings {
		res.warn(s)
	}
	res.WarningsDropped += resp.WarningsDropped
	res.Counts.Warnings = len(res.Warnings) + res.WarningsDropped
	rec.FileSHA256, rec.FileSize, rec.ImportCounts = res.SHA256, res.Size, res.Counts
	return tx.FinishImport(ctx, rec)
}

// review runs Options.Review on what the import delivered, in its
// transaction.
func review(ctx context.Context, tx *store.Tx, id bankfeed.ImportID, w *writer, opts Options) error {
	if opts.Review == nil || len(w.delivered) == 0 {
		return nil
	}
	if err := opts.Review(ctx, tx, id, w.delivered); err != nil {
		return fmt.Errorf("review: %w", err)
	}
	return nil
}

// importError says which file failed and that nothing of it was kept.
func importError(ctx context.Context, name string, err error) error {
	var se *ofx.SyntaxError
	if errors.As(err, &se) {
		return &bankfeed.Error{Code: bankfeed.EInvalid, Message: fmt.Sprintf("%s: %v", name, se), Err: err}
	}
	if bankfeed.ErrorCodeOf(err) == bankfeed.EInternal && ctx.Err() == nil {
		return fmt.Errorf("import %s: %w", name, err)
	}
	return fmt.Errorf("import %s: nothing imported: %w", name, err)
}

// countingReader counts bytes for the progress callback and the file size.
type countingReader struct {
	r        io.Reader
	n        int64
	total    int64
	progress func(read, total int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil && n > 0 {
		c.progress(c.n, max(c.total, c.n))
	}
	return n, err
}
