package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/reconcile"
)

func init() { routeSets = append(routeSets, (*Server).reconcileRoutes) }

func (s *Server) reconcileRoutes() {
	s.handle("GET /reconcile", Viewer, s.reconcilePage)
	s.handle("GET /reconcile/{id}", Viewer, s.reconciliationPage)
	s.handle("GET /api/v1/reconcile", Viewer, s.apiReconcileCheck)
	s.handle("GET /api/v1/reconciliations", Viewer, s.apiReconciliations)
	s.handle("POST /api/v1/reconciliations", Bookkeeper, s.apiStartReconciliation)
	s.handle("GET /api/v1/reconciliations/{id}", Viewer, s.apiReconciliation)
	s.handle("POST /api/v1/reconciliations/{id}/tick", Bookkeeper, s.apiTick(true))
	s.handle("POST /api/v1/reconciliations/{id}/untick", Bookkeeper, s.apiTick(false))
	s.handle("POST /api/v1/reconciliations/{id}/finish", Bookkeeper, s.apiFinishReconciliation)
	s.handle("POST /api/v1/reconciliations/{id}/undo", Bookkeeper, s.apiUndoReconciliation)
}

// ledgerAccount finds the ledger account ref names: its id or full name,
// or a feed account's id whose account is in the books.
func (s *Server) ledgerAccount(r *http.Request, ref string) (*bankfeed.LedgerAccount, error) {
	ref = strings.TrimSpace(ref)
	accts, err := s.db.LedgerAccounts(r.Context())
	if err != nil {
		return nil, err
	}
	for _, a := range accts {
		if a.Name == ref {
			return a, nil
		}
	}
	if strings.Contains(ref, ":") {
		return nil, bankfeed.Errorf(bankfeed.ENotFound, "no account %q in the chart of accounts", ref)
	}
	n, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || n <= 0 {
		return nil, bankfeed.Errorf(bankfeed.EInvalid, "%q: want a ledger account's name or a feed account's id", ref)
	}
	for _, a := range accts {
		if a.FeedAccountID != nil && int64(*a.FeedAccountID) == n {
			return a, nil
		}
	}
	return nil, bankfeed.Errorf(bankfeed.ENotFound, "feed account %d has no account in the books yet: review its lines first", n)
}

// fieldError names the field a lookup was for; an internal error passes
// unchanged.
func fieldError(field string, err error) error {
	code := bankfeed.ErrorCodeOf(err)
	if code == bankfeed.EInternal {
		return err
	}
	return bankfeed.Errorf(code, "%s: %s", field, err.Error())
}

// checks runs the bank-balance check of every account with a feed, or of
// the one ref names.
func (s *Server) checks(r *http.Request, ref string) ([]reconcile.Report, error) {
	var only bankfeed.LedgerAccountID
	if ref != "" {
		a, err := s.ledgerAccount(r, ref)
		if err != nil {
			return nil, fieldError("account", err)
		}
		only = a.ID
	}
	ins, err := s.db.BalanceChecks(r.Context(), only)
	if err != nil {
		return nil, err
	}
	out := make([]reconcile.Report, 0, len(ins))
	for _, in := range ins {
		out = append(out, reconcile.Check(in))
	}
	return out, nil
}

func (s *Server) apiReconcileCheck(w http.ResponseWriter, r *http.Request) error {
	reports, err := s.checks(r, r.URL.Query().Get("account"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, reports)
}

// openingEntry is the entry that books a missing opening balance, as the
// reconcile page offers it: POST /api/v1/entries's body.
type openingEntry struct {
	Date     string           `json:"date"`
	Payee    string           `json:"payee"`
	Account  string           `json:"account"`
	Amount   bankfeed.Decimal `json:"amount"`
	Category string           `json:"category"`
}

// openings gives, by ledger account, the opening balance entry a report's
// causes call for, if any: dated the day before the feed's first line.
func (s *Server) openings(r *http.Request, reports []reconcile.Report) (map[bankfeed.LedgerAccountID]openingEntry, error) {
	out := map[bankfeed.LedgerAccountID]openingEntry{}
	var ins []reconcile.Input
	for _, rep := range reports {
		for _, c := range rep.Causes {
			if c.Kind != reconcile.CauseOpening || c.Explains == nil {
				continue
			}
			if ins == nil {
				var err error
				if ins, err = s.db.BalanceChecks(r.Context(), 0); err != nil {
					return nil, err
				}
			}
			for _, in := range ins {
				first, err := time.Parse(time.DateOnly, in.FirstLineOn)
				if in.AccountID != rep.AccountID || err != nil {
					continue
				}
				out[rep.AccountID] = openingEntry{Date: first.AddDate(0, 0, -1).Format(time.DateOnly), Payee: "Opening balance",
					Account: rep.Account, Amount: *c.Explains, Category: reconcile.OpeningAccount}
			}
		}
	}
	return out, nil
}

func (s *Server) reconcilePage(w http.ResponseWriter, r *http.Request) error {
	reports, err := s.checks(r, r.URL.Query().Get("account"))
	if err != nil {
		return err
	}
	openings, err := s.openings(r, reports)
	if err != nil {
		return err
	}
	all, err := s.db.Reconciliations(r.Context(), 0, false)
	if err != nil {
		return err
	}
	// Newest first.
	recent := make([]*reconcile.Statement, 0, len(all))
	for i := len(all) - 1; i >= 0 && len(recent) < 30; i-- {
		recent = append(recent, all[i])
	}
	zone, err := s.location(r.Context())
	if err != nil {
		return err
	}
	return s.page(w, r, "reconcile", pageData{Title: "Reconcile", Nav: "reconcile", Data: map[string]any{
		"Reports": reports, "Openings": openings, "Reconciliations": recent, "Today": s.db.Now().In(zone).Format(time.DateOnly)}})
}

// statementView is a reconciliation with its balances worked out and the
// splits ticked so far.
type statementView struct {
	*reconcile.Statement
	Cleared        bankfeed.Decimal      `json:"cleared_balance"`
	Difference     bankfeed.Decimal      `json:"difference"`
	DifferenceZero bool                  `json:"difference_zero"`
	TickedSplits   []reconcile.Candidate `json:"ticked_splits"`
}

func (s *Server) statement(r *http.Request, id int64) (*statementView, error) {
	st, err := s.db.Reconciliation(r.Context(), id)
	if err != nil {
		return nil, err
	}
	ticked, err := s.db.TickedSplits(r.Context(), id)
	if err != nil {
		return nil, err
	}
	d := st.Difference()
	return &statementView{Statement: st, Cleared: st.Cleared(), Difference: d, DifferenceZero: d.IsZero(), TickedSplits: ticked}, nil
}

func (s *Server) apiReconciliations(w http.ResponseWriter, r *http.Request) error {
	var acct bankfeed.LedgerAccountID
	if ref := r.URL.Query().Get("account"); ref != "" {
		a, err := s.ledgerAccount(r, ref)
		if err != nil {
			return fieldError("account", err)
		}
		acct = a.ID
	}
	ss, err := s.db.Reconciliations(r.Context(), acct, r.URL.Query().Get("open") == "true")
	if err != nil {
		return err
	}
	if ss == nil {
		ss = []*reconcile.Statement{}
	}
	return writeJSON(w, http.StatusOK, ss)
}

// startRequest is the body of POST /api/v1/reconciliations.
type startRequest struct {
	Account     string `json:"account"`      // a ledger account's name or id, or a feed account's id
	StatementOn string `json:"statement_on"` // YYYY-MM-DD
	Balance     string `json:"balance"`      // the statement's ending balance, exactly as printed
	// NoAuto ticks nothing; otherwise the splits already cleared dated on
	// or before the statement are ticked.
	NoAuto bool `json:"no_auto"`
}

func (s *Server) apiStartReconciliation(w http.ResponseWriter, r *http.Request) error {
	var req startRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var problems []string
	if strings.TrimSpace(req.Account) == "" {
		problems = append(problems, "account: required")
	}
	if _, err := time.Parse(time.DateOnly, req.StatementOn); err != nil {
		problems = append(problems, "statement_on "+strconv.Quote(req.StatementOn)+": want a date as YYYY-MM-DD")
	}
	amount, err := bankfeed.ParseDecimal(strings.ReplaceAll(strings.TrimSpace(req.Balance), ",", ""))
	if err != nil {
		problems = append(problems, "balance "+strconv.Quote(req.Balance)+": want an amount such as 1450.00 or -20.5")
	}
	var acct *bankfeed.LedgerAccount
	if strings.TrimSpace(req.Account) != "" {
		if acct, err = s.ledgerAccount(r, req.Account); bankfeed.ErrorCodeOf(err) == bankfeed.EInternal {
			return err
		} else if err != nil {
			problems = append(problems, "account: "+err.Error())
		}
	}
	if len(problems) > 0 {
		return bankfeed.Errorf(bankfeed.EInvalid, "%s", strings.Join(problems, "; "))
	}
	id, err := s.db.StartReconciliation(r.Context(), acct.ID, req.StatementOn, amount, !req.NoAuto, actor(r))
	if err != nil {
		return err
	}
	v, err := s.statement(r, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, v)
}

func (s *Server) apiReconciliation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := s.statement(r, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) reconciliationPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := s.statement(r, id)
	if err != nil {
		return err
	}
	return s.page(w, r, "reconciliation", pageData{Title: "Reconciliation " + strconv.FormatInt(id, 10), Nav: "reconcile", Data: v})
}

// tickRequest is the body of tick and untick.
type tickRequest struct {
	Splits []int64 `json:"splits"`
}

func (s *Server) apiTick(tick bool) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var req tickRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		if len(req.Splits) == 0 {
			return bankfeed.Errorf(bankfeed.EInvalid, "splits: empty; give the split ids")
		}
		for i, sp := range req.Splits {
			if sp <= 0 {
				return bankfeed.Errorf(bankfeed.EInvalid, "splits[%d]: %d is not a split id", i, sp)
			}
		}
		if err := s.db.TickSplits(r.Context(), id, req.Splits, tick, actor(r)); err != nil {
			return err
		}
		v, err := s.statement(r, id)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, v)
	}
}

func (s *Server) apiFinishReconciliation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := s.db.FinishReconciliation(r.Context(), id, actor(r)); err != nil {
		return err
	}
	v, err := s.statement(r, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// undoAnswer says what undo did: reopened a locked reconciliation, or
// discarded an open one.
type undoAnswer struct {
	ID       int64 `json:"id"`
	Reopened bool  `json:"reopened"`
}

func (s *Server) apiUndoReconciliation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	reopened, err := s.db.UndoReconciliation(r.Context(), id, actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, undoAnswer{ID: id, Reopened: reopened})
}
