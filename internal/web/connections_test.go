package web

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/fakebank"
	"github.com/bankfeed/bankfeed/internal/store"
)

func TestSyncNow(t *testing.T) {
	e := newFeedEnv(t)
	e.troubled()
	id := e.conns[fakebank.DemoHealthy].ID
	path := "/api/v1/connections/" + feedID(id) + "/sync"
	tests := []struct {
		user   string
		status int
		queued int
	}{
		{"viewer", http.StatusForbidden, 0},
		{"bookkeeper", http.StatusAccepted, 1},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			e.mu.Lock()
			e.queued = nil
			e.mu.Unlock()
			var ans syncAnswer
			res := e.do(e.signIn(tt.user), "POST", path, nil)
			if tt.status != http.StatusAccepted {
				decode(t, res, tt.status, nil)
			} else {
				decode(t, res, tt.status, &ans)
			}
			e.mu.Lock()
			defer e.mu.Unlock()
			if len(e.queued) != tt.queued || tt.queued > 0 && e.queued[0] != id {
				t.Errorf("queued %v, want %d of connection %d", e.queued, tt.queued, id)
			}
		})
	}
	audit, err := e.db.AuditLog(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasAudit(audit, "bookkeeper", "connection.sync") {
		t.Errorf("no audit record of the sync: %+v", audit)
	}
}

func hasAudit(log []*bankfeed.AuditEntry, actor, action string) bool {
	for _, a := range log {
		if a.Actor == actor && a.Action == action {
			return true
		}
	}
	return false
}

func TestResume(t *testing.T) {
	e := newFeedEnv(t)
	e.troubled()
	c := e.conns[fakebank.DemoTerms]
	before, err := e.db.Connection(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if before.State != bankfeed.ConnNeedsAction {
		t.Fatalf("before: %s, want needs_action", before.State)
	}
	decode(t, e.do(e.signIn("viewer"), "POST", "/api/v1/connections/"+feedID(c.ID)+"/resume", nil), http.StatusForbidden, nil)
	decode(t, e.do(e.signIn("bookkeeper"), "POST", "/api/v1/connections/"+feedID(c.ID)+"/resume", nil), http.StatusAccepted, nil)
	after, err := e.db.Connection(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.State == bankfeed.ConnNeedsAction || after.NextAttemptAt.IsZero() {
		t.Errorf("after resume: %s, next %v", after.State, after.NextAttemptAt)
	}
	e.mu.Lock()
	queued := append([]bankfeed.ConnectionID(nil), e.queued...)
	e.mu.Unlock()
	if len(queued) != 1 || queued[0] != c.ID {
		t.Errorf("queued %v, want a sync of %d", queued, c.ID)
	}
	audit, err := e.db.AuditLog(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasAudit(audit, "bookkeeper", "connection.resume") {
		t.Errorf("no audit record of the resume")
	}
}

func TestConnectAPI(t *testing.T) {
	e := newFeedEnv(t)
	p, in := e.profile(fakebank.DemoHealthy)
	pw := in.Users[0].Password
	admin := e.signIn("admin")
	tests := []struct {
		name   string
		body   map[string]any
		status int
		want   []string // in the answer
	}{
		{"missing fields", map[string]any{"profile": map[string]any{}}, http.StatusBadRequest,
			[]string{"name: empty", "profile.url: empty", "profile.org, profile.fid", "user_id: empty", "password: empty"}},
		{"unknown field", map[string]any{"name": "x", "pasword": "y"}, http.StatusBadRequest, []string{"pasword"}},
		{"wrong password", map[string]any{"name": "wrong", "profile": p, "user_id": in.Users[0].ID, "password": "not-the-password"},
			http.StatusOK, []string{`"saved":false`, string(bankfeed.FailInvalidCredentials)}},
		{"discovers the accounts", map[string]any{"name": "maple", "profile": p, "user_id": in.Users[0].ID, "password": pw},
			http.StatusCreated, []string{`"saved":true`, `"accounts":[{`, in.Users[0].Accounts[0].ID}},
		{"name taken", map[string]any{"name": "maple", "profile": p, "user_id": in.Users[0].ID, "password": pw},
			http.StatusConflict, []string{"exists already"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(admin, "POST", "/api/v1/connections", tt.body)
			b := bodyOf(res)
			body := b
			if res.StatusCode != tt.status {
				t.Fatalf("%s, want %d: %s", res.Status, tt.status, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("answer lacks %q: %s", w, body)
				}
			}
			if strings.Contains(body, pw) || strings.Contains(body, "not-the-password") {
				t.Errorf("the answer holds the password: %s", body)
			}
		})
	}
	// A bookkeeper may not set up connections.
	decode(t, e.do(e.signIn("bookkeeper"), "POST", "/api/v1/connections", map[string]any{}), http.StatusForbidden, nil)
	// The list and the detail show it, without a password.
	var list connectionsAnswer
	decode(t, e.do(admin, "GET", "/api/v1/connections", nil), http.StatusOK, &list)
	if len(list.Connections) != 1 || list.Connections[0].Name != "maple" || len(list.Connections[0].Accounts) == 0 {
		t.Fatalf("connections: %+v", list.Connections)
	}
	id := feedID(list.Connections[0].ID)
	for _, path := range []string{"/api/v1/connections/" + id, "/connections/" + id, "/connections", "/connections/new"} {
		res := e.do(admin, "GET", path, nil)
		b := bodyOf(res)
		if res.StatusCode != http.StatusOK || strings.Contains(b, pw) {
			t.Errorf("%s: %s (or it holds the password)", path, res.Status)
		}
	}
	// Disable, enable, password, reset, remove: each audited.
	steps := []struct {
		method, path string
		body         any
		action       string
	}{
		{"POST", "/disable", nil, "connection.disable"},
		{"POST", "/enable", nil, "connection.enable"},
		{"PUT", "/password", map[string]string{"password": "new-password-456"}, "connection.password"},
		{"POST", "/reset", nil, "connection.reset"},
		{"DELETE", "", nil, "connection.remove"},
	}
	for _, st := range steps {
		decode(t, e.do(admin, st.method, "/api/v1/connections/"+id+st.path, st.body), http.StatusOK, nil)
	}
	audit, err := e.db.AuditLog(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range append(steps, struct {
		method, path string
		body         any
		action       string
	}{action: "connection.create"}) {
		if !hasAudit(audit, "admin", st.action) {
			t.Errorf("no audit record of %s", st.action)
		}
	}
	for _, a := range audit {
		if strings.Contains(a.Detail, "new-password-456") || strings.Contains(a.Detail, pw) {
			t.Errorf("audit holds a password: %+v", a)
		}
	}
}

// TestConnectNeedsKey: a server without a key refuses setup, saying why.
func TestConnectNeedsKey(t *testing.T) {
	e := newTestEnv(t)
	res := e.do(e.signIn("admin"), "POST", "/api/v1/connections", map[string]any{"name": "x",
		"profile": map[string]string{"url": "https://127.0.0.1:1/ofx", "org": "X"}, "user_id": "u", "password": "p"})
	b := bodyOf(res)
	if res.StatusCode != http.StatusConflict || !strings.Contains(b, "BANKFEED_KEY") {
		t.Errorf("without a key: %s %s", res.Status, b)
	}
}

func feedID[T ~int64](id T) string { return strconvItoa(int(id)) }

// TestInstitutionName: a connection set up with a bank name shows the bank
// by it; an admin renames a bank (audited); others may not; bad names are
// refused naming the field.
func TestInstitutionName(t *testing.T) {
	e := newFeedEnv(t)
	p, in := e.profile(fakebank.DemoHealthy)
	admin := e.signIn("admin")
	var ans connectAnswer
	decode(t, e.do(admin, "POST", "/api/v1/connections", map[string]any{"name": "maple", "profile": p,
		"user_id": in.Users[0].ID, "password": in.Users[0].Password, "institution_name": "Maple on Main"}), http.StatusCreated, &ans)
	if ans.Institution != "Maple on Main" {
		t.Errorf("connect answered institution %q, want the name given", ans.Institution)
	}
	var list struct {
		Institutions []institutionJSON `json:"institutions"`
	}
	decode(t, e.do(admin, "GET", "/api/v1/institutions", nil), http.StatusOK, &list)
	if len(list.Institutions) != 1 || list.Institutions[0].Name != "Maple on Main" {
		t.Fatalf("institutions: %+v", list.Institutions)
	}
	path := "/api/v1/institutions/" + strconv.FormatInt(int64(list.Institutions[0].ID), 10)

	for _, tc := range []struct {
		name   string
		client *http.Client
		body   any
		status int
		want   string
	}{
		{"empty", admin, map[string]string{"name": "  "}, http.StatusBadRequest, "name: empty"},
		{"too long", admin, map[string]string{"name": strings.Repeat("x", 201)}, http.StatusBadRequest, "at most 200"},
		{"bookkeeper", e.signIn("bookkeeper"), map[string]string{"name": "Nope"}, http.StatusForbidden, ""},
		{"unknown bank", admin, map[string]string{"name": "Nope"}, http.StatusNotFound, "no institution"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := path
			if tc.name == "unknown bank" {
				p = "/api/v1/institutions/999"
			}
			res := e.do(tc.client, "PATCH", p, tc.body)
			if b := bodyOf(res); res.StatusCode != tc.status || !strings.Contains(b, tc.want) {
				t.Errorf("%s: %s, want %d with %q", res.Status, b, tc.status, tc.want)
			}
		})
	}
	var got institutionJSON
	decode(t, e.do(admin, "PATCH", path, map[string]string{"name": " Maple Street Bank "}), http.StatusOK, &got)
	if got.Name != "Maple Street Bank" {
		t.Errorf("renamed to %q", got.Name)
	}
	res := e.do(admin, "GET", "/connections/"+feedID(ans.ID), nil)
	if b := bodyOf(res); !strings.Contains(b, "Maple Street Bank") || !strings.Contains(b, `data-api="PATCH `+path+`"`) {
		t.Errorf("the connection page lacks the new name or the rename form")
	}
	audit, err := e.db.AuditLog(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasAudit(audit, "admin", "institution.rename") {
		t.Error("no audit record of the rename")
	}
}
