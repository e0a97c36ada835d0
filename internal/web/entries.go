package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

func init() {
	routeSets = append(routeSets, (*Server).entryRoutes)
	funcs["entryOrigin"] = entryOriginText
	funcs["entryHasLines"] = func(sps []entrySplit) bool {
		for _, sp := range sps {
			if len(sp.Lines) > 0 {
				return true
			}
		}
		return false
	}
}

// entryOriginText says where an entry came from.
func entryOriginText(origin string) string {
	switch origin {
	case bankfeed.OriginUser:
		return "typed by a person"
	case bankfeed.OriginFeed:
		return "added from a bank line in review"
	case bankfeed.OriginTransfer:
		return "a transfer between two own accounts, from both sides' lines"
	case bankfeed.OriginRule:
		return "added by a bank rule"
	}
	return origin
}

func (s *Server) entryRoutes() {
	s.handle("GET /api/v1/entries", Viewer, s.apiEntries)
	s.handle("POST /api/v1/entries", Bookkeeper, s.apiAddEntry)
	s.handle("GET /api/v1/entries/{id}", Viewer, s.apiEntry)
	s.handle("DELETE /api/v1/entries/{id}", Bookkeeper, s.apiRemoveEntry)
	s.handle("GET /entries/{id}", Viewer, s.entryPage)
	s.handle("GET /api/v1/ledger-accounts", Viewer, s.apiChart)
	s.handle("POST /api/v1/ledger-accounts", Bookkeeper, s.apiAddLedgerAccount)
}

func (s *Server) apiEntries(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := bankfeed.EntryFilter{From: q.Get("from"), To: q.Get("to")}
	var problems []string
	for _, d := range []struct{ name, v string }{{"from", f.From}, {"to", f.To}} {
		if d.v != "" {
			if _, err := time.Parse(time.DateOnly, d.v); err != nil {
				problems = append(problems, d.name+" "+strconv.Quote(d.v)+": want a date as YYYY-MM-DD")
			}
		}
	}
	if v := q.Get("account"); v != "" {
		id, err := s.ledgerAccountID(r, v)
		if err != nil {
			problems = append(problems, "account: "+err.Error())
		}
		f.AccountID = id
	}
	if len(problems) > 0 {
		return bankfeed.Errorf(bankfeed.EInvalid, "%s", strings.Join(problems, "; "))
	}
	es, err := s.db.Entries(r.Context(), f)
	if err != nil {
		return err
	}
	if es == nil {
		es = []*bankfeed.Entry{}
	}
	return writeJSON(w, http.StatusOK, es)
}

// ledgerAccountID finds a ledger account by its id or its name.
func (s *Server) ledgerAccountID(r *http.Request, ref string) (bankfeed.LedgerAccountID, error) {
	as, err := s.db.LedgerAccounts(r.Context())
	if err != nil {
		return 0, err
	}
	n, _ := strconv.ParseInt(ref, 10, 64)
	for _, a := range as {
		if a.Name == ref || int64(a.ID) == n {
			return a.ID, nil
		}
	}
	return 0, bankfeed.Errorf(bankfeed.ENotFound, "no account %q in the chart of accounts", ref)
}

// entryRequest is the body of POST /api/v1/entries: amount goes to account
// (a ledger account name, or a feed account's id), the other side to
// category or across splits.
type entryRequest struct {
	Date     string         `json:"date"`
	Payee    string         `json:"payee"`
	Memo     string         `json:"memo"`
	CheckNum string         `json:"check_num"`
	Account  string         `json:"account"`
	Amount   string         `json:"amount"`
	Category string         `json:"category"`
	Splits   []splitRequest `json:"splits"`
}

func (s *Server) apiAddEntry(w http.ResponseWriter, r *http.Request) error {
	var req entryRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var problems []string
	if _, err := time.Parse(time.DateOnly, req.Date); err != nil {
		problems = append(problems, "date "+strconv.Quote(req.Date)+": want a date as YYYY-MM-DD")
	}
	amt, err := bankfeed.ParseDecimal(strings.TrimSpace(req.Amount))
	if err != nil {
		problems = append(problems, "amount "+strconv.Quote(req.Amount)+": not a number")
	}
	req.Category = strings.TrimSpace(req.Category)
	switch {
	case req.Category == "" && len(req.Splits) == 0:
		problems = append(problems, "category or splits: one is required")
	case req.Category != "" && len(req.Splits) > 0:
		problems = append(problems, "category and splits: give one, not both")
	}
	for i, sp := range req.Splits {
		if strings.TrimSpace(sp.Account) == "" {
			problems = append(problems, "splits["+strconv.Itoa(i)+"].account: empty")
		}
	}
	bank := ""
	if strings.TrimSpace(req.Account) == "" {
		problems = append(problems, "account: required (a ledger account name, or a feed account's id)")
	} else if bank, err = s.bankAccountName(r, strings.TrimSpace(req.Account)); err != nil {
		problems = append(problems, "account: "+err.Error())
	}
	if len(problems) > 0 {
		return bankfeed.Errorf(bankfeed.EInvalid, "%s", strings.Join(problems, "; "))
	}
	en := &bankfeed.Entry{Date: req.Date, Payee: strings.TrimSpace(req.Payee), Memo: req.Memo, CheckNum: req.CheckNum,
		Origin: bankfeed.OriginUser, Splits: []bankfeed.Split{{AccountName: bank, Amount: amt}}}
	if req.Category != "" {
		en.Splits = append(en.Splits, bankfeed.Split{AccountName: req.Category, Amount: amt.Neg()})
	}
	for _, sp := range req.Splits {
		en.Splits = append(en.Splits, bankfeed.Split{AccountName: strings.TrimSpace(sp.Account), Amount: sp.Amount})
	}
	if err := s.opts.Review.AddEntry(r.Context(), actor(r), en); err != nil {
		return err
	}
	added, err := s.db.Entry(r.Context(), en.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, added)
}

// bankAccountName turns a reference into a ledger account name: a name of
// the chart as given, or a feed account's id (its ledger account, made on
// first use).
func (s *Server) bankAccountName(r *http.Request, ref string) (string, error) {
	if bankfeed.LedgerAccountTypeOf(ref) != "" {
		return ref, nil
	}
	a, err := s.db.FindAccount(r.Context(), ref)
	if err != nil {
		return "", err
	}
	var name string
	err = s.db.Update(r.Context(), func(tx *store.Tx) error {
		la, err := tx.FeedLedgerAccount(r.Context(), a.ID)
		if err == nil {
			name = la.Name
		}
		return err
	})
	return name, err
}

func (s *Server) apiEntry(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	e, err := s.db.Entry(r.Context(), bankfeed.EntryID(id))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}

func (s *Server) apiRemoveEntry(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.opts.Review.RemoveEntry(r.Context(), actor(r), bankfeed.EntryID(id)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiChart(w http.ResponseWriter, r *http.Request) error {
	as, err := s.db.LedgerAccounts(r.Context())
	if err != nil {
		return err
	}
	if as == nil {
		as = []*bankfeed.LedgerAccount{}
	}
	return writeJSON(w, http.StatusOK, as)
}

// ledgerAccountRequest is the body of POST /api/v1/ledger-accounts.
type ledgerAccountRequest struct {
	Name     string                     `json:"name"`
	Type     bankfeed.LedgerAccountType `json:"type"` // optional: it follows from the name
	Currency string                     `json:"currency"`
}

func (s *Server) apiAddLedgerAccount(w http.ResponseWriter, r *http.Request) error {
	var req ledgerAccountRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if p := store.CheckLedgerAccountName(req.Name); p != nil {
		return bankfeed.Errorf(bankfeed.EInvalid, "name: %s", strings.Join(p, "; "))
	}
	a := &bankfeed.LedgerAccount{Name: req.Name, Type: req.Type, Currency: strings.ToUpper(strings.TrimSpace(req.Currency))}
	who := actor(r)
	err := s.db.Update(r.Context(), func(tx *store.Tx) error {
		if err := tx.AddLedgerAccount(r.Context(), a); err != nil {
			return err
		}
		b, _ := json.Marshal(a)
		return tx.Audit(r.Context(), who, "chart.add", "account "+a.Name, string(b))
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a)
}

// entryView is what an entry's page shows: the entry, each split with the
// bank lines linked to it, and the names of the feed accounts.
type entryView struct {
	Entry  *bankfeed.Entry
	Splits []entrySplit
	// Reconciled: a split is locked by a reconciliation, so the entry
	// cannot be deleted.
	Reconciled bool
	Names      map[bankfeed.AccountID]string
}

// entrySplit is a split with its linked lines.
type entrySplit struct {
	bankfeed.Split
	Lines []entryLine
}

// entryLine is a bank line linked to a split, with its review record (nil
// when it has none).
type entryLine struct {
	*bankfeed.Line
	Review *bankfeed.Review
}

func (s *Server) entryPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return bankfeed.Errorf(bankfeed.ENotFound, "no entry %q", r.PathValue("id"))
	}
	ctx := r.Context()
	e, err := s.db.Entry(ctx, bankfeed.EntryID(id))
	if err != nil {
		return err
	}
	v := entryView{Entry: e}
	for _, sp := range e.Splits {
		v.Splits = append(v.Splits, entrySplit{Split: sp})
		if sp.Status == bankfeed.SplitReconciled {
			v.Reconciled = true
		}
	}
	var ids []bankfeed.LineID
	for _, sp := range e.Splits {
		ids = append(ids, sp.Lines...)
	}
	lines, reviews, err := s.db.LinesByID(ctx, ids)
	if err != nil {
		return err
	}
	for i, sp := range e.Splits {
		for _, lid := range sp.Lines {
			v.Splits[i].Lines = append(v.Splits[i].Lines, entryLine{Line: lines[lid], Review: reviews[lid]})
		}
	}
	accts, err := s.db.FeedAccounts(ctx)
	if err != nil {
		return err
	}
	v.Names = accountNames(accts)
	return s.page(w, r, "entry", pageData{Title: "Entry " + strconv.FormatInt(id, 10), Nav: "accounts", Data: v})
}
