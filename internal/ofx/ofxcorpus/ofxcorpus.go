// Package ofxcorpus locates the shared corpus of real-world statement files
// and reads its ground truth, EXPECTED.tsv, for the tests of every package
// that reads statements. The corpus lives beside the repository
// (../shared/corpus/ofx) and is never copied into it: its files keep their
// own licences.
package ofxcorpus

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// Dir returns the corpus directory: $BANKFEED_CORPUS, else ../shared/corpus/ofx
// beside the repository. Without a corpus the test is skipped, or fails when
// CI=true, since a skipped test proves nothing there.
func Dir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("BANKFEED_CORPUS")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		// file is <repo>/internal/ofx/ofxcorpus/ofxcorpus.go
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "shared", "corpus", "ofx")
	}
	if _, err := os.Stat(filepath.Join(dir, "EXPECTED.tsv")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("corpus missing under CI: %v", err)
		}
		t.Skipf("corpus not found (%v); set BANKFEED_CORPUS", err)
	}
	return dir
}

// Files returns the statement files of the corpus, sorted by name.
func Files(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasSuffix(name, ".tsv") || strings.HasSuffix(name, ".md") {
			continue
		}
		files = append(files, name)
	}
	return files, nil
}

// Row is one line of EXPECTED.tsv: one statement of a file, or the file's
// only line when it has no statement.
type Row struct {
	File         string
	Outcome      string // statements, error_response, no_statements, reject
	Index        int
	Kind         string
	AccountID    string
	Currency     string
	Transactions int
	Sum          string // exact decimal
	Ledger       string // exact decimal, "" for none
	SignonStatus string // "" when the file has none
	StmtStatus   string // "" when not given
}

// Expected reads EXPECTED.tsv, grouped by file name.
func Expected(dir string) (map[string][]Row, error) {
	f, err := os.Open(filepath.Join(dir, "EXPECTED.tsv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = '\t'
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read EXPECTED.tsv header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	var missing []error
	for _, need := range []string{"file", "outcome", "stmt_index", "stmt_kind", "acct_id", "currency", "n_txn", "sum_amount", "ledger_balance", "signon_status", "stmt_status"} {
		if _, ok := col[need]; !ok {
			missing = append(missing, fmt.Errorf("EXPECTED.tsv has no column %q", need))
		}
	}
	if err := errors.Join(missing...); err != nil {
		return nil, err
	}
	rows := map[string][]Row{}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("EXPECTED.tsv line %d: %w", line, err)
		}
		get := func(k string) string {
			if i := col[k]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row := Row{
			File: get("file"), Outcome: get("outcome"), Kind: get("stmt_kind"), AccountID: get("acct_id"),
			Currency: get("currency"), Sum: get("sum_amount"), Ledger: get("ledger_balance"),
			SignonStatus: get("signon_status"), StmtStatus: get("stmt_status"),
		}
		for k, dst := range map[string]*int{"stmt_index": &row.Index, "n_txn": &row.Transactions} {
			if s := get(k); s != "" {
				if *dst, err = strconv.Atoi(s); err != nil {
					return nil, fmt.Errorf("EXPECTED.tsv line %d: %s %q: %w", line, k, s, err)
				}
			}
		}
		rows[row.File] = append(rows[row.File], row)
	}
	return rows, nil
}

// Load returns the corpus directory, its statement files and their expected
// rows, failing the test if any cannot be read.
func Load(t testing.TB) (dir string, files []string, expected map[string][]Row) {
	t.Helper()
	dir = Dir(t)
	files, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	if expected, err = Expected(dir); err != nil {
		t.Fatal(err)
	}
	return dir, files, expected
}
