package web

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/advice"
	"github.com/bankfeed/bankfeed/internal/source/ofxdirect"
	"github.com/bankfeed/bankfeed/internal/store"
)

func init() { routeSets = append(routeSets, (*Server).runRoutes) }

func (s *Server) runRoutes() {
	s.handle("GET /runs", Viewer, s.runsPage)
	s.handle("GET /runs/{id}", Viewer, s.runPage)
	s.handle("GET /api/v1/runs", Viewer, s.apiRuns)
	s.handle("GET /api/v1/runs/{id}", Viewer, s.apiRun)
}

// Run list limits.
const (
	defaultRuns = 50
	maxRuns     = 500
)

// runJSON is a sync run with the names of its connection and account.
type runJSON struct {
	*bankfeed.SyncRun
	Connection    string `json:"connection,omitempty"`
	AccountNumber string `json:"account_number,omitempty"`
	// What says what the failure means, in plain words.
	What string `json:"what,omitempty"`
	// BankSaid is the bank's own words, if it gave any.
	BankSaid string `json:"bank_said,omitempty"`
	// TookMS is how long the run took; 0 while it runs.
	TookMS int64 `json:"took_ms"`
}

// runDetail is one run with its exchange with the bank, password
// redacted.
type runDetail struct {
	*runJSON
	Transcript []*ofxdirect.Exchange `json:"transcript"`
}

type runsAnswer struct {
	Runs []*runJSON `json:"runs"`
}

// runNames names the connections and accounts of runs.
type runNames struct {
	conns map[bankfeed.ConnectionID]string
	accts map[bankfeed.AccountID]string
}

func (s *Server) runNames(ctx context.Context) (*runNames, error) {
	conns, err := s.db.Connections(ctx, store.ConnectionFilter{})
	if err != nil {
		return nil, err
	}
	accts, err := s.db.Accounts(ctx, bankfeed.AccountFilter{})
	if err != nil {
		return nil, err
	}
	n := &runNames{conns: map[bankfeed.ConnectionID]string{}, accts: map[bankfeed.AccountID]string{}}
	for _, c := range conns {
		n.conns[c.ID] = c.Name
	}
	for _, a := range accts {
		n.accts[a.ID] = a.Number
	}
	return n, nil
}

func (n *runNames) of(r *bankfeed.SyncRun) *runJSON {
	j := &runJSON{SyncRun: r, AccountNumber: n.accts[r.AccountID]}
	if r.ConnectionID != 0 {
		if name, ok := n.conns[r.ConnectionID]; ok {
			j.Connection = name
		} else {
			j.Connection = strconv.FormatInt(int64(r.ConnectionID), 10) + " (removed)"
		}
	}
	if r.Outcome == bankfeed.OutcomeFailed {
		j.What = advice.For(bankfeed.FailureClass(r.FailureClass)).What
		j.BankSaid = r.BankMessage
		if j.BankSaid == "" {
			j.BankSaid = advice.BankWords(r)
		}
	}
	if r.FinishedAt != nil {
		j.TookMS = r.FinishedAt.Sub(r.StartedAt).Milliseconds()
	}
	return j
}

// runsQuery reads a run list's filter: connection and account ids, limit.
func runsQuery(r *http.Request) (store.SyncRunFilter, error) {
	q := r.URL.Query()
	f := store.SyncRunFilter{Limit: defaultRuns}
	num := func(name string) (int64, error) {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return 0, bankfeed.Errorf(bankfeed.EInvalid, "%s %q: not a positive number", name, v)
		}
		return n, nil
	}
	c, err := num("connection")
	if err != nil {
		return f, err
	}
	a, err := num("account")
	if err != nil {
		return f, err
	}
	f.ConnectionID, f.AccountID = bankfeed.ConnectionID(c), bankfeed.AccountID(a)
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRuns {
			return f, bankfeed.Errorf(bankfeed.EInvalid, "limit %q: want a number from 1 to %d", v, maxRuns)
		}
		f.Limit = n
	}
	return f, nil
}

func (s *Server) runList(ctx context.Context, f store.SyncRunFilter) ([]*runJSON, error) {
	runs, err := s.db.FindSyncRuns(ctx, f)
	if err != nil {
		return nil, err
	}
	names, err := s.runNames(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*runJSON, 0, len(runs))
	for _, r := range runs {
		out = append(out, names.of(r))
	}
	return out, nil
}

func (s *Server) apiRuns(w http.ResponseWriter, r *http.Request) error {
	f, err := runsQuery(r)
	if err != nil {
		return err
	}
	list, err := s.runList(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, runsAnswer{Runs: list})
}

// runsView is the sync history page's data.
type runsView struct {
	Runs        []*runJSON
	Connections []*bankfeed.Connection
	Filter      store.SyncRunFilter
}

func (s *Server) runsPage(w http.ResponseWriter, r *http.Request) error {
	f, err := runsQuery(r)
	if err != nil {
		return err
	}
	list, err := s.runList(r.Context(), f)
	if err != nil {
		return err
	}
	conns, err := s.db.Connections(r.Context(), store.ConnectionFilter{})
	if err != nil {
		return err
	}
	return s.page(w, r, "runs", pageData{Title: "Sync history", Nav: "runs", Data: runsView{Runs: list, Connections: conns, Filter: f}})
}

func (s *Server) runDetail(r *http.Request) (*runDetail, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	run, err := s.db.SyncRun(r.Context(), bankfeed.SyncRunID(id))
	if err != nil {
		return nil, err
	}
	names, err := s.runNames(r.Context())
	if err != nil {
		return nil, err
	}
	d := &runDetail{runJSON: names.of(run), Transcript: []*ofxdirect.Exchange{}}
	if run.Transcript != "" {
		if err := json.Unmarshal([]byte(run.Transcript), &d.Transcript); err != nil {
			return nil, bankfeed.Errorf(bankfeed.EInternal, "run %d: read its transcript: %v", run.ID, err)
		}
	}
	return d, nil
}

func (s *Server) apiRun(w http.ResponseWriter, r *http.Request) error {
	d, err := s.runDetail(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

// exchangeView is an exchange with the bank, written out for a <pre>.
type exchangeView struct {
	*ofxdirect.Exchange
	Request, Answer string
}

func (s *Server) runPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.runDetail(r)
	if err != nil {
		return err
	}
	xs := make([]exchangeView, 0, len(d.Transcript))
	for _, x := range d.Transcript {
		xs = append(xs, exchangeView{Exchange: x, Request: headerText(x.RequestHeader) + "\n" + bodyText(x.RequestBody),
			Answer: answerText(x)})
	}
	return s.page(w, r, "run", pageData{Title: "Sync run " + strconv.FormatInt(int64(d.ID), 10), Nav: "runs",
		Data: map[string]any{"Run": d, "Exchanges": xs}})
}

func headerText(h http.Header) string {
	var b strings.Builder
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	return b.String()
}

func bodyText(body string) string {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	if body == "" {
		return "(empty)"
	}
	return body
}

func answerText(x *ofxdirect.Exchange) string {
	if x.Status == 0 {
		return "no answer: " + x.Error
	}
	s := "HTTP " + strconv.Itoa(x.Status) + " " + http.StatusText(x.Status) + "\n" + headerText(x.ResponseHeader) + "\n"
	switch {
	case x.ResponseBody == "" && x.ResponseSize > 0:
		s += "(not kept: the answer was imported; its lines are this run's)"
	default:
		s += bodyText(x.ResponseBody)
	}
	if x.BodyCut {
		s += "\n[… the rest of the answer was not kept]"
	}
	return s
}
