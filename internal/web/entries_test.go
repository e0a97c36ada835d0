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

// TestEntryPage: an entry has a page of its own, with its splits and the
// bank lines linked to them; a bookkeeper is offered what the API allows
// on it; every link to an entry goes there, not to the JSON.
func TestEntryPage(t *testing.T) {
	e := newTestEnv(t)
	bk, viewer := e.signIn("bookkeeper"), e.signIn("viewer")
	ids := e.booksLoad(bk)
	coffee := ids[0]
	var added struct {
		Entry struct {
			ID int64 `json:"id"`
		} `json:"entry"`
	}
	decode(t, e.do(bk, "POST", fmt.Sprintf("/api/v1/review/%d/add", coffee), map[string]any{"category": "Expenses:Coffee", "payee": "Coffee House"}), http.StatusOK, &added)
	id := added.Entry.ID
	path := fmt.Sprintf("/entries/%d", id)

	res := e.do(viewer, "GET", path, nil)
	page := readAll(res)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s as a viewer: %s %s", path, res.Status, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		fmt.Sprintf("Entry %d", id), "Coffee House", "2026-01-05", "added from a bank line", "by bookkeeper",
		"Expenses:Coffee", "-12.50", `id="entry-lines"`, "COFFEE HOUSE", "uncleared",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("entry page as a viewer lacks %q", want)
		}
	}
	for _, not := range []string{"Delete entry", "/undo"} {
		if strings.Contains(page, not) {
			t.Errorf("entry page offers a viewer %q", not)
		}
	}
	page = readAll(e.do(bk, "GET", path, nil))
	for _, want := range []string{
		fmt.Sprintf(`data-api="DELETE /api/v1/entries/%d"`, id),
		fmt.Sprintf(`data-api="POST /api/v1/review/%d/undo"`, coffee),
	} {
		if !strings.Contains(page, want) {
			t.Errorf("entry page as a bookkeeper lacks %q", want)
		}
	}

	for _, p := range []string{"/entries/999999", "/entries/abc"} {
		res := e.do(viewer, "GET", p, nil)
		if b := readAll(res); res.StatusCode != http.StatusNotFound || !strings.Contains(b, "<h1>Not Found</h1>") {
			t.Errorf("GET %s: %s, want the 404 page:\n%s", p, res.Status, b)
		}
	}

	// Pages that name the entry link to its page.
	for _, p := range []string{"/review", "/review?state=decided", "/accounts/1"} {
		b := readAll(e.do(viewer, "GET", p, nil))
		if !strings.Contains(b, fmt.Sprintf(`href="/entries/%d"`, id)) {
			t.Errorf("%s does not link to entry %d", p, id)
		}
		if strings.Contains(b, `href="/api/v1/entries/`) {
			t.Errorf("%s links to an entry's JSON", p)
		}
	}
}
