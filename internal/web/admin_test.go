package web

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed"
	"github.com/bankfeed/bankfeed/internal/store"
)

// TestUsersAPI: an admin adds, changes and removes users; each change is
// in the audit log under the admin's name; bad input names its field.
func TestUsersAPI(t *testing.T) {
	e := newTestEnv(t)
	admin := e.signIn("admin")
	tests := []struct {
		name   string
		body   map[string]any
		status int
		want   string
	}{
		{"short password", map[string]any{"name": "ann", "role": "viewer", "password": "short"}, 400, "password"},
		{"bad role", map[string]any{"name": "ann", "role": "owner", "password": testPassword}, 400, "role"},
		{"unknown field", map[string]any{"name": "ann", "role": "viewer", "password": testPassword, "admin": true}, 400, "admin"},
		{"taken", map[string]any{"name": "VIEWER", "role": "viewer", "password": testPassword}, 409, "exists"},
		{"ok", map[string]any{"name": "ann", "role": "bookkeeper", "password": testPassword}, 201, `"name":"ann"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(admin, "POST", "/api/v1/users", tt.body)
			b := readAll(res)
			if res.StatusCode != tt.status || !strings.Contains(b, tt.want) {
				t.Errorf("%s: %s %s, want %d with %q", tt.name, res.Status, b, tt.status, tt.want)
			}
		})
	}
	// Ann signs in, is a bookkeeper, cannot list users.
	ann := e.signIn("ann")
	if res := e.do(ann, "GET", "/api/v1/users", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("bookkeeper lists users: %s", res.Status)
	}
	var users []bankfeed.User
	decode(t, e.do(admin, "GET", "/api/v1/users", nil), 200, &users)
	var annID bankfeed.UserID
	for _, u := range users {
		if u.Name == "ann" {
			annID = u.ID
		}
	}
	// Disabling her ends her session.
	var u bankfeed.User
	decode(t, e.do(admin, "PATCH", "/api/v1/users/"+itoa(int64(annID)), map[string]any{"disabled": true}), 200, &u)
	if !u.Disabled {
		t.Errorf("after disable: %+v", u)
	}
	if res := e.do(ann, "GET", "/api/v1/me", nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("disabled user's session: %s", res.Status)
	}
	// An admin cannot demote or remove themself.
	var me bankfeed.User
	decode(t, e.do(admin, "GET", "/api/v1/me", nil), 200, &me)
	if res := e.do(admin, "PATCH", "/api/v1/users/"+itoa(int64(me.ID)), map[string]any{"role": "viewer"}); res.StatusCode != http.StatusConflict {
		t.Errorf("self-demotion: %s", res.Status)
	}
	if res := e.do(admin, "DELETE", "/api/v1/users/"+itoa(int64(me.ID)), nil); res.StatusCode != http.StatusConflict {
		t.Errorf("self-removal: %s", res.Status)
	}
	if res := e.do(admin, "DELETE", "/api/v1/users/"+itoa(int64(annID)), nil); res.StatusCode != http.StatusNoContent {
		t.Errorf("remove ann: %s", res.Status)
	}
	log, err := e.db.AuditLog(t.Context(), store.AuditFilter{Action: "user."})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range log {
		got = append(got, a.Actor+" "+a.Action+" "+a.Subject)
	}
	for _, want := range []string{"admin user.add user ann", "admin user.update user ann", "admin user.remove user ann", "ann user.login user ann"} {
		if !strings.Contains(strings.Join(got, "\n"), want) {
			t.Errorf("audit log lacks %q:\n%s", want, strings.Join(got, "\n"))
		}
	}
}

// TestTokens: a token made through the API authenticates API calls as its
// user, is shown once, and stops working once revoked.
func TestTokens(t *testing.T) {
	e := newTestEnv(t)
	bk := e.signIn("bookkeeper")
	if res := e.do(bk, "POST", "/api/v1/tokens", map[string]any{"name": " "}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("empty token name: %s", res.Status)
	}
	var tok newToken
	decode(t, e.do(bk, "POST", "/api/v1/tokens", map[string]any{"name": "script"}), 201, &tok)
	if !strings.HasPrefix(tok.Token, "bft_") {
		t.Fatalf("token %q", tok.Token)
	}
	call := func(path string) int {
		req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := call("/api/v1/me"); got != 200 {
		t.Errorf("with the token: %d", got)
	}
	if got := call("/api/v1/users"); got != 403 {
		t.Errorf("a bookkeeper's token lists users: %d", got)
	}
	var list []bankfeed.APIToken
	decode(t, e.do(bk, "GET", "/api/v1/tokens", nil), 200, &list)
	if len(list) != 1 || list[0].Name != "script" || strings.Contains(readAll(e.do(bk, "GET", "/api/v1/tokens", nil)), tok.Token) {
		t.Errorf("token list %+v shows the token or lacks it", list)
	}
	if res := e.do(bk, "DELETE", "/api/v1/tokens/"+itoa(tok.ID), nil); res.StatusCode != 204 {
		t.Errorf("revoke: %s", res.Status)
	}
	if got := call("/api/v1/me"); got != 401 {
		t.Errorf("revoked token: %d", got)
	}
}

// TestSettingsAPI: deadlines and the webhook, admin only, with errors that
// name the field.
func TestSettingsAPI(t *testing.T) {
	e := newTestEnv(t)
	admin, viewer := e.signIn("admin"), e.signIn("viewer")
	for _, tt := range []struct {
		body   map[string]any
		status int
		want   string
	}{
		{map[string]any{"webhook_url": "ftp://x"}, 400, "webhook_url"},
		{map[string]any{"webhook_url": "https://u:p@hooks.example/"}, 400, "webhook_url"},
		{map[string]any{"webhook_url": "https://hooks.example/bf"}, 200, "hooks.example"},
	} {
		res := e.do(admin, "PUT", "/api/v1/settings", tt.body)
		if b := readAll(res); res.StatusCode != tt.status || !strings.Contains(b, tt.want) {
			t.Errorf("PUT settings %v: %s %s", tt.body, res.Status, b)
		}
	}
	if res := e.do(viewer, "PUT", "/api/v1/settings", map[string]any{"webhook_url": ""}); res.StatusCode != 403 {
		t.Errorf("viewer changes settings: %s", res.Status)
	}
	if res := e.do(admin, "POST", "/api/v1/deadlines", map[string]any{"name": "Payroll", "due_on": "31/12/2026"}); res.StatusCode != 400 ||
		!strings.Contains(readAll(res), "due date") {
		t.Errorf("bad deadline date: %s", res.Status)
	}
	decode(t, e.do(admin, "POST", "/api/v1/deadlines", map[string]any{"name": "Payroll", "due_on": "2026-12-31", "every": "month"}), 201, nil)
	var ds []deadlineJSON
	decode(t, e.do(viewer, "GET", "/api/v1/deadlines", nil), 200, &ds)
	if len(ds) != 1 || ds[0].Name != "Payroll" || ds[0].Next == "" {
		t.Errorf("deadlines %+v", ds)
	}
	// The settings page shows them; the viewer sees no user list.
	page := readAll(e.do(viewer, "GET", "/settings", nil))
	if !strings.Contains(page, "Payroll") || strings.Contains(page, `id="users"`) || !strings.Contains(page, "hooks.example/bf") {
		t.Errorf("viewer's settings page:\n%s", page)
	}
	if !strings.Contains(readAll(e.do(admin, "GET", "/settings", nil)), `id="users"`) {
		t.Error("admin's settings page has no users")
	}
	if res := e.do(admin, "GET", "/audit", nil); res.StatusCode != 200 || !strings.Contains(readAll(res), "settings.update") {
		t.Errorf("audit page: %s", res.Status)
	}
}

func readAll(res *http.Response) string {
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

func itoa(v int64) string { return strconvItoa(int(v)) }

// TestTimeZoneSetting: the time zone is a setting an admin changes through
// the API, checked against the zone database; a change of one setting
// keeps the other; pages show every time in the zone, with its
// abbreviation.
func TestTimeZoneSetting(t *testing.T) {
	e := newTestEnv(t)
	admin, viewer := e.signIn("admin"), e.signIn("viewer")
	for _, tt := range []struct {
		name   string
		body   map[string]any
		status int
		want   string
	}{
		{"not a zone", map[string]any{"time_zone": "Mars/Olympus_Mons"}, 400, "time_zone"},
		{"Local", map[string]any{"time_zone": "Local"}, 400, "time_zone"},
		{"both wrong", map[string]any{"time_zone": "Nowhere", "webhook_url": "ftp://x"}, 400, "webhook_url"},
		{"a webhook", map[string]any{"webhook_url": "https://hooks.example/bf"}, 200, `"time_zone":""`},
		{"a zone", map[string]any{"time_zone": " Asia/Tokyo "}, 200, `"time_zone":"Asia/Tokyo"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(admin, "PUT", "/api/v1/settings", tt.body)
			if b := readAll(res); res.StatusCode != tt.status || !strings.Contains(b, tt.want) {
				t.Errorf("PUT settings %v: %s %s", tt.body, res.Status, b)
			}
		})
	}
	if res := e.do(viewer, "PUT", "/api/v1/settings", map[string]any{"time_zone": "UTC"}); res.StatusCode != 403 {
		t.Errorf("viewer changes the time zone: %s", res.Status)
	}
	var st Settings
	decode(t, e.do(viewer, "GET", "/api/v1/settings", nil), 200, &st)
	if want := (Settings{WebhookURL: "https://hooks.example/bf", TimeZone: "Asia/Tokyo"}); st != want {
		t.Errorf("settings %+v, want %+v", st, want)
	}

	// Something to show: lines, a decision, an entry, the audit log.
	bk := e.signIn("bookkeeper")
	ids := e.booksLoad(bk)
	var added struct {
		Entry struct {
			ID int64 `json:"id"`
		} `json:"entry"`
	}
	decode(t, e.do(bk, "POST", fmt.Sprintf("/api/v1/review/%d/add", ids[0]), map[string]any{"category": "Expenses:Coffee"}), 200, &added)
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no zone database here:", err)
	}
	log, err := e.db.AuditLog(t.Context(), store.AuditFilter{Limit: 1})
	if err != nil || len(log) == 0 {
		t.Fatal(log, err)
	}
	if page := readAll(e.do(admin, "GET", "/audit", nil)); !strings.Contains(page, log[0].At.In(tokyo).Format("2 Jan 2006 15:04")+" JST") {
		t.Errorf("audit page does not show %s in Tokyo time", log[0].At)
	}
	// Every time of day on a page says its zone.
	clock := regexp.MustCompile(`(UTC(?:[+-]|&#43;))?\b\d{1,2}:\d{2}\b( [A-Z]{2,5}\b)?`)
	for _, p := range []string{"/", "/review", "/review?state=decided", "/accounts", "/accounts/1", "/import", "/runs", "/audit", "/settings",
		fmt.Sprintf("/entries/%d", added.Entry.ID)} {
		res := e.do(admin, "GET", p, nil)
		page := readAll(res)
		if res.StatusCode != 200 {
			t.Errorf("GET %s: %s", p, res.Status)
			continue
		}
		n := 0
		for _, m := range clock.FindAllStringSubmatch(page, -1) {
			if m[1] != "" {
				continue // an offset, "UTC+09:00"
			}
			n++
			if m[2] != " JST" {
				t.Errorf("%s shows the time %q without its zone", p, m[0])
			}
		}
		if p == "/audit" && n == 0 {
			t.Errorf("%s shows no time", p)
		}
	}
	// A relative time carries the moment, zone and all, as its title.
	if page := readAll(e.do(admin, "GET", "/review?state=decided", nil)); !regexp.MustCompile(`<time datetime="[^"]+" title="[^"]+ JST">(just now|\d+ \w+ ago)</time>`).MatchString(page) {
		t.Errorf("decided lines: no relative time titled with its zone")
	}
}
