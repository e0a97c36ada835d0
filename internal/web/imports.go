package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"strings"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/importer"
	"github.com/bankfeed/bankfeed/internal/ofx"
)

func init() { routeSets = append(routeSets, (*Server).importRoutes) }

// maxUpload bounds one upload, every file of it together.
const maxUpload = 50 << 20

func (s *Server) importRoutes() {
	s.handle("GET /import", Viewer, s.importPage)
	s.handle("POST /api/v1/imports", Bookkeeper, s.apiImport)
	s.handle("GET /api/v1/imports", Viewer, s.apiImports)
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request) error {
	ims, err := s.db.Imports(r.Context())
	if err != nil {
		return err
	}
	// Newest first, the last 20.
	recent := make([]*bankfeed.Import, 0, 20)
	for i := len(ims) - 1; i >= 0 && len(recent) < 20; i-- {
		recent = append(recent, ims[i])
	}
	return s.page(w, r, "import", pageData{Title: "Import", Nav: "import", Data: map[string]any{"Imports": recent, "MaxMB": maxUpload >> 20}})
}

func (s *Server) apiImports(w http.ResponseWriter, r *http.Request) error {
	ims, err := s.db.Imports(r.Context())
	if err != nil {
		return err
	}
	if ims == nil {
		ims = []*bankfeed.Import{}
	}
	return writeJSON(w, http.StatusOK, ims)
}

// importFile is the outcome of one uploaded file: the importer's result,
// or why the file was rejected and where.
type importFile struct {
	Outcome  string          `json:"outcome"` // imported or rejected
	Error    string          `json:"error,omitempty"`
	Position *importPosition `json:"position,omitempty"`
	*importer.Result
}

// importPosition is where in a rejected file reading stopped.
type importPosition struct {
	Line   int   `json:"line"`
	Offset int64 `json:"offset"`
}

// importAnswer is the answer to an upload. Each file is imported in its own
// transaction, as the command line does: a rejected file writes nothing,
// and the others are still imported.
type importAnswer struct {
	Error    *bulkError   `json:"error,omitempty"` // when every file was rejected
	Imported int          `json:"imported"`
	Rejected int          `json:"rejected"`
	Files    []importFile `json:"files"`
}

func (s *Server) apiImport(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength > maxUpload {
		return tooLarge(w, r.ContentLength)
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return bankfeed.Errorf(bankfeed.EInvalid, "request body: want multipart/form-data with the statement files in the field \"file\"")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		return bankfeed.Errorf(bankfeed.EInvalid, "request body: %v", err)
	}
	ans := importAnswer{Files: []importFile{}}
	opts := s.opts.Review.Options(importer.Options{})
	im := importer.New(s.db)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return uploadError(w, err)
		}
		if part.FormName() != "file" {
			part.Close()
			return bankfeed.Errorf(bankfeed.EInvalid, "field %q: not known; send the statement files in the field \"file\"", part.FormName())
		}
		name := uploadName(part.FileName(), len(ans.Files)+1)
		// The file is read whole before its transaction begins, so that
		// a slow upload holds up no other writer.
		f, size, err := spool(part)
		part.Close()
		if err != nil {
			return uploadError(w, err)
		}
		res, err := im.Import(r.Context(), f, name, size, opts)
		f.Close()
		os.Remove(f.Name())
		if err != nil && bankfeed.ErrorCodeOf(err) != bankfeed.EInvalid {
			return err
		}
		ans.Files = append(ans.Files, importOutcome(name, size, res, err))
		if err != nil {
			ans.Rejected++
		} else {
			ans.Imported++
		}
	}
	if len(ans.Files) == 0 {
		return bankfeed.Errorf(bankfeed.EInvalid, "file: no file sent; send one or more statement files (OFX, QFX, QBO) in the field \"file\"")
	}
	status := http.StatusOK
	if ans.Imported == 0 {
		status = http.StatusBadRequest
		var msgs []string
		for _, f := range ans.Files {
			msgs = append(msgs, f.Error)
		}
		ans.Error = &bulkError{Code: bankfeed.EInvalid, Message: "nothing imported: " + strings.Join(msgs, "; ")}
	}
	return writeJSON(w, status, ans)
}

// spool copies an uploaded file to a temporary file, rewound.
func spool(part io.Reader) (*os.File, int64, error) {
	f, err := os.CreateTemp("", "bankfeed-upload-*")
	if err != nil {
		return nil, 0, fmt.Errorf("spool upload: %w", err)
	}
	n, err := io.Copy(f, part)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, err
	}
	return f, n, nil
}

// uploadName is the name an uploaded file is recorded under: its base name,
// or "upload N" when the browser gave none.
func uploadName(name string, n int) string {
	name = path.Base(strings.ReplaceAll(strings.TrimSpace(name), `\`, "/"))
	if name == "." || name == "/" || name == "" {
		return fmt.Sprintf("upload %d", n)
	}
	return name
}

func importOutcome(name string, size int64, res *importer.Result, err error) importFile {
	if err == nil {
		return importFile{Outcome: "imported", Result: res}
	}
	f := importFile{Outcome: "rejected", Error: err.Error(), Result: &importer.Result{File: name, Size: size,
		Statements: []*importer.StatementResult{}, Skipped: []importer.Skip{}, Collisions: []importer.Collision{}, Warnings: []string{}}}
	if !strings.Contains(f.Error, name) {
		f.Error = name + ": " + f.Error
	}
	var se *ofx.SyntaxError
	if errors.As(err, &se) {
		f.Position = &importPosition{Line: se.Line, Offset: se.Offset}
	}
	return f
}

// uploadError answers a failure to read the upload: too large, or cut.
func uploadError(w http.ResponseWriter, err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return tooLarge(w, 0)
	}
	return bankfeed.Errorf(bankfeed.EInvalid, "request body: %v", err)
}

// tooLarge answers 413: the upload is over the limit, and nothing of it
// was kept.
func tooLarge(w http.ResponseWriter, size int64) error {
	var body apiError
	body.Error.Code = bankfeed.EInvalid
	body.Error.Message = fmt.Sprintf("upload too large: at most %d MB at once; the file being read when the limit was reached, and those after it, were not imported (send them in several uploads)", maxUpload>>20)
	if size > 0 {
		body.Error.Message = fmt.Sprintf("upload too large: %.1f MB, at most %d MB at once; nothing was imported (split it into several uploads)", float64(size)/(1<<20), maxUpload>>20)
	}
	w.Header().Set("Connection", "close")
	return writeJSON(w, http.StatusRequestEntityTooLarge, body)
}
