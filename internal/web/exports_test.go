package web

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestExport(t *testing.T) {
	e := newTestEnv(t)
	bk := e.signIn("bookkeeper")
	ids := e.booksLoad(bk)
	decode(t, e.do(bk, "POST", fmt.Sprintf("/api/v1/review/%d/add", ids[0]), map[string]any{"category": "Expenses:Coffee", "payee": "Coffee House"}), 200, nil)
	v := e.signIn("viewer")
	for _, tt := range []struct {
		query, status, want, file string
	}{
		{"format=hledger", "200 OK", "Expenses:Coffee", ".journal"},
		{"format=beancount", "200 OK", "Coffee House", ".beancount"},
		{"format=csv&account=1", "200 OK", "Expenses:Coffee", ".csv"},
		{"format=qbo", "200 OK", "<FITID>f1", ".qbo"},
		{"format=ofx", "200 OK", "<FITID>f1", ".ofx"},
		{"", "400 Bad Request", "format: required", ""},
		{"format=xlsx", "400 Bad Request", "format \\\"xlsx\\\"", ""},
		{"format=csv&from=2026-02-01&to=2026-01-01", "400 Bad Request", "after", ""},
		{"format=csv&account=Assets:Nowhere", "400 Bad Request", "account", ""},
	} {
		t.Run(tt.query, func(t *testing.T) {
			res := e.do(v, "GET", "/api/v1/export?"+tt.query, nil)
			b, _ := io.ReadAll(res.Body)
			if res.Status != tt.status || !strings.Contains(string(b), tt.want) {
				t.Fatalf("%s: %s", res.Status, b)
			}
			if cd := res.Header.Get("Content-Disposition"); tt.file != "" && (!strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, tt.file)) {
				t.Errorf("Content-Disposition %q", cd)
			}
		})
	}
}
