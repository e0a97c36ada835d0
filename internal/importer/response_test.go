package importer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/importer"
	"github.com/bankfeed/bankfeed/internal/ofx"
	"github.com/bankfeed/bankfeed/internal/ofx/ofxcorpus"
	"github.com/bankfeed/bankfeed/internal/store"
)

// TestImportResponseMatchesFile imports every corpus file the reader takes
// twice, each into a fresh store: as a file (the streaming pipeline) and as
// a response already read (ImportResponse, what a sync does). Both must
// store the same lines (every column), the same counts and the same
// statement results, and importing the response again must add nothing.
func TestImportResponseMatchesFile(t *testing.T) {
	dir, files, _ := ofxcorpus.Load(t)
	ctx := context.Background()
	compared := 0
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ofx.Read(bytes.NewReader(data))
		if err != nil {
			continue // rejected files are TestCorpus's
		}
		t.Run(name, func(t *testing.T) {
			file, stream := newEnv(t), newEnv(t)
			want, err := file.im.Import(ctx, bytes.NewReader(data), name, int64(len(data)), importer.Options{})
			if err != nil {
				t.Fatalf("file import: %v", err)
			}
			var got *importer.Result
			err = stream.db.Update(ctx, func(tx *store.Tx) (err error) {
				got, err = stream.im.ImportResponse(ctx, tx, resp, data, name, importer.Options{})
				return err
			})
			if err != nil {
				t.Fatalf("ImportResponse: %v", err)
			}
			if got.Counts != want.Counts || got.SHA256 != want.SHA256 || got.Size != want.Size {
				t.Errorf("counts %+v sha %s size %d, file import %+v %s %d", got.Counts, got.SHA256, got.Size,
					want.Counts, want.SHA256, want.Size)
			}
			if g, w := mustJSON(t, got.Statements), mustJSON(t, want.Statements); g != w {
				t.Errorf("statements:\n%s\nfile import:\n%s", g, w)
			}
			if g, w := fullLines(t, stream), fullLines(t, file); g != w {
				t.Errorf("lines differ:\n%s\nfile import:\n%s", g, w)
			}
			if g, w := stream.counts(), file.counts(); mustJSON(t, g) != mustJSON(t, w) {
				t.Errorf("table counts %v, file import %v", g, w)
			}
			err = stream.db.Update(ctx, func(tx *store.Tx) (err error) {
				got, err = stream.im.ImportResponse(ctx, tx, resp, data, name, importer.Options{})
				return err
			})
			if err != nil {
				t.Fatalf("ImportResponse again: %v", err)
			}
			if got.Counts.New != 0 {
				t.Errorf("the response imported again added %d lines", got.Counts.New)
			}
		})
		compared++
	}
	if compared < 50 {
		t.Fatalf("compared %d corpus files, want most of them", compared)
	}
}

// fullLines is every stored line with every column but its creation time.
func fullLines(t *testing.T, e *env) string {
	t.Helper()
	var b bytes.Buffer
	err := e.db.EachLine(context.Background(), bankfeed.LineFilter{}, func(l *bankfeed.Line) error {
		c := *l
		c.CreatedAt = time.Time{} // each store's clock ticks per call
		b.WriteString(mustJSON(t, c))
		b.WriteByte('\n')
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
