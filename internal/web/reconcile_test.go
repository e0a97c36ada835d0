package web

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// booksStatementView is a reconciliation as the API answers it.
type booksStatementView struct {
	ID             int64  `json:"id"`
	State          string `json:"state"`
	Difference     string `json:"difference"`
	DifferenceZero bool   `json:"difference_zero"`
	Candidates     []struct {
		ID     int64  `json:"id"`
		Amount string `json:"amount"`
	} `json:"candidates"`
	TickedSplits []struct {
		ID int64 `json:"id"`
	} `json:"ticked_splits"`
}

func TestReconcile(t *testing.T) {
	e := newTestEnv(t)
	bk := e.signIn("bookkeeper")
	ids := e.booksLoad(bk)
	for _, id := range []int64{ids[0], ids[2]} {
		decode(t, e.do(bk, "POST", fmt.Sprintf("/api/v1/review/%d/add", id), map[string]any{"category": "Expenses:Misc"}), 200, nil)
	}

	// The check: the bank says 1000.00; the books differ, and say why.
	var reports []struct {
		Account    string `json:"account"`
		HasBalance bool   `json:"has_balance"`
		Bank       string `json:"bank_balance"`
		Books      string `json:"books_balance"`
		Balanced   bool   `json:"balanced"`
		Causes     []struct {
			Kind string `json:"kind"`
		} `json:"causes"`
	}
	decode(t, e.do(bk, "GET", "/api/v1/reconcile", nil), 200, &reports)
	if len(reports) != 1 || !reports[0].HasBalance || reports[0].Bank != "1000.00" || reports[0].Books != "2487.50" || reports[0].Balanced || len(reports[0].Causes) == 0 {
		t.Fatalf("check: %+v", reports)
	}
	account := reports[0].Account
	res := e.do(bk, "GET", "/reconcile", nil)
	page, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(page), "Likely causes") || !strings.Contains(string(page), account) {
		t.Errorf("reconcile page: %s", res.Status)
	}
	// The opening balance the bank implies is offered as an entry.
	if !strings.Contains(string(page), `class="book-opening primary"`) || !strings.Contains(string(page), "Equity:Opening-Balances") {
		t.Error("the reconcile page offers no opening balance entry")
	}

	// Bad starts name their fields.
	for _, tt := range []struct {
		body any
		want string
	}{
		{map[string]any{"account": account, "statement_on": "31/01/2026", "balance": "1"}, "statement_on"},
		{map[string]any{"account": account, "statement_on": "2026-01-31", "balance": "lots"}, "balance"},
		{map[string]any{"account": "Assets:Nowhere", "statement_on": "2026-01-31", "balance": "1"}, "account"},
	} {
		res := e.do(bk, "POST", "/api/v1/reconciliations", tt.body)
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 400 || !strings.Contains(string(b), tt.want) {
			t.Errorf("start %v: %s %s", tt.body, res.Status, b)
		}
	}

	// Start without ticking; tick both splits; the difference goes to zero.
	var st booksStatementView
	decode(t, e.do(bk, "POST", "/api/v1/reconciliations", map[string]any{"account": "1", "statement_on": "2026-01-31", "balance": "2487.50", "no_auto": true}), http.StatusCreated, &st)
	if st.DifferenceZero || len(st.Candidates) != 2 || st.Difference != "2487.50" {
		t.Fatalf("started: %+v", st)
	}
	splits := []int64{st.Candidates[0].ID, st.Candidates[1].ID}
	path := fmt.Sprintf("/api/v1/reconciliations/%d", st.ID)
	steps := []struct {
		name, action string
		body         any
		status       int
		wantDiff     string
	}{
		{"finish while off", "finish", nil, 0, ""},
		{"tick one", "tick", map[string]any{"splits": splits[:1]}, 200, "2500.00"},
		{"tick the other", "tick", map[string]any{"splits": splits[1:]}, 200, "0.00"},
		{"untick one", "untick", map[string]any{"splits": splits[:1]}, 200, "-12.50"},
		{"tick it again", "tick", map[string]any{"splits": splits[:1]}, 200, "0.00"},
		{"tick nothing", "tick", map[string]any{"splits": []int64{}}, 400, ""},
		{"finish", "finish", nil, 200, "0.00"},
		{"tick once locked", "untick", map[string]any{"splits": splits[:1]}, 409, ""},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			res := e.do(bk, "POST", path+"/"+s.action, s.body)
			if s.status == 0 {
				if res.StatusCode < 400 {
					t.Fatalf("%s: %s, want a refusal", s.name, res.Status)
				}
				return
			}
			var v booksStatementView
			decode(t, res, s.status, &v)
			if s.status == 200 && v.Difference != s.wantDiff {
				t.Errorf("difference %s, want %s", v.Difference, s.wantDiff)
			}
		})
	}
	decode(t, e.do(bk, "GET", path, nil), 200, &st)
	if st.State != "locked" || len(st.TickedSplits) != 2 {
		t.Errorf("after finish: %+v", st)
	}
	if a := e.booksAudit(fmt.Sprintf("reconciliation %d", st.ID)); !strings.HasSuffix(a, "by bookkeeper") {
		t.Errorf("audit: %s", a)
	}
	// The page shows it locked; a viewer may not undo it.
	res = e.do(e.signIn("viewer"), "GET", fmt.Sprintf("/reconcile/%d", st.ID), nil)
	if b, _ := io.ReadAll(res.Body); res.StatusCode != 200 || !strings.Contains(string(b), "Locked") || strings.Contains(string(b), "/undo") {
		t.Errorf("viewer's reconciliation page: %s", res.Status)
	}
	if res := e.do(e.signIn("viewer"), "POST", path+"/undo", nil); res.StatusCode != 403 {
		t.Errorf("viewer undo: %s", res.Status)
	}
	var undo struct {
		Reopened bool `json:"reopened"`
	}
	decode(t, e.do(bk, "POST", path+"/undo", nil), 200, &undo)
	if !undo.Reopened {
		t.Error("undo of a locked reconciliation did not reopen it")
	}
}
