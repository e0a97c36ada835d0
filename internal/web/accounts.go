package web

import (
	"net/http"
	"strconv"

	"github.com/bankfeed/bankfeed"
)

func init() { routeSets = append(routeSets, (*Server).accountRoutes) }

func (s *Server) accountRoutes() {
	s.handle("GET /accounts", Viewer, s.accountsPage)
	s.handle("GET /accounts/{id}", Viewer, s.accountPage)
	s.handle("GET /api/v1/accounts", Viewer, s.apiAccounts)
	s.handle("GET /api/v1/accounts/{id}/lines", Viewer, s.apiAccountLines)
}

func (s *Server) accountsPage(w http.ResponseWriter, r *http.Request) error {
	accts, err := s.db.FeedAccounts(r.Context())
	if err != nil {
		return err
	}
	return s.page(w, r, "accounts", pageData{Title: "Accounts", Nav: "accounts", Data: map[string]any{
		"Accounts": accts, "Names": accountNames(accts)}})
}

func (s *Server) apiAccounts(w http.ResponseWriter, r *http.Request) error {
	accts, err := s.db.FeedAccounts(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, accts)
}

// registerQuery reads an account's id from the path and the page's cursor
// and limit from the query.
func registerQuery(r *http.Request) (bankfeed.AccountID, string, int, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, "", 0, err
	}
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 500 {
			return 0, "", 0, bankfeed.Errorf(bankfeed.EInvalid, "limit %q: want 1 to 500", v)
		}
		limit = n
	}
	return bankfeed.AccountID(id), r.URL.Query().Get("cursor"), limit, nil
}

func (s *Server) apiAccountLines(w http.ResponseWriter, r *http.Request) error {
	id, cursor, limit, err := registerQuery(r)
	if err != nil {
		return err
	}
	if _, err := s.db.Account(r.Context(), id); err != nil {
		return err
	}
	page, err := s.db.Register(r.Context(), id, cursor, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	id, cursor, limit, err := registerQuery(r)
	if err != nil {
		return err
	}
	accts, err := s.db.FeedAccounts(r.Context())
	if err != nil {
		return err
	}
	var acct any
	for _, a := range accts {
		if a.ID == id {
			acct = a
		}
	}
	if acct == nil {
		return bankfeed.Errorf(bankfeed.ENotFound, "no account %d", id)
	}
	page, err := s.db.Register(r.Context(), id, cursor, limit)
	if err != nil {
		return err
	}
	next := ""
	if page.Next != "" {
		next = "/accounts/" + strconv.FormatInt(int64(id), 10) + "?cursor=" + urlQueryEscape(page.Next)
	}
	names := accountNames(accts)
	return s.page(w, r, "account", pageData{Title: names[id], Nav: "accounts", Data: map[string]any{
		"Account": acct, "Name": names[id], "Page": page, "Next": next, "First": cursor != ""}})
}
