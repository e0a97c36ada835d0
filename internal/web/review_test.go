package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

// booksStates maps each line to its review state.
func (e *testEnv) booksStates() map[int64]bankfeed.ReviewState {
	e.t.Helper()
	items, err := e.db.Reviews(e.t.Context(), store.ReviewFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[int64]bankfeed.ReviewState{}
	for _, it := range items {
		out[int64(it.LineID)] = it.State
	}
	return out
}

// booksLastAudit is the newest audit entry about a line.
func (e *testEnv) booksLastAudit(line int64) *bankfeed.AuditEntry {
	e.t.Helper()
	as, err := e.db.AuditLog(e.t.Context(), store.AuditFilter{Subject: fmt.Sprintf("line %d", line), Limit: 1})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(as) == 0 {
		e.t.Fatalf("no audit entry for line %d", line)
	}
	return as[0]
}

func TestReviewDecisions(t *testing.T) {
	e := newTestEnv(t)
	bk := e.signIn("bookkeeper")
	ids := e.booksLoad(bk)
	if len(ids) != 3 {
		t.Fatalf("queue %v, want 3 lines", ids)
	}
	coffee, hardware, payroll := ids[0], ids[1], ids[2]

	// An entry typed for the payroll line, which it then matches.
	var entry bankfeed.Entry
	decode(t, e.do(bk, "POST", "/api/v1/entries", map[string]any{"date": "2026-01-07", "payee": "Acme", "account": "1",
		"amount": "2500.00", "category": "Income:Salary"}), http.StatusCreated, &entry)
	if e.booksStates()[payroll] != bankfeed.ReviewPending {
		// The entry claimed its line at once: take that back, so that the
		// match below is a person's.
		decode(t, e.do(bk, "POST", fmt.Sprintf("/api/v1/review/%d/undo", payroll), nil), http.StatusOK, nil)
	}

	tests := []struct {
		name       string
		line       int64
		action     string
		body       any
		status     int
		wantState  bankfeed.ReviewState
		wantAction string
		wantErr    string
	}{
		{"add with a category", coffee, "add", map[string]any{"category": "Expenses:Coffee", "payee": "Coffee House"}, 200, bankfeed.ReviewAdded, "review.add", ""},
		{"add again is a conflict", coffee, "add", map[string]any{"category": "Expenses:Coffee"}, 409, bankfeed.ReviewAdded, "review.add", "already"},
		{"add with a category and splits", hardware, "add", map[string]any{"category": "Expenses:Tools", "splits": []map[string]string{{"account": "Expenses:Tools", "amount": "80.00"}}}, 400, bankfeed.ReviewPending, "", "category and splits"},
		{"add with an unknown field", hardware, "add", map[string]any{"categroy": "Expenses:Tools"}, 400, bankfeed.ReviewPending, "", "categroy"},
		{"exclude", hardware, "exclude", map[string]any{"reason": "personal"}, 200, bankfeed.ReviewExcluded, "review.exclude", ""},
		{"undo", hardware, "undo", nil, 200, bankfeed.ReviewPending, "review.undo", ""},
		{"undo of a line For Review", hardware, "undo", nil, 409, bankfeed.ReviewPending, "review.undo", "nothing to undo"},
		{"match the typed entry", payroll, "match", map[string]any{"entry_id": entry.ID}, 200, bankfeed.ReviewMatched, "review.match", ""},
		{"match of a line not there", 999, "match", map[string]any{"entry_id": entry.ID}, 404, "", "", "999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(bk, "POST", fmt.Sprintf("/api/v1/review/%d/%s", tt.line, tt.action), tt.body)
			var body struct {
				State string `json:"state"`
				Error struct {
					Message string `json:"message"`
				} `json:"error"`
			}
			decode(t, res, tt.status, &body)
			if tt.wantErr != "" && !strings.Contains(body.Error.Message, tt.wantErr) {
				t.Errorf("error %q, want it to say %q", body.Error.Message, tt.wantErr)
			}
			if got := e.booksStates()[tt.line]; got != tt.wantState {
				t.Errorf("line %d is %q, want %q", tt.line, got, tt.wantState)
			}
			if tt.status == 200 {
				a := e.booksLastAudit(tt.line)
				if a.Action != tt.wantAction || a.Actor != "bookkeeper" {
					t.Errorf("audit %s by %s, want %s by bookkeeper", a.Action, a.Actor, tt.wantAction)
				}
			}
		})
	}
	// The queue holds what is left; the decided list holds the rest.
	if got := e.booksQueue(bk, ""); len(got) != 1 || got[0] != hardware {
		t.Errorf("queue %v, want [%d]", got, hardware)
	}
	if got := e.booksQueue(bk, "state=decided"); len(got) != 2 {
		t.Errorf("decided %v, want 2 lines", got)
	}
}

func TestReviewViewerRefused(t *testing.T) {
	e := newTestEnv(t)
	ids := e.booksLoad(e.signIn("bookkeeper"))
	v := e.signIn("viewer")
	for _, p := range []string{"add", "match", "transfer", "exclude", "undo"} {
		res := e.do(v, "POST", fmt.Sprintf("/api/v1/review/%d/%s", ids[0], p), map[string]any{})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("viewer %s: %s, want 403", p, res.Status)
		}
	}
	if res := e.do(v, "POST", "/api/v1/review/bulk", map[string]any{"action": "exclude", "lines": ids}); res.StatusCode != http.StatusForbidden {
		t.Errorf("viewer bulk: %s, want 403", res.Status)
	}
	if got := e.booksStates(); got[ids[0]] != bankfeed.ReviewPending {
		t.Errorf("after the refusals line %d is %s", ids[0], got[ids[0]])
	}
	// The viewer sees the queue, without the controls.
	res := e.do(v, "GET", "/review", nil)
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(b), "COFFEE HOUSE") || strings.Contains(string(b), `data-act="add"`) {
		t.Errorf("viewer's review page: %s, controls shown: %v", res.Status, strings.Contains(string(b), `data-act="add"`))
	}
}

func TestReviewBulk(t *testing.T) {
	e := newTestEnv(t)
	bk := e.signIn("bookkeeper")
	ids := e.booksLoad(bk)
	type result struct {
		Done, Failed int
		Results      []struct {
			LineID int64 `json:"line_id"`
			OK     bool  `json:"ok"`
			Error  *struct {
				Code string `json:"code"`
			} `json:"error"`
		}
	}
	var r result
	decode(t, e.do(bk, "POST", "/api/v1/review/bulk", map[string]any{"action": "exclude", "lines": ids[:2], "reason": "not ours"}), 200, &r)
	if r.Done != 2 || r.Failed != 0 {
		t.Fatalf("bulk exclude: %+v", r)
	}
	for _, id := range ids[:2] {
		if st := e.booksStates()[id]; st != bankfeed.ReviewExcluded {
			t.Errorf("line %d is %s, want excluded", id, st)
		}
		if a := e.booksLastAudit(id); a.Action != "review.exclude" || a.Actor != "bookkeeper" {
			t.Errorf("line %d audit %s by %s", id, a.Action, a.Actor)
		}
	}
	// Per line: the excluded one fails, the other is done.
	decode(t, e.do(bk, "POST", "/api/v1/review/bulk", map[string]any{"action": "exclude", "lines": []int64{ids[0], ids[2]}}), 200, &r)
	if r.Done != 1 || r.Failed != 1 || r.Results[0].OK || r.Results[0].Error == nil || r.Results[0].Error.Code != "conflict" || !r.Results[1].OK {
		t.Errorf("bulk over a decided line: %+v", r)
	}
	for _, tt := range []struct {
		name, want string
		body       any
	}{
		{"no action", "action", map[string]any{"lines": ids}},
		{"a bad action", "action", map[string]any{"action": "burn", "lines": ids}},
		{"no lines", "lines", map[string]any{"action": "undo"}},
		{"a bad line", "lines[1]", map[string]any{"action": "undo", "lines": []int64{ids[0], -3}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(bk, "POST", "/api/v1/review/bulk", tt.body)
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != 400 || !strings.Contains(string(b), tt.want) {
				t.Errorf("%s: %s", res.Status, b)
			}
		})
	}
}

func TestReviewQueueFilters(t *testing.T) {
	e := newTestEnv(t)
	bk := e.signIn("bookkeeper")
	ids := e.booksLoad(bk)
	tests := []struct {
		name  string
		query url.Values
		want  []int64
	}{
		{"all", url.Values{}, ids},
		{"text", url.Values{"q": {"coffee"}}, ids[:1]},
		{"amount range", url.Values{"min": {"-100"}, "max": {"-50.00"}}, ids[1:2]},
		{"dates", url.Values{"from": {"2026-01-06"}, "to": {"2026-01-06"}}, ids[1:2]},
		{"account", url.Values{"account": {"1"}}, ids},
		{"another account", url.Values{"account": {"2"}}, nil},
		{"a page", url.Values{"limit": {"2"}}, ids[:2]},
		{"the page after", url.Values{"limit": {"2"}, "cursor": {fmt.Sprint(ids[1])}}, ids[2:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.booksQueue(bk, tt.query.Encode())
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	for _, tt := range []struct{ query, want string }{
		{"from=yesterday", "from"}, {"min=ten", "min"}, {"state=maybe", "state"}, {"limit=0", "limit"}, {"cursor=x", "cursor"},
	} {
		res := e.do(bk, "GET", "/api/v1/review?"+tt.query, nil)
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 400 || !strings.Contains(string(b), tt.want) {
			t.Errorf("%s: %s %s", tt.query, res.Status, b)
		}
	}
}

func TestReviewPage(t *testing.T) {
	e := newTestEnv(t)
	bk := e.signIn("bookkeeper")
	ids := e.booksLoad(bk)
	decode(t, e.do(bk, "POST", fmt.Sprintf("/api/v1/review/%d/exclude", ids[1]), nil), 200, nil)
	res := e.do(bk, "GET", "/review", nil)
	b, _ := io.ReadAll(res.Body)
	page := string(b)
	if res.StatusCode != 200 {
		t.Fatalf("review page: %s", res.Status)
	}
	for _, want := range []string{
		"COFFEE HOUSE", "PAYROLL ACME", // the queue
		`data-act="add"`, `data-act="exclude"`, `data-bulk="exclude"`, // the controls
		"<kbd>j</kbd>", "<kbd>m</kbd>", "<kbd>u</kbd>", "<kbd>?</kbd>", // the keys
		"Recently decided", fmt.Sprintf(`data-api="POST /api/v1/review/%d/undo"`, ids[1]), // the decided line, with its undo
		"/static/review.js", "/static/books.css",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the review page lacks %s", want)
		}
	}
	if strings.Contains(page, " style=") || strings.Contains(page, "onclick") {
		t.Error("the review page has inline style or script")
	}
	// A bad filter is an error page naming it.
	if res := e.do(bk, "GET", "/review?from=soon", nil); res.StatusCode != 400 {
		t.Errorf("bad filter: %s", res.Status)
	}
}

// booksAudit says the newest audit entry about subject: "action by actor".
func (e *testEnv) booksAudit(subject string) string {
	e.t.Helper()
	as, err := e.db.AuditLog(e.t.Context(), store.AuditFilter{Subject: subject, Limit: 1})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(as) == 0 {
		return "none"
	}
	return as[0].Action + " by " + as[0].Actor
}

// TestReviewPossibleDuplicate: a line bankfeed had added, put back For
// Review because the person typed an entry like it, says so on the page,
// and the API carries the mark in set_by.
func TestReviewPossibleDuplicate(t *testing.T) {
	e := newTestEnv(t)
	bk := e.signIn("bookkeeper")
	ids := e.booksLoad(bk)
	// An entry the engine will not match to the line by itself (months
	// before it); the line is then marked by hand as the engine marks one.
	var en bankfeed.Entry
	decode(t, e.do(bk, "POST", "/api/v1/entries", map[string]any{"date": "2025-06-01", "payee": "Coffee House",
		"account": "1", "amount": "-12.50", "category": "Expenses:Meals"}), http.StatusCreated, &en)
	ctx := t.Context()
	if err := e.db.Update(ctx, func(tx *store.Tx) error {
		rv, err := tx.Review(ctx, bankfeed.LineID(ids[0]))
		if err != nil {
			return err
		}
		rv.State, rv.EntryID, rv.Suggestion, rv.Score = bankfeed.ReviewPending, nil, &en.ID, 7
		rv.SetBy = map[string]string{"suggestion": "duplicate"}
		return tx.PutReviews(ctx, []*bankfeed.Review{rv})
	}); err != nil {
		t.Fatal(err)
	}
	res := e.do(bk, "GET", "/review", nil)
	b, _ := io.ReadAll(res.Body)
	page := string(b)
	if want := fmt.Sprintf(`<b>Possible duplicate</b> of entry <a href="/entries/%d">%d</a>`, en.ID, en.ID); !strings.Contains(page, want) {
		t.Errorf("the review page lacks %q", want)
	}
	if n := strings.Count(page, "Possible duplicate"); n != 1 {
		t.Errorf("%d possible duplicates on the page, want 1", n)
	}
	var q struct {
		Items []struct {
			LineID int64             `json:"line_id"`
			SetBy  map[string]string `json:"set_by"`
		} `json:"items"`
	}
	decode(t, e.do(bk, "GET", "/api/v1/review", nil), http.StatusOK, &q)
	for _, it := range q.Items {
		if it.LineID == ids[0] && it.SetBy["suggestion"] != "duplicate" {
			t.Errorf("line %d: set_by %v, want the duplicate mark", it.LineID, it.SetBy)
		}
	}
}
