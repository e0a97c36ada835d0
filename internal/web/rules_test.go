package web

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// booksCoffeeRule names the payee of the coffee line.
func booksCoffeeRule() map[string]any {
	return map[string]any{"name": "Coffee", "stage": "pre", "conditions": []map[string]any{{"field": "description", "op": "contains", "value": "COFFEE"}},
		"actions": []map[string]any{{"set": "payee", "value": "Coffee House"}}}
}

func TestRules(t *testing.T) {
	e := newTestEnv(t)
	bk := e.signIn("bookkeeper")
	ids := e.booksLoad(bk)

	// Test first: the rule would match the coffee line only.
	var tr struct {
		Tested, Matched int
		Lines           []struct {
			LineID int64  `json:"line_id"`
			Result string `json:"result"`
		}
	}
	decode(t, e.do(bk, "POST", "/api/v1/rules/test", map[string]any{"rule": booksCoffeeRule()}), 200, &tr)
	if tr.Tested != 3 || tr.Matched != 1 || tr.Lines[0].LineID != ids[0] || !strings.Contains(tr.Lines[0].Result, "payee Coffee House") {
		t.Fatalf("test: %+v", tr)
	}

	// Adding it labels the waiting line at once.
	var rule struct {
		ID      int64  `json:"id"`
		Origin  string `json:"origin"`
		Enabled bool   `json:"enabled"`
	}
	decode(t, e.do(bk, "POST", "/api/v1/rules", booksCoffeeRule()), http.StatusCreated, &rule)
	if rule.ID == 0 || rule.Origin != "user" || !rule.Enabled {
		t.Fatalf("added %+v", rule)
	}
	queue := func() map[int64][2]string {
		var page struct {
			Items []struct {
				LineID int64             `json:"line_id"`
				Payee  string            `json:"payee"`
				SetBy  map[string]string `json:"set_by"`
			} `json:"items"`
		}
		decode(t, e.do(bk, "GET", "/api/v1/review", nil), 200, &page)
		out := map[int64][2]string{}
		for _, it := range page.Items {
			out[it.LineID] = [2]string{it.Payee, it.SetBy["payee"]}
		}
		return out
	}
	if got := queue()[ids[0]]; got[0] != "Coffee House" || got[1] != fmt.Sprintf("rule %d", rule.ID) {
		t.Errorf("after the rule, the coffee line is labelled %v", got)
	}
	if a := e.booksAudit(fmt.Sprintf("rule %d", rule.ID)); a != "rule.add by bookkeeper" {
		t.Errorf("audit: %s", a)
	}
	// Disabling it takes the label away; enabling brings it back.
	decode(t, e.do(bk, "POST", fmt.Sprintf("/api/v1/rules/%d/disable", rule.ID), nil), 200, &rule)
	if rule.Enabled || queue()[ids[0]][1] != "" {
		t.Errorf("after disable: rule %+v, line %v", rule, queue()[ids[0]])
	}
	decode(t, e.do(bk, "POST", fmt.Sprintf("/api/v1/rules/%d/enable", rule.ID), nil), 200, &rule)
	if !rule.Enabled || queue()[ids[0]][0] != "Coffee House" {
		t.Errorf("after enable: rule %+v, line %v", rule, queue()[ids[0]])
	}
	// Edit: a new category.
	edited := booksCoffeeRule()
	edited["actions"] = []map[string]any{{"set": "payee", "value": "Corner Coffee"}}
	decode(t, e.do(bk, "PUT", fmt.Sprintf("/api/v1/rules/%d", rule.ID), edited), 200, nil)
	if got := queue()[ids[0]][0]; got != "Corner Coffee" {
		t.Errorf("after edit: %s", got)
	}
	// Invalid rules are refused, every problem named.
	for _, tt := range []struct {
		name string
		body any
		want []string
	}{
		{"empty", map[string]any{}, []string{"name: empty", "conditions: none", "actions: none"}},
		{"bad op", map[string]any{"name": "x", "conditions": []map[string]any{{"field": "description", "op": "near", "value": "A"}},
			"actions": []map[string]any{{"set": "category", "value": "Expenses:X"}}}, []string{"conditions[0].op"}},
		{"unknown field", map[string]any{"name": "x", "colour": "red"}, []string{"colour"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(bk, "POST", "/api/v1/rules", tt.body)
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != 400 {
				t.Fatalf("%s: %s", res.Status, b)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("answer %s does not name %s", b, w)
				}
			}
		})
	}
	// The page lists it; a viewer may not change it.
	v := e.signIn("viewer")
	res := e.do(v, "GET", "/rules", nil)
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(b), "Coffee") || strings.Contains(string(b), "/disable") {
		t.Errorf("viewer's rules page: %s", res.Status)
	}
	if res := e.do(v, "DELETE", fmt.Sprintf("/api/v1/rules/%d", rule.ID), nil); res.StatusCode != 403 {
		t.Errorf("viewer remove: %s", res.Status)
	}
	res = e.do(bk, "GET", "/rules", nil)
	if b, _ := io.ReadAll(res.Body); !strings.Contains(string(b), fmt.Sprintf("/api/v1/rules/%d/disable", rule.ID)) {
		t.Error("the bookkeeper's rules page has no disable button")
	}
	// Remove: the label goes.
	if res := e.do(bk, "DELETE", fmt.Sprintf("/api/v1/rules/%d", rule.ID), nil); res.StatusCode != 204 {
		t.Fatalf("remove: %s", res.Status)
	}
	if got := queue()[ids[0]][1]; got != "" {
		t.Errorf("after remove, the payee is still set by %s", got)
	}
	if res := e.do(bk, "GET", fmt.Sprintf("/api/v1/rules/%d", rule.ID), nil); res.StatusCode != 404 {
		t.Errorf("removed rule: %s", res.Status)
	}
	// A rule that categorizes a waiting line adds it to the books at once.
	hw := map[string]any{"name": "Hardware", "conditions": []map[string]any{{"field": "description", "op": "contains", "value": "HARDWARE"}},
		"actions": []map[string]any{{"set": "category", "value": "Expenses:Tools"}}}
	decode(t, e.do(bk, "POST", "/api/v1/rules", hw), http.StatusCreated, nil)
	if _, waiting := queue()[ids[1]]; waiting || e.booksStates()[ids[1]] != "added" {
		t.Errorf("after a category rule the hardware line is %s", e.booksStates()[ids[1]])
	}
}
