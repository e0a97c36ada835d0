package fakebank

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bankfeed/bankfeed/internal/ofx"
)

func TestLockoutAfterBadSignons(t *testing.T) {
	h := newHarness(t, testScenario)
	codes := []int{}
	for range 4 {
		r := h.mustOFX(t, "bank", h.stmtRequest("bank", "alice", "wrong", "111", window30, testNow))
		codes = append(codes, r.Signon.Status.Code)
	}
	// lockout_after 3: two rejections, the third locks, then locked.
	want := []int{15500, 15500, 15502, 15502}
	if !equalInts(codes, want) {
		t.Fatalf("codes %v, want %v", codes, want)
	}
	r := h.mustOFX(t, "bank", h.stmtRequest("bank", "alice", "pw-alice", "111", window30, testNow))
	if r.Signon.Status.Code != 15502 {
		t.Fatalf("the right password while locked: %d, want 15502", r.Signon.Status.Code)
	}
	// Another user of the bank is not affected.
	r = h.mustOFX(t, "bank", h.stmtRequest("bank", "bob", "pw-bob", "444", window30, testNow))
	if r.Signon.Status.Code != 0 {
		t.Fatalf("bob: %d", r.Signon.Status.Code)
	}
	// The admin API unlocks, as a call to the bank would.
	resp, err := h.hc.Post(h.s.AdminURL()+"/admin/institutions/bank/users/alice/unlock", "", nil)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("unlock: %v %v", err, resp)
	}
	r = h.mustOFX(t, "bank", h.stmtRequest("bank", "alice", "pw-alice", "111", window30, testNow))
	if r.Signon.Status.Code != 0 || len(r.Statements) != 1 {
		t.Fatalf("after unlock: %d", r.Signon.Status.Code)
	}
	// The log counts every credentialed sign-on of alice.
	yes := true
	if n := h.s.Count(Filter{Institution: "bank", User: "alice", Signon: &yes}); n != 6 {
		t.Errorf("%d sign-ons of alice logged, want 6", n)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestClientUIDApprovedInPortal(t *testing.T) {
	h := newHarness(t, testScenario)
	req := h.stmtRequest("xmlbank", "carol", "pw-carol", "555", window30, testNow)
	r := h.mustOFX(t, "xmlbank", req)
	if r.Signon.Status.Code != 15510 || r.Format != ofx.FormatXML || r.Version != "211" {
		t.Fatalf("no CLIENTUID: %d %s %s, want 15510 in XML 2.11", r.Signon.Status.Code, r.Format, r.Version)
	}
	req.Signon.ClientUID = "6d1c9b3a-1111-4a5b-9c0d-aaaaaaaaaaaa"
	r = h.mustOFX(t, "xmlbank", req)
	if r.Signon.Status.Code != 15510 || !strings.Contains(r.Signon.Status.Message, h.s.PortalURL("xmlbank")) {
		t.Fatalf("unregistered CLIENTUID: %d %q", r.Signon.Status.Code, r.Signon.Status.Message)
	}
	// Log in at the portal, see the pending application, approve it.
	resp, _ := h.portal(t, "xmlbank", "/login", url.Values{"userid": {"carol"}, "password": {"pw-carol"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	cookie := resp.Cookies()[0]
	home := h.withCookie(t, "xmlbank", http.MethodGet, "/home", nil, cookie)
	if !strings.Contains(home, req.Signon.ClientUID) {
		t.Fatalf("home page does not list the application:\n%s", home)
	}
	h.withCookie(t, "xmlbank", http.MethodPost, "/device/approve", url.Values{"clientuid": {req.Signon.ClientUID}}, cookie)
	r = h.mustOFX(t, "xmlbank", req)
	if r.Signon.Status.Code != 0 || len(r.Statements) != 1 {
		t.Fatalf("after approval: %d, %d statements", r.Signon.Status.Code, len(r.Statements))
	}
	// Another CLIENTUID still needs approval.
	req.Signon.ClientUID = "another-device"
	if r = h.mustOFX(t, "xmlbank", req); r.Signon.Status.Code != 15510 {
		t.Fatalf("other CLIENTUID: %d", r.Signon.Status.Code)
	}
}

// withCookie makes a portal request in a browser session.
func (h *harness) withCookie(t *testing.T, inst, method, path string, form url.Values, c *http.Cookie) string {
	t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	r, err := http.NewRequest(method, strings.TrimSuffix(h.s.PortalURL(inst), "/")+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.AddCookie(c)
	resp, err := h.hc.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := readAll(resp)
	return string(b)
}

func TestPortalClearsFaults(t *testing.T) {
	cases := []struct {
		kind, path string
		form       url.Values
		code       int
		password   string // to sign on with afterwards
	}{
		{FaultAcceptTerms, "/terms/accept", url.Values{}, 2000, "pw-alice"},
		{FaultClientUID, "/device/approve", url.Values{}, 15510, "pw-alice"},
		{FaultChangePassword, "/password", url.Values{"new_password": {"new-pw"}}, 15000, "new-pw"},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			h := newHarness(t, testScenario)
			if _, err := h.s.AddFault(FaultSpec{Kind: c.kind, Institution: "bank"}); err != nil {
				t.Fatal(err)
			}
			req := h.stmtRequest("bank", "alice", "pw-alice", "111", window30, testNow)
			if r := h.mustOFX(t, "bank", req); r.Signon.Status.Code != c.code {
				t.Fatalf("before: %d, want %d", r.Signon.Status.Code, c.code)
			}
			// A direct POST with credentials, as a test or a script would.
			form := url.Values{"userid": {"alice"}, "password": {"pw-alice"}}
			for k, v := range c.form {
				form[k] = v
			}
			if resp, body := h.portal(t, "bank", c.path, form); resp.StatusCode != http.StatusOK || !strings.Contains(body, "1 notice cleared") {
				t.Fatalf("%s: %d\n%s", c.path, resp.StatusCode, body)
			}
			req = h.stmtRequest("bank", "alice", c.password, "111", window30, testNow)
			if r := h.mustOFX(t, "bank", req); r.Signon.Status.Code != 0 {
				t.Fatalf("after: %d %q", r.Signon.Status.Code, r.Signon.Status.Message)
			}
			// Bob has not acted: the fault still answers him.
			if r := h.mustOFX(t, "bank", h.stmtRequest("bank", "bob", "pw-bob", "444", window30, testNow)); r.Signon.Status.Code != c.code {
				t.Fatalf("bob: %d, want %d", r.Signon.Status.Code, c.code)
			}
		})
	}
}

// TestSignonFaultOrder: a bank tells its terms, a password change, an
// application to approve or an MFA challenge only to a user whose password
// is right; a stranger gets 15500, which counts toward the lockout; an
// anonymous profile request meets none of them.
func TestSignonFaultOrder(t *testing.T) {
	for _, kind := range []string{FaultAcceptTerms, FaultChangePassword, FaultClientUID, FaultMFA} {
		t.Run(kind, func(t *testing.T) {
			h := newHarness(t, testScenario)
			if _, err := h.s.AddFault(FaultSpec{Kind: kind, Institution: "bank", Count: 3}); err != nil {
				t.Fatal(err)
			}
			for _, pw := range []string{"wrong", "wrong"} {
				if r := h.mustOFX(t, "bank", h.stmtRequest("bank", "alice", pw, "111", window30, testNow)); r.Signon.Status.Code != 15500 {
					t.Fatalf("wrong password: %d, want 15500", r.Signon.Status.Code)
				}
			}
			preq := &ofx.Request{Signon: h.signon("bank", "anonymous00000000000000000000000", "anonymous00000000000000000000000"),
				Profile: &ofx.ProfileRequest{TRNUID: "1"}}
			if r := h.mustOFX(t, "bank", preq); r.Signon.Status.Code != 0 || r.Profile == nil {
				t.Fatalf("anonymous profile: %d", r.Signon.Status.Code)
			}
			// The right password resets the count and meets the fault, whose
			// count the others did not use up.
			for range 3 {
				if r := h.mustOFX(t, "bank", h.stmtRequest("bank", "alice", "pw-alice", "111", window30, testNow)); r.Signon.Status.Code == 0 {
					t.Fatal("the fault did not answer alice three times")
				}
			}
			if r := h.mustOFX(t, "bank", h.stmtRequest("bank", "alice", "pw-alice", "111", window30, testNow)); r.Signon.Status.Code != 0 {
				t.Fatalf("after the count: %d", r.Signon.Status.Code)
			}
		})
	}
}

// TestLoggedBeforeAnswered: on a keep-alive connection, the request a client
// has just read the answer to is already counted.
func TestLoggedBeforeAnswered(t *testing.T) {
	h := newHarness(t, testScenario)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: h.hc.Transport.(*http.Transport).TLSClientConfig}}
	var buf bytes.Buffer
	_ = ofx.WriteRequest(&buf, h.stmtRequest("bank", "alice", "pw-alice", "333", window30, testNow), ofx.WriteOptions{})
	for i := 1; i <= 100; i++ {
		resp, err := hc.Post(h.s.OFXURL("bank"), contentTypeOFX, bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := readAll(resp); err != nil {
			t.Fatal(err)
		}
		if n := h.s.Count(Filter{Institution: "bank"}); n != i {
			t.Fatalf("after %d answers, %d requests counted", i, n)
		}
	}
}

// TestTLSFaultOnResumedSession: a client that caches TLS sessions still
// meets a TLS fault on its next connection.
func TestTLSFaultOnResumedSession(t *testing.T) {
	h := newHarness(t, testScenario)
	conf := h.hc.Transport.(*http.Transport).TLSClientConfig.Clone()
	conf.ClientSessionCache = tls.NewLRUClientSessionCache(8)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: conf, DisableKeepAlives: true}}
	if resp, err := hc.Get(h.s.PortalURL("bank")); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	if _, err := h.s.AddFault(FaultSpec{Kind: FaultTLSExpired, Institution: "bank"}); err != nil {
		t.Fatal(err)
	}
	if resp, err := hc.Get(h.s.PortalURL("bank")); err == nil {
		resp.Body.Close()
		t.Fatalf("a resumed session skipped the expired certificate: HTTP %d", resp.StatusCode)
	}
}

func TestPortalPages(t *testing.T) {
	h := newHarness(t, testScenario)
	resp, body := h.portal(t, "bank", "/", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Fatalf("login page: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := h.portal(t, "bank", "/login", url.Values{"userid": {"alice"}, "password": {"nope"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad login: %d", resp.StatusCode)
	}
	if _, err := h.s.AddFault(FaultSpec{Kind: FaultAcceptTerms, Institution: "bank"}); err != nil {
		t.Fatal(err)
	}
	resp, _ = h.portal(t, "bank", "/login", url.Values{"userid": {"alice"}, "password": {"pw-alice"}})
	home := h.withCookie(t, "bank", http.MethodGet, "/home", nil, resp.Cookies()[0])
	for _, want := range []string{"Updated Terms and Conditions", "(…111)", "checking"} {
		if !strings.Contains(home, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	// Maintenance takes the portal down too, with the same Retry-After.
	f, _ := h.s.AddFault(FaultSpec{Kind: FaultMaintenance503, Institution: "bank", Until: testNow.Add(90 * time.Minute)})
	resp, body = h.portal(t, "bank", "/", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5400" || !strings.Contains(body, "maintenance") {
		t.Fatalf("portal in maintenance: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	_ = h.s.RemoveFault(f.ID)
	// A user's own fault does not take the site down.
	if _, err := h.s.AddFault(FaultSpec{Kind: FaultMaintenancePage, Institution: "bank", User: "bob"}); err != nil {
		t.Fatal(err)
	}
	if resp, _ := h.portal(t, "bank", "/", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("portal with a user's fault: %d", resp.StatusCode)
	}
	if n := h.s.Count(Filter{Channel: ChannelPortal}); n < 5 {
		t.Errorf("%d portal requests logged", n)
	}
}

func TestAccountInfoAndProfile(t *testing.T) {
	h := newHarness(t, testScenario)
	req := &ofx.Request{Signon: h.signon("bank", "alice", "pw-alice"), AccountInfo: &ofx.AccountInfoRequest{TRNUID: "9"}}
	r := h.mustOFX(t, "bank", req)
	var ids []string
	for _, a := range r.AccountInfo {
		ids = append(ids, a.Account.AcctID+":"+string(a.Kind))
	}
	if got := strings.Join(ids, " "); got != "111:bank 222:bank 333:creditcard" {
		t.Fatalf("accounts %q", got)
	}
	// A closed account drops out of the list.
	if _, err := h.s.AddFault(FaultSpec{Kind: FaultAccountNotFound, Institution: "bank", Account: "222"}); err != nil {
		t.Fatal(err)
	}
	if r = h.mustOFX(t, "bank", req); len(r.AccountInfo) != 2 {
		t.Fatalf("%d accounts with 222 closed", len(r.AccountInfo))
	}
	// The profile needs no password and says where to send requests.
	preq := &ofx.Request{Signon: h.signon("xmlbank", "anonymous00000000000000000000000", "anonymous00000000000000000000000"),
		Profile: &ofx.ProfileRequest{TRNUID: "1"}}
	r = h.mustOFX(t, "xmlbank", preq)
	if r.Profile == nil || r.Profile.FIName != "XML Bank" || !r.Profile.ClientUIDRequired {
		t.Fatalf("profile %+v", r.Profile)
	}
	yes := true
	if n := h.s.Count(Filter{Institution: "xmlbank", Signon: &yes}); n != 0 {
		t.Errorf("an anonymous profile request counted as %d sign-ons", n)
	}
}

func TestBankChecks(t *testing.T) {
	h := newHarness(t, testScenario)
	cases := []struct {
		name string
		edit func(*ofx.Request)
		code int
	}{
		{"unknown user", func(r *ofx.Request) { r.Signon.UserID = "mallory" }, 15500},
		{"wrong FID", func(r *ofx.Request) { r.Signon.FID = "9999" }, 2000},
		{"APPVER not accepted", func(r *ofx.Request) { r.Signon.AppVer = "1200" }, 2000},
		{"APPVER 1400 accepted", func(r *ofx.Request) { r.Signon.AppVer = "1400" }, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := h.stmtRequest("bank", "bob", "pw-bob", "444", window30, testNow)
			c.edit(req)
			if r := h.mustOFX(t, "bank", req); r.Signon.Status.Code != c.code {
				t.Fatalf("%d %q, want %d", r.Signon.Status.Code, r.Signon.Status.Message, c.code)
			}
		})
	}
	// Another user's account, or a card asked as a bank account: 2003.
	req := h.stmtRequest("bank", "bob", "pw-bob", "111", window30, testNow)
	r := h.mustOFX(t, "bank", req)
	if r.Signon.Status.Code != 0 || len(r.TxStatuses) != 1 || r.TxStatuses[0].Status.Code != 2003 {
		t.Fatalf("bob asking for alice's account: %+v", r.TxStatuses)
	}
	// A plain-HTTP request on the same port works, and GET is refused.
	var buf bytes.Buffer
	_ = ofx.WriteRequest(&buf, h.stmtRequest("bank", "bob", "pw-bob", "444", window30, testNow), ofx.WriteOptions{})
	resp, body, err := h.postRaw(t, "http://"+h.s.Addr("bank")+"/ofx", buf.Bytes(), nil)
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("<STMTRS>")) {
		t.Fatalf("plain HTTP: %v %v", err, resp)
	}
	if resp, err := h.hc.Get(h.s.OFXURL("bank")); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /ofx: %v %v", err, resp)
	}
	if resp, body, _ := h.postRaw(t, h.s.OFXURL("bank"), []byte("hello"), nil); resp.StatusCode != http.StatusBadRequest || !bytes.Contains(body, []byte("unreadable OFX request")) {
		t.Fatalf("garbage request: %d %s", resp.StatusCode, body)
	}
}

func TestSchedules(t *testing.T) {
	h := newHarness(t, testScenario)
	ask := func() int {
		return h.mustOFX(t, "bank", h.stmtRequest("bank", "bob", "pw-bob", "444", window30, testNow)).Signon.Status.Code
	}
	// Count: the next two requests, then off.
	f, _ := h.s.AddFault(FaultSpec{Kind: FaultOFX2000, Institution: "bank", Count: 2})
	if got := []int{ask(), ask(), ask()}; !equalInts(got, []int{2000, 2000, 0}) {
		t.Fatalf("count 2: %v", got)
	}
	_ = h.s.RemoveFault(f.ID)

	// A window: Tuesdays 09:00-11:00 New York; the test clock is Tuesday
	// 10:00 in New York.
	f, _ = h.s.AddFault(FaultSpec{Kind: FaultOFX2000, Institution: "bank", Window: "Tue 09:00-11:00"})
	if ask() != 2000 {
		t.Fatal("inside the window: no fault")
	}
	h.now = testNow.Add(90 * time.Minute)
	if ask() != 0 {
		t.Fatal("after the window: fault")
	}
	h.now = testNow
	_ = h.s.RemoveFault(f.ID)

	// From/Until.
	f, _ = h.s.AddFault(FaultSpec{Kind: FaultOFX2000, Institution: "bank", From: testNow.Add(time.Hour), Until: testNow.Add(2 * time.Hour)})
	before := ask()
	h.now = testNow.Add(90 * time.Minute)
	during := ask()
	h.now = testNow
	if before != 0 || during != 2000 {
		t.Fatalf("from/until: before %d, during %d", before, during)
	}
	_ = h.s.RemoveFault(f.ID)

	// Probability: about half of 200 requests, decided by the seeded
	// generator.
	f, _ = h.s.AddFault(FaultSpec{Kind: FaultOFX2000, Institution: "bank", Probability: 0.5})
	hits := 0
	for range 200 {
		if ask() == 2000 {
			hits++
		}
	}
	if hits < 60 || hits > 140 {
		t.Fatalf("probability 0.5: %d of 200", hits)
	}
	_ = h.s.RemoveFault(f.ID)
	if n := h.s.Count(Filter{Fault: FaultOFX2000}); n != 2+1+1+hits {
		t.Errorf("log counts %d faulted requests, want %d", n, 2+1+1+hits)
	}
}

func TestWindows(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	cases := []struct {
		window string
		at     time.Time
		in     bool
		end    time.Time
	}{
		{"Sat 01:00-05:00", time.Date(2026, 11, 28, 2, 0, 0, 0, ny), true, time.Date(2026, 11, 28, 5, 0, 0, 0, ny)},
		{"Sat 01:00-05:00", time.Date(2026, 11, 28, 5, 0, 0, 0, ny), false, time.Time{}},
		{"Sat 01:00-05:00", time.Date(2026, 11, 29, 2, 0, 0, 0, ny), false, time.Time{}},
		{"Sat 23:00-02:00", time.Date(2026, 11, 29, 1, 0, 0, 0, ny), true, time.Date(2026, 11, 29, 2, 0, 0, 0, ny)},
		{"Mon-Fri 22:00-23:30", time.Date(2026, 11, 27, 22, 15, 0, 0, ny), true, time.Date(2026, 11, 27, 23, 30, 0, 0, ny)},
		{"Fri-Mon 00:00-06:00", time.Date(2026, 11, 30, 3, 0, 0, 0, ny), true, time.Date(2026, 11, 30, 6, 0, 0, 0, ny)},
		{"Fri-Mon 00:00-06:00", time.Date(2026, 11, 25, 3, 0, 0, 0, ny), false, time.Time{}},
		{"daily 02:00-03:00", time.Date(2026, 11, 25, 2, 59, 0, 0, ny), true, time.Date(2026, 11, 25, 3, 0, 0, 0, ny)},
		{"sat,sun 00:00-24:00", time.Date(2026, 11, 29, 12, 0, 0, 0, ny), true, time.Date(2026, 11, 30, 0, 0, 0, 0, ny)},
		// DST days: wall-clock times hold (2026-03-08 springs forward at
		// 02:00, 2026-11-01 falls back at 02:00).
		{"daily 04:00-05:00", time.Date(2026, 3, 8, 4, 30, 0, 0, ny), true, time.Date(2026, 3, 8, 5, 0, 0, 0, ny)},
		{"daily 04:00-05:00", time.Date(2026, 3, 8, 5, 30, 0, 0, ny), false, time.Time{}},
		{"daily 04:00-05:00", time.Date(2026, 11, 1, 3, 30, 0, 0, ny), false, time.Time{}},
		{"Sat 23:00-03:00", time.Date(2026, 3, 8, 1, 30, 0, 0, ny), true, time.Date(2026, 3, 8, 3, 0, 0, 0, ny)},
	}
	for _, c := range cases {
		w, err := parseWindow(c.window)
		if err != nil {
			t.Fatalf("%s: %v", c.window, err)
		}
		end, in := w.endOf(c.at)
		if in != c.in || !end.Equal(c.end) {
			t.Errorf("%s at %s: in %v end %s, want %v %s", c.window, c.at, in, end, c.in, c.end)
		}
	}
	for _, bad := range []string{"", "Sat", "Sat 5-6", "Caturday 01:00-02:00", "Sat 01:00-01:00", "Sat 01:00-05:00 extra"} {
		if _, err := parseWindow(bad); err == nil {
			t.Errorf("window %q accepted", bad)
		}
	}
}

// TestSameSeedSameBytes serves one scenario from two servers with the same
// clock: the statements are byte-identical, and match RenderStatement.
func TestSameSeedSameBytes(t *testing.T) {
	var bodies [][]byte
	for range 2 {
		h := newHarness(t, testScenario)
		for _, acct := range []string{"111", "333"} {
			var buf bytes.Buffer
			req := h.stmtRequest("bank", "alice", "pw-alice", acct, window30, testNow)
			req.Statements[0].TRNUID = "1"
			req.Signon.AppVer = "1400"
			_ = ofx.WriteRequest(&buf, req, ofx.WriteOptions{})
			_, body, err := h.postRaw(t, h.s.OFXURL("bank"), buf.Bytes(), nil)
			if err != nil {
				t.Fatal(err)
			}
			bodies = append(bodies, body)
		}
	}
	if !bytes.Equal(bodies[0], bodies[2]) || !bytes.Equal(bodies[1], bodies[3]) {
		t.Fatal("two servers with the same seed and clock answered differently")
	}
	sc, _ := ParseScenario(strings.NewReader(testScenario))
	rendered, err := RenderStatement(sc, Options{Now: func() time.Time { return testNow }}, "bank", "111", window30, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rendered, bodies[0]) {
		t.Fatalf("RenderStatement differs from the wire:\n%s\n----\n%s", rendered, bodies[0])
	}
	other := strings.Replace(testScenario, `"seed": 7`, `"seed": 8`, 1)
	sc, _ = ParseScenario(strings.NewReader(other))
	rendered, _ = RenderStatement(sc, Options{Now: func() time.Time { return testNow }}, "bank", "111", window30, testNow)
	if bytes.Equal(rendered, bodies[0]) {
		t.Fatal("another seed gave the same statement")
	}
}

func TestAdminAPI(t *testing.T) {
	h := newHarness(t, testScenario)
	post := func(body string) (*http.Response, map[string]any) {
		resp, err := h.hc.Post(h.s.AdminURL()+"/admin/faults", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		return resp, out
	}
	resp, out := post(`{"kind": "http-500", "institution": "bank", "user": "bob", "count": 1}`)
	if id, _ := out["id"].(string); resp.StatusCode != http.StatusCreated || id == "" {
		t.Fatalf("add: %d %v", resp.StatusCode, out)
	}
	for _, bad := range []struct{ body, says string }{
		{`{"kind": "nope", "institution": "bank"}`, `kind "nope" unknown`},
		{`{"kind": "http-500", "institution": "elsewhere"}`, `institution "elsewhere"`},
		{`{"kind": "tls-expired", "institution": "bank", "user": "bob"}`, "scope it to the institution"},
		{`{"kind": "latency", "institution": "bank", "params": {"delay": "soon"}}`, "param delay"},
		{`{"kind": "http-500", "institution": "bank", "window": "Sat"}`, "window"},
		{`{"kind": "http-500", "institution": "bank", "colour": "red"}`, "unknown field"},
	} {
		resp, out := post(bad.body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(out["error"].(string), bad.says) {
			t.Errorf("%s: %d %v, want 400 saying %q", bad.body, resp.StatusCode, out, bad.says)
		}
	}
	var faults []FaultState
	getJSON(t, h, "/admin/faults", &faults)
	if len(faults) != 1 || faults[0].Left == nil || *faults[0].Left != 1 || !faults[0].Active {
		t.Fatalf("faults %+v", faults)
	}
	h.post(t, "bank", h.stmtRequest("bank", "bob", "pw-bob", "444", window30, testNow))
	h.post(t, "bank", h.stmtRequest("bank", "bob", "pw-bob", "444", window30, testNow))
	var n struct{ Count int }
	getJSON(t, h, "/admin/requests/count?institution=bank&user=bob&fault=http-500", &n)
	if n.Count != 1 {
		t.Fatalf("count of http-500 answers: %d", n.Count)
	}
	var recs []Record
	getJSON(t, h, "/admin/requests?user=bob", &recs)
	if len(recs) != 2 || recs[0].HTTPStatus != 500 || recs[1].HTTPStatus != 200 || recs[1].Windows[0] != "444 2026-10-25 2026-11-24" {
		t.Fatalf("records %+v", recs)
	}
	var insts []InstitutionInfo
	getJSON(t, h, "/admin/institutions", &insts)
	if len(insts) != 2 || insts[0].OFXURL != h.s.OFXURL("bank") {
		t.Fatalf("institutions %+v", insts)
	}
	raw, _ := json.Marshal(insts)
	if bytes.Contains(raw, []byte("pw-")) {
		t.Fatal("the admin API shows a password")
	}
}

func getJSON(t *testing.T, h *harness, path string, v any) {
	t.Helper()
	resp, err := h.hc.Get(h.s.AdminURL() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestScenarioErrors(t *testing.T) {
	cases := []struct{ name, json, says string }{
		{"syntax", "{\n\"seed\": 1,\n\"institutions\": [\n}", "line 4"},
		{"unknown field", `{"institutions": [], "colour": 1}`, `unknown field "colour"`},
		{"wrong type", "{\n\"seed\": \"x\"}", "line 2: field seed"},
		{"no institutions", `{"institutions": []}`, "institutions: none listed"},
		{"account type", `{"institutions": [{"id": "b", "org": "B", "fid": "1", "bank_id": "1", "users": [{"id": "u", "password": "p", "accounts": [{"id": "1", "type": "brokerage"}]}]}]}`,
			`institutions[0].users[0].accounts[0].type: "brokerage"`},
		{"bank id", `{"institutions": [{"id": "b", "org": "B", "fid": "1", "users": [{"id": "u", "password": "p", "accounts": [{"id": "1", "type": "checking"}]}]}]}`,
			"institutions[0].bank_id: missing"},
		{"fault", `{"institutions": [{"id": "b", "org": "B", "fid": "1", "users": [], "faults": [{"kind": "maintenance-503", "window": "Caturday 1-2"}]}]}`,
			"institutions[0].faults[0]: window"},
		{"zone", `{"zone": "Mars/Olympus", "institutions": [{"id": "b", "org": "B", "fid": "1", "users": []}]}`, `unknown time zone "Mars/Olympus"`},
		{"null entries", `{"institutions": [null, {"id": "b", "org": "B", "fid": "1", "users": [null], "faults": [{"kind": "http-500", "user": "u"}]}]}`,
			`institutions[0]: null`},
		{"duplicate", `{"institutions": [{"id": "b", "org": "B", "fid": "1", "users": []}, {"id": "b", "org": "B", "fid": "1", "users": []}]}`, `institutions[1].id: "b" listed twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseScenario(strings.NewReader(c.json))
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("error %v, want one saying %q", err, c.says)
			}
		})
	}
	if _, err := ParseScenario(bytes.NewReader(SampleScenario())); err != nil {
		t.Fatalf("the sample scenario: %v", err)
	}
}

// TestLatencyFromRequest: a latency fault's delay runs from the request's
// arrival, so the bank's own work is inside it; two add up; the request log
// keeps the whole time; a client that leaves during the delay is noted.
func TestLatencyFromRequest(t *testing.T) {
	h := newHarness(t, testScenario)
	for range 2 {
		f, err := h.s.AddFault(FaultSpec{Kind: FaultLatency, Institution: "bank", Params: map[string]string{"delay": "150ms"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = h.s.RemoveFault(f.ID) })
	}
	var buf bytes.Buffer
	if err := ofx.WriteRequest(&buf, h.stmtRequest("bank", "alice", "pw-alice", "111", window30, testNow), ofx.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	resp, err := h.hc.Post(h.s.OFXURL("bank"), contentTypeOFX, bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	body, err := readAll(resp)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took < 300*time.Millisecond {
		t.Errorf("answered after %s, before the two delays of 150ms", took)
	}
	if r, err := ofx.Read(bytes.NewReader(body)); err != nil || len(r.Statements) != 1 {
		t.Fatalf("answer: %v, %d statements", err, len(r.Statements))
	}
	recs := h.s.Requests(Filter{Institution: "bank"})
	last := recs[len(recs)-1]
	if d, err := time.ParseDuration(last.Duration); err != nil || d < 300*time.Millisecond || last.Fault != "latency,latency" {
		t.Errorf("logged %q (%v), fault %q; want the whole 300ms and both faults", last.Duration, err, last.Fault)
	}

	// A client that gives up during the delay.
	hc := &http.Client{Timeout: 100 * time.Millisecond, Transport: h.hc.Transport}
	if _, err := hc.Post(h.s.OFXURL("bank"), contentTypeOFX, bytes.NewReader(buf.Bytes())); err == nil {
		t.Fatal("answered within the client's 100ms")
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		recs = h.s.Requests(Filter{Institution: "bank"})
		if last = recs[len(recs)-1]; last.Error != "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if last.Error != "client went away during the delay" || last.HTTPStatus != 0 {
		t.Errorf("logged error %q, status %d; want the client gone during the delay", last.Error, last.HTTPStatus)
	}
}
