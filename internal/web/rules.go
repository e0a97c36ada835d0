package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/books"
	"github.com/bankfeed/bankfeed/internal/match"
	"github.com/bankfeed/bankfeed/internal/rules"
	"github.com/bankfeed/bankfeed/internal/store"
)

func init() { routeSets = append(routeSets, (*Server).ruleRoutes) }

func (s *Server) ruleRoutes() {
	s.handle("GET /rules", Viewer, s.rulesPage)
	s.handle("GET /api/v1/rules", Viewer, s.apiRules)
	s.handle("POST /api/v1/rules", Bookkeeper, s.apiAddRule)
	s.handle("POST /api/v1/rules/test", Viewer, s.apiTestRule)
	s.handle("GET /api/v1/rules/{id}", Viewer, s.apiRule)
	s.handle("PUT /api/v1/rules/{id}", Bookkeeper, s.apiEditRule)
	s.handle("DELETE /api/v1/rules/{id}", Bookkeeper, s.apiRemoveRule)
	s.handle("POST /api/v1/rules/{id}/enable", Bookkeeper, s.apiSwitchRule(true))
	s.handle("POST /api/v1/rules/{id}/disable", Bookkeeper, s.apiSwitchRule(false))
}

// ruleView is a rule as the API and the page show it.
type ruleView struct {
	*rules.Rule
	Description string    `json:"description"` // the rule in words
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// CondTexts lists the rule's conditions in words, for the page.
func (v ruleView) CondTexts() []string {
	var out []string
	for _, c := range v.Conditions {
		out = append(out, c.String())
	}
	return out
}

// ActTexts lists the rule's actions in words, for the page.
func (v ruleView) ActTexts() []string {
	var out []string
	for _, a := range v.Actions {
		out = append(out, a.String())
	}
	return out
}

func viewOf(rec *store.RuleRecord) (ruleView, error) {
	r, err := books.RuleOf(rec)
	if err != nil {
		return ruleView{}, err
	}
	if r.Origin == "" {
		r.Origin = rules.OriginUser
	}
	return ruleView{Rule: r, Description: r.Describe(), CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt}, nil
}

// listRules reads every rule, in the order they apply.
func (s *Server) listRules(r *http.Request) ([]ruleView, error) {
	recs, err := s.db.Rules(r.Context())
	if err != nil {
		return nil, err
	}
	byID := map[int64]*store.RuleRecord{}
	rs := make([]*rules.Rule, 0, len(recs))
	for _, rec := range recs {
		rule, err := books.RuleOf(rec)
		if err != nil {
			return nil, err
		}
		byID[rule.ID] = rec
		rs = append(rs, rule)
	}
	rules.Sort(rs)
	out := make([]ruleView, 0, len(rs))
	for _, rule := range rs {
		v, err := viewOf(byID[rule.ID])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) rulesPage(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.listRules(r)
	if err != nil {
		return err
	}
	return s.page(w, r, "rules", pageData{Title: "Rules", Nav: "rules", Data: map[string]any{
		"Rules": rs, "Fields": []string{rules.FieldDescription, rules.FieldPayee, rules.FieldAmount, rules.FieldDirection,
			rules.FieldAccount, rules.FieldMemo, rules.FieldCheck, rules.FieldDate},
		"Ops": []string{rules.OpContains, rules.OpIs, rules.OpOneOf, rules.OpRegex, rules.OpGt, rules.OpLt, rules.OpBetween,
			rules.OpBefore, rules.OpAfter},
		"Sets":  []string{rules.SetCategory, rules.SetPayee, rules.SetMemo, rules.SetTransfer, rules.SetExclude, rules.SetAutoAdd},
		"Slots": []int{0, 1, 2}}})
}

func (s *Server) apiRules(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.listRules(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rs)
}

func (s *Server) apiRule(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var v ruleView
	err = s.db.Update(r.Context(), func(tx *store.Tx) error {
		rec, err := tx.Rule(r.Context(), id)
		if err != nil {
			return err
		}
		v, err = viewOf(rec)
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// readRuleBody reads a rule from a request body and checks it; every
// problem is named by its field ("conditions[1].op: ...").
func readRuleBody(r *http.Request) (*rules.Rule, error) {
	var rule rules.Rule
	rule.Enabled = true
	if err := decodeJSON(r, &rule); err != nil {
		return nil, err
	}
	rule.Name = strings.TrimSpace(rule.Name)
	if rule.Stage == "" {
		rule.Stage = rules.StageDefault
	}
	if rule.Origin == "" {
		rule.Origin = rules.OriginUser
	}
	if err := rule.Validate(); err != nil {
		return nil, ruleProblems(err)
	}
	return &rule, nil
}

// ruleProblems turns Validate's joined problems into one invalid error.
func ruleProblems(err error) error {
	var msgs []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			msgs = append(msgs, e.Error())
		}
	} else {
		msgs = append(msgs, err.Error())
	}
	return bankfeed.Errorf(bankfeed.EInvalid, "rule not saved: %s", strings.Join(msgs, "; "))
}

func ruleDetail(r *rules.Rule) string {
	b, _ := json.Marshal(r)
	return string(b)
}

func ruleSubject(id int64) string { return "rule " + strconv.FormatInt(id, 10) }

// storedRule reads rule id in tx.
func storedRule(r *http.Request, tx *store.Tx, id int64) (*rules.Rule, error) {
	rec, err := tx.Rule(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return books.RuleOf(rec)
}

// changeRule runs fn in a transaction, then labels the lines waiting For
// Review again with the rules as they now are, in the same transaction:
// the change is seen in the queue at once.
func (s *Server) changeRule(r *http.Request, fn func(tx *store.Tx) error) error {
	return s.db.Update(r.Context(), func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return s.opts.Review.Rematch(r.Context(), tx, nil)
	})
}

func (s *Server) apiAddRule(w http.ResponseWriter, r *http.Request) error {
	rule, err := readRuleBody(r)
	if err != nil {
		return err
	}
	rule.ID = 0
	who := actor(r)
	err = s.changeRule(r, func(tx *store.Tx) error {
		rec := books.RecordOf(rule)
		if err := tx.AddRule(r.Context(), rec); err != nil {
			return err
		}
		rule.ID = rec.ID
		return tx.Audit(r.Context(), who, "rule.add", ruleSubject(rule.ID), ruleDetail(rule))
	})
	if err != nil {
		return err
	}
	return s.answerRule(w, r, http.StatusCreated, rule.ID)
}

// answerRule answers with rule id as it is stored.
func (s *Server) answerRule(w http.ResponseWriter, r *http.Request, status int, id int64) error {
	rs, err := s.listRules(r)
	if err != nil {
		return err
	}
	for _, v := range rs {
		if v.ID == id {
			return writeJSON(w, status, v)
		}
	}
	return bankfeed.Errorf(bankfeed.ENotFound, "no rule %d", id)
}

func (s *Server) apiEditRule(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	after, err := readRuleBody(r)
	if err != nil {
		return err
	}
	after.ID = id
	who := actor(r)
	err = s.changeRule(r, func(tx *store.Tx) error {
		before, err := storedRule(r, tx, id)
		if err != nil {
			return err
		}
		if err := tx.UpdateRule(r.Context(), books.RecordOf(after)); err != nil {
			return err
		}
		return tx.Audit(r.Context(), who, "rule.edit", ruleSubject(id), `{"before":`+ruleDetail(before)+`,"after":`+ruleDetail(after)+`}`)
	})
	if err != nil {
		return err
	}
	return s.answerRule(w, r, http.StatusOK, id)
}

func (s *Server) apiRemoveRule(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	who := actor(r)
	err = s.changeRule(r, func(tx *store.Tx) error {
		rule, err := storedRule(r, tx, id)
		if err != nil {
			return err
		}
		if err := tx.RemoveRule(r.Context(), id); err != nil {
			return err
		}
		return tx.Audit(r.Context(), who, "rule.remove", ruleSubject(id), ruleDetail(rule))
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiSwitchRule(on bool) HandlerFunc {
	action := "rule.disable"
	if on {
		action = "rule.enable"
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		who := actor(r)
		err = s.changeRule(r, func(tx *store.Tx) error {
			rule, err := storedRule(r, tx, id)
			if err != nil {
				return err
			}
			if rule.Enabled == on {
				return nil
			}
			rule.Enabled = on
			if err := rule.Validate(); on && err != nil {
				return ruleProblems(err)
			}
			if err := tx.UpdateRule(r.Context(), books.RecordOf(rule)); err != nil {
				return err
			}
			return tx.Audit(r.Context(), who, action, ruleSubject(id), ruleDetail(rule))
		})
		if err != nil {
			return err
		}
		return s.answerRule(w, r, http.StatusOK, id)
	}
}

// ruleTestRequest is the body of POST /api/v1/rules/test: a stored rule
// (id) or one not saved yet (rule), and how many of the newest lines to
// try it on.
type ruleTestRequest struct {
	ID    int64           `json:"id"`
	Rule  json.RawMessage `json:"rule"`
	Lines int             `json:"lines"` // 2000 when 0; at most 20000
}

// ruleTestAnswer says which lines a rule would match.
type ruleTestAnswer struct {
	Tested  int            `json:"tested"`
	Matched int            `json:"matched"`
	Lines   []ruleTestLine `json:"lines"` // the first 100 matched, newest first
}

type ruleTestLine struct {
	LineID    bankfeed.LineID      `json:"line_id"`
	AccountID bankfeed.AccountID   `json:"account_id"`
	PostedOn  string               `json:"posted_on"`
	Amount    bankfeed.Decimal     `json:"amount"`
	Text      string               `json:"text"`
	State     bankfeed.ReviewState `json:"state,omitempty"`
	Result    string               `json:"result"` // what the rule sets, in words
}

func (s *Server) apiTestRule(w http.ResponseWriter, r *http.Request) error {
	var req ruleTestRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var rule *rules.Rule
	switch {
	case req.ID != 0 && len(req.Rule) > 0:
		return bankfeed.Errorf(bankfeed.EInvalid, "id and rule: give one, not both")
	case req.ID != 0:
		err := s.db.Update(r.Context(), func(tx *store.Tx) (err error) {
			rule, err = storedRule(r, tx, req.ID)
			return err
		})
		if err != nil {
			return err
		}
	case len(req.Rule) > 0:
		var err error
		if rule, err = rules.ParseRule(req.Rule); err != nil {
			return bankfeed.Errorf(bankfeed.EInvalid, "rule: %s", strings.TrimPrefix(err.Error(), "read rule: "))
		}
		if strings.TrimSpace(rule.Name) == "" {
			rule.Name = "test"
		}
	default:
		return bankfeed.Errorf(bankfeed.EInvalid, "id or rule: give the rule to test")
	}
	if req.Lines < 0 || req.Lines > 20000 {
		return bankfeed.Errorf(bankfeed.EInvalid, "lines %d: want 1 to 20000", req.Lines)
	}
	if req.Lines == 0 {
		req.Lines = 2000
	}
	rule.Enabled = true
	if err := rule.Validate(); err != nil {
		return ruleProblems(err)
	}
	set, err := rules.Compile([]*rules.Rule{rule})
	if err != nil {
		return ruleProblems(err)
	}
	chart, err := s.db.LedgerAccounts(r.Context())
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, a := range chart {
		if a.FeedAccountID != nil {
			names[int64(*a.FeedAccountID)] = a.Name
		}
	}
	lb := &rules.Labeler{Rules: set, AccountName: func(feed int64) string { return names[feed] }}
	lines, err := s.db.RecentLines(r.Context(), req.Lines)
	if err != nil {
		return err
	}
	ans := ruleTestAnswer{Tested: len(lines), Lines: []ruleTestLine{}}
	for _, l := range lines {
		minor, ok := l.Amount.MinorUnits(2)
		if !ok {
			continue
		}
		day, _ := match.DayOf(l.PostedOn)
		text := strings.TrimSpace(l.Name + " " + l.Memo)
		labels, res := lb.Explain(&match.Line{Key: int64(l.ID), Account: int64(l.AccountID), Day: day, Amount: minor, Text: text, Check: l.CheckNum})
		if len(res.Fired) == 0 {
			continue
		}
		ans.Matched++
		if len(ans.Lines) < 100 {
			ans.Lines = append(ans.Lines, ruleTestLine{LineID: l.ID, AccountID: l.AccountID, PostedOn: l.PostedOn, Amount: l.Amount,
				Text: text, State: l.State, Result: labelsText(labels)})
		}
	}
	return writeJSON(w, http.StatusOK, ans)
}

// labelsText says in words what labels set.
func labelsText(l match.Labels) string {
	var parts []string
	if l.Payee != "" && l.SetBy["payee"] != "" {
		parts = append(parts, "payee "+l.Payee)
	}
	if l.Category != "" {
		parts = append(parts, "category "+l.Category)
	}
	for _, sp := range l.Splits {
		parts = append(parts, "split "+sp.Category+" "+bankfeed.NewDecimal(sp.Amount, 2).String())
	}
	if l.Memo != "" {
		parts = append(parts, "memo "+l.Memo)
	}
	if _, ok := l.SetBy["transfer"]; ok {
		parts = append(parts, "transfer "+l.Transfer)
	}
	if l.Exclude {
		parts = append(parts, "exclude")
	}
	if l.AutoAdd {
		parts = append(parts, "add without review")
	}
	return strings.Join(parts, ", ")
}
