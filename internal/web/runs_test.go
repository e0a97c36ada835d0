package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed/internal/fakebank"
)

// TestRunTranscript: the runs API and pages show a run's exchange with the
// bank, and never the password.
func TestRunTranscript(t *testing.T) {
	e := newFeedEnv(t)
	e.troubled()
	viewer := e.signIn("viewer")
	c := e.conns[fakebank.DemoMaintenance]
	var list runsAnswer
	decode(t, e.do(viewer, "GET", "/api/v1/runs?connection="+feedID(c.ID)+"&limit=5", nil), http.StatusOK, &list)
	if len(list.Runs) == 0 {
		t.Fatal("no runs")
	}
	for _, r := range list.Runs {
		if r.ConnectionID != c.ID || r.Connection != c.Name {
			t.Errorf("run %d of connection %d %q, want %d", r.ID, r.ConnectionID, r.Connection, c.ID)
		}
	}
	failed := list.Runs[0]
	if failed.Outcome != "failed" || failed.FailureClass != "bank.maintenance" {
		t.Fatalf("latest run: %s %s", failed.Outcome, failed.FailureClass)
	}
	id := feedID(failed.ID)
	var okRun int64
	decode(t, e.do(viewer, "GET", "/api/v1/runs?connection="+feedID(e.conns[fakebank.DemoHealthy].ID), nil), http.StatusOK, &list)
	okRun = int64(list.Runs[len(list.Runs)-1].ID)
	tests := []struct {
		name, path string
		want       []string
	}{
		{"api", "/api/v1/runs/" + id, []string{`"transcript":[{`, `"failure_class":"bank.maintenance"`, "USERPASS"}},
		{"page", "/runs/" + id, []string{"Exchange 1", "<pre", "bank.maintenance", "Your data is safe"}},
		{"first sync's page", "/runs/" + feedID(okRun), []string{"Exchange 1", "USERPASS"}},
		{"list page", "/runs?connection=" + feedID(c.ID), []string{"/runs/" + id, "bank.maintenance"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(viewer, "GET", tt.path, nil)
			b := bodyOf(res)
			body := b
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s: %s\n%s", tt.path, res.Status, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("lacks %q", w)
				}
			}
			for _, inst := range []string{fakebank.DemoHealthy, fakebank.DemoMaintenance, fakebank.DemoTerms} {
				if pw := e.password(inst); strings.Contains(body, pw) {
					t.Errorf("holds %s's password", inst)
				}
			}
		})
	}
	// Bad filters name themselves.
	for _, q := range []string{"connection=x", "account=-1", "limit=0", "limit=9999"} {
		res := e.do(viewer, "GET", "/api/v1/runs?"+q, nil)
		b := bodyOf(res)
		name, _, _ := strings.Cut(q, "=")
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(b, name) {
			t.Errorf("?%s: %s %s", q, res.Status, b)
		}
	}
	decode(t, e.do(viewer, "GET", "/api/v1/runs/999999", nil), http.StatusNotFound, nil)
}
