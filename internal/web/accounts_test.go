package web

import (
	"io"
	"strings"
	"testing"
)

func TestAccountRegister(t *testing.T) {
	e := newTestEnv(t)
	v := e.signIn("viewer")
	e.booksLoad(e.signIn("bookkeeper"))
	var accts []struct {
		ID         int64 `json:"id"`
		Lines      int64 `json:"lines"`
		Unreviewed int64 `json:"unreviewed"`
		Balance    *struct {
			Amount string `json:"amount"`
		} `json:"balance"`
	}
	decode(t, e.do(v, "GET", "/api/v1/accounts", nil), 200, &accts)
	if len(accts) != 1 || accts[0].Lines != 3 || accts[0].Unreviewed != 3 || accts[0].Balance == nil || accts[0].Balance.Amount != "1000.00" {
		t.Fatalf("accounts %+v", accts)
	}
	type page struct {
		Lines []struct {
			FITID string `json:"fitid"`
			State string `json:"state"`
		} `json:"lines"`
		Next string `json:"next"`
	}
	var p1, p2 page
	decode(t, e.do(v, "GET", "/api/v1/accounts/1/lines?limit=2", nil), 200, &p1)
	if len(p1.Lines) != 2 || p1.Lines[0].FITID != "f3" || p1.Lines[1].FITID != "f2" || p1.Next == "" || p1.Lines[0].State != "review" {
		t.Fatalf("first page %+v", p1)
	}
	decode(t, e.do(v, "GET", "/api/v1/accounts/1/lines?limit=2&cursor="+p1.Next, nil), 200, &p2)
	if len(p2.Lines) != 1 || p2.Lines[0].FITID != "f1" || p2.Next != "" {
		t.Fatalf("second page %+v", p2)
	}
	for _, tt := range []struct {
		path   string
		status int
		want   string
	}{
		{"/accounts", 200, `href="/accounts/1"`},
		{"/accounts/1", 200, "COFFEE HOUSE"},
		{"/accounts/1?limit=2", 200, "Older lines"},
		{"/accounts/9", 404, ""},
		{"/api/v1/accounts/9/lines", 404, "9"},
		{"/api/v1/accounts/1/lines?limit=x", 400, "limit"},
		{"/api/v1/accounts/1/lines?cursor=zz", 400, "cursor"},
	} {
		res := e.do(v, "GET", tt.path, nil)
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != tt.status || !strings.Contains(string(b), tt.want) {
			t.Errorf("%s: %s, want %d with %q", tt.path, res.Status, tt.status, tt.want)
		}
	}
}
