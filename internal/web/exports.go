package web

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/books"
	"github.com/bankfeed/bankfeed/internal/export"
)

func init() { routeSets = append(routeSets, (*Server).exportRoutes) }

func (s *Server) exportRoutes() {
	s.handle("GET /api/v1/export", Viewer, s.apiExport)
}

// exportTypes are each format's file extension and media type.
var exportTypes = map[string][2]string{
	"hledger":   {"journal", "text/plain; charset=utf-8"},
	"ledger":    {"ledger", "text/plain; charset=utf-8"},
	"beancount": {"beancount", "text/plain; charset=utf-8"},
	"csv":       {"csv", "text/csv; charset=utf-8"},
	"qbo":       {"qbo", "application/vnd.intu.qbo"},
	"ofx":       {"ofx", "application/x-ofx"},
}

// apiExport answers the books in a format another tool reads, as a
// download: ?format=hledger|ledger|beancount|csv|qbo|ofx, and optionally
// account (a ledger account's name, or a feed account's id), from and to.
func (s *Server) apiExport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	format, from, to := q.Get("format"), q.Get("from"), q.Get("to")
	var problems []string
	switch {
	case format == "":
		problems = append(problems, "format: required; one of "+strings.Join(export.Formats, ", "))
	case !slices.Contains(export.Formats, format):
		problems = append(problems, "format "+strconv.Quote(format)+": want one of "+strings.Join(export.Formats, ", "))
	}
	for _, f := range []struct{ name, value string }{{"from", from}, {"to", to}} {
		if f.value != "" {
			if err := export.CheckDate(f.value); err != nil {
				problems = append(problems, f.name+" "+err.Error())
			}
		}
	}
	if from != "" && to != "" && from > to {
		problems = append(problems, "from "+from+" is after to "+to)
	}
	account := ""
	if ref := q.Get("account"); ref != "" {
		a, err := s.ledgerAccount(r, ref)
		if bankfeed.ErrorCodeOf(err) == bankfeed.EInternal {
			return err
		} else if err != nil {
			problems = append(problems, "account: "+err.Error())
		} else {
			account = a.Name
		}
	}
	if len(problems) > 0 {
		return bankfeed.Errorf(bankfeed.EInvalid, "%s", strings.Join(problems, "; "))
	}
	b, err := books.ExportBooks(r.Context(), s.db, format, account, to)
	if err != nil {
		return err
	}
	// Written whole before the answer starts, so that a failure is an
	// error, not half a file.
	var buf bytes.Buffer
	if err := export.Write(&buf, format, b, export.Options{Account: account, From: from, To: to, Now: time.Now()}); err != nil {
		return err
	}
	t := exportTypes[format]
	name := "bankfeed-" + time.Now().Format("2006-01-02") + "." + t[0]
	w.Header().Set("Content-Type", t[1])
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Header().Set("Cache-Control", "no-store")
	_, err = buf.WriteTo(w)
	return err
}
