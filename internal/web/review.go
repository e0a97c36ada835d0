package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/review"
	"github.com/bankfeed/bankfeed/internal/store"
)

func init() { routeSets = append(routeSets, (*Server).reviewRoutes) }

func (s *Server) reviewRoutes() {
	s.handle("GET /review", Viewer, s.reviewPage)
	s.handle("GET /api/v1/review", Viewer, s.apiReview)
	s.handle("POST /api/v1/review/{line}/add", Bookkeeper, s.apiReviewAdd)
	s.handle("POST /api/v1/review/{line}/match", Bookkeeper, s.apiReviewMatch)
	s.handle("POST /api/v1/review/{line}/transfer", Bookkeeper, s.apiReviewTransfer)
	s.handle("POST /api/v1/review/{line}/exclude", Bookkeeper, s.apiReviewExclude)
	s.handle("POST /api/v1/review/{line}/undo", Bookkeeper, s.apiReviewUndo)
	s.handle("POST /api/v1/review/bulk", Bookkeeper, s.apiReviewBulk)
}

// queueFilter reads the queue's filter from a query string; its errors
// name the parameter.
func (s *Server) queueFilter(r *http.Request) (store.QueueFilter, error) {
	q := r.URL.Query()
	f := store.QueueFilter{From: q.Get("from"), To: q.Get("to"), Text: q.Get("q"), Cursor: q.Get("cursor")}
	var problems []string
	if v := q.Get("account"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			problems = append(problems, "account "+strconv.Quote(v)+": not an account id")
		}
		f.AccountID = bankfeed.AccountID(n)
	}
	for _, d := range []struct{ name, v string }{{"from", f.From}, {"to", f.To}} {
		if d.v != "" {
			if _, err := time.Parse(time.DateOnly, d.v); err != nil {
				problems = append(problems, d.name+" "+strconv.Quote(d.v)+": want a date as YYYY-MM-DD")
			}
		}
	}
	for _, m := range []struct {
		name string
		dst  **int64
	}{{"min", &f.Min}, {"max", &f.Max}} {
		v := strings.TrimSpace(q.Get(m.name))
		if v == "" {
			continue
		}
		d, err := bankfeed.ParseDecimal(strings.ReplaceAll(v, ",", ""))
		minor, ok := d.MinorUnits(2)
		if err != nil || !ok {
			problems = append(problems, m.name+" "+strconv.Quote(v)+": want an amount, as -12.50")
			continue
		}
		*m.dst = &minor
	}
	switch st := q.Get("state"); st {
	case "", "review":
	case "decided":
		f.Decided = true
	default:
		problems = append(problems, "state "+strconv.Quote(st)+": want review or decided")
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 500 {
			problems = append(problems, "limit "+strconv.Quote(v)+": want 1 to 500")
		}
		f.Limit = n
	}
	if len(problems) > 0 {
		return f, bankfeed.Errorf(bankfeed.EInvalid, "%s", strings.Join(problems, "; "))
	}
	return f, nil
}

func (s *Server) apiReview(w http.ResponseWriter, r *http.Request) error {
	f, err := s.queueFilter(r)
	if err != nil {
		return err
	}
	page, err := s.db.ReviewQueue(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

// reviewView is what the review page shows.
type reviewView struct {
	Filter   store.QueueFilter
	Query    url.Values
	State    string
	Page     *store.QueuePage
	NextURL  string
	FirstURL string
	Recent   []*store.QueueItem
	Accounts []*store.FeedAccount
	Chart    []string
	Names    map[bankfeed.AccountID]string
}

func (s *Server) reviewPage(w http.ResponseWriter, r *http.Request) error {
	f, err := s.queueFilter(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	page, err := s.db.ReviewQueue(ctx, f)
	if err != nil {
		return err
	}
	v := reviewView{Filter: f, Query: r.URL.Query(), State: "review", Page: page}
	if f.Decided {
		v.State = "decided"
	} else {
		recent, err := s.db.ReviewQueue(ctx, store.QueueFilter{Decided: true, AccountID: f.AccountID, Limit: 10})
		if err != nil {
			return err
		}
		v.Recent = recent.Items
	}
	if page.Next != "" {
		q := r.URL.Query()
		q.Set("cursor", page.Next)
		v.NextURL = "/review?" + q.Encode()
	}
	if f.Cursor != "" {
		q := r.URL.Query()
		q.Del("cursor")
		v.FirstURL = "/review?" + q.Encode()
	}
	if v.Accounts, err = s.db.FeedAccounts(ctx); err != nil {
		return err
	}
	v.Names = accountNames(v.Accounts)
	chart, err := s.db.LedgerAccounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range chart {
		if a.FeedAccountID == nil {
			v.Chart = append(v.Chart, a.Name)
		}
	}
	return s.page(w, r, "review", pageData{Title: "Review", Nav: "review", Data: v})
}

// accountNames names feed accounts for people: their name, else their
// institution and number.
func accountNames(accts []*store.FeedAccount) map[bankfeed.AccountID]string {
	out := map[bankfeed.AccountID]string{}
	for _, a := range accts {
		out[a.ID] = accountLabel(&a.AccountSummary)
	}
	return out
}

func accountLabel(a *store.AccountSummary) string {
	if a.Name != "" {
		return a.Name
	}
	n := a.Number
	if len(n) > 4 {
		n = "…" + n[len(n)-4:]
	}
	return strings.TrimSpace(a.Institution + " " + string(a.Kind) + " " + n)
}

// decisionResult is the answer to a review decision.
type decisionResult struct {
	LineID bankfeed.LineID      `json:"line_id"`
	State  bankfeed.ReviewState `json:"state"`
	Entry  *bankfeed.Entry      `json:"entry,omitempty"`
	// Others is what the decision did to other lines: the other leg of a
	// transfer reopened by an undo, the payee's waiting lines a rule the
	// decision taught added (review.auto_add), ...
	Others []review.Effect `json:"others,omitempty"`
}

// addRequest is the body of POST /api/v1/review/{line}/add.
type addRequest struct {
	Payee    string         `json:"payee"`
	Category string         `json:"category"`
	Splits   []splitRequest `json:"splits"`
	Memo     string         `json:"memo"`
}

// splitRequest is one category of an add split across categories.
type splitRequest struct {
	Account string           `json:"account"`
	Amount  bankfeed.Decimal `json:"amount"`
}

func (req addRequest) decision(line bankfeed.LineID) (review.Decision, error) {
	d := review.Decision{Line: line, Payee: strings.TrimSpace(req.Payee), Memo: req.Memo, Category: strings.TrimSpace(req.Category)}
	var problems []string
	if d.Category != "" && len(req.Splits) > 0 {
		problems = append(problems, "category and splits: give one or the other")
	}
	for i, sp := range req.Splits {
		if strings.TrimSpace(sp.Account) == "" {
			problems = append(problems, "splits["+strconv.Itoa(i)+"].account: empty")
		}
		d.Splits = append(d.Splits, review.CategorySplit{Account: strings.TrimSpace(sp.Account), Amount: sp.Amount})
	}
	if len(problems) > 0 {
		return d, bankfeed.Errorf(bankfeed.EInvalid, "%s", strings.Join(problems, "; "))
	}
	return d, nil
}

func lineID(r *http.Request) (bankfeed.LineID, error) {
	id, err := pathID(r, "line")
	return bankfeed.LineID(id), err
}

func (s *Server) apiReviewAdd(w http.ResponseWriter, r *http.Request) error {
	id, err := lineID(r)
	if err != nil {
		return err
	}
	var req addRequest
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	d, err := req.decision(id)
	if err != nil {
		return err
	}
	ctx, eff := review.WithEffects(r.Context())
	e, err := s.opts.Review.Add(ctx, actor(r), d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, decisionResult{LineID: id, State: bankfeed.ReviewAdded, Entry: e, Others: eff.Except(id)})
}

// matchRequest is the body of POST /api/v1/review/{line}/match.
type matchRequest struct {
	EntryID bankfeed.EntryID `json:"entry_id"` // 0: the suggestion
	Payee   string           `json:"payee"`
}

func (s *Server) apiReviewMatch(w http.ResponseWriter, r *http.Request) error {
	id, err := lineID(r)
	if err != nil {
		return err
	}
	var req matchRequest
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	if req.EntryID < 0 {
		return bankfeed.Errorf(bankfeed.EInvalid, "entry_id %d: not an entry id", req.EntryID)
	}
	ctx, eff := review.WithEffects(r.Context())
	e, err := s.opts.Review.Match(ctx, actor(r), review.Decision{Line: id, Entry: req.EntryID, Payee: strings.TrimSpace(req.Payee)})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, decisionResult{LineID: id, State: bankfeed.ReviewMatched, Entry: e, Others: eff.Except(id)})
}

// transferRequest is the body of POST /api/v1/review/{line}/transfer.
type transferRequest struct {
	With bankfeed.LineID `json:"with"` // the other line; 0: the proposed one
}

func (s *Server) apiReviewTransfer(w http.ResponseWriter, r *http.Request) error {
	id, err := lineID(r)
	if err != nil {
		return err
	}
	var req transferRequest
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	if req.With < 0 || req.With == id {
		return bankfeed.Errorf(bankfeed.EInvalid, "with %d: not another line", req.With)
	}
	ctx, eff := review.WithEffects(r.Context())
	e, err := s.opts.Review.Transfer(ctx, actor(r), review.Decision{Line: id, With: req.With})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, decisionResult{LineID: id, State: bankfeed.ReviewAdded, Entry: e, Others: eff.Except(id)})
}

// excludeRequest is the body of POST /api/v1/review/{line}/exclude.
type excludeRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) apiReviewExclude(w http.ResponseWriter, r *http.Request) error {
	id, err := lineID(r)
	if err != nil {
		return err
	}
	var req excludeRequest
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	ctx, eff := review.WithEffects(r.Context())
	if err := s.opts.Review.Exclude(ctx, actor(r), id, req.Reason); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, decisionResult{LineID: id, State: bankfeed.ReviewExcluded, Others: eff.Except(id)})
}

func (s *Server) apiReviewUndo(w http.ResponseWriter, r *http.Request) error {
	id, err := lineID(r)
	if err != nil {
		return err
	}
	var req struct{}
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	ctx, eff := review.WithEffects(r.Context())
	if err := s.opts.Review.Undo(ctx, actor(r), id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, decisionResult{LineID: id, State: bankfeed.ReviewPending, Others: eff.Except(id)})
}

// bulkRequest is the body of POST /api/v1/review/bulk: one action for
// many lines.
type bulkRequest struct {
	Action   string            `json:"action"` // add, match, exclude, undo
	Lines    []bankfeed.LineID `json:"lines"`
	Category string            `json:"category"` // add: instead of each line's proposal
	Reason   string            `json:"reason"`   // exclude
}

// bulkResult is the answer to a bulk action: each line's outcome. Each
// line is decided on its own, as one at a time would be: a line that fails
// leaves the others decided.
type bulkResult struct {
	Done    int              `json:"done"`
	Failed  int              `json:"failed"`
	Results []bulkLineResult `json:"results"`
}

type bulkLineResult struct {
	LineID  bankfeed.LineID      `json:"line_id"`
	OK      bool                 `json:"ok"`
	State   bankfeed.ReviewState `json:"state,omitempty"`
	EntryID *bankfeed.EntryID    `json:"entry_id,omitempty"`
	Error   *bulkError           `json:"error,omitempty"`
}

type bulkError struct {
	Code    bankfeed.ErrorCode `json:"code"`
	Message string             `json:"message"`
}

// maxBulk bounds the lines of one bulk action.
const maxBulk = 1000

func (s *Server) apiReviewBulk(w http.ResponseWriter, r *http.Request) error {
	var req bulkRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var problems []string
	switch req.Action {
	case "add", "match", "exclude", "undo":
	case "":
		problems = append(problems, "action: missing; want add, match, exclude or undo")
	default:
		problems = append(problems, "action "+strconv.Quote(req.Action)+": want add, match, exclude or undo")
	}
	if len(req.Lines) == 0 {
		problems = append(problems, "lines: empty; give the line ids")
	} else if len(req.Lines) > maxBulk {
		problems = append(problems, "lines: "+strconv.Itoa(len(req.Lines))+" lines; at most "+strconv.Itoa(maxBulk)+" at once")
	}
	for i, id := range req.Lines {
		if id <= 0 {
			problems = append(problems, "lines["+strconv.Itoa(i)+"]: "+strconv.FormatInt(int64(id), 10)+" is not a line id")
		}
	}
	if len(problems) > 0 {
		return bankfeed.Errorf(bankfeed.EInvalid, "%s", strings.Join(problems, "; "))
	}
	ctx, who := r.Context(), actor(r)
	res := bulkResult{Results: make([]bulkLineResult, 0, len(req.Lines))}
	for _, id := range req.Lines {
		out := bulkLineResult{LineID: id}
		var e *bankfeed.Entry
		var err error
		switch req.Action {
		case "add":
			e, err = s.opts.Review.Add(ctx, who, review.Decision{Line: id, Category: strings.TrimSpace(req.Category)})
			out.State = bankfeed.ReviewAdded
		case "match":
			e, err = s.opts.Review.Match(ctx, who, review.Decision{Line: id})
			out.State = bankfeed.ReviewMatched
		case "exclude":
			err = s.opts.Review.Exclude(ctx, who, id, req.Reason)
			out.State = bankfeed.ReviewExcluded
		case "undo":
			err = s.opts.Review.Undo(ctx, who, id)
			out.State = bankfeed.ReviewPending
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			if bankfeed.ErrorCodeOf(err) == bankfeed.EInternal {
				return err
			}
			out.State = ""
			out.Error = &bulkError{Code: bankfeed.ErrorCodeOf(err), Message: err.Error()}
			res.Failed++
		} else {
			out.OK = true
			if e != nil {
				out.EntryID = &e.ID
			}
			res.Done++
		}
		res.Results = append(res.Results, out)
	}
	return writeJSON(w, http.StatusOK, res)
}
