package web

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
)

// booksTxn is one STMTTRN of a test statement.
type booksTxn struct{ fitid, date, amount, name string }

// booksOFX renders an OFX 1.02 checking statement for account acct.
func booksOFX(acct string, txns ...booksTxn) string {
	var b strings.Builder
	b.WriteString("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n")
	b.WriteString("<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20260301<LANGUAGE>ENG<FI><ORG>TESTBANK<FID>1234</FI></SONRS></SIGNONMSGSRSV1>\n")
	b.WriteString("<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD\n")
	fmt.Fprintf(&b, "<BANKACCTFROM><BANKID>111000025<ACCTID>%s<ACCTTYPE>CHECKING</BANKACCTFROM>\n", acct)
	b.WriteString("<BANKTRANLIST><DTSTART>20260101<DTEND>20260228\n")
	for _, t := range txns {
		typ := "DEBIT"
		if !strings.HasPrefix(t.amount, "-") {
			typ = "CREDIT"
		}
		fmt.Fprintf(&b, "<STMTTRN><TRNTYPE>%s<DTPOSTED>%s<TRNAMT>%s<FITID>%s<NAME>%s</STMTTRN>\n", typ, strings.ReplaceAll(t.date, "-", ""), t.amount, t.fitid, t.name)
	}
	b.WriteString("</BANKTRANLIST><LEDGERBAL><BALAMT>1000.00<DTASOF>20260228</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n")
	return b.String()
}

// booksStatement is a statement of three lines For Review.
func booksStatement() string {
	return booksOFX("1001", booksTxn{"f1", "2026-01-05", "-12.50", "COFFEE HOUSE"},
		booksTxn{"f2", "2026-01-06", "-80.00", "HARDWARE STORE"},
		booksTxn{"f3", "2026-01-07", "2500.00", "PAYROLL ACME"})
}

// booksUpload sends files (name → content) to POST /api/v1/imports.
func (e *testEnv) booksUpload(c *http.Client, files map[string]string) *http.Response {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for name, content := range files {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			e.t.Fatal(err)
		}
		io.WriteString(fw, content)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/imports", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(b))
	return res
}

// booksLoad imports booksStatement as the bookkeeper and returns the ids
// of the lines For Review.
func (e *testEnv) booksLoad(c *http.Client) []int64 {
	e.t.Helper()
	decode(e.t, e.booksUpload(c, map[string]string{"jan.ofx": booksStatement()}), http.StatusOK, nil)
	return e.booksQueue(c, "")
}

// booksQueue returns the ids the queue lists with the query q.
func (e *testEnv) booksQueue(c *http.Client, q string) []int64 {
	e.t.Helper()
	var page struct {
		Items []struct {
			LineID int64  `json:"line_id"`
			State  string `json:"state"`
		} `json:"items"`
		Next string `json:"next"`
	}
	decode(e.t, e.do(c, "GET", "/api/v1/review?"+q, nil), http.StatusOK, &page)
	var ids []int64
	for _, it := range page.Items {
		ids = append(ids, it.LineID)
	}
	return ids
}

func TestImportUpload(t *testing.T) {
	e := newTestEnv(t)
	bk := e.signIn("bookkeeper")
	type answer struct {
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
		Imported, Rejected int
		Files              []struct {
			File    string `json:"file"`
			Outcome string `json:"outcome"`
			Error   string `json:"error"`
			Counts  struct {
				New, Duplicate int
			} `json:"counts"`
		} `json:"files"`
	}
	tests := []struct {
		name       string
		files      map[string]string
		status     int
		wantNew    int
		wantDup    int
		wantErrHas string
		wantLines  int
	}{
		{"first upload makes lines", map[string]string{"jan.ofx": booksStatement()}, 200, 3, 0, "", 3},
		{"the same file again makes none", map[string]string{"jan-again.ofx": booksStatement()}, 200, 0, 3, "", 3},
		{"a bad file is refused whole", map[string]string{"broken.qfx": booksStatement()[:400]}, 400, 0, 0, "broken.qfx", 3},
		{"not OFX at all", map[string]string{"notes.txt": "hello, world"}, 400, 0, 0, "notes.txt", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a answer
			decode(t, e.booksUpload(bk, tt.files), tt.status, &a)
			if len(a.Files) != 1 {
				t.Fatalf("files %+v", a.Files)
			}
			f := a.Files[0]
			if tt.wantErrHas != "" {
				if f.Outcome != "rejected" || a.Error == nil || !strings.Contains(a.Error.Message, tt.wantErrHas) || !strings.Contains(f.Error, tt.wantErrHas) {
					t.Errorf("answer %+v, want a rejection naming %s", a, tt.wantErrHas)
				}
			} else if f.Counts.New != tt.wantNew || f.Counts.Duplicate != tt.wantDup {
				t.Errorf("counts %+v, want %d new, %d duplicate", f.Counts, tt.wantNew, tt.wantDup)
			}
			lines, err := e.db.Lines(t.Context(), bankfeedLineFilter())
			if err != nil {
				t.Fatal(err)
			}
			if len(lines) != tt.wantLines {
				t.Errorf("%d lines stored, want %d", len(lines), tt.wantLines)
			}
		})
	}
	// Only the good imports are recorded.
	var ims []map[string]any
	decode(t, e.do(bk, "GET", "/api/v1/imports", nil), 200, &ims)
	if len(ims) != 2 {
		t.Errorf("%d imports recorded, want 2", len(ims))
	}
	// A viewer may not upload.
	if res := e.booksUpload(e.signIn("viewer"), map[string]string{"jan.ofx": booksStatement()}); res.StatusCode != http.StatusForbidden {
		t.Errorf("viewer upload: %s", res.Status)
	}
	// The page renders its drop zone.
	res := e.do(bk, "GET", "/import", nil)
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(b), `id="drop"`) || !strings.Contains(string(b), "jan.ofx") {
		t.Errorf("import page: %s", res.Status)
	}
}

func TestImportTooLarge(t *testing.T) {
	e := newTestEnv(t)
	bk := e.signIn("bookkeeper")
	req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/imports", strings.NewReader("x"))
	req.ContentLength = maxUpload + 1
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.Body = io.NopCloser(io.LimitReader(zeros{}, maxUpload+1))
	res, err := bk.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "too large") {
		t.Errorf("a 50 MB upload: %s %s", res.Status, b)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func bankfeedLineFilter() bankfeed.LineFilter { return bankfeed.LineFilter{} }
