package web

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestEntriesAndChart(t *testing.T) {
	e := newTestEnv(t)
	bk := e.signIn("bookkeeper")
	e.booksLoad(bk)
	for _, tt := range []struct {
		name string
		body map[string]any
		want []string
	}{
		{"empty", map[string]any{}, []string{"date", "amount", "category or splits", "account: required"}},
		{"both sides", map[string]any{"date": "2026-01-09", "account": "1", "amount": "-5", "category": "Expenses:A",
			"splits": []map[string]string{{"account": "Expenses:B", "amount": "5"}}}, []string{"category and splits"}},
		{"no such feed", map[string]any{"date": "2026-01-09", "account": "77", "amount": "-5", "category": "Expenses:A"}, []string{"account:"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(bk, "POST", "/api/v1/entries", tt.body)
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != 400 {
				t.Fatalf("%s: %s", res.Status, b)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("%s does not name %q", b, w)
				}
			}
		})
	}
	var en struct {
		ID     int64 `json:"id"`
		Splits []struct {
			Account string `json:"account"`
			Amount  string `json:"amount"`
		} `json:"splits"`
	}
	decode(t, e.do(bk, "POST", "/api/v1/entries", map[string]any{"date": "2026-01-09", "payee": "Rent", "account": "1", "amount": "-900.00",
		"splits": []map[string]string{{"account": "Expenses:Rent", "amount": "800.00"}, {"account": "Expenses:Fees", "amount": "100.00"}}}), http.StatusCreated, &en)
	if len(en.Splits) != 3 || en.Splits[0].Amount != "-900.00" {
		t.Fatalf("entry %+v", en)
	}
	if a := e.booksAudit(fmt.Sprintf("entry %d", en.ID)); a != "entry.add by bookkeeper" {
		t.Errorf("audit %s", a)
	}
	var list []map[string]any
	decode(t, e.do(bk, "GET", "/api/v1/entries?account=Expenses:Rent", nil), 200, &list)
	if len(list) != 1 {
		t.Errorf("entries in Expenses:Rent: %d", len(list))
	}
	if res := e.do(bk, "GET", "/api/v1/entries?from=soon", nil); res.StatusCode != 400 {
		t.Errorf("bad from: %s", res.Status)
	}
	if res := e.do(e.signIn("viewer"), "DELETE", fmt.Sprintf("/api/v1/entries/%d", en.ID), nil); res.StatusCode != 403 {
		t.Errorf("viewer remove: %s", res.Status)
	}
	if res := e.do(bk, "DELETE", fmt.Sprintf("/api/v1/entries/%d", en.ID), nil); res.StatusCode != 204 {
		t.Fatalf("remove: %s", res.Status)
	}
	if res := e.do(bk, "GET", fmt.Sprintf("/api/v1/entries/%d", en.ID), nil); res.StatusCode != 404 {
		t.Errorf("removed entry: %s", res.Status)
	}
	if a := e.booksAudit(fmt.Sprintf("entry %d", en.ID)); a != "entry.remove by bookkeeper" {
		t.Errorf("audit %s", a)
	}

	// The chart: add, a conflict, a bad name.
	decode(t, e.do(bk, "POST", "/api/v1/ledger-accounts", map[string]any{"name": "Expenses:Travel", "currency": "usd"}), http.StatusCreated, nil)
	for _, tt := range []struct {
		name   string
		status int
		want   string
	}{{"Expenses:Travel", 409, "already"}, {"Travel", 400, "name"}, {"Expenses::Air", 400, "empty part"}} {
		res := e.do(bk, "POST", "/api/v1/ledger-accounts", map[string]any{"name": tt.name})
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != tt.status || !strings.Contains(string(b), tt.want) {
			t.Errorf("add %s: %s %s", tt.name, res.Status, b)
		}
	}
	var chart []struct {
		Name, Currency string
	}
	decode(t, e.do(bk, "GET", "/api/v1/ledger-accounts", nil), 200, &chart)
	found := false
	for _, a := range chart {
		found = found || (a.Name == "Expenses:Travel" && a.Currency == "USD")
	}
	if !found {
		t.Errorf("chart %+v", chart)
	}
}
